"""What the commands write and say: pictures in the format ``fasttag show --out`` names, the tempogram of a clip
of one frame, and help texts. (Strict JSON from ``fasttag tag`` and data without a run's tags
are in test_cli_train.py, beside its runs.)"""

import pytest
import soundfile

from fasttag import cli

SR = 22050


@pytest.mark.parametrize("name, says", [
    ("train", "fasttag: interrupted\n"),
    ("evaluate", "fasttag: interrupted\n"),
    ("experiment", "fasttag: interrupted (a study run again keeps the runs it saved and trains only the others)\n"),
    ("extract", "fasttag: interrupted (an extract run goes on where it stopped when run again)\n"),
])
def test_ctrl_c_says_what_running_the_command_again_does(run_cli, monkeypatch, tmp_path, name, says):
    """Every command said extract's "an extract run goes on where it stopped"."""
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.command(name), "run", interrupted)
    argv = {"train": ["train", "--data", tmp_path, "--model", "fcn4", "--out", tmp_path / "r"],
            "evaluate": ["evaluate", tmp_path, "--data", tmp_path],
            "experiment": ["experiment", "study", "--data", tmp_path, "--out", tmp_path / "s"],
            "extract": ["extract", tmp_path, "--out", tmp_path / "store"]}[name]  # fmt: skip
    assert run_cli(argv) == (130, "", says)


def test_demo_help_gives_the_fewest_tracks(capsys):
    assert "clips to generate (at least 10, for three splits)" in " ".join(_help(capsys, "demo").split())


def test_generate_into_a_file_says_it_is_not_a_folder(run_cli, tmp_path):
    (tmp_path / "f").write_text("")
    status, _, err = run_cli(["generate", "--out", tmp_path / "f", "--n-tracks", 2, "--quiet"])
    assert (status, err) == (2, f"fasttag: error: --out {tmp_path / 'f'} is a file, not a folder: give a folder for "
                                "manifest.csv and audio/\n")  # was "[Errno 20] Not a directory"


def test_a_closed_stdout_pipe_ends_quietly(tmp_path):
    """``fasttag tag --json | head -1`` ended with "fasttag: error: [Errno 32] Broken pipe", status 2."""
    import subprocess
    import sys

    script = ("import sys, fasttag.cli as c\n"
              "c.command('generate').run = lambda args: [print('x' * 1000) for _ in range(1000)]\n"
              "sys.exit(c.main(['generate', '--out', sys.argv[1]]))")  # fmt: skip
    # cwd outside the checkout: `python -c` puts it first on sys.path, where a wheel install's tests
    # would import the source tree, which has no compiled core
    with subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "g")], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, cwd=tmp_path) as child:  # fmt: skip
        child.stdout.read(10)
        child.stdout.close()  # as head does after its lines
        assert (child.wait(timeout=60), child.stderr.read()) == (1, b"")


@pytest.fixture
def plotting():
    """Skip where matplotlib (the plot extra) is missing."""
    pytest.importorskip("matplotlib")


@pytest.fixture
def clip(plotting, music, tmp_path):
    """Half a second of music at 22050 Hz."""
    path = tmp_path / "clip.wav"
    soundfile.write(path, music(SR // 2), SR)
    return path


@pytest.mark.parametrize("extension, magic", [(".jpg", b"\xff\xd8\xff"), (".JPEG", b"\xff\xd8\xff"),
                                              (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_show_writes_the_format_the_extension_names(clip, tmp_path, run_cli, extension, magic):
    out = tmp_path / f"picture{extension}"
    status, _, err = run_cli(["show", clip, "--out", out, "--size", "200x100"])
    assert status == 0, err
    assert out.read_bytes().startswith(magic)


@pytest.mark.parametrize("name, says", [("picture.bmp", "extension '.bmp' is not"),
                                        ("picture.pgf", "extension '.pgf' is not"), ("picture", "no extension names")])
def test_show_refuses_a_picture_format_it_does_not_write(clip, tmp_path, run_cli, name, says):
    out = tmp_path / name
    status, _, err = run_cli(["show", clip, "--out", out])
    assert status == 2 and not out.exists(), err
    assert err.startswith(f"fasttag: error: --out {out}: {says}") and err.count("\n") == 1, err
    assert all(f".{fmt}," in err for fmt in ("png", "jpg", "svg", "pdf")), err


def test_show_draws_the_tempogram_of_a_clip_of_one_frame(plotting, tmp_path, music, run_cli):
    """As librosa computes it (the onset strength of one frame is 0); it said 'lag=1 must be smaller ...'."""
    path = tmp_path / "short.wav"
    for n_samples, n_frames in ((511, 1), (512, 2)):
        soundfile.write(path, music(n_samples), SR)
        status, printed, err = run_cli(["show", path, "--feature", "tempogram", "--out", tmp_path / "t.png",
                                        "--size", "200x100"])  # fmt: skip
        assert status == 0 and f"tempogram (384, {n_frames})" in printed, err


def _help(capsys, command: str) -> str:
    """``fasttag COMMAND --help``, on one line."""
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_show_help_gives_the_size_as_wxh(capsys):
    assert "--size WxH picture size in pixels (default: 1000x400)" in _help(capsys, "show")
    assert cli.parse_args(["show", "a.wav", "--out", "x.png"]).size == (1000, 400)


def test_help_gives_no_default_for_required_options(capsys):
    assert "--model RUN run directory, e.g. demo_out/run --top" in _help(capsys, "tag")
    assert "--out OUT picture to write; its extension names the format" in _help(capsys, "show")


@pytest.mark.parametrize("argv, says", [
    (["tag", "a.wav", "--model", "run", "--top", "2.5"], "argument --top: '2.5' must be an integer"),
    (["show", "a.wav", "--out", "x.png", "--dpi", "1e2"], "argument --dpi: '1e2' must be an integer"),
    (["train", "--data", "d", "--model", "lstm", "--out", "r", "--lr", "x"], "argument --lr: 'x' must be a number"),
])  # fmt: skip
def test_a_number_that_does_not_parse_is_named_in_plain_words(run_cli, argv, says):
    status, _, err = run_cli(argv)
    assert status == 2 and err == f"fasttag: error: {says}\n", err
