"""Decibel conversions around :func:`fasttag.power_to_db`, as librosa's: ``amplitude_to_db``,
``db_to_power`` and ``db_to_amplitude``."""

from __future__ import annotations

import numpy as np

from . import _validate
from .errors import ParameterError
from .spectrum import power_to_db

__all__ = ["amplitude_to_db", "db_to_amplitude", "db_to_power"]


class _RefOfMagnitude:
    """A callable ``ref`` of magnitudes as power_to_db applies it to power: ``ref(sqrt(power)) ** 2``.
    Its repr is ``ref``'s, so that power_to_db's errors name what the caller gave."""

    def __init__(self, ref):
        self.ref = ref

    def __call__(self, power: np.ndarray):
        value = np.asarray(self.ref(np.sqrt(power)))
        return np.square(value) if value.dtype.kind in "biuf" else value  # power_to_db refuses the rest

    def __repr__(self) -> str:
        return repr(self.ref)


def amplitude_to_db(S, *, ref=1.0, amin: float = 1e-5, top_db: float | None = 80.0,
                    workers: int | None = None) -> np.ndarray:
    """Amplitude (magnitude) spectrogram -> decibels: ``20 log10(max(amin, |S|) / ref)``, floored at
    peak - top_db; :func:`power_to_db` of ``S**2`` with ``ref**2`` and ``amin**2`` (librosa's definition).

    Parameters
    ----------
    S : np.ndarray [shape=(..., n_bins, n_frames)], real
        Magnitudes, e.g. ``np.abs(fasttag.stft(y))``; complex input is refused (take ``np.abs`` first).
    ref : float, array or callable
        Reference amplitude (0 dB), taken as ``|ref|``; an array broadcasts against S; a callable
        (e.g. ``np.max``) is applied to ``|S|`` (per item of a batch, as in power_to_db).
    amin : float > 0
        Floor on ``|S|`` and ref; ``amin**2`` must be a normal number of S's dtype (for float32,
        amin from about 1.1e-19).
    top_db : float >= 0 or None
        Dynamic range kept below the peak, in dB; None keeps everything.
    workers : int or None
        Threads over items and rows (scipy.fft's convention).

    Returns
    -------
    np.ndarray, same shape and dtype as S (float32 or float64), in dB

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=2.0, sr=22050)
    >>> S_db = fasttag.amplitude_to_db(np.abs(fasttag.stft(y)), ref=np.max)
    >>> S_db.shape, S_db.dtype
    ((1025, 87), dtype('float32'))
    >>> print(f"{S_db.max():.2f} dB to {S_db.min():.2f} dB")   # the peak is 0 dB, 80 dB kept below it
    -0.00 dB to -80.00 dB
    """
    if np.iscomplexobj(S):
        raise ParameterError(f"S must be real magnitudes, got complex dtype {np.asarray(S).dtype}: give np.abs(S) "
                             "(amplitude_to_db would drop the phase)")
    S = _validate.float_array(S, "S", min_ndim=0)
    amin = _validate.positive_float(amin, "amin")
    info = np.finfo(S.dtype)
    if amin * amin < float(info.tiny):
        raise ParameterError(f"amin={amin:g} is too small for {S.dtype}: amin**2 must be a normal number, so amin "
                             f">= {np.sqrt(float(info.tiny)):.3g} (give float64 input for a lower floor)")
    peak = max(float(S.max()), -float(S.min()))
    if peak * peak > float(info.max):
        raise ParameterError(f"S has magnitudes up to {peak:.3g}, whose squares overflow {S.dtype}: give float64 "
                             "input")
    if callable(ref):
        power_ref = _RefOfMagnitude(ref)
    else:
        value = np.asarray(ref)
        power_ref = np.square(np.abs(value)) if value.dtype.kind in "biufc" else ref  # power_to_db names the rest
    return power_to_db(np.square(S), ref=power_ref, amin=amin * amin, top_db=top_db, workers=workers)


def _from_db(S_db, ref, factor: float, name: str) -> np.ndarray:
    """``ref * 10 ** (S_db / factor)`` in S_db's dtype (float32 stays float32)."""
    S_db = _validate.float_array(S_db, "S_db", min_ndim=0)
    ref = _validate.positive_float(ref, "ref")
    out = np.multiply(S_db, S_db.dtype.type(np.log(10.0) / factor), out=np.empty_like(S_db))
    with np.errstate(over="ignore"):  # refused below, naming S_db
        np.exp(out, out=out)
        out *= ref
    if not np.all(np.isfinite(out)):
        raise ParameterError(f"S_db holds values up to {float(S_db.max()):g} dB, whose {name} overflows {S_db.dtype} "
                             f"with ref={ref:g}")
    return out[()]  # a numpy scalar for a number, as librosa


def db_to_power(S_db, *, ref: float = 1.0) -> np.ndarray:
    """Decibels -> power: ``ref * 10 ** (S_db / 10)``, the inverse of :func:`power_to_db` above its floors.

    S_db : np.ndarray, real and finite; ref : float > 0, the power at 0 dB. Returns an array of S_db's
    shape and dtype (float32 or float64).

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> fasttag.db_to_power(np.array([-10.0, 0.0, 10.0]))
    array([ 0.1,  1. , 10. ])
    """
    return _from_db(S_db, ref, 10.0, "power")


def db_to_amplitude(S_db, *, ref: float = 1.0) -> np.ndarray:
    """Decibels -> amplitude: ``ref * 10 ** (S_db / 20)``, the inverse of :func:`amplitude_to_db` above its
    floors. Same parameters and result as :func:`db_to_power`, with ref the amplitude at 0 dB.

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> fasttag.db_to_amplitude(np.array([-20.0, 0.0, 20.0]), ref=2.0)
    array([ 0.2,  2. , 20. ])
    """
    return _from_db(S_db, ref, 20.0, "amplitude")
