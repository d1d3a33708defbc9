"""Filterbanks and windows: the mel basis (librosa's, Slaney and HTK), the DCT basis."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.fft
import scipy.signal

from . import _validate
from .errors import ParameterError

__all__ = ["mel", "mel_frequencies", "hz_to_mel", "mel_to_hz", "fft_frequencies", "get_window", "dct"]

_WINDOW_NAMES = {
    "hann": "hann",
    "hamming": "hamming",
    "blackman": "blackman",
    "boxcar": "boxcar",
    "ones": "boxcar",
    "rectangular": "boxcar",
}

# Slaney's mel scale: linear below 1 kHz (one mel per 200/3 Hz), logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOGSTEP = np.log(6.4) / 27.0


def hz_to_mel(frequencies, *, htk: bool = False):
    """Hz -> mels (Slaney's scale by default, HTK's with ``htk=True``), as librosa."""
    f = np.asanyarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_part = _MIN_LOG_MEL + np.log(f / _MIN_LOG_HZ) / _LOGSTEP
    return np.where(f >= _MIN_LOG_HZ, log_part, f / _F_SP)


def mel_to_hz(mels, *, htk: bool = False):
    """Mels -> Hz, the inverse of :func:`hz_to_mel`."""
    m = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    return np.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * np.exp(_LOGSTEP * (m - _MIN_LOG_MEL)), _F_SP * m)


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0, htk: bool = False):
    """``n_mels`` frequencies (Hz) evenly spaced on the mel scale from fmin to fmax."""
    return mel_to_hz(np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels), htk=htk)


def fft_frequencies(*, sr: float = 22050, n_fft: int = 2048):
    """Centre frequencies (Hz) of the ``1 + n_fft // 2`` bins of a real FFT."""
    return np.fft.rfftfreq(n=n_fft, d=1.0 / sr)


def mel(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
        htk: bool = False, norm: str | None = "slaney", dtype=np.float32) -> np.ndarray:
    """Triangular mel filterbank, the same matrix as ``librosa.filters.mel``.

    Parameters
    ----------
    sr : float > 0
        Sampling rate (Hz).
    n_fft : int > 0
        FFT size; the basis has ``1 + n_fft // 2`` columns.
    n_mels : int, 1 <= n_mels <= 1 + n_fft // 2
        Number of mel bands.
    fmin, fmax : float, 0 <= fmin < fmax <= sr / 2
        Band edges (Hz); ``fmax=None`` is ``sr / 2``.
    htk : bool
        HTK's mel scale instead of Slaney's.
    norm : {"slaney", None}
        ``"slaney"`` scales each triangle to unit area (constant energy per band).
    dtype : np.float32 or np.float64
        Output dtype (librosa's default is float32).

    Returns
    -------
    np.ndarray [shape=(n_mels, 1 + n_fft // 2)]

    Examples
    --------
    >>> fasttag.filters.mel(sr=12000, n_fft=512, n_mels=96).shape
    (96, 257)
    """
    sr = _validate.positive_float(sr, "sr")
    n_fft = _validate.positive_int(n_fft, "n_fft")
    n_mels = _validate.positive_int(n_mels, "n_mels")
    n_bins = 1 + n_fft // 2
    if n_mels > n_bins:
        raise ParameterError(f"n_mels={n_mels} exceeds the {n_bins} frequency bins of n_fft={n_fft}")
    fmax = sr / 2 if fmax is None else float(fmax)
    if not 0 <= fmin < fmax:
        raise ParameterError(f"fmin={fmin} and fmax={fmax} must satisfy 0 <= fmin < fmax")
    if fmax > sr / 2:
        raise ParameterError(f"fmax={fmax} exceeds the Nyquist frequency sr/2 = {sr / 2}")
    if norm not in ("slaney", None):
        raise ParameterError(f"norm={norm!r} must be 'slaney' or None")
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise ParameterError(f"dtype={dtype!r} must be float32 or float64")

    mel_f = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    ramps = np.subtract.outer(mel_f, fft_frequencies(sr=sr, n_fft=n_fft))
    fdiff = np.diff(mel_f)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    # Rounded to dtype before normalising, as librosa does, so float32 results agree.
    weights = np.maximum(0, np.minimum(lower, upper)).astype(dtype)
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    if not np.all((mel_f[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            f"Empty mel filters: n_mels={n_mels} is too many for n_fft={n_fft} at sr={sr}; "
            "some bands will always be zero. Reduce n_mels or raise n_fft.",
            stacklevel=2,
        )
    return weights


def get_window(window, win_length: int, *, n_fft: int, dtype=np.float64) -> np.ndarray:
    """A periodic analysis window of ``win_length`` samples, zero-padded to ``n_fft`` (centred).

    ``window`` is a name ("hann", "hamming", "blackman", "boxcar"/"ones") or an array of
    ``win_length`` values.
    """
    if isinstance(window, str):
        name = _validate.choice(window, _WINDOW_NAMES, "window")
        values = scipy.signal.get_window(name, win_length, fftbins=True)
    else:
        values = np.asarray(window)
        if values.ndim != 1 or values.shape[0] != win_length:
            raise ParameterError(f"window array has shape {values.shape}, expected ({win_length},) = (win_length,)")
        if not np.issubdtype(values.dtype, np.number) or np.iscomplexobj(values) or not np.isfinite(values).all():
            raise ParameterError("window array must hold finite real numbers")
    padded = np.zeros(n_fft, dtype=dtype)
    start = (n_fft - win_length) // 2
    padded[start : start + win_length] = values
    return padded


def dct(n_out: int, n_in: int, *, dct_type: int = 2, norm: str | None = "ortho", dtype=np.float32) -> np.ndarray:
    """The first ``n_out`` rows of the ``n_in``-point DCT matrix (scipy's definition).

    Returns
    -------
    np.ndarray [shape=(n_out, n_in)] such that ``basis @ x`` is ``scipy.fft.dct(x, dct_type, norm=norm)[:n_out]``.
    """
    if dct_type not in (1, 2, 3):
        raise ParameterError(f"dct_type={dct_type!r} must be 1, 2 or 3")
    if norm not in ("ortho", None):
        raise ParameterError(f"norm={norm!r} must be 'ortho' or None")
    if dct_type == 1 and n_in < 2:
        raise ParameterError(f"dct_type=1 needs at least 2 inputs, got {n_in}")
    basis = scipy.fft.dct(np.eye(n_in), type=dct_type, norm=norm, axis=0)
    return np.ascontiguousarray(basis[:n_out], dtype=dtype)
