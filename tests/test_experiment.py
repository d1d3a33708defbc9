"""``fasttag experiment study --size quick``: seven taggers on one split, the table, the JSON and the runs."""

import json
import re
import shutil

import numpy as np
import pytest

from fasttag import experiment, training
from fasttag.errors import ParameterError
from fasttag.datasets import make_tagged_music
from fasttag.experiment import CONFIGS, STUDY_ROC_AUC
from fasttag.training import load_run

SECONDS = 2.0
ROW = re.compile(r"^\| (?P<config>[\w+-]+) \| (?P<roc>\d\.\d{3}) \| (?P<pr>\d\.\d{3}) \| (?P<study>(\d\.\d{2})?) \| "
                 r"(?P<params>[\d,]+) \| (?P<train>\d+\.\d) \| (?P<feature>\d+\.\d) \|$", re.M)  # fmt: skip


@pytest.fixture(scope="module")
def study(request, tmp_path_factory, seed_for, run_cli):
    """The quick study on 24 generated clips of 2 s: (data, out dir, status, stdout, stderr)."""
    root = tmp_path_factory.mktemp("study")
    make_tagged_music(24, seconds=SECONDS, seed=seed_for(request.node.nodeid), out=root / "data")
    argv = ["experiment", "study", "--data", root / "data", "--out", root / "out", "--size", "quick", "--seconds", SECONDS,
            "--seed", 3, "--quiet"]  # fmt: skip
    return (root / "data", root / "out", *run_cli(argv))


def test_table_has_the_configurations_in_order(study):
    _, out_dir, status, out, err = study
    assert status == 0, err
    rows = [m.groupdict() for m in ROW.finditer(out)]
    assert [r["config"] for r in rows] == list(CONFIGS)
    for r in rows:
        assert 0 <= float(r["roc"]) <= 1 and 0 < float(r["pr"]) <= 1
        assert r["study"] == (f"{STUDY_ROC_AUC[r['config']]:.2f}" if r["config"] in STUDY_ROC_AUC else "")
        assert int(r["params"].replace(",", "")) > 0 and float(r["train"]) >= 0 and float(r["feature"]) >= 0
    n = len(CONFIGS)
    for i, config in enumerate(CONFIGS, 1):  # progress, one line before and after each configuration
        assert f"[{i}/{n}] {config}: training" in out
        assert re.search(rf"\[{i}/{n}\] {re.escape(config)}: test macro", out)
    md = (out_dir / "study.md").read_text()
    assert [m.groupdict() for m in ROW.finditer(md)] == rows


def test_json_and_runs_agree_with_the_table(study, run_cli):
    data, out_dir, status, out, err = study
    assert status == 0, err
    report = json.loads((out_dir / "study.json").read_text())
    results = {r["config"]: r for r in report["results"]}
    assert list(results) == list(CONFIGS) and report["seed"] == 3 and report["settings"]["codebook_size"] == 8
    for config, result in results.items():
        run_dir = out_dir / "runs" / config.lower().replace("+", "-")
        trained = load_run(run_dir)
        n_weights = sum(p.numel() for p in trained.model.parameters())
        kind = trained.features["kind"]
        expected = {"FCN-5": "logmel", "CRNN": "logmel", "FCN-5+chroma": "logmel-chroma"}
        assert kind == expected.get(config, "bof" if "BoF" in config else kind)
        if "BoF" in config:  # the MLP's weights and the K x d codebook
            frames = 90 if config.startswith("MFCC") else 8  # the quick FCN-5 ends with 8 channels
            assert trained.features["frames"]["kind"] == ("mfcc" if config.startswith("MFCC") else "cnn")
            assert result["n_params"] == n_weights + 8 * frames
        else:
            assert result["n_params"] == n_weights
        status, out, err = run_cli(["evaluate", run_dir, "--data", data, "--json", "--quiet"])
        assert status == 0, (config, err)
        scores = json.loads(out)["macro"]  # the saved run rebuilds the features the study scored
        assert scores["roc_auc"] == pytest.approx(result["roc_auc"], abs=1e-6), config
        assert scores["pr_auc"] == pytest.approx(result["pr_auc"], abs=1e-6), config


def test_cnn_rows_use_the_study_s_fcn(study):
    _, out_dir, status, _, err = study
    assert status == 0, err
    fcn = load_run(out_dir / "runs" / "fcn-5").model.state_dict()
    for config in ("cnn-bof", "cnn-lstm"):
        frozen = load_run(out_dir / "runs" / config / "cnn").model.state_dict()
        assert frozen.keys() == fcn.keys() and all((frozen[k] == fcn[k]).all() for k in fcn), config


def test_small_size_and_lstm_pooling_reach_the_models(study, tmp_path, run_cli):
    data = study[0]
    argv = ["experiment", "study", "--data", data, "--out", tmp_path, "--size", "small", "--epochs", 1,
            "--codebook-size", 8, "--lstm-pooling", "mean", "--seconds", SECONDS, "--quiet"]  # fmt: skip
    status, _, err = run_cli(argv)
    assert status == 0, err
    settings = json.loads((tmp_path / "study.json").read_text())["settings"]
    assert settings["fcn_channels"] == [16, 32, 64, 64, 128] and settings["lstm_pooling"] == "mean"
    assert load_run(tmp_path / "runs" / "fcn-5").model.hparams["channels"] == [16, 32, 64, 64, 128]
    assert load_run(tmp_path / "runs" / "mfcc-lstm").model.hparams["pooling"] == "mean"
    assert run_cli(["experiment", "study", "--data", data, "--out", tmp_path, "--size", "huge"])[0] == 2


def test_the_study_reads_log_mel_and_mfcc_from_stores(study, tmp_path, run_cli):
    data = study[0]
    for kind in ("logmel", "mfcc"):
        status, _, err = run_cli(["extract", data / "manifest.csv", "--out", tmp_path / kind, "--feature", kind,
                                  "--duration", SECONDS, "--crop", "start", "--workers", 1, "--quiet"])  # fmt: skip
        assert status == 0, err
    argv = ["experiment", "study", "--data", data, "--out", tmp_path / "out", "--size", "quick", "--seconds", SECONDS,
            "--seed", 3, "--quiet", "--store", tmp_path / "mfcc", "--store", tmp_path / "logmel"]  # fmt: skip
    status, out, err = run_cli(argv)
    assert status == 0, err
    assert all(f"{kind} features read from {tmp_path / kind}" in out for kind in ("logmel", "mfcc")), out
    assert [m.group("config") for m in ROW.finditer(out)] == list(CONFIGS)
    status, _, err = run_cli(["extract", data / "manifest.csv", "--out", tmp_path / "short", "--duration", 1.0,
                              "--crop", "start", "--workers", 1, "--quiet"])  # fmt: skip
    assert status == 0, err
    status, _, err = run_cli([*argv[:-4], "--store", tmp_path / "short"])
    assert status == 2 and "holds none of the study's stored features" in err, err
    assert f"logmel: --feature logmel --duration {SECONDS!r} --crop start; mfcc: --feature mfcc" in err, err
    status, _, err = run_cli([*argv[:-2], "--store", tmp_path / "mfcc"])  # the same store twice
    assert status == 2 and f"two stores of the same mfcc features were given: {str(tmp_path / 'mfcc')!r} and" in err


def test_a_study_run_again_keeps_its_runs_and_trains_what_is_missing_or_cut_short(study, tmp_path, run_cli,
                                                                                   monkeypatch):
    """An interrupted study (hours of training at full size) started again from nothing."""
    data, out_dir, status, first, err = study
    assert status == 0, err
    shutil.copytree(out_dir, tmp_path / "out")
    shutil.rmtree(tmp_path / "out" / "runs" / "mfcc-lstm")  # never saved
    weights = tmp_path / "out" / "runs" / "crnn" / "model.pt"
    weights.write_bytes(weights.read_bytes()[:100])  # cut short while it was saved
    trained = []

    def counting_train(model, *args, **kwargs):
        trained.append(type(model).__name__)
        return training.train(model, *args, **kwargs)

    monkeypatch.setattr(experiment, "train", counting_train)
    argv = ["experiment", "study", "--data", data, "--out", tmp_path / "out", "--size", "quick", "--seconds", SECONDS,
            "--seed", 3, "--quiet"]  # fmt: skip
    status, again, err = run_cli(argv)
    assert status == 0, err
    assert trained == ["CRNN", "LSTMTagger"]
    assert "[2/7] CRNN: training crnn" in again and "[5/7] MFCC+LSTM: training lstm" in again
    assert re.search(r"\[1/7\] FCN-5: kept from .*fcn-5 \(this study's run\)", again), again
    before, after = (list(ROW.finditer(text)) for text in (first, again))
    for old, new in zip(before, after, strict=True):  # the same scores; kept rows keep their times too
        retrained = old["config"] in ("CRNN", "MFCC+LSTM")
        same = ("config", "roc", "pr", "study", "params") if retrained else ROW.groupindex
        assert all(old[key] == new[key] for key in same), (old.groupdict(), new.groupdict())
    trained.clear()
    status, other, err = run_cli([*argv[:-2], 4, "--quiet"])  # another seed: another study in the same folder
    assert status == 0, err
    assert len(trained) == len(CONFIGS) and "(replacing " in other and "kept from" not in other


def test_write_study_keeps_numpy_numbers_as_numbers(tmp_path, rng):
    auc = rng.uniform(0.5, 1.0, size=2).astype(np.float32)
    row = experiment.StudyResult("FCN-5", "FCN", auc[0], auc[1], np.int64(1234), 1.5, 2.5)
    settings = experiment.StudySettings()
    _, js = experiment.write_study(tmp_path, [row], settings=settings, seed=np.int64(7), data=tmp_path / "data")
    report = json.loads(js.read_text())
    assert report["results"][0]["roc_auc"] == pytest.approx(float(auc[0]))
    assert report["results"][0]["n_params"] == 1234 and report["seed"] == 7
    assert report["data"] == str(tmp_path / "data") and report["settings"]["epochs"] == settings.epochs


@pytest.mark.parametrize("setting, match", [({"epochs": 0}, "epochs=0 must be a positive integer"),
                                            ({"fcn_channels": (4, 4)}, r"fcn_channels=\[4, 4\] must be 5 positive"),
                                            ({"lstm_pooling": "max"}, "lstm_pooling='max' must be one of"),
                                            ({"lr": -1.0}, "lr=-1.0 must be a positive number")])
def test_a_bad_setting_is_named_before_any_work(setting, match):
    """Named where the settings are made, not after the features of every split (train checked them)."""
    for make in (experiment.StudySettings, experiment.StudySettings.quick):
        with pytest.raises(ParameterError, match=match):
            make(**setting)
