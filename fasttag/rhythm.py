"""Onset strength, autocorrelation tempogram and global tempo (librosa's semantics)."""

from __future__ import annotations

import itertools

import numpy as np

from . import _core, _normalize, _validate, filters
from ._workers import resolve_workers
from .errors import ParameterError
from .feature import logmel_keywords, mel_decibels, mel_power

__all__ = ["onset_strength", "tempogram", "tempo", "tempo_frequencies"]


def _fast_length(n: int) -> int:
    """The smallest 2^a 3^b 5^c >= n: a length on the FFT's fast path."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def onset_strength(y=None, *, sr: float = 22050, S=None, lag: int = 1, max_size: int = 1, ref=None,
                   detrend: bool = False, center: bool = True, feature=None, aggregate=None, n_fft: int = 2048,
                   hop_length: int = 512, workers: int | None = None, device: str = "cpu", **kwargs) -> np.ndarray:
    """Spectral-flux onset strength on the log-mel spectrogram (librosa's ``onset.onset_strength``).

    ``mean_f max(0, S[f, t] - ref[f, t - lag])`` with ``S = logmel(y)`` (dB) and ``ref`` =
    S max-filtered over ``max_size`` bands, shifted so that it lines up with the frames of
    the audio.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio; its log-mel comes from the fused :func:`fasttag.logmel` (ref=1, top_db=80), or from
        :func:`fasttag.melspectrogram` and :func:`fasttag.power_to_db` for a ``power`` other than 2.
    sr : float > 0
        Sampling rate (Hz).
    S : np.ndarray [shape=(..., n_bands, n_frames)] or None
        A (log-power) spectrogram instead of ``y``.
    lag : int > 0
        Frames between the compared spectra.
    max_size : int > 0
        Width (bands) of the maximum filter over frequency applied to the reference (1: none).
    ref : np.ndarray [shape=S.shape] or None
        An explicit reference spectrum instead of the max-filtered S.
    detrend : bool
        Remove the DC component with a leaky differentiator (1 - z^-1) / (1 - 0.99 z^-1).
    center : bool
        Shift by ``n_fft // (2 hop_length)`` frames to undo the centred framing, and crop to
        n_frames.
    feature : None
        The spectrogram of ``y``: None (librosa's default), the mel spectrogram; no other is
        taken (compute it, and give its dB as ``S``).
    aggregate : callable or None
        Reduction over frequency, called as ``aggregate(x, axis=-2)``; default np.mean. It must
        return finite real values that broadcast to np.mean's shape (else ParameterError).
    n_fft, hop_length : int > 0
        STFT size and hop (samples).
    workers : int or None
        Threads for the log-mel (scipy.fft's convention).
    device : {"cpu", "cuda"}
        "cuda": the fused GPU log-mel, then the flux (and ``detrend``) on the GPU (see
        :mod:`fasttag.cuda`); ``aggregate`` must then be None (the mean).
    **kwargs
        Further :func:`fasttag.logmel` parameters (n_mels, fmin, fmax, htk, norm, dtype, window,
        win_length, pad_mode), and ``power`` (> 0, default 2: the exponent of the magnitude
        under the mel filters, as :func:`fasttag.melspectrogram`'s; other than 2 on
        device="cpu" only).

    Returns
    -------
    np.ndarray [shape=(..., n_frames)], S's float dtype

    Notes
    -----
    For a batch of clips (y of 2 or more dimensions) the 80 dB floor of the log-mel is
    taken per clip; librosa takes it over the whole array.

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> env = fasttag.onset_strength(y, sr=22050)          # (n_frames,), ~43 frames per second
    >>> env.shape, env.dtype
    ((130,), dtype('float32'))
    """
    if feature is not None:
        raise ParameterError(f"feature={feature!r} is not supported: onset_strength takes the mel spectrogram "
                             "(feature=None); compute another spectrogram and give its dB as S")
    power = mel_power(kwargs, device) if S is None else 2.0  # with S, a power left in kwargs is refused as unused
    if device != "cpu":
        from . import cuda

        filters.filterbank_dtype(kwargs.pop("dtype", np.float32), device)
        cuda.check_device(device)
        return cuda.onset_strength(y, sr=sr, S=S, lag=lag, max_size=max_size, ref=ref, detrend=detrend,
                                   center=center, aggregate=aggregate, n_fft=n_fft, hop_length=hop_length, **kwargs)
    aggregate, lag, max_size, n_fft, hop_length = onset_arguments(y, S, aggregate, lag, max_size, n_fft, hop_length,
                                                                  center, detrend, kwargs)
    if S is None:
        S = mel_decibels(y, power, sr=sr, n_fft=n_fft, hop_length=hop_length, workers=workers, **kwargs)
    else:
        S = _validate.float_array(S, "S")
        S = S[None] if S.ndim == 1 else S
    if ref is None and max_size == 1:
        ref = S
    elif ref is None:
        import scipy.ndimage  # on first use only, as scipy.signal below

        ref = scipy.ndimage.maximum_filter1d(S, max_size, axis=-2)
    else:
        ref = _validate.float_array(ref, "ref")
        if ref.shape != S.shape:
            raise ParameterError(f"ref has shape {ref.shape}, expected S's shape {S.shape}")
    flux = S[..., lag:] - ref[..., :-lag]
    np.maximum(flux, 0, out=flux)
    env = aggregated(aggregate, flux, flux.shape[:-2] + flux.shape[-1:], axis=-2)
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    padded = np.zeros(env.shape[:-1] + (env.shape[-1] + pad_width,), dtype=np.result_type(env.dtype, S.dtype))
    padded[..., pad_width:] = env
    if detrend:
        import scipy.signal  # scipy.signal takes half a second to import: on first use only

        padded = scipy.signal.lfilter([1.0, -1.0], [1.0, -0.99], padded, axis=-1).astype(padded.dtype)
    return padded[..., : S.shape[-1]] if center else padded


def onset_arguments(y, S, aggregate, lag, max_size, n_fft, hop_length, center, detrend, kwargs) -> tuple:
    """The checks onset_strength makes on the CPU and the GPU: exactly one of ``y`` and ``S``, log-mel
    ``kwargs`` only with ``y``, the flags. Returns (aggregate (np.mean for None), lag, max_size, n_fft, hop_length)."""
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    _validate.flag(center, "center")
    _validate.flag(detrend, "detrend")
    if aggregate is False:
        raise ParameterError("aggregate=False is not supported: onset_strength reduces over frequency")
    aggregate = np.mean if aggregate is None else aggregate
    if not callable(aggregate):
        raise ParameterError(f"aggregate={aggregate!r} must be callable or None")
    if S is not None and kwargs:
        raise ParameterError(f"{sorted(kwargs)} only apply to y (audio), not to S")
    logmel_keywords(kwargs, "onset_strength")
    return (aggregate,) + tuple(_validate.positive_int(value, name) for value, name in
                                ((lag, "lag"), (max_size, "max_size"), (n_fft, "n_fft"), (hop_length, "hop_length")))


def aggregated(aggregate, x: np.ndarray, shape: tuple, **kwargs) -> np.ndarray:
    """``aggregate(x, **kwargs)`` broadcast to ``shape`` (np.mean's result; librosa assigns the result into an
    array of that shape); ParameterError naming ``aggregate`` unless it takes that call and gives a finite real
    array (or number) that broadcasts so."""
    if 0 in shape:  # a clip of fewer frames than the lag: nothing to aggregate
        return np.zeros(shape, x.dtype)
    out = _aggregate_result(aggregate, x, kwargs)
    try:
        return np.broadcast_to(out, shape)
    except ValueError:
        raise ParameterError(f"the result of aggregate={aggregate!r} has shape {out.shape}, which does not broadcast "
                             f"to {shape}, the shape of np.mean(x, {_call(kwargs)})") from None


def _call(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _aggregate_result(aggregate, x: np.ndarray, kwargs: dict) -> np.ndarray:
    """``aggregate(x, **kwargs)`` as a finite real array, or ParameterError naming ``aggregate``."""
    try:
        out = aggregate(x, **kwargs)
    except TypeError as error:  # e.g. len, which takes no axis
        raise ParameterError(f"aggregate={aggregate!r} cannot be called as aggregate(x, {_call(kwargs)}): "
                             f"{error}") from error
    return _validate.float_array(out, f"the result of aggregate={aggregate!r}", min_ndim=0)


def _aggregated_tempogram(aggregate, tg: np.ndarray) -> np.ndarray:
    """tempo's ``aggregate(tg, axis=-1, keepdims=True)``, of shape ``tg.shape[:-1] + (n_columns,)`` (1 column, or any
    number over the same lags: librosa takes a tempo of each); else ParameterError naming ``aggregate`` (librosa
    refuses a number too, and fewer dimensions)."""
    out = _aggregate_result(aggregate, tg, dict(axis=-1, keepdims=True))
    if out.shape[:-1] != tg.shape[:-1] or out.ndim != tg.ndim:
        got = "is a number" if out.ndim == 0 else f"has shape {out.shape}"
        raise ParameterError(f"the result of aggregate={aggregate!r} {got}; tempo needs the lags of tg {tg.shape} "
                             f"kept, {tg.shape[:-1] + (1,)} (aggregate(tg, axis=-1, keepdims=True))")
    return out


def tempo_frequencies(n_bins: int, *, hop_length: int = 512, sr: float = 22050) -> np.ndarray:
    """Tempo (BPM) of each lag of an autocorrelation tempogram: ``60 sr / (hop_length lag)``, lag 0 = inf.

    Parameters
    ----------
    n_bins : int > 0
        Lags 0 ... n_bins - 1 (a tempogram's rows, its ``win_length``).
    hop_length : int > 0
        Samples between onset frames.
    sr : float > 0
        Sampling rate of the audio (Hz).

    Returns
    -------
    np.ndarray [shape=(n_bins,), dtype=float64]
        BPM of each lag, decreasing; ``inf`` for lag 0.
    """
    n_bins = _validate.positive_int(n_bins, "n_bins")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    sr = _validate.positive_float(sr, "sr")
    bpm = np.zeros(n_bins, dtype=np.float64)
    bpm[0] = np.inf
    bpm[1:] = 60.0 * sr / (hop_length * np.arange(1.0, n_bins))
    return bpm


MAX_COSINE_TERMS = 3  # windows w[i] = sum_{|k| < 3} beta_k e^(2 pi j k i / N) (Hann, Hamming, Blackman, boxcar)
#: Shorter cosine windows go through the FFT too: the running sums' cancellation grows as the
#: window shrinks (1e-10 of the peak at 6-9 lags, against 1e-16 by the FFT, which costs little there).
MIN_RUNNING_SUM_WINDOW = 16


def _cosine_window_products(window: np.ndarray) -> np.ndarray | None:
    """g (N, 2K - 1, 2): w[i] w[i + l] = Re sum_m g[l, m] e^(2 pi j m i / N), as (re, im), if the float64
    window (N,) is a sum of K <= MAX_COSINE_TERMS cosines periodic in N (to 1e-12 of its peak); else None."""
    n = window.shape[0]
    peak = np.max(np.abs(window))
    if n < 2 * MAX_COSINE_TERMS or peak == 0:
        return None
    spectrum = np.fft.fft(window) / n  # w[i] = sum_k spectrum[k] e^(2 pi j k i / n)
    i = np.arange(n)
    for n_cosines in range(1, MAX_COSINE_TERMS + 1):
        k = np.arange(1 - n_cosines, n_cosines)
        terms = spectrum[k % n, None] * np.exp(2j * np.pi * ((k[:, None] * i) % n) / n)  # beta_k e^(2 pi j k i / n)
        if np.max(np.abs(terms.sum(axis=0).real - window)) <= 1e-12 * peak:
            break
    else:
        return None
    # w[i] w[i + l] = sum_{k, k'} beta_k beta_k' e^(2 pi j k' l / n) e^(2 pi j (k + k') i / n): gamma_m(l) sums
    # the pairs with k + k' = m; g_0 = gamma_0 and g_m = 2 gamma_m for m >= 1 (gamma_-m is its conjugate).
    g = np.zeros((n, 2 * n_cosines - 1), dtype=np.complex128)
    for a, b in itertools.product(range(k.size), repeat=2):
        if k[a] + k[b] >= 0:
            g[:, k[a] + k[b]] += spectrum[k[a] % n] * terms[b]
    g[:, 1:] *= 2
    return np.ascontiguousarray(np.stack([g.real, g.imag], axis=-1))


def _autocorrelation_frames(env: np.ndarray, window: np.ndarray, n_frames: int, norm, workers: int) -> np.ndarray:
    """r[..., l, t] = sum_i (w x_t)[i] (w x_t)[i + l] for l < win_length, x_t = env[..., t : t + win_length],
    normalised over l by ``norm``; ``window`` is float64.

    One C++ pass; norm=inf (the default) is applied in it, other norms afterwards. A cosine-sum
    window (Hann and the like) takes running sums across lags in float64 (``cosine_autocorrelation``):
    a few operations per output. Any other window goes through the FFT, SIMD across frames: frame
    (hop 1) -> window -> rfft(N) -> |.|^2 -> real FFT of its even extension / N (the inverse DFT
    of a real, even |X|^2), with N >= 2 win_length - 1 so the correlation does not wrap around.
    """
    rows, n_samples = env.shape
    win_length = window.shape[0]
    fused_norm = norm == np.inf
    products = _cosine_window_products(window) if win_length >= MIN_RUNNING_SUM_WINDOW else None
    with _validate.core_errors():
        if products is not None:
            out = _core.cosine_autocorrelation(_validate.c_array(env), products, _validate.c_array(window),
                                               n_frames, normalize_peak=fused_norm, workers=workers)
        else:
            n = _fast_length(2 * win_length - 1)
            padded_window = np.zeros(n, dtype=env.dtype)
            padded_window[:win_length] = window
            # Frames read n samples from t: zeros after the signal make every frame fit.
            signal = np.zeros((rows, n_frames - 1 + n), dtype=env.dtype)
            signal[:, :n_samples] = env
            out = _core.autocorrelation(signal, padded_window, 1, 0, n_frames, win_length, 0,
                                        normalize_peak=fused_norm, workers=workers)
    return out if fused_norm else _normalize.normalize(out, norm, axis=-2)


def tempogram(y=None, *, sr: float = 22050, onset_envelope=None, hop_length: int = 512, win_length: int = 384,
              center: bool = True, window="hann", norm: float | None = np.inf,
              workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Autocorrelation tempogram: the local autocorrelation of the onset strength (librosa's ``feature.tempogram``).

    Each column is the autocorrelation, over lags 0 .. win_length - 1, of ``win_length``
    onset-envelope frames under ``window``, normalised by ``norm``. Lag l (frames) is a
    tempo of ``60 sr / (hop_length l)`` BPM (:func:`tempo_frequencies`).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio; its onset envelope is ``onset_strength(y, sr=sr, hop_length=hop_length)``.
    sr : float > 0
        Sampling rate (Hz).
    onset_envelope : np.ndarray [shape=(..., n_frames)] or None
        A precomputed onset strength envelope instead of ``y``.
    hop_length : int > 0
        Samples between onset frames.
    win_length : int > 0
        Autocorrelation window (onset frames); 384 is about 8.9 s at 22050 Hz, hop 512.
    center : bool
        Centre the windows on the frames: the envelope is extended by ``win_length // 2``
        frames on each side with linear ramps to 0. Otherwise windows start at the frames
        and there are ``n_frames - win_length + 1`` columns.
    window : str or np.ndarray [shape=(win_length,)]
        As :func:`fasttag.filters.get_window` (periodic).
    norm : float or None
        Normalisation of each column over lags (np.inf default: lag 0 = 1).
    workers : int or None
        Threads (scipy.fft's convention).
    device : {"cpu", "cuda"}
        "cuda": the onset strength and the autocorrelation (summed directly, in float64) on
        the GPU (see :mod:`fasttag.cuda`).

    Returns
    -------
    np.ndarray [shape=(..., win_length, n_columns)], the envelope's float dtype (librosa
    returns float64 even for float32 input; fasttag keeps float32).

    Notes
    -----
    Hann, Hamming, Blackman and boxcar windows (any window that is a sum of at most three
    cosines periodic in win_length) of 16 lags or more skip the FFTs: running sums across
    lags in float64, a few operations per output. Their absolute error is about 1e-16 times
    the sum of ``x[t]^2`` over the 8 windows before a column (64 to 2,048 frames), not over
    the column's own window; a column where that could exceed 1e-12 of its own energy (1e-9
    for float32), such as a quiet one after a loud part of an envelope whose level changes by
    orders of magnitude, is summed directly instead (O(win_length^2)). Columns whose window
    holds only zeros are exact zeros. Other windows, and shorter ones, go through the FFT.

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> tg = fasttag.tempogram(y, sr=22050)                     # (384, n_frames)
    >>> bpm = fasttag.tempo_frequencies(tg.shape[-2], sr=22050)   # BPM of each row
    >>> tg.shape, bpm.shape
    ((384, 130), (384,))
    >>> float(bpm[1])   # row k: a lag of k frames, 60 * sr / (hop_length * k) BPM
    2583.984375
    """
    if device != "cpu":
        from . import cuda

        cuda.check_device(device)
        return cuda.tempogram(y, sr=sr, onset_envelope=onset_envelope, hop_length=hop_length, win_length=win_length,
                              center=center, window=window, norm=norm)
    win_length, hop_length, norm = tempogram_arguments(y, onset_envelope, win_length, hop_length, center, norm)
    if onset_envelope is None:
        onset_envelope = onset_strength(y, sr=sr, hop_length=hop_length, workers=workers)
    env = _validate.float_array(onset_envelope, "onset_envelope")
    peak = float(np.max(np.abs(env)))
    if peak > np.sqrt(np.finfo(np.float64).max / win_length):  # the float64 sums of x[i] x[i + l] would overflow
        raise ParameterError(f"onset_envelope holds values up to {peak:.3g}: their products over win_length="
                             f"{win_length} frames overflow float64; scale it down")
    window = filters.get_window(window, win_length, n_fft=win_length, dtype=np.float64)
    n = env.shape[-1]
    rows = _validate.as_rows(env, 1)
    if center:
        half = win_length // 2
        rows = np.pad(rows, [(0, 0), (half, half)], mode="linear_ramp", end_values=[0, 0])
        n_frames = n
    else:
        n_frames = uncentred_columns(n, win_length)
    out = _autocorrelation_frames(rows, window, n_frames, norm, resolve_workers(workers))
    return out.reshape(env.shape[:-1] + out.shape[1:])


def tempogram_arguments(y, onset_envelope, win_length, hop_length, center, norm) -> tuple[int, int, float | None]:
    """The checks tempogram makes on the CPU and the GPU; returns (win_length, hop_length, norm)."""
    _validate.flag(center, "center")
    win_length = _validate.positive_int(win_length, "win_length")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    norm = _normalize.check_norm(norm)
    if (y is None) == (onset_envelope is None):
        raise ParameterError("give exactly one of y (audio) or onset_envelope")
    return win_length, hop_length, norm


def uncentred_columns(n: int, win_length: int) -> int:
    """Columns of a tempogram with center=False over n envelope frames, or ParameterError when none fits."""
    if n < win_length:
        raise ParameterError(f"onset_envelope has {n} frames, fewer than win_length={win_length}: "
                             "use center=True or a shorter win_length")
    return n - win_length + 1


def tempo(y=None, *, sr: float = 22050, onset_envelope=None, tg=None, hop_length: int = 512,
          start_bpm: float = 120, std_bpm: float = 1.0, ac_size: float = 8.0, max_tempo: float | None = 320.0,
          aggregate=np.mean, prior=None, refine: bool = True, octave_check: bool = False,
          workers: int | None = None) -> np.ndarray:
    """Tempo (beats per minute) from the autocorrelation tempogram (librosa's ``feature.tempo``, refined).

    The tempogram (window ``ac_size`` seconds), averaged over time by ``aggregate``, is
    weighted by a log-normal prior around ``start_bpm`` (``std_bpm`` octaves), or by ``prior``;
    the best lag gives the tempo. Two steps go beyond librosa (``refine=False``, with the default
    ``octave_check=False``, gives librosa's result):

    - ``octave_check``: after the prior has chosen a lag L, if the tempogram has a peak
      near L / 2 at least 0.9 times as high as at L (peak heights
      interpolated between lags) (an equally strong pulse at twice the
      tempo, below ``max_tempo``), that peak is taken instead. Without it, a click track at
      180 BPM (peaks at lags P, 2P, 3P... of about equal height) is read as 90 BPM, because
      the prior around 120 BPM favours 90 over 180. Off by default: in music, eighth-note
      hi-hats between kick and snare often make a pulse at twice the beat that strong (a
      synthetic rock pattern at 120 BPM reads 235 BPM with it), so it suits metronomic or
      unaccented material.
    - ``refine``: the peak is located between lags by a parabola through the tempogram at
      the best lag and its neighbours, so the estimate is not limited to the lag grid (at
      22050 Hz, hop 512, neighbouring lags near 180 BPM are 7 % apart).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio.
    sr : float > 0
        Sampling rate (Hz).
    onset_envelope : np.ndarray [shape=(..., n_frames)] or None
        A precomputed onset envelope instead of ``y``.
    tg : np.ndarray [shape=(..., win_length, n_frames)] or None
        A precomputed tempogram instead (its win_length overrides ac_size).
    hop_length : int > 0
        Samples between onset frames.
    start_bpm : float > 0
        Centre of the prior (BPM) when ``prior`` is None.
    std_bpm : float > 0
        Width of the prior (octaves) when ``prior`` is None.
    ac_size : float > 0
        Autocorrelation window (seconds).
    max_tempo : float > 0 or None
        Tempi at or above this are excluded.
    aggregate : callable or None
        Reduction over time (``aggregate(tg, axis=-1, keepdims=True)``), returning finite real
        values of shape ``tg.shape[:-1] + (1,)`` (or more columns: a tempo of each), else
        ParameterError (a number too, as librosa); None gives a tempo per frame.
    prior : scipy.stats distribution or None
        The prior over tempo: None is the log-normal one above; else an object whose
        ``logpdf`` (e.g. of a frozen ``scipy.stats.uniform(30, 300)``) gives the log-weight of
        each BPM of the tempogram's lags (an array of them, ``inf`` for lag 0), as librosa's.
    refine : bool
        Interpolate between lags (see above).
    octave_check : bool
        Prefer an almost equally strong pulse at twice the tempo (see above); default False.
    workers : int or None
        Threads.

    Returns
    -------
    np.ndarray [shape=(..., 1)] (or [shape=(..., n_frames)] when aggregate is None, (..., n_columns) for an
    aggregate that keeps more columns), BPM, float64

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050, seed=2)   # drums at 95.8 BPM
    >>> bpm = fasttag.tempo(y, sr=22050)
    >>> bpm.round()
    array([96.])
    """
    start_bpm = _validate.positive_float(start_bpm, "start_bpm")
    std_bpm = _validate.positive_float(std_bpm, "std_bpm")
    sr = _validate.positive_float(sr, "sr")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    if max_tempo is not None:
        max_tempo = _validate.positive_float(max_tempo, "max_tempo")
    if aggregate is not None and not callable(aggregate):
        raise ParameterError(f"aggregate={aggregate!r} must be callable or None")
    if prior is not None and not callable(getattr(prior, "logpdf", None)):
        raise ParameterError(f"prior={prior!r} must be None or a distribution with a logpdf method, such as "
                             "scipy.stats.uniform(30, 300)")
    if tg is None:
        ac_size = _validate.positive_float(ac_size, "ac_size")
        win_length = int(ac_size * sr) // hop_length  # librosa's time_to_frames
        if win_length < 2:  # lag 0 alone is an infinite tempo
            raise ParameterError(f"ac_size={ac_size} s is shorter than two hops ({2 * hop_length / sr:.3g} s): "
                                 "the tempogram would have no lag but 0")
        tg = tempogram(y, sr=sr, onset_envelope=onset_envelope, hop_length=hop_length, win_length=win_length,
                       workers=workers)
    else:
        if y is not None or onset_envelope is not None:
            raise ParameterError("give only one of y, onset_envelope or tg")
        tg = _validate.float_array(tg, "tg", min_ndim=2)
        win_length = tg.shape[-2]
        if win_length < 2:
            raise ParameterError(f"tg has shape {tg.shape}: a tempogram needs lags 0 and 1 at least (axis -2)")
    if aggregate is not None:
        tg = _aggregated_tempogram(aggregate, tg)
    bpms = tempo_frequencies(win_length, hop_length=hop_length, sr=sr)
    logprior = _log_prior(prior, bpms, start_bpm, std_bpm)
    if max_tempo is not None:
        if not bpms[-1] < max_tempo:
            raise ParameterError(f"max_tempo={max_tempo} excludes every tempo of the tempogram (the slowest is "
                                 f"{bpms[-1]:.4g} BPM)")
        logprior[: int(np.argmax(bpms < max_tempo))] = -np.inf
    if np.isnan(logprior).any():  # argmax would pick it (a NaN at lag 0's inf BPM is masked by max_tempo)
        raise ParameterError(f"prior={prior!r}: its logpdf is NaN at {bpms[np.isnan(logprior)][:3]} BPM")
    best = np.argmax(np.log1p(1e6 * tg) + logprior[:, None], axis=-2)
    if octave_check:
        best = _double_tempo_check(tg, best, np.isfinite(logprior))
    if not refine:
        return np.take(bpms, best)
    return _refined_bpm(tg, best, sr=sr, hop_length=hop_length)


def _log_prior(prior, bpms: np.ndarray, start_bpm: float, std_bpm: float) -> np.ndarray:
    """The log-weight of each tempo in ``bpms`` (a new float64 array), as librosa's: the log-normal prior for
    prior=None, else ``prior.logpdf(bpms)``, which must give a real number for each (else ParameterError)."""
    if prior is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            return -0.5 * ((np.log2(bpms) - np.log2(start_bpm)) / std_bpm) ** 2
    logprior = _validate.float_array(prior.logpdf(bpms), f"prior={prior!r}: its logpdf", check_finite=False)
    if logprior.shape != bpms.shape:
        raise ParameterError(f"prior={prior!r}: its logpdf has shape {logprior.shape}, expected one value per tempo, "
                             f"{bpms.shape}")
    return logprior.astype(np.float64)


DOUBLE_TEMPO_RATIO = 0.9  # a pulse at twice the tempo this strong (relative) wins over the prior


def _double_tempo_check(tg: np.ndarray, best: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Per column: the lag of the highest tg within 1 lag of best / 2 when it is a local peak of tg, an
    allowed lag (below max_tempo), and at least DOUBLE_TEMPO_RATIO x as high as the peak at best (heights
    interpolated); else best."""
    n_lags = tg.shape[-2]
    best = best.copy()
    values = np.moveaxis(tg, -2, -1)  # (..., n_cols, n_lags)
    for index in np.ndindex(best.shape):
        column = values[index]
        lag = int(best[index])
        lo, hi = max(lag // 2 - 1, 1), min((lag + 1) // 2 + 2, n_lags - 1)
        if hi <= lo:
            continue
        candidate = lo + int(np.argmax(column[lo:hi]))
        is_peak = column[candidate] >= column[candidate - 1] and column[candidate] >= column[candidate + 1]
        if allowed[candidate] and is_peak and _peak_height(column, candidate) >= DOUBLE_TEMPO_RATIO * _peak_height(
                column, lag):
            best[index] = candidate
    return best


def _peak_height(column: np.ndarray, lag: int) -> float:
    """Height of the parabola through column[lag - 1 : lag + 2] at its vertex (column[lag] at the ends
    or where it is not a maximum)."""
    if not 0 < lag < column.shape[0] - 1:
        return float(column[lag])
    below, centre, above = (float(v) for v in column[lag - 1 : lag + 2])
    curvature = below - 2 * centre + above
    if curvature >= 0 or abs(below - above) > -curvature:
        return centre
    return centre - (below - above) ** 2 / (8 * curvature)


def _refined_bpm(tg: np.ndarray, best: np.ndarray, *, sr: float, hop_length: int) -> np.ndarray:
    """BPM at the vertex of the parabola through tg at lags best - 1, best, best + 1 (when it is a peak)."""
    n_lags = tg.shape[-2]
    inner = np.clip(best, 1, max(n_lags - 2, 1))
    pick = lambda lag: np.take_along_axis(tg, lag[..., None, :], axis=-2)[..., 0, :].astype(np.float64)  # noqa: E731
    if n_lags >= 3:
        below, centre, above = pick(inner - 1), pick(inner), pick(inner + 1)
        curvature = below - 2 * centre + above
        with np.errstate(divide="ignore", invalid="ignore"):
            delta = np.where(curvature < 0, 0.5 * (below - above) / curvature, 0.0)
        usable = (best == inner) & (np.abs(delta) <= 0.5)
        lag = best + np.where(usable, delta, 0.0)
    else:
        lag = best.astype(np.float64)
    with np.errstate(divide="ignore"):
        return 60.0 * sr / (hop_length * lag)
