"""onset_strength and tempogram on the GPU: the fused log-mel, the spectral flux per frame, and
each column's windowed autocorrelation summed directly (win_length^2 / 2 products a column)."""

from __future__ import annotations

import inspect

import numpy as np

from .. import filters
from ..errors import ParameterError
from . import _runtime, spectral

_LOGMEL = inspect.signature(spectral.logmel)


def _logmel_on_device(home, y, **parameters):
    """:func:`spectral.logmel` of y with ``parameters``, left on the GPU: (native, view (..., n_mels,
    n_frames)). Its defaults, and a TypeError for a parameter it does not take, come from logmel itself."""
    from ..spectrum import fused_decibels

    arguments = _LOGMEL.bind(y, **parameters)
    arguments.apply_defaults()
    mel = dict(arguments.arguments)
    del mel["y"]
    decibels = fused_decibels(mel.pop("ref"), mel.pop("amin"), mel.pop("top_db"))
    return spectral.fused_mel_on_device(home, y, power=2.0, decibels=decibels, **mel)


def _onset_on_device(home, y, S, *, sr, hop_length, lag=1, max_size=1, ref=None, detrend=False, center=True,
                     aggregate=None, n_fft=2048, **mel_parameters):
    """(native, view (rows, n_frames), leading shape) of the onset strength, left on the GPU (the
    defaults are onset_strength's)."""
    from ..rhythm import onset_arguments

    aggregate, lag, max_size, n_fft, hop_length = onset_arguments(y, S, aggregate, lag, max_size, n_fft, hop_length,
                                                                  center, detrend, mel_parameters)
    if aggregate is not np.mean:
        raise ParameterError(f"aggregate={aggregate!r} cannot run on device='cuda', where the flux is averaged "
                             "over bands (aggregate=None); use device='cpu' for another reduction")
    if S is None:
        S = _logmel_on_device(home, y, sr=sr, n_fft=n_fft, hop_length=hop_length, **mel_parameters)[1]
    else:
        S = spectral._matrix(home, S, "S", min_ndim=1)[0]
    shape = tuple(S.shape)
    bands = S.reshape((1,) + shape) if len(shape) == 1 else S
    S3, lead = spectral._rows(bands, 2)
    n_frames = S3.shape[2]
    if ref is None:
        ref3 = S3
    else:
        ref_view = spectral._matrix(home, ref, "ref", min_ndim=1)[0]
        if tuple(ref_view.shape) != tuple(bands.shape):
            raise ParameterError(f"ref has shape {tuple(ref_view.shape)}, expected S's shape {tuple(bands.shape)}")
        ref3 = spectral._rows(ref_view, 2)[0]
    pad_width = lag + (n_fft // (2 * hop_length) if center else 0)
    # the CPU's length: centred, the frames; else the lag's zeros and the flux, lag columns when lag > n_frames
    n_out = n_frames if center else max(n_frames, lag)
    # S - ref in their common dtype, as on the CPU (float32 S with a float64 ref gives float64)
    native, out = home.empty(lead + (n_out,), np.result_type(S3.dtype, ref3.dtype))
    rows = out.reshape((S3.shape[0], n_out))
    k = spectral._kernels()
    max_filtered = ref is None and max_size > 1
    home.launch_1d(k.onset_flux_kernel, rows.size, S3, ref3, max_filtered, lag, max_size, pad_width, rows)
    if detrend:
        home.launch_1d(k.detrend_kernel, rows.shape[0], rows)
    return native, rows, lead


def onset_strength(y=None, *, sr: float = 22050, S=None, lag: int = 1, max_size: int = 1, ref=None,
                   detrend: bool = False, center: bool = True, aggregate=None, n_fft: int = 2048,
                   hop_length: int = 512, **kwargs):
    """:func:`fasttag.onset_strength` on the GPU: (..., n_frames), the mean flux over bands."""
    home = _runtime.Home(y if S is None else S)
    with home.context():
        native, _, _ = _onset_on_device(home, y, S, sr=sr, lag=lag, max_size=max_size, ref=ref, detrend=detrend,
                                        center=center, aggregate=aggregate, n_fft=n_fft, hop_length=hop_length,
                                        **kwargs)
        return home.give_back(native)


def tempogram(y=None, *, sr: float = 22050, onset_envelope=None, hop_length: int = 512, win_length: int = 384,
              center: bool = True, window="hann", norm: float | None = np.inf):
    """:func:`fasttag.tempogram` on the GPU: (..., win_length, n_columns), each column normalised by ``norm``."""
    from ..rhythm import tempogram_arguments, uncentred_columns

    win_length, hop_length, norm = tempogram_arguments(y, onset_envelope, win_length, hop_length, center, norm)
    home = _runtime.Home(y if onset_envelope is None else onset_envelope)
    k = spectral._kernels()
    with home.context():
        if onset_envelope is None:
            _, env, lead = _onset_on_device(home, y, None, sr=sr, hop_length=hop_length)
        else:
            env, lead = spectral._rows(spectral._matrix(home, onset_envelope, "onset_envelope", min_ndim=1)[0], 1)
        weights = filters.get_window(window, win_length, n_fft=win_length, dtype=np.float64)
        (weights_dev,) = home.constants(("tempogram window", weights.tobytes()), lambda: (weights,))
        rows, n = env.shape
        if center:
            half = win_length // 2
            padded = home.empty((rows, n + 2 * half), env.dtype)[1]
            home.launch_1d(k.ramp_pad_kernel, padded.size, env, half, padded)
            env, n_columns = padded, n
        else:
            n_columns = uncentred_columns(n, win_length)
        native, out = home.empty(lead + (win_length, n_columns), env.dtype)
        out3 = out.reshape((rows, win_length, n_columns))
        home.launch_1d(k.autocorrelation_kernel, out3.size, env, weights_dev, out3)
        if norm is not None:
            spectral.normalize_columns(home, out3, norm)
        return home.give_back(native)
