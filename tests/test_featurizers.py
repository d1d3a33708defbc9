"""The feature registry: log-mel and MFCC descriptions, their dicts, clip loading and extraction."""

import json
import re

import numpy as np
import pytest
import soundfile as sf

import fasttag
from fasttag.featurizers import (
    FEATURES, MFCC, LogMel, LogMelChroma, extract, extract_readable, features_from_dict, load_clips,
)  # fmt: skip
from fasttag.tagging import LogMel as TaggingLogMel


def test_registry():
    from fasttag.bof_features import BagOfFramesFeatures
    from fasttag.cnn_frames import CNNFrames

    assert FEATURES == {"logmel": LogMel, "mfcc": MFCC, "logmel-chroma": LogMelChroma, "cnn": CNNFrames,
                        "bof": BagOfFramesFeatures}
    assert TaggingLogMel is LogMel  # the old import path still works


def test_defaults_are_choi_s_input():
    params = LogMel()
    assert (params.sr, params.n_fft, params.hop_length, params.n_mels) == (12000, 512, 256, 96)
    assert params.n_samples == 349440 and params.n_frames == 1 + 349440 // 256 == 1366
    assert MFCC().n_features == 90 and LogMel().n_features == 96


def test_logmel_is_fasttag_logmel(music):
    params = LogMel(seconds=1.0)
    y = music(params.n_samples, sr=params.sr, shape=(2,))
    expected = fasttag.logmel(y, sr=12000, n_fft=512, hop_length=256, n_mels=96)
    np.testing.assert_array_equal(params(y), expected)
    assert params(y).shape == (2, params.n_features, params.n_frames)


@pytest.mark.parametrize(("n_mfcc", "deltas"), [(30, 2), (13, 1), (20, 0)])
def test_mfcc_stacks_coefficients_and_deltas(music, n_mfcc, deltas):
    params = MFCC(seconds=0.7, n_mfcc=n_mfcc, deltas=deltas)
    y = music(params.n_samples, sr=params.sr, shape=(3,))
    C = fasttag.mfcc(y, sr=12000, n_mfcc=n_mfcc, n_fft=512, hop_length=256, n_mels=96)
    expected = np.concatenate([C, fasttag.delta(C), fasttag.delta(C, order=2)][: 1 + deltas], axis=1)
    got = params(y)
    assert got.shape == (3, n_mfcc * (1 + deltas), params.n_frames) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    if deltas:  # the deltas are not the coefficients again
        assert not np.allclose(got[:, n_mfcc : 2 * n_mfcc], got[:, :n_mfcc])


@pytest.mark.parametrize("params", [LogMel(seconds=3.5, fmax=5000.0), MFCC(n_mfcc=20, deltas=1, top_db=None),
                                    LogMelChroma(seconds=2.0, chroma_n_fft=2048)])
def test_dict_round_trip(params):
    d = params.as_dict()
    assert d["kind"] == params.kind and features_from_dict(d) == params
    assert type(params).from_dict(d) == params


def test_runs_without_kind_are_logmel():
    old = {"sr": 12000, "n_fft": 512, "hop_length": 256, "n_mels": 96, "seconds": 10.0, "fmin": 0.0,
           "fmax": None, "top_db": 80.0}  # fmt: skip
    assert features_from_dict(old) == LogMel(seconds=10.0)


@pytest.mark.parametrize(
    ("features", "match"),
    [
        ({"kind": "cqt"}, "kind 'cqt' are not one of"),
        ({"kind": "bof"}, "keep their codebook in the run directory: give root=RUN_DIR"),
        ({"kind": "cnn"}, "keep their FCN in the run directory: give root=RUN_DIR"),
        ({"kind": "logmel", "n_mfcc": 20}, "not logmel parameters.*n_mfcc"),
        ({"kind": "mfcc", "n_mfcc": 200}, "not valid mfcc parameters.*n_mfcc=200"),
        ({"kind": "logmel", "seconds": -1}, "seconds=-1"),
        ({"kind": "mfcc", "seconds": 1e9}, r"seconds=1000000000.0 must be a positive number, at most 86400 \(a day\)"),
        ({"kind": "logmel", "seconds": 1e-9}, "seconds=1e-09 is less than one sample at sr=12000"),
    ],
)
def test_bad_feature_dicts(features, match):
    with pytest.raises(fasttag.FasttagError, match=match):
        features_from_dict(features)


def test_bad_parameters():
    with pytest.raises(fasttag.ParameterError, match="deltas=3"):
        MFCC(deltas=3)
    with pytest.raises(fasttag.ParameterError, match="delta_width=4"):
        MFCC(delta_width=4)
    with pytest.raises(fasttag.ParameterError, match="n_mels=0"):
        LogMel(n_mels=0)


def test_load_clips_crops_and_pads(tmp_path, music, rng):
    sr, n = 12000, 6000
    lengths = [int(rng.integers(n + 1, 3 * n)), int(rng.integers(100, n)), n]
    paths = []
    for i, length in enumerate(lengths):
        sf.write(tmp_path / f"{i}.wav", music(length, sr=sr), sr, subtype="FLOAT")
        paths.append(tmp_path / f"{i}.wav")
    clips = load_clips(paths, sr, n)
    assert clips.shape == (3, n) and clips.dtype == np.float32
    for clip, path, length in zip(clips, paths, lengths):
        y = sf.read(path, dtype="float32")[0]
        np.testing.assert_array_equal(clip[: min(n, length)], y[:n])
        assert not clip[length:].any()


def test_extract_in_batches_equals_one_call(tmp_path, music, rng):
    params = MFCC(seconds=0.5)
    paths = []
    for i in range(5):
        sf.write(tmp_path / f"{i}.wav", music(int(rng.integers(3000, 9000)), sr=12000), 12000, subtype="FLOAT")
        paths.append(tmp_path / f"{i}.wav")
    X = extract(params, paths, batch_size=2)
    assert X.shape == (5, 90, params.n_frames) and X.dtype == np.float32
    np.testing.assert_array_equal(X, params(load_clips(paths, params.sr, params.n_samples)))
    # a run's features (Run.features) are a dict: "'dict' object has no attribute 'kind'"
    np.testing.assert_array_equal(extract(params.as_dict(), paths, batch_size=2), X)


def test_extract_readable_leaves_out_the_unreadable_files_in_order(tmp_path, music, rng):
    params = LogMel(seconds=0.5, n_mels=32)
    paths = []
    for i in range(6):
        sf.write(tmp_path / f"{i}.wav", music(int(rng.integers(3000, 9000)), sr=12000), 12000, subtype="FLOAT")
        paths.append(tmp_path / f"{i}.wav")
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "noise.wav").write_bytes(rng.bytes(3000))
    mixed = [tmp_path / "empty.wav", *paths[:3], tmp_path / "noise.wav", *paths[3:], tmp_path / "empty.wav"]
    X, unreadable = extract_readable(params, mixed, batch_size=3)
    assert [i for i, _ in unreadable] == [0, 4, 8] and all("wav" in error for _, error in unreadable)
    np.testing.assert_array_equal(X, extract(params, paths, batch_size=3))
    with pytest.raises(fasttag.AudioLoadError, match="none of the 2 files can be read"):
        extract_readable(params, [tmp_path / "empty.wav", tmp_path / "noise.wav"])


@pytest.mark.parametrize("build, message", [
    (lambda: LogMel(fmin="a"), "fmin='a' must be a finite number >= 0"),
    (lambda: LogMel(fmin=5000.0, fmax=100.0), "must satisfy 0 <= fmin < fmax"),
    (lambda: LogMel(fmax=7000.0), "fmax=7000.0 exceeds the Nyquist frequency"),
    (lambda: MFCC(top_db=-1), "top_db=-1 must be a non-negative number"),
    (lambda: MFCC(deltas=1.0), "deltas=1.0 must be 0, 1 or 2"),
    (lambda: MFCC(seconds=0.1), "seconds=0.1 gives 5 frames, fewer than the deltas' window delta_width=9"),
    (lambda: features_from_dict({"kind": "logmel", "fmin": 5000.0, "fmax": 100.0}), "must satisfy 0 <= fmin"),
    (lambda: features_from_dict(None), "run features must be a dict"),
], ids=["fmin str", "fmin > fmax", "fmax > nyquist", "top_db", "deltas float", "clip < delta window", "dict",
        "None"])  # fmt: skip
def test_descriptions_are_checked_when_built_not_when_features_are_computed(build, message):
    """A run's config is read long before features are computed: these passed until then (or for good)."""
    with pytest.raises(fasttag.FasttagError, match=re.escape(message)):
        build()


def test_as_dict_is_json_with_numpy_numbers_and_rebuilds_the_description():
    params = MFCC(sr=np.int64(16000), n_mels=np.int32(40), fmin=np.float32(20.0), seconds=np.float64(2.0))
    rebuilt = features_from_dict(json.loads(json.dumps(params.as_dict())))
    assert rebuilt == params and rebuilt.n_frames == params.n_frames


def test_load_clips_and_extract_check_their_arguments(tmp_path, music):
    path = tmp_path / "clip.wav"
    sf.write(path, music(12000, sr=12000), 12000)
    for call, message in [(lambda: load_clips([path], 0, 100), "sr=0 must be a positive integer"),
                          (lambda: load_clips([path], 12000, -5), "n_samples=-5 must be a positive integer"),
                          (lambda: load_clips(str(path), 12000, 100), "paths must be a sequence of paths, got one"),
                          (lambda: extract(LogMel(seconds=1.0), path), "paths must be a sequence of paths, got one")]:
        with pytest.raises(fasttag.ParameterError, match=re.escape(message)):
            call()
