"""LSTMTagger's clip summary: the state after the last frame (the study's) or the mean over frames."""

import numpy as np
import pytest
import torch

from fasttag.errors import ParameterError
from fasttag.models import LSTMTagger


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_summary_is_the_last_or_the_mean_state(rng, pooling):
    torch.manual_seed(int(rng.integers(2**31)))
    model = LSTMTagger(7, 3, hidden=5, pooling=pooling).eval()
    with torch.no_grad():
        model.feature_mean.uniform_(-1, 1)
        model.feature_std.uniform_(0.5, 2)
    x = torch.from_numpy(rng.standard_normal((4, 7, 30)).astype(np.float32))
    with torch.no_grad():
        states, _ = model.lstm(((x - model.feature_mean) / model.feature_std).transpose(1, 2))
        summary = states[:, -1] if pooling == "last" else states.mean(dim=1)
        torch.testing.assert_close(model(x), model.out(summary))
        other = states.mean(dim=1) if pooling == "last" else states[:, -1]
        assert not torch.allclose(model(x), model.out(other), atol=1e-4)  # the two summaries differ
    assert model.hparams["pooling"] == pooling


def test_runs_saved_before_pooling_existed_use_the_last_state():
    old = {"n_features": 4, "n_tags": 2, "hidden": 3, "n_layers": 2, "dropout": 0.1}
    assert LSTMTagger(**old).hparams["pooling"] == "last"
    with pytest.raises(ParameterError, match="pooling='max' must be one of"):
        LSTMTagger(4, 2, pooling="max")


def test_train_pooling_option_reaches_the_saved_model(tmp_path, request, seed_for):
    import contextlib
    import io
    import json

    from fasttag.cli import main
    from fasttag.datasets import make_tagged_music

    make_tagged_music(10, seconds=1.0, seed=seed_for(request.node.nodeid), out=tmp_path / "data")
    for pooling in ("mean", None):
        argv = ["train", "--data", tmp_path / "data", "--model", "lstm", "--out", tmp_path / str(pooling),
                "--seconds", 1, "--epochs", 1, "--hidden", 3, "--quiet"] + (["--pooling", pooling] if pooling else [])
        with contextlib.redirect_stdout(io.StringIO()):
            assert main([str(a) for a in argv]) == 0
        hparams = json.loads((tmp_path / str(pooling) / "config.json").read_text())["model"]["hparams"]
        assert hparams["pooling"] == (pooling or "last")
