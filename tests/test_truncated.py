"""Files cut short (a partial download or copy): `fasttag.load` warns, `extract` flags them, whole files pass.

Each file is written with soundfile, then its bytes are cut at a random point past the middle.
"""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
import soundfile

import fasttag
from fasttag import TruncatedAudioWarning, extraction
from fasttag.extraction import ExtractParams

SR = 44100
SECONDS = 3.0
#: (format, subtype, extension, text the warning must hold)
CUTTABLE = [
    ("WAV", "PCM_16", "wav", "its header declares"),
    ("WAV", "FLOAT", "wav", "its header declares"),
    ("AIFF", "PCM_16", "aiff", "its header declares"),
    ("AU", "PCM_16", "au", "its header declares"),
    ("OGG", "VORBIS", "ogg", "its last Ogg page"),
    ("OGG", "OPUS", "opus", "its last Ogg page"),
    ("MP3", "MPEG_LAYER_III", "mp3", "decoding stopped at"),
]


def write(path, music, fmt: str, subtype: str, channels: int = 2):
    sr = 48000 if subtype == "OPUS" else SR
    soundfile.write(path, music(int(SECONDS * sr), sr=sr, shape=(channels,)).T, sr, format=fmt, subtype=subtype)
    return path


def cut(path, rng, name: str = "cut"):
    """A copy of ``path`` holding its first 50-80 % of bytes."""
    data = path.read_bytes()
    short = path.with_name(f"{name}{path.suffix}")
    short.write_bytes(data[: int(len(data) * rng.uniform(0.5, 0.8))])
    return short


def load_quietly(path, **kwargs):
    """fasttag.load with any warning an error: for files that must load without one."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fasttag.load(path, **kwargs)


@pytest.mark.parametrize("fmt, subtype, ext, sign", CUTTABLE, ids=[f"{c[0]}-{c[1]}" for c in CUTTABLE])
def test_load_warns_on_a_cut_file_and_decodes_what_it_holds(tmp_path, music, rng, fmt, subtype, ext, sign):
    whole = write(tmp_path / f"whole.{ext}", music, fmt, subtype)
    y_whole, sr = load_quietly(whole)
    with pytest.warns(TruncatedAudioWarning, match=f"cut.{ext}' looks truncated: {sign}"):
        y, cut_sr = fasttag.load(cut(whole, rng))
    assert cut_sr == sr and 0.3 * y_whole.size < y.size < 0.9 * y_whole.size
    kept = y.size - 4 * 1152  # a lossy codec's last frames before the cut may differ
    np.testing.assert_allclose(y[:kept], y_whole[:kept], rtol=0, atol=1e-6)


@pytest.mark.parametrize("fmt, subtype, ext", [c[:3] for c in CUTTABLE] + [("FLAC", "PCM_24", "flac")])
@pytest.mark.parametrize("channels", [1, 2])
def test_whole_files_load_without_a_warning(tmp_path, music, fmt, subtype, ext, channels):
    y, _ = load_quietly(write(tmp_path / f"whole.{ext}", music, fmt, subtype, channels))
    assert y.size == int(SECONDS * (48000 if subtype == "OPUS" else SR))


def with_wav_sizes(path, name: str, size: int, trailer: bytes = b""):
    """A copy of the wav ``path`` whose RIFF and data chunk sizes say ``size`` (None: unchanged), ``trailer`` appended."""
    data = bytearray(path.read_bytes())
    if size is not None:
        at = data.index(b"data")
        data[4:8] = data[at + 4 : at + 8] = struct.pack("<I", size)
    copy = path.with_name(name)
    copy.write_bytes(bytes(data) + trailer)
    return copy


def test_wavs_with_unknown_sizes_or_chunks_after_the_data_are_whole(tmp_path, music):
    whole = write(tmp_path / "whole.wav", music, "WAV", "PCM_16")
    y_whole, _ = load_quietly(whole)
    piped = with_wav_sizes(whole, "piped.wav", 0xFFFFFFFF)  # a writer that could not seek back
    listed = with_wav_sizes(whole, "listed.wav", None, b"LIST" + struct.pack("<I", 4) + b"INFO")
    for path in (piped, listed):
        np.testing.assert_array_equal(load_quietly(path)[0], y_whole)


def test_a_cut_mp3_warns_only_for_what_lies_past_the_cut(tmp_path, music, rng):
    short = cut(write(tmp_path / "whole.mp3", music, "MP3", "MPEG_LAYER_III"), rng)
    y, _ = load_quietly(short, duration=1.0)  # the first second is in the file
    assert y.size == SR
    with pytest.warns(TruncatedAudioWarning, match="decoding stopped at"):
        fasttag.load(short, offset=1.0, duration=1.8)


@pytest.mark.parametrize("fmt, subtype, ext, sign", CUTTABLE[::2], ids=[f"{c[0]}-{c[1]}" for c in CUTTABLE[::2]])
def test_extraction_flags_a_cut_file_and_keeps_its_features(tmp_path, music, rng, fmt, subtype, ext, sign):
    short = cut(write(tmp_path / f"whole.{ext}", music, fmt, subtype), rng)
    X, info = extraction._extract_file(short, ExtractParams(n_mels=32))
    assert info["warning"].startswith(f"truncated: {sign}")
    with pytest.warns(TruncatedAudioWarning):
        y, sr = fasttag.load(short, sr=12000)
    np.testing.assert_allclose(X, fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=32), rtol=0, atol=1e-4)


def test_a_center_crop_past_an_mp3_cut_is_flagged_and_padded(tmp_path, music, rng):
    short = cut(write(tmp_path / "whole.mp3", music, "MP3", "MPEG_LAYER_III"), rng)
    _, info = extraction._extract_file(short, ExtractParams(duration=2.5, crop="center"))
    assert info["warning"].startswith("truncated: decoding stopped at") and "; padded: " in info["warning"]
    _, whole_crop = extraction._extract_file(tmp_path / "whole.mp3", ExtractParams(duration=2.5, crop="center"))
    assert whole_crop["warning"] is None


def test_extract_stores_a_cut_track_with_its_warning(tmp_path, music, rng):
    folder = tmp_path / "tracks"
    folder.mkdir()
    whole = write(folder / "whole.wav", music, "WAV", "PCM_16")
    cut(whole, rng, name="partial")
    summary = fasttag.extract(folder, tmp_path / "store", workers=1, progress=False, n_mels=32)
    assert summary.done == 2 and [track for track, _ in summary.warnings] == ["partial.wav"]
    record = fasttag.FeatureStore(tmp_path / "store").records["partial.wav"]
    assert record["status"] == "done" and record["warning"].startswith("truncated: its header declares")
