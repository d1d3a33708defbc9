"""``fasttag show FILE --feature logmel|mfcc|chroma|tempogram --out picture.png``: draw a feature.

The extension of ``--out`` names the picture's format (png, jpg, svg, pdf, ...: what matplotlib writes).

``add_parser(commands)`` adds the sub-command and its arguments, ``run(args)`` draws and
saves the picture. Bad input raises FasttagError (an AudioLoadError for unreadable audio),
which the command reports in one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import fasttag
from fasttag import plot
from fasttag.commands._args import FORMATTER, number, sample_rate
from fasttag.errors import FasttagError, MissingDependencyError

FEATURES = ("logmel", "mfcc", "chroma", "tempogram")
HOP_LENGTH = 512
N_FFT = 2048


def _size(text: str) -> tuple[int, int]:
    """An argparse ``type``: "WIDTHxHEIGHT" in pixels, each 64..8192."""
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT in pixels, e.g. 1000x400") from None
    if not sep or not all(64 <= v <= 8192 for v in size):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 64..8192 pixels")
    return size


def add_parser(commands, summary: str) -> None:
    """Add the ``show`` sub-command to ``commands`` (from ``parser.add_subparsers``)."""
    show = commands.add_parser(
        "show",
        formatter_class=FORMATTER,
        help=summary,
        description="Compute one feature of an audio file (22.05 kHz by default, n_fft 2048, hop 512) "
        "and save a picture of it: time in seconds across, Hz / pitch classes / BPM up, a colour bar. "
        "The extension of --out names the picture's format.",
    )
    show.add_argument("file", type=Path, metavar="FILE", help="audio file (wav, flac, ogg, mp3)")
    show.add_argument("--feature", choices=FEATURES, default="logmel", help="what to draw")
    show.add_argument("--out", type=Path, required=True,
                      help="picture to write; its extension names the format: .png, .jpg, .svg, .pdf or another "
                      "that matplotlib writes (not .pgf)")  # fmt: skip
    show.add_argument("--sr", type=sample_rate(), default=22050, help="sampling rate to resample to (Hz)")
    show.add_argument("--n-mels", type=number(int, 1), default=128, help="mel bands (logmel, mfcc)")
    show.add_argument("--size", type=_size, default="1000x400", metavar="WxH", help="picture size in pixels")
    show.add_argument("--dpi", type=number(int, 10, high=2400), default=100, help="dots per inch of the picture")


def feature(y: np.ndarray, sr: int, name: str, *, n_mels: int = 128) -> tuple[np.ndarray, dict]:
    """The feature ``name`` of mono audio ``y`` and the :func:`fasttag.plot.specshow` arguments for it."""
    common = dict(sr=sr, hop_length=HOP_LENGTH)
    if name == "logmel":
        S = fasttag.logmel(y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=n_mels)
        return S, dict(common, y_axis="mel", units="dB")
    if name == "mfcc":
        S = fasttag.mfcc(y, sr=sr, n_mfcc=20, n_fft=N_FFT, hop_length=HOP_LENGTH, n_mels=n_mels)
        return S, dict(common, y_axis=None, units="coefficient (dB scale)")
    if name == "chroma":
        S = fasttag.chroma_stft(y, sr=sr, n_fft=N_FFT, hop_length=HOP_LENGTH, tuning=None)
        return S, dict(common, y_axis="chroma")
    if name == "tempogram":
        S = fasttag.tempogram(y, sr=sr, hop_length=HOP_LENGTH)
        return S, dict(common, y_axis="tempo")
    raise FasttagError(f"feature={name!r} is not one of {list(FEATURES)}")


def run(args) -> None:
    """Draw ``args.feature`` of ``args.file`` into ``args.out``."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("fasttag show needs matplotlib: pip install 'fasttag[plot]'") from None
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    picture_format = _picture_format(args.out, Figure().canvas.get_supported_filetypes())
    y, sr = fasttag.load(args.file, sr=args.sr)
    S, options = feature(y, sr, args.feature, n_mels=args.n_mels)
    width, height = args.size
    # A Figure (not pyplot): no global state, nothing left open.
    fig = Figure(figsize=(width / args.dpi, height / args.dpi), dpi=args.dpi, layout="constrained")
    ax = fig.add_subplot()
    plot.specshow(S, ax=ax, **options)
    ax.set_title(f"{Path(args.file).name}: {args.feature}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi, format=picture_format)
    print(f"{args.feature} {S.shape} -> {args.out} ({width}x{height} px)")


def _picture_format(out: Path, filetypes: dict[str, str]) -> str:
    """The format that the extension of ``out`` names, if matplotlib writes it (``filetypes``); .pgf (LaTeX
    code, which needs a TeX installation) is refused with the unknown ones."""
    formats = [name for name in filetypes if name != "pgf"]
    name = out.suffix[1:].lower()
    if name not in formats:
        named = f"extension {out.suffix!r} is not" if out.suffix else "no extension names"
        raise FasttagError(f"--out {out}: {named} a picture format fasttag show writes; end it in one of "
                           f"{', '.join('.' + f for f in formats)}")
    return name
