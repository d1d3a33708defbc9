"""Chromagram from an STFT and tuning estimation (librosa's ``chroma_stft``, ``estimate_tuning``)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import _core, _normalize, _validate, filters
from ._workers import resolve_workers
from .errors import ParameterError
from .spectrum import framing

__all__ = ["chroma_stft", "estimate_tuning", "pitch_tuning"]


def _power_spectrogram(y, *, n_fft, hop_length, win_length, window, center, pad_mode, power, workers):
    """|stft(y)|**power as (..., 1 + n_fft // 2, n_frames) real, in one fused pass (no complex STFT stored).

    The fused mel kernel with an identity basis: each basis row has a one-bin nonzero span,
    so the "projection" is a copy of |X|^power.
    """
    y = _validate.audio(y, check_finite=False)  # the kernel scans for NaN/Inf
    frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                     window=window, center=center, pad_mode=pad_mode)
    n_bins = frames.window.shape[0] // 2 + 1
    with _validate.core_errors():
        out = _core.melspectrogram(_validate.as_rows(y, 1), frames.window, np.eye(n_bins, dtype=y.dtype),
                                   *frames.geometry(), power, None, 1e-10, None, resolve_workers(workers))
    return out.reshape(y.shape[:-1] + out.shape[1:])


def pitch_tuning(frequencies, *, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """Tuning offset (fractions of a bin, in [-0.5, 0.5)) of a collection of pitches, relative to A440.

    The histogram peak of the frequencies' distances to the nearest equal-tempered bin
    (librosa's ``pitch_tuning``).

    Parameters
    ----------
    frequencies : array_like of float (Hz)
        Detected pitches; values <= 0 are ignored.
    resolution : float in (0, 1)
        Histogram bin width, in fractions of a bin (0.01 = cents for 12 bins per octave).
    bins_per_octave : int > 0

    Returns
    -------
    float
    """
    resolution = _resolution(resolution)
    bins_per_octave = _validate.positive_int(bins_per_octave, "bins_per_octave")
    frequencies = np.atleast_1d(frequencies)
    frequencies = frequencies[frequencies > 0]
    if not np.any(frequencies):
        warnings.warn("Trying to estimate tuning from empty frequency set.", UserWarning, stacklevel=2)
        return 0.0
    residual = np.mod(bins_per_octave * filters.hz_to_octs(frequencies), 1.0)
    residual[residual >= 0.5] -= 1.0  # 0.95 bins is more likely -0.05 from the next bin up
    bins = np.linspace(-0.5, 0.5, int(np.ceil(1.0 / resolution)) + 1)
    counts, edges = np.histogram(residual, bins)
    return float(edges[np.argmax(counts)])


def _resolution(value) -> float:
    value = _validate.positive_float(value, "resolution")
    if value >= 1:
        raise ParameterError(f"resolution={value!r} must be in (0, 1)")
    return value


def _peak_pitches(S: np.ndarray, *, sr: float, n_fft: int, fmin: float, fmax: float, threshold: float):
    """librosa's ``piptrack`` peaks of one (n_bins, n_frames) spectrogram: (pitches, mags) of the peaks.

    A peak is a bin in [fmin, fmax) that exceeds ``threshold`` x its frame's maximum and is a
    local maximum over frequency (higher than the bin below, at least the bin above); its
    pitch and magnitude come from a parabola through it and its neighbours. Only the band
    is scanned (plus the frame maxima over all bins); the arithmetic and its float32/float64
    roundings are librosa's, so the same S gives the same peaks.
    """
    n_bins, _ = S.shape
    freqs = filters.fft_frequencies(sr=sr, n_fft=n_fft)
    band = np.flatnonzero((max(fmin, 0.0) <= freqs) & (freqs < min(fmax, sr / 2)))
    empty = np.zeros(0, dtype=S.dtype)
    if band.size == 0:
        return empty, empty
    k0, k1 = int(band[0]), int(band[-1]) + 1
    ref = threshold * np.max(S, axis=0)  # the S dtype, as librosa's threshold * np.max(S, axis=-2)
    lo, hi = max(k0 - 1, 0), min(k1 + 1, n_bins)
    Z = S[lo:hi] * (S[lo:hi] > ref)
    # librosa's localmax pads by repeating the edge: bin 0 is never a peak, the last bin can be.
    if k0 == 0:
        Z = np.concatenate([Z[:1], Z])
    if k1 == n_bins:
        Z = np.concatenate([Z, Z[-1:]])
    centre = Z[1:-1]
    k, t = np.nonzero((centre > Z[:-2]) & (centre >= Z[2:]))
    if k.size == 0:
        return empty, empty
    k = k + k0
    x0 = S[k, t]
    inner = (k > 0) & (k < n_bins - 1)  # librosa sets the shift at both edge bins to 0
    below = np.where(inner, S[np.maximum(k - 1, 0), t], x0)
    above = np.where(inner, S[np.minimum(k + 1, n_bins - 1), t], x0)
    # The parabola's vertex, rounded as librosa's numba stencil does it (2 * x[0] is float64).
    a = (above + below).astype(np.float64) - 2 * x0.astype(np.float64)
    b = (above - below).astype(np.float64) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(np.abs(b) >= np.abs(a), 0.0, -b / a).astype(S.dtype)
    shift[~inner] = 0
    # np.gradient: central differences inside, one-sided at the edges (where the shift is 0).
    avg = (above - below) / 2
    mags = x0 + 0.5 * avg * shift
    pitches = ((k + shift) * float(sr) / n_fft).astype(S.dtype)
    return pitches, mags


def _tuning_of(S, *, sr, n_fft, fmin, fmax, threshold, resolution, bins_per_octave) -> float:
    pitches, mags = _peak_pitches(S, sr=sr, n_fft=n_fft, fmin=fmin, fmax=fmax, threshold=threshold)
    positive = pitches > 0
    cut = np.median(mags[positive]) if positive.any() else 0.0
    return pitch_tuning(pitches[(mags >= cut) & positive], resolution=resolution, bins_per_octave=bins_per_octave)


def estimate_tuning(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int | None = None,
                    win_length: int | None = None, window="hann", center: bool = True,
                    pad_mode: str = "constant", resolution: float = 0.01, bins_per_octave: int = 12,
                    fmin: float = 150.0, fmax: float = 4000.0, threshold: float = 0.1,
                    workers: int | None = None):
    """Tuning offset of a recording relative to A440, in fractions of a bin (librosa's ``estimate_tuning``).

    Spectral peaks between ``fmin`` and ``fmax`` (librosa's ``piptrack``: local maxima above
    ``threshold`` x the frame's maximum, refined by parabolic interpolation) whose magnitude
    is at least the median peak magnitude vote in a histogram of distances to the
    equal-tempered grid (:func:`pitch_tuning`).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio; its magnitude spectrogram ``|stft(y)|`` is used.
    sr : float > 0
        Sampling rate (Hz).
    S : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)] or None
        A magnitude or power spectrogram instead of ``y`` (chroma_stft passes power).
    n_fft, hop_length, win_length, window, center, pad_mode
        STFT parameters for ``y`` (as :func:`fasttag.stft`; hop_length defaults to win_length // 4).
    resolution : float in (0, 1)
        Histogram resolution in fractions of a bin.
    bins_per_octave : int > 0
    fmin, fmax : float (Hz)
        The band searched for peaks (clipped to [0, sr/2]).
    threshold : float
        Peaks below ``threshold`` x their frame's maximum are ignored.
    workers : int or None
        Threads for the STFT.

    Returns
    -------
    float, or np.ndarray [shape=(...)] for a batch: one estimate per clip (librosa pools the
    peaks of all channels into one estimate).

    Examples
    --------
    >>> fasttag.estimate_tuning(y, sr=22050)   # e.g. 0.12: about +12 cents
    """
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    sr = _validate.positive_float(sr, "sr")
    resolution = _resolution(resolution)
    bins_per_octave = _validate.positive_int(bins_per_octave, "bins_per_octave")
    fmin, fmax, threshold = (_real(v, name) for v, name in ((fmin, "fmin"), (fmax, "fmax"), (threshold, "threshold")))
    if S is None:
        S = _power_spectrogram(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                               center=center, pad_mode=pad_mode, power=1.0, workers=workers)
    else:
        S = np.abs(_validate.float_array(S, "S", min_ndim=2))
    n_fft = 2 * (S.shape[-2] - 1)
    if n_fft < 2:
        raise ParameterError(f"S has {S.shape[-2]} frequency bin(s); a spectrogram needs at least 2")
    kwargs = dict(sr=sr, n_fft=n_fft, fmin=fmin, fmax=fmax, threshold=threshold, resolution=resolution,
                  bins_per_octave=bins_per_octave)
    if S.ndim == 2:
        return _tuning_of(S, **kwargs)
    return np.array([_tuning_of(S[i], **kwargs) for i in np.ndindex(S.shape[:-2])]).reshape(S.shape[:-2])


def _real(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ParameterError(f"{name}={value!r} must be a finite number")
    return float(value)


def chroma_stft(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                n_chroma: int = 12, tuning: float | None = 0.0, norm: float | None = np.inf,
                ctroct: float = 5.0, octwidth: float | None = 2, base_c: bool = True,
                workers: int | None = None) -> np.ndarray:
    """Chromagram: the power spectrogram projected on pitch classes (librosa's ``chroma_stft``).

    ``normalize(filters.chroma(...) @ |stft(y)|**2, norm, axis=-2)``. From audio with a
    given ``tuning`` this is one fused C++ pass (frame -> window -> FFT -> |.|^2 -> chroma
    filterbank) that never stores the spectrogram; ``tuning=None`` stores the power
    spectrogram once, estimates the tuning from it, then projects it.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio (float32/float64); leading dimensions are a batch.
    sr : float > 0
        Sampling rate (Hz).
    S : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)] or None
        A power spectrogram instead of ``y``; n_fft is taken from its shape.
    n_fft, hop_length, win_length, window, center, pad_mode
        As in :func:`fasttag.stft` (hop_length default 512 as librosa).
    n_chroma : int > 0
        Pitch classes per octave.
    tuning : float or None
        Deviation from A440 in fractions of a chroma bin. ``None`` estimates it per clip with
        :func:`estimate_tuning` (on the power spectrogram, as librosa). **The default is 0.0
        (no estimation), where librosa's is None**: pass ``tuning=None`` for librosa's default.
    norm : float or None
        Normalisation of each frame's chroma vector: np.inf (max = 1, default), -np.inf, 0,
        p > 0 (p-norm) or None. Frames whose norm is below the dtype's smallest normal
        number are left unscaled (silence stays zero).
    ctroct, octwidth, base_c
        Filterbank options, as :func:`fasttag.filters.chroma`.
    workers : int or None
        Threads (scipy.fft's convention).

    Returns
    -------
    np.ndarray [shape=(..., n_chroma, n_frames)], the input's float dtype. Row 0 is C when
    ``base_c``.

    Notes
    -----
    For a batch with ``tuning=None``, each clip gets its own tuning estimate; librosa
    estimates one tuning over all channels of its input.

    Examples
    --------
    >>> C = fasttag.chroma_stft(y, sr=22050)            # (12, n_frames), max 1 per frame
    >>> C = fasttag.chroma_stft(y, sr=22050, tuning=None)   # as librosa's default
    """
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    sr = _validate.positive_float(sr, "sr")
    _normalize.check_norm(norm)
    if tuning is not None:
        tuning = _real(tuning, "tuning")
    fb_kwargs = dict(sr=sr, n_chroma=n_chroma, ctroct=ctroct, octwidth=octwidth, base_c=base_c)
    if y is not None and tuning is not None:
        y = _validate.audio(y, check_finite=False)  # the kernel scans for NaN/Inf
        frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                         window=window, center=center, pad_mode=pad_mode)
        # librosa builds the filterbank in float32 whatever the signal's dtype; so do we.
        basis = filters.chroma(n_fft=frames.window.shape[0], tuning=tuning, **fb_kwargs).astype(y.dtype)
        with _validate.core_errors():
            raw = _core.melspectrogram(_validate.as_rows(y, 1), frames.window, basis, *frames.geometry(), 2.0,
                                       None, 1e-10, None, resolve_workers(workers))
        raw = raw.reshape(y.shape[:-1] + raw.shape[1:])
        return _normalize.normalize(raw, norm, axis=-2)
    if y is not None:
        S = _power_spectrogram(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                               center=center, pad_mode=pad_mode, power=2.0, workers=workers)
    else:
        S = _validate.float_array(S, "S", min_ndim=2)
    n_fft = 2 * (S.shape[-2] - 1)
    if n_fft < 2:
        raise ParameterError(f"S has {S.shape[-2]} frequency bin(s); a spectrogram needs at least 2")
    if tuning is not None:
        basis = filters.chroma(n_fft=n_fft, tuning=tuning, **fb_kwargs).astype(S.dtype)
        raw = _project(basis, S, workers)
    else:
        tunings = estimate_tuning(S=S, sr=sr, bins_per_octave=n_chroma)
        items = _validate.as_rows(S, 2)
        raw = np.empty(items.shape[:1] + (n_chroma, S.shape[-1]), dtype=S.dtype)
        for i, item_tuning in enumerate(np.atleast_1d(tunings).ravel()):
            basis = filters.chroma(n_fft=n_fft, tuning=float(item_tuning), **fb_kwargs).astype(S.dtype)
            raw[i] = _project(basis, items[i], workers)
        raw = raw.reshape(S.shape[:-2] + raw.shape[1:])
    return _normalize.normalize(raw, norm, axis=-2)


def _project(basis: np.ndarray, X: np.ndarray, workers) -> np.ndarray:
    """``basis @ X`` over the second-to-last axis by the C++ projection: (..., n_in, t) -> (..., n_out, t)."""
    with _validate.core_errors():
        out = _core.project(basis, _validate.as_rows(X, 2), resolve_workers(workers))
    return out.reshape(X.shape[:-2] + out.shape[1:])
