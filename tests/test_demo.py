"""The ``fasttag`` command: a tiny end-to-end demo, tagging with its run, bad input."""

import contextlib
import io
import json
import re

import pytest

from fasttag.cli import main


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory, seed_for):
    """Run a tiny demo once, from the folder above its output directory (given relative to it): that
    directory (absolute), exit status and printout."""
    out = tmp_path_factory.mktemp("demo")
    seed = seed_for(request.node.nodeid)
    argv = ["demo", "--out", out.name, "--n-tracks", "30", "--seconds", "2", "--epochs", "2", "--seed", str(seed)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.MonkeyPatch.context() as patch:
        patch.chdir(out.parent)
        status = main(argv)
    return out, status, printed.getvalue()


def test_demo_reports_and_saves_a_run(demo):
    out, status, printed = demo
    assert status == 0, printed
    macro = re.search(r"macro ROC-AUC (\d\.\d+)", printed)
    assert macro and 0.0 <= float(macro.group(1)) <= 1.0, printed
    assert re.search(r"^macro\s+\d\.\d{3}\s+\d\.\d{3}$", printed, flags=re.M), printed  # the table's row
    for stage in ("generate", "load", "logmel", "train", "evaluate", "tag"):
        assert re.search(rf"\[{stage}\] \d+\.\d s", printed), stage
    tagged = re.search(r"^(.*)\n  top-5 : ", printed, flags=re.M)
    assert tagged and (out.parent / tagged.group(1)).is_file(), printed  # relative to the working directory
    assert tagged.group(1).startswith(f"{out.name}/data/audio/") and "true  :" in printed
    config = json.loads((out / "run" / "config.json").read_text())
    assert config["features"]["n_mels"] == 96 and config["features"]["seconds"] == 2.0
    assert (out / "run" / "model.pt").is_file() and (out / "data" / "manifest.csv").is_file()


def test_tag_command(demo, capsys):
    out, _, _ = demo
    files = sorted(str(p) for p in (out / "data" / "audio").glob("*.flac"))[:2]
    assert main(["tag", *files, "--model", str(out / "run"), "--top", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert list(result) == files
    for tags in result.values():
        probabilities = [t["probability"] for t in tags]
        assert len(tags) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert all(0 <= p <= 1 for p in probabilities)
    assert main(["tag", files[0], "--model", str(out / "run")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"{files[0]}: ") and len(re.findall(r"\(\d\.\d\d\)", line)) == 5


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["tag", "{out}/missing.flac", "--model", "{out}/run"], "missing.flac"),
        (["tag", "{out}/run/config.json", "--model", "{out}/run"], "config.json"),  # not audio (a CSV is a manifest)
        (["tag", "{out}/data/manifest.csv", "--model", "{out}/nowhere"], "config.json is missing"),
        (["tag", "{out}/data/manifest.csv"], "--model"),
        (["tag", "{out}/data/manifest.csv", "--model", "{out}/run", "--top", "0"], "--top"),
        (["demo", "--n-tracks", "9"], "--n-tracks: 9 must be >= 10"),
        (["demo", "--seconds", "-2"], "--seconds"),
        (["dance"], "dance"),
        ([], "command"),
    ],
)
def test_bad_input_is_one_line_and_status_2(demo, capsys, argv, match):
    out, _, _ = demo
    assert main([arg.format(out=out) for arg in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fasttag: error: ") and re.search(match, err), err


def test_a_file_outside_the_working_directory_is_named_by_its_absolute_path(tmp_path, monkeypatch):
    from fasttag.commands.demo import _openable

    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert _openable(tmp_path / "there" / "a.flac") == str(tmp_path / "there" / "a.flac")
    assert _openable(tmp_path / "here" / "a.flac") == "a.flac"
    assert _openable(tmp_path / "here" / "..b" / "a.flac") == "..b/a.flac"  # a name starting with dots is inside
