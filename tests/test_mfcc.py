"""fasttag.mfcc and fasttag.delta against librosa 0.11 (and scipy's DCT, and polynomials)."""

from __future__ import annotations

import re

import librosa
import numpy as np
import pytest
import scipy.fft

import fasttag


@pytest.mark.pairwise(
    n_mfcc=[13, 20, 40],
    dct_type=[1, 2, 3],
    norm=[None, "ortho"],
    lifter=[0, 22, 1.5],
    n_mels=[40, 64, 128],
    n_fft=[512, 1000, 2048],
    htk=[False, True],
    dtype=[np.float32, np.float64],
)
def test_mfcc_matches_librosa(case, music, tol):
    sr = 22050
    y = music(30000, sr=sr, dtype=case["dtype"])
    kwargs = dict(n_fft=case["n_fft"], hop_length=case["n_fft"] // 4, n_mels=case["n_mels"], htk=case["htk"])
    mfcc_kwargs = dict(n_mfcc=case["n_mfcc"], dct_type=case["dct_type"], norm=case["norm"], lifter=case["lifter"])
    expected = librosa.feature.mfcc(y=y, sr=sr, **mfcc_kwargs, **kwargs)
    got = fasttag.mfcc(y, sr=sr, **mfcc_kwargs, **kwargs)
    assert got.shape == expected.shape == (case["n_mfcc"], expected.shape[-1])
    assert got.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).cepstrum, f"mfcc {case}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mfcc_defaults_match_librosa(music, tol, dtype):
    y = music(30000, dtype=dtype)
    expected = librosa.feature.mfcc(y=y, sr=22050)
    got = fasttag.mfcc(y, sr=22050)
    assert got.shape == (20, expected.shape[-1])
    tol.assert_close(got, expected, tol(dtype).cepstrum)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dct_type, norm, lifter", [(1, None, 0), (1, "ortho", 10), (2, None, 0), (2, "ortho", 22),
                                                    (3, None, 5), (3, "ortho", 0)])
def test_mfcc_from_S_matches_librosa(music, tol, dtype, dct_type, norm, lifter):
    y = music(20000, dtype=np.float64, shape=(2, 3))
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050, n_fft=1024, hop_length=256, n_mels=60))
    S = S.astype(dtype)
    kwargs = dict(n_mfcc=24, dct_type=dct_type, norm=norm, lifter=lifter)
    expected = librosa.feature.mfcc(S=S, **kwargs)
    got = fasttag.mfcc(S=S, **kwargs)
    assert got.shape == (2, 3, 24, S.shape[-1])
    assert got.dtype == dtype
    tol.assert_close(got, expected, tol(dtype).cepstrum)


@pytest.mark.parametrize("dct_type", [1, 2, 3])
@pytest.mark.parametrize("norm", [None, "ortho"])
def test_mfcc_is_a_truncated_scipy_dct(rng, tol, dct_type, norm):
    # Independent of librosa: the DCT over the mel axis, first n_mfcc rows.
    S = rng.uniform(-80, 0, (32, 45))
    got = fasttag.mfcc(S=S, n_mfcc=12, dct_type=dct_type, norm=norm)
    expected = scipy.fft.dct(S, type=dct_type, norm=norm, axis=0)[:12]
    tol.assert_close(got, expected, tol(np.float64).cepstrum)
    full = fasttag.mfcc(S=S, n_mfcc=32, dct_type=dct_type, norm=norm)
    tol.assert_close(full, scipy.fft.dct(S, type=dct_type, norm=norm, axis=0), tol(np.float64).cepstrum)


@pytest.mark.parametrize("lifter", [0.5, 1, 22, 100.0])
def test_lifter_scales_each_coefficient(rng, tol, lifter):
    S = rng.uniform(-80, 0, (40, 30))
    plain = fasttag.mfcc(S=S, n_mfcc=20)
    liftered = fasttag.mfcc(S=S, n_mfcc=20, lifter=lifter)
    weights = 1 + (lifter / 2) * np.sin(np.pi * np.arange(1, 21) / lifter)
    tol.assert_close(liftered, plain * weights[:, None], tol(np.float64).cepstrum)
    tol.assert_close(liftered, librosa.feature.mfcc(S=S, n_mfcc=20, lifter=lifter), tol(np.float64).cepstrum)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mfcc_with_stft_options_matches_librosa(music, tol, dtype):
    # **kwargs reach the log-mel: window, centring, padding, band limits, mel scale.
    y = music(25000, dtype=dtype)
    kwargs = dict(n_fft=1000, hop_length=250, win_length=800, window="hamming", center=False, n_mels=50,
                  fmin=40.0, fmax=8000.0, htk=True)
    expected = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=30, **kwargs)
    tol.assert_close(fasttag.mfcc(y, sr=22050, n_mfcc=30, **kwargs), expected, tol(dtype).cepstrum)
    reflect = dict(kwargs, center=True, pad_mode="reflect")
    expected = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=30, **reflect)
    tol.assert_close(fasttag.mfcc(y, sr=22050, n_mfcc=30, **reflect), expected, tol(dtype).cepstrum)


def test_mfcc_decibel_options_reach_the_logmel(music, tol):
    y = music(20000, dtype=np.float64)
    M = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=1024, hop_length=256, n_mels=40)
    for db in (dict(top_db=None), dict(top_db=40.0), dict(ref=1e-3, amin=1e-6)):
        expected = librosa.feature.mfcc(S=librosa.power_to_db(M, **db), n_mfcc=13)
        got = fasttag.mfcc(y, sr=22050, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40, **db)
        tol.assert_close(got, expected, tol(np.float64).cepstrum, f"{db}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [1.0, 1.5, 2.0])
def test_mfcc_power_reaches_the_melspectrogram_as_in_librosa(music, tol, dtype, power):
    """librosa passes power= on to melspectrogram (then power_to_db); it was refused (logmel takes no power)."""
    y = music(25000, dtype=dtype)
    kwargs = dict(n_mfcc=20, n_fft=1024, hop_length=256, n_mels=64, power=power)
    expected = librosa.feature.mfcc(y=y, sr=22050, **kwargs)
    got = fasttag.mfcc(y, sr=22050, **kwargs)
    assert got.dtype == dtype
    tol.assert_close(got, expected, tol(dtype).cepstrum, f"power={power}")
    # with the dB keywords that fasttag's mfcc passes on too
    M = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=1024, hop_length=256, n_mels=64, power=power)
    expected = librosa.feature.mfcc(S=librosa.power_to_db(M, ref=1e-3, top_db=40.0), n_mfcc=20)
    tol.assert_close(fasttag.mfcc(y, sr=22050, ref=1e-3, top_db=40.0, **kwargs), expected, tol(dtype).cepstrum)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mfcc_batch_matches_librosa_per_clip(music, tol, dtype):
    y = music(15000, dtype=dtype, shape=(3,))
    got = fasttag.mfcc(y, sr=22050, n_mfcc=20, n_fft=512, hop_length=128)
    for i in range(3):
        expected = librosa.feature.mfcc(y=y[i], sr=22050, n_mfcc=20, n_fft=512, hop_length=128)
        tol.assert_close(got[i], expected, tol(dtype).cepstrum, f"clip {i}")


# ----------------------------------------------------------------------------- delta


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("width", [3, 5, 9])
def test_delta_matches_librosa(music, tol, dtype, order, width):
    C = fasttag.mfcc(music(20000, dtype=dtype), sr=22050, n_mfcc=20, n_fft=1024, hop_length=256)
    got = fasttag.delta(C, width=width, order=order)
    expected = librosa.feature.delta(C, width=width, order=order)
    assert got.shape == C.shape
    assert got.dtype == dtype
    tol.assert_close(got, expected, tol(dtype).cepstrum)


@pytest.mark.parametrize("axis", [0, 1, -1, -2, 2])
@pytest.mark.parametrize("order", [1, 2])
def test_delta_along_any_axis_matches_librosa(rng, tol, axis, order):
    data = rng.standard_normal((11, 13, 17)).cumsum(axis=-1)
    got = fasttag.delta(data, width=9 if data.shape[axis] >= 9 else 3, order=order, axis=axis)
    expected = librosa.feature.delta(data, width=9 if data.shape[axis] >= 9 else 3, order=order, axis=axis)
    tol.assert_close(got, expected, tol(np.float64).cepstrum)


@pytest.mark.parametrize("width", [3, 5, 9])
def test_delta_of_polynomials_is_exact(tol, width):
    # Known answers: the first derivative of a line is its slope; the second derivative of
    # a parabola is twice its leading coefficient, at every frame including the edges.
    t = np.arange(40, dtype=np.float64)
    line = np.stack([2.5 * t - 3, -0.5 * t + 7])
    np.testing.assert_allclose(fasttag.delta(line, width=width), np.array([[2.5], [-0.5]]) * np.ones_like(line),
                               rtol=0, atol=1e-10)
    parabola = 0.75 * t**2 - 2 * t + 1
    np.testing.assert_allclose(fasttag.delta(parabola, width=width, order=2), np.full_like(t, 1.5), rtol=0,
                               atol=1e-9)
    # A first-order fit on a symmetric window is exact for a parabola away from the edges
    # (at the edges 'interp' fits a line to the first/last window instead).
    inner = slice(width // 2, -(width // 2))
    np.testing.assert_allclose(fasttag.delta(parabola, width=width)[inner], (1.5 * t - 2)[inner], rtol=0, atol=1e-9)


@pytest.mark.parametrize("mode", ["interp", "mirror", "constant", "nearest", "wrap"])
@pytest.mark.parametrize("n_frames", [5, 40])
def test_delta_modes_match_librosa(rng, tol, mode, n_frames):
    """librosa's mode= (scipy's savgol_filter); all but 'interp' take sequences shorter than the width."""
    data = rng.standard_normal((6, n_frames)).cumsum(axis=-1)
    if mode == "interp" and n_frames < 9:
        with pytest.raises(fasttag.ParameterError, match="another mode, e.g. 'nearest'"):
            fasttag.delta(data, width=9, mode=mode)
        return
    for order in (1, 2):
        tol.assert_close(fasttag.delta(data, width=9, order=order, mode=mode),
                         librosa.feature.delta(data, width=9, order=order, mode=mode), tol(np.float64).cepstrum)


@pytest.mark.parametrize("n_frames", [5, 40])
def test_delta_constant_mode_takes_cval_as_librosa(rng, tol, n_frames):
    """librosa passes cval= on to savgol_filter (the value beyond the ends for mode="constant"); a TypeError here."""
    data = rng.standard_normal((6, n_frames)).cumsum(axis=-1)
    cval = float(rng.uniform(-5, 5))
    for order in (1, 2):
        got = fasttag.delta(data, width=9, order=order, mode="constant", cval=cval)
        tol.assert_close(got, librosa.feature.delta(data, width=9, order=order, mode="constant", cval=cval),
                         tol(np.float64).cepstrum, f"order={order}")
        assert not np.allclose(got, fasttag.delta(data, width=9, order=order, mode="constant"))
    np.testing.assert_array_equal(fasttag.delta(data, width=3, mode="nearest", cval=cval),
                                  fasttag.delta(data, width=3, mode="nearest"))  # other modes ignore it


def test_delta_width_equal_to_length_is_allowed(rng, tol):
    data = rng.standard_normal((4, 9))
    tol.assert_close(fasttag.delta(data, width=9), librosa.feature.delta(data, width=9), tol(np.float64).cepstrum)


def test_study_feature_stack_matches_librosa(music, tol):
    # The study's LSTM input: 30 MFCCs with deltas and delta-deltas (90 features per frame).
    y = music(30000, dtype=np.float32)
    C = fasttag.mfcc(y, sr=22050, n_mfcc=30)
    stack = np.concatenate([C, fasttag.delta(C), fasttag.delta(C, order=2)], axis=-2)
    ref = librosa.feature.mfcc(y=y, sr=22050, n_mfcc=30)
    expected = np.concatenate([ref, librosa.feature.delta(ref), librosa.feature.delta(ref, order=2)], axis=-2)
    assert stack.shape == (90, ref.shape[-1])
    for block in range(3):
        rows = slice(30 * block, 30 * (block + 1))
        tol.assert_close(stack[rows], expected[rows], 10 * tol(np.float32).cepstrum, f"block {block}")


def test_delta_takes_librosas_savgol_keywords(music, tol):
    """librosa's delta passes **kwargs on to savgol_filter: polyorder (default order), delta (the sample spacing)
    and cval; a TypeError here (cval aside)."""
    C = fasttag.mfcc(music(20000, dtype=np.float64), sr=22050, n_mfcc=20, hop_length=256)
    for kwargs in (dict(polyorder=3), dict(order=2, polyorder=4, delta=0.5), dict(width=5, polyorder=4, delta=2.0),
                   dict(delta=0.25, mode="constant", cval=-3.0)):
        got = fasttag.delta(C, **kwargs)
        tol.assert_close(got, librosa.feature.delta(C, **kwargs), tol(np.float64).cepstrum, f"{kwargs}")
        plain = {k: v for k, v in kwargs.items() if k not in ("polyorder", "delta")}
        assert not np.allclose(got, fasttag.delta(C, **plain)), kwargs
    np.testing.assert_array_equal(fasttag.delta(C, order=2, polyorder=2), fasttag.delta(C, order=2))


def test_delta_refuses_a_polyorder_or_spacing_without_meaning(rng):
    data = rng.standard_normal((4, 30)).cumsum(axis=-1)
    # scipy (and so librosa) gives zeros for a degree below the derivative's order
    assert not np.any(librosa.feature.delta(data, order=2, polyorder=1))
    for kwargs, message in ((dict(order=2, polyorder=1), "polyorder=1 must be an integer from order=2 to width - 1=8"),
                            (dict(polyorder=9), "polyorder=9 must be an integer from order=1"),
                            (dict(polyorder=2.0), "polyorder=2.0 must be an integer"),
                            (dict(delta=0), "delta=0 must be a positive number"),
                            (dict(delta=float("nan")), "delta=nan must be a positive number"),
                            (dict(polyorder=3, device="cuda"), "polyorder=3 and delta=1.0 need device='cpu'"),
                            (dict(delta=2.0, device="cuda"), "polyorder=None and delta=2.0 need device='cpu'")):
        with pytest.raises(fasttag.ParameterError, match=re.escape(message)):
            fasttag.delta(data, **kwargs)
