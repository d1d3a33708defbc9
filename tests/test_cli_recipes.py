"""Bad combinations of --model, --features, --cnn-run, --codebook-size and --init-from: one line, status 2."""

import re

import pytest
import torch

from fasttag.datasets import make_tagged_music
from fasttag.featurizers import MFCC, LogMel, LogMelChroma
from fasttag.recipes import build_model
from fasttag.models import FCN, LSTMTagger
from fasttag.training import save_run


@pytest.fixture(scope="module")
def places(request, tmp_path_factory, seed_for):
    """A tiny collection, an (untrained) FCN-4 run on log-mels and an LSTM run on MFCCs."""
    root = tmp_path_factory.mktemp("recipes")
    make_tagged_music(8, seconds=1.0, seed=seed_for(request.node.nodeid), out=root / "data")
    torch.manual_seed(0)
    save_run(root / "fcn4", FCN(2, n_layers=4, channels=(2, 2, 2, 2)), tags=["a", "b"], features=LogMel(seconds=1.0))
    save_run(root / "lstm", LSTMTagger(90, 2, hidden=2), tags=["a", "b"], features=MFCC(seconds=1.0))
    keyed = LogMelChroma(seconds=1.0)
    save_run(root / "chroma", build_model("fcn4", keyed.n_features, 2, channels=(2, 2, 2, 2), n_chroma=keyed.n_chroma),
             tags=["a", "b"], features=keyed)  # fmt: skip
    return {"data": root / "data", "fcn4": root / "fcn4", "lstm": root / "lstm", "chroma": root / "chroma", "tmp": root}


TRAIN = ["train", "--data", "{data}", "--out", "{tmp}/r", "--seconds", "1", "--quiet"]


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--model", "mlp-bof", "--features", "logmel"], "--model mlp-bof does not take --features logmel"),
        (["--model", "crnn", "--features", "logmel-chroma"], "--model crnn does not take --features logmel-chroma"),
        (["--model", "fcn5", "--features", "cnn", "--cnn-run", "{fcn4}"], "--model fcn5 does not take --features cnn"),
        (["--model", "lstm", "--features", "cnn"], "--features cnn needs --cnn-run RUN"),
        (["--model", "mlp-bof", "--features", "cnn"], "--features cnn needs --cnn-run RUN"),
        (["--model", "lstm", "--cnn-run", "{fcn4}"], "apply to --features cnn only, not mfcc"),
        (["--model", "lstm", "--cnn-block", "2"], "apply to --features cnn only"),
        (["--model", "lstm", "--features", "cnn", "--cnn-run", "{lstm}"], "CNN frames need an FCN trained on logmel"),
        (["--model", "lstm", "--features", "cnn", "--cnn-run", "{tmp}/none"], "config.json is missing"),
        (["--model", "lstm", "--features", "cnn", "--cnn-run", "{fcn4}", "--cnn-block", "5"],
         r"block=5 must be an integer in \[1, 4\]"),
        (["--model", "lstm", "--codebook-size", "8"], "--codebook-size applies to --model mlp-bof only"),
        (["--model", "mlp-bof", "--codebook-size", "0"], "--codebook-size: 0 must be >= 1"),
        (["--model", "mlp-bof", "--channels", "4"], "--channels does not apply to --model mlp-bof"),
        (["--model", "fcn5", "--init-from", "{fcn4}"], "holds a fcn4, not --model fcn5"),
        (["--model", "fcn4", "--init-from", "{fcn4}", "--features", "mfcc"], "trained on logmel features, not"),
        (["--model", "fcn4", "--init-from", "{fcn4}", "--channels", "2,2,2,4"], "differs from the one to train in"),
        (["--model", "mlp-bof", "--init-from", "{lstm}"], "does not combine with mlp-bof"),
        (["--model", "mlp-bof", "--features", "cqt"], "--features: invalid choice: 'cqt'"),
        (["--model", "fcn4", "--pooling", "mean"], "--pooling applies to --model lstm only, not fcn4"),
        (["--model", "lstm", "--pooling", "max"], "--pooling: invalid choice: 'max'"),
        (["--model", "mlp-bof"], r"a codebook of n_clusters=1024 needs at least as many training frames; \d+ tracks"),
        (["--model", "fcn4", "--features", "logmel-chroma", "--store", "{tmp}/no"],
         r"--store: --model fcn4 takes logmel-chroma features, computed from the audio .*: leave out --store"),
        (["--model", "lstm", "--features", "cnn", "--cnn-run", "{fcn4}", "--store", "{tmp}/no"],
         r"--store: --model lstm takes cnn features, computed from the audio"),
    ],
)
def test_bad_recipes_are_one_line_and_status_2(places, extra, match, run_cli):
    status, out, err = run_cli([a.format(**places) for a in TRAIN + extra])
    assert status == 2, out
    assert err.count("\n") == 1 and err.startswith("fasttag: error: ") and re.search(match, err), err
    assert not (places["tmp"] / "r").exists()  # nothing written


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--model", "fcn4", "--init-from", "{fcn4}", "--channels", "2,2,2,4"], "differs from the one to train in"),
        (["--model", "lstm", "--init-from", "{lstm}", "--pooling", "mean"], "differs from the one to train in"),
        (["--model", "lstm", "--init-from", "{lstm}", "--hidden", "3"], "differs from the one to train in"),
        (["--model", "fcn4", "--init-from", "{fcn4}", "--cnn-block", "2"], "does not combine with .*--cnn-block"),
        (["--model", "fcn4", "--init-from", "{fcn4}", "--cnn-pool-time"], "does not combine with .*--cnn-pool-time"),
        (["--model", "fcn5", "--channels", "8,16"], r"--channels=\[8, 16\] must be 5 positive integers"),
        (["--model", "crnn", "--channels", "8,16,16,16,16"], r"--channels=\[8, 16, 16, 16, 16\] must be 4 positive"),
    ],
)
def test_fine_tuning_options_are_refused_before_features_are_computed(places, extra, match, run_cli, monkeypatch):
    """A refused --channels or --pooling came after the features of both splits (hours on a big
    collection); --cnn-block and --cnn-pool-time were ignored, the run trained on log-mels."""
    from fasttag.commands import train

    def no_features(*args, **kwargs):
        raise AssertionError("features were computed before the options were refused")

    monkeypatch.setattr(train, "split_arrays", no_features)
    status, out, err = run_cli([a.format(**places) for a in TRAIN + extra])
    assert status == 2 and re.search(match, err), (out, err)


def test_evaluate_refuses_a_store_the_run_does_not_read(places, run_cli):
    """It was ignored: the run's logmel-chroma features were decoded from the audio, even with no such store."""
    argv = ["evaluate", places["chroma"], "--data", places["data"], "--store", places["tmp"] / "no"]
    status, out, err = run_cli(argv)
    assert status == 2, out
    assert re.search(r"--store: .*chroma takes logmel-chroma features, computed from the audio \(a store holds "
                     r"logmel or mfcc only\): leave out --store", err), err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["experiment"], "required: experiment"),
        (["experiment", "survey", "--data", "{data}", "--out", "{tmp}/s"], "invalid choice: 'survey'"),
        (["experiment", "study", "--out", "{tmp}/s"], "--data"),
        (["experiment", "study", "--data", "{data}"], "--out"),
        (["experiment", "study", "--data", "{data}", "--out", "{tmp}/s", "--codebook-size", "0"], "--codebook-size"),
        (["experiment", "study", "--data", "{tmp}/none", "--out", "{tmp}/s"], "none does not exist"),
    ],
)
def test_bad_experiment_arguments(places, argv, match, run_cli):
    status, out, err = run_cli([a.format(**places) for a in argv])
    assert status == 2, out
    assert err.count("\n") == 1 and err.startswith("fasttag: error: ") and re.search(match, err), err
