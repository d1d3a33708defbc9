"""fasttag.load on files written here with soundfile: wav, flac, ogg/vorbis, mp3; errors."""

from __future__ import annotations

import io
import os
import re

import librosa
import numpy as np
import pytest
import soundfile as sf
import soxr

import fasttag
from fasttag import AudioLoadError, ParameterError

SR = 44100

# (format, subtype, extension, max abs error of the decoded samples or None for lossy)
LOSSLESS = [
    ("WAV", "FLOAT", "wav", 0.0),
    ("WAV", "PCM_16", "wav", 1e-4),
    ("WAV", "PCM_24", "wav", 1e-6),
    ("FLAC", "PCM_16", "flac", 1e-4),
    ("FLAC", "PCM_24", "flac", 1e-6),
]
LOSSY = [
    ("OGG", "VORBIS", "ogg"),
    ("MP3", "MPEG_LAYER_III", "mp3"),
]


@pytest.fixture
def stereo(music):
    """1.5 s of stereo music-like audio, (2, n) float32: the channels differ."""
    return music(int(1.5 * SR), sr=SR, shape=(2,))


def write(path, data_channels_first: np.ndarray, sr: int, fmt: str, subtype: str):
    sf.write(path, data_channels_first.T, sr, format=fmt, subtype=subtype)
    return path


def aligned_correlation(decoded: np.ndarray, original: np.ndarray, max_lag: int = 4096) -> tuple[float, int]:
    """Correlation coefficient of decoded with original at the best lag (|lag| <= max_lag), and the lag.

    Lossy codecs may delay the signal by a few hundred samples; the lag is found by FFT
    cross-correlation, then the overlapping parts are compared.
    """
    n = len(decoded) + len(original)
    cross = np.fft.irfft(np.fft.rfft(decoded, n) * np.conj(np.fft.rfft(original, n)), n)
    lags = np.r_[np.arange(0, max_lag + 1), np.arange(-max_lag, 0)]
    lag = int(lags[np.argmax(cross[lags])])
    if lag >= 0:
        a, b = decoded[lag:], original
    else:
        a, b = decoded, original[-lag:]
    m = min(len(a), len(b))
    return float(np.corrcoef(a[:m], b[:m])[0, 1]), lag


@pytest.mark.parametrize("fmt, subtype, ext, atol", LOSSLESS)
def test_lossless_files_decode_to_what_was_written(tmp_path, stereo, fmt, subtype, ext, atol):
    path = write(tmp_path / f"clip.{ext}", stereo, SR, fmt, subtype)
    y, sr = fasttag.load(path, mono=False)
    assert sr == SR and isinstance(sr, int)
    assert y.shape == stereo.shape
    assert y.dtype == np.float32
    assert y.flags.c_contiguous
    err = np.max(np.abs(y - stereo))
    assert err <= atol, f"{fmt}/{subtype}: max error {err:.3g}"


def band_limited(x: np.ndarray, sr: float, cutoff: float) -> np.ndarray:
    """x with everything at or above ``cutoff`` Hz removed (brick-wall, by FFT)."""
    f = np.fft.rfftfreq(x.shape[-1], 1 / sr)
    return np.fft.irfft(np.fft.rfft(x) * (f < cutoff), x.shape[-1]).astype(x.dtype)


@pytest.mark.parametrize("fmt, subtype, ext", LOSSY)
def test_lossy_files_decode_close_to_what_was_written(tmp_path, stereo, fmt, subtype, ext):
    # Lossy encoders low-pass the signal (the hi-hats' top octave is gone) and do not keep
    # the waveform of noise above that; music band-limited to 8 kHz survives them closely.
    original = band_limited(stereo, SR, 8000.0)
    path = write(tmp_path / f"clip.{ext}", original, SR, fmt, subtype)
    y, sr = fasttag.load(path, mono=False)
    assert sr == SR
    assert y.shape[0] == 2
    assert abs(y.shape[1] - original.shape[1]) <= 4096
    for channel in range(2):
        corr, lag = aligned_correlation(y[channel].astype(np.float64), original[channel].astype(np.float64))
        assert corr > 0.99, f"{fmt}: channel {channel} correlation {corr:.4f} at lag {lag}"
    # The decoded samples are soundfile's, unchanged.
    np.testing.assert_array_equal(y, sf.read(path, dtype="float32", always_2d=True)[0].T)
    mono, _ = fasttag.load(path)
    np.testing.assert_allclose(mono, y.mean(axis=0), rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt, subtype, ext", [("WAV", "PCM_16", "wav"), ("FLAC", "PCM_24", "flac"),
                                               ("OGG", "VORBIS", "ogg"), ("MP3", "MPEG_LAYER_III", "mp3")])
def test_mono_is_the_mean_of_the_channels(tmp_path, stereo, fmt, subtype, ext):
    path = write(tmp_path / f"clip.{ext}", stereo, SR, fmt, subtype)
    y, sr = fasttag.load(path)
    assert y.ndim == 1
    decoded, sr_ref = sf.read(path, dtype="float32", always_2d=True)
    assert sr == sr_ref
    np.testing.assert_allclose(y, decoded.mean(axis=1), rtol=0, atol=1e-7)
    both, _ = fasttag.load(path, mono=False)
    np.testing.assert_allclose(y, both.mean(axis=0), rtol=0, atol=1e-7)
    assert not np.allclose(both[0], both[1])


def test_mono_file(tmp_path, music):
    clip = music(SR // 2, sr=SR)
    path = write(tmp_path / "mono.wav", clip[None], SR, "WAV", "FLOAT")
    y, sr = fasttag.load(path)
    np.testing.assert_array_equal(y, clip)
    y2, _ = fasttag.load(path, mono=False)
    assert y2.shape == (1, clip.shape[0])
    np.testing.assert_array_equal(y2[0], clip)


def test_float64_output(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo.astype(np.float64), SR, "WAV", "DOUBLE")
    y, _ = fasttag.load(path, mono=False, dtype=np.float64)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, stereo.astype(np.float64))
    y32, _ = fasttag.load(path, mono=False)
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32, stereo)
    mono64, _ = fasttag.load(path, dtype=np.float64)
    assert mono64.dtype == np.float64
    np.testing.assert_allclose(mono64, stereo.astype(np.float64).mean(axis=0), rtol=0, atol=1e-15)


def test_path_types(tmp_path, stereo):
    path = write(tmp_path / "clip.flac", stereo, SR, "FLAC", "PCM_16")
    by_path, _ = fasttag.load(path)
    by_str, _ = fasttag.load(str(path))
    np.testing.assert_array_equal(by_path, by_str)


# ----------------------------------------------------------------------------- resampling


@pytest.mark.parametrize("target", [16000, 22050, 12000, 48000, 8000.0])
def test_resampling_matches_soxr(tmp_path, music, target):
    n = 50003
    clip = music(n, sr=SR, shape=(2,))
    path = write(tmp_path / "clip.wav", clip, SR, "WAV", "FLOAT")
    y, sr = fasttag.load(path, sr=target)
    assert sr == int(target) and isinstance(sr, int)
    assert y.dtype == np.float32
    assert y.shape == (int(np.ceil(n * target / SR)),)  # librosa's length: soxr's, zero-padded
    expected = soxr.resample(clip.mean(axis=0, dtype=np.float32), SR, target, quality="HQ")
    assert y.shape[0] - expected.shape[0] in (0, 1) and not y[expected.shape[0]:].any()
    np.testing.assert_allclose(y[:expected.shape[0]], expected, rtol=0, atol=1e-6)
    both, _ = fasttag.load(path, sr=target, mono=False)
    assert both.shape == (2, y.shape[0])
    for channel in range(2):
        expected = soxr.resample(clip[channel], SR, target, quality="HQ")
        np.testing.assert_allclose(both[channel, :expected.shape[0]], expected, rtol=0, atol=1e-6)


def test_resampling_preserves_a_tone(tmp_path):
    # Known answer: a 1 kHz tone stays a 1 kHz tone at the new rate.
    t = np.arange(SR) / SR
    path = write(tmp_path / "tone.wav", (0.5 * np.sin(2 * np.pi * 1000 * t))[None], SR, "WAV", "FLOAT")
    y, sr = fasttag.load(path, sr=16000)
    spectrum = np.abs(np.fft.rfft(y[2000:-2000] * np.hanning(y.shape[0] - 4000)))
    peak_hz = np.argmax(spectrum) * sr / (y.shape[0] - 4000)
    assert abs(peak_hz - 1000) < 2


@pytest.mark.parametrize("sr", [100, 1e-3])
def test_a_file_that_resamples_to_less_than_a_sample_gives_one_as_librosa(tmp_path, rng, sr):
    """10 samples at 12 kHz are none at 100 Hz by soxr: load returned an empty array, the next call failed.
    librosa pads the result to ceil(10 * sr / 12000) = 1 sample."""
    path = tmp_path / "short.wav"
    sf.write(path, 0.1 * rng.standard_normal(10), 12000, subtype="FLOAT")
    y, _ = fasttag.load(path, sr=sr)
    assert y.shape == (1,) and y.dtype == np.float32


def test_mono_must_be_true_or_false(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "FLOAT")
    with pytest.raises(ParameterError, match="mono='no' must be True or False"):  # was true: a downmix
        fasttag.load(path, mono="no")
    assert fasttag.load(path, mono=0)[0].shape == (2, stereo.shape[1])


def test_same_rate_is_not_resampled(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "FLOAT")
    np.testing.assert_array_equal(fasttag.load(path, sr=SR)[0], fasttag.load(path)[0])


# ----------------------------------------------------------------------------- offset and duration


@pytest.mark.parametrize("fmt, subtype, ext", [("WAV", "PCM_16", "wav"), ("FLAC", "PCM_16", "flac"),
                                               ("WAV", "FLOAT", "wav")])
@pytest.mark.parametrize("offset, duration", [(0.25, 0.5), (0.0, 0.1), (1.0, None), (0.5, 10.0), (1e-4, 1e-3)])
def test_offset_and_duration(tmp_path, stereo, fmt, subtype, ext, offset, duration):
    path = write(tmp_path / f"clip.{ext}", stereo, SR, fmt, subtype)
    full, _ = fasttag.load(path, mono=False)
    part, sr = fasttag.load(path, mono=False, offset=offset, duration=duration)
    start = int(offset * SR)  # librosa's rule: truncated to a sample
    stop = full.shape[1] if duration is None else min(full.shape[1], start + int(duration * SR))
    np.testing.assert_array_equal(part, full[:, start:stop])
    mono_part, _ = fasttag.load(path, offset=offset, duration=duration)
    np.testing.assert_allclose(mono_part, full[:, start:stop].mean(axis=0), rtol=0, atol=1e-7)


def test_offset_and_duration_then_resampling(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "FLOAT")
    y, sr = fasttag.load(path, sr=22050, offset=0.2, duration=0.7)
    piece = stereo[:, int(0.2 * SR): int(0.2 * SR) + int(0.7 * SR)]
    expected = soxr.resample(piece.mean(axis=0, dtype=np.float32), SR, 22050, quality="HQ")
    assert sr == 22050 and y.shape == (int(np.ceil(piece.shape[1] * 22050 / SR)),)
    np.testing.assert_allclose(y[:expected.shape[0]], expected, rtol=0, atol=1e-6)
    assert not y[expected.shape[0]:].any()  # librosa's length: soxr's zero-padded


def test_offset_past_the_end(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "PCM_16")
    with pytest.raises(AudioLoadError, match=re.escape(str(path))):
        fasttag.load(path, offset=2.0)


# ----------------------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    path = tmp_path / "does_not_exist.wav"
    with pytest.raises(AudioLoadError, match=re.escape(str(path))) as info:
        fasttag.load(path)
    assert isinstance(info.value, OSError)
    assert isinstance(info.value, fasttag.FasttagError)


def test_directory_is_not_a_file(tmp_path):
    for read in (fasttag.load, fasttag.extraction.features):
        with pytest.raises(AudioLoadError, match=re.escape(f"{str(tmp_path)!r} is a folder, not an audio file")):
            read(tmp_path)


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_float_file_with_nan_or_infinite_samples_is_refused_naming_where(tmp_path, stereo, rng, subtype, bad):
    """Such a file passed as audio and stopped a whole `fasttag tag` or `evaluate` run with a
    ParameterError that named no file; an AudioLoadError is skipped there, and by extract."""
    at = int(rng.integers(SR // 2, stereo.shape[1]))
    stereo[int(rng.integers(0, 2)), at] = bad
    path = write(tmp_path / "corrupt.wav", stereo, SR, "WAV", subtype)
    message = re.escape(f"{str(path)!r} holds NaN or infinite samples (the first at {at / SR:.3f} s)")
    in_blocks = lambda p: fasttag.extraction._extract_file(p, fasttag.extraction.ExtractParams(), block=3000)  # noqa: E731
    for read in (fasttag.load, lambda p: fasttag.load(p, offset=0.25, sr=16000), fasttag.extraction.features, in_blocks):
        with pytest.raises(AudioLoadError, match=message):
            read(path)
    y, _ = fasttag.load(path, duration=0.45)  # before the bad sample
    assert np.isfinite(y).all()


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg", "mp3"])
def test_empty_file(tmp_path, ext):
    path = tmp_path / f"empty.{ext}"
    path.write_bytes(b"")
    with pytest.raises(AudioLoadError, match=re.escape(str(path))):
        fasttag.load(path)


@pytest.mark.parametrize("ext", ["wav", "flac", "ogg"])
def test_corrupt_file(tmp_path, rng, ext):
    path = tmp_path / f"corrupt.{ext}"
    path.write_bytes(rng.bytes(8000))
    with pytest.raises(AudioLoadError, match=re.escape(str(path))):
        fasttag.load(path)


def test_text_file_named_mp3(tmp_path):
    path = tmp_path / "notes.mp3"
    path.write_text("This is a text file, not audio.\n" * 50)
    with pytest.raises(AudioLoadError, match=re.escape(str(path))):
        fasttag.load(path)
    # libsndfile says "File does not exist or is not a regular file (possibly a pipe?)" of it
    path.write_text("<html><body>404 Not Found</body></html>\n")  # a download's error page
    with pytest.raises(AudioLoadError, match=re.escape("no audio frames found (the file starts with b'<html><body>404 "
                                                       "': not an audio file?)")):
        fasttag.load(path)


def test_header_without_samples(tmp_path, stereo):
    good = write(tmp_path / "good.wav", stereo, SR, "WAV", "PCM_16")
    path = tmp_path / "header_only.wav"
    path.write_bytes(good.read_bytes()[:44])
    with pytest.raises(AudioLoadError, match=re.escape(str(path)) + ".*truncated: its header declares 264600 bytes"):
        fasttag.load(path)


@pytest.mark.parametrize("kwargs, message", [
    (dict(sr=0), "sr=0 must be a positive number"),
    (dict(sr=-16000), "sr=-16000 must be a positive number"),
    (dict(sr=float("nan")), "sr=nan must be a positive number"),
    (dict(offset=-0.5), "offset=-0.5 must be a finite number >= 0"),
    (dict(offset=float("nan")), "offset=nan must be a finite number >= 0"),
    (dict(offset=float("inf")), "offset=inf must be a finite number >= 0"),
    (dict(offset="1"), "offset='1' must be a finite number >= 0"),
    (dict(sr=4e8), "sr=4e+08 Hz is above the highest sampling rate accepted, 1536000 Hz"),
    (dict(duration=0), "duration=0 must be a positive number"),
    (dict(duration=-1.0), "duration=-1.0 must be a positive number"),
    (dict(dtype=np.int16), "dtype="),
    (dict(dtype=np.float16), "dtype="),
])
def test_bad_parameters(tmp_path, stereo, kwargs, message):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "PCM_16")
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.load(path, **kwargs)


def test_a_path_that_is_not_a_file_name_is_named(tmp_path, stereo):
    # None was a TypeError from os.fspath that named no parameter.
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "PCM_16")
    with open(path, "rb") as opened:
        for bad, shown in [(None, "None"), (3, "3"), ([path], "[PosixPath(")]:
            for read in (fasttag.load, fasttag.extraction.features):
                with pytest.raises(ParameterError, match=re.escape(f"path={shown}") + ".* must be a file name"):
                    read(bad)
        with pytest.raises(ParameterError, match=re.escape("path=<_io.BufferedReader") + ".* must be a file name"):
            fasttag.extraction.features(opened)  # load reads open files (test_binary_file_objects_decode_...)
    with open(path) as text, pytest.raises(ParameterError, match="is a file open in text mode: open it with 'rb'"):
        fasttag.load(text)


@pytest.mark.parametrize(("fmt", "subtype", "ext"), [(f, s, e) for f, s, e, _ in LOSSLESS[1:4:2]] + LOSSY)
def test_binary_file_objects_decode_as_the_file_does(tmp_path, stereo, fmt, subtype, ext):
    path = write(tmp_path / f"clip.{ext}", stereo, SR, fmt, subtype)
    expected, sr = fasttag.load(path, mono=False, offset=0.25, duration=0.5)
    with open(path, "rb") as opened:
        from_file, from_file_sr = fasttag.load(opened, mono=False, offset=0.25, duration=0.5)
    from_bytes, from_bytes_sr = fasttag.load(io.BytesIO(path.read_bytes()), mono=False, offset=0.25, duration=0.5)
    assert sr == from_file_sr == from_bytes_sr == SR
    np.testing.assert_array_equal(from_file, expected)
    np.testing.assert_array_equal(from_bytes, expected)
    resampled, _ = fasttag.load(io.BytesIO(path.read_bytes()), sr=16000)
    np.testing.assert_array_equal(resampled, fasttag.load(path, sr=16000)[0])


def test_a_file_object_that_is_not_audio_is_named_in_the_error(tmp_path, rng):
    with pytest.raises(AudioLoadError, match=re.escape("cannot decode '<BytesIO>'")):
        fasttag.load(io.BytesIO(rng.bytes(8000)))
    path = tmp_path / "corrupt.flac"
    path.write_bytes(rng.bytes(8000))
    with open(path, "rb") as opened, pytest.raises(AudioLoadError, match=re.escape(f"cannot decode {str(path)!r}")):
        fasttag.load(opened)


def test_audio_bytes_given_as_a_path_are_refused_briefly(tmp_path, stereo):
    """open(f, 'rb').read() given to load was "no such audio file: b'RIFF...'", its message all of the bytes."""
    data = write(tmp_path / "clip.wav", stereo, SR, "WAV", "PCM_16").read_bytes()
    for given in (data, bytearray(data), data[:100]):  # a WAV header holds NUL bytes
        with pytest.raises(ParameterError, match=f"^path is {len(given)} bytes of data, not a file name: wrap audio "
                                                 "bytes in io.BytesIO$"):
            fasttag.load(given)
    long_name = str(tmp_path / ("x" * 5000)) + "/clip.wav"
    with pytest.raises(AudioLoadError, match=r"^no such audio file: '/.+xxx\.\.\.xxx.+/clip\.wav'$") as error:
        fasttag.load(long_name)
    assert len(str(error.value)) == len("no such audio file: ") + 403  # 400 characters of its repr and "..."


def test_a_file_name_that_is_not_utf8_decodes(tmp_path, stereo):
    # Linux file names are bytes: b"caf\xe9.wav" (Latin-1) is a legal name that has no UTF-8 spelling.
    path = write(bytes(tmp_path) + b"/caf\xe9.wav", stereo, SR, "WAV", "PCM_16")
    expected, _ = fasttag.load(path)
    y, sr = fasttag.load(os.fsdecode(path))
    assert sr == SR and y.shape == (stereo.shape[1],)
    np.testing.assert_array_equal(y, expected)
    np.testing.assert_allclose(y, stereo.mean(axis=0), atol=1e-4)


def test_a_fractional_target_rate_is_reported_as_asked(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "FLOAT")
    y, sr = fasttag.load(path, sr=12000.5)
    assert sr == 12000.5
    expected = soxr.resample(stereo.mean(axis=0), SR, 12000.5, quality="HQ")
    np.testing.assert_allclose(y, expected, atol=1e-6)
    assert fasttag.load(path, sr=12000.0)[1] == 12000 and isinstance(fasttag.load(path, sr=12000.0)[1], int)


@pytest.mark.filterwarnings("ignore:'(aifc|audioop|sunau)' is deprecated:DeprecationWarning")  # librosa.load: audioread
@pytest.mark.parametrize("fmt, subtype, ext", [("WAV", "FLOAT", "wav"), ("FLAC", "PCM_24", "flac")])
def test_offsets_durations_and_resampled_lengths_are_librosas(tmp_path, rng, fmt, subtype, ext):
    """Fractional sample positions (librosa truncates them) and resampled lengths (librosa's ceil)."""
    native = int(rng.choice([8000, 11025, 16000, 44100]))
    path = tmp_path / f"clip.{ext}"
    sf.write(path, rng.uniform(-0.5, 0.5, size=(int(native * 0.7) + int(rng.integers(50)), 2)), native,
             format=fmt, subtype=subtype)
    for _ in range(6):
        offset = float(rng.uniform(0, 0.3)) + 0.37 / native
        duration = float(rng.uniform(1e-3, 0.5)) + 0.61 / native
        sr = [None, 22050, 16000, 12000.5][int(rng.integers(4))]
        for res_type in ("soxr_hq", "soxr_lq"):
            ours, our_sr = fasttag.load(path, sr=sr, offset=offset, duration=duration, res_type=res_type)
            theirs, their_sr = librosa.load(path, sr=sr, offset=offset, duration=duration, res_type=res_type)
            assert our_sr == their_sr and ours.shape == theirs.shape, (offset, duration, sr)
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-6 if sr is None else 1e-4)


def test_resamplers_other_than_soxr_are_refused_by_name(tmp_path, stereo):
    path = write(tmp_path / "clip.wav", stereo, SR, "WAV", "PCM_16")
    with pytest.raises(ParameterError, match=r"res_type='kaiser_fast' is not one of \['soxr_hq', 'soxr_lq'"):
        fasttag.load(path, sr=22050, res_type="kaiser_fast")
