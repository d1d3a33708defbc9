"""fasttag.filters.mel, melspectrogram, power_to_db and logmel against librosa 0.11."""

from __future__ import annotations

import warnings

import librosa
import numpy as np
import pytest

import fasttag


def librosa_call(func, *args, **kwargs):
    """func(*args, **kwargs) and whether librosa warned of empty mel filters (no other warning allowed)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = func(*args, **kwargs)
    messages = [str(w.message) for w in caught]
    empty = any("Empty filters" in m for m in messages)
    others = [m for m in messages if "Empty filters" not in m]
    assert not others, f"librosa warned: {others}"
    return out, empty


def fasttag_call(expect_empty_warning: bool, func, *args, **kwargs):
    """func(*args, **kwargs), which must warn of empty mel filters exactly when librosa did."""
    if expect_empty_warning:
        with pytest.warns(UserWarning, match="Empty mel filters"):
            return func(*args, **kwargs)
    return func(*args, **kwargs)  # any warning fails the test (filterwarnings = error)


def resolve_fmax(spec, sr):
    return spec * sr / 2 if isinstance(spec, float) and spec < 1 else spec


def window_kwargs(case: dict) -> dict:
    """The STFT parameters of a pairwise case (hop and win_length given relative to n_fft)."""
    n_fft = case["n_fft"]
    hop = {"n_fft/4": n_fft // 4, "n_fft/3": n_fft // 3}.get(case["hop_length"], case["hop_length"])
    win = {None: None, "3/4": 3 * n_fft // 4}[case["win_length"]]
    return dict(n_fft=n_fft, hop_length=hop, win_length=win, window=case["window"], center=case["center"],
                pad_mode=case["pad_mode"])


# ----------------------------------------------------------------------------- filters.mel


@pytest.mark.pairwise(
    sr=[8000, 16000, 22050, 44100],
    n_fft=[256, 512, 1000, 2048],
    n_mels=[20, 40, 96, 128],
    fmin=[0.0, 30.0, 300.0],
    fmax=[None, 0.8, 3000.0],  # 0.8: 80 % of Nyquist
    htk=[False, True],
    norm=[None, "slaney", 1, 2.0, np.inf],  # numbers: librosa.util.normalize of each triangle
    dtype=[np.float32, np.float64],
)
def test_mel_filterbank_matches_librosa(case, tol):
    kwargs = dict(case, fmax=resolve_fmax(case["fmax"], case["sr"]))
    expected, empty = librosa_call(librosa.filters.mel, **kwargs)
    got = fasttag_call(empty, fasttag.filters.mel, **kwargs)
    assert got.shape == (case["n_mels"], 1 + case["n_fft"] // 2)
    assert got.dtype == expected.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"mel basis {case}")


@pytest.mark.parametrize("sr, n_fft, n_mels", [(44100, 256, 128), (22050, 256, 128), (44100, 512, 128)])
def test_empty_mel_filters_warn_like_librosa(tol, sr, n_fft, n_mels):
    with pytest.warns(UserWarning, match="Empty filters"):
        expected = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)
    with pytest.warns(UserWarning, match=f"Empty mel filters: n_mels={n_mels}"):
        got = fasttag.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)
    tol.assert_close(got, expected, tol(np.float32).spec)
    assert np.any(got.max(axis=1) == 0)


def test_melspectrogram_warns_of_empty_filters_on_every_call(music):
    # The mel basis is built once and shared by later calls with the same arguments; its warning is not.
    y = music(4096, sr=44100)
    for _ in range(2):
        with pytest.warns(UserWarning, match="Empty mel filters: n_mels=128"):
            fasttag.melspectrogram(y, sr=44100, n_fft=256, hop_length=64, n_mels=128)


def test_shared_filterbanks_cannot_be_changed_from_outside(music, tol):
    # filters.mel gives the caller a fresh array to change at will; the basis that melspectrogram
    # shares between calls is another one, and read-only.
    y = music(8192, sr=12000)
    kwargs = dict(sr=12000, n_fft=512, hop_length=256, n_mels=96)
    before = fasttag.melspectrogram(y, **kwargs)
    mine = fasttag.filters.mel(sr=12000, n_fft=512, n_mels=96)
    mine[:] = 0
    assert fasttag.filters.mel(sr=12000, n_fft=512, n_mels=96).any()
    np.testing.assert_array_equal(fasttag.melspectrogram(y, **kwargs), before)
    shared = fasttag.feature._mel_basis(12000, 512, 96, 0.0, None, False, "slaney", np.float32)
    with pytest.raises(ValueError, match="read-only"):
        shared[0, 0] = 1
    tol.assert_close(shared, librosa.filters.mel(sr=12000, n_fft=512, n_mels=96), tol(np.float32).spec)
    # Arguments equal to kept ones but of a refused type are still refused.
    with pytest.raises(fasttag.ParameterError, match="n_mels=96.0"):
        fasttag.melspectrogram(y, **dict(kwargs, n_mels=96.0))
    with pytest.raises(fasttag.ParameterError, match="n_fft"):
        fasttag.melspectrogram(y, **dict(kwargs, n_fft=512.0))


@pytest.mark.parametrize("n_fft", [1023, 1024, 2047])
def test_melspectrogram_from_S_keeps_an_explicit_odd_n_fft(music, tol, n_fft):
    # librosa takes n_fft as given when S has n_fft // 2 + 1 rows, else 2 (rows - 1).
    S = np.abs(librosa.stft(music(22050), n_fft=n_fft, hop_length=512)) ** 2
    for kwargs in (dict(n_fft=n_fft), {}):
        expected = librosa.feature.melspectrogram(S=S, sr=22050, n_mels=40, **kwargs)
        tol.assert_close(fasttag.melspectrogram(S=S, sr=22050, n_mels=40, **kwargs), expected,
                         tol(np.float32).spec, f"{kwargs}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_projection_skips_exactly_the_zero_ends_of_each_basis_row(rng, tol, dtype):
    # The C++ projection touches each row only between its first and last nonzero weight, found
    # 16 weights at a time: rows with zero runs of every length at either end (signed zeros
    # among them), zeros inside, an all-zero row and a dense one must equal the dense product.
    n_in = 70
    basis = np.zeros((40, n_in), dtype=dtype)
    for m, (lead, trail) in enumerate(zip(range(0, 80, 2), rng.integers(0, 40, 40))):
        if lead + trail < n_in:
            basis[m, lead : n_in - trail] = rng.uniform(0.1, 1.0, n_in - lead - trail)
            basis[m, lead + 1 : lead + 3] = 0.0  # inside the span
    basis[:, :1] = -0.0
    basis[3] = 0.0
    basis[5] = rng.uniform(0.1, 1.0, n_in)
    x = rng.standard_normal((2, n_in, 13)).astype(dtype)
    got = fasttag._core.project(basis, x, 1)
    expected = np.einsum("mk,rkt->rmt", basis.astype(np.float64), x.astype(np.float64))
    tol.assert_close(got, expected, tol(dtype).spec)
    assert not got[:, 3].any()


@pytest.mark.parametrize("n_fft, n_mels", [(256, 130), (128, 128)])
def test_more_mel_bands_than_frequency_bins_warn_and_match_librosa(music, tol, n_fft, n_mels):
    y = music(8192)
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=64)) ** 2
    with pytest.warns(UserWarning, match="Empty filters"):
        expected = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=n_fft, hop_length=64, n_mels=n_mels)
        expected_from_S = librosa.feature.melspectrogram(S=S, sr=22050, n_mels=n_mels)
    with pytest.warns(UserWarning, match=f"Empty mel filters: n_mels={n_mels}"):
        got = fasttag.melspectrogram(y, sr=22050, n_fft=n_fft, hop_length=64, n_mels=n_mels)
    with pytest.warns(UserWarning, match="Empty mel filters"):
        got_from_S = fasttag.melspectrogram(S=S, sr=22050, n_mels=n_mels)
    assert got.shape == expected.shape == (n_mels, S.shape[-1])
    tol.assert_close(got, expected, tol(np.float32).spec)
    tol.assert_close(got_from_S, expected_from_S, tol(np.float32).spec)


def test_mel_filterbank_defaults_match_librosa(tol):
    got = fasttag.filters.mel(sr=22050, n_fft=2048)
    expected = librosa.filters.mel(sr=22050, n_fft=2048)
    assert got.dtype == np.float32
    tol.assert_close(got, expected, tol(np.float32).spec)


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_conversions_match_librosa(htk):
    hz = np.array([0.0, 20.0, 440.0, 999.0, 1000.0, 1001.0, 4000.0, 11025.0, 22050.0])
    np.testing.assert_allclose(fasttag.filters.hz_to_mel(hz, htk=htk), librosa.hz_to_mel(hz, htk=htk), rtol=1e-14)
    mels = np.linspace(0, 60, 31)
    np.testing.assert_allclose(fasttag.filters.mel_to_hz(mels, htk=htk), librosa.mel_to_hz(mels, htk=htk),
                               rtol=1e-13)
    np.testing.assert_allclose(fasttag.filters.mel_frequencies(40, fmin=30, fmax=8000, htk=htk),
                               librosa.mel_frequencies(40, fmin=30, fmax=8000, htk=htk), rtol=1e-13)


def test_mel_scale_conversions_of_a_number_give_a_numpy_scalar_as_librosa(rng):
    """A number gave a 0-d ndarray on Slaney's scale (librosa: a np.float64); arrays keep their shape."""
    hz = float(rng.uniform(0, 2000)) * 10 ** rng.integers(0, 2)  # below and above 1 kHz, Slaney's break
    mels = float(rng.uniform(0, 60))
    for htk in (False, True):
        for number in (hz, int(hz), np.float64(hz), np.array(hz)):
            got, expected = fasttag.filters.hz_to_mel(number, htk=htk), librosa.hz_to_mel(number, htk=htk)
            assert type(got) is type(expected) is np.float64, (htk, type(got))
            np.testing.assert_allclose(got, expected, rtol=1e-14)
        for number in (mels, np.array(mels)):
            got, expected = fasttag.filters.mel_to_hz(number, htk=htk), librosa.mel_to_hz(number, htk=htk)
            assert type(got) is type(expected) is np.float64, (htk, type(got))
            np.testing.assert_allclose(got, expected, rtol=1e-13)
        assert fasttag.filters.hz_to_mel([hz], htk=htk).shape == (1,)
        assert fasttag.filters.mel_to_hz(np.full((2, 3), mels), htk=htk).shape == (2, 3)


def test_slaney_norm_gives_unit_area_triangles():
    # Known property: with norm="slaney" each triangle's integral over Hz is 1 (approximately,
    # sampled on the FFT grid: sum(w) * bin_width ~= 1 for bands wider than a few bins).
    sr, n_fft = 22050, 8192
    basis = fasttag.filters.mel(sr=sr, n_fft=n_fft, n_mels=40, dtype=np.float64)
    area = basis.sum(axis=1) * sr / n_fft
    np.testing.assert_allclose(area, 1.0, rtol=2e-2)
    assert np.all(basis >= 0)


# ----------------------------------------------------------------------------- melspectrogram


# The STFT and filterbank parameters that both the mel and the log-mel grids cover.
MEL_GRID = dict(
    n_fft=[256, 512, 1000, 2048],
    hop_length=[100, "n_fft/4"],
    win_length=[None, "3/4"],
    window=["hann", "hamming", "blackman", "boxcar"],
    center=[True, False],
    pad_mode=["constant", "edge", "reflect"],
    n_mels=[32, 64, 128],
    band=[(0.0, None), (50.0, 0.9), (300.0, 5000.0)],
    htk=[False, True],
    norm=[None, "slaney", 1, 2.0, np.inf],  # numbers: librosa.util.normalize of each triangle
    dtype=[np.float32, np.float64],
)


@pytest.mark.pairwise(**MEL_GRID, power=[2.0, 1.0, 1.5])
def test_melspectrogram_matches_librosa(case, music, tol):
    sr = 22050
    fmin, fmax = case["band"]
    kwargs = dict(window_kwargs(case), power=case["power"], n_mels=case["n_mels"], fmin=fmin,
                  fmax=resolve_fmax(fmax, sr), htk=case["htk"], norm=case["norm"])
    y = music(30000, sr=sr, dtype=case["dtype"])
    expected, empty = librosa_call(librosa.feature.melspectrogram, y=y, sr=sr, **kwargs)
    got = fasttag_call(empty, fasttag.melspectrogram, y, sr=sr, **kwargs)
    assert got.dtype == expected.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"melspectrogram {case}")


@pytest.mark.parametrize("sr", [8000, 16000, 44100])
def test_melspectrogram_other_sampling_rates(music, tol, sr):
    y = music(sr, sr=sr, dtype=np.float64)
    kwargs = dict(n_fft=1024, hop_length=256, n_mels=64)
    tol.assert_close(fasttag.melspectrogram(y, sr=sr, **kwargs),
                     librosa.feature.melspectrogram(y=y, sr=sr, **kwargs), tol(np.float64).spec)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_melspectrogram_defaults_match_librosa(music, tol, dtype):
    y = music(30000, dtype=dtype)
    tol.assert_close(fasttag.melspectrogram(y), librosa.feature.melspectrogram(y=y), tol(dtype).spec)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft, n_mels, htk, norm", [(512, 64, False, "slaney"), (2048, 128, True, None),
                                                      (1000, 40, False, None)])
def test_melspectrogram_from_S_matches_librosa(music, tol, dtype, n_fft, n_mels, htk, norm):
    sr = 16000
    y = music(16000, sr=sr, dtype=dtype, shape=(2,))
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=n_fft // 4)) ** 2
    kwargs = dict(sr=sr, n_mels=n_mels, htk=htk, norm=norm)
    expected = librosa.feature.melspectrogram(S=S, **kwargs)
    got = fasttag.melspectrogram(S=S, **kwargs)
    assert got.shape == (2, n_mels, S.shape[-1])
    assert got.dtype == dtype
    tol.assert_close(got, expected, tol(dtype).spec)
    # The 2-D path agrees with the batch.
    np.testing.assert_array_equal(fasttag.melspectrogram(S=S[1], **kwargs), got[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_fused_melspectrogram_equals_projected_stft(music, tol, dtype, power):
    # Internal consistency: the fused pass equals the mel projection of fasttag's own STFT.
    y = music(20000, dtype=dtype)
    S = np.abs(fasttag.stft(y, n_fft=1024, hop_length=300)) ** power
    unfused = fasttag.melspectrogram(S=S.astype(dtype), sr=22050, n_mels=80)
    fused = fasttag.melspectrogram(y, sr=22050, n_fft=1024, hop_length=300, n_mels=80, power=power)
    tol.assert_close(fused, unfused, tol(dtype).spec)


# ----------------------------------------------------------------------------- power_to_db


def power_spectrogram(music, dtype) -> np.ndarray:
    """A mel power spectrogram with a silent stretch (exact zeros) and values below amin."""
    y = music(20000, dtype=np.float64)
    S = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=1024, hop_length=256, n_mels=64)
    S[:, 10:14] = 0.0
    S[5:9, 20:30] *= 1e-14
    return S.astype(dtype)


@pytest.mark.pairwise(
    ref=[1.0, np.max, 1e-3, np.median, -2.0, 50.0],
    amin=[1e-10, 1e-5, 1e-3],
    top_db=[80.0, 40.0, None, 0.0],
    dtype=[np.float32, np.float64],
)
def test_power_to_db_matches_librosa(case, music, tol):
    S = power_spectrogram(music, case["dtype"])
    kwargs = dict(ref=case["ref"], amin=case["amin"], top_db=case["top_db"])
    expected = librosa.power_to_db(S, **kwargs)
    got = fasttag.power_to_db(S, **kwargs)
    assert got.dtype == case["dtype"]
    assert got.shape == S.shape
    # Elementwise: compared everywhere, floor included.
    err = np.max(np.abs(got.astype(np.float64) - expected))
    assert err <= tol(case["dtype"]).db, f"max dB error {err:.3g} for {case}"


@pytest.mark.parametrize("shape", [(50,), (1, 50), (7, 1)])
def test_power_to_db_small_shapes_match_librosa(rng, tol, shape):
    S = rng.uniform(0, 10, shape) ** 4
    np.testing.assert_allclose(fasttag.power_to_db(S, ref=np.max), librosa.power_to_db(S, ref=np.max),
                               rtol=0, atol=tol(np.float64).db)


@pytest.mark.parametrize("ref, top_db", [(1.0, 80.0), (np.max, 40.0), (np.mean, None), (1e-4, 20.0)])
def test_power_to_db_batch_is_per_item(music, tol, ref, top_db):
    # Documented difference: for > 2-D input, the top_db peak and a callable ref are taken
    # per (n_bins, n_frames) item; librosa applied to each item is the reference.
    y = music(12000, dtype=np.float64, shape=(2, 3))
    S = librosa.feature.melspectrogram(y=y, sr=22050, n_fft=512, hop_length=128, n_mels=48)
    S[0, 1] *= 1e-6  # one quiet item: its floor differs from the others'
    got = fasttag.power_to_db(S, ref=ref, top_db=top_db)
    assert got.shape == S.shape
    for i in np.ndindex(S.shape[:2]):
        expected = librosa.power_to_db(S[i], ref=ref, top_db=top_db)
        np.testing.assert_allclose(got[i], expected, rtol=0, atol=tol(np.float64).db, err_msg=f"item {i}")


@pytest.mark.parametrize("top_db", [80.0, 10.0, None])
def test_power_to_db_broadcasts_an_array_ref_like_librosa(rng, tol, top_db):
    S = (rng.standard_normal((40, 30)) ** 2).astype(np.float32)
    for ref in (np.array([2.5]), rng.uniform(0.5, 3.0, S.shape), S.max(axis=0, keepdims=True)):
        expected = librosa.power_to_db(S, ref=ref, top_db=top_db)
        got = fasttag.power_to_db(S, ref=ref, top_db=top_db)
        assert got.dtype == expected.dtype == np.float32
        tol.assert_close(got, expected, tol(np.float32).db, f"ref shape {ref.shape}")
    for bad, match in [(np.ones(7), "ref has shape \\(7,\\)"), (np.array([np.nan]), "ref contains NaN"),
                       (float("nan"), "ref=nan must be finite"), (lambda S: S.max(axis=0), "must return a number")]:
        with pytest.raises(fasttag.ParameterError, match=match):
            fasttag.power_to_db(S, ref=bad, top_db=top_db)


@pytest.mark.parametrize("ref", ["1.0", None, object(), 10**400, lambda S: "max"], ids=repr)
def test_power_to_db_refuses_a_ref_that_is_not_a_number_array_or_callable(rng, ref):
    S = rng.uniform(0.0, 2.0, (3, 12, 9))
    for item in (S[0], S):  # one item, and a batch (a callable ref is applied per item there)
        with pytest.raises(fasttag.ParameterError, match=r"^ref=.* must be a number, an array or a callable"):
            fasttag.power_to_db(item, ref=ref)


def test_overflowed_float32_power_is_inf_in_decibels_not_a_finite_number(music):
    # Finite float32 audio whose |X|^2 exceeds float32's range: those bins are inf in the mel
    # spectrogram and must stay inf in dB (a bit-level log2 would read inf as 385.3 dB).
    kwargs = dict(sr=8000, n_fft=256, hop_length=64, n_mels=20)
    y = music(8000, sr=8000)
    y *= np.float32(np.sqrt(1e40 / float(fasttag.melspectrogram(y, **kwargs).max())))  # the loudest bins pass 3.4e38
    power = fasttag.melspectrogram(y, **kwargs)
    assert np.isinf(power).any() and np.isfinite(power).any()
    db = fasttag.logmel(y, top_db=None, **kwargs)
    np.testing.assert_array_equal(np.isinf(db), np.isinf(power))
    assert db[np.isfinite(db)].max() < 10 * np.log10(np.finfo(np.float32).max)


def test_an_amin_below_the_smallest_normal_float32_is_refused(music, tol):
    y = music(8000, sr=8000)
    for a in (1e-39, 1e-42):
        with pytest.raises(fasttag.ParameterError, match=f"amin={a:g} is below the smallest normal float32"):
            fasttag.logmel(y, sr=8000, amin=a)
        with pytest.raises(fasttag.ParameterError, match="smallest normal float32"):
            fasttag.power_to_db(np.ones((3, 3), np.float32), amin=a)
    S = np.full((2, 2), 1e-45)
    tol.assert_close(fasttag.power_to_db(S, amin=1e-42, top_db=None), librosa.power_to_db(S, amin=1e-42, top_db=None),
                     tol(np.float64).db)


@pytest.mark.parametrize("top_db", [80.0, None])
def test_an_amin_above_the_largest_float32_is_refused(music, rng, tol, top_db):
    # An amin finite as a Python float but inf in float32 made every decibel inf.
    y = music(8000, sr=8000)
    S = rng.uniform(0.0, 2.0, (2, 16, 12)).astype(np.float32)
    match = "amin=1e\\+39 is above the largest float32 number"
    with pytest.raises(fasttag.ParameterError, match=match):
        fasttag.logmel(y, sr=8000, amin=1e39, top_db=top_db)
    for ref in (1.0, np.max, rng.uniform(0.5, 2.0, (16, 1))):
        with pytest.raises(fasttag.ParameterError, match=match):
            fasttag.power_to_db(S, ref=ref, amin=1e39, top_db=top_db)
    S64 = S[0].astype(np.float64)  # float64 takes such a floor, as librosa does
    tol.assert_close(fasttag.power_to_db(S64, amin=1e39, top_db=top_db),
                     librosa.power_to_db(S64, amin=1e39, top_db=top_db), tol(np.float64).db)


def test_big_endian_input_gives_the_native_result(music):
    y = music(8000, sr=8000)
    kwargs = dict(sr=8000, n_fft=256, hop_length=64, n_mels=20)
    np.testing.assert_array_equal(fasttag.logmel(y.astype(">f4"), **kwargs), fasttag.logmel(y, **kwargs))
    S = fasttag.melspectrogram(y, **kwargs).astype(">f8")
    np.testing.assert_array_equal(fasttag.power_to_db(S), fasttag.power_to_db(S.astype(np.float64)))


def test_power_to_db_clips_at_top_db_below_peak(music):
    S = power_spectrogram(music, np.float64)
    for top_db in (10.0, 35.5, 80.0):
        D = fasttag.power_to_db(S, top_db=top_db)
        assert D.min() == pytest.approx(D.max() - top_db, abs=1e-9)
        unclipped = fasttag.power_to_db(S, top_db=None)
        np.testing.assert_allclose(D, np.maximum(unclipped, unclipped.max() - top_db), rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------- logmel


@pytest.mark.pairwise(**MEL_GRID, ref=[1.0, 1e-2, 30.0], amin=[1e-10, 1e-6], top_db=[80.0, 60.0, None])
def test_logmel_matches_librosa(case, music, tol):
    sr = 22050
    fmin, fmax = case["band"]
    mel_kwargs = dict(window_kwargs(case), n_mels=case["n_mels"], fmin=fmin, fmax=resolve_fmax(fmax, sr),
                      htk=case["htk"], norm=case["norm"])
    db_kwargs = dict(ref=case["ref"], amin=case["amin"], top_db=case["top_db"])
    y = music(30000, sr=sr, dtype=case["dtype"])
    M, empty = librosa_call(librosa.feature.melspectrogram, y=y, sr=sr, power=2.0, **mel_kwargs)
    expected = librosa.power_to_db(M, **db_kwargs)
    got = fasttag_call(empty, fasttag.logmel, y, sr=sr, **mel_kwargs, **db_kwargs)
    assert got.dtype == case["dtype"]
    tol.assert_db_close(got, expected, tol(case["dtype"]).db, what=f"logmel {case}")
    if case["top_db"] is not None:
        assert got.min() >= got.max() - case["top_db"] - tol(case["dtype"]).db


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logmel_defaults_match_librosa(music, tol, dtype):
    y = music(30000, dtype=dtype)
    expected = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050))
    tol.assert_db_close(fasttag.logmel(y, sr=22050), expected, tol(dtype).db)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logmel_choi_input_shape(music, tol, dtype):
    # Choi et al.'s input: 12 kHz, n_fft 512, hop 256, 96 mel bands.
    sr = 12000
    y = music(3 * sr, sr=sr, dtype=dtype)
    got = fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=96)
    assert got.shape == (96, 1 + 3 * sr // 256)
    M = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=512, hop_length=256, n_mels=96)
    tol.assert_db_close(got, librosa.power_to_db(M), tol(dtype).db)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logmel_batch_is_per_clip(music, tol, dtype):
    # top_db applies per clip; each clip equals librosa on that clip alone.
    y = music(15000, dtype=dtype, shape=(2, 2))
    y[1, 0] *= 1e-3  # a much quieter clip
    kwargs = dict(n_fft=1024, hop_length=256, n_mels=64)
    got = fasttag.logmel(y, sr=22050, **kwargs)
    fused_check = fasttag.power_to_db(fasttag.melspectrogram(y, sr=22050, **kwargs))
    for i in np.ndindex(y.shape[:-1]):
        expected = librosa.power_to_db(librosa.feature.melspectrogram(y=y[i], sr=22050, **kwargs))
        tol.assert_db_close(got[i], expected, tol(dtype).db, what=f"clip {i}")
        tol.assert_db_close(got[i], fused_check[i], tol(dtype).db, what=f"clip {i} vs power_to_db")


def test_audio_that_went_through_pickle_is_taken_and_does_not_change_the_kept_basis(music, tol):
    import pickle

    y = music(8000, sr=8000)
    moved = pickle.loads(pickle.dumps(y))
    assert moved.dtype == y.dtype and moved.dtype is not y.dtype
    expected = fasttag.logmel(y, sr=8000, n_fft=256, n_mels=24)
    np.testing.assert_array_equal(fasttag.logmel(moved, sr=8000, n_fft=256, n_mels=40), fasttag.logmel(
        y, sr=8000, n_fft=256, n_mels=40))  # fmt: skip
    np.testing.assert_array_equal(fasttag.logmel(y, sr=8000, n_fft=256, n_mels=24), expected)


@pytest.mark.parametrize("basis_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_filterbank_dtype_is_taken_as_in_librosa(music, tol, dtype, basis_dtype):
    """librosa's melspectrogram(dtype=) goes to filters.mel, and mfcc and onset_strength pass it on: the result is the
    audio's dtype promoted with the basis's (float32 audio with a float64 basis gives float64); a TypeError here."""
    y = music(20000, dtype=dtype)
    kwargs = dict(n_fft=1024, hop_length=256, n_mels=64, dtype=basis_dtype)
    expected = librosa.feature.melspectrogram(y=y, **kwargs)
    got = fasttag.melspectrogram(y, **kwargs)
    assert got.dtype == expected.dtype == np.result_type(dtype, basis_dtype)
    tol.assert_close(got, expected, tol(dtype).spec)  # float32 audio: librosa rounds its STFT to float32
    tol.assert_db_close(fasttag.logmel(y, **kwargs), librosa.power_to_db(expected), tol(dtype).db)
    got = fasttag.mfcc(y, **kwargs)
    assert got.dtype == expected.dtype
    tol.assert_close(got, librosa.feature.mfcc(y=y, **kwargs), tol(dtype).cepstrum)
    got = fasttag.onset_strength(y, **kwargs)
    assert got.dtype == expected.dtype
    tol.assert_close(got, librosa.onset.onset_strength(y=y, **kwargs), tol(dtype).spec)
    # The same S: the basis must be librosa's in basis_dtype, to the result's precision.
    S = np.abs(librosa.stft(y, n_fft=1024, hop_length=256)) ** 2
    expected = librosa.feature.melspectrogram(S=S, n_mels=64, dtype=basis_dtype)
    got = fasttag.melspectrogram(S=S, n_mels=64, dtype=basis_dtype)
    assert got.dtype == expected.dtype
    tol.assert_close(got, expected, tol(expected.dtype).spec)


def test_a_filterbank_dtype_the_path_cannot_take_is_named(music):
    y = music(8000)
    for dtype, message in ((np.int32, "dtype=int32 must be float32 or float64"), ("mel", "dtype='mel' is not a dtype")):
        with pytest.raises(fasttag.ParameterError, match=message):
            fasttag.melspectrogram(y, dtype=dtype)
    for call in (fasttag.melspectrogram, fasttag.logmel, fasttag.mfcc, fasttag.onset_strength, fasttag.chroma_stft):
        with pytest.raises(fasttag.ParameterError, match="dtype=float64 needs device='cpu'"):
            call(y, dtype=np.float64, device="cuda")
