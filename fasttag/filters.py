"""Filterbanks and windows: the mel basis (librosa's, Slaney and HTK), the DCT basis."""

from __future__ import annotations

import numbers

import numpy as np

from . import _normalize, _validate, _warnings
from ._memo import shared_filterbank
from .errors import ParameterError

__all__ = ["mel", "mel_frequencies", "hz_to_mel", "mel_to_hz", "fft_frequencies", "get_window", "dct", "chroma",
           "hz_to_octs"]

# Names librosa users write that scipy.signal.get_window does not know.
_WINDOW_ALIASES = {"ones": "boxcar", "rectangular": "boxcar"}

# Slaney's mel scale: linear below 1 kHz (one mel per 200/3 Hz), logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies, *, htk: bool = False):
    """Hz -> mels (Slaney's scale by default, HTK's with ``htk=True``), as librosa: a number gives a
    np.float64, an array an array."""
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_part = _MIN_LOG_MEL + np.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, f / _F_SP)[()]  # [()]: a 0-d result as a scalar


def mel_to_hz(mels, *, htk: bool = False):
    """Mels -> Hz, the inverse of :func:`hz_to_mel` (a number gives a np.float64, an array an array)."""
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)[()]


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False):
    """``n_mels`` (an int >= 0) frequencies (Hz) evenly spaced on the mel scale from fmin to fmax."""
    n_mels = _validate.int_at_least(n_mels, "n_mels", 0)
    return mel_to_hz(np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels), htk=htk)


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048):
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` bins of a real FFT: ``n_fft`` > 0 samples at ``sr`` > 0 Hz."""
    n_fft = _validate.positive_int(n_fft, "n_fft")
    return np.fft.rfftfreq(n=n_fft, d=1.0 / _validate.positive_float(sr, "sr"))


def mel(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
        htk: bool = False, norm: str | float | None = "slaney", dtype=np.float32) -> np.ndarray:
    """Triangular mel filterbank, the same matrix as ``librosa.filters.mel``.

    Parameters
    ----------
    sr : float > 0
        Sampling rate (Hz).
    n_fft : int > 0
        FFT size; the basis has ``1 + n_fft // 2`` columns.
    n_mels : int >= 1
        Number of mel bands; more than about ``1 + n_fft // 2`` leaves some of them empty
        (always zero), with a warning, as in librosa.
    fmin, fmax : float, 0 <= fmin < fmax <= sr / 2
        Band edges (Hz); ``fmax=None`` is ``sr / 2``.
    htk : bool
        HTK's mel scale instead of Slaney's.
    norm : {"slaney", None} or number
        ``"slaney"`` scales each triangle to unit area (constant energy per band); a
        number divides each triangle by its norm of that order, as librosa does
        (`librosa.util.normalize`: ``1``, ``2``, ``np.inf``, ...).
    dtype : np.float32 or np.float64
        Output dtype (librosa's default is float32).

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2)]

    Examples
    --------
    >>> import fasttag
    >>> fasttag.filters.mel(sr=12000, n_fft=512, n_mels=96).shape
    (96, 257)
    """
    weights, empty = mel_weights(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm,
                                 dtype=dtype)
    if empty:
        warn_empty_mel_filters(n_mels, n_fft, sr)
    return weights


def mel_range(sr: float, fmin, fmax) -> float:
    """The top of the mel bands (Hz): ``fmax``, or sr/2 for None; ParameterError unless 0 <= fmin < fmax <= sr/2."""
    fmin = _validate.non_negative_float(fmin, "fmin")
    fmax = sr / 2 if fmax is None else _validate.positive_float(fmax, "fmax")
    if not 0 <= fmin < fmax:
        raise ParameterError(f"fmin={fmin} and fmax={fmax} must satisfy 0 <= fmin < fmax")
    if fmax > sr / 2:
        raise ParameterError(f"fmax={fmax} exceeds the Nyquist frequency sr/2 = {sr / 2}")
    return fmax


def mel_norm(norm, name: str = "norm"):
    """A mel filterbank's ``norm``: "slaney", None or a number (the order of a norm); else ParameterError."""
    if isinstance(norm, str) and norm != "slaney":
        raise ParameterError(f"{name}={norm!r} must be 'slaney', None or a number (the order of a norm)")
    return norm if isinstance(norm, str) else _normalize.check_norm(norm, name)


def mel_weights(*, sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype) -> tuple[np.ndarray, bool]:
    """The checked arguments' mel basis (as :func:`mel`) and whether some of its bands are empty."""
    sr = _validate.positive_float(sr, "sr")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    n_mels = _validate.positive_int(n_mels, "n_mels")
    fmax = mel_range(sr, fmin, fmax)
    htk = _validate.flag(htk, "htk")
    norm = mel_norm(norm)
    dtype = _validate.dtype_in(dtype, (np.float32, np.float64))

    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    ramps = np.subtract.outer(mel_f, fft_frequencies(sr=sr, n_fft=n_fft))
    fdiff = np.diff(mel_f)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    # Rounded to dtype before normalising, as librosa does, so float32 results agree.
    weights = np.maximum(0, np.minimum(lower, upper)).astype(dtype)
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    elif norm is not None:  # in float64, then rounded, as librosa.util.normalize divides
        weights = _normalize.normalize(weights.astype(np.float64), norm, axis=-1).astype(dtype)
    empty = not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0))
    return weights, bool(empty)


def filterbank_dtype(dtype, device: str) -> np.dtype:
    """A mel or chroma filterbank's ``dtype`` (librosa's ``filters.mel(dtype=)``): float32 or float64, float32 on the
    GPU (whose kernels take the float32 basis, librosa's default); else ParameterError."""
    dtype = _validate.dtype_in(dtype, (np.float32, np.float64))
    if dtype != np.float32 and device != "cpu":
        raise ParameterError(f"dtype={dtype.name} needs device='cpu': the GPU kernels take the filterbank in float32 "
                             "(librosa's default)")
    return dtype


def promoted(x: np.ndarray, basis_dtype: np.dtype) -> np.ndarray:
    """``x`` in the dtype of its product with a filterbank of ``basis_dtype`` (numpy's promotion, as librosa's
    einsum: float32 audio with a float64 basis gives float64); never downcast."""
    return x.astype(np.result_type(x.dtype, basis_dtype), copy=False)


def warn_empty_mel_filters(n_mels, n_fft, sr) -> None:
    """librosa's warning that some mel bands of this basis are always zero."""
    _warnings.warn(f"Empty mel filters: n_mels={n_mels} is too many for n_fft={n_fft} at sr={sr}; "
                   "some bands will always be zero. Reduce n_mels or raise n_fft.")


def get_window(window, win_length: int | None = None, *, Nx: int | None = None, fftbins: bool = True,
               n_fft: int | None = None, dtype=np.float64) -> np.ndarray:
    """A window of ``win_length`` samples (librosa's ``filters.get_window(window, Nx, fftbins=True)``),
    optionally zero-padded to ``n_fft`` (centred).

    Parameters
    ----------
    window : str, tuple, number, callable or array
        As in librosa, a window spec of ``scipy.signal.get_window`` (a name such as "hann",
        "hamming", "blackman", "bartlett"; "ones"/"rectangular" for "boxcar"; a tuple such as
        ``("kaiser", 8.0)``; a number, Kaiser's beta), a callable of the length, or an array of
        ``win_length`` values.
    win_length : int > 0
        The window's length; or give it as ``Nx``, librosa's name for it (once: one of the two).
    fftbins : bool
        A spec's window is periodic (True, default: for the FFT) or symmetric (False: for filter
        design), as scipy's; a callable's or an array's values are taken as they are.
    n_fft : int >= win_length or None
        Length of the result, the window centred in zeros; None (default) is ``win_length``.
    dtype : numpy float dtype
        Of the result (default float64).

    Returns
    -------
    np.ndarray [shape=(n_fft,)], a new array of the caller's own

    Examples
    --------
    >>> import fasttag
    >>> fasttag.filters.get_window("hann", 4)                  # periodic, librosa's default
    array([0. , 0.5, 1. , 0.5])
    >>> fasttag.filters.get_window("hann", 4, fftbins=False)   # symmetric
    array([0.  , 0.75, 0.75, 0.  ])
    >>> fasttag.filters.get_window("hann", 4, n_fft=6)         # centred in n_fft samples, as stft frames it
    array([0. , 0. , 0.5, 1. , 0.5, 0. ])
    >>> fasttag.filters.get_window("hann", Nx=4)               # librosa's keyword
    array([0. , 0.5, 1. , 0.5])
    """
    if (win_length is None) == (Nx is None):
        raise ParameterError(f"give the window's length once, as win_length or as Nx (librosa's name); got "
                             f"win_length={win_length!r}, Nx={Nx!r}")
    name = "win_length" if Nx is None else "Nx"
    win_length = _validate.positive_int(win_length if Nx is None else Nx, name)
    n_fft, win_length = _validate.window_sizes(win_length if n_fft is None else n_fft, win_length, name)
    fftbins = _validate.flag(fftbins, "fftbins")
    if isinstance(window, (str, tuple, numbers.Real)) and not isinstance(window, bool):
        values = _scipy_window(_WINDOW_ALIASES.get(window, window) if isinstance(window, str) else window, win_length,
                               fftbins)
    elif callable(window):
        values = np.asarray(window(win_length))
    else:
        values = np.asarray(window)
    if values.ndim != 1 or values.shape[0] != win_length:
        raise ParameterError(f"window={_short(window)} gives shape {values.shape}, expected ({win_length},) = "
                             "(win_length,)")
    if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values) or not np.isfinite(values).all():
        raise ParameterError(f"window={_short(window)} must give finite real numbers")
    padded = np.zeros(n_fft, dtype=dtype)
    start = (n_fft - win_length) // 2
    padded[start : start + win_length] = values
    return padded


def _short(window) -> str:
    return "array" if isinstance(window, np.ndarray) else repr(window)


def _scipy_window(spec, win_length: int, fftbins: bool) -> np.ndarray:
    """scipy's window ``spec`` of ``win_length`` samples, periodic or symmetric by ``fftbins``, made once per spec
    (read-only: shared)."""
    try:
        return _named_window(spec, win_length, fftbins)
    except (ValueError, TypeError) as error:
        raise ParameterError(f"window={spec!r} is not a window scipy.signal.get_window knows: {error}") from None


@shared_filterbank
def _named_window(spec, win_length: int, fftbins: bool) -> np.ndarray:
    if isinstance(spec, str) and spec == "hann" and fftbins:  # everyone's default, without importing scipy.signal
        return _periodic_hann(win_length)
    import scipy.signal  # scipy.signal takes half a second to import: on first use only

    return scipy.signal.get_window(spec, win_length, fftbins=fftbins)


def _periodic_hann(win_length: int) -> np.ndarray:
    """scipy.signal.get_window("hann", win_length) to the last bit: (win_length,) float64.

    scipy's sum 0.5 cos(0 t) + 0.5 cos(t) over t = linspace(-pi, pi, win_length + 1) without the last
    point; a window of one sample is [1.0].
    """
    if win_length == 1:
        return np.ones(1)
    return 0.5 + 0.5 * np.cos(np.linspace(-np.pi, np.pi, win_length + 1)[:-1])


def dct_kind(dct_type, norm) -> None:
    """ParameterError unless ``dct_type`` is the int 1, 2 or 3 and ``norm`` "ortho" or None (scipy's DCTs)."""
    if not _validate.is_integer(dct_type) or dct_type not in (1, 2, 3):
        raise ParameterError(f"dct_type={dct_type!r} must be 1, 2 or 3")
    if norm not in ("ortho", None):
        raise ParameterError(f"norm={norm!r} must be 'ortho' or None")


def dct(n_out: int, n_in: int, *, dct_type: int = 2, norm: str | None = "ortho", dtype=np.float32) -> np.ndarray:
    """The first ``n_out`` rows of the ``n_in``-point DCT matrix (scipy's definition).

    Parameters
    ----------
    n_out : int, 1 <= n_out <= n_in
        Rows kept (coefficients); an ``n_in``-point DCT has ``n_in`` of them, so more is an error
        (as ``n_mfcc`` above the mel bands is for :func:`fasttag.mfcc`).
    n_in : int > 0
        Length of the transformed vectors (at least 2 for ``dct_type=1``).
    dct_type : {1, 2, 3}
        DCT type (scipy's definitions).
    norm : {"ortho", None}
        DCT normalisation.
    dtype : np.float32 or np.float64
        Output dtype.

    Returns
    -------
    np.ndarray [shape=(n_out, n_in)] such that ``basis @ x`` is ``scipy.fft.dct(x, dct_type, norm=norm)[:n_out]``.
    """
    n_out = _validate.positive_int(n_out, "n_out")
    n_in = _validate.positive_int(n_in, "n_in")
    if n_out > n_in:
        raise ParameterError(f"n_out={n_out} exceeds n_in={n_in}: a DCT of {n_in} points has {n_in} coefficients")
    dct_kind(dct_type, norm)
    dtype = _validate.dtype_in(dtype, (np.float32, np.float64))
    if dct_type == 1 and n_in < 2:
        raise ParameterError(f"dct_type=1 needs at least 2 inputs, got {n_in}")
    import scipy.fft  # a third of a second to import: on first use only

    basis = scipy.fft.dct(np.eye(n_in), type=dct_type, norm=norm, axis=0)
    return np.ascontiguousarray(basis[:n_out], dtype=dtype)


def hz_to_octs(frequencies, *, tuning: float = 0.0, bins_per_octave: int = 12):
    """Hz -> octaves above A0 = 27.5 Hz (A0 shifted by ``tuning`` bins), librosa's ``hz_to_octs``."""
    a440 = 440.0 * 2.0 ** (tuning / bins_per_octave)
    return np.log2(np.asanyarray(frequencies) / (float(a440) / 16))


def chroma(*, sr: float, n_fft: int, n_chroma: int = 12, tuning: float = 0.0, ctroct: float = 5.0,
           octwidth: float | None = 2, norm: float | None = 2, base_c: bool = True,
           dtype=np.float32) -> np.ndarray:
    """Chroma filterbank projecting FFT bins onto pitch classes, the same matrix as ``librosa.filters.chroma``.

    Each FFT bin k > 0 is placed at ``n_chroma * log2(f_k / (A440 / 16))`` chroma bins
    (A440 shifted by ``tuning``); pitch class c receives a Gaussian bump of the circular
    distance, twice as narrow as the bin spacing (at least one chroma bin wide). Columns
    are normalised by ``norm``, then weighted by a Gaussian over octaves centred at
    ``ctroct`` with half-width ``octwidth``. The 0 Hz bin is placed 1.5 octaves below bin 1.

    Parameters
    ----------
    sr : float > 0
        Sampling rate (Hz).
    n_fft : int > 0
        FFT size; the basis has ``1 + n_fft // 2`` columns.
    n_chroma : int > 0
        Pitch classes per octave (12 semitones; 24 quarter tones...).
    tuning : float
        Deviation from A440 in fractions of a chroma bin (e.g. 0.2 = +20 cents for 12 bins).
    ctroct : float
        Centre of the octave weighting, in octaves above A0 = 27.5 Hz (:func:`hz_to_octs`;
        the default 5 is 880 Hz).
    octwidth : float > 0 or None
        Gaussian half-width of the octave weighting (octaves); None weighs all octaves alike.
    norm : float or None
        Normalisation of each column (FFT bin) over the chroma bins: np.inf, -np.inf, 0,
        p > 0 (default 2), or None.
    base_c : bool
        Row 0 is C (True) or A (False).
    dtype : np.float32 or np.float64
        Output dtype (librosa's default is float32); computed in float64.

    Returns
    -------
    np.ndarray [shape=(n_chroma, 1 + n_fft // 2)]

    Examples
    --------
    >>> import fasttag
    >>> fasttag.filters.chroma(sr=22050, n_fft=2048).shape
    (12, 1025)
    """
    sr = _validate.positive_float(sr, "sr")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    n_chroma = _validate.positive_int(n_chroma, "n_chroma")
    if n_fft < 2:
        raise ParameterError(f"n_fft={n_fft} must be at least 2 for a chroma filterbank")
    tuning = _validate.finite_float(tuning, "tuning")
    ctroct = _validate.finite_float(ctroct, "ctroct")
    if octwidth is not None:
        octwidth = _validate.positive_float(octwidth, "octwidth")
    _normalize.check_norm(norm)
    dtype = _validate.dtype_in(dtype, (np.float32, np.float64))

    frequencies = np.linspace(0, sr, n_fft, endpoint=False)[1:]
    frqbins = n_chroma * hz_to_octs(frequencies, tuning=tuning, bins_per_octave=n_chroma)
    # The 0 Hz bin: 1.5 octaves below bin 1 (so it is spread over all pitch classes).
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    D = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(float(n_chroma) / 2)
    # Circular distance in -n_chroma/2 .. n_chroma/2 (10 n_chroma keeps the remainder's input positive).
    D = np.remainder(D + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * D / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    wts = _normalize.normalize(wts, norm, axis=0)
    if octwidth is not None:
        wts *= np.tile(np.exp(-0.5 * (((frqbins / n_chroma - ctroct) / octwidth) ** 2)), (n_chroma, 1))
    if base_c:
        wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : 1 + n_fft // 2], dtype=dtype)
