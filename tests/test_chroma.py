"""fasttag.filters.chroma, chroma_stft and tuning estimation against librosa 0.11, and chords."""

from __future__ import annotations

import re

import librosa
import numpy as np
import pytest

import fasttag
from fasttag import ParameterError, _core
from fasttag.spectrum import framing

SR = 22050


# ----------------------------------------------------------------------------- filterbank


@pytest.mark.pairwise(
    sr=[8000, 22050, 44100],
    n_fft=[512, 1001, 2048, 4096],
    n_chroma=[12, 24, 36],
    tuning=[0.0, 0.31, -0.45],
    octwidth=[2, None, 0.7],
    norm=[2, np.inf, 1, None],
    base_c=[True, False],
    dtype=[np.float32, np.float64],
)
def test_chroma_filterbank_matches_librosa(case, tol):
    expected = librosa.filters.chroma(**case)
    got = fasttag.filters.chroma(**case)
    assert got.dtype == expected.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"chroma filterbank {case}")


def test_chroma_filterbank_ctroct_matches_librosa(tol):
    for ctroct in (3.5, 6.0):
        expected = librosa.filters.chroma(sr=SR, n_fft=2048, ctroct=ctroct, dtype=np.float64)
        tol.assert_close(fasttag.filters.chroma(sr=SR, n_fft=2048, ctroct=ctroct, dtype=np.float64), expected,
                         tol(np.float64).spec)


# ----------------------------------------------------------------------------- chroma_stft


@pytest.mark.pairwise(
    n_fft=[512, 1024, 2048],
    hop_length=[256, 512, 300],
    window=["hann", "hamming"],
    center=[True, False],
    n_chroma=[12, 24],
    tuning=[0.0, 0.2, -0.37],
    norm=[np.inf, 2, None, 1],
    dtype=[np.float32, np.float64],
)
def test_chroma_stft_matches_librosa(case, music, tol):
    kwargs = {k: v for k, v in case.items() if k != "dtype"}
    y = music(3 * SR, dtype=case["dtype"])
    expected = librosa.feature.chroma_stft(y=y, sr=SR, **kwargs)
    got = fasttag.chroma_stft(y, sr=SR, **kwargs)
    assert got.dtype == expected.dtype == case["dtype"]
    tol.assert_close(got, expected, tol(case["dtype"]).spec, f"chroma_stft {case}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chroma_stft_estimated_tuning_matches_librosa(music, tol, dtype):
    # librosa's default (tuning=None) estimates the tuning from the power spectrogram.
    y = music(3 * SR, dtype=dtype)
    expected = librosa.feature.chroma_stft(y=y, sr=SR)
    got = fasttag.chroma_stft(y, sr=SR, tuning=None)
    tol.assert_close(got, expected, tol(dtype).spec)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chroma_stft_from_S_matches_librosa(music, tol, dtype):
    y = music(2 * SR, dtype=dtype, shape=(2,))
    S = np.abs(librosa.stft(y, n_fft=1024, hop_length=256)) ** 2
    for tuning in (0.0, 0.15):
        expected = librosa.feature.chroma_stft(S=S, sr=SR, tuning=tuning)
        got = fasttag.chroma_stft(S=S, sr=SR, tuning=tuning)
        assert got.shape == (2, 12, S.shape[-1])
        tol.assert_close(got, expected, tol(dtype).spec)
    # tuning=None on S: each clip gets its own estimate (librosa pools the batch): compare per clip.
    got = fasttag.chroma_stft(S=S, sr=SR, tuning=None)
    for i in range(2):
        tol.assert_close(got[i], librosa.feature.chroma_stft(S=S[i], sr=SR), tol(dtype).spec, f"clip {i}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chroma_stft_tuning_of_audio_searches_librosas_band_for_an_odd_n_fft(rng, tol, dtype):
    """librosa estimates chroma_stft's tuning on S, as if n_fft were 2 (n_bins - 1) = 512 for n_fft=513: bin 93 lies
    at 4005 Hz there, outside fmax=4000, though at 3997 Hz in a 513-point FFT; the fused pass searched the latter band,
    so the loud tone there voted (its tuning, not the 440 Hz tone's)."""
    t = np.arange(2 * SR) / SR
    y = (np.sin(2 * np.pi * 3997.0 * t) + 0.5 * np.sin(2 * np.pi * 440.0 * t + rng.uniform(0, 2 * np.pi))
         + 1e-3 * rng.standard_normal(t.size)).astype(dtype)
    expected = librosa.feature.chroma_stft(y=y, sr=SR, n_fft=513)
    tol.assert_close(fasttag.chroma_stft(y, sr=SR, n_fft=513, tuning=None), expected, tol(dtype).spec)


@pytest.mark.parametrize("n_fft", [1023, 2047])
def test_chroma_and_tuning_from_S_keep_an_explicit_odd_n_fft(music, tol, n_fft):
    y = music(2 * SR)
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=512)) ** 2
    for tuning in (0.0, None):
        expected = librosa.feature.chroma_stft(S=S, sr=SR, n_fft=n_fft, tuning=tuning)
        tol.assert_close(fasttag.chroma_stft(S=S, sr=SR, n_fft=n_fft, tuning=tuning), expected, tol(np.float32).spec,
                         f"tuning={tuning}")
    magnitude = np.sqrt(S)
    assert fasttag.estimate_tuning(S=magnitude, sr=SR, n_fft=n_fft) == librosa.estimate_tuning(S=magnitude, sr=SR,
                                                                                               n_fft=n_fft)


def test_fused_chroma_equals_projected_power(music, tol):
    # Internal consistency: the fused pass equals the projection of fasttag's own |STFT|^2.
    y = music(2 * SR, dtype=np.float64)
    S = np.abs(fasttag.stft(y, n_fft=2048, hop_length=512)) ** 2
    tol.assert_close(fasttag.chroma_stft(y, sr=SR, tuning=0.1), fasttag.chroma_stft(S=S, sr=SR, tuning=0.1),
                     tol(np.float64).spec)


def chord(rng, midis, seconds=2.0, sr=SR, detune_cents=0.0):
    """Notes with 4 harmonics each (amplitude about h^-1.5), random phases, a little noise."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.003 * rng.standard_normal(t.size)
    for m in midis:
        f0 = 440.0 * 2 ** ((m - 69 + detune_cents / 100) / 12)
        for h in range(1, 5):
            y += rng.uniform(0.5, 1.0) / h**1.5 * np.sin(2 * np.pi * h * f0 * t + rng.uniform(0, 2 * np.pi))
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


CHORDS = {  # name: MIDI notes, pitch classes (C = 0)
    "C major": ([60, 64, 67], {0, 4, 7}),
    "A minor": ([57, 60, 64], {9, 0, 4}),
    "F# major": ([54, 58, 61], {6, 10, 1}),
    "Bb7": ([58, 62, 65, 68], {10, 2, 5, 8}),
}


@pytest.mark.parametrize("name", sorted(CHORDS))
def test_chords_light_up_their_pitch_classes(rng, name):
    midis, classes = CHORDS[name]
    # Around the chroma filterbank's centre octave (ctroct=5, 880 Hz): the lowest note in octave 4 or 5. Lower, the
    # octave weighting favours the upper harmonics (the fifth from the 3rd) over the fundamentals: from octave 3,
    # 10 of 160 seeded chords lit a wrong class.
    transpose = 12 * -(-(60 - min(midis)) // 12) + 12 * int(rng.integers(0, 2))
    y = chord(rng, [m + transpose for m in midis])
    C = fasttag.chroma_stft(y, sr=SR).mean(axis=-1)
    top = set(np.argsort(C)[::-1][: len(classes)])
    print(name, np.round(C, 2))
    assert top == classes, f"{name}: strongest pitch classes {sorted(top)}, expected {sorted(classes)}"


@pytest.mark.parametrize("cents", [-30.0, 20.0, 40.0])
def test_tuning_estimate_finds_detuned_chord(rng, cents):
    y = chord(rng, [57, 61, 64, 69], seconds=3.0, detune_cents=cents)
    got = fasttag.estimate_tuning(y, sr=SR)
    assert got == librosa.estimate_tuning(y=y, sr=SR)
    assert abs(got - cents / 100) <= 0.03, f"estimated {got}, detuned by {cents / 100}"
    # With the estimated tuning more of the energy falls on the chord's classes than at tuning=0.
    def share(tuning):
        C = fasttag.chroma_stft(y, sr=SR, tuning=tuning, norm=None).sum(axis=-1)
        return C[[9, 1, 4]].sum() / C.sum()

    assert share(None) > share(0.0), (share(None), share(0.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft, bins_per_octave", [(2048, 12), (1024, 24), (4096, 36)])
def test_estimate_tuning_from_S_equals_librosa_exactly(music, dtype, n_fft, bins_per_octave):
    # Same spectrogram in, same peaks, same histogram: the same number out.
    y = music(3 * SR, dtype=dtype)
    S = np.abs(librosa.stft(y, n_fft=n_fft)) ** 2
    expected = librosa.estimate_tuning(S=S, sr=SR, bins_per_octave=bins_per_octave)
    assert fasttag.estimate_tuning(S=S, sr=SR, bins_per_octave=bins_per_octave) == expected


def _sorted_peaks(pitches, mags):
    order = np.lexsort((mags, pitches))
    return pitches[order], mags[order]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("fmin", "fmax", "threshold"), [(150.0, 4000.0, 0.1), (0.0, 1e5, 0.02), (200.0, 3000.0, 0.3)])
def test_core_spectrogram_peaks_equal_librosa_piptrack(music, dtype, fmin, fmax, threshold):
    # The second case puts bin 0 (never a peak: its edge neighbour is itself) in the band.
    y = music(2 * SR, dtype=dtype, shape=(2,))
    S = np.ascontiguousarray(np.abs(librosa.stft(y, n_fft=1024)))
    freqs = librosa.fft_frequencies(sr=SR, n_fft=1024)
    band = np.flatnonzero((fmin <= freqs) & (freqs < min(fmax, SR / 2)))
    counts, pitches, mags = _core.spectrogram_peaks(S, int(band[0]), int(band[-1]) + 1, threshold, SR, 1024)
    assert counts.sum() == pitches.size == mags.size > 0 and pitches.dtype == mags.dtype == dtype
    start = 0
    for row in range(2):
        ref_pitches, ref_mags = librosa.piptrack(S=S[row], sr=SR, n_fft=1024, fmin=fmin, fmax=fmax,
                                                 threshold=threshold)
        peak = ref_pitches > 0
        assert counts[row] == np.count_nonzero(peak)
        got = _sorted_peaks(pitches[start:start + counts[row]], mags[start:start + counts[row]])
        expected = _sorted_peaks(ref_pitches[peak], ref_mags[peak])
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(got[1], expected[1])
        start += counts[row]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_core_fused_peaks_equal_peaks_of_the_stored_spectrogram(music, dtype, power):
    # The fused pass (frames -> |FFT|^power -> peaks) against the same spectrogram stored first
    # (the fused mel kernel with an identity basis computes |FFT|^power the same way): the same
    # peaks in the same order, whatever the number of threads.
    y = music(3 * SR, dtype=dtype, shape=(3,))
    frames = framing(y.shape[-1], y.dtype, n_fft=2048, hop_length=512, win_length=None, window="hann", center=True,
                     pad_mode="constant")
    S = _core.melspectrogram(y, frames.window, np.eye(1025, dtype=dtype), *frames.geometry(), power, None, 1e-10,
                             None, 2)
    expected = _core.spectrogram_peaks(S, 14, 372, 0.1, SR, 2048)
    for workers in (1, 2):
        got = _core.spectral_peaks(y, frames.window, *frames.geometry(), power, 14, 372, 0.1, SR, 2048, workers)
        for a, b in zip(got, expected):
            np.testing.assert_array_equal(a, b)
    assert np.all(expected[0] > 100)


def test_core_peaks_bad_input():
    S = np.ones((1, 9, 4), np.float32)
    y = np.ones((1, 64), np.float32)
    window = np.ones(16, np.float32)
    for k0, k1 in ((-1, 3), (4, 3), (0, 10)):
        with pytest.raises(ValueError, match="band"):
            _core.spectrogram_peaks(S, k0, k1, 0.1, SR, 16)
        with pytest.raises(ValueError, match="band"):
            _core.spectral_peaks(y, window, 4, 0, 13, 0, 2.0, k0, k1, 0.1, SR, 16)
    for bad, message in ((S[0], "3 dimensions"), (S.astype(np.int32), "float32 or float64"),
                         (S[:, :, ::2], "C-contiguous"), (S[:, :1], "at least 2 frequency bins")):
        with pytest.raises(ValueError, match=message):
            _core.spectrogram_peaks(bad, 0, 1, 0.1, SR, 16)
    with pytest.raises(ValueError, match="sr must be positive"):
        _core.spectrogram_peaks(S, 0, 9, 0.1, -1.0, 16)
    with pytest.raises(ValueError, match="n_fft must be positive"):
        _core.spectral_peaks(y, window, 4, 0, 13, 0, 2.0, 0, 9, 0.1, SR, 0.0)
    y[0, 5] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        _core.spectral_peaks(y, window, 4, 0, 13, 0, 2.0, 0, 9, 0.1, SR, 16)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_estimate_tuning_from_audio_matches_librosa(music, dtype):
    y = music(3 * SR, dtype=dtype)
    got, expected = fasttag.estimate_tuning(y, sr=SR), librosa.estimate_tuning(y=y, sr=SR)
    assert abs(got - expected) <= 0.01 + 1e-12, f"{got} vs librosa {expected}"


def test_pitch_tuning_matches_librosa(rng):
    freqs = librosa.cqt_frequencies(n_bins=48, fmin=55, tuning=float(rng.uniform(-0.4, 0.4)))
    freqs = freqs * 2 ** (rng.normal(0, 0.01, freqs.size) / 12)
    assert fasttag.pitch_tuning(freqs) == librosa.pitch_tuning(freqs)
    assert fasttag.pitch_tuning(freqs, resolution=0.05, bins_per_octave=24) == librosa.pitch_tuning(
        freqs, resolution=0.05, bins_per_octave=24)


def test_pitch_tuning_ignores_nan_as_librosa(rng):
    """NaN marks a frame without a pitch (pyin's unvoiced frames): librosa's pitch_tuning drops it, as it drops
    values <= 0; it was refused."""
    freqs = 440 * 2 ** ((np.round(rng.uniform(-24, 24, 200)) + rng.normal(0.2, 0.02, 200)) / 12)
    freqs[rng.random(200) < 0.3] = np.nan
    expected = librosa.pitch_tuning(freqs)
    assert fasttag.pitch_tuning(freqs) == expected == fasttag.pitch_tuning(freqs[~np.isnan(freqs)])


def test_batch_equals_per_clip(music):
    y = music(2 * SR, shape=(2, 2))
    for tuning in (0.0, None):
        batch = fasttag.chroma_stft(y, sr=SR, tuning=tuning)
        clips = [fasttag.chroma_stft(y[i], sr=SR, tuning=tuning) for i in np.ndindex(2, 2)]
        np.testing.assert_array_equal(batch, np.stack(clips).reshape(batch.shape))
        assert not np.array_equal(clips[0], clips[1])
    tunings = fasttag.estimate_tuning(y, sr=SR)
    assert tunings.shape == (2, 2)
    assert [tunings[i] for i in np.ndindex(2, 2)] == [fasttag.estimate_tuning(y[i], sr=SR) for i in np.ndindex(2, 2)]


def test_workers_do_not_change_the_result(music):
    y = music(3 * SR, shape=(3,))
    np.testing.assert_array_equal(fasttag.chroma_stft(y, sr=SR, workers=1),
                                  fasttag.chroma_stft(y, sr=SR, workers=2))


def test_silence_stays_zero():
    C = fasttag.chroma_stft(np.zeros(8000, np.float32), sr=SR)
    assert np.all(C == 0) and np.all(np.isfinite(C))


BAD = {
    "both": (dict(y=np.ones(4000, np.float32), S=np.ones((1025, 5))), "exactly one of y"),
    "neither": ({}, "exactly one of y"),
    "int audio": (dict(y=np.ones(4000, np.int16)), "y must be floating-point audio"),
    "nan audio": (dict(y=np.full(4000, np.nan, np.float32)), "y contains NaN or infinite"),
    "nan audio, tuning None": (dict(y=np.full(4000, np.nan, np.float32), tuning=None), "NaN or infinite"),
    "n_chroma": (dict(y=np.ones(4000, np.float32), n_chroma=0), "n_chroma=0 must be a positive integer"),
    "tuning": (dict(y=np.ones(4000, np.float32), tuning=float("nan")), "tuning=nan must be a finite number"),
    "norm": (dict(y=np.ones(4000, np.float32), norm="l2"), "norm='l2' must be None"),
    "negative norm": (dict(y=np.ones(4000, np.float32), norm=-2), "norm=-2 must be None"),
    "hop": (dict(y=np.ones(4000, np.float32), hop_length=0), "hop_length=0 must be a positive integer"),
    "sr": (dict(y=np.ones(4000, np.float32), sr=0), "sr=0 must be a positive number"),
    "S 1-D": (dict(S=np.ones(100)), "S must have at least 2 dimension"),
    "S one bin": (dict(S=np.ones((1, 10))), "S has 1 frequency bin"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(case):
    kwargs, message = BAD[case]
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.chroma_stft(**kwargs)


def test_bad_filterbank_and_tuning_parameters():
    with pytest.raises(ParameterError, match=re.escape("octwidth=0 must be a positive number")):
        fasttag.filters.chroma(sr=SR, n_fft=2048, octwidth=0)
    with pytest.raises(ParameterError, match=re.escape("n_fft=1 must be at least 2")):
        fasttag.filters.chroma(sr=SR, n_fft=1)
    with pytest.raises(ParameterError, match=re.escape("resolution=1.5 must be in (0, 1)")):
        fasttag.estimate_tuning(np.ones(4000, np.float32), resolution=1.5)
    with pytest.raises(ParameterError, match=re.escape("bins_per_octave=0 must be a positive integer")):
        fasttag.pitch_tuning([440.0], bins_per_octave=0)
    with pytest.warns(UserWarning, match="empty frequency set"):
        assert fasttag.pitch_tuning([0.0, -3.0]) == 0.0
    with pytest.raises(ParameterError, match="frequencies must be a real numeric array, got dtype <U1"):
        fasttag.pitch_tuning(["a"])
    with pytest.raises(ParameterError, match="frequencies contains infinite values"):
        fasttag.pitch_tuning([440.0, np.inf])


@pytest.mark.parametrize("basis_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chroma_stft_filterbank_dtype_is_taken_as_in_librosa(music, tol, dtype, basis_dtype):
    """librosa's chroma_stft(dtype=) goes to filters.chroma: the result is the audio's dtype promoted with the
    filterbank's (float32 audio with a float64 filterbank gives float64); a TypeError here."""
    y = music(2 * SR, dtype=dtype)
    for tuning in (0.0, None):
        expected = librosa.feature.chroma_stft(y=y, sr=SR, n_fft=1024, tuning=tuning, dtype=basis_dtype)
        got = fasttag.chroma_stft(y, sr=SR, n_fft=1024, tuning=tuning, dtype=basis_dtype)
        assert got.dtype == expected.dtype == np.result_type(dtype, basis_dtype)
        tol.assert_close(got, expected, tol(dtype).spec, f"tuning={tuning}")
    # The same S: the filterbank must be librosa's in basis_dtype, to the result's precision.
    S = np.abs(librosa.stft(y, n_fft=1024)) ** 2
    expected = librosa.feature.chroma_stft(S=S, sr=SR, tuning=0.2, dtype=basis_dtype)
    got = fasttag.chroma_stft(S=S, sr=SR, tuning=0.2, dtype=basis_dtype)
    assert got.dtype == expected.dtype
    tol.assert_close(got, expected, tol(expected.dtype).spec)


REFS = {"mean": np.mean, "median": np.median, "number": 0.05, "negative number": -0.4,
        "90th percentile": lambda S, axis: np.percentile(S, 90, axis=axis)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ref", sorted(REFS))
def test_estimate_tuning_takes_librosas_ref(music, rng, dtype, ref):
    """librosa's estimate_tuning passes ref= on to piptrack: the floor of the peaks, threshold x ref(S, axis=-2) per
    frame for a callable, |ref| for a number; a TypeError here."""
    ref = REFS[ref]
    y = music(3 * SR, dtype=dtype, shape=(2,))
    S = np.abs(librosa.stft(y, n_fft=1024))
    sr = SR * 2 ** (rng.uniform(-0.4, 0.4) / 12)  # detuned by up to 40 cents
    for threshold in (0.1, 0.5):
        for clip in range(2):
            expected = librosa.estimate_tuning(S=S[clip], sr=sr, ref=ref, threshold=threshold)
            assert fasttag.estimate_tuning(S=S[clip], sr=sr, ref=ref, threshold=threshold) == expected
            got = fasttag.estimate_tuning(y[clip], sr=sr, n_fft=1024, ref=ref, threshold=threshold)
            assert abs(got - librosa.estimate_tuning(y=y[clip], sr=sr, n_fft=1024, ref=ref, threshold=threshold)) \
                <= 0.01 + 1e-12
        np.testing.assert_array_equal(fasttag.estimate_tuning(y, sr=sr, n_fft=1024, ref=ref, threshold=threshold),
                                      [fasttag.estimate_tuning(c, sr=sr, n_fft=1024, ref=ref, threshold=threshold)
                                       for c in y])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_peaks_above_a_floor_equal_librosa_piptrack(music, dtype):
    """The peaks estimate_tuning(ref=...) votes with, against librosa's piptrack(ref=...), peak by peak."""
    from fasttag.chroma import _peak_floor, _peaks_above

    y = music(2 * SR, dtype=dtype, shape=(2,))
    S = np.ascontiguousarray(np.abs(librosa.stft(y, n_fft=1024)))
    for ref, threshold in ((np.mean, 0.5), (np.median, 2.0), (0.3, 0.1)):
        counts, pitches, mags = _peaks_above(S, _peak_floor(ref, S, threshold), k0=0, k1=512, sr=SR, n_fft=1024)
        assert pitches.dtype == mags.dtype == dtype
        start = 0
        for row in range(2):
            ref_pitches, ref_mags = librosa.piptrack(S=S[row], sr=SR, n_fft=1024, fmin=0.0, fmax=SR / 2, ref=ref,
                                                     threshold=threshold)
            peak = ref_pitches > 0
            assert counts[row] == np.count_nonzero(peak) > 0
            got = _sorted_peaks(pitches[start:start + counts[row]], mags[start:start + counts[row]])
            expected = _sorted_peaks(ref_pitches[peak], ref_mags[peak])
            np.testing.assert_array_equal(got[0], expected[0])
            np.testing.assert_array_equal(got[1], expected[1])
            start += counts[row]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_last_bin_is_a_peak_above_a_floor_as_in_librosa(rng, dtype):
    """librosa's localmax repeats the edge bins, so the last bin is a peak where it tops the one below (an odd n_fft's
    last bin lies below sr/2, in the band fmax=sr/2 searches), its pitch unshifted; estimate_tuning(ref=...) too."""
    from fasttag.chroma import _peak_floor, _peaks_above

    n_fft, sr = 255, 8000.0
    S = rng.uniform(0.1, 1.0, (n_fft // 2 + 1, 40)).astype(dtype)
    S[-1] += 1.0  # above the bin below it in every frame
    counts, pitches, mags = _peaks_above(S[None], _peak_floor(np.mean, S[None], 0.1), k0=0, k1=S.shape[0], sr=sr,
                                         n_fft=n_fft)
    ref_pitches, ref_mags = librosa.piptrack(S=S, sr=sr, n_fft=n_fft, fmin=0.0, fmax=sr / 2, ref=np.mean)
    peak = ref_pitches > 0
    assert counts[0] == np.count_nonzero(peak)
    for got, expected in zip(_sorted_peaks(pitches, mags), _sorted_peaks(ref_pitches[peak], ref_mags[peak])):
        np.testing.assert_array_equal(got, expected)
    expected = librosa.estimate_tuning(S=S, sr=sr, n_fft=n_fft, fmin=0.0, fmax=sr, ref=np.mean)
    assert fasttag.estimate_tuning(S=S, sr=sr, n_fft=n_fft, fmin=0.0, fmax=sr, ref=np.mean) == expected


def test_a_bad_ref_is_named(music):
    y = music(SR)
    for ref, message in (("max", "ref='max' must be None, a number or a callable such as np.max"),
                         (np.inf, "ref=inf must be None"),
                         (len, "ref=<built-in function len> cannot be called as ref(S, axis=-2)"),
                         (lambda S, axis: 0.5, "has shape (): ref(S, axis=-2) must give one value per frame"),
                         (lambda S, axis: np.max(S, axis=axis, keepdims=True), "has shape (1, 1, 44): ref(S, ")):
        with pytest.raises(ParameterError, match=re.escape(message)):
            fasttag.estimate_tuning(y, sr=SR, ref=ref)
