"""Input checks shared by the public functions: every message names the parameter."""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence

import numpy as np

from .errors import ParameterError


NEGATIVE_POWER = "S must be a non-negative power spectrogram (got negative values; already in dB?)"


def is_integer(value) -> bool:
    """Whether ``value`` is a Python or numpy integer, and not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name: str) -> int:
    """``value`` as an int >= 1, or ParameterError naming ``name``."""
    return int_at_least(value, name, 1)


#: The largest size or count the compiled core takes (its sizes are 64-bit integers).
MAX_INT = 2**63 - 1


def int_at_least(value, name: str, least: int) -> int:
    """``value`` as an int in [``least``, MAX_INT], or ParameterError naming ``name``."""
    if not is_integer(value) or value < least:
        wanted = "a positive integer" if least == 1 else f"an integer >= {least}"
        raise ParameterError(f"{name}={value!r} must be {wanted}")
    if value > MAX_INT:
        raise ParameterError(f"{name}={value!r} is above 2**63 - 1, the largest integer the core takes")
    return int(value)


def dtype_in(value, options: tuple, name: str = "dtype") -> np.dtype:
    """``value`` as a numpy dtype among ``options`` (None is numpy's float64), or ParameterError naming ``name``."""
    try:
        dtype = np.dtype(value)
    except TypeError:  # "data type 'x' not understood"
        raise ParameterError(f"{name}={value!r} is not a dtype; use one of "
                             f"{', '.join(np.dtype(o).name for o in options)}") from None
    if dtype not in options:
        raise ParameterError(f"{name}={dtype.name} must be {' or '.join(np.dtype(o).name for o in options)}")
    return dtype


def flag(value, name: str) -> bool:
    """``value`` as a bool: True or False (numpy's too, or the ints 1 and 0), else ParameterError naming ``name``
    (a string such as "False" would be true, an array ambiguous)."""
    if isinstance(value, (bool, np.bool_)) or (is_integer(value) and value in (0, 1)):
        return bool(value)
    raise ParameterError(f"{name}={value!r} must be True or False")


def window_sizes(n_fft, win_length, name: str = "win_length") -> tuple[int, int]:
    """(n_fft, win_length) as ints, win_length None meaning n_fft; ParameterError unless 1 <= win_length <= n_fft
    (the window's length named ``name`` in it)."""
    n_fft = positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else positive_int(win_length, name)
    if win_length > n_fft:
        raise ParameterError(f"{name}={win_length} must be <= n_fft={n_fft}")
    return n_fft, win_length


def odd_width(value, name: str) -> int:
    """``value`` as an odd int >= 3 (a Savitzky-Golay window, frames), or ParameterError naming ``name``."""
    if not is_integer(value) or value < 3 or value % 2 != 1:
        raise ParameterError(f"{name}={value!r} must be an odd integer >= 3")
    return int(value)


def delta_count(value, name: str = "deltas") -> int:
    """``value`` as 0, 1 or 2 (how many derivatives go under the features), or ParameterError naming ``name``."""
    if not is_integer(value) or value not in (0, 1, 2):
        raise ParameterError(f"{name}={value!r} must be 0, 1 or 2")
    return int(value)


def seed(value, name: str = "seed") -> int:
    """``value`` as an int in [0, 2**63) (torch.manual_seed's range, numpy's too), or ParameterError."""
    if not is_integer(value) or not 0 <= value < 2**63:
        raise ParameterError(f"{name}={value!r} must be an integer in [0, 2**63)")
    return int(value)


def is_finite_real(value) -> bool:
    """Whether ``value`` is a real number, not a bool, finite as a float (an int past float's range is not);
    a 0-d numpy array holding one counts, as numpy's scalars do."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int of 309 digits or more
        return False


def finite_float(value, name: str) -> float:
    """``value`` as a finite float, or ParameterError naming ``name``."""
    if not is_finite_real(value):
        raise ParameterError(f"{name}={value!r} must be a finite number")
    return float(value)


def positive_float(value, name: str) -> float:
    """``value`` as a finite float > 0, or ParameterError naming ``name``."""
    if not is_finite_real(value) or value <= 0:
        raise ParameterError(f"{name}={value!r} must be a positive number")
    return float(value)


#: The highest sampling rate accepted for decoding and resampling (Hz): twice the highest PCM rate in use (768 kHz).
MAX_SAMPLE_RATE = 1_536_000
#: The longest clip (s) a model takes: a day (a tagger's clip is seconds; an edited run's 1e9 s allocated terabytes).
MAX_CLIP_SECONDS = 86400


def sample_rate(value, name: str = "sr") -> float:
    """``value`` as a sampling rate to resample to: a finite float in (0, MAX_SAMPLE_RATE], or ParameterError."""
    value = positive_float(value, name)
    if value > MAX_SAMPLE_RATE:
        raise ParameterError(f"{name}={value:g} Hz is above the highest sampling rate accepted, {MAX_SAMPLE_RATE} Hz")
    return value


def non_negative_float(value, name: str) -> float:
    """``value`` as a finite float >= 0, or ParameterError naming ``name``."""
    if not is_finite_real(value) or value < 0:
        raise ParameterError(f"{name}={value!r} must be a finite number >= 0")
    return float(value)


def top_db(value) -> float | None:
    """``top_db`` as a finite float >= 0, or None (no floor); else ParameterError."""
    if value is not None and (not is_finite_real(value) or value < 0):
        raise ParameterError(f"top_db={value!r} must be a non-negative number or None")
    return None if value is None else float(value)


def normal_amin(amin: float, dtype) -> None:
    """ParameterError for an ``amin`` below ``dtype``'s smallest normal number or above its largest, as the C++
    kernels refuse it (a GPU flushes subnormals to zero, the float32 logarithm holds for normal numbers only, and
    a larger amin is inf in ``dtype``)."""
    info = np.finfo(np.dtype(dtype))
    tiny, largest = float(info.tiny), float(info.max)
    if amin < tiny:
        raise ParameterError(f"amin={amin:g} is below the smallest normal {np.dtype(dtype)} number {tiny:g}: give "
                             "float64 input for such a floor")
    if amin > largest:
        raise ParameterError(f"amin={amin:g} is above the largest {np.dtype(dtype)} number {largest:g}: give "
                             "float64 input for such a floor")


def strings(value, name: str) -> list[str]:
    """``value``, a sequence of strings (a list, tuple or array; not one string), as a list; else ParameterError."""
    if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)) or \
            not all(isinstance(item, str) for item in value):  # fmt: skip
        raise ParameterError(f"{name} must be a sequence of strings, got {value!r:.60}")
    return [str(item) for item in value]


def choice(value, options: dict, name: str):
    """The code for ``value`` in ``options``, or ParameterError listing them."""
    try:
        return options[value]
    except (KeyError, TypeError):
        raise ParameterError(f"{name}={value!r} is not one of {sorted(options, key=str)}") from None


def _require_finite(x: np.ndarray, name: str) -> None:
    # The sum is finite whenever every value is (audio never comes near overflow), so the
    # full elementwise scan only runs to confirm a suspected NaN or Inf.
    if not np.isfinite(x.sum()) and not np.isfinite(x).all():
        raise ParameterError(f"{name} contains NaN or infinite values")


def float_array(x, name: str, *, min_ndim: int = 1, check_finite: bool = True) -> np.ndarray:
    """A real floating array (float32 or float64), finite and non-empty.

    Integers and booleans are promoted to float64 and float16 to float32, explicitly;
    float64 is never downcast. Complex input is an error (these are real transforms).
    ``check_finite=False`` leaves the NaN/Inf scan to a C++ kernel that does it anyway.
    """
    if type(x) is np.ndarray and x.dtype in _NATIVE_FLOATS:  # the usual case, checked fast
        return _checked_values(x, name, min_ndim, check_finite)
    _refuse_foreign_array(x, name)
    x = _native_byte_order(np.asarray(x))
    if np.iscomplexobj(x):
        raise ParameterError(f"{name} must be real, got dtype {x.dtype}")
    if x.dtype == np.float16:
        x = x.astype(np.float32)
    elif np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_:
        x = x.astype(np.float64)
    elif x.dtype not in (np.float32, np.float64):
        raise ParameterError(f"{name} must be a real numeric array, got dtype {x.dtype}")
    return _checked_values(x, name, min_ndim, check_finite)


_NATIVE_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # in this machine's byte order


def _refuse_foreign_array(x, name: str) -> None:
    """A ParameterError for torch CUDA tensors, CuPy and Numba device arrays given to a CPU path,
    and for scipy sparse matrices (numpy would make them a 0-d object array)."""
    if hasattr(x, "__cuda_array_interface__"):
        raise ParameterError(f"{name} is a GPU array, but this runs on the CPU: give device='cuda' where the "
                             "function takes it, or copy the array to the host")
    sparse = sys.modules.get("scipy.sparse")  # imported already wherever a sparse matrix exists
    if sparse is not None and sparse.issparse(x):
        raise ParameterError(f"{name} is a scipy sparse {x.format} matrix; fasttag takes dense arrays: "
                             f"give {name}.toarray()")


def _native_byte_order(x: np.ndarray) -> np.ndarray:
    """x with its values in this machine's byte order (a lossless copy of big-endian data)."""
    return x if x.dtype.isnative else x.astype(x.dtype.type)


def audio(y, name: str = "y", *, check_finite: bool = True) -> np.ndarray:
    """A floating-point audio array ``(..., n_samples)``: float32 or float64, finite, non-empty.

    Integer PCM is refused rather than guessed at (scale it yourself, e.g.
    ``y.astype(np.float32) / 32768``); float16 is promoted to float32.
    ``check_finite=False`` leaves the NaN/Inf scan to a C++ kernel that does it anyway.
    Channels last (soundfile's ``(n_samples, n_channels)``) is refused: see :func:`samples_last`.
    """
    if not (type(y) is np.ndarray and y.dtype in _NATIVE_FLOATS):  # the usual case skips the conversion
        y = _float_audio(y, name)
    y = _checked_values(y, name, 1, check_finite)
    samples_last(y.shape, name)
    return y


#: A last axis this short after one this long holds channels, not samples (no batch of signals that short is audio).
_FEW_SAMPLES, _LONG_AXIS = 8, 1000


def samples_last(shape: tuple, name: str = "y") -> None:
    """ParameterError for audio of ``shape`` with a few samples per signal along the last axis after a long axis:
    channels last, as soundfile reads a multichannel file, which a transform would take as n_samples
    signals of n_channels samples each."""
    if len(shape) >= 2 and shape[-1] <= _FEW_SAMPLES and shape[-2] >= _LONG_AXIS:
        fix = f"{name}.T" if len(shape) == 2 else f"np.swapaxes({name}, -1, -2)"
        raise ParameterError(f"{name} has shape {tuple(shape)}: {shape[-1]} samples per signal along the last axis; "
                             f"stereo audio from soundfile is (n_samples, n_channels): pass {fix}")


def _float_audio(y, name: str) -> np.ndarray:
    """``y`` as a float32 or float64 numpy array in native byte order, or ParameterError (see :func:`audio`)."""
    if not isinstance(y, np.ndarray):
        _refuse_foreign_array(y, name)
        raise ParameterError(f"{name} must be a numpy.ndarray, got {type(y).__name__}")
    y = _native_byte_order(y)
    if np.iscomplexobj(y):
        raise ParameterError(f"{name} must be real-valued audio, got dtype {y.dtype}")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(
            f"{name} must be floating-point audio, got dtype {y.dtype} (convert it explicitly, "
            "e.g. y.astype(np.float32) / 32768 for int16 PCM)"
        )
    if y.dtype == np.float16:
        y = y.astype(np.float32)
    elif y.dtype not in (np.float32, np.float64):
        raise ParameterError(f"{name} must be float32 or float64, got dtype {y.dtype}")
    return y


def _checked_values(x: np.ndarray, name: str, min_ndim: int, check_finite: bool) -> np.ndarray:
    if x.ndim < min_ndim:
        raise ParameterError(f"{name} must have at least {min_ndim} dimension(s), got shape {x.shape}")
    if x.size == 0:
        raise ParameterError(f"{name} is empty (shape {x.shape})")
    if check_finite:
        _require_finite(x, name)
    return x


def c_array(x, dtype=None) -> np.ndarray:
    """``x`` as the C++ core takes arrays: a C-contiguous, aligned ndarray, of ``dtype`` if given (a copy only
    if needed). ``np.ascontiguousarray`` keeps an unaligned array (a view of a buffer at an odd offset) as it is."""
    return np.require(x, dtype, ("C", "A", "E"))


def as_rows(x: np.ndarray, n_last: int) -> np.ndarray:
    """``x`` as a C-contiguous, aligned ``(rows, ...)`` array over its leading dims (a copy only if needed).

    ``n_last`` trailing dimensions are kept; the rest are flattened into rows.
    """
    lead = x.shape[: x.ndim - n_last]
    return c_array(x).reshape((math.prod(lead),) + x.shape[x.ndim - n_last :])


class core_errors:  # noqa: N801 -- used as ``with core_errors():``, like a function
    """Re-raise the C++ core's argument errors (std::invalid_argument -> ValueError) as ParameterError.

    ``names`` maps the core's argument names to the caller's (``{"x": "X"}``): a message that starts
    with one is reworded. A class, not a contextlib generator: it wraps every call into the core
    (0.2 us here, against 0.9).
    """

    def __init__(self, names: dict[str, str] | None = None):
        self.names = names

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if kind is not None and issubclass(kind, ValueError) and not issubclass(kind, ParameterError):
            message = str(error)
            for core, caller in (self.names or {}).items():
                if message.startswith(f"{core} "):
                    message = caller + message[len(core):]
                    break
            raise ParameterError(message) from None
        return False
