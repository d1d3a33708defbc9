"""fasttag.plot.specshow and the ``fasttag show`` command: labelled axes, a colour bar, and a
PNG file of the asked size that is not blank."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import soundfile

import fasttag
from fasttag import ParameterError, cli

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

SR = 22050


def png_size(path) -> tuple[int, int]:
    """(width, height) from the PNG signature and IHDR chunk; fails on anything else."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("y_axis, feature", [("mel", "logmel"), ("linear", "power"), ("chroma", "chroma"),
                                             ("tempo", "tempogram"), (None, "mfcc")])
def test_specshow_labels_axes(music, y_axis, feature):
    y = music(4 * SR)
    S = {"logmel": lambda: fasttag.logmel(y, sr=SR, n_mels=64),
         "power": lambda: fasttag.power_to_db(np.abs(fasttag.stft(y, n_fft=1024, hop_length=512)) ** 2),
         "chroma": lambda: fasttag.chroma_stft(y, sr=SR),
         "tempogram": lambda: fasttag.tempogram(y, sr=SR),
         "mfcc": lambda: fasttag.mfcc(y, sr=SR)}[feature]()
    fig = Figure()
    ax = fig.add_subplot()
    mesh = fasttag.plot.specshow(S, sr=SR, hop_length=512, y_axis=y_axis, ax=ax)
    assert mesh.get_array().size == S.size
    assert ax.get_xlabel() == "Time (s)"
    assert ax.get_xlim() == pytest.approx((0, S.shape[-1] * 512 / SR))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    expected_ylabel = {"mel": "Frequency (Hz, mel scale)", "linear": "Frequency (Hz)", "chroma": "Pitch class",
                       "tempo": "Tempo (BPM)", None: "Row"}[y_axis]
    assert ax.get_ylabel() == expected_ylabel
    if y_axis == "chroma":
        assert labels == list(fasttag.plot.NOTE_NAMES)
    if y_axis == "tempo":
        assert {"30", "60"} <= set(labels)
        # the tick labelled b BPM sits at lag 60 sr / (hop b)
        for label, lag in zip(labels, ax.get_yticks()):
            assert lag == pytest.approx(60 * SR / (512 * float(label)))
    if y_axis in ("mel", "linear"):
        assert {"1024", "4096"} <= set(labels)
    colorbar_axes = [a for a in fig.axes if a is not ax]
    assert len(colorbar_axes) == 1
    if y_axis in ("mel", "linear"):
        assert colorbar_axes[0].get_ylabel() == "dB"


def test_specshow_bad_input():
    with pytest.raises(ParameterError, match="y_axis='cqt' is not one of"):
        fasttag.plot.specshow(np.ones((4, 4)), y_axis="cqt", ax=Figure().add_subplot())
    with pytest.raises(ParameterError, match="x_axis='s' is not one of"):
        fasttag.plot.specshow(np.ones((4, 4)), x_axis="s", ax=Figure().add_subplot())
    with pytest.raises(ParameterError, match=r"S must be 2-D"):
        fasttag.plot.specshow(np.ones((2, 4, 4)), ax=Figure().add_subplot())


@pytest.fixture
def audio_file(music, tmp_path):
    path = tmp_path / "clip.wav"
    soundfile.write(path, music(3 * SR), SR)
    return path


@pytest.mark.parametrize("feature, size", [("logmel", (800, 300)), ("mfcc", (640, 480)), ("chroma", (500, 250)),
                                           ("tempogram", (700, 400))])
def test_show_writes_a_png_of_the_asked_size(audio_file, tmp_path, capsys, feature, size):
    out = tmp_path / "pictures" / f"{feature}.png"
    assert cli.main(["show", str(audio_file), "--feature", feature, "--out", str(out),
                     "--size", f"{size[0]}x{size[1]}"]) == 0
    assert out.exists()
    assert png_size(out) == size
    pixels = matplotlib.image.imread(out)[..., :3]
    assert pixels.shape[:2] == (size[1], size[0])
    # Not blank: many distinct colours and the central area (the image) varies.
    centre = pixels[size[1] // 4 : 3 * size[1] // 4, size[0] // 4 : size[0] // 2]
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert centre.std() > 0.05
    assert feature in capsys.readouterr().out


def test_show_arguments(capsys):
    args = cli._parser().parse_args(["show", "a.wav", "--out", "x.png"])
    assert (args.feature, args.size, args.sr, args.dpi) == ("logmel", (1000, 400), 22050, 100)
    for bad, fragment in ((["--feature", "cqt"], "cqt"), (["--size", "100"], "'100'"),
                          (["--size", "10x10"], "64..8192"), (["--dpi", "0"], "0 must be >= 1")):
        assert cli.main(["show", "a.wav", "--out", "x.png", *bad]) == 2
        assert fragment in capsys.readouterr().err
    assert cli.main(["show", "a.wav"]) == 2
    assert "--out" in capsys.readouterr().err


def test_show_missing_file_is_reported_in_one_line(tmp_path, capsys):
    assert cli.main(["show", str(tmp_path / "missing.wav"), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "missing.wav" in err and len(err.strip().splitlines()) == 1
