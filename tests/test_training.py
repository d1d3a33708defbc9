"""Training, prediction, run checkpoints and file tagging; a learning check on generated music."""

import copy
import json
import re

import numpy as np
import pytest
import soundfile as sf
import torch

import fasttag
from fasttag.datasets import make_tagged_music, multi_hot, read_manifest
from fasttag.models import FCN, MLP
from fasttag.tagging import LogMel, tag_file
from fasttag import training as training_module
from fasttag.training import PREDICT_BATCH, Run, evaluate, fit_standardization, load_run, predict, save_run, train

SECONDS = 5.0
LEARNER = {"n_layers": 4, "channels": (8, 16, 64, 128)}


@pytest.fixture(scope="module")
def tagged(request, tmp_path_factory, seed_for):
    """Log-mel features and tags of 300 generated clips of 5 s, by split."""
    seed = seed_for(request.node.nodeid)
    manifest = make_tagged_music(300, seconds=SECONDS, seed=seed, out=tmp_path_factory.mktemp("music"))
    tracks, vocabulary = read_manifest(manifest)
    params = LogMel(seconds=SECONDS)
    audio = np.stack([fasttag.load(t.path, sr=params.sr)[0] for t in tracks])
    X, Y = params(audio), multi_hot(tracks, vocabulary)
    split = np.array([t.split for t in tracks])
    parts = {name: (X[split == name], Y[split == name]) for name in ("train", "valid", "test")}
    return {"seed": seed, "tracks": tracks, "tags": vocabulary, "params": params, **parts}


def _fit(tagged, Y_train=None, Y_valid=None, seed=0, epochs=20):
    torch.manual_seed(seed)
    model = FCN(len(tagged["tags"]), **LEARNER)
    X_train, Y_default = tagged["train"]
    X_valid, Y_valid_default = tagged["valid"]
    Y_train = Y_default if Y_train is None else Y_train
    Y_valid = Y_valid_default if Y_valid is None else Y_valid
    history = train(model, X_train, Y_train, X_valid, Y_valid, epochs=epochs, lr=3e-3, seed=seed, progress=False)
    return model, history


@pytest.fixture(scope="module")
def trained(tagged):
    return _fit(tagged)


def test_fcn_learns_and_shuffled_labels_do_not(tagged, trained):
    model, history = trained
    scores = evaluate(model, *tagged["test"], tagged["tags"])
    assert scores.macro_roc_auc >= 0.8, (scores.table(), tagged["seed"])
    assert history.valid_auc[history.best_epoch] == history.best_valid_auc == max(history.valid_auc)
    # Control: the same training on labels shuffled across tracks (tag frequencies kept).
    rng = np.random.default_rng(tagged["seed"])
    Y_train, Y_valid = (Y[rng.permutation(len(Y))] for Y in (tagged["train"][1], tagged["valid"][1]))
    control, _ = _fit(tagged, Y_train, Y_valid)
    chance = evaluate(control, *tagged["test"], tagged["tags"]).macro_roc_auc
    assert abs(chance - 0.5) < 0.12, (chance, tagged["seed"])


def _small(tagged):
    return {"tags": tagged["tags"], "train": tuple(a[:24] for a in tagged["train"]), "valid": tagged["valid"]}


def test_training_is_repeatable(tagged):
    small = _small(tagged)
    runs = [_fit(small, seed=5, epochs=2)[0] for _ in range(2)]
    for a, b in zip(runs[0].state_dict().values(), runs[1].state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    other = _fit(small, seed=6, epochs=2)[0]
    assert not torch.equal(runs[0].out.weight, other.out.weight)


def test_training_leaves_the_callers_random_state_as_it_was(tagged):
    """train seeds its own dropout and shuffling, and restores torch's generator: the caller's
    next draw is the one it would have made without the call, and the trained weights do not
    depend on that state."""
    small = _small(tagged)
    reference = _fit(small, seed=5, epochs=2)[0]
    torch.manual_seed(5)
    model = FCN(len(small["tags"]), **LEARNER)
    torch.manual_seed(tagged["seed"])
    expected_draw = torch.rand(8)
    torch.manual_seed(tagged["seed"])
    train(model, *small["train"], *small["valid"], epochs=2, lr=3e-3, seed=5, progress=False)
    torch.testing.assert_close(torch.rand(8), expected_draw, rtol=0, atol=0)
    for a, b in zip(reference.state_dict().values(), model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_the_learning_rate_drops_after_a_plateau(tagged):
    """lr_patience=2: the rate is multiplied by lr_factor once two epochs in a row bring no better
    validation ROC-AUC, and only then; without it the rate stays."""
    small = _small(tagged)
    rng = np.random.default_rng(tagged["seed"])
    Y_train = small["train"][1][rng.permutation(24)]  # shuffled labels: the validation AUC wanders
    # A rate so small and batch norm's running statistics frozen: the validation AUC stands nearly still, so plateaus
    # come for every seed (at lr=1e-3, or with the statistics still settling, it rose for 8 epochs in some).
    lr0 = 1e-6
    for lr_patience in (2, None):
        torch.manual_seed(1)
        model = FCN(len(small["tags"]), **LEARNER)
        for norm in (m for m in model.modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))):
            norm.momentum = 0.0
        history = train(model, small["train"][0], Y_train, *small["valid"], epochs=8, lr=lr0, seed=1,
                        patience=8, lr_patience=lr_patience, lr_factor=0.5, progress=False)  # fmt: skip
        expected, lr, best, stale = [], lr0, -np.inf, 0
        for auc in history.valid_auc:
            expected.append(lr)
            best, stale = (auc, 0) if auc > best * (1 + 1e-4) else (best, stale + 1)
            if lr_patience is not None and stale >= lr_patience:
                lr, stale = lr * 0.5, 0
        assert history.lr == pytest.approx(expected)
        assert (min(history.lr) < lr0) == (lr_patience is not None), history.valid_auc  # it did drop


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu"), None])
def test_training_on_an_explicit_cpu_device_is_the_default_run(tagged, device):
    small = _small(tagged)
    reference = _fit(small, seed=5, epochs=2)[0]
    torch.manual_seed(5)
    model = FCN(len(small["tags"]), **LEARNER)
    train(model, *small["train"], *small["valid"], epochs=2, lr=3e-3, seed=5, progress=False, device=device)
    for a, b in zip(reference.state_dict().values(), model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("device, match", [
    ("gpu", "device='gpu' is not a torch device"),
    (3.5, "device=3.5 is not a torch device"),
    ("meta", "trains on \"cpu\" or \"cuda\", not 'meta'"),
    ("cuda:99", "device='cuda:99' but torch"),
])  # fmt: skip
def test_a_bad_or_missing_device_is_named(tagged, tmp_path, device, match):
    small = _small(tagged)
    model = FCN(len(small["tags"]), **LEARNER)
    with pytest.raises(fasttag.ParameterError, match=match):
        train(model, *small["train"], *small["valid"], epochs=1, progress=False, device=device)
    with pytest.raises(fasttag.ParameterError, match=match):
        load_run(tmp_path, device=device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_says_so(tagged):
    small = _small(tagged)
    with pytest.raises(fasttag.ParameterError, match="device='cuda' but torch .* sees no CUDA GPU"):
        train(FCN(len(small["tags"]), **LEARNER), *small["train"], *small["valid"], epochs=1, progress=False,
              device="cuda")  # fmt: skip


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_training_on_cuda_matches_the_cpu_within_float32(tagged, tmp_path):
    """One epoch on the GPU and on the CPU from the same weights; the model stays on the GPU."""
    small = _small(tagged)
    models = []
    for device in ("cpu", "cuda"):
        torch.manual_seed(5)
        model = FCN(len(small["tags"]), **{**LEARNER, "dropout": 0.0})
        train(model, *small["train"], *small["valid"], epochs=1, lr=1e-4, seed=5, progress=False, device=device)
        models.append(model)
    assert next(models[1].parameters()).is_cuda
    X = tagged["test"][0]
    np.testing.assert_allclose(predict(models[1], X), predict(models[0], X), atol=2e-3)
    save_run(tmp_path / "run", models[1], tags=small["tags"], features=tagged["params"].as_dict())
    np.testing.assert_allclose(predict(load_run(tmp_path / "run").model, X), predict(models[1], X), atol=1e-5)


def test_standardization_is_fitted_on_train(tagged, trained):
    model, _ = trained
    X = tagged["train"][0].astype(np.float64)
    np.testing.assert_allclose(model.feature_mean.numpy()[:, 0], X.mean(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(model.feature_std.numpy()[:, 0], X.std(axis=(0, 2)), rtol=1e-5)


@pytest.mark.parametrize("shape", [(37, 5, 50), (300, 7), (9, 4, 6, 5)])
def test_standardization_read_in_chunks_equals_numpy(rng, monkeypatch, shape):
    # Features far from zero with very different scales per row: the chunks' update must not cancel.
    scale = rng.uniform(0.01, 100, shape[1]).reshape((1, -1) + (1,) * (len(shape) - 2))
    X = (rng.standard_normal(shape) * scale - 60).astype(np.float32)
    monkeypatch.setattr(training_module, "CHUNK_BYTES", 3 * X[:1].nbytes + 1)  # 3 tracks per chunk, a short last one
    model = torch.nn.Module()  # what fit_standardization sets: the two buffers of every fasttag model
    model.register_buffer("feature_mean", torch.zeros(shape[1]))
    model.register_buffer("feature_std", torch.zeros(shape[1]))
    training_module.fit_standardization(model, X)
    axes = tuple(a for a in range(X.ndim) if a != 1)
    mean, std = model.feature_mean.numpy().reshape(-1), model.feature_std.numpy().reshape(-1)
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=axes), rtol=1e-6)
    np.testing.assert_allclose(std, X.astype(np.float64).std(axis=axes), rtol=1e-6)


def test_training_reads_a_memory_mapped_read_only_array_as_it_is(tagged, tmp_path):
    small = _small(tagged)
    np.save(tmp_path / "X_train.npy", small["train"][0])
    mapped = np.load(tmp_path / "X_train.npy", mmap_mode="r")  # read-only: copied batch by batch only
    runs = []
    for X_train in (small["train"][0], mapped):
        torch.manual_seed(5)
        model = FCN(len(tagged["tags"]), **LEARNER)
        train(model, X_train, small["train"][1], *small["valid"], epochs=2, lr=3e-3, seed=5, progress=False)
        runs.append(model)
    for a, b in zip(runs[0].state_dict().values(), runs[1].state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    np.testing.assert_array_equal(predict(runs[0], mapped), predict(runs[0], small["train"][0]))
    assert np.shares_memory(training_module._check_xy("X", mapped)[0], mapped)  # no copy of X


def test_checks_and_standardization_allocate_a_chunk_not_the_array(rng, monkeypatch):
    import tracemalloc  # numpy reports its allocations to it

    X = rng.standard_normal((600, 96, 200), dtype=np.float32)  # 46 MB; float64 statistics of it whole: 92 MB
    monkeypatch.setattr(training_module, "CHUNK_BYTES", 1 << 20)
    model = FCN(3, n_mels=96, **LEARNER)
    tracemalloc.start()
    try:
        checked, _ = training_module._check_xy("X", X)
        training_module.fit_standardization(model, checked)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20, peak  # a float64 copy of a chunk and change


def test_a_diverging_run_is_an_error_and_keeps_the_best_weights(rng):
    X = rng.standard_normal((30, 6)).astype(np.float32)
    Y = (rng.random((30, 2)) < 0.5).astype(np.float32)
    Y[:2] = [[1, 1], [0, 0]]
    model = MLP(6, 2)
    initial = {name: p.detach().clone() for name, p in model.named_parameters()}
    with pytest.raises(fasttag.FasttagError, match=r"training diverged: the loss is nan in epoch 1 \(lr=1e\+30"):
        train(model, X, Y, X, Y, lr=1e30, epochs=3, progress=False)
    for name, p in model.named_parameters():  # not the NaN weights of the step that diverged
        torch.testing.assert_close(p.detach(), initial[name], rtol=0, atol=0)


def test_training_arguments_are_checked_as_numbers(rng):
    X = rng.standard_normal((12, 5)).astype(np.float32)
    Y = np.array([[0], [1]] * 6, np.float32)
    assert len(train(MLP(5, 1), X, Y, X, Y, epochs=np.int64(2), batch_size=np.int64(4), progress=False).valid_auc) == 2
    with pytest.raises(fasttag.ParameterError, match="lr='0.1' must be a positive number"):
        train(MLP(5, 1), X, Y, X, Y, lr="0.1", progress=False)
    with pytest.raises(fasttag.ParameterError, match="X_train .* its values pass float32's range"):
        train(MLP(5, 1), X.astype(np.float64) * 1e300, Y, X, Y, progress=False)


def test_progress_shows_the_batches_of_each_epoch_and_no_progress_is_quiet(rng, capsys):
    """The only bar was per epoch: "0/2 epochs" for the whole first epoch, which looked hung on long ones."""
    X = rng.standard_normal((12, 5)).astype(np.float32)
    Y = np.array([[0], [1]] * 6, np.float32)
    train(MLP(5, 1), X, Y, X, Y, epochs=2, batch_size=4, progress=True)
    err = capsys.readouterr().err
    assert all(re.search(rf"epoch {i}/2: .* \d/3 \[.*batch/s", err) for i in (1, 2)), err
    train(MLP(5, 1), X, Y, X, Y, epochs=2, batch_size=4, progress=False)
    assert capsys.readouterr() == ("", "")


def test_no_batch_of_one_track_for_batch_norm(rng):
    X = rng.standard_normal((3, 96, 40)).astype(np.float32)  # batches of 2 of 3 tracks: 2 + 1 before
    Y = np.array([[0, 1], [1, 0], [1, 1]], np.float32)
    torch.manual_seed(0)
    history = train(FCN(2, n_mels=96, n_layers=4, channels=(2, 2, 2, 2)), X, Y, X, Y, epochs=1, batch_size=2,
                    progress=False)  # fmt: skip
    assert np.isfinite(history.train_loss[0])


def test_predict_gives_probabilities(tagged, trained):
    model, _ = trained
    X = tagged["test"][0]
    p = predict(model, X, batch_size=7)
    assert p.shape == (len(X), len(tagged["tags"])) and p.dtype == np.float32
    assert np.all((p > 0) & (p < 1))
    np.testing.assert_allclose(p, predict(model, X, batch_size=len(X)), rtol=1e-4, atol=1e-6)


def test_run_round_trip(tmp_path, tagged, trained):
    model, _ = trained
    features = tagged["params"].as_dict()
    save_run(tmp_path / "run", model, tags=tagged["tags"], features=features, info={"note": "test"})
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["tags"] == tagged["tags"] and config["features"] == features
    assert config["model"] == {"name": "FCN", "hparams": model.hparams}
    run = load_run(tmp_path / "run")
    assert isinstance(run, Run) and run.tags == tagged["tags"] and run.info == {"note": "test"}
    X = tagged["test"][0]
    np.testing.assert_array_equal(predict(run.model, X), predict(model, X))


def test_run_info_takes_numpy_scores_and_refuses_other_objects_before_writing(tmp_path, tagged, trained):
    model, _ = trained
    scores = evaluate(model, *tagged["test"], tagged["tags"])
    info = {"roc_auc": scores.roc_auc, "macro": scores.macro_roc_auc, "n": np.int64(3)}
    save_run(tmp_path / "run", model, tags=tagged["tags"], features=tagged["params"], info=info)
    saved = load_run(tmp_path / "run").info
    np.testing.assert_array_equal(saved["roc_auc"], scores.roc_auc)  # NaN of undefined tags kept
    assert saved["macro"] == scores.macro_roc_auc and saved["n"] == 3
    with pytest.raises(fasttag.ParameterError, match="JSON-serialisable .*object"):
        save_run(tmp_path / "bad", model, tags=tagged["tags"], features=tagged["params"], info={"x": object()})
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("tags, message", [
    (lambda tags: tags[:-1], "len\\(tags\\)=.* must equal the model's n_tags"),
    (lambda tags: tags + ["extra"], "len\\(tags\\)=.* must equal the model's n_tags"),
    (lambda tags: [tags[0]] * len(tags), "tags must be distinct: \\['"),
    (lambda tags: list(range(len(tags))), "tags must be a sequence of strings"),
    (lambda tags: "".join(tags), "tags must be a sequence of strings"),
], ids=["fewer", "more", "repeated", "numbers", "a string"])  # fmt: skip
def test_tags_that_do_not_name_the_outputs_are_refused_by_save_and_load(tmp_path, tagged, trained, tags, message):
    """Such a run shifted the labels against the outputs, lost columns of `tag --csv` to
    repeated names, or failed later with an IndexError."""
    model, _ = trained
    bad_tags = tags(list(tagged["tags"]))
    with pytest.raises(fasttag.ParameterError, match=message):
        save_run(tmp_path / "refused", model, tags=bad_tags, features=tagged["params"])
    assert not (tmp_path / "refused").exists()
    save_run(tmp_path / "run", model, tags=tagged["tags"], features=tagged["params"])
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    (tmp_path / "run" / "config.json").write_text(json.dumps({**config, "tags": bad_tags}))  # edited by hand
    with pytest.raises(fasttag.FasttagError, match=f"{re.escape(str(tmp_path / 'run'))} holds an unreadable "
                                                   f"fasttag run: ParameterError\\(.*{message}"):
        load_run(tmp_path / "run")


def test_damaged_weights_are_named(tmp_path, tagged, trained):
    model, _ = trained
    save_run(tmp_path / "run", model, tags=tagged["tags"], features=tagged["params"])
    weights = tmp_path / "run" / "model.pt"
    whole = weights.read_bytes()
    weights.write_bytes(whole[: len(whole) // 2])  # a partial copy
    with pytest.raises(fasttag.FasttagError, match=re.escape(f"{weights} does not hold the weights of its FCN")):
        load_run(tmp_path / "run")
    diverged = copy.deepcopy(model)
    with torch.no_grad():
        next(diverged.parameters())[0] = float("nan")
    save_run(tmp_path / "run", diverged, tags=tagged["tags"], features=tagged["params"])
    with pytest.raises(fasttag.FasttagError, match=re.escape(f"{weights} holds NaN or infinite weights in [")):
        load_run(tmp_path / "run")


def test_channels_too_wide_in_a_hand_edited_run_are_named(tmp_path, rng):
    """A run's channels edited to 1000000 asked torch for 36 TB of weights (a RuntimeError from load_run)."""
    widths = [int(w) for w in rng.integers(2, 9, 4)]
    model = FCN(3, n_mels=32, n_layers=4, channels=widths)
    save_run(tmp_path / "run", model, tags=["a", "b", "c"], features={"sr": 8000, "n_fft": 256, "hop_length": 128,
                                                                      "n_mels": 32, "seconds": 1.0})  # fmt: skip
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["model"]["hparams"]["channels"] = [1000000] * 4
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))  # edited by hand
    message = r" holds an unreadable fasttag run: ParameterError\('channels=\[1000000, .* must be at most 4096"
    with pytest.raises(fasttag.FasttagError, match=re.escape(str(tmp_path / "run")) + message):
        load_run(tmp_path / "run")
    with pytest.raises(fasttag.ParameterError, match=r"channels=\[.*4097.*\] must be at most 4096 per block"):
        FCN(3, n_layers=4, channels=widths[:3] + [4097])


def test_mlp_round_trip(tmp_path, rng):
    torch.manual_seed(int(rng.integers(1000)))
    X = rng.normal(3, 2, (40, 12)).astype(np.float32)
    Y = (X[:, :3] > 3).astype(np.float32)
    model = MLP(12, 3, hidden=16)
    train(model, X[:30], Y[:30], X[30:], Y[30:], epochs=3, seed=1, progress=False)
    save_run(tmp_path, model, tags=["a", "b", "c"], features={"sr": 1, "n_fft": 1, "hop_length": 1, "n_mels": 1,
                                                                "seconds": 1})  # fmt: skip
    np.testing.assert_array_equal(predict(load_run(tmp_path).model, X), predict(model, X))


def test_tag_file_averages_windows(tmp_path, tagged, trained):
    model, _ = trained
    params, tags = tagged["params"], tagged["tags"]
    run = Run(model=model, tags=tags, features=params.as_dict(), info={})
    n = params.n_samples
    clips = [sf.read(t.path, dtype="float32")[0] for t in tagged["tracks"][:2]]
    probabilities = predict(model, params(np.stack(clips)))
    # One window: the clip's own prediction, sorted.
    result = tag_file(tagged["tracks"][0].path, run, top=None)
    assert [t for t, _ in result] == [tags[j] for j in np.argsort(-probabilities[0], kind="stable")]
    np.testing.assert_allclose([p for _, p in result], np.sort(probabilities[0])[::-1], rtol=1e-5)
    # A clip and a half: weights 1 and 1/2, the second window zero-padded.
    half = np.zeros(n, dtype=np.float32)
    half[: n // 2] = clips[1][: n // 2]
    sf.write(tmp_path / "long.wav", np.concatenate([clips[0], clips[1][: n // 2]]), params.sr, subtype="FLOAT")
    expected = (probabilities[0] + 0.5 * predict(model, params(half[None]))[0]) / 1.5
    got = dict(tag_file(tmp_path / "long.wav", run, top=3))
    assert list(got) == [tags[j] for j in np.argsort(-expected, kind="stable")[:3]]
    np.testing.assert_allclose(list(got.values()), np.sort(expected)[::-1][:3], rtol=1e-5)


def test_bad_input(tmp_path, tagged, trained):
    model, _ = trained
    X, Y = tagged["train"]
    with pytest.raises(fasttag.ParameterError, match="epochs=0"):
        train(model, X, Y, *tagged["valid"], epochs=0, progress=False)
    with pytest.raises(fasttag.ParameterError, match="lr_patience=0"):
        train(model, X, Y, *tagged["valid"], lr_patience=0, progress=False)
    with pytest.raises(fasttag.ParameterError, match="lr_factor=1.5"):
        train(model, X, Y, *tagged["valid"], lr_patience=2, lr_factor=1.5, progress=False)
    with pytest.raises(fasttag.ParameterError, match="Y_valid has no tag"):
        train(model, X, Y, X[:3], np.zeros_like(Y[:3]), progress=False)
    with pytest.raises(fasttag.ParameterError, match="labels for X_train"):
        train(model, X, Y[:-1], *tagged["valid"], progress=False)
    n_frames = X.shape[2]
    with pytest.raises(fasttag.ParameterError, match=rf"X_train must have shape \(n_tracks, 96, n_frames\) for this "
                                                     rf"FCN, got \({len(X)}, 95, {n_frames}\)"):
        train(FCN(len(tagged["tags"]), **LEARNER), X[:, 1:], Y, X[:9, 1:], Y[:9], progress=False)
    # the whole array's shape, not a batch's: one track without its batch axis, more tracks than a batch
    with pytest.raises(fasttag.ParameterError, match=rf"X must have shape .* got \(96, {n_frames}\)"):
        predict(model, X[0])
    many = np.concatenate([X] * (-(-(PREDICT_BATCH + 1) // len(X))))[:, 1:]
    with pytest.raises(fasttag.ParameterError, match=rf"X must have shape .* got \({len(many)}, 95, {n_frames}\)"):
        predict(model, many)
    with pytest.raises(fasttag.ParameterError, match=r"X must have shape \(n_tracks, 96, ...\) .* got shape \(96,\)"):
        fit_standardization(model, X[0, :, 0])
    with pytest.raises(fasttag.ParameterError, match=r"labels for X_train must be 0 or 1; got \d+ other values, "
                                                     r"such as 0.5"):
        train(model, X, Y * 0.5, *tagged["valid"], progress=False)
    with pytest.raises(fasttag.ParameterError, match="seed=None must be an integer"):
        train(model, X, Y, *tagged["valid"], seed=None, progress=False)
    with pytest.raises(fasttag.ParameterError, match=r"X_train must be an array of numbers, all tracks of one shape"):
        train(model, [X[0], X[1][:, :-1]], Y[:2], *tagged["valid"], progress=False)
    wide = copy.deepcopy(model).double()
    for call in (lambda: predict(wide, X), lambda: train(wide, X, Y, *tagged["valid"], progress=False)):
        with pytest.raises(fasttag.ParameterError, match=r"compute in float32 but this FCN holds torch.float64: "
                                                         r"convert it with model.float\(\)"):
            call()
    Xv, Yv = tagged["valid"]
    with pytest.raises(fasttag.ParameterError, match=f"Y_train has {Y.shape[1] + 1} tags per track but the model"):
        train(model, X, np.c_[Y, Y[:, :1]], Xv, np.c_[Yv, Yv[:, :1]], progress=False)
    with pytest.raises(fasttag.ParameterError, match="batch_size=0"):
        predict(model, X, batch_size=0)
    with pytest.raises(fasttag.ParameterError, match="len\\(tags\\)"):
        save_run(tmp_path, model, tags=["a"], features=tagged["params"].as_dict())
    with pytest.raises(fasttag.ParameterError, match="lacks \\['seconds'\\]"):
        save_run(tmp_path, model, tags=tagged["tags"], features={"sr": 1, "n_fft": 1, "hop_length": 1, "n_mels": 1})
    with pytest.raises(fasttag.FasttagError, match="config.json is missing"):
        load_run(tmp_path / "nothing")
    save_run(tmp_path / "run", model, tags=tagged["tags"], features=tagged["params"])
    with pytest.raises(fasttag.FasttagError, match="config.json is a file: a fasttag run is the folder that holds"):
        load_run(tmp_path / "run" / "config.json")
    with pytest.raises(fasttag.ParameterError, match="top=0"):
        tag_file(tagged["tracks"][0].path, tmp_path, top=0)


def test_a_hand_edited_size_torch_cannot_allocate_is_an_unreadable_run(tmp_path, rng):
    """An MLP edited to 10**12 inputs and hidden units: torch's RuntimeError (or MemoryError) escaped load_run."""
    model = MLP(int(rng.integers(4, 9)), 3, hidden=8)
    save_run(tmp_path / "run", model, tags=["a", "b", "c"], features={"sr": 1, "n_fft": 1, "hop_length": 1,
                                                                      "n_mels": 1, "seconds": 1})  # fmt: skip
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    config["model"]["hparams"].update(n_features=10**12, hidden=10**12)  # terabytes: refused at once
    (tmp_path / "run" / "config.json").write_text(json.dumps(config))
    with pytest.raises(fasttag.FasttagError, match=re.escape(str(tmp_path / "run")) + " holds an unreadable fasttag run"):
        load_run(tmp_path / "run")
