"""onset_strength, tempogram and tempo against librosa 0.11, and click tracks at known tempo."""

from __future__ import annotations

import re

import librosa
import numpy as np
import pytest
import scipy.signal
import scipy.stats

import fasttag
from fasttag import ParameterError, _core
from fasttag.rhythm import MIN_RUNNING_SUM_WINDOW, _cosine_window_products, _fast_length

SR = 22050


# ----------------------------------------------------------------------------- onset strength


@pytest.mark.pairwise(
    lag=[1, 2, 3],
    max_size=[1, 3, 5],
    detrend=[False, True],
    center=[True, False],
    hop_length=[512, 256],
    n_mels=[128, 64],
    dtype=[np.float32, np.float64],
)
def test_onset_strength_matches_librosa(case, music, tol):
    kwargs = {k: v for k, v in case.items() if k != "dtype"}
    y = music(4 * SR, dtype=case["dtype"])
    expected = librosa.onset.onset_strength(y=y, sr=SR, **kwargs)
    got = fasttag.onset_strength(y, sr=SR, **kwargs)
    assert got.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"onset_strength {case}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_onset_strength_from_S_matches_librosa(music, tol, dtype):
    y = music(3 * SR, dtype=dtype)
    S = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=1024, hop_length=256)), ref=np.max)
    for kwargs in ({}, dict(lag=2, max_size=3), dict(aggregate=np.median)):
        expected = librosa.onset.onset_strength(S=S, sr=SR, n_fft=1024, hop_length=256, **kwargs)
        got = fasttag.onset_strength(S=S, sr=SR, n_fft=1024, hop_length=256, **kwargs)
        tol.assert_close(got, expected, tol(dtype).spec, f"from S {kwargs}")


# ----------------------------------------------------------------------------- tempogram


def test_fast_length_is_the_smallest_5_smooth_number():
    for n in [1, 2, 7, 97, 383, 767, 1001, 4099]:
        smooth = [m for m in range(n, 2 * n + 1) if _is_5_smooth(m)]
        assert _fast_length(n) == smooth[0]


def _is_5_smooth(m: int) -> bool:
    for p in (2, 3, 5):
        while m % p == 0:
            m //= p
    return m == 1


@pytest.mark.pairwise(
    win_length=[384, 100, 97, 1],
    center=[True, False],
    window=["hann", "hamming", "boxcar"],
    norm=[np.inf, 2, None, 1],
    dtype=[np.float32, np.float64],
)
def test_tempogram_matches_librosa(case, music, tol):
    kwargs = {k: v for k, v in case.items() if k != "dtype"}
    env = librosa.onset.onset_strength(y=music(10 * SR, dtype=np.float64), sr=SR).astype(case["dtype"])
    expected = librosa.feature.tempogram(onset_envelope=env, sr=SR, **kwargs)
    got = fasttag.tempogram(onset_envelope=env, sr=SR, **kwargs)
    assert got.dtype == case["dtype"]  # librosa returns float64 for float32 input
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"tempogram {case}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tempogram_from_audio_matches_librosa(music, tol, dtype):
    y = music(6 * SR, dtype=dtype)
    tol.assert_close(fasttag.tempogram(y, sr=SR), librosa.feature.tempogram(y=y, sr=SR), tol(dtype).spec)
    tol.assert_close(fasttag.tempogram(y, sr=SR, hop_length=256, win_length=200),
                     librosa.feature.tempogram(y=y, sr=SR, hop_length=256, win_length=200), tol(dtype).spec)


def test_tempogram_equals_direct_autocorrelation(rng, tol):
    # Independent of librosa: the windowed autocorrelation by the O(n^2) sum, in float64.
    env = rng.random(150)
    win = 64
    got = fasttag.tempogram(onset_envelope=env, win_length=win, center=False, norm=None)
    w = np.hanning(win + 1)[:-1]
    for t in (0, 40, 150 - win):
        x = env[t : t + win] * w
        direct = np.array([np.dot(x[: win - lag], x[lag:]) for lag in range(win)])
        tol.assert_close(got[:, t], direct, tol(np.float64).spec, f"column {t}")


@pytest.mark.parametrize("window", ["hann", "blackman"])
def test_short_cosine_windows_keep_float64_accuracy(rng, window):
    """Running sums lost up to 1e-10 of the peak below 10 lags (the FFT keeps 1e-16); against the O(n^2) sum."""
    env = np.abs(rng.standard_normal(3000)) ** 2 * np.exp(np.cumsum(rng.normal(0, 0.05, 3000)))  # a drifting level
    for win in range(2, 40):
        got = fasttag.tempogram(onset_envelope=env, win_length=win, window=window, center=False)
        x = np.lib.stride_tricks.sliding_window_view(env, win) * scipy.signal.get_window(window, win, fftbins=True)
        direct = np.stack([np.sum(x[:, : win - lag] * x[:, lag:], axis=1) for lag in range(win)])
        n = direct.shape[1]
        atol = 1e-14 if win < MIN_RUNNING_SUM_WINDOW else 1e-11  # by the FFT, or by running sums (float64 tol)
        np.testing.assert_allclose(got[:, :n], direct / direct[0], rtol=0, atol=atol, err_msg=f"{win=}")


def test_tempogram_batch_equals_per_clip(music):
    env = np.stack([librosa.onset.onset_strength(y=c, sr=SR) for c in music(5 * SR, shape=(3,))])
    env = env.reshape(3, 1, -1)
    batch = fasttag.tempogram(onset_envelope=env, win_length=128)
    assert batch.shape == (3, 1, 128, env.shape[-1])
    for i in range(3):
        np.testing.assert_array_equal(batch[i, 0], fasttag.tempogram(onset_envelope=env[i, 0], win_length=128))
    assert not np.array_equal(batch[0], batch[1])
    np.testing.assert_array_equal(fasttag.tempogram(onset_envelope=env, win_length=128, workers=2), batch)


def test_tempo_frequencies_match_librosa():
    for n, hop, sr in [(384, 512, 22050), (100, 256, 16000)]:
        np.testing.assert_array_equal(fasttag.tempo_frequencies(n, hop_length=hop, sr=sr),
                                      librosa.tempo_frequencies(n, hop_length=hop, sr=sr))


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(hop_length=0), "hop_length=0 must be a positive integer"),  # was [inf inf ...] and a RuntimeWarning
    (dict(hop_length=256.5), "hop_length=256.5 must be a positive integer"),
    (dict(sr="a"), "sr='a' must be a positive number"),  # was a TypeError from numpy
    (dict(sr=-22050), "sr=-22050 must be a positive number"),
])
def test_tempo_frequencies_checks_its_arguments(kwargs, match):
    with pytest.raises(fasttag.ParameterError, match=re.escape(match)):
        fasttag.tempo_frequencies(4, **kwargs)


# ----------------------------------------------------------------------------- tempo


def click_track(rng, bpm: float, seconds: float = 20.0, sr: int = SR) -> np.ndarray:
    """A click (30 ms decaying 1 kHz burst) on every beat from a random phase, over faint noise."""
    n = int(seconds * sr)
    y = 0.01 * rng.standard_normal(n)
    length = int(0.03 * sr)
    t = np.arange(length) / sr
    click = np.sin(2 * np.pi * 1000 * t) * np.exp(-150 * t)
    period = 60.0 / bpm
    for start in np.arange(rng.uniform(0, period), seconds, period):
        i = int(round(start * sr))
        seg = min(length, n - i)
        y[i : i + seg] += click[:seg]
    return y.astype(np.float32)


@pytest.mark.parametrize("bpm", [60, 72.5, 85, 97, 110, 123, 137, 150, 163])  # faster: the octave check's test
def test_tempo_of_click_tracks_within_2_percent(rng, bpm):
    bpm = float(bpm) + rng.uniform(-2, 2)
    y = click_track(rng, bpm)
    got = float(fasttag.tempo(y, sr=SR)[0])
    grid = float(librosa.feature.tempo(y=y, sr=SR)[0])
    print(f"{bpm:.2f} BPM: fasttag {got:.2f} ({100 * (got / bpm - 1):+.2f} %), librosa {grid:.2f} "
          f"({100 * (grid / bpm - 1):+.2f} %)")
    assert abs(got / bpm - 1) <= 0.02


@pytest.mark.parametrize("bpm", [165.0, 172.0, 175.0, 180.0])
def test_fast_click_tracks_need_the_octave_check(rng, bpm):
    # The prior around 120 BPM can read a click track near 180 BPM as half its tempo (as
    # librosa does: at 175 +- 2 BPM, 8 of 30 seeds here, librosa 10); octave_check=True takes
    # the equally strong pulse at twice the tempo (30 of 30 from 165 to 180 BPM).
    y = click_track(rng, bpm)
    got = float(fasttag.tempo(y, sr=SR, octave_check=True)[0])
    print(f"{bpm} BPM: octave_check {got:.2f}, default {float(fasttag.tempo(y, sr=SR)[0]):.2f}, "
          f"librosa {float(librosa.feature.tempo(y=y, sr=SR)[0]):.2f}")
    assert abs(got / bpm - 1) <= 0.02


def test_tempo_without_refinement_equals_librosa(music):
    y = music(12 * SR, shape=(2,))
    for kwargs in ({}, dict(start_bpm=90, std_bpm=0.5), dict(max_tempo=None, ac_size=4.0),
                   dict(aggregate=None)):
        expected = np.stack([librosa.feature.tempo(y=c, sr=SR, **kwargs) for c in y])
        got = fasttag.tempo(y, sr=SR, refine=False, **kwargs)
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected, err_msg=str(kwargs))


@pytest.mark.parametrize("prior", [scipy.stats.uniform(30, 300), scipy.stats.norm(100, 20),
                                   scipy.stats.lognorm(0.4, scale=150)], ids=["uniform", "norm", "lognorm"])
def test_tempo_with_a_prior_equals_librosa(music, prior):
    """librosa's prior= (a scipy.stats distribution's logpdf over the tempogram's BPMs); a TypeError here."""
    y = music(12 * SR, shape=(2,))
    for kwargs in ({}, dict(aggregate=None), dict(max_tempo=None, hop_length=256)):
        expected = np.stack([librosa.feature.tempo(y=c, sr=SR, prior=prior, **kwargs) for c in y])
        got = fasttag.tempo(y, sr=SR, prior=prior, refine=False, **kwargs)
        np.testing.assert_array_equal(got, expected, err_msg=str(kwargs))
    np.testing.assert_array_equal(fasttag.tempo(y, sr=SR, prior=None, refine=False), fasttag.tempo(y, sr=SR,
                                                                                                    refine=False))


class _Prior:
    """A stand-in distribution whose logpdf gives ``value`` for every tempo."""

    def __init__(self, value):
        self.value = value

    def logpdf(self, bpms):
        return self.value(bpms)

    def __repr__(self):
        return "_Prior()"


def test_tempo_from_tempogram_and_envelope_agree(music):
    y = music(10 * SR)
    env = fasttag.onset_strength(y, sr=SR)
    tg = fasttag.tempogram(onset_envelope=env, win_length=344)
    a = fasttag.tempo(y, sr=SR)
    np.testing.assert_array_equal(a, fasttag.tempo(onset_envelope=env, sr=SR))
    np.testing.assert_array_equal(a, fasttag.tempo(tg=tg, sr=SR))


def _sum_ignoring_keepdims(x, axis, keepdims=False):
    return np.sum(x, axis=axis)


@pytest.mark.parametrize("aggregate, match", [
    (len, r"aggregate=<built-in function len> cannot be called as aggregate\(x, axis=-[12]"),
    (lambda x, **kwargs: "mean", r"the result of aggregate=<function .*> must be a real numeric array"),
    (lambda x, **kwargs: np.full(x.shape[:-1] + (1,), np.nan), r"the result of aggregate=.* contains NaN"),
], ids=["len", "string", "nan"])
def test_a_bad_aggregate_is_named(music, aggregate, match):
    y = music(4 * SR)
    with pytest.raises(ParameterError, match=match):
        fasttag.tempo(y, sr=SR, aggregate=aggregate)
    with pytest.raises(ParameterError, match=match):
        fasttag.onset_strength(y, sr=SR, aggregate=aggregate)


def test_an_aggregate_is_taken_where_librosa_takes_it(music, tol):
    y = music(4 * SR, dtype=np.float64)
    # onset_strength: librosa assigns the result into np.mean's shape, so a number broadcasts and x does not
    for aggregate in (_sum_ignoring_keepdims, lambda x, axis: 0.5):
        tol.assert_close(fasttag.onset_strength(y, sr=SR, aggregate=aggregate),
                         librosa.onset.onset_strength(y=y, sr=SR, aggregate=aggregate), tol(np.float64).spec)
    with pytest.raises(ParameterError, match=r"has shape \(\d+, \d+\), which does not broadcast to \(\d+,\)"):
        fasttag.onset_strength(y, sr=SR, aggregate=lambda x, **kwargs: x)


def test_tempo_takes_an_aggregate_as_librosa(music):
    """librosa's tempo takes aggregate(tg, axis=-1, keepdims=True) with the lags kept: one column, or more (a tempo
    of each); it fails on a number (fasttag broadcast it) and on fewer dimensions. A result without the lags, which
    librosa would weigh by the prior alone, is refused too."""
    y = music(8 * SR, shape=(2,))
    tg = librosa.feature.tempogram(y=y, sr=SR, win_length=256)
    for aggregate in (np.median, lambda x, axis, keepdims: x, lambda x, axis, keepdims: x[..., ::20]):
        expected = librosa.feature.tempo(tg=tg, sr=SR, aggregate=aggregate)
        np.testing.assert_array_equal(fasttag.tempo(tg=tg, sr=SR, aggregate=aggregate, refine=False), expected)
    assert expected.shape == (2, -(-tg.shape[-1] // 20))
    for aggregate, result in ((lambda x, axis, keepdims: np.mean(x), "is a number"),
                              (lambda x, axis, keepdims: 120.0, "is a number"),
                              (_sum_ignoring_keepdims, r"has shape \(2, 256\)"),
                              (lambda x, axis, keepdims: np.ones((1, 1)), r"has shape \(1, 1\)")):
        if result != r"has shape \(1, 1\)":
            with pytest.raises((librosa.util.exceptions.ParameterError, AttributeError, ValueError)):
                librosa.feature.tempo(tg=tg, sr=SR, aggregate=aggregate)
        with pytest.raises(ParameterError, match=r"the result of aggregate=.* " + result + r"; tempo needs the lags "
                                                 r"of tg \(2, 256, \d+\) kept, \(2, 256, 1\)"):
            fasttag.tempo(tg=tg, sr=SR, aggregate=aggregate)


BAD = {
    "onset both": (fasttag.onset_strength, dict(y=np.ones(8000, np.float32), S=np.ones((10, 10))), "exactly one"),
    "onset lag": (fasttag.onset_strength, dict(y=np.ones(8000, np.float32), lag=0), "lag=0 must be a positive"),
    "onset max_size": (fasttag.onset_strength, dict(S=np.ones((10, 10)), max_size=-1), "max_size=-1 must be"),
    "onset ref shape": (fasttag.onset_strength, dict(S=np.ones((10, 10)), ref=np.ones((9, 10))), "ref has shape"),
    "onset kwargs with S": (fasttag.onset_strength, dict(S=np.ones((10, 10)), n_mels=40), "only apply to y"),
    "onset int audio": (fasttag.onset_strength, dict(y=np.ones(8000, np.int16)), "floating-point audio"),
    "tg neither": (fasttag.tempogram, {}, "exactly one of y"),
    "tg win": (fasttag.tempogram, dict(onset_envelope=np.ones(50), win_length=0), "win_length=0 must be"),
    "tg short": (fasttag.tempogram, dict(onset_envelope=np.ones(50), win_length=60, center=False),
                 "fewer than win_length=60"),
    "tg nan": (fasttag.tempogram, dict(onset_envelope=np.array([1.0, np.nan] * 30)), "onset_envelope contains NaN"),
    "tg norm": (fasttag.tempogram, dict(onset_envelope=np.ones(50), norm="max"), "norm='max' must be"),
    "tg window": (fasttag.tempogram, dict(onset_envelope=np.ones(50), win_length=8, window=np.ones(7)),
                  "window=array gives shape (7,)"),
    "tg overflow": (fasttag.tempogram, dict(onset_envelope=np.full(100, 1e160), win_length=64),  # was all NaN
                    "onset_envelope holds values up to 1e+160: their products over win_length=64 frames overflow"),
    "tempo start": (fasttag.tempo, dict(onset_envelope=np.ones(500), start_bpm=0), "start_bpm=0 must be"),
    "tempo tg and y": (fasttag.tempo, dict(y=np.ones(8000, np.float32), tg=np.ones((10, 10))), "only one of"),
    "tempo ac_size": (fasttag.tempo, dict(onset_envelope=np.ones(500), ac_size=0.001), "shorter than two hops"),
    "tempo one lag": (fasttag.tempo, dict(onset_envelope=np.ones(500), sr=100), "no lag but 0"),  # was [inf]
    "tempo tg one lag": (fasttag.tempo, dict(tg=np.ones((1, 30))), "tg has shape (1, 30)"),
    "tempo max_tempo": (fasttag.tempo, dict(onset_envelope=np.ones(500), max_tempo=1.0),  # was ignored
                        "max_tempo=1.0 excludes every tempo of the tempogram (the slowest is 7.533 BPM)"),
    "tempo prior": (fasttag.tempo, dict(onset_envelope=np.ones(500), prior="uniform"),
                    "prior='uniform' must be None or a distribution with a logpdf method"),
    "tempo prior shape": (fasttag.tempo, dict(onset_envelope=np.ones(500), prior=_Prior(lambda b: b[1:])),
                          "prior=_Prior(): its logpdf has shape (343,), expected one value per tempo, (344,)"),
    "tempo prior str": (fasttag.tempo, dict(onset_envelope=np.ones(500), prior=_Prior(lambda b: "x")),
                        "prior=_Prior(): its logpdf must be a real numeric array"),
    "tempo prior nan": (fasttag.tempo,
                        dict(onset_envelope=np.ones(500), prior=_Prior(lambda b: np.where(b < 100, np.nan, 0.0))),
                        "prior=_Prior(): its logpdf is NaN at [99.38"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(case):
    func, kwargs, message = BAD[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        func(**kwargs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n_fft", "win", "n_lags"), [(16, 8, 8), (15, 8, 8), (30, 11, 11), (64, 20, 33)])
def test_core_autocorrelation_matches_direct_sums(rng, dtype, n_fft, win, n_lags):
    y = rng.standard_normal((3, 200)).astype(dtype)
    window = np.zeros(n_fft, dtype=dtype)
    window[:win] = rng.uniform(0.2, 1.0, win)
    hop, n_frames = 3, (200 - n_fft) // 3 + 1
    got = _core.autocorrelation(y, window, hop, 0, n_frames, n_lags, 0, workers=2)
    assert got.shape == (3, n_lags, n_frames) and got.dtype == dtype
    frames = np.stack([y[:, t * hop:t * hop + n_fft] for t in range(n_frames)], axis=-1).astype(np.float64)
    x = frames * window[:, None].astype(np.float64)  # (3, n_fft, n_frames)
    expected = np.stack([np.sum(x[:, :n_fft - lag] * x[:, lag:], axis=1) for lag in range(n_lags)], axis=1)
    assert win + n_lags - 1 <= n_fft  # so the circular correlation of the FFT does not wrap
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.max(np.abs(got - expected)) <= tol * np.max(np.abs(expected))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_core_autocorrelation_normalized_in_the_kernel_equals_normalize_after(rng, dtype):
    # The fused norm=inf is the same division as librosa.util.normalize's, so bit for bit;
    # frames of silence (all lags below the smallest normal number) stay zero.
    y = rng.standard_normal((2, 300)).astype(dtype) * rng.uniform(0.01, 100, (2, 1)).astype(dtype)
    y[1, 100:200] = 0
    window = np.hanning(33)[:-1].astype(dtype)
    padded = np.concatenate([window, np.zeros(32, dtype)])
    n_frames = 300 - 64 + 1
    raw = _core.autocorrelation(y, padded, 1, 0, n_frames, 32, 0, workers=2)
    got = _core.autocorrelation(y, padded, 1, 0, n_frames, 32, 0, normalize_peak=True, workers=2)
    expected = librosa.util.normalize(raw, norm=np.inf, axis=-2, threshold=np.finfo(dtype).tiny)
    np.testing.assert_array_equal(got, expected.astype(dtype))
    assert np.all(got[1, :, 110:130] == 0) and np.any(got[0] < 0)
    np.testing.assert_array_equal(np.max(np.abs(got[0]), axis=0), np.ones(n_frames, dtype))


def test_core_autocorrelation_bad_input():
    y = np.ones((1, 64), np.float32) * np.float32(0.5)
    with pytest.raises(ValueError, match="n_lags=10 must be at most"):
        _core.autocorrelation(y, np.ones(16, np.float32), 1, 0, 10, 10)
    y[0, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _core.autocorrelation(y, np.ones(16, np.float32), 1, 0, 10, 4)


# ----------------------------------------------------------------------------- cosine-window autocorrelation


def _direct_hop1_autocorrelation(y: np.ndarray, window: np.ndarray, n_frames: int) -> np.ndarray:
    """float64 O(N^2) reference: (rows, N, n_frames), frames of N = window.size samples at hop 1."""
    n = window.size
    frames = np.lib.stride_tricks.sliding_window_view(y.astype(np.float64), n, axis=-1)[:, :n_frames] * window
    return np.stack([np.sum(frames[..., : n - lag] * frames[..., lag:], axis=-1) for lag in range(n)], axis=1)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "boxcar"])
@pytest.mark.parametrize("n", [6, 31, 64])
def test_cosine_window_products_give_the_lagged_window_products(window, n):
    w = fasttag.filters.get_window(window, n, n_fft=n, dtype=np.float64)
    g = _cosine_window_products(w)
    assert g.shape == (n, {"boxcar": 1, "blackman": 5}.get(window, 3), 2)
    i = np.arange(n)
    for lag in (0, 1, n // 2, n - 1):
        phases = np.exp(2j * np.pi * np.outer(i[: n - lag], np.arange(g.shape[1])) / n)
        rebuilt = (phases @ (g[lag, :, 0] + 1j * g[lag, :, 1])).real
        np.testing.assert_allclose(rebuilt, w[: n - lag] * w[lag:], rtol=0, atol=1e-12)


def test_other_windows_are_not_taken_for_cosine_sums(rng):
    assert _cosine_window_products(np.hanning(65)[:-1].astype(np.float32).astype(np.float64)) is None  # rounded
    assert _cosine_window_products(rng.uniform(0.1, 1.0, 64)) is None
    assert _cosine_window_products(np.bartlett(64)) is None
    assert _cosine_window_products(np.ones(5)) is None  # too short to tell the terms apart
    assert _cosine_window_products(np.zeros(64)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("window", "n"), [("hann", 384), ("hamming", 31), ("blackman", 64), ("boxcar", 7)])
def test_core_cosine_autocorrelation_matches_direct_sums(rng, dtype, window, n):
    # 4,500 frames: three blocks of the kernel's running sums, the last one partial.
    n_frames = 4500
    y = (rng.standard_normal((2, n_frames + n - 1 + 5)) * rng.uniform(0.1, 10, (2, 1))).astype(dtype)
    w = fasttag.filters.get_window(window, n, n_fft=n, dtype=np.float64)
    got = _core.cosine_autocorrelation(y, _cosine_window_products(w), w, n_frames, workers=2)
    assert got.shape == (2, n, n_frames) and got.dtype == dtype
    expected = _direct_hop1_autocorrelation(y, w, n_frames)
    scale = np.max(np.abs(expected), axis=1, keepdims=True)  # each frame's lag 0
    # float64: a frame's sum is the difference of two running sums over up to 9 N frames (the block and
    # its window); a frame where that could lose more than 1e-12 of its scale is summed directly.
    assert np.max(np.abs(got - expected) / scale) <= (1e-6 if dtype == np.float32 else 1e-11)
    np.testing.assert_array_equal(_core.cosine_autocorrelation(y, _cosine_window_products(w), w, n_frames, workers=1),
                                  got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_core_cosine_autocorrelation_normalized_in_the_kernel_equals_normalize_after(rng, dtype):
    y = rng.standard_normal((2, 3000)).astype(dtype) * rng.uniform(0.01, 100, (2, 1)).astype(dtype)
    y[1, 1000:2500] = 0
    w = fasttag.filters.get_window("hann", 40, n_fft=40, dtype=np.float64)
    g = _cosine_window_products(w)
    raw = _core.cosine_autocorrelation(y, g, w, 2900, workers=2)
    got = _core.cosine_autocorrelation(y, g, w, 2900, normalize_peak=True, workers=2)
    expected = librosa.util.normalize(raw, norm=np.inf, axis=-2, threshold=np.finfo(dtype).tiny)
    np.testing.assert_array_equal(got, expected.astype(dtype))
    assert np.all(got[1, :, 1100:2400] == 0) and np.any(got[0] < 0)


@pytest.mark.parametrize("window", [np.bartlett(129)[:-1], np.hanning(129)[:-1].astype(np.float32)])
def test_tempogram_with_a_window_array_matches_librosa(music, tol, window):
    # Not a cosine sum (a triangle), or one rounded to float32: the FFT path.
    env = librosa.onset.onset_strength(y=music(8 * SR, dtype=np.float64), sr=SR)
    expected = librosa.feature.tempogram(onset_envelope=env, sr=SR, win_length=128, window=window)
    tol.assert_close(fasttag.tempogram(onset_envelope=env, sr=SR, win_length=128, window=window), expected,
                     tol(np.float64).spec)


def test_core_cosine_autocorrelation_bad_input():
    y = np.ones((1, 64), np.float32) * np.float32(0.5)
    w = fasttag.filters.get_window("hann", 16, n_fft=16, dtype=np.float64)
    g = _cosine_window_products(w)
    with pytest.raises(ValueError, match=re.escape("n_samples=64 must be at least n_frames + n_lags - 1 = 65")):
        _core.cosine_autocorrelation(y, g, w, 50)
    with pytest.raises(ValueError, match=re.escape("gamma must have shape (n_lags, n_terms, 2)")):
        _core.cosine_autocorrelation(y, g[..., :1].copy(), w, 10)
    with pytest.raises(ValueError, match="gamma must have dtype float64"):
        _core.cosine_autocorrelation(y, g.astype(np.float32), w, 10)
    with pytest.raises(ValueError, match="window has 15 values, gamma 16 lags"):
        _core.cosine_autocorrelation(y, g, w[:-1].copy(), 10)
    with pytest.raises(ValueError, match="n_terms=2 must be 1, 3 or 5"):
        _core.cosine_autocorrelation(y, g[:, :2].copy(), w, 10)
    with pytest.raises(ValueError, match="n_frames=0 must be"):
        _core.cosine_autocorrelation(y, g, w, 0)
    y[0, 7] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        _core.cosine_autocorrelation(y, g, w, 10)


@pytest.mark.filterwarnings("ignore:n_fft=2048 is too large")
@pytest.mark.parametrize("n_samples", [400, 600])
def test_clips_of_fewer_frames_than_the_lag_are_zeros_as_in_librosa(music, n_samples):
    """1 or 2 frames: no frame has a predecessor `lag` back (it was 'lag=1 must be smaller than ...')."""
    y = music(n_samples)
    for kwargs in ({}, {"center": False, "lag": 2}):
        got, expected = fasttag.onset_strength(y, sr=22050, **kwargs), librosa.onset.onset_strength(y=y, sr=22050,
                                                                                                   **kwargs)
        assert got.shape == expected.shape and not got.any() and not expected.any(), kwargs
    np.testing.assert_array_equal(fasttag.tempogram(y, sr=22050), librosa.feature.tempogram(y=y, sr=22050))
    np.testing.assert_allclose(fasttag.tempo(y, sr=22050), librosa.feature.rhythm.tempo(y=y, sr=22050))


def test_keywords_that_logmel_does_not_take_are_named(music):
    """A keyword neither logmel nor melspectrogram takes was a TypeError naming logmel()."""
    y = music(22050)
    for call, name in ((lambda: fasttag.onset_strength(y, n_mel=64), "onset_strength"),
                       (lambda: fasttag.mfcc(y, n_mel=64), "mfcc")):
        with pytest.raises(ParameterError, match=rf"{name} passes its other keywords to fasttag.logmel, which takes "
                                                 r"no \['n_mel'\]"):
            call()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [1.0, 1.5])
def test_onset_strength_feature_none_and_power_match_librosa(music, tol, dtype, power):
    """feature=None is librosa's default (the mel spectrogram) and power= goes on to its melspectrogram; both were
    refused (logmel takes no feature or power)."""
    y = music(4 * SR, dtype=dtype)
    kwargs = dict(hop_length=256, n_mels=64, lag=2)
    tol.assert_close(fasttag.onset_strength(y, sr=SR, feature=None, **kwargs),
                     librosa.onset.onset_strength(y=y, sr=SR, feature=None, **kwargs), tol(dtype).spec, "feature=None")
    got = fasttag.onset_strength(y, sr=SR, power=power, **kwargs)
    assert got.dtype == dtype
    tol.assert_close(got, librosa.onset.onset_strength(y=y, sr=SR, power=power, **kwargs), tol(dtype).spec,
                     f"power={power}")


def test_feature_and_power_that_cannot_be_honoured_are_refused(music):
    y = music(SR)
    with pytest.raises(ParameterError, match=r"feature=<function .*> is not supported: onset_strength takes the mel"):
        fasttag.onset_strength(y, feature=librosa.feature.melspectrogram)
    with pytest.raises(ParameterError, match=re.escape("['power'] only apply to y (audio), not to S")):
        fasttag.onset_strength(S=np.ones((10, 10)), power=1.0)
    for call in (fasttag.mfcc, fasttag.onset_strength):  # refused before any GPU is looked for
        with pytest.raises(ParameterError, match=re.escape("power=1 needs device='cpu'")):
            call(y, power=1.0, device="cuda")
        with pytest.raises(ParameterError, match=re.escape("power=0 must be a positive number")):
            call(y, power=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quiet_columns_after_a_loud_part_keep_their_digits(rng, dtype):
    """An envelope that drops by 1e6 (60 dB of energy): the running sums of the block carried the loud
    part's rounding into the quiet columns, 6e-3 off librosa's (norm=inf) in float32 and float64."""
    env = np.r_[rng.random(300) * 1e3, rng.random(300) * 1e-3, rng.random(200) * 1e2].astype(dtype)
    for window in ("hann", "blackman"):
        got = fasttag.tempogram(onset_envelope=env, win_length=64, window=window)
        expected = librosa.feature.tempogram(onset_envelope=env.astype(np.float64), win_length=64, window=window)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6 if dtype == np.float32 else 1e-11,
                                   err_msg=window)
