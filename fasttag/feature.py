"""Mel spectrogram, log-mel (fused), MFCC and deltas (librosa's semantics)."""

from __future__ import annotations

import inspect

import numpy as np

from . import _core, _validate, filters
from ._memo import shared_filterbank
from ._workers import resolve_workers
from .errors import ParameterError
from .spectrum import framing, fused_decibels, power_to_db, spectrogram_n_fft

__all__ = ["melspectrogram", "logmel", "mfcc", "delta"]


def logmel_keywords(kwargs: dict, caller: str) -> None:
    """ParameterError naming the keywords that ``caller`` would pass on to `logmel` and that it does not take."""
    unknown = sorted(set(kwargs) - set(inspect.signature(logmel).parameters) - {"y"})
    if unknown:
        raise ParameterError(f"{caller} passes its other keywords to fasttag.logmel, which takes no {unknown} (its "
                             "spectrogram is a log-mel spectrogram; compute another and give it as S)")


def mel_power(kwargs: dict, device: str) -> float:
    """The ``power`` that `mfcc` and `onset_strength` pass on to the mel spectrogram, taken out of their ``kwargs``
    (2 when absent): a positive number, and 2 on the GPU (whose kernels fuse the log-mel of the power spectrum)."""
    power = _validate.positive_float(kwargs.pop("power", 2.0), "power")
    if power != 2 and device != "cpu":
        raise ParameterError(f"power={power:g} needs device='cpu': on the GPU the log-mel is of the power spectrum "
                             "(power=2)")
    return power


def mel_decibels(y, power: float, **kwargs) -> np.ndarray:
    """The log-mel (dB) that `mfcc` and `onset_strength` take of audio, librosa's ``power_to_db(melspectrogram(y,
    power=power, ...))`` for `logmel`'s ``kwargs``: `logmel` (one fused pass) for power=2, else `melspectrogram`, then
    `power_to_db` with the dB keywords (ref, amin, top_db) among them."""
    if power == 2:
        return logmel(y, **kwargs)
    decibels = {key: kwargs.pop(key) for key in ("ref", "amin", "top_db") if key in kwargs}
    return power_to_db(melspectrogram(y, power=power, **kwargs), workers=kwargs.get("workers"), **decibels)


def mfcc_arguments(y, S, n_mfcc, dct_type, norm, lifter, mel_norm, kwargs) -> int:
    """The checks `mfcc` makes on the CPU and the GPU, before any kept DCT basis is looked up: exactly one
    of ``y`` and ``S``, a positive ``n_mfcc`` (returned as int), the DCT's type and norm, a finite
    ``lifter`` >= 0, a mel ``norm`` and ``kwargs`` that `logmel` takes."""
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (log-mel spectrogram)")
    logmel_keywords(kwargs, "mfcc")
    filters.dct_kind(dct_type, norm)
    filters.mel_norm(mel_norm, "mel_norm")
    n_mfcc = _validate.positive_int(n_mfcc, "n_mfcc")
    if not _validate.is_finite_real(lifter) or lifter < 0:
        raise ParameterError(f"lifter={lifter!r} must be a non-negative number")
    return n_mfcc


@shared_filterbank
def cepstral_basis(n_mfcc, n_mels, dct_type, norm, lifter, dtype) -> np.ndarray:
    """(n_mfcc, n_mels), read-only: the rows of the DCT that `mfcc` applies (CPU and GPU), liftered
    when lifter > 0."""
    basis = filters.dct(n_mfcc, n_mels, dct_type=dct_type, norm=norm, dtype=dtype)
    if lifter > 0:
        basis *= (1 + (lifter / 2) * np.sin(np.pi * np.arange(1, 1 + n_mfcc) / lifter))[:, None].astype(dtype)
    return basis


def _gpu(device):
    """fasttag.cuda's spectral functions, after checking the device name (imported on first use)."""
    from .cuda import _runtime, spectral

    _runtime.check_device(device)
    return spectral


def _mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype, basis_dtype=np.float32) -> np.ndarray:
    """The mel basis built in ``basis_dtype`` (librosa's ``filters.mel(dtype=)``, float32 whatever the signal's dtype
    by default), in ``dtype`` (read-only: calls with the same arguments share it)."""
    basis, empty = _shared_mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, np.dtype(dtype), np.dtype(basis_dtype))
    if empty:
        filters.warn_empty_mel_filters(n_mels, n_fft, sr)
    return basis


@shared_filterbank
def _shared_mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, dtype, basis_dtype) -> tuple[np.ndarray, bool]:
    basis, empty = filters.mel_weights(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm,
                                       dtype=basis_dtype)
    return basis.astype(dtype), empty


def _fused_mel(y, *, sr, n_fft, hop_length, win_length, window, center, pad_mode, power, n_mels, fmin, fmax,
               htk, norm, dtype, decibels, workers) -> np.ndarray:
    """frame -> window -> FFT -> |.|^power -> mel [-> dB] in one C++ pass; (..., n_mels, n_frames), in the
    dtype of y promoted with the basis's ``dtype``."""
    dtype = filters.filterbank_dtype(dtype, "cpu")
    y = filters.promoted(_validate.audio(y, check_finite=False), dtype)  # the kernel scans for NaN/Inf
    frames = framing(y.shape[-1], y.dtype, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                     window=window, center=center, pad_mode=pad_mode)
    basis = _mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm, y.dtype, dtype)
    power = _validate.positive_float(power, "power")
    ref_db, amin, top_db = decibels if decibels is not None else (None, 1e-10, None)
    with _validate.core_errors():
        out = _core.melspectrogram(frames.rows(y), frames.window, basis, *frames.geometry(), power,
                                   ref_db, amin, top_db, resolve_workers(workers))
    return out.reshape(y.shape[:-1] + out.shape[1:])


def melspectrogram(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                   win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                   power: float = 2.0, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
                   htk: bool = False, norm: str | float | None = "slaney", dtype=np.float32,
                   workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Mel-scaled spectrogram, ``mel_basis @ |stft(y)|**power`` (librosa's ``melspectrogram``).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio (float32/float64). Computed in one fused pass; the STFT is never stored.
    sr : float > 0
        Sampling rate (Hz).
    S : np.ndarray [shape=(..., 1 + n_fft // 2, n_frames)] or None
        A power spectrogram to project instead of ``y``; n_fft is taken from its shape.
    n_fft, hop_length, win_length, window, center, pad_mode
        As in :func:`fasttag.stft`.
    power : float > 0
        Exponent of the magnitude (1 energy, 2 power).
    n_mels, fmin, fmax, htk, norm
        As in :func:`fasttag.filters.mel`.
    dtype : np.float32 or np.float64
        The mel basis's dtype (librosa's ``filters.mel(dtype=)``, default float32); float64 makes
        the result float64 (as librosa's), float32 input then computed in float64. float32 on the GPU.
    workers : int or None
        Threads (scipy.fft's convention).
    device : {"cpu", "cuda"}
        "cuda" runs the fused GPU kernel (:mod:`fasttag.cuda`; power-of-two n_fft); GPU
        arrays (torch, CuPy, Numba) stay on the GPU and come back as the same kind.

    Returns
    -------
    np.ndarray [shape=(..., n_mels, n_frames)], the input's float dtype, or float64 for dtype=np.float64

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=12000)
    >>> M = fasttag.melspectrogram(y, sr=12000, n_fft=512, hop_length=256, n_mels=96)
    >>> M.shape, M.dtype
    ((96, 141), dtype('float32'))
    """
    if device != "cpu":
        filters.filterbank_dtype(dtype, device)
        return _gpu(device).melspectrogram(y, sr=sr, S=S, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                                           window=window, center=center, pad_mode=pad_mode, power=power,
                                           n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
    if (y is None) == (S is None):
        raise ParameterError("give exactly one of y (audio) or S (spectrogram)")
    if y is not None:
        return _fused_mel(y, sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                          center=center, pad_mode=pad_mode, power=power, n_mels=n_mels, fmin=fmin, fmax=fmax,
                          htk=htk, norm=norm, dtype=dtype, decibels=None, workers=workers)
    dtype = filters.filterbank_dtype(dtype, device)
    S = filters.promoted(_validate.float_array(S, "S", min_ndim=2), dtype)
    basis = _mel_basis(sr, spectrogram_n_fft(n_fft, S.shape[-2]), n_mels, fmin, fmax, htk, norm, S.dtype, dtype)
    return _project(basis, S, workers)


def _project(basis: np.ndarray, X: np.ndarray, workers) -> np.ndarray:
    """``basis @ X`` over the second-to-last axis of a batch: (..., n_in, t) -> (..., n_out, t)."""
    with _validate.core_errors():
        out = _core.project(basis, _validate.as_rows(X, 2), resolve_workers(workers))
    return out.reshape(X.shape[:-2] + out.shape[1:])


def logmel(y, *, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512, win_length: int | None = None,
           window="hann", center: bool = True, pad_mode: str = "constant", n_mels: int = 128, fmin: float = 0.0,
           fmax: float | None = None, htk: bool = False, norm: str | float | None = "slaney", dtype=np.float32,
           ref: float = 1.0, amin: float = 1e-10, top_db: float | None = 80.0, workers: int | None = None,
           device: str = "cpu") -> np.ndarray:
    """Log-mel spectrogram in dB, fused: the common input of tagging models.

    Equals ``power_to_db(melspectrogram(y, power=2, ...), ref=ref, amin=amin, top_db=top_db)``,
    computed frame block by frame block (frame -> window -> FFT -> |.|^2 -> sparse mel ->
    dB) without storing the spectrogram.

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)], float32 or float64
        Audio; each leading index is one clip.
    ref : float
        Power at 0 dB: ``|ref|``, floored at ``amin`` (librosa's rule). A number: a callable
        needs the whole spectrogram first; use :func:`power_to_db` on :func:`melspectrogram` for that.
    amin, top_db
        As in :func:`power_to_db`; ``top_db`` applies per clip.
    device : {"cpu", "cuda"}
        "cuda": one fused GPU kernel from samples to dB (see :mod:`fasttag.cuda`).
    others
        As in :func:`melspectrogram`.

    Returns
    -------
    np.ndarray [shape=(..., n_mels, n_frames)], dB, the input's float dtype, or float64 for dtype=np.float64

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=29.12, sr=12000)
    >>> X = fasttag.logmel(y, sr=12000, n_fft=512, hop_length=256, n_mels=96)  # Choi's input
    >>> X.shape
    (96, 1366)
    """
    if device != "cpu":
        filters.filterbank_dtype(dtype, device)
        return _gpu(device).logmel(y, sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                                   window=window, center=center, pad_mode=pad_mode, n_mels=n_mels, fmin=fmin,
                                   fmax=fmax, htk=htk, norm=norm, ref=ref, amin=amin, top_db=top_db)
    decibels = fused_decibels(ref, amin, top_db)
    return _fused_mel(y, sr=sr, n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window,
                      center=center, pad_mode=pad_mode, power=2.0, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk,
                      norm=norm, dtype=dtype, decibels=decibels, workers=workers)


def mfcc(y=None, *, sr: float = 22050, S=None, n_mfcc: int = 20, dct_type: int = 2, norm: str | None = "ortho",
         lifter: float = 0, mel_norm: str | float | None = "slaney", workers: int | None = None, device: str = "cpu",
         **kwargs) -> np.ndarray:
    """Mel-frequency cepstral coefficients: the DCT of the log-mel spectrogram (librosa's ``mfcc``).

    Parameters
    ----------
    y : np.ndarray [shape=(..., n_samples)] or None
        Audio; its log-mel comes from :func:`logmel` with ``**kwargs`` (from :func:`melspectrogram`
        and :func:`power_to_db` for a ``power`` other than 2).
    sr : float > 0
        Sampling rate of ``y`` (Hz).
    S : np.ndarray [shape=(..., n_mels, n_frames)] or None
        A log-power (dB) mel spectrogram instead of ``y``.
    n_mfcc : int > 0
        Number of coefficients kept.
    dct_type : {1, 2, 3}
        DCT type (scipy's definitions).
    norm : {"ortho", None}
        DCT normalisation.
    lifter : float >= 0
        Cepstral liftering ``1 + lifter/2 sin(pi (k+1) / lifter)``; 0 disables it.
    mel_norm : {"slaney", None} or number
        The mel filterbank's normalisation (``norm`` of :func:`fasttag.filters.mel`).
    workers : int or None
        Threads for the log-mel and the DCT (scipy.fft's convention; see :func:`fasttag.set_workers`).
    device : {"cpu", "cuda"}
        "cuda": the fused GPU log-mel, then the DCT on the GPU (see :mod:`fasttag.cuda`).
    **kwargs
        Passed to :func:`logmel` (n_fft, hop_length, n_mels, fmin, fmax, htk, dtype, top_db, ...), and
        ``power`` (> 0, default 2: the exponent of the magnitude under the mel filters, as
        :func:`melspectrogram`'s; other than 2 on device="cpu" only).

    Returns
    -------
    np.ndarray [shape=(..., n_mfcc, n_frames)], the dtype of ``y`` (or ``S``): float32 or float64

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> C = fasttag.mfcc(y, sr=22050, n_mfcc=20)
    >>> features = np.concatenate([C, fasttag.delta(C), fasttag.delta(C, order=2)], axis=-2)
    >>> C.shape, features.shape
    ((20, 130), (60, 130))
    """
    power = mel_power(kwargs, device)
    if device != "cpu":
        filters.filterbank_dtype(kwargs.pop("dtype", np.float32), device)
        return _gpu(device).mfcc(y, sr=sr, S=S, n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter,
                                 mel_norm=mel_norm, **kwargs)
    n_mfcc = mfcc_arguments(y, S, n_mfcc, dct_type, norm, lifter, mel_norm, kwargs)
    if S is None:
        S = mel_decibels(y, power, sr=sr, norm=mel_norm, workers=workers, **kwargs)
    else:
        S = _validate.float_array(S, "S", min_ndim=2)
    if n_mfcc > S.shape[-2]:
        raise ParameterError(f"n_mfcc={n_mfcc} exceeds the {S.shape[-2]} mel bands")
    return _project(cepstral_basis(n_mfcc, S.shape[-2], dct_type, norm, lifter, S.dtype), S, workers)


#: scipy's savgol_filter modes: how the window is completed at the ends ("interp": a fit of the first/last window).
DELTA_MODES = ("interp", "mirror", "constant", "nearest", "wrap")


def delta_arguments(width, order, axis, shape: tuple, mode: str) -> tuple[int, int]:
    """The checks `delta` makes on the CPU and the GPU; (order, axis), the axis as a non-negative index."""
    width = _validate.odd_width(width, "width")
    order = _validate.positive_int(order, "order")
    if order >= width:
        raise ParameterError(f"order={order} must be smaller than width={width} (a degree-{order} fit needs more "
                             "points)")
    if not _validate.is_integer(axis) or not -len(shape) <= axis < len(shape):
        raise ParameterError(f"axis={axis} is out of range for data with {len(shape)} dimensions")
    if mode not in DELTA_MODES:
        raise ParameterError(f"mode={mode!r} must be one of {list(DELTA_MODES)}")
    axis = int(axis) % len(shape)
    if mode == "interp" and width > shape[axis]:
        raise ParameterError(f"width={width} cannot exceed data.shape[axis]={shape[axis]} with mode='interp' (it fits "
                             "the first and last windows); give a narrower width or another mode, e.g. 'nearest'")
    return order, axis


def delta(data, *, width: int = 9, order: int = 1, axis: int = -1, mode: str = "interp", polyorder: int | None = None,
          delta: float = 1.0, cval: float = 0.0, device: str = "cpu") -> np.ndarray:
    """Local derivative of a feature sequence by Savitzky-Golay filtering (librosa's ``delta``).

    Parameters
    ----------
    data : np.ndarray, e.g. [shape=(..., n_mfcc, n_frames)]
    width : odd int >= 3, <= data.shape[axis]
        Frames in the fitting window.
    order : int > 0
        Derivative order (1 delta, 2 delta-delta).
    axis : int
        Axis along which to differentiate (time).
    mode : {"interp", "mirror", "constant", "nearest", "wrap"}
        How the ends are completed (scipy's ``savgol_filter``; librosa's default "interp" fits
        the first and last windows, so it needs ``width <= data.shape[axis]``).
    polyorder : int, order <= polyorder < width, or None
        Degree of the fitted polynomial; None is ``order`` (scipy's ``savgol_filter``, as librosa
        passes it on).
    delta : float > 0
        Spacing of the samples along ``axis``: the derivative is divided by ``delta**order``
        (scipy's ``savgol_filter``, as librosa passes it on).
    cval : float
        The value beyond the ends with mode "constant" (scipy's ``savgol_filter``; librosa passes
        it on); other modes ignore it.
    device : {"cpu", "cuda"}
        "cuda": a GPU kernel (see :mod:`fasttag.cuda`), mode "interp", polyorder ``order`` and
        delta 1 only.

    Returns
    -------
    np.ndarray, same shape as data, float32 or float64 as data (integers give float64)
    """
    if device != "cpu":
        if polyorder not in (None, order) or delta != 1:
            raise ParameterError(f"polyorder={polyorder!r} and delta={delta!r} need device='cpu': the GPU kernel fits "
                                 "a polynomial of degree order to samples 1 apart")
        return _gpu(device).delta(data, width=width, order=order, axis=axis, mode=mode)
    data = _validate.float_array(data, "data")
    order, axis = delta_arguments(width, order, axis, data.shape, mode)
    polyorder = order if polyorder is None else _fit_degree(polyorder, order, width)
    spacing = _validate.positive_float(delta, "delta")
    cval = _validate.finite_float(cval, "cval")
    import scipy.signal  # scipy.signal takes half a second to import: on first use only

    return scipy.signal.savgol_filter(data, width, polyorder=polyorder, deriv=order, delta=spacing, axis=axis,
                                      mode=mode, cval=cval)


def _fit_degree(polyorder, order: int, width: int) -> int:
    """delta's ``polyorder`` as an int in [order, width), or ParameterError (scipy gives zeros below order)."""
    if not _validate.is_integer(polyorder) or not order <= polyorder < width:
        raise ParameterError(f"polyorder={polyorder!r} must be an integer from order={order} to width - 1={width - 1} "
                             "(a lower degree has no derivative of that order; the fit needs more points than terms)")
    return int(polyorder)
