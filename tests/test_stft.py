"""fasttag.stft against librosa 0.11 and a plain numpy reference: windows, pad modes, framing."""

from __future__ import annotations

import re

import librosa
import numpy as np
import pytest
import scipy.signal

import fasttag

COMPLEX_OF = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def numpy_stft(y: np.ndarray, *, n_fft: int, hop_length: int, window: np.ndarray, center: bool,
               pad_mode: str) -> np.ndarray:
    """Reference STFT in float64: np.pad the whole signal, cut frames, window, numpy.fft.rfft.

    ``window`` has n_fft values (already centred and zero-padded).
    """
    y = np.asarray(y, dtype=np.float64)
    if center:
        y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(n_fft // 2, n_fft // 2)], mode=pad_mode)
    n_frames = 1 + (y.shape[-1] - n_fft) // hop_length
    starts = np.arange(n_frames) * hop_length
    frames = y[..., starts[None, :] + np.arange(n_fft)[:, None]]  # (..., n_fft, n_frames)
    return np.fft.rfft(frames * window[:, None], axis=-2)


def padded_window(name_or_values, win_length: int, n_fft: int) -> np.ndarray:
    """The analysis window as librosa builds it: periodic, centred in n_fft samples."""
    if isinstance(name_or_values, str):
        values = scipy.signal.get_window(name_or_values, win_length, fftbins=True)
    else:
        values = np.asarray(name_or_values, dtype=np.float64)
    return librosa.util.pad_center(values, size=n_fft)


def resolve_win_length(spec, n_fft: int) -> int | None:
    return {None: None, "3/4": 3 * n_fft // 4, "odd": n_fft // 2 + 1}[spec]


def resolve_hop(spec, n_fft: int) -> int | None:
    return n_fft // 3 if spec == "n_fft/3" else spec


# Hops stay below n_fft / 2: with larger hops librosa 0.11 reflect-pads only a short tail
# segment, which can differ from reflecting the whole signal (see
# test_large_hop_reflect_matches_numpy_reference, which checks fasttag there).
@pytest.mark.pairwise(
    n_fft=[256, 512, 1000, 2048],
    hop_length=[None, 100, "n_fft/3"],
    win_length=[None, "3/4", "odd"],
    window=["hann", "hamming", "blackman", "boxcar", "ones", "array"],
    pad_mode=["constant", "edge", "reflect"],
    center=[True, False],
    dtype=[np.float32, np.float64],
)
def test_stft_matches_librosa(case, music, rng, tol):
    n_fft = case["n_fft"]
    hop_length = resolve_hop(case["hop_length"], n_fft)
    win_length = resolve_win_length(case["win_length"], n_fft)
    window = case["window"]
    if window == "array":
        window = rng.uniform(0.1, 1.0, win_length or n_fft)
    y = music(int(rng.integers(22050, 26000)), dtype=case["dtype"])
    kwargs = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, window=window, center=case["center"],
                  pad_mode=case["pad_mode"])
    expected = librosa.stft(y, **kwargs)
    got = fasttag.stft(y, **kwargs)
    assert got.dtype == expected.dtype == COMPLEX_OF[np.dtype(case["dtype"])]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"stft {case}")


@pytest.mark.pairwise(
    n_fft=[256, 512, 1000, 2048],
    hop_length=[64, 100, 300],
    pad_mode=["constant", "edge", "reflect"],
    center=[True, False],
    window=["hann", "blackman", "boxcar"],
)
def test_stft_matches_numpy_reference(case, music, tol):
    # An oracle independent of librosa: the whole signal padded by np.pad, then framed.
    n_fft, hop = case["n_fft"], case["hop_length"]
    y = music(12345, dtype=np.float64, shape=(2,))
    window = padded_window(case["window"], n_fft, n_fft)
    expected = numpy_stft(y, n_fft=n_fft, hop_length=hop, window=window, center=case["center"],
                          pad_mode=case["pad_mode"])
    got = fasttag.stft(y, n_fft=n_fft, hop_length=hop, window=case["window"], center=case["center"],
                       pad_mode=case["pad_mode"])
    tol.assert_close(got, expected, tol(np.float64).spec, f"stft {case}")


@pytest.mark.parametrize("n_samples", [3000, 3001, 3004, 3107, 3333])
@pytest.mark.parametrize("n_fft, hop_length", [(256, 200), (256, 333), (512, 333), (512, 256)])
def test_large_hop_reflect_matches_numpy_reference(music, tol, n_samples, n_fft, hop_length):
    y = music(n_samples, dtype=np.float64)
    expected = numpy_stft(y, n_fft=n_fft, hop_length=hop_length, window=padded_window("hann", n_fft, n_fft),
                          center=True, pad_mode="reflect")
    got = fasttag.stft(y, n_fft=n_fft, hop_length=hop_length, pad_mode="reflect")
    tol.assert_close(got, expected, tol(np.float64).spec)


def test_hop_beyond_the_signal_gives_its_first_frame(music):
    """A hop of 2**62 samples leaves one frame, the one a hop of the signal's length starts with (L hops of it,
    the distance to a next block, must not overflow: UBSan)."""
    y = music(3000, dtype=np.float32)
    got = fasttag.stft(y, n_fft=512, hop_length=2**62)
    np.testing.assert_array_equal(got, fasttag.stft(y, n_fft=512, hop_length=3000)[..., :1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_default_parameters_match_librosa(music, tol, dtype):
    y = music(30000, dtype=dtype)
    tol.assert_close(fasttag.stft(y), librosa.stft(y), tol(dtype).spec)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft, hop_length, win_length", [
    (511, 128, None),    # odd
    (1001, 250, 999),    # odd, 7 * 11 * 13: not 2^a 3^b 5^c
    (1009, 256, None),   # prime: Bluestein
    (999, 111, 500),     # odd with an even window inside
    (750, 160, 601),
    (1, 1, None),        # the smallest transform
    (2, 1, 1),
])
def test_unusual_fft_sizes_match_librosa(music, tol, dtype, n_fft, hop_length, win_length):
    y = music(6000, dtype=dtype)
    for center in (True, False):
        kwargs = dict(n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=center)
        tol.assert_close(fasttag.stft(y, **kwargs), librosa.stft(y, **kwargs), tol(dtype).spec, f"{kwargs}")


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("n_fft, hop_length", [(512, 128), (512, 100), (1000, 333), (256, 256)])
def test_frame_counts_match_librosa(rng, center, n_fft, hop_length):
    lengths = [n_fft, n_fft + 1, n_fft + hop_length - 1, n_fft + hop_length, n_fft + hop_length + 1,
               10 * hop_length + n_fft - 1, 5000]
    for n in lengths:
        y = rng.standard_normal(n).astype(np.float32)
        expected = librosa.stft(y, n_fft=n_fft, hop_length=hop_length, center=center).shape[-1]
        closed_form = 1 + (n + (2 * (n_fft // 2) if center else 0) - n_fft) // hop_length
        got = fasttag.stft(y, n_fft=n_fft, hop_length=hop_length, center=center)
        assert got.shape == (1 + n_fft // 2, expected), f"n_samples={n}"
        assert expected == closed_form
        assert fasttag.frame_count(n, n_fft=n_fft, hop_length=hop_length, center=center) == expected


def test_frame_count_checks_its_arguments():
    assert fasttag.frame_count(1, n_fft=4, hop_length=2, center=False) == 0  # shorter than one frame
    for kwargs, name in [(dict(n_samples=-3), "n_samples=-3"), (dict(n_samples=10.5), "n_samples=10.5"),
                         (dict(n_fft=0), "n_fft=0"), (dict(hop_length=0), "hop_length=0")]:
        with pytest.raises(fasttag.ParameterError, match=name):
            fasttag.frame_count(**{**dict(n_samples=10, n_fft=4, hop_length=2), **kwargs})


@pytest.mark.parametrize("pad_mode", ["symmetric", "linear_ramp"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_pad_modes_match_librosa(music, tol, pad_mode, dtype):
    # librosa's other pad modes: np.pad on a copy, then the kernels without padding.
    y = music(6000, dtype=dtype, shape=(2,))
    kwargs = dict(n_fft=512, hop_length=128, pad_mode=pad_mode)
    tol.assert_close(fasttag.stft(y, **kwargs), librosa.stft(y, **kwargs), tol(dtype).spec, "stft")
    tol.assert_close(fasttag.melspectrogram(y, sr=22050, **kwargs),
                     librosa.feature.melspectrogram(y=y, sr=22050, **kwargs), tol(dtype).spec, "mel")
    tol.assert_close(fasttag.chroma_stft(y, sr=22050, tuning=0.0, **kwargs),
                     librosa.feature.chroma_stft(y=y, sr=22050, tuning=0.0, **kwargs), tol(dtype).spec, "chroma")
    padded = np.pad(y, [(0, 0), (256, 256)], mode=pad_mode)
    np.testing.assert_array_equal(fasttag.stft(y, **kwargs), fasttag.stft(padded, n_fft=512, hop_length=128,
                                                                          center=False))


@pytest.mark.parametrize("pad_mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("n_samples", [1, 2, 3, 100, 255, 511])
def test_signal_shorter_than_n_fft_warns_and_matches(music, tol, pad_mode, n_samples):
    n_fft, hop = 512, 128
    y = music(n_samples, dtype=np.float64)
    with pytest.warns(UserWarning, match=f"n_fft={n_fft} is too large for input signal of length={n_samples}"):
        got = fasttag.stft(y, n_fft=n_fft, hop_length=hop, pad_mode=pad_mode)
    with pytest.warns(UserWarning, match="too large"):
        expected = librosa.stft(y, n_fft=n_fft, hop_length=hop, pad_mode=pad_mode)
    reference = numpy_stft(y, n_fft=n_fft, hop_length=hop, window=padded_window("hann", n_fft, n_fft), center=True,
                           pad_mode=pad_mode)
    tol.assert_close(got, expected, tol(np.float64).spec, "vs librosa")
    tol.assert_close(got, reference, tol(np.float64).spec, "vs numpy")


@pytest.mark.parametrize("name", ["melspectrogram", "logmel"])
def test_short_signal_warns_in_mel_functions(music, name):
    y = music(300)
    with pytest.warns(UserWarning, match="n_fft=512 is too large"):
        out = getattr(fasttag, name)(y, sr=22050, n_fft=512, hop_length=128, n_mels=32)
    assert out.shape == (32, 1 + 300 // 128)


def test_signal_of_exactly_n_fft_without_center_has_one_frame(music, tol):
    y = music(1024, dtype=np.float64)
    got = fasttag.stft(y, n_fft=1024, hop_length=256, center=False)
    assert got.shape == (513, 1)
    tol.assert_close(got[:, 0], np.fft.rfft(y * scipy.signal.get_window("hann", 1024)), tol(np.float64).spec)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "boxcar"])
@pytest.mark.parametrize("win_length, n_fft", [(512, 512), (400, 512), (301, 512), (7, 16), (1, 8)])
def test_window_is_librosas(window, win_length, n_fft):
    # The window centred in n_fft with zeros around it, as librosa pads it.
    expected = librosa.util.pad_center(librosa.filters.get_window(window, win_length, fftbins=True), size=n_fft)
    got = fasttag.filters.get_window(window, win_length, n_fft=n_fft)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15)
    got[:] = np.nan  # each call's array is the caller's own: named windows are made once and copied
    np.testing.assert_allclose(fasttag.filters.get_window(window, win_length, n_fft=n_fft), expected, rtol=0,
                               atol=1e-15)


@pytest.mark.parametrize("fftbins", [True, False])
@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", ("kaiser", 8.0), 6.5, ("tukey", 0.3)])
def test_get_window_takes_librosas_call(rng, window, fftbins):
    """librosa.filters.get_window(window, Nx, fftbins=...): n_fft was a required keyword, fftbins not taken."""
    n = int(rng.integers(1, 2000))
    expected = librosa.filters.get_window(window, n, fftbins=fftbins)
    np.testing.assert_array_equal(fasttag.filters.get_window(window, n, fftbins=fftbins), expected)
    if fftbins:
        np.testing.assert_array_equal(fasttag.filters.get_window(window, n), expected)
    padded = fasttag.filters.get_window(window, n, fftbins=fftbins, n_fft=n + 10)
    np.testing.assert_array_equal(padded, librosa.util.pad_center(expected, size=n + 10))
    values = rng.standard_normal(n)  # an array is taken as it is, fftbins or not, as librosa does
    np.testing.assert_array_equal(fasttag.filters.get_window(values, n, fftbins=fftbins),
                                  librosa.filters.get_window(values, n, fftbins=fftbins))


@pytest.mark.parametrize("window", [("kaiser", 8.0), "bartlett", "blackmanharris", ("tukey", 0.3), 8.0,
                                    scipy.signal.windows.hann])
def test_scipy_window_specs_and_callables_match_librosa(music, tol, window):
    y = music(8000)
    kwargs = dict(n_fft=512, hop_length=128, win_length=400, window=window)
    tol.assert_close(fasttag.stft(y, **kwargs), librosa.stft(y, **kwargs), tol(np.float32).spec, f"{window}")
    tol.assert_close(fasttag.melspectrogram(y, sr=8000, **kwargs),
                     librosa.feature.melspectrogram(y=y, sr=8000, **kwargs), tol(np.float32).spec, f"{window}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_window_aliases_and_arrays_agree(music, dtype):
    y = music(8000, dtype=dtype)
    kwargs = dict(n_fft=512, hop_length=128, win_length=400)
    boxcar = fasttag.stft(y, window="boxcar", **kwargs)
    np.testing.assert_array_equal(fasttag.stft(y, window="ones", **kwargs), boxcar)
    np.testing.assert_array_equal(fasttag.stft(y, window=np.ones(400), **kwargs), boxcar)
    hann = scipy.signal.get_window("hann", 400, fftbins=True)
    np.testing.assert_array_equal(fasttag.stft(y, window=hann, **kwargs), fasttag.stft(y, window="hann", **kwargs))
    assert not np.array_equal(boxcar, fasttag.stft(y, window="hann", **kwargs))


@pytest.mark.parametrize("n_fft, win_length", [(512, 400), (512, 301), (1024, 1000), (256, 3)])
def test_win_length_is_zero_padded_and_centred(music, tol, n_fft, win_length):
    # A shorter window equals the full-length window array with zeros around it.
    y = music(9000, dtype=np.float64)
    short = fasttag.stft(y, n_fft=n_fft, hop_length=128, win_length=win_length, window="hamming")
    full = fasttag.stft(y, n_fft=n_fft, hop_length=128, window=padded_window("hamming", win_length, n_fft))
    tol.assert_close(short, full, tol(np.float64).spec)
    expected = librosa.stft(y, n_fft=n_fft, hop_length=128, win_length=win_length, window="hamming")
    tol.assert_close(short, expected, tol(np.float64).spec)


@pytest.mark.parametrize("win_length", [None, 400, 256])
def test_default_hop_is_a_quarter_window(music, tol, win_length):
    y = music(7000, dtype=np.float64)
    got = fasttag.stft(y, n_fft=512, win_length=win_length)
    expected = librosa.stft(y, n_fft=512, win_length=win_length)
    explicit = fasttag.stft(y, n_fft=512, win_length=win_length, hop_length=(win_length or 512) // 4)
    np.testing.assert_array_equal(got, explicit)
    tol.assert_close(got, expected, tol(np.float64).spec)


def test_dtype_argument_sets_the_precision(music):
    y32 = music(5000, dtype=np.float32)
    y64 = y32.astype(np.float64)
    up = fasttag.stft(y32, n_fft=512, hop_length=128, dtype=np.complex128)
    assert up.dtype == np.complex128
    np.testing.assert_array_equal(up, fasttag.stft(y64, n_fft=512, hop_length=128))
    down = fasttag.stft(y64, n_fft=512, hop_length=128, dtype=np.complex64)
    assert down.dtype == np.complex64
    np.testing.assert_array_equal(down, fasttag.stft(y32, n_fft=512, hop_length=128))
    assert fasttag.stft(y32, n_fft=512, hop_length=128, dtype="complex64").dtype == np.complex64


def test_float16_audio_is_promoted_to_float32(music, tol):
    y = music(4000, dtype=np.float16)
    got = fasttag.stft(y, n_fft=256, hop_length=64)
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, fasttag.stft(y.astype(np.float32), n_fft=256, hop_length=64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_multichannel_matches_librosa(music, tol, dtype):
    # librosa also takes (..., n_samples); its results per channel are the reference.
    y = music(9000, dtype=dtype, shape=(2, 3))
    kwargs = dict(n_fft=1000, hop_length=250, pad_mode="reflect")
    got = fasttag.stft(y, **kwargs)
    expected = librosa.stft(y, **kwargs)
    assert got.shape == expected.shape == (2, 3, 501, 37)
    tol.assert_close(got, expected, tol(dtype).spec)


@pytest.mark.parametrize("k", [1, 10, 64, 127])
def test_cosine_on_a_bin_has_a_single_peak(k):
    # Known answer: a cosine at bin k under a boxcar window has |X[k]| = n_fft / 2, zero elsewhere.
    n_fft = 256
    y = np.cos(2 * np.pi * k * np.arange(4096) / n_fft)
    S = np.abs(fasttag.stft(y, n_fft=n_fft, hop_length=n_fft, window="boxcar", center=False))
    np.testing.assert_allclose(S[k], n_fft / 2, rtol=1e-10)
    assert np.max(np.delete(S, k, axis=0)) < 1e-9


def test_music_fixture_is_broadband_and_varied(music):
    # The test signal itself: notes, drums and noise (energy in every band), never silent,
    # never a lone tone, different on every call.
    sr = 22050
    y = music(2 * sr, sr=sr, dtype=np.float64, shape=(3,))
    assert np.all(np.abs(y).max(axis=-1) > 0.4)
    assert np.count_nonzero(y == 0) == 0
    power = np.abs(np.fft.rfft(y)) ** 2
    f = np.fft.rfftfreq(y.shape[-1], 1 / sr)
    for lo, hi in [(30, 200), (200, 2000), (2000, 6000), (6000, 11025)]:
        band = power[:, (f >= lo) & (f < hi)].sum(axis=-1) / power.sum(axis=-1)
        assert np.all(band > 1e-4), f"no energy in {lo}-{hi} Hz"
    flatness = np.exp(np.mean(np.log(power + 1e-30), axis=-1)) / np.mean(power, axis=-1)
    assert np.all(flatness > 1e-2)  # a lone (windowless) tone is below 1e-4
    assert not np.allclose(y[0], y[1]) and not np.allclose(y[1], y[2])
    assert not np.allclose(music(1000), music(1000))


def test_a_default_hop_of_zero_and_a_one_bin_spectrogram_are_named(rng):
    """win_length < 4 made the default hop 0, reported as "hop_length=0" the caller never gave;
    a 1-bin S was reported as "n_fft=0"."""
    y = rng.standard_normal(1000).astype(np.float32)
    with pytest.raises(fasttag.ParameterError, match=r"hop_length=None defaults to win_length // 4, which is 0 for "
                                                     r"win_length=3: give hop_length"):
        fasttag.stft(y, n_fft=8, win_length=3)
    assert fasttag.stft(y, n_fft=8, win_length=3, hop_length=1).shape == (5, 1001)
    with pytest.raises(fasttag.ParameterError, match="S has 1 frequency bin"):
        fasttag.melspectrogram(S=rng.uniform(0, 1, (1, 10)).astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_holds_the_result_as_in_librosa(music, tol, dtype):
    """librosa's stft(out=): out itself when its shape is the result's, else its first n_frames frames; a TypeError
    here."""
    y = music(7000, dtype=dtype, shape=(2,))
    kwargs = dict(n_fft=512, hop_length=128, pad_mode="reflect")
    expected = librosa.stft(y, **kwargs)
    out = np.full(expected.shape, np.nan, COMPLEX_OF[np.dtype(dtype)])
    assert fasttag.stft(y, out=out, **kwargs) is out
    tol.assert_close(out, expected, tol(dtype).spec)
    longer = np.full(expected.shape[:-1] + (expected.shape[-1] + 5,), 7 + 1j, out.dtype)
    got = fasttag.stft(y, out=longer, **kwargs)
    assert got.shape == expected.shape and np.shares_memory(got, longer)
    np.testing.assert_array_equal(longer[..., : expected.shape[-1]], out)
    assert np.all(longer[..., expected.shape[-1]:] == 7 + 1j)  # the frames past the result are left alone
    theirs = np.full_like(longer, 7 + 1j)
    assert librosa.stft(y, out=theirs, **kwargs).shape == got.shape
    tol.assert_close(theirs, longer, tol(dtype).spec)


def test_a_complex128_out_computes_float32_audio_in_float64(music, tol):
    y = music(6000, dtype=np.float32)
    out = np.empty((257, 1 + 6000 // 128), np.complex128)
    fasttag.stft(y, n_fft=512, hop_length=128, out=out)
    np.testing.assert_array_equal(out, fasttag.stft(y.astype(np.float64), n_fft=512, hop_length=128))
    tol.assert_close(out, librosa.stft(y, n_fft=512, hop_length=128, out=np.empty_like(out)), tol(np.float32).spec)


def test_a_bad_out_is_named(music):
    y = music(6000, dtype=np.float64)
    shape = (257, 1 + 6000 // 128)
    kwargs = dict(n_fft=512, hop_length=128)
    for out in (np.empty(shape), np.empty((257, shape[1] - 1), np.complex128)):  # librosa refuses these too
        with pytest.raises(librosa.util.exceptions.ParameterError):
            librosa.stft(y, out=out.copy(), **kwargs)
    bad = [(np.empty(shape), "out.dtype=float64 must be complex64 or complex128"),
           (np.empty((257, shape[1] - 1), np.complex128), "out has shape (257, 46); the result has shape (257, 47)"),
           (np.empty((256, shape[1]), np.complex128), "out has shape (256, 47)"),
           (np.empty((1,) + shape, np.complex128), "out has shape (1, 257, 47)"),
           (np.empty(shape, np.complex64), "out.dtype=complex64 for float64 y: nothing is downcast silently"),
           (np.empty(shape, np.complex128).tolist(), "out must be a complex numpy array, got list")]
    for out, message in bad:
        with pytest.raises(fasttag.ParameterError, match=re.escape(message)):
            fasttag.stft(y, out=out, **kwargs)
    read_only = np.empty(shape, np.complex128)
    read_only.setflags(write=False)
    with pytest.raises(fasttag.ParameterError, match="out is read-only"):
        fasttag.stft(y, out=read_only, **kwargs)
    with pytest.raises(fasttag.ParameterError, match="out.dtype=complex128 differs from dtype=complex64"):
        fasttag.stft(y, out=np.empty(shape, np.complex128), dtype=np.complex64, **kwargs)
    assert fasttag.stft(y, out=np.empty(shape, np.complex64), dtype=np.complex64, **kwargs).dtype == np.complex64
    with pytest.raises(fasttag.ParameterError, match="out= needs device='cpu'"):
        fasttag.stft(y, out=np.empty(shape, np.complex128), device="cuda", **kwargs)


@pytest.mark.parametrize("window", ["hann", "hamming", ("kaiser", 8.0)])
def test_get_window_takes_librosas_keyword_nx(rng, window):
    """librosa.filters.get_window(window, Nx=...), the length by its name; fasttag's own win_length= still works."""
    n = int(rng.integers(2, 2000))
    for fftbins in (True, False):
        expected = librosa.filters.get_window(window, Nx=n, fftbins=fftbins)
        np.testing.assert_array_equal(fasttag.filters.get_window(window, Nx=n, fftbins=fftbins), expected)
        np.testing.assert_array_equal(fasttag.filters.get_window(window, win_length=n, fftbins=fftbins), expected)
    np.testing.assert_array_equal(fasttag.filters.get_window(window, Nx=n, n_fft=n + 3),
                                  librosa.util.pad_center(librosa.filters.get_window(window, n), size=n + 3))
    for kwargs in ({}, dict(Nx=n, win_length=n)):
        with pytest.raises(fasttag.ParameterError, match="give the window's length once, as win_length or as Nx"):
            fasttag.filters.get_window(window, **kwargs)
    with pytest.raises(fasttag.ParameterError, match=re.escape("Nx=0 must be a positive integer")):
        fasttag.filters.get_window(window, Nx=0)
    with pytest.raises(fasttag.ParameterError, match=re.escape(f"Nx={n} must be <= n_fft={n - 1}")):
        fasttag.filters.get_window(window, Nx=n, n_fft=n - 1)
