"""Chromagram from an STFT and tuning estimation (librosa's ``chroma_stft``, ``estimate_tuning``)."""

from __future__ import annotations

import inspect

import numpy as np

from . import _core, _normalize, _validate, _warnings, filters
from ._memo import shared_filterbank
from ._workers import resolve_workers
from .errors import ParameterError
from .spectrum import framing, spectrogram_n_fft, stft

__all__ = ["chroma_stft", "estimate_tuning", "pitch_tuning"]


def pitch_tuning(frequencies, *, resolution: float = 0.01, bins_per_octave: int = 12) -> float:
    """Tuning offset (fractions of a bin, in [-0.5, 0.5)) of a collection of pitches, relative to A440.

    The histogram peak of the frequencies' distances to the nearest equal-tempered bin
    (librosa's ``pitch_tuning``).

    Parameters
    ----------
    frequencies : array_like of float (Hz)
        Detected pitches; values <= 0 and NaN (no pitch, as pyin's unvoiced frames) are ignored.
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
    if frequencies.size:  # none at all is librosa's warning below
        frequencies = _validate.float_array(frequencies, "frequencies", check_finite=False)
        if np.isinf(frequencies).any():
            raise ParameterError("frequencies contains infinite values (NaN, a frame without a pitch, is ignored)")
    frequencies = frequencies[frequencies > 0]  # NaN too
    if not np.any(frequencies):
        _warnings.warn("Trying to estimate tuning from empty frequency set.")
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


def _band(*, sr: float, n_fft: int, fmin: float, fmax: float) -> tuple[int, int]:
    """The bins [k0, k1) of an n_fft-point spectrum whose frequencies lie in [fmin, fmax), clipped to [0, sr/2)."""
    freqs = filters.fft_frequencies(sr=sr, n_fft=n_fft)
    band = np.flatnonzero((max(fmin, 0.0) <= freqs) & (freqs < min(fmax, sr / 2)))
    return (int(band[0]), int(band[-1]) + 1) if band.size else (0, 0)


def _tunings(counts: np.ndarray, pitches: np.ndarray, mags: np.ndarray, *, resolution, bins_per_octave) -> np.ndarray:
    """One tuning per row from the C++ peak lists (librosa's ``estimate_tuning`` after ``piptrack``):
    the peaks of at least the median magnitude vote in :func:`pitch_tuning`."""
    tunings = np.empty(len(counts))
    ends = np.cumsum(counts)
    for row, (start, stop) in enumerate(zip(ends - counts, ends)):
        row_pitches, row_mags = pitches[start:stop], mags[start:stop]
        positive = row_pitches > 0
        cut = np.median(row_mags[positive]) if positive.any() else 0.0
        tunings[row] = pitch_tuning(row_pitches[(row_mags >= cut) & positive], resolution=resolution,
                                    bins_per_octave=bins_per_octave)
    return tunings


def _audio_tunings(y: np.ndarray, frames, *, sr, power, pitch_n_fft, fmin, fmax, threshold, resolution,
                   bins_per_octave, workers) -> np.ndarray:
    """Tuning of each row of y (rows, n_samples) from the peaks of |stft|**power, found frame by frame
    in C++ without storing the spectrogram; bin k is at k sr / pitch_n_fft Hz, for the band searched too, and a peak
    at bin k + shift is (k + shift) sr / pitch_n_fft Hz."""
    k0, k1 = _band(sr=sr, n_fft=pitch_n_fft, fmin=fmin, fmax=fmax)
    with _validate.core_errors():
        peaks = _core.spectral_peaks(y, frames.window, *frames.geometry(), power, k0, k1, threshold, sr, pitch_n_fft,
                                     resolve_workers(workers))
    return _tunings(*peaks, resolution=resolution, bins_per_octave=bins_per_octave)


def _spectrogram_tunings(S: np.ndarray, *, sr, n_fft, fmin, fmax, threshold, resolution, bins_per_octave, workers,
                         ref=None) -> np.ndarray:
    """Tuning of each (n_bins, n_frames) item of S (rows, n_bins, n_frames), an FFT of n_fft samples
    (see spectrogram_n_fft); the peaks above ``threshold`` x each frame's maximum (in C++), or above
    ``ref`` (see :func:`estimate_tuning`)."""
    n_fft = spectrogram_n_fft(n_fft, S.shape[-2])
    k0, k1 = _band(sr=sr, n_fft=n_fft, fmin=fmin, fmax=fmax)
    if ref is not None:
        peaks = _peaks_above(S, _peak_floor(ref, S, threshold), k0=k0, k1=k1, sr=sr, n_fft=n_fft)
    else:
        with _validate.core_errors():
            peaks = _core.spectrogram_peaks(S, k0, k1, threshold, sr, n_fft, resolve_workers(workers))
    return _tunings(*peaks, resolution=resolution, bins_per_octave=bins_per_octave)


def _peak_floor(ref, S: np.ndarray, threshold: float):
    """librosa piptrack's floor for the peaks of S (rows, n_bins, n_frames): ``threshold * ref(S, axis=-2)`` per frame
    (rows, 1, n_frames) for a callable ``ref``, else the number ``|ref|`` (threshold unused, as in librosa)."""
    if not callable(ref):
        if not _validate.is_finite_real(ref):
            raise ParameterError(f"ref={ref!r:.60} must be None, a number or a callable such as np.max")
        return abs(float(ref))
    try:
        floor = ref(S, axis=-2)
    except TypeError as error:  # e.g. len, which takes no axis
        raise ParameterError(f"ref={ref!r} cannot be called as ref(S, axis=-2): {error}") from error
    floor = _validate.float_array(floor, f"the result of ref={ref!r}", min_ndim=0)
    if floor.shape != S.shape[:1] + S.shape[2:]:
        raise ParameterError(f"the result of ref={ref!r} has shape {floor.shape}: ref(S, axis=-2) must give one "
                             "value per frame of each clip, as np.max does")
    return threshold * floor[:, None, :]


def _peaks_above(S: np.ndarray, floor, *, k0: int, k1: int, sr: float, n_fft: int) -> tuple:
    """The peaks of S (rows, n_bins, n_frames) in bins [k0, k1) as librosa's piptrack finds them above ``floor``
    (a number, or (rows, 1, n_frames)), as the C++ peak kernels give them: (counts (rows,), pitches (Hz),
    magnitudes). A peak is a local maximum of S where above the floor, else 0; a parabola through it and its
    neighbours places it between bins and gives its height."""
    n_bins = S.shape[-2]
    bins = np.arange(max(k0, 1), min(k1, n_bins))  # bin 0 is never above itself, the edge repeated (localmax's rule)
    below, centre, above = S[:, bins - 1], S[:, bins], S[:, np.minimum(bins + 1, n_bins - 1)]
    kept = lambda x: np.where(x > floor, x, 0)  # noqa: E731
    peak = (kept(centre) > kept(below)) & (kept(centre) >= kept(above))
    half_slope = (above - below) / 2  # librosa's precisions (the C++ kernels' too): sums in S's dtype, ratio in float64
    curvature = (above + below).astype(np.float64) - 2 * centre.astype(np.float64)
    unshifted = (bins[:, None] == n_bins - 1) | (np.abs(half_slope) >= np.abs(curvature))  # the last bin: no parabola
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(unshifted, 0, -half_slope / curvature).astype(S.dtype)
    pitches = (bins[:, None] + shift) * float(sr) / n_fft
    magnitudes = centre + 0.5 * half_slope * shift
    return peak.sum(axis=(1, 2)), pitches[peak].astype(S.dtype), magnitudes[peak]


def estimate_tuning(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int | None = None,
                    win_length: int | None = None, window="hann", center: bool = True,
                    pad_mode: str = "constant", resolution: float = 0.01, bins_per_octave: int = 12,
                    fmin: float = 150.0, fmax: float = 4000.0, threshold: float = 0.1, ref=None,
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
    ref : None, number or callable
        librosa's piptrack ``ref``: a callable (e.g. np.mean) sets each frame's floor at ``threshold *
        ref(S, axis=-2)``; a number is the floor ``|ref|`` itself (``threshold`` unused, as in
        librosa). None (default) is np.max, computed in the fused pass; any other ref stores the
        magnitude spectrogram.
    workers : int or None
        Threads for the STFT.

    Returns
    -------
    float, or np.ndarray [shape=(...)] for a batch: one estimate per clip (librosa pools the
    peaks of all channels into one estimate).

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> round(float(fasttag.estimate_tuning(y, sr=22050)), 1)   # the generated music is tuned to A440
    0.0
    >>> sharp = 22050 * 2 ** (0.25 / 12)   # the same samples played a quarter semitone (25 cents) higher
    >>> round(float(fasttag.estimate_tuning(y, sr=sharp)), 1)
    0.3
    """
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    sr = _validate.positive_float(sr, "sr")
    resolution = _resolution(resolution)
    bins_per_octave = _validate.positive_int(bins_per_octave, "bins_per_octave")
    fmin, fmax, threshold = (_validate.finite_float(v, name)
                             for v, name in ((fmin, "fmin"), (fmax, "fmax"), (threshold, "threshold")))
    search = dict(sr=sr, fmin=fmin, fmax=fmax, threshold=threshold, resolution=resolution,
                  bins_per_octave=bins_per_octave, workers=workers)
    if S is None and ref is not None:  # its peaks are found in the stored spectrogram
        S = np.abs(stft(y, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=center,
                        pad_mode=pad_mode, workers=workers))
    if S is None:
        y = _validate.audio(y, check_finite=False)  # the kernel scans for NaN/Inf
        frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                         window=window, center=center, pad_mode=pad_mode)
        tunings = _audio_tunings(frames.rows(y), frames, power=1.0, pitch_n_fft=frames.window.shape[0],
                                 **search)
        batch_shape = y.shape[:-1]
    else:
        S = np.abs(_spectrogram(S))
        tunings = _spectrogram_tunings(_validate.as_rows(S, 2), n_fft=n_fft, ref=ref, **search)
        batch_shape = S.shape[:-2]
    return tunings.reshape(batch_shape) if batch_shape else float(tunings[0])


def _spectrogram(S) -> np.ndarray:
    """S (..., n_bins, n_frames) as a float array with at least 2 frequency bins, or ParameterError."""
    S = _validate.float_array(S, "S", min_ndim=2)
    if S.shape[-2] < 2:
        raise ParameterError(f"S has {S.shape[-2]} frequency bin(s); a spectrogram needs at least 2")
    return S


def chroma_arguments(y, S, sr, norm, tuning, n_chroma) -> tuple[float, float | None, int]:
    """The checks chroma_stft makes on the CPU and the GPU: exactly one of ``y`` and ``S``, a valid
    ``norm``; returns (sr, tuning, n_chroma) as float, float or None, and int."""
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    sr = _validate.positive_float(sr, "sr")
    _normalize.check_norm(norm)
    n_chroma = _validate.positive_int(n_chroma, "n_chroma")
    return sr, None if tuning is None else _validate.finite_float(tuning, "tuning"), n_chroma


# estimate_tuning's defaults, which librosa's chroma_stft(tuning=None) uses.
_ESTIMATE_TUNING_DEFAULTS = {name: inspect.signature(estimate_tuning).parameters[name].default
                             for name in ("fmin", "fmax", "threshold", "resolution")}


def clip_tunings(items: np.ndarray, frames, tuning, *, sr: float, n_chroma: int, workers: int) -> np.ndarray:
    """chroma_stft's tuning of each item (rows,): ``tuning`` for all, or with ``tuning=None`` each
    one's estimate as librosa's chroma_stft makes it, on the power spectrogram. ``items`` are
    audio rows (rows, n_samples) framed by ``frames``, or power spectrograms (rows, n_bins,
    n_frames) when ``frames`` is None."""
    if tuning is not None:
        return np.full(len(items), tuning)
    if frames is not None:
        # pitches in bins of sr / (2 (n_bins - 1)), as if the spectrogram were given
        n_fft = frames.window.shape[0]
        return _audio_tunings(items, frames, power=2.0, pitch_n_fft=2 * (n_fft // 2), sr=sr,
                              bins_per_octave=n_chroma, workers=workers, **_ESTIMATE_TUNING_DEFAULTS)
    # librosa's chroma_stft calls estimate_tuning(S=S) without its n_fft: an odd n_fft is not kept there
    return _spectrogram_tunings(np.abs(items), sr=sr, n_fft=None, bins_per_octave=n_chroma, workers=workers,
                                **_ESTIMATE_TUNING_DEFAULTS)


@shared_filterbank
def chroma_basis(dtype, *, sr, n_fft, n_chroma, tuning, ctroct, octwidth, base_c, basis_dtype=np.float32) -> np.ndarray:
    """The (n_chroma, 1 + n_fft // 2) filterbank chroma_stft projects on, in ``dtype``, read-only:
    built in ``basis_dtype`` (librosa's ``filters.chroma(dtype=)``: float32 whatever the signal's dtype by default)."""
    return filters.chroma(sr=sr, n_fft=n_fft, n_chroma=n_chroma, tuning=float(tuning), ctroct=ctroct,
                          octwidth=octwidth, base_c=base_c, dtype=basis_dtype).astype(dtype)


def chroma_stft(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                n_chroma: int = 12, tuning: float | None = 0.0, norm: float | None = np.inf,
                ctroct: float = 5.0, octwidth: float | None = 2, base_c: bool = True, dtype=np.float32,
                workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Chromagram: the power spectrogram projected on pitch classes (librosa's ``chroma_stft``).

    ``normalize(filters.chroma(...) @ |stft(y)|**2, norm, axis=-2)``. From audio with a
    given ``tuning`` this is one fused C++ pass (frame -> window -> FFT -> |.|^2 -> chroma
    filterbank) that never stores the spectrogram; ``tuning=None`` first finds the spectral
    peaks of each clip in a pass of the same kind (:func:`estimate_tuning`), then runs the
    fused chroma pass with the estimated tuning. From ``S`` the projection is one C++ pass
    over the stored spectrogram.

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
    dtype : np.float32 or np.float64
        The filterbank's dtype (librosa's ``filters.chroma(dtype=)``, default float32); float64 makes
        the result float64 (as librosa's), float32 input then computed in float64. float32 on the GPU.
    workers : int or None
        Threads (scipy.fft's convention).
    device : {"cpu", "cuda"}
        "cuda": the fused GPU kernel projects |X|^2 on the filterbank (see :mod:`fasttag.cuda`;
        n_fft a power of two). ``tuning=None`` is then estimated on the CPU, from a host copy
        of GPU arrays.

    Returns
    -------
    np.ndarray [shape=(..., n_chroma, n_frames)], the input's float dtype, or float64 for
    dtype=np.float64. Row 0 is C when ``base_c``.

    Notes
    -----
    For a batch with ``tuning=None``, each clip gets its own tuning estimate; librosa
    estimates one tuning over all channels of its input.

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> C = fasttag.chroma_stft(y, sr=22050)            # (12, n_frames), max 1 per frame
    >>> C.shape, bool(np.allclose(C.max(axis=0), 1.0))
    ((12, 130), True)
    >>> C = fasttag.chroma_stft(y, sr=22050, tuning=None)   # as librosa's default
    """
    if device != "cpu":
        from . import cuda

        filters.filterbank_dtype(dtype, device)
        cuda.check_device(device)
        return cuda.chroma_stft(y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                                window=window, center=center, pad_mode=pad_mode, n_chroma=n_chroma, tuning=tuning,
                                norm=norm, ctroct=ctroct, octwidth=octwidth, base_c=base_c, workers=workers)
    sr, tuning, n_chroma = chroma_arguments(y, S, sr, norm, tuning, n_chroma)
    dtype = filters.filterbank_dtype(dtype, device)
    workers = resolve_workers(workers)
    if y is not None:
        y = filters.promoted(_validate.audio(y, check_finite=False), dtype)  # the kernels scan for NaN/Inf
        frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                         window=window, center=center, pad_mode=pad_mode)
        items, batch_shape, n_fft = frames.rows(y), y.shape[:-1], frames.window.shape[0]

        def project(basis, rows):  # one fused pass: frames -> |FFT|^2 -> basis, no spectrogram stored
            with _validate.core_errors():
                return _core.melspectrogram(rows, frames.window, basis, *frames.geometry(), 2.0, None, 1e-10, None,
                                            workers)
    else:
        S = filters.promoted(_spectrogram(S), dtype)
        items, batch_shape = _validate.as_rows(S, 2), S.shape[:-2]
        n_fft = spectrogram_n_fft(n_fft, S.shape[-2])
        frames = None

        def project(basis, rows):
            with _validate.core_errors():
                return _core.project(basis, rows, workers)
    tunings = clip_tunings(items, frames, tuning, sr=sr, n_chroma=n_chroma, workers=workers)
    fb_kwargs = dict(sr=sr, n_fft=n_fft, n_chroma=n_chroma, ctroct=ctroct, octwidth=octwidth, base_c=base_c,
                     basis_dtype=dtype)
    raw = None
    for value in np.unique(tunings):  # one filterbank per distinct tuning
        basis = chroma_basis(items.dtype, tuning=value, **fb_kwargs)
        which = tunings == value
        if which.all():
            raw = project(basis, items)
        else:
            part = project(basis, np.ascontiguousarray(items[which]))
            raw = np.empty((len(items),) + part.shape[1:], dtype=part.dtype) if raw is None else raw
            raw[which] = part
    raw = raw.reshape(batch_shape + raw.shape[1:])
    return _normalize.normalize(raw, norm, axis=-2)
