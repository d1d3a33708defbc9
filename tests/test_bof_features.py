"""``fasttag train --model mlp-bof``: bag-of-frames features, their codebook, and the run round trip."""

import csv
import json
import re

import numpy as np
import pytest

import fasttag
from fasttag.bof_features import CODEBOOK_FILE, BagOfFramesFeatures
from fasttag.datasets import make_tagged_music
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import FEATURES, MFCC, features_from_dict, load_clips
from fasttag.metrics import summarize
from fasttag.training import load_run, predict

SECONDS = 2.0
K = 8


@pytest.fixture(scope="module")
def data(request, tmp_path_factory, seed_for):
    """20 generated clips of 2 s: their folder and manifest rows."""
    out = tmp_path_factory.mktemp("data")
    make_tagged_music(20, seconds=SECONDS, seed=seed_for(request.node.nodeid), out=out)
    with open(out / "manifest.csv", newline="") as f:
        return out, list(csv.DictReader(f))


@pytest.fixture(scope="module")
def bof_run(data, tmp_path_factory, run_cli):
    """An MFCC + BoF (K=8) + MLP run, trained for 2 epochs through the command line."""
    run_dir = tmp_path_factory.mktemp("runs") / "bof"
    argv = ["train", "--data", data[0], "--model", "mlp-bof", "--out", run_dir, "--seconds", SECONDS,
            "--codebook-size", K, "--epochs", 2, "--batch-size", 8, "--hidden", 8, "--seed", 5, "--quiet"]  # fmt: skip
    status, out, err = run_cli(argv)
    assert status == 0, err
    return run_dir, out


def _paths(data, split):
    folder, rows = data
    return [folder / row["path"] for row in rows if row["split"] == split]


def _mfcc_of(paths):
    params = MFCC(seconds=SECONDS)
    return params(load_clips(paths, params.sr, params.n_samples))


def test_run_keeps_codebook_and_options(bof_run):
    run_dir, printed = bof_run
    config = json.loads((run_dir / "config.json").read_text())
    features = config["features"]
    assert features["kind"] == "bof" and features["codebook"] == CODEBOOK_FILE and features["n_clusters"] == K
    assert features["frames"] == MFCC(seconds=SECONDS).as_dict()
    assert features["normalize"] == "l1" and features["power"] is None
    centers = np.load(run_dir / CODEBOOK_FILE)
    assert centers.shape == (K, 90) and centers.dtype == np.float32 and np.isfinite(centers).all()
    assert config["model"]["name"] == "MLP" and config["model"]["hparams"]["n_features"] == K
    assert f"codebook of {K} codewords" in printed


def test_codebook_is_fitted_on_training_frames_only(bof_run, data):
    """k-means on the training tracks' MFCC frames (same K, seed) gives the saved codebook; with the
    validation tracks added it does not."""
    saved = np.load(bof_run[0] / CODEBOOK_FILE)
    train = _mfcc_of(_paths(data, "train"))
    refit = BagOfFramesFeatures.fit(MFCC(seconds=SECONDS), train, n_clusters=K, seed=5)
    np.testing.assert_allclose(refit.centers, saved, rtol=1e-5, atol=1e-4)
    more = np.concatenate([train, _mfcc_of(_paths(data, "valid"))])
    leaked = BagOfFramesFeatures.fit(MFCC(seconds=SECONDS), more, n_clusters=K, seed=5)
    assert not np.allclose(leaked.centers, saved, atol=1e-3)


def test_evaluate_and_tag_rebuild_the_features(bof_run, data, run_cli):
    """evaluate and tag give what the model gives on histograms computed here from the saved codebook."""
    run_dir = bof_run[0]
    trained = load_run(run_dir)
    paths = _paths(data, "test")
    centers = np.load(run_dir / CODEBOOK_FILE)
    expected = predict(trained.model, fasttag.bag_of_frames(_mfcc_of(paths), centers, normalize="l1"))
    status, out, err = run_cli(["tag", *paths, "--model", run_dir, "--top", len(trained.tags), "--json"])
    assert status == 0, err
    tagged = json.loads(out)
    for path, row in zip(paths, expected):
        got = {t["tag"]: t["probability"] for t in tagged[str(path)]}
        np.testing.assert_allclose([got[tag] for tag in trained.tags], row, rtol=1e-5, atol=1e-6)
    assert not np.allclose(expected[0], expected[1])  # the tracks differ, so the check can fail
    status, out, err = run_cli(["evaluate", run_dir, "--data", data[0], "--json", "--quiet"])
    assert status == 0, err
    labels = np.array([[tag in row["tags"].split(";") for tag in trained.tags]
                       for row in data[1] if row["split"] == "test"], dtype=np.float32)  # fmt: skip
    scores = summarize(labels, expected, trained.tags)
    report = json.loads(out)
    assert report["macro"]["roc_auc"] == pytest.approx(scores.macro_roc_auc, abs=1e-6)
    assert report["macro"]["pr_auc"] == pytest.approx(scores.macro_pr_auc, abs=1e-6)


def test_description_round_trip(tmp_path, rng):
    frames = MFCC(seconds=0.5, n_mfcc=13, deltas=1)
    centers = rng.standard_normal((5, 26)).astype(np.float32)
    params = BagOfFramesFeatures(frames, centers, normalize="l2", power=0.5)
    assert FEATURES["bof"] is BagOfFramesFeatures and params.n_features == params.n_clusters == 5
    params.save_files(tmp_path)
    again = features_from_dict(json.loads(json.dumps(params.as_dict())), root=tmp_path)
    assert again.frames == frames and (again.normalize, again.power) == ("l2", 0.5)
    np.testing.assert_array_equal(again.centers, centers)
    y = rng.standard_normal((3, frames.n_samples)).astype(np.float32) * 0.1
    H = params(y)
    np.testing.assert_allclose(again(y), H)
    np.testing.assert_allclose(H, fasttag.bag_of_frames(frames(y), centers, normalize="l2", power=0.5), rtol=1e-6)
    assert H.shape == (3, 5) and np.allclose(np.linalg.norm(H, axis=1), 1, atol=1e-5)


def test_description_errors(tmp_path, rng):
    frames = MFCC(seconds=0.5)
    with pytest.raises(ParameterError, match="centers have 12 features but the mfcc frames have 90"):
        BagOfFramesFeatures(frames, rng.standard_normal((4, 12)))
    with pytest.raises(ParameterError, match="normalize='max'"):
        BagOfFramesFeatures(frames, rng.standard_normal((4, 90)), normalize="max")
    for power in (True, float("inf"), -0.5):  # as bag_of_frames checks it; numpy floats pass
        with pytest.raises(ParameterError, match="power=.* must be a positive number"):
            BagOfFramesFeatures(frames, rng.standard_normal((4, 90)), power=power)
    assert BagOfFramesFeatures(frames, rng.standard_normal((4, 90)), power=np.float32(0.5)).power == 0.5
    with pytest.raises(ParameterError, match=re.escape("power=1e+300 must be in (0, 1]")):  # NaN histograms before
        BagOfFramesFeatures(frames, rng.standard_normal((4, 90)), power=1e300)
    X = rng.standard_normal((3, 90, 20)).astype(np.float32)
    for kwargs, message in ((dict(seed=-1), "seed=-1 must be an integer"), (dict(power=True), "power=True"),
                            (dict(power=2.0), re.escape("power=2.0 must be in (0, 1]"))):
        with pytest.raises(ParameterError, match=message):  # before the k-means fit
            BagOfFramesFeatures.fit(frames, X, n_clusters=4, **kwargs)
    params = BagOfFramesFeatures(frames, rng.standard_normal((4, 90)))
    with pytest.raises(FasttagError, match="give root=RUN_DIR"):
        features_from_dict(params.as_dict())
    with pytest.raises(FasttagError, match="cannot be rebuilt"):
        features_from_dict(params.as_dict(), root=tmp_path)  # no codebook there
    params.save_files(tmp_path)
    np.save(tmp_path / CODEBOOK_FILE, rng.standard_normal((6, 90)))
    with pytest.raises(FasttagError, match="holds 6 codewords, not n_clusters=4"):
        features_from_dict(params.as_dict(), root=tmp_path)
