"""Short-time Fourier transform and decibel scaling (librosa's semantics)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from . import _core, _validate, _warnings
from ._workers import resolve_workers
from .errors import ParameterError
from .filters import get_window

__all__ = ["stft", "power_to_db", "frame_count"]

_PAD_MODES = {"constant": 0, "edge": 1, "reflect": 2}  # the C++ kernels' own
_NUMPY_PAD_MODES = ("symmetric", "linear_ramp")  # the rest of librosa's: np.pad first, a copy


@dataclass(frozen=True)
class Framing:
    """How a signal is cut into frames: the arguments of the C++ frame kernels."""

    window: np.ndarray  # (n_fft,), the signal's dtype
    hop_length: int
    pad: int  # samples of padding before the signal, done by the kernels
    n_frames: int
    pad_mode: int
    numpy_pad: tuple[str, int] | None = None  # (np.pad mode, width) done by `rows` before the kernels

    def geometry(self) -> tuple[int, int, int, int]:
        """(hop_length, pad, n_frames, pad_mode): the kernels' arguments after the window."""
        return (self.hop_length, self.pad, self.n_frames, self.pad_mode)

    def rows(self, y: np.ndarray) -> np.ndarray:
        """y (..., n_samples) as the kernels' (rows, n) signals, padded here for a numpy pad mode."""
        rows = _validate.as_rows(y, 1)
        if self.numpy_pad is None:
            return rows
        mode, width = self.numpy_pad
        return np.pad(rows, [(0, 0), (width, width)], mode=mode)


def frame_count(n_samples: int, *, n_fft: int, hop_length: int, center: bool = True) -> int:
    """Number of STFT frames of a signal of ``n_samples`` (librosa's rule); a signal shorter
    than ``n_fft`` without ``center`` has none.

    Parameters
    ----------
    n_samples, n_fft, hop_length : int > 0
        Signal length, FFT size and hop, in samples.
    center : bool
        Whether the signal is padded by ``n_fft // 2`` on both sides (as :func:`stft` does).

    Returns
    -------
    int >= 0, the frames of :func:`stft` (and of every feature computed from it).
    """
    n_samples = _validate.positive_int(n_samples, "n_samples")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    padded = n_samples + 2 * (n_fft // 2) if _validate.flag(center, "center") else n_samples
    return max(0, 1 + (padded - n_fft) // hop_length)


def spectrogram_n_fft(n_fft, n_bins: int) -> int:
    """The FFT size of a given spectrogram with ``n_bins`` rows (librosa's rule): ``n_fft`` if it
    has that many bins (an odd n_fft included), else ``2 (n_bins - 1)``."""
    if isinstance(n_fft, numbers.Integral) and not isinstance(n_fft, bool) and n_fft // 2 + 1 == n_bins:
        return int(n_fft)
    if n_bins < 2:
        raise ParameterError(f"S has {n_bins} frequency bin(s) on axis -2; a spectrogram needs at least 2 "
                             "(n_fft // 2 + 1)")
    return 2 * (n_bins - 1)


def hop_or_default(hop_length, win_length: int) -> int:
    """``hop_length`` checked, or librosa's default ``win_length // 4`` for None (refused where
    that is 0)."""
    if hop_length is not None:
        return _validate.positive_int(hop_length, "hop_length")
    if win_length < 4:
        raise ParameterError(f"hop_length=None defaults to win_length // 4, which is 0 for win_length={win_length}: "
                             "give hop_length")
    return win_length // 4


def framing(n_samples: int, dtype, *, n_fft, hop_length, win_length, window, center, pad_mode) -> Framing:
    """Validate the STFT parameters for a signal of ``n_samples`` and build its framing."""
    n_fft, win_length = _validate.window_sizes(n_fft, win_length)
    center = _validate.flag(center, "center")
    hop_length = hop_or_default(hop_length, win_length)
    _validate.choice(pad_mode, {**_PAD_MODES, **dict.fromkeys(_NUMPY_PAD_MODES)}, "pad_mode")
    numpy_pad = (pad_mode, n_fft // 2) if center and pad_mode in _NUMPY_PAD_MODES else None
    code = _PAD_MODES.get(pad_mode, 0)
    if center:
        if n_fft > n_samples:
            _warnings.warn(f"n_fft={n_fft} is too large for input signal of length={n_samples}")
    elif n_samples < n_fft:
        raise ParameterError(
            f"the signal has {n_samples} samples, fewer than n_fft={n_fft}: use center=True or a smaller n_fft"
        )
    return Framing(
        window=get_window(window, win_length, n_fft=n_fft, dtype=dtype),
        hop_length=hop_length,
        pad=n_fft // 2 if center and numpy_pad is None else 0,
        n_frames=frame_count(n_samples, n_fft=n_fft, hop_length=hop_length, center=center),
        pad_mode=code,
        numpy_pad=numpy_pad,
    )


def stft(y, *, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         window="hann", center: bool = True, pad_mode: str = "constant", dtype=None, out: np.ndarray | None = None,
         workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Short-time Fourier transform, by fasttag's own FFT (librosa's ``stft`` semantics).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)], float32 or float64
        Audio; leading dimensions are a batch.
    n_fft : int > 0
        FFT length (samples); any length works, 2^a 3^b 5^c are fastest.
    hop_length : int > 0 or None
        Samples between frames; default ``win_length // 4``.
    win_length : int, 0 < win_length <= n_fft, or None
        Window length; the window is centred in the frame and zero-padded; default ``n_fft``.
    window : str, tuple, number, callable or np.ndarray [shape=(win_length,)]
        "hann" (default), any window of :func:`fasttag.filters.get_window` (scipy's window
        specs, a callable), or the values.
    center : bool
        Pad ``n_fft // 2`` samples on both sides so frame t is centred at ``t * hop_length``.
    pad_mode : {"constant", "edge", "reflect", "symmetric", "linear_ramp"}
        How the signal is extended when ``center``.
    dtype : complex dtype or None
        Output dtype; default complex64 for float32 input, complex128 for float64 (or ``out``'s).
    out : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames or more)], complex, or None
        A preallocated array for the result (librosa's): it is returned, or its first n_frames
        frames ``out[..., :n_frames]`` when it has more. complex128, or complex64 for float32
        input (complex128 computes float32 input in float64); ``dtype`` when given. The result is
        computed, then copied into it. device="cpu" only.
    workers : int or None
        Threads (scipy.fft's convention; see :func:`fasttag.set_workers`).
    device : {"cpu", "cuda"}
        "cuda" runs the shared-memory GPU FFT (:mod:`fasttag.cuda`; power-of-two n_fft);
        GPU arrays (torch, CuPy, Numba) stay on the GPU and come back as the same kind.

    Returns
    -------
    np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)], complex (``out`` or its view when given)

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> D = fasttag.stft(y, n_fft=512, hop_length=256)
    >>> D.shape, D.dtype
    ((257, 259), dtype('complex64'))
    >>> power = np.abs(D) ** 2   # power spectrogram
    """
    if device != "cpu":
        if out is not None:
            raise ParameterError("out= needs device='cpu': on the GPU stft returns a new array of the input's kind")
        return _gpu(device).stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                                 center=center, pad_mode=pad_mode, dtype=dtype)
    y = _validate.audio(y, check_finite=False)  # the kernel scans for NaN/Inf
    if dtype is not None:
        dtype = _validate.dtype_in(dtype, (np.complex64, np.complex128))
    if out is not None:
        dtype = _out_dtype(out, dtype, y.dtype)
    if dtype is not None:
        y = y.astype(np.float32 if dtype == np.complex64 else np.float64, copy=False)
    frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                     window=window, center=center, pad_mode=pad_mode)
    shape = y.shape[:-1] + (frames.window.shape[0] // 2 + 1, frames.n_frames)
    target = None if out is None else _out_prefix(out, shape)
    with _validate.core_errors():
        result = _core.stft(frames.rows(y), frames.window, *frames.geometry(), resolve_workers(workers))
    if target is None:
        return result.reshape(shape)
    target[...] = result.reshape(shape)
    return target


def _out_dtype(out, dtype, y_dtype) -> np.dtype:
    """The complex dtype of stft's preallocated ``out``, checked: a writable complex64 or complex128 numpy
    array, of ``dtype`` when given, else not complex64 for float64 audio (nothing is downcast silently)."""
    if not isinstance(out, np.ndarray):
        raise ParameterError(f"out must be a complex numpy array, got {type(out).__name__}")
    out_dtype = _validate.dtype_in(out.dtype.newbyteorder("="), (np.complex64, np.complex128), "out.dtype")
    if not out.flags.writeable:
        raise ParameterError("out is read-only")
    if dtype is not None and out_dtype != dtype:
        raise ParameterError(f"out.dtype={out_dtype.name} differs from dtype={dtype.name}")
    if out_dtype == np.complex64 and y_dtype == np.float64 and dtype is None:
        raise ParameterError("out.dtype=complex64 for float64 y: nothing is downcast silently; give a complex128 out, "
                             "or dtype=np.complex64 to compute in float32")
    return out_dtype


def _out_prefix(out: np.ndarray, shape: tuple) -> np.ndarray:
    """``out``, or its first ``shape[-1]`` frames when it has more (librosa's rule); else ParameterError."""
    if out.shape[:-1] != shape[:-1] or out.ndim != len(shape) or out.shape[-1] < shape[-1]:
        raise ParameterError(f"out has shape {out.shape}; the result has shape {shape} (out may have more frames "
                             "on its last axis: the first ones are used)")
    return out if out.shape == shape else out[..., : shape[-1]]


def _gpu(device):
    """fasttag.cuda's spectral functions, after checking the device name (imported on first use)."""
    from .cuda import _runtime, spectral

    _runtime.check_device(device)
    return spectral


def _ref_decibels(ref, magnitude: np.ndarray, amin: float):
    """10 log10(max(amin, |ref|)), ref a number, an array or a callable of the magnitude giving a number."""
    ref_value = np.asarray(ref(magnitude) if callable(ref) else ref)
    if ref_value.dtype.kind not in "biufc":  # a string, None, an object, an int past float's range
        raise ParameterError(f"ref={ref!r:.60} must be a number, an array or a callable returning a number")
    if not callable(ref):
        ref_value = np.abs(ref_value)
    if callable(ref) and np.ndim(ref_value) > 0:
        raise ParameterError(f"ref={ref!r} returned an array of shape {np.shape(ref_value)}: a callable ref must "
                             "return a number (give an array as ref to broadcast it against S)")
    if not np.all(np.isfinite(ref_value)):
        raise ParameterError(f"ref={ref!r} must be finite (got reference power {ref_value})")
    return 10.0 * np.log10(np.maximum(amin, ref_value))


def fused_decibels(ref, amin, top_db) -> tuple[float, float, float | None]:
    """(ref in dB, amin, top_db) for the fused log-mel kernels, checked: ``ref`` must be a
    number there (the spectrogram a callable would need is never stored)."""
    if callable(ref) or not isinstance(ref, numbers.Real):
        raise ParameterError(f"ref={ref!r} must be a number for logmel (use power_to_db for a callable ref)")
    amin = _validate.positive_float(amin, "amin")
    return _ref_decibels(ref, None, amin), amin, _validate.top_db(top_db)


def power_to_db(S, *, ref=1.0, amin: float = 1e-10, top_db: float | None = 80.0,
                workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Power spectrogram -> decibels: ``10 log10(max(amin, S) / ref)``, floored at peak - top_db.

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_bins, n_frames)], real, non-negative
        Power (e.g. ``|stft|**2`` or a mel spectrogram).
    ref : float, array or callable
        Reference power (0 dB), taken as ``|ref|`` floored at ``amin`` (librosa's rule); an array
        broadcasts against S; a callable (e.g. ``np.max``) is applied to S and must return a number.
    amin : float > 0
        Floor on S and ref before the logarithm: a normal number of S's dtype (for float32,
        between about 1.2e-38 and 3.4e38; give float64 input for a floor outside that).
    top_db : float >= 0 or None
        Dynamic range kept below the peak; None keeps everything.
    workers : int or None
        Threads over items and rows (scipy.fft's convention; see :func:`fasttag.set_workers`).
    device : {"cpu", "cuda"}
        "cuda": a GPU kernel (:mod:`fasttag.cuda`; ``ref`` must then be a number).

    Returns
    -------
    np.ndarray, same shape and dtype as S (float32 or float64)

    Notes
    -----
    A 2-D S gives librosa's result. A batch (3-D or more) is treated item by item: the
    peak for ``top_db`` and a callable ``ref`` are taken per ``(n_bins, n_frames)`` item
    (librosa takes them over the whole array).
    """
    if device != "cpu":
        return _gpu(device).power_to_db(S, ref=ref, amin=amin, top_db=top_db)
    S = _validate.float_array(S, "S", min_ndim=0)  # a number too, as librosa
    amin = _validate.positive_float(amin, "amin")
    _validate.normal_amin(amin, S.dtype)  # before a callable ref's value is floored at it in S's dtype
    top_db = _validate.top_db(top_db)
    items = S.reshape(1, -1) if S.ndim <= 2 else _validate.as_rows(S, 2).reshape(-1, S.shape[-2] * S.shape[-1])
    if np.any(S < 0):
        raise ParameterError(_validate.NEGATIVE_POWER)
    workers = resolve_workers(workers)
    with _validate.core_errors():
        return _decibels_by_item(S, items, ref, amin, top_db, workers)[()]  # a numpy scalar for a number


def _decibels_by_item(S, items, ref, amin, top_db, workers) -> np.ndarray:
    if not callable(ref) and np.ndim(ref) > 0:
        return _decibels_of_array_ref(S, items, ref, amin, top_db, workers)
    if callable(ref) and S.ndim > 2:
        out = np.stack([_core.power_to_db(item[None], _ref_decibels(ref, item, amin), amin, top_db, workers)[0]
                        for item in items])
    else:
        out = _core.power_to_db(np.ascontiguousarray(items), _ref_decibels(ref, S, amin), amin, top_db, workers)
    return out.reshape(S.shape)


def _decibels_of_array_ref(S, items, ref, amin, top_db, workers) -> np.ndarray:
    """power_to_db with an array ``ref`` broadcast against S (librosa's rule), top_db per item."""
    ref = _validate.float_array(ref, "ref")
    try:
        ref_db = np.broadcast_to(_ref_decibels(ref, S, amin), S.shape)
    except ValueError:
        raise ParameterError(f"ref has shape {ref.shape}, which does not broadcast to S's shape {S.shape}") from None
    out = _core.power_to_db(np.ascontiguousarray(items), 0.0, amin, None, workers).reshape(S.shape)
    out -= ref_db
    if top_db is not None:
        flat = out.reshape(items.shape)
        np.maximum(flat, flat.max(axis=1, keepdims=True) - top_db, out=flat)
    return out
