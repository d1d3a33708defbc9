"""Every bad input: a ParameterError (a ValueError) from the public API whose message names
the parameter and its value, and a ValueError (never a crash) at the C++ boundary."""

from __future__ import annotations

import re
import sys

import numpy as np
import pytest

import fasttag
from fasttag import ParameterError, _core

SR = 22050
SMALL = dict(n_fft=256, hop_length=64)  # valid STFT settings for a 2000-sample signal
MEL = dict(SMALL, n_mels=20)


def _y(dtype=np.float32, n=2000):
    t = np.arange(n) / SR
    return (0.5 * np.sin(2 * np.pi * 440 * t) + 0.1 * np.sin(2 * np.pi * 3000 * t)).astype(dtype)


def _S(n_bins=40, n_frames=30):
    return np.abs(np.random.default_rng(0).standard_normal((n_bins, n_frames))) + 1e-3


AUDIO_FUNCS = {
    "stft": lambda y, **kw: fasttag.stft(y, **{**SMALL, **kw}),
    "melspectrogram": lambda y, **kw: fasttag.melspectrogram(y, sr=SR, **{**MEL, **kw}),
    "logmel": lambda y, **kw: fasttag.logmel(y, sr=SR, **{**MEL, **kw}),
    "mfcc": lambda y, **kw: fasttag.mfcc(y, sr=SR, n_mfcc=13, **{**MEL, **kw}),
}
MEL_FUNCS = {k: v for k, v in AUDIO_FUNCS.items() if k != "stft"}


def test_parameter_error_is_a_value_error_and_a_fasttag_error():
    assert issubclass(ParameterError, ValueError)
    assert issubclass(ParameterError, fasttag.FasttagError)
    assert issubclass(fasttag.AudioLoadError, OSError)
    assert issubclass(fasttag.AudioLoadError, fasttag.FasttagError)


def _draw(tmp_path):
    fasttag.plot.specshow(_S(), ax=None)


def _show(tmp_path):
    from fasttag import cli

    cli.command("show").run(cli.parse_args(["show", "track.wav", "--out", str(tmp_path / "a.png")]))


def _extract_on_dask(tmp_path):
    import soundfile

    soundfile.write(tmp_path / "track.wav", _y(), SR)
    fasttag.extract([tmp_path / "track.wav"], tmp_path / "store", scheduler=True)


@pytest.mark.parametrize("hidden, call, extra", [
    ("matplotlib", _draw, "plot"), ("matplotlib", _show, "plot"), ("dask.distributed", _extract_on_dask, "dask"),
], ids=["specshow", "show", "extract-dask"])  # fmt: skip
def test_a_missing_optional_dependency_is_an_import_error_naming_its_extra(monkeypatch, tmp_path, hidden, call, extra):
    monkeypatch.setitem(sys.modules, hidden, None)  # import fails, as when the extra is not installed
    with pytest.raises(ImportError, match=re.escape(f"pip install 'fasttag[{extra}]'")) as raised:
        call(tmp_path)
    assert isinstance(raised.value, fasttag.MissingDependencyError) and isinstance(raised.value, fasttag.FasttagError)


# ----------------------------------------------------------------------------- bad audio

BAD_AUDIO = {
    "int16": (np.ones(2000, dtype=np.int16), "y must be floating-point audio, got dtype int16"),
    "int32": (np.ones(2000, dtype=np.int32), "y must be floating-point audio, got dtype int32"),
    "bool": (np.ones(2000, dtype=bool), "y must be floating-point audio, got dtype bool"),
    "complex64": (_y().astype(np.complex64), "y must be real-valued audio, got dtype complex64"),
    "complex128": (_y(np.float64) + 0j, "y must be real-valued audio, got dtype complex128"),
    "nan": (np.where(np.arange(2000) == 700, np.nan, _y()).astype(np.float32), "y contains NaN or infinite"),
    "inf": (np.where(np.arange(2000) == 3, np.inf, _y(np.float64)), "y contains NaN or infinite"),
    "-inf": (np.where(np.arange(2000) == 1999, -np.inf, _y()).astype(np.float32), "y contains NaN or infinite"),
    "nan_in_second_clip": (np.stack([_y(), np.full(2000, np.nan, np.float32)]), "y contains NaN or infinite"),
    "empty": (np.zeros(0, dtype=np.float32), "y is empty"),
    "empty_batch": (np.zeros((3, 0), dtype=np.float64), "y is empty"),
    "no_clips": (np.zeros((0, 2000), dtype=np.float64), "y is empty"),
    "0-d": (np.array(0.5, dtype=np.float32), "y must have at least 1 dimension"),
    "list": ([0.1] * 2000, "y must be a numpy.ndarray, got list"),
    "scalar": (np.float32(0.5), "y must be a numpy.ndarray"),
    "strings": (np.array(["a"] * 2000), "y must be floating-point audio"),
}
if np.dtype(np.longdouble).itemsize > 8:
    BAD_AUDIO["longdouble"] = (_y().astype(np.longdouble), "y must be float32 or float64, got dtype float128")


@pytest.mark.parametrize("func", sorted(AUDIO_FUNCS))
@pytest.mark.parametrize("case", sorted(BAD_AUDIO))
def test_bad_audio(func, case):
    y, message = BAD_AUDIO[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        AUDIO_FUNCS[func](y)


@pytest.mark.parametrize("func", sorted(AUDIO_FUNCS) + ["chroma_stft", "tempogram"])
@pytest.mark.parametrize("shape, fix", [((44100, 2), "y.T"), ((3, 20000, 6), "np.swapaxes(y, -1, -2)")])
def test_channels_last_audio_is_refused(rng, func, shape, fix):
    """soundfile reads (n_samples, n_channels): taken as n_samples signals of 2 samples each, it gave
    a (44100, n_mels, 1) result with only an n_fft warning."""
    y = rng.standard_normal(shape).astype(np.float32)
    call = AUDIO_FUNCS.get(func, lambda y: getattr(fasttag, func)(y, sr=SR))
    message = f"y has shape {shape}: {shape[-1]} samples per signal along the last axis; stereo audio from " \
              f"soundfile is (n_samples, n_channels): pass {fix}"
    with pytest.raises(ParameterError, match=re.escape(message)):
        call(y)


@pytest.mark.parametrize("shape", [(8, 2000), (999, 8), (1000, 9), (4,), (5, 3), (2, 2000, 16)])
def test_short_signals_and_batches_are_audio(rng, shape):
    """Only a long axis followed by a few samples is read as channels last."""
    D = fasttag.stft(rng.standard_normal(shape).astype(np.float32), n_fft=2, hop_length=1, center=False)
    assert D.shape[:-2] == shape[:-1]


BAD_TRANSFORM_INPUT = {
    "complex": (np.ones(16, dtype=np.complex64), "x must be real, got dtype complex64"),
    "nan": (np.array([1.0, np.nan, 2.0]), "x contains NaN or infinite"),
    "inf": (np.array([[1.0, 2.0], [np.inf, 0.0]], dtype=np.float32), "x contains NaN or infinite"),
    "empty": (np.zeros(0), "x is empty"),
    "empty_rows": (np.zeros((4, 0), dtype=np.float32), "x is empty"),
    "0-d": (np.array(3.0), "x must have at least 1 dimension"),
    "strings": (np.array(["1", "2"]), "x must be a real numeric array"),
    "objects": (np.array([1.0, None]), "x must be a real numeric array"),
}


@pytest.mark.parametrize("transform", ["rfft", "dft"])
@pytest.mark.parametrize("case", sorted(BAD_TRANSFORM_INPUT))
def test_bad_transform_input(transform, case):
    x, message = BAD_TRANSFORM_INPUT[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        getattr(fasttag, transform)(x)


@pytest.mark.parametrize("transform", ["rfft", "dft"])
@pytest.mark.parametrize("n", [0, -4, 2.5, True, "8"])
def test_bad_transform_length(transform, n):
    with pytest.raises(ParameterError, match=re.escape(f"n={n!r} must be a positive integer")):
        getattr(fasttag, transform)(np.ones(8), n)


# ----------------------------------------------------------------------------- STFT parameters

BAD_STFT = {
    "n_fft=0": (dict(n_fft=0), "n_fft=0 must be a positive integer"),
    "n_fft=-1": (dict(n_fft=-1), "n_fft=-1 must be a positive integer"),
    "n_fft=2.5": (dict(n_fft=2.5), "n_fft=2.5 must be a positive integer"),
    "n_fft=True": (dict(n_fft=True), "n_fft=True must be a positive integer"),
    "n_fft=str": (dict(n_fft="256"), "n_fft='256' must be a positive integer"),
    "hop_length=0": (dict(hop_length=0), "hop_length=0 must be a positive integer"),
    "hop_length=-64": (dict(hop_length=-64), "hop_length=-64 must be a positive integer"),
    "hop_length=64.0": (dict(hop_length=64.0), "hop_length=64.0 must be a positive integer"),
    "win_length>n_fft": (dict(win_length=300), "win_length=300 must be <= n_fft=256"),
    "win_length=0": (dict(win_length=0), "win_length=0 must be a positive integer"),
    "short_no_center": (dict(n_fft=4096, center=False), "the signal has 2000 samples, fewer than n_fft=4096"),
    "window=kaiser": (dict(window="kaiser"), "window='kaiser' is not a window scipy.signal.get_window knows"),
    "window=hanning": (dict(window="hanning"), "window='hanning' is not a window scipy"),
    "window=empty": (dict(window=""), "window='' is not a window scipy"),
    "window_callable": (dict(window=lambda n: np.ones(n - 1)), "gives shape (255,), expected (256,)"),
    "window=True": (dict(window=True), "window=True gives shape ()"),
    "window_short": (dict(window=np.ones(255)), "window=array gives shape (255,), expected (256,) = (win_length,)"),
    "window_long": (dict(window=np.ones(257)), "window=array gives shape (257,), expected (256,) = (win_length,)"),
    "window_vs_win_length": (dict(window=np.ones(256), win_length=200),
                             "window=array gives shape (256,), expected (200,) = (win_length,)"),
    "window_2d": (dict(window=np.ones((2, 128))), "window=array gives shape (2, 128), expected (256,)"),
    "window_nan": (dict(window=np.r_[np.ones(255), np.nan]), "window=array must give finite real numbers"),
    "window_complex": (dict(window=np.ones(256, dtype=complex)), "window=array must give finite real numbers"),
    "window_strings": (dict(window=np.array(["x"] * 256)), "window=array must give finite real numbers"),
    "pad_mode=wrap": (dict(pad_mode="wrap"),
                      "pad_mode='wrap' is not one of ['constant', 'edge', 'linear_ramp', 'reflect', 'symmetric']"),
    "pad_mode=zeros": (dict(pad_mode="zeros"), "pad_mode='zeros' is not one of"),
    "pad_mode=None": (dict(pad_mode=None), "pad_mode=None is not one of"),
}


@pytest.mark.parametrize("func", sorted(AUDIO_FUNCS))
@pytest.mark.parametrize("case", sorted(BAD_STFT))
def test_bad_stft_parameters(func, case):
    kwargs, message = BAD_STFT[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        AUDIO_FUNCS[func](_y(), **kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, "float32", np.int16])
def test_stft_dtype_must_be_complex(dtype):
    with pytest.raises(ParameterError, match=r"dtype=\w+ must be complex64 or complex128"):
        fasttag.stft(_y(), dtype=dtype, **SMALL)


# ----------------------------------------------------------------------------- mel parameters

BAD_MEL = {
    "n_mels=0": (dict(n_mels=0), "n_mels=0 must be a positive integer"),
    "n_mels=-5": (dict(n_mels=-5), "n_mels=-5 must be a positive integer"),
    "n_mels=40.0": (dict(n_mels=40.0), "n_mels=40.0 must be a positive integer"),
    "fmax>nyquist": (dict(fmax=12000.0), "fmax=12000.0 exceeds the Nyquist frequency sr/2 = 11025.0"),
    "fmin>fmax": (dict(fmin=5000.0, fmax=4000.0), "fmin=5000.0 and fmax=4000.0 must satisfy 0 <= fmin < fmax"),
    "fmin=fmax": (dict(fmin=3000.0, fmax=3000.0), "fmin=3000.0 and fmax=3000.0 must satisfy"),
    "fmin>nyquist": (dict(fmin=20000.0), "fmin=20000.0 and fmax=11025.0 must satisfy"),
    "fmin<0": (dict(fmin=-10.0), "fmin=-10.0 must be a finite number >= 0"),
    "fmin=str": (dict(fmin="a"), "fmin='a' must be a finite number >= 0"),
    "fmax=nan": (dict(fmax=float("nan")), "fmax=nan must be a positive number"),
    "norm=l2": (dict(norm="l2"), "norm='l2' must be 'slaney', None or a number"),
    "norm=ortho": (dict(norm="ortho"), "norm='ortho' must be 'slaney', None or a number"),
    "norm=-1": (dict(norm=-1), "norm=-1 must be None, np.inf, -np.inf, 0 or a positive number"),
    "norm=True": (dict(norm=True), "norm=True must be None, np.inf"),
    "sr=0": (dict(sr=0), "sr=0 must be a positive number"),
    "sr=-22050": (dict(sr=-22050), "sr=-22050 must be a positive number"),
    "sr=nan": (dict(sr=float("nan")), "sr=nan must be a positive number"),
    "sr=str": (dict(sr="22050"), "sr='22050' must be a positive number"),
}


@pytest.mark.parametrize("case", sorted(BAD_MEL))
def test_bad_mel_filter_parameters(case):
    kwargs, message = BAD_MEL[case]
    kwargs = dict(dict(sr=SR, n_fft=256, n_mels=20), **kwargs)
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.filters.mel(**kwargs)


# For mfcc, norm is the DCT normalisation (for which "ortho" is valid), not the mel one.
@pytest.mark.parametrize("func, case", [(f, c) for f in sorted(MEL_FUNCS) for c in sorted(BAD_MEL)
                                        if (f, c) != ("mfcc", "norm=ortho")])
def test_bad_mel_parameters_in_features(func, case):
    kwargs, message = BAD_MEL[case]
    if func == "mfcc" and case.startswith("norm"):
        message = f"norm={kwargs['norm']!r} must be 'ortho' or None"
    kwargs = dict(kwargs)
    sr = kwargs.pop("sr", SR)
    call = {
        "melspectrogram": lambda: fasttag.melspectrogram(_y(), sr=sr, **{**MEL, **kwargs}),
        "logmel": lambda: fasttag.logmel(_y(), sr=sr, **{**MEL, **kwargs}),
        "mfcc": lambda: fasttag.mfcc(_y(), sr=sr, n_mfcc=13, **{**MEL, **kwargs}),
    }[func]
    with pytest.raises(ParameterError, match=re.escape(message)):
        call()


def test_bad_mel_filter_dtype():
    with pytest.raises(ParameterError, match="dtype=int32 must be float32 or float64"):
        fasttag.filters.mel(sr=SR, n_fft=256, n_mels=20, dtype=np.int32)
    with pytest.raises(ParameterError, match="dtype='x' is not a dtype; use one of float32, float64"):  # was a TypeError
        fasttag.filters.mel(sr=SR, n_fft=256, n_mels=20, dtype="x")
    with pytest.raises(ParameterError, match="dtype='x' is not a dtype; use one of complex64, complex128"):
        fasttag.stft(_y(), dtype="x", **SMALL)


@pytest.mark.parametrize("power", [0, -2.0, float("nan"), float("inf"), "2"])
def test_bad_power(power):
    with pytest.raises(ParameterError, match=re.escape(f"power={power!r} must be a positive number")):
        fasttag.melspectrogram(_y(), sr=SR, power=power, **MEL)


@pytest.mark.parametrize("func", ["melspectrogram", "mfcc"])
def test_exactly_one_of_y_and_S(func):
    f = getattr(fasttag, func)
    with pytest.raises(ParameterError, match="exactly one of y"):
        f(sr=SR)
    with pytest.raises(ParameterError, match="exactly one of y"):
        f(_y(), sr=SR, S=_S())


@pytest.mark.parametrize("S, message", [
    (np.ones(40), "S must have at least 2 dimension(s), got shape (40,)"),
    (np.ones((40, 3), dtype=complex), "S must be real, got dtype complex128"),
    (np.full((40, 3), np.nan), "S contains NaN or infinite values"),
    (np.zeros((40, 0)), "S is empty"),
    (np.array([["a"]]), "S must be a real numeric array"),
])
@pytest.mark.parametrize("func", ["melspectrogram", "mfcc"])
def test_bad_S(func, S, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        getattr(fasttag, func)(S=S, sr=SR, n_mfcc=13) if func == "mfcc" else fasttag.melspectrogram(S=S, sr=SR,
                                                                                                     n_mels=10)


# ----------------------------------------------------------------------------- decibels

BAD_DB = {
    "amin=0": (dict(amin=0), "amin=0 must be a positive number"),
    "amin=-1e-10": (dict(amin=-1e-10), "amin=-1e-10 must be a positive number"),
    "amin=nan": (dict(amin=float("nan")), "amin=nan must be a positive number"),
    "amin=str": (dict(amin="1e-10"), "amin='1e-10' must be a positive number"),
    "top_db=-1": (dict(top_db=-1.0), "top_db=-1.0 must be a non-negative number or None"),
    "top_db=nan": (dict(top_db=float("nan")), "top_db=nan must be a non-negative number or None"),
    "top_db=-inf": (dict(top_db=-float("inf")), "top_db=-inf must be a non-negative number or None"),
}


@pytest.mark.parametrize("func", ["power_to_db", "logmel", "mfcc"])
@pytest.mark.parametrize("case", sorted(BAD_DB))
def test_bad_decibel_parameters(func, case):
    kwargs, message = BAD_DB[case]
    call = {
        "power_to_db": lambda: fasttag.power_to_db(_S(), **kwargs),
        "logmel": lambda: fasttag.logmel(_y(), sr=SR, **MEL, **kwargs),
        "mfcc": lambda: fasttag.mfcc(_y(), sr=SR, n_mfcc=13, **MEL, **kwargs),
    }[func]
    with pytest.raises(ParameterError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("S, message", [
    (-_S(), "S must be a non-negative power spectrogram"),
    (np.array([[1.0, -1e-30]]), "S must be a non-negative power spectrogram"),
    (_S() * 1j, "S must be real, got dtype complex128"),
    (np.full((3, 3), np.inf), "S contains NaN or infinite values"),
    (np.zeros((0, 3)), "S is empty"),
])
def test_bad_power_spectrogram(S, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.power_to_db(S)


@pytest.mark.parametrize("ref", [np.max, "1.0", None])
def test_logmel_ref_must_be_a_number(ref):
    with pytest.raises(ParameterError, match=re.escape(f"ref={ref!r} must be a number for logmel")):
        fasttag.logmel(_y(), sr=SR, ref=ref, **MEL)


# ----------------------------------------------------------------------------- mfcc, delta

BAD_MFCC = {
    "n_mfcc>n_mels": (dict(n_mfcc=30), "n_mfcc=30 exceeds the 20 mel bands"),
    "n_mfcc=0": (dict(n_mfcc=0), "n_mfcc=0 must be a positive integer"),
    "n_mfcc=13.0": (dict(n_mfcc=13.0), "n_mfcc=13.0 must be a positive integer"),
    "dct_type=0": (dict(dct_type=0), "dct_type=0 must be 1, 2 or 3"),
    "dct_type=4": (dict(dct_type=4), "dct_type=4 must be 1, 2 or 3"),
    "dct_type=str": (dict(dct_type="2"), "dct_type='2' must be 1, 2 or 3"),
    "dct_type=2.0": (dict(dct_type=2.0), "dct_type=2.0 must be 1, 2 or 3"),  # was scipy's TypeError
    "dct_type=True": (dict(dct_type=True), "dct_type=True must be 1, 2 or 3"),  # was taken as type 1
    "mel_norm=-1": (dict(mel_norm=-1), "mel_norm=-1 must be None, np.inf"),  # was named norm
    "mel_norm=l1": (dict(mel_norm="l1"), "mel_norm='l1' must be 'slaney', None or a number"),
    "norm=slaney": (dict(norm="slaney"), "norm='slaney' must be 'ortho' or None"),
    "lifter=-1": (dict(lifter=-1), "lifter=-1 must be a non-negative number"),
    "lifter=-0.5": (dict(lifter=-0.5), "lifter=-0.5 must be a non-negative number"),
    "lifter=str": (dict(lifter="22"), "lifter='22' must be a non-negative number"),
    "lifter=nan": (dict(lifter=float("nan")), "lifter=nan must be a non-negative number"),
    "lifter=inf": (dict(lifter=float("inf")), "lifter=inf must be a non-negative number"),
}


@pytest.mark.parametrize("source", ["y", "S"])
@pytest.mark.parametrize("case", sorted(BAD_MFCC))
def test_bad_mfcc_parameters(source, case):
    kwargs, message = BAD_MFCC[case]
    kwargs = dict(dict(n_mfcc=13), **kwargs)
    with pytest.raises(ParameterError, match=re.escape(message)):
        if source == "y":
            fasttag.mfcc(_y(), sr=SR, **MEL, **kwargs)
        else:
            fasttag.mfcc(S=fasttag.logmel(_y(), sr=SR, **MEL), **kwargs)


def test_dct_type_1_needs_two_mel_bands():
    with pytest.raises(ParameterError, match=re.escape("dct_type=1 needs at least 2 inputs, got 1")):
        fasttag.mfcc(S=np.ones((1, 20)), n_mfcc=1, dct_type=1)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_out=30, n_in=20), "n_out=30 exceeds n_in=20: a DCT of 20 points has 20 coefficients"),  # was (20, 20)
    (dict(n_out=-1, n_in=5), "n_out=-1 must be a positive integer"),  # was the (4, 5) basis of [:-1]
    (dict(n_out=0, n_in=5), "n_out=0 must be a positive integer"),
    (dict(n_out=2.5, n_in=4), "n_out=2.5 must be a positive integer"),  # was a TypeError
    (dict(n_out=3, n_in=0), "n_in=0 must be a positive integer"),  # was scipy's ValueError
    (dict(n_out=3, n_in=4.0), "n_in=4.0 must be a positive integer"),
    (dict(n_out=True, n_in=4), "n_out=True must be a positive integer"),
    (dict(n_out=3, n_in=4, dtype=np.int64), "dtype=int64 must be float32 or float64"),  # was an integer basis
])
def test_dct_checks_its_sizes(kwargs, message):
    """The sizes of filters.dct are checked as mfcc's n_mfcc is: n_out above n_in is refused, not cut to n_in."""
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.filters.dct(**kwargs)


BAD_DELTA = {
    "width=4": (dict(width=4), "width=4 must be an odd integer >= 3"),
    "width=2": (dict(width=2), "width=2 must be an odd integer >= 3"),
    "width=1": (dict(width=1), "width=1 must be an odd integer >= 3"),
    "width=-3": (dict(width=-3), "width=-3 must be an odd integer >= 3"),
    "width=9.0": (dict(width=9.0), "width=9.0 must be an odd integer >= 3"),
    "width>length": (dict(width=31), "width=31 cannot exceed data.shape[axis]=30 with mode='interp'"),
    "width>length_axis0": (dict(width=11, axis=0), "width=11 cannot exceed data.shape[axis]=10"),
    "mode": (dict(mode="reflect"), "mode='reflect' must be one of ['interp', 'mirror', 'constant', 'nearest', 'wrap']"),
    "order=0": (dict(order=0), "order=0 must be a positive integer"),
    "order=-1": (dict(order=-1), "order=-1 must be a positive integer"),
    "order=1.5": (dict(order=1.5), "order=1.5 must be a positive integer"),
    "axis=2": (dict(axis=2), "axis=2 is out of range for data with 2 dimensions"),
    "axis=-3": (dict(axis=-3), "axis=-3 is out of range for data with 2 dimensions"),
    "cval=nan": (dict(mode="constant", cval=np.nan), "cval=nan must be a finite number"),
    "cval=str": (dict(mode="constant", cval="1"), "cval='1' must be a finite number"),
}


@pytest.mark.parametrize("case", sorted(BAD_DELTA))
def test_bad_delta_parameters(case):
    kwargs, message = BAD_DELTA[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.delta(np.ones((10, 30)), **kwargs)


@pytest.mark.parametrize("width, order", [(3, 3), (3, 4), (5, 5)])
def test_delta_order_must_be_below_width(width, order):
    # A Savitzky-Golay fit of degree `order` needs more than `order` points: a parameter
    # error naming order (and width), not scipy's internal "polyorder" message.
    with pytest.raises(ParameterError, match=f"order={order}"):
        fasttag.delta(np.ones((4, 30)), width=width, order=order)


@pytest.mark.parametrize("data, message", [
    (np.ones((3, 20), dtype=complex), "data must be real"),
    (np.full((3, 20), np.nan), "data contains NaN or infinite values"),
    (np.zeros((3, 0)), "data is empty"),
])
def test_bad_delta_data(data, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.delta(data, width=3)


# ----------------------------------------------------------------------------- workers

WORKER_CALLS = {
    "rfft": lambda w: fasttag.rfft(np.ones(64), workers=w),
    "dft": lambda w: fasttag.dft(np.ones(64), workers=w),
    "stft": lambda w: fasttag.stft(_y(), workers=w, **SMALL),
    "melspectrogram": lambda w: fasttag.melspectrogram(_y(), sr=SR, workers=w, **MEL),
    "melspectrogram_S": lambda w: fasttag.melspectrogram(S=np.ones((129, 5)), sr=SR, n_mels=20, workers=w),
    "logmel": lambda w: fasttag.logmel(_y(), sr=SR, workers=w, **MEL),
    "mfcc": lambda w: fasttag.mfcc(_y(), sr=SR, n_mfcc=13, workers=w, **MEL),
    "mfcc_S": lambda w: fasttag.mfcc(S=_S(), n_mfcc=13, workers=w),
    "power_to_db": lambda w: fasttag.power_to_db(_S(), workers=w),
}
BAD_WORKERS = {
    "0": (0, "workers=0 must be nonzero"),
    "str": ("2", "workers='2' must be an integer or None"),
    "float": (1.5, "workers=1.5 must be an integer or None"),
    "bool": (True, "workers=True must be an integer or None"),
    "too_negative": (-100000, "workers=-100000 asks for fewer than one of"),
    "too_many": (2**31, "workers=2147483648 is more threads than the core starts"),  # was pybind11's TypeError
}


@pytest.mark.parametrize("func", sorted(WORKER_CALLS))
@pytest.mark.parametrize("case", sorted(BAD_WORKERS))
def test_bad_workers(func, case):
    workers, message = BAD_WORKERS[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        WORKER_CALLS[func](workers)


@pytest.mark.parametrize("case", sorted(BAD_WORKERS))
def test_bad_set_workers(case):
    workers, message = BAD_WORKERS[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        with fasttag.set_workers(workers):
            pass  # pragma: no cover
    assert fasttag.get_workers() == 1


@pytest.mark.parametrize("workers", [1, 2, -1, np.int64(2)])
def test_good_workers_are_accepted(workers):
    for call in WORKER_CALLS.values():
        call(workers)


HUGE = 10**400  # an int past float's range: numpy's isfinite raised a TypeError for it

BIG_INTEGERS = {
    "hop_length=2**63": (lambda: fasttag.stft(_y(), n_fft=256, hop_length=2**63),
                         "hop_length=9223372036854775808 is above 2**63 - 1"),  # was pybind11's TypeError
    "n_fft=2**64": (lambda: fasttag.logmel(_y(), n_fft=2**64), "n_fft=18446744073709551616 is above 2**63 - 1"),
    "sr=10**400": (lambda: fasttag.logmel(_y(), sr=HUGE, **MEL), "sr=1000000000"),
    "top_db=10**400": (lambda: fasttag.logmel(_y(), top_db=HUGE, **MEL), "must be a non-negative number or None"),
    "amin=10**400": (lambda: fasttag.power_to_db(_S(), amin=HUGE), "must be a positive number"),
    "threshold=10**400": (lambda: fasttag.estimate_tuning(_y(), threshold=HUGE), "must be a finite number"),
    "ctroct=10**400": (lambda: fasttag.filters.chroma(sr=SR, n_fft=256, ctroct=HUGE), "must be a finite number"),
    "lifter=10**400": (lambda: fasttag.mfcc(_y(), lifter=HUGE, **MEL), "lifter=1000000000"),
}


@pytest.mark.parametrize("case", sorted(BIG_INTEGERS))
def test_integers_too_big_for_the_core_or_for_a_float_are_parameter_errors(case):
    call, message = BIG_INTEGERS[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        call()


def test_integers_within_floats_range_are_numbers(rng):
    y = rng.standard_normal(4000)
    np.testing.assert_array_equal(fasttag.logmel(y, top_db=2**70, **MEL), fasttag.logmel(y, top_db=None, **MEL))
    np.testing.assert_array_equal(fasttag.logmel(y, sr=SR, fmax=2**13, **MEL), fasttag.logmel(y, fmax=8192.0, **MEL))


# ----------------------------------------------------------------------------- C++ boundary


def _f32(*shape):
    return np.ones(shape, dtype=np.float32)


def _unaligned_f32(*shape):
    """Ones in a view one byte into a buffer: C-contiguous, not aligned (reading it as float is undefined)."""
    x = np.frombuffer(bytearray(4 * int(np.prod(shape)) + 1), dtype=np.uint8)[1:].view(np.float32).reshape(shape)
    x[...] = 1
    return x


@pytest.mark.parametrize("name", ["rfft", "dft"])
@pytest.mark.parametrize("x, message", [
    (np.ones((2, 8), dtype=np.float16), "x must be float32 or float64, got dtype float16"),
    (np.ones((2, 8), dtype=np.int32), "x must be float32 or float64, got dtype int32"),
    (np.ones((2, 8), dtype=np.int64), "x must be float32 or float64, got dtype int64"),
    (np.ones((2, 8), dtype=np.complex64), "x must be float32 or float64, got dtype complex64"),
    (np.ones((2, 8), dtype=bool), "x must be float32 or float64, got dtype bool"),
    (_f32(2, 16)[:, ::2], "x must be C-contiguous"),
    (np.asfortranarray(_f32(3, 8)), "x must be C-contiguous"),
    (_f32(8), "x must have 2 dimensions, got 1"),
    (_f32(1, 2, 8), "x must have 2 dimensions, got 3"),
    (_f32(2, 0), "n=0 must be a positive integer"),
])
def test_core_transform_rejects(name, x, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(_core, name)(x, 1)


@pytest.mark.parametrize("name", ["rfft", "dft"])
def test_core_transform_rejects_zero_workers(name):
    with pytest.raises(ValueError, match=re.escape("workers=0 must be >= 1")):
        getattr(_core, name)(_f32(2, 8), 0)


# _core.stft(y, window, hop_length, pad, n_frames, pad_mode, workers): a valid call is
# y (1, 1000) float32, window (256,), hop 64, pad 128, 16 frames.
STFT_OK = dict(y=_f32(1, 1000), window=_f32(256), hop_length=64, pad=128, n_frames=16, pad_mode=0, workers=1)

BAD_CORE_STFT = {
    "y_float16": (dict(y=np.ones((1, 1000), np.float16)), "y must be float32 or float64, got dtype float16"),
    "y_int": (dict(y=np.ones((1, 1000), np.int16)), "y must be float32 or float64, got dtype int16"),
    "window_dtype": (dict(window=np.ones(256)), "window must have dtype float32, got float64"),
    "y_noncontiguous": (dict(y=_f32(1, 2000)[:, ::2]), "y must be C-contiguous"),
    "y_unaligned": (dict(y=_unaligned_f32(1, 1000)), "y must be aligned"),
    "window_unaligned": (dict(window=_unaligned_f32(256)), "window must be aligned"),
    "y_fortran": (dict(y=np.asfortranarray(_f32(2, 1000))), "y must be C-contiguous"),
    "window_noncontiguous": (dict(window=_f32(512)[::2]), "window must be C-contiguous"),
    "y_1d": (dict(y=_f32(1000)), "y must have 2 dimensions, got 1"),
    "y_3d": (dict(y=_f32(1, 1, 1000)), "y must have 2 dimensions, got 3"),
    "window_2d": (dict(window=_f32(1, 256)), "window must have 1 dimensions, got 2"),
    "window_empty": (dict(window=_f32(0)), "n_fft=0 must be a positive integer"),
    "y_empty": (dict(y=_f32(1, 0)), "n_samples=0 must be a positive integer"),
    "pad_mode=3": (dict(pad_mode=3), "pad_mode=3 must be 0, 1 or 2"),
    "pad_mode=-1": (dict(pad_mode=-1), "pad_mode=-1 must be 0, 1 or 2"),
    "hop_length=0": (dict(hop_length=0), "hop_length=0 must be a positive integer"),
    "hop_length=-64": (dict(hop_length=-64), "hop_length=-64 must be a positive integer"),
    "pad=-1": (dict(pad=-1), "pad=-1 must be non-negative"),
    # 1000 + 2 pad wraps to 998 in int64: 12 frames would fit in it
    "pad=2^63-1": (dict(pad=2**63 - 1, n_frames=12), "pad=9223372036854775807 is too large"),
    "n_frames=0": (dict(n_frames=0), "n_frames=0 must be a positive integer"),
    "n_frames+1": (dict(n_frames=17), "n_frames=17 frames do not fit in the padded signal"),
    "n_frames_no_pad": (dict(pad=0, n_frames=13), "n_frames=13 frames do not fit"),
    "n_frames=10^6": (dict(n_frames=10**6), "n_frames=1000000 frames do not fit"),
    "n_frames=2^40": (dict(n_frames=2**40), "n_frames=1099511627776"),
    "workers=0": (dict(workers=0), "workers=0 must be >= 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CORE_STFT))
def test_core_stft_rejects(case):
    changes, message = BAD_CORE_STFT[case]
    args = dict(STFT_OK, **changes)
    with pytest.raises(ValueError, match=re.escape(message)):
        _core.stft(*args.values())


def test_core_stft_valid_call_and_negative_frames():
    out = _core.stft(*STFT_OK.values())
    assert out.shape == (1, 129, 16)
    with pytest.raises(ValueError, match="n_frames|negative"):
        _core.stft(*dict(STFT_OK, n_frames=-1).values())


# _core.melspectrogram(y, window, basis, hop_length, pad, n_frames, pad_mode, power, ref_db, amin, top_db, workers)
MEL_OK = dict(STFT_OK, basis=_f32(20, 129), power=2.0, ref_db=None, amin=1e-10, top_db=80.0)


def _core_mel(args: dict):
    return _core.melspectrogram(args["y"], args["window"], args["basis"], args["hop_length"], args["pad"],
                                args["n_frames"], args["pad_mode"], args["power"], args["ref_db"], args["amin"],
                                args["top_db"], args["workers"])


BAD_CORE_MEL = {
    **{k: v for k, v in BAD_CORE_STFT.items() if k not in ("window_dtype",)},
    "window_dtype": (dict(window=np.ones(256)), "window must have dtype float32, got float64"),
    "basis_columns": (dict(basis=_f32(20, 128)), "basis has 128 columns, expected n_fft//2+1 = 129"),
    "basis_dtype": (dict(basis=np.ones((20, 129))), "basis must have dtype float32, got float64"),
    "basis_1d": (dict(basis=_f32(129)), "basis must have 2 dimensions, got 1"),
    "basis_noncontiguous": (dict(basis=np.asfortranarray(_f32(20, 129))), "basis must be C-contiguous"),
    "basis_no_rows": (dict(basis=_f32(0, 129)), "n_mels=0 must be a positive integer"),
    "power=0": (dict(power=0.0), "power must be positive"),
    "power=-1": (dict(power=-1.0), "power must be positive"),
    "amin=0": (dict(ref_db=0.0, amin=0.0), "amin="),
    "amin=-1": (dict(ref_db=0.0, amin=-1.0), "amin="),
    "top_db=-1": (dict(ref_db=0.0, top_db=-1.0), "top_db must be non-negative"),
}


@pytest.mark.parametrize("case", sorted(BAD_CORE_MEL))
def test_core_melspectrogram_rejects(case):
    changes, message = BAD_CORE_MEL[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        _core_mel(dict(MEL_OK, **changes))


def test_core_melspectrogram_valid_call():
    assert _core_mel(MEL_OK).shape == (1, 20, 16)
    assert _core_mel(dict(MEL_OK, ref_db=0.0)).shape == (1, 20, 16)


BAD_CORE_PROJECT = {
    "mismatch": (_f32(10, 5), _f32(2, 6, 3), "basis has 5 columns but x has 6 rows per item"),
    "basis_dtype": (np.ones((10, 5)), _f32(2, 5, 3), "basis must have dtype float32, got float64"),
    "x_float16": (_f32(10, 5), np.ones((2, 5, 3), np.float16), "x must be float32 or float64, got dtype float16"),
    "x_int": (_f32(10, 5), np.ones((2, 5, 3), np.int32), "x must be float32 or float64, got dtype int32"),
    "x_2d": (_f32(10, 5), _f32(5, 3), "x must have 3 dimensions, got 2"),
    "basis_3d": (_f32(1, 10, 5), _f32(2, 5, 3), "basis must have 2 dimensions, got 3"),
    "x_noncontiguous": (_f32(10, 5), _f32(2, 5, 6)[..., ::2], "x must be C-contiguous"),
    "basis_noncontiguous": (np.asfortranarray(_f32(10, 5)), _f32(2, 5, 3), "basis must be C-contiguous"),
    "no_columns": (_f32(10, 5), _f32(2, 5, 0), "n_cols=0 must be a positive integer"),
    "no_basis_rows": (_f32(0, 5), _f32(2, 5, 3), "n_out=0 must be a positive integer"),
}


@pytest.mark.parametrize("case", sorted(BAD_CORE_PROJECT))
def test_core_project_rejects(case):
    basis, x, message = BAD_CORE_PROJECT[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        _core.project(basis, x, 1)
    with pytest.raises(ValueError):
        _core.project(_f32(10, 5), _f32(2, 5, 3), 0)


BAD_CORE_DB = {
    "S_1d": ((_f32(5), 0.0, 1e-10, 80.0, 1), "S must have 2 dimensions, got 1"),
    "S_3d": ((_f32(1, 2, 5), 0.0, 1e-10, 80.0, 1), "S must have 2 dimensions, got 3"),
    "S_float16": ((np.ones((1, 5), np.float16), 0.0, 1e-10, 80.0, 1), "S must be float32 or float64"),
    "S_int": ((np.ones((1, 5), np.int64), 0.0, 1e-10, 80.0, 1), "S must be float32 or float64"),
    "S_noncontiguous": ((_f32(2, 10)[:, ::2], 0.0, 1e-10, 80.0, 1), "S must be C-contiguous"),
    "amin=0": ((_f32(1, 5), 0.0, 0.0, 80.0, 1), "amin="),
    "amin=-1": ((_f32(1, 5), 0.0, -1.0, 80.0, 1), "amin="),
    "top_db=-1": ((_f32(1, 5), 0.0, 1e-10, -1.0, 1), "top_db must be non-negative"),
    "workers=0": ((_f32(1, 5), 0.0, 1e-10, 80.0, 0), "workers=0 must be >= 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_CORE_DB))
def test_core_power_to_db_rejects(case):
    args, message = BAD_CORE_DB[case]
    with pytest.raises(ValueError, match=re.escape(message)):
        _core.power_to_db(*args)


def test_counts_and_seeds_from_numpy_are_taken(tmp_path):
    """Sizes and seeds that come out of numpy are accepted wherever a plain int is, and a seed
    outside torch's range is named: the same rules in every module."""
    from fasttag import _validate
    from fasttag.datasets import read_mtat

    assert _validate.seed(np.uint32(7)) == 7 and type(_validate.seed(np.int64(7))) is int
    for bad in (None, -1, 2**63, 1.0, True):
        with pytest.raises(fasttag.ParameterError, match=f"seed={bad!r} must be an integer in"):
            _validate.seed(bad)
    with pytest.raises(fasttag.ParameterError, match=r"top=np.int64\(0\) must be a positive integer"):
        read_mtat(tmp_path, top=np.int64(0))  # refused as a count, before the folder is read


def test_cpu_functions_name_a_gpu_array():
    """Anything exposing __cuda_array_interface__ given to a CPU function: a ParameterError saying
    where it lives, not numpy's object-array or torch's device error."""

    class OnGpu:
        __cuda_array_interface__ = {"shape": (4, 3), "typestr": "<f4", "data": (0, False), "version": 3}

    for call in (lambda: fasttag.logmel(OnGpu()), lambda: fasttag.KMeans(2).fit(OnGpu())):
        with pytest.raises(fasttag.ParameterError, match="is a GPU array, but this runs on the CPU: give "
                                                         "device='cuda'"):
            call()


def test_get_window_checks_its_sizes():
    """win_length > n_fft was numpy's broadcast error; win_length=0 blamed window=."""
    with pytest.raises(ParameterError, match=re.escape("win_length=64 must be <= n_fft=32")):
        fasttag.filters.get_window("hann", 64, n_fft=32)
    with pytest.raises(ParameterError, match=re.escape("win_length=0 must be a positive integer")):
        fasttag.filters.get_window("hann", 0, n_fft=32)
    with pytest.raises(ParameterError, match=re.escape("n_fft=3.5 must be a positive integer")):
        fasttag.filters.get_window("hann", 3, n_fft=3.5)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: fasttag.filters.fft_frequencies(sr=SR, n_fft=0), "n_fft=0 must be a positive integer"),
    (lambda: fasttag.filters.fft_frequencies(sr=SR, n_fft=512.0), "n_fft=512.0 must be a positive integer"),
    (lambda: fasttag.filters.fft_frequencies(sr=0, n_fft=512), "sr=0 must be a positive number"),
    (lambda: fasttag.filters.mel_frequencies(-1), "n_mels=-1 must be an integer >= 0"),
    (lambda: fasttag.filters.mel_frequencies(2.5), "n_mels=2.5 must be an integer >= 0"),
])
def test_frequency_helpers_check_their_sizes(call, message):
    """n_fft=0 was a ZeroDivisionError and n_mels=-1 numpy's linspace error (librosa's too), naming neither."""
    with pytest.raises(ParameterError, match=re.escape(message)):
        call()


FLAG_CALLS = {
    "stft center": lambda v: fasttag.stft(_y(), center=v, **SMALL),
    "logmel center": lambda v: fasttag.logmel(_y(), center=v, **MEL),
    "frame_count center": lambda v: fasttag.frame_count(2000, n_fft=256, hop_length=64, center=v),
    "mel htk": lambda v: fasttag.filters.mel(sr=SR, n_fft=256, n_mels=20, htk=v),
    "melspectrogram htk": lambda v: fasttag.melspectrogram(_y(), htk=v, **MEL),
    "onset center": lambda v: fasttag.onset_strength(S=_S(), center=v),
    "onset detrend": lambda v: fasttag.onset_strength(S=_S(), detrend=v),
    "tempogram center": lambda v: fasttag.tempogram(onset_envelope=_S()[0], win_length=8, center=v),
    "get_window fftbins": lambda v: fasttag.filters.get_window("hann", 8, fftbins=v),
}


@pytest.mark.parametrize("call", sorted(FLAG_CALLS))
@pytest.mark.parametrize("value", ["False", "no", np.array([True, False]), None, 2, 0.0])
def test_flags_must_be_true_or_false(call, value):
    """A string was true (center="False" centred, htk="no" took HTK's scale), an array numpy's ambiguity error."""
    name = call.split()[1]
    with pytest.raises(ParameterError, match=re.escape(f"{name}={value!r} must be True or False")):
        FLAG_CALLS[call](value)


@pytest.mark.parametrize("call", sorted(FLAG_CALLS))
def test_flags_take_numpy_bools_and_zero_or_one(call):
    for value in (np.True_, np.False_, 1, 0):
        FLAG_CALLS[call](value)


def test_warnings_name_the_callers_line(rng):
    """The n_fft warning named a line inside fasttag (spectrum.py or feature.py, by the depth of the call)."""
    y = rng.standard_normal(1000)
    calls = [lambda: fasttag.stft(y), lambda: fasttag.logmel(y), lambda: fasttag.mfcc(y),
             lambda: fasttag.melspectrogram(y=y, n_fft=256, n_mels=200),
             lambda: fasttag.filters.mel(sr=SR, n_fft=256, n_mels=200), lambda: fasttag.pitch_tuning([0.0])]
    for call in calls:
        with pytest.warns(UserWarning) as record:
            call()
        assert {warning.filename for warning in record} == {__file__}
