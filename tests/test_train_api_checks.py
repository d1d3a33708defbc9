"""The Python training API as a researcher calls it: scores ranked by logits, torch inputs, clear errors."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

import fasttag
from fasttag.cnn_frames import frames_after
from fasttag.featurizers import LogMel
from fasttag.models import FCN, MLP
from fasttag.tagging import tag_file
from fasttag.training import evaluate, predict, save_run, train
from fasttag.transfer import init_from

QUICK = {"epochs": 1, "progress": False}


def _confident_mlp(n_features: int) -> MLP:
    """An MLP whose logit is 20 + 5 x[0] (its standardisation left at 0 and 1): sigmoid(logit) rounds to 1.0 in
    float32 for most tracks, while the logits keep their order."""
    model = MLP(n_features, 1, hidden=1)
    with torch.no_grad():
        first, last = model.layers[0], model.layers[3]
        first.weight.zero_()
        first.weight[0, 0] = 5.0
        first.bias.fill_(20.0)
        last.weight.fill_(1.0)
        last.bias.zero_()
    return model


def _tracks(rng, n=120, n_features=4):
    """Features (n, n_features) and labels (n, 1) that follow feature 0 with noise, both classes present."""
    X = rng.standard_normal((n, n_features)).astype(np.float32)
    Y = (X[:, :1] + rng.standard_normal((n, 1)) > 0).astype(np.float32)
    Y[0], Y[1] = 1, 0
    return X, Y


def test_evaluate_ranks_the_logits_not_float32_probabilities_that_saturate(rng):
    X, Y = _tracks(rng)
    model = _confident_mlp(X.shape[1])
    logits = model(torch.from_numpy(X)).detach().numpy()
    assert len(np.unique(predict(model, X))) < len(X) // 2  # most probabilities are exactly 1.0
    scores = evaluate(model, X, Y, ["tag"])
    assert scores.roc_auc[0] == pytest.approx(roc_auc_score(Y[:, 0], logits[:, 0]), abs=1e-12)
    assert scores.pr_auc[0] == pytest.approx(average_precision_score(Y[:, 0], logits[:, 0]), abs=1e-12)
    saturated = roc_auc_score(Y[:, 0], predict(model, X)[:, 0])
    assert scores.roc_auc[0] > saturated + 0.01


def test_the_validation_score_of_training_ranks_the_logits(rng):
    """Early stopping picks epochs by the logits' ROC-AUC, as evaluate scores them."""
    X, Y = _tracks(rng)
    model = _confident_mlp(X.shape[1])
    history = train(model, X[:60], Y[:60], X[60:], Y[60:], lr=1e-9, **QUICK)  # standardisation near 0 and 1
    logits = model(torch.from_numpy(X[60:])).detach().numpy()  # the kept weights: those of epoch 0
    assert history.valid_auc[0] == pytest.approx(roc_auc_score(Y[60:, 0], logits[:, 0]), abs=1e-12)
    assert history.valid_auc[0] > roc_auc_score(Y[60:, 0], predict(model, X[60:])[:, 0]) + 0.01


def test_torch_labels_train_as_numpy_labels_do(rng):
    X, Y = _tracks(rng, n=40, n_features=6)
    Y = np.c_[Y, 1 - Y]
    runs = []
    for labels in (Y, torch.from_numpy(Y)):
        torch.manual_seed(0)
        model = MLP(6, 2, hidden=8)
        runs.append((train(model, X[:30], labels[:30], X[30:], labels[30:], epochs=2, progress=False), model))
    assert runs[0][0] == runs[1][0]
    torch.testing.assert_close(runs[0][1].state_dict(), runs[1][1].state_dict(), rtol=0, atol=0)


@pytest.mark.parametrize("n_train, batch_size, match", [(1, 16, "X_train has 1 track"),
                                                        (6, 1, "batch_size=1 gives batches of one track")])
def test_batch_norm_batches_of_one_track_are_refused_by_name(rng, n_train, batch_size, match):
    """FCN's last block sees a 1 x 1 map here: torch's own error was a bare ValueError from batch norm."""
    X = rng.standard_normal((n_train + 4, 8, 12)).astype(np.float32)
    Y = np.eye(2, dtype=np.float32)[np.arange(len(X)) % 2]  # both tags defined in every split
    model = FCN(2, n_mels=8, n_layers=4, channels=(2, 2, 2, 2))
    with pytest.raises(fasttag.ParameterError, match=f"{match}, but this FCN has batch norm"):
        train(model, X[:n_train], Y[:n_train], X[n_train:], Y[n_train:], batch_size=batch_size, **QUICK)
    mlp = MLP(8, 2, hidden=4)  # no batch norm: batches of one are fine
    train(mlp, X[:n_train, :, 0], Y[:n_train], X[n_train:, :, 0], Y[n_train:], batch_size=batch_size, **QUICK)


def test_train_names_a_model_without_input_standardisation(rng):
    X, Y = _tracks(rng, n=20)
    model = torch.nn.Linear(X.shape[1], 1)
    with pytest.raises(fasttag.ParameterError, match=r"model must be a fasttag.models tagger.*this Linear lacks "
                                                     r"\['feature_mean', 'feature_std'\]"):
        train(model, X[:10], Y[:10], X[10:], Y[10:], **QUICK)


@pytest.mark.parametrize("option, match", [({"lr_factor": "0.5", "lr_patience": 2}, "lr_factor='0.5'"),
                                           ({"progress": "no"}, "progress='no' must be True or False")])
def test_options_of_the_wrong_type_are_named(rng, option, match):
    X, Y = _tracks(rng, n=20)
    with pytest.raises(fasttag.ParameterError, match=match):
        train(MLP(X.shape[1], 1, hidden=2), X[:10], Y[:10], X[10:], Y[10:], **{**QUICK, **option})


def test_evaluate_names_labels_for_another_tag_count(rng):
    X, Y = _tracks(rng, n=20)
    model = MLP(X.shape[1], 3, hidden=2)
    with pytest.raises(fasttag.ParameterError, match="Y has 1 tags per track but the model has n_tags=3"):
        evaluate(model, X, Y, ["a"])


def _saved_fcn_run(tmp_path, features: dict):
    model = FCN(2, n_mels=16, n_layers=4, channels=(2, 2, 2, 2))
    return save_run(tmp_path / "run", model, tags=["a", "b"], features=features)


@pytest.mark.parametrize("edit, match", [({"n_mels": 12}, "its logmel features have 12 rows but its FCN takes 16"),
                                         ({"seconds": 1e-9}, "seconds=1e-09 is less than one sample at sr=12000")])
def test_tag_file_names_run_features_that_cannot_feed_its_model(tmp_path, rng, edit, match):
    run = _saved_fcn_run(tmp_path, LogMel(n_mels=16, seconds=0.5).as_dict())
    config = json.loads((run / "config.json").read_text())
    config["features"].update(edit)
    (run / "config.json").write_text(json.dumps(config))
    sf.write(tmp_path / "clip.wav", rng.uniform(-0.5, 0.5, 9000).astype(np.float32), 12000, subtype="FLOAT")
    with pytest.raises(fasttag.FasttagError, match=match) as caught:
        tag_file(tmp_path / "clip.wav", run)
    assert not isinstance(caught.value, fasttag.ParameterError)  # the run is at fault, not an argument


def test_init_from_takes_a_trained_model_in_memory():
    torch.manual_seed(0)
    trained = FCN(3, n_mels=16, n_layers=4, channels=(2, 2, 2, 4))
    trained.feature_mean.normal_()
    new = FCN(5, n_mels=16, n_layers=4, channels=(2, 2, 2, 4))
    copied = init_from(new, trained)
    assert "out.weight" not in copied and "feature_mean" in copied
    for key in copied:
        torch.testing.assert_close(new.state_dict()[key], trained.state_dict()[key], rtol=0, atol=0)
    assert new.out.weight.shape == (5, 4)


@pytest.mark.parametrize("n_frames", [0, -5, 2.5])
def test_frames_after_names_a_bad_frame_count(n_frames):
    fcn = FCN(2, n_mels=16, n_layers=4, channels=(2, 2, 2, 2))
    with pytest.raises(fasttag.ParameterError, match=f"n_frames={n_frames}"):
        frames_after(fcn, n_frames, pool_time=True)
