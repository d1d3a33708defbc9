"""``fasttag train``, ``fasttag evaluate`` and ``fasttag tag`` on a tiny generated collection."""

import csv
import json
import math
import re

import numpy as np
import pytest
import torch

from fasttag.datasets import make_tagged_music

SECONDS = 2.0
MODELS = {  # --model: (--features, options that keep it tiny)
    "fcn4": ("logmel", ["--channels", "4,8,8,8"]),
    "fcn5": ("mfcc", ["--channels", "4,4,8,8,8"]),
    "crnn": ("logmel", ["--channels", "4,8,8,8", "--hidden", "6"]),
    "lstm": ("mfcc", ["--hidden", "6"]),
}


@pytest.fixture(scope="module")
def data(request, tmp_path_factory, seed_for):
    """24 generated clips of 2 s and their manifest."""
    out = tmp_path_factory.mktemp("data")
    make_tagged_music(24, seconds=SECONDS, seed=seed_for(request.node.nodeid), out=out)
    return out


@pytest.fixture(scope="module")
def manifest_rows(data):
    with open(data / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def runs(data, tmp_path_factory, run_cli):
    """Train each model once (2 epochs): {model: (run dir, status, stdout)}."""
    done = {}
    for model, (features, extra) in MODELS.items():
        run_dir = tmp_path_factory.mktemp("runs") / model
        argv = ["train", "--data", data, "--model", model, "--features", features, "--out", run_dir,
                "--seconds", SECONDS, "--epochs", 2, "--batch-size", 8, "--seed", 3, "--quiet", *extra]  # fmt: skip
        status, out, err = run_cli(argv)
        done[model] = (run_dir, status, out + err)
    return done


@pytest.mark.parametrize("model", list(MODELS))
def test_train_saves_a_run_that_rebuilds_model_and_features(runs, model, manifest_rows):
    run_dir, status, printed = runs[model]
    assert status == 0, printed
    config = json.loads((run_dir / "config.json").read_text())
    features = MODELS[model][0]
    assert config["features"]["kind"] == features and config["features"]["seconds"] == SECONDS
    assert config["model"]["name"] == {"fcn4": "FCN", "fcn5": "FCN", "crnn": "CRNN", "lstm": "LSTMTagger"}[model]
    assert config["tags"] == sorted({t for row in manifest_rows for t in row["tags"].split(";") if t})
    n_features = 96 if features == "logmel" else 90
    assert n_features in config["model"]["hparams"].values()
    assert config["info"]["data"]["n_train"] == sum(row["split"] == "train" for row in manifest_rows)
    history = config["info"]["history"]
    assert len(history["valid_auc"]) == 2 and history["best_valid_auc"] == max(history["valid_auc"])
    assert re.search(r"kept epoch \d of 2, validation macro ROC-AUC \d\.\d{3}", printed)
    assert "shorter than the model's input" not in printed  # clips of --seconds exactly


def test_clips_shorter_than_the_input_are_named_with_the_seconds_that_fit(data, tmp_path, run_cli):
    """5-s clips trained at the default 29.12 s were silently zero-padded, 83% of every input."""
    argv = ["train", "--data", data, "--model", "fcn4", "--channels", "2,2,2,2", "--out", tmp_path / "run",
            "--seconds", 3.5, "--epochs", 1, "--quiet"]  # fmt: skip
    status, out, err = run_cli(argv)
    assert status == 0, err
    assert re.search(r"warning: 24 of the 24 tracks are shorter than the model's input of 3.5 s \(the shortest: "
                     r"2.00 s\): the rest of their input is zero padding; pass --seconds 2 \(or less\)", err), err


@pytest.mark.parametrize("model", list(MODELS))
def test_evaluate_reports_every_tag_and_leaves_out_undefined(runs, model, data, manifest_rows, run_cli):
    run_dir = runs[model][0]
    status, out, err = run_cli(["evaluate", run_dir, "--data", data, "--json", "--quiet"])
    assert status == 0, err
    report = json.loads(out)
    test_rows = [row for row in manifest_rows if row["split"] == "test"]
    assert report["split"] == "test" and report["n_tracks"] == len(test_rows)
    tags = json.loads((run_dir / "config.json").read_text())["tags"]
    assert list(report["tags"]) == tags
    for tag, scores in report["tags"].items():
        positives = sum(tag in row["tags"].split(";") for row in test_rows)
        assert scores["positives"] == positives
        defined = 0 < positives < len(test_rows)
        assert (scores["roc_auc"] is not None) == defined and (tag not in report["undefined"]) == defined
        if defined:
            assert 0 <= scores["roc_auc"] <= 1 and 0 < scores["pr_auc"] <= 1
    rocs = [s["roc_auc"] for s in report["tags"].values() if s["roc_auc"] is not None]
    prs = [s["pr_auc"] for s in report["tags"].values() if s["pr_auc"] is not None]
    assert report["macro"]["roc_auc"] == pytest.approx(np.mean(rocs))
    assert report["macro"]["pr_auc"] == pytest.approx(np.mean(prs))
    assert 0 <= report["micro"]["roc_auc"] <= 1


def test_evaluate_text_table(runs, data, manifest_rows, run_cli):
    run_dir = runs["fcn4"][0]
    status, out, err = run_cli(["evaluate", run_dir, "--data", data, "--split", "valid", "--quiet"])
    assert status == 0, err
    n_valid = sum(row["split"] == "valid" for row in manifest_rows)
    assert f"valid split, {n_valid} tracks" in out
    assert re.search(r"^macro\s+\d\.\d{3}\s+\d\.\d{3}$", out, flags=re.M)
    assert re.search(r"^micro\s+\d\.\d{3}\s+\d\.\d{3}$", out, flags=re.M)
    tags = json.loads((run_dir / "config.json").read_text())["tags"]
    assert all(re.search(rf"^{tag}\s+\d+\s", out, flags=re.M) for tag in tags)


@pytest.mark.parametrize("model", list(MODELS))
def test_tag_works_with_every_model_and_feature(runs, model, data, manifest_rows, run_cli):
    run_dir = runs[model][0]
    files = [str(data / row["path"]) for row in manifest_rows[:2]]
    status, out, err = run_cli(["tag", *files, "--model", run_dir, "--top", "4", "--json"])
    assert status == 0, err
    result = json.loads(out)
    tags = json.loads((run_dir / "config.json").read_text())["tags"]
    assert list(result) == files
    for listing in result.values():
        probabilities = [t["probability"] for t in listing]
        assert len(listing) == 4 and probabilities == sorted(probabilities, reverse=True)
        assert all(0 < p < 1 for p in probabilities) and {t["tag"] for t in listing} <= set(tags)
    assert result[files[0]] != result[files[1]]


def test_tag_reports_a_bad_file_and_tags_the_others(runs, data, manifest_rows, tmp_path, run_cli):
    (tmp_path / "empty.wav").write_bytes(b"")
    good = [str(data / row["path"]) for row in manifest_rows[:2]]
    status, out, err = run_cli(["tag", good[0], str(tmp_path / "empty.wav"), good[1], "--model", runs["lstm"][0]])
    assert status == 2
    assert [line.split(":")[0] for line in out.splitlines()] == good
    assert "empty.wav" in err and "1 of 3 files could not be tagged" in err, err


def test_training_is_repeatable_with_a_seed(runs, data, tmp_path, run_cli):
    first = runs["lstm"][0]
    weights = {}
    for seed in (3, 4):
        argv = ["train", "--data", data, "--model", "lstm", "--out", tmp_path / str(seed), "--seconds", SECONDS,
                "--epochs", 2, "--batch-size", 8, "--seed", seed, "--quiet", "--hidden", "6"]  # fmt: skip
        assert run_cli(argv)[0] == 0
        weights[seed] = torch.load(tmp_path / str(seed) / "model.pt", weights_only=True)
    for key, value in torch.load(first / "model.pt", weights_only=True).items():
        torch.testing.assert_close(weights[3][key], value, rtol=0, atol=0)
    assert not torch.equal(weights[3]["out.weight"], weights[4]["out.weight"])


def test_lr_patience_is_passed_on_and_recorded(data, tmp_path, run_cli):
    argv = ["train", "--data", data, "--model", "lstm", "--out", tmp_path / "run", "--seconds", SECONDS,
            "--epochs", 2, "--batch-size", 8, "--quiet", "--hidden", "6", "--lr-patience", 1]  # fmt: skip
    assert run_cli(argv)[0] == 0
    training = json.loads((tmp_path / "run" / "config.json").read_text())["info"]["training"]
    assert training["lr_patience"] == 1 and training["patience"] == 8


def test_n_frames_sets_the_clip_length(data, tmp_path, run_cli):
    status, out, err = run_cli(["train", "--data", data, "--model", "lstm", "--out", tmp_path / "run", "--n-frames", 60,
                             "--epochs", 1, "--hidden", 4, "--quiet"])  # fmt: skip
    assert status == 0, err
    features = json.loads((tmp_path / "run" / "config.json").read_text())["features"]
    n_samples = round(features["seconds"] * features["sr"])
    assert 1 + n_samples // features["hop_length"] == 60
    assert "mfcc features" in out and "(90 x 60)" in out  # lstm takes mfcc by default


def test_old_runs_without_feature_kind_still_tag(runs, data, manifest_rows, tmp_path, run_cli):
    run_dir = runs["fcn4"][0]
    old = tmp_path / "old"
    old.mkdir()
    config = json.loads((run_dir / "config.json").read_text())
    del config["features"]["kind"]
    (old / "config.json").write_text(json.dumps(config))
    (old / "model.pt").write_bytes((run_dir / "model.pt").read_bytes())
    file = str(data / manifest_rows[0]["path"])
    assert json.loads(run_cli(["tag", file, "--model", old, "--json"])[1]) == json.loads(
        run_cli(["tag", file, "--model", run_dir, "--json"])[1]
    )


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["train", "--data", "{data}", "--model", "vgg", "--out", "{tmp}/r"], "--model: invalid choice: 'vgg'"),
        (["train", "--model", "fcn4", "--out", "{tmp}/r"], "--data"),
        (["train", "--data", "{data}", "--model", "fcn4"], "--out"),
        (["train", "--data", "{tmp}/nowhere", "--model", "fcn4", "--out", "{tmp}/r"], "nowhere does not exist"),
        (["train", "--data", "{tmp}", "--model", "fcn4", "--out", "{tmp}/r"], "is not a dataset"),
        (["train", "--data", "{data}", "--model", "lstm", "--features", "cqt", "--out", "{tmp}/r"], "--features"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--seconds", "2", "--n-frames", "9"],
         "--n-frames: not allowed with argument --seconds"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--epochs", "0"], "--epochs: 0 must be"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--channels", "4,x"], "--channels"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--seconds", "1", "--channels", "4,8",
          "--quiet"], "channels=\\[4, 8\\] must be 4 positive integers"),
        (["train", "--data", "{data}", "--model", "lstm", "--out", "{tmp}/r", "--seconds", "1", "--channels", "4",
          "--quiet"], "--channels does not apply to --model lstm"),
        (["train", "--data", "{data}", "--model", "fcn5", "--out", "{tmp}/r", "--seconds", "1", "--hidden", "4",
          "--quiet"], "--hidden does not apply to --model fcn5"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--seconds", "inf"],
         "--seconds: inf must be a finite number"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--seconds", "1e300"],
         "--seconds: 1e300 must be <= 86400"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--lr", "nan"],
         "--lr: nan must be a finite number"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--seed", "99999999999999999999999"],
         "--seed: 99999999999999999999999 must be <= 9223372036854775807"),  # was torch's overflow traceback
        (["experiment", "study", "--data", "{data}", "--out", "{tmp}/s", "--split-seed", str(2**63)],
         "--split-seed: 9223372036854775808 must be <= 9223372036854775807"),
        (["extract", "{data}", "--out", "{tmp}/s", "--sr", "400000000"], "--sr: 400000000 must be <= 1536000"),
        (["generate", "--out", "{tmp}/g", "--sr", "1000"], "--sr: 1000 must be >= 8000"),
        (["generate", "--out", "{tmp}/g", "--seconds", "1e-6"], "--seconds: 1e-6 must be >= 0.5"),
        (["show", "{data}/manifest.csv", "--out", "{tmp}/x.png", "--dpi", "1"], "--dpi: 1 must be >= 10"),
        (["evaluate", "{tmp}", "--data", "{data}"], "config.json is missing"),
        (["evaluate", "{tmp}", "--data", "{data}", "--split", "dev"], "--split: invalid choice"),
        (["evaluate", "{tmp}"], "--data"),
        (["tag", "{data}/manifest.csv", "--model", "{tmp}"], "config.json is missing"),
        (["train", "--data", "{data}", "--model", "fcn4", "--out", "{tmp}/r", "--device", "gpu"],
         "--device: device='gpu' is not a torch device"),
        (["evaluate", "{tmp}", "--data", "{data}", "--device", "cuda:99"], "--device: device='cuda:99' but torch"),
        (["tag", "{data}/manifest.csv", "--model", "{tmp}", "--device", "tpu"], "--device: device='tpu'"),
        (["experiment", "study", "--data", "{data}", "--out", "{tmp}/s", "--device", "cuda:99"], "--device: "),
    ],
)
def test_bad_input_is_one_line_and_status_2(data, tmp_path, argv, match, run_cli):
    status, out, err = run_cli([a.format(data=data, tmp=tmp_path) for a in argv])
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("fasttag: error: ") and re.search(match, err), err


def test_a_split_without_tracks_is_an_error(data, tmp_path, manifest_rows, run_cli):
    with open(tmp_path / "all_train.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        writer.writerows([[str(data / row["path"]), row["tags"], "train"] for row in manifest_rows])
    status, _, err = run_cli(["train", "--data", tmp_path / "all_train.csv", "--model", "lstm", "--out", tmp_path / "r",
                           "--seconds", 1, "--quiet"])  # fmt: skip
    assert status == 2 and "has no tracks in the 'valid' split" in err, err


def test_unreadable_tracks_are_skipped_with_a_warning(data, tmp_path, manifest_rows, run_cli):
    # MagnaTagATune ships a few empty mp3s: one empty and one corrupt file must not stop a run.
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "corrupt.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    with open(tmp_path / "with_bad.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        writer.writerows([[str(data / row["path"]), row["tags"], row["split"]] for row in manifest_rows])
        writer.writerows([[str(tmp_path / "empty.wav"), "rock", "train"],
                          [str(tmp_path / "corrupt.wav"), "rock", "test"]])
    status, out, err = run_cli(["train", "--data", tmp_path / "with_bad.csv", "--model", "lstm", "--features", "mfcc",
                                "--out", tmp_path / "r", "--seconds", 1, "--epochs", 1, "--hidden", 4, "--quiet"])
    assert status == 0, err
    assert re.search(r"fasttag: warning: skipped 1 of the \d+ tracks of the 'train' split .*empty", err), err
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["info"]["data"]["n_train"] == sum(row["split"] == "train" for row in manifest_rows)
    status, out, err = run_cli(["evaluate", tmp_path / "r", "--data", tmp_path / "with_bad.csv", "--json", "--quiet"])
    assert status == 0 and "skipped 1 of the" in err and "'test' split" in err, err
    assert json.loads(out)["n_tracks"] == sum(row["split"] == "test" for row in manifest_rows)


@pytest.mark.slow
def test_lstm_on_mfcc_learns_and_shuffled_labels_do_not(request, tmp_path, seed_for, run_cli):
    """The study's MFCC (90) + LSTM system through the command line, on 300 generated clips of 4 s."""
    seed = seed_for(request.node.nodeid)
    make_tagged_music(300, seconds=4.0, seed=seed, out=tmp_path / "data")
    with open(tmp_path / "data" / "manifest.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    rng = np.random.default_rng(seed)
    shuffled = [rows[i]["tags"] for i in rng.permutation(len(rows))]  # tag frequencies kept, audio unrelated
    with open(tmp_path / "data" / "shuffled.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        writer.writerows([[row["path"], tags, row["split"]] for row, tags in zip(rows, shuffled)])
    macro = {}
    for name, data in (("real", tmp_path / "data"), ("shuffled", tmp_path / "data" / "shuffled.csv")):
        argv = ["train", "--data", data, "--model", "lstm", "--out", tmp_path / name, "--seconds", 4, "--epochs", 30,
                "--hidden", 64, "--lr", 3e-3, "--seed", seed % 1000, "--quiet"]  # fmt: skip
        assert run_cli(argv)[0] == 0
        status, out, err = run_cli(["evaluate", tmp_path / name, "--data", data, "--json", "--quiet"])
        assert status == 0, err
        macro[name] = json.loads(out)["macro"]["roc_auc"]
    assert macro["real"] >= 0.6, (macro, seed)
    assert abs(macro["shuffled"] - 0.5) < 0.1, (macro, seed)


def test_evaluate_names_the_data_tags_the_run_has_no_output_for(runs, data, manifest_rows, tmp_path, run_cli):
    run_dir = runs["lstm"][0]  # the data's tags come most frequent first, as in train's vocabulary
    with open(tmp_path / "more_tags.csv", "w", newline="") as f:  # two tags the run never saw, on test tracks
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        for i, row in enumerate(manifest_rows):
            extra = ";zydeco" if i % 2 else ";acapella;zydeco"
            writer.writerow([str(data / row["path"]), row["tags"] + extra, row["split"]])
    status, out, err = run_cli(["evaluate", run_dir, "--data", tmp_path / "more_tags.csv", "--json", "--quiet"])
    assert status == 0, err
    report = json.loads(out)
    assert report["not_scored"] == ["zydeco", "acapella"] and list(report["tags"]) == json.loads(
        (run_dir / "config.json").read_text())["tags"]  # fmt: skip
    status, out, err = run_cli(["evaluate", run_dir, "--data", tmp_path / "more_tags.csv", "--quiet"])
    assert status == 0 and out.rstrip().endswith("not scored (tags of the data the run was not trained on): "
                                                 "zydeco, acapella"), out  # fmt: skip
    status, out, err = run_cli(["evaluate", run_dir, "--data", data, "--json", "--quiet"])
    assert json.loads(out)["not_scored"] == []


def test_tag_takes_folders_and_manifests_and_writes_every_probability_to_csv(runs, data, manifest_rows, tmp_path,
                                                                            run_cli, monkeypatch):
    run_dir = runs["fcn4"][0]
    tags = json.loads((run_dir / "config.json").read_text())["tags"]
    monkeypatch.chdir(data)
    status, out, err = run_cli(["tag", "audio", "--model", run_dir, "--top", 3, "--quiet"])
    assert status == 0, err
    listed = [line.split(": ")[0] for line in out.splitlines()]
    assert listed == sorted(row["path"] for row in manifest_rows)  # relative, as the folder was given
    status, out, err = run_cli(["tag", data / "manifest.csv", "--model", run_dir, "--csv", tmp_path / "tags.csv"])
    assert status == 0 and out.strip() == f"{len(manifest_rows)} files tagged -> {tmp_path / 'tags.csv'}", err
    with open(tmp_path / "tags.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["path", *tags] and len(rows) == len(manifest_rows) + 1
    first = rows[1][0]
    status, out, err = run_cli(["tag", first, "--model", run_dir, "--top", len(tags), "--json"])
    expected = {t["tag"]: t["probability"] for t in json.loads(out)[first]}
    assert [float(p) for p in rows[1][1:]] == pytest.approx([expected[tag] for tag in tags], abs=1e-6)
    assert not list(tmp_path.glob(".*.part"))
    status, out, err = run_cli(["tag", "audio", f"./{listed[0]}", str(data / listed[0]), "--model", run_dir, "--quiet"])
    assert status == 0 and len(out.splitlines()) == len(listed), err  # a file named three ways is tagged once
    for csv_out, why in ((tmp_path / "no" / "t.csv", "its folder does not exist"), (tmp_path, "is a folder")):
        status, _, err = run_cli(["tag", "audio", "--model", run_dir, "--csv", csv_out])
        assert status == 2 and f"--csv {csv_out}: {why}" in err, err
    (tmp_path / "empty.wav").write_bytes(b"")
    status, out, err = run_cli(["tag", tmp_path / "empty.wav", tmp_path / "empty.wav", "--model", run_dir, "--csv",
                                tmp_path / "none.csv"])  # fmt: skip
    assert status == 2 and not (tmp_path / "none.csv").exists() and out == "", (out, err)
    status, _, err = run_cli(["tag", tmp_path / "nothing_here", "--model", run_dir])
    assert status == 2 and "nothing_here" in err
    (tmp_path / "empty_folder").mkdir()
    status, _, err = run_cli(["tag", tmp_path / "empty_folder", "--model", run_dir])
    assert status == 2 and "holds no audio files" in err, err


@pytest.fixture(scope="module")
def run_dir(runs):
    """The LSTM run of `runs`."""
    run_dir, status, printed = runs["lstm"]
    assert status == 0, printed
    return run_dir


def _refuse(constant):
    raise ValueError(f"{constant} is not JSON")


def test_tag_json_writes_null_for_a_probability_that_is_not_finite(run_dir, data, manifest_rows, run_cli,
                                                                   monkeypatch):
    fake = [("bass", math.nan), ("drums", math.inf), ("piano", 0.25)]
    monkeypatch.setattr("fasttag.commands.tag.tag_file", lambda path, trained, top: fake)
    file = str(data / manifest_rows[0]["path"])
    status, out, err = run_cli(["tag", file, "--model", run_dir, "--json"])
    assert status == 0, err
    listing = json.loads(out, parse_constant=_refuse)[file]  # strict: NaN and Infinity are not JSON
    assert listing == [{"tag": "bass", "probability": None}, {"tag": "drums", "probability": None},
                       {"tag": "piano", "probability": 0.25}]  # fmt: skip
    status, out, err = run_cli(["tag", file, "--model", run_dir])
    assert status == 0 and out == f"{file}: bass (nan), drums (inf), piano (0.25)\n", err


def test_evaluate_refuses_data_without_any_of_the_runs_tags(run_dir, data, manifest_rows, tmp_path, run_cli):
    run_tags = json.loads((run_dir / "config.json").read_text())["tags"]
    named = ", ".join(run_tags[:5]) + (", ..." if len(run_tags) > 5 else "")
    for name, tags in (("disjoint", lambda i: "zydeco" if i % 2 else "acapella;zydeco"), ("untagged", lambda i: "")):
        with open(tmp_path / f"{name}.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["path", "tags", "split"])
            writer.writerows([str(data / row["path"]), tags(i), row["split"]] for i, row in enumerate(manifest_rows))
        status, out, err = run_cli(["evaluate", run_dir, "--data", tmp_path / f"{name}.csv", "--quiet"])
        assert status == 2 and out == "" and err.count("\n") == 1, (out, err)
        assert f"none of the run's {len(run_tags)} tags ({named}) occur in" in err, err
        assert err.rstrip().endswith("its tags are zydeco, acapella" if name == "disjoint" else "have no tags"), err
    # Some of the run's tags (one here) in the data: scored as before, the others undefined.
    shared = run_tags[0]
    with open(tmp_path / "one_shared.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "tags", "split"])
        writer.writerows([str(data / row["path"]), shared if i % 2 else "zydeco", row["split"]]
                         for i, row in enumerate(manifest_rows))  # fmt: skip
    status, out, err = run_cli(["evaluate", run_dir, "--data", tmp_path / "one_shared.csv", "--quiet", "--json"])
    assert status == 0, err
    assert json.loads(out)["not_scored"] == ["zydeco"]
