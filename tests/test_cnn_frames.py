"""CNN frame features of a frozen FCN (black-box transfer) and fine-tuning from a run (--init-from)."""

import contextlib
import csv
import io
import json

import numpy as np
import pytest
import torch

from fasttag.cli import main
from fasttag.cnn_frames import CNN_DIR, CNNFrames, feature_map, frames_after
from fasttag.datasets import make_tagged_music
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import LogMel, features_from_dict
from fasttag.models import FCN, LSTMTagger
from fasttag.training import load_run, save_run
from fasttag.transfer import init_from

SECONDS = 2.0
CHANNELS = (4, 6, 8, 10, 12)


def _run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def _fcn(rng, n_tags=5, n_mels=96):
    """A small FCN-5 with random weights and random batch-norm statistics (as if trained)."""
    torch.manual_seed(int(rng.integers(2**31)))
    fcn = FCN(n_tags, n_mels=n_mels, n_layers=5, channels=CHANNELS)
    with torch.no_grad():
        for blk in fcn.blocks:
            blk.bn.running_mean.uniform_(-0.2, 0.2)
            blk.bn.running_var.uniform_(0.5, 2.0)
        fcn.feature_mean.uniform_(-40, -20)
        fcn.feature_std.uniform_(5, 15)
    return fcn


def _logmels(rng, n=3, n_frames=94):
    return rng.uniform(-80, 0, size=(n, 96, n_frames)).astype(np.float32)


@pytest.mark.parametrize("block", [1, 3, 5])
def test_frame_features_keep_every_frame(rng, block):
    fcn, S = _fcn(rng), _logmels(rng)
    X = feature_map(fcn, S, block=block)
    assert X.shape == (3, CHANNELS[block - 1], 94) and X.dtype == np.float32
    assert frames_after(fcn, 94, block=block) == 94
    assert not np.allclose(X[0], X[1]) and X[0].std(axis=1).min() > 0  # frames and clips differ
    if block == 1:  # block 1 by hand: the maximum over all mel rows of ELU(BN(conv(standardised input)))
        fcn.eval()
        with torch.no_grad():
            x = ((torch.from_numpy(S) - fcn.feature_mean) / fcn.feature_std).unsqueeze(1)
            b = fcn.blocks[0]
            expected = torch.nn.functional.elu(b.bn(b.conv(x))).amax(dim=-2).numpy()
        np.testing.assert_allclose(X, expected, rtol=1e-5, atol=1e-5)


def test_time_pooled_map_is_the_network_s_own(rng):
    """With pool_time, block b's map is fcn.blocks[:b]'s output; after the last block, the FCN's logits follow."""
    fcn, S = _fcn(rng), _logmels(rng, n_frames=300)
    fcn.eval()
    x = ((torch.from_numpy(S) - fcn.feature_mean) / fcn.feature_std).unsqueeze(1)
    with torch.no_grad():
        for block in (2, 4):
            X = feature_map(fcn, S, block=block, pool_time=True)
            np.testing.assert_allclose(X, fcn.blocks[:block](x).amax(dim=-2).numpy(), rtol=1e-5, atol=1e-6)
            assert X.shape[-1] == frames_after(fcn, 300, block=block, pool_time=True) < 300
        X = feature_map(fcn, S, pool_time=True)
        logits = fcn.out(torch.from_numpy(X).amax(dim=-1))
        torch.testing.assert_close(logits, fcn(torch.from_numpy(S)), rtol=1e-5, atol=1e-5)


def test_the_frozen_fcn_is_not_changed(rng):
    fcn, S = _fcn(rng), _logmels(rng)
    fcn.train()
    before = {k: v.clone() for k, v in fcn.state_dict().items()}
    X = feature_map(fcn, S, batch_size=2)
    assert fcn.training  # its mode is given back
    for key, value in fcn.state_dict().items():
        assert torch.equal(value, before[key]), key  # running statistics included: eval mode was used
    assert all(p.grad is None for p in fcn.parameters())
    np.testing.assert_array_equal(X, feature_map(fcn, S, batch_size=2))  # deterministic: no dropout
    np.testing.assert_allclose(X, feature_map(fcn, S), rtol=1e-4, atol=1e-6)  # batching does not matter


def test_cnn_description_from_a_run_and_back(rng, tmp_path, music):
    fcn = _fcn(rng, n_tags=3)
    save_run(tmp_path / "fcn", fcn, tags=["a", "b", "c"], features=LogMel(seconds=1.5))
    params = CNNFrames.from_run(tmp_path / "fcn", seconds=1.0, block=4)
    assert (params.seconds, params.block, params.n_features, params.pool_time) == (1.0, 4, CHANNELS[3], False)
    y = music(params.n_samples, sr=params.sr, shape=(2,))
    X = params(y)
    assert X.shape == (2, params.n_features, params.n_frames) == (2, 10, LogMel(seconds=1.0).n_frames)
    np.testing.assert_allclose(X, feature_map(load_run(tmp_path / "fcn").model, LogMel(seconds=1.0)(y), block=4))
    params.save_files(tmp_path / "user")
    assert (tmp_path / "user" / CNN_DIR / "model.pt").is_file()
    again = features_from_dict(json.loads(json.dumps(params.as_dict())), root=tmp_path / "user")
    assert (again.block, again.seconds, again.tags) == (4, 1.0, ("a", "b", "c"))
    np.testing.assert_allclose(again(y), X)


def test_cnn_description_errors(rng, tmp_path):
    torch.manual_seed(0)
    save_run(tmp_path / "lstm", LSTMTagger(90, 2, hidden=4), tags=["a", "b"], features={
        "kind": "mfcc", "sr": 12000, "n_fft": 512, "hop_length": 256, "n_mels": 96, "seconds": 1.0})  # fmt: skip
    with pytest.raises(FasttagError, match="LSTMTagger on mfcc features; CNN frames need an FCN"):
        CNNFrames.from_run(tmp_path / "lstm")
    fcn = _fcn(rng, n_tags=2)
    with pytest.raises(ParameterError, match=r"block=6 must be an integer in \[1, 5\]"):
        CNNFrames(fcn, ("a", "b"), LogMel(), block=6)
    with pytest.raises(ParameterError, match="S must be log-mel spectrograms"):
        feature_map(fcn, np.zeros((2, 40, 10), np.float32))
    S = rng.standard_normal((2, 96, 10)).astype(np.float32)
    S[1, 5, 3] = np.nan  # NaN features came out
    for bad, message in ((S, "S contains NaN"), (S[:, :, :0], r"S is empty")):  # 0 frames: a torch error
        with pytest.raises(ParameterError, match=message):
            feature_map(fcn, bad)
    with pytest.raises(FasttagError, match="give root=RUN_DIR"):
        features_from_dict(CNNFrames(fcn, ("a", "b"), LogMel()).as_dict())


def test_init_from_copies_all_but_the_output_layer(rng):
    source = _fcn(rng, n_tags=5)
    torch.manual_seed(1)
    model = FCN(3, n_layers=5, channels=CHANNELS)
    fresh_out = model.out.weight.detach().clone()
    from fasttag.training import Run

    copied = init_from(model, Run(source, list("abcde"), LogMel().as_dict(), {}))
    assert copied and not any(k.startswith("out.") for k in copied)
    for key in copied:
        assert torch.equal(model.state_dict()[key], source.state_dict()[key]), key
    assert torch.equal(model.out.weight, fresh_out) and model.out.weight.shape == (3, CHANNELS[-1])
    with pytest.raises(FasttagError, match="differs from the one to train in"):
        init_from(FCN(3, n_layers=5, channels=(4, 6, 8, 10, 16)), Run(source, list("abcde"), {}, {}))
    with pytest.raises(FasttagError, match="holds a FCN, not a LSTMTagger"):
        init_from(LSTMTagger(96, 3), Run(source, list("abcde"), {}, {}))


@pytest.fixture(scope="module")
def data(request, tmp_path_factory, seed_for):
    """20 generated clips of 2 s, and the same clips with a smaller tag set (a new task)."""
    out = tmp_path_factory.mktemp("data")
    make_tagged_music(20, seconds=SECONDS, seed=seed_for(request.node.nodeid), out=out)
    with open(out / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    keep = {"drums", "no_drums", "major", "minor", "loud", "quiet"}
    with open(out / "new_tags.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        for r in rows:
            writer.writerow([r["path"], ";".join(t for t in r["tags"].split(";") if t in keep), r["split"]])
    return out


@pytest.fixture(scope="module")
def fcn_run(data, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("runs") / "fcn"
    argv = ["train", "--data", data, "--model", "fcn5", "--out", run_dir, "--seconds", SECONDS, "--epochs", 1,
            "--channels", ",".join(map(str, CHANNELS)), "--batch-size", 8, "--seed", 1, "--quiet"]  # fmt: skip
    assert _run(argv)[0] == 0
    return run_dir


def _params(run_dir):
    return dict(load_run(run_dir).model.named_parameters())


def test_fine_tuning_starts_from_the_run_with_a_new_output_layer(data, fcn_run, tmp_path):
    source = _params(fcn_run)
    common = ["--data", data / "new_tags.csv", "--model", "fcn5", "--epochs", 1, "--batch-size", 8, "--seed", 2,
              "--quiet"]  # fmt: skip
    status, out, err = _run(["train", *common, "--init-from", fcn_run, "--out", tmp_path / "still", "--lr", 1e-30])
    assert status == 0, err
    assert "fine-tuning from" in out and "new output layer for 6 tags" in out
    config = json.loads((tmp_path / "still" / "config.json").read_text())
    assert config["model"]["hparams"]["channels"] == list(CHANNELS)  # the run's architecture, not the default
    assert config["features"] == json.loads((fcn_run / "config.json").read_text())["features"]
    started = _params(tmp_path / "still")  # a vanishing learning rate: the weights it started from
    for name, value in source.items():
        if not name.startswith("out."):
            assert torch.equal(started[name], value), name
    assert started["out.weight"].shape == (6, CHANNELS[-1]) != source["out.weight"].shape
    assert _run(["train", *common, "--init-from", fcn_run, "--out", tmp_path / "tuned"])[0] == 0
    tuned = _params(tmp_path / "tuned")  # a real learning rate: every layer moves away from the run's
    assert all(not torch.equal(tuned[n], v) for n, v in source.items() if not n.startswith("out."))
    assert _run(["train", *common, "--channels", ",".join(map(str, CHANNELS)), "--out", tmp_path / "scratch"])[0] == 0
    scratch = _params(tmp_path / "scratch")  # without --init-from nothing is shared
    assert not torch.allclose(scratch["blocks.0.conv.weight"], source["blocks.0.conv.weight"], atol=1e-2)


def test_lstm_and_bof_on_cnn_frames_round_trip(data, fcn_run, tmp_path):
    for model, extra in (("lstm", ["--hidden", 4]), ("mlp-bof", ["--codebook-size", 4, "--hidden", 4])):
        run_dir = tmp_path / model
        argv = ["train", "--data", data, "--model", model, "--features", "cnn", "--cnn-run", fcn_run, "--out", run_dir,
                "--cnn-block", 3, "--epochs", 1, "--quiet", *extra]  # fmt: skip
        status, out, err = _run(argv)
        assert status == 0, err
        assert f"cnn features of {SECONDS:g} s ({CHANNELS[2]} x 94)" in out
        frames = json.loads((run_dir / "config.json").read_text())["features"]
        frames = frames.get("frames", frames)
        assert frames["kind"] == "cnn" and frames["block"] == 3 and frames["run"] == CNN_DIR
        for name, value in _params(run_dir / CNN_DIR).items():  # the FCN travels with the run, unchanged
            assert torch.equal(value, _params(fcn_run)[name]), name
        status, out, err = _run(["evaluate", run_dir, "--data", data, "--json", "--quiet"])
        assert status == 0, err
        assert 0 <= json.loads(out)["macro"]["roc_auc"] <= 1
