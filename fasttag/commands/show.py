"""``fasttag show FILE --feature logmel|mfcc|chroma|tempogram --out picture.png``: draw a feature.

FILE is an audio file, or a ``.npy`` array that ``fasttag extract`` wrote into a store (drawn as stored,
its axes from the store's parameters; a ``.npy`` file of no store is drawn with frame and row axes).
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
from fasttag.extraction import ExtractParams
from fasttag.store import params_of_array

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
        "A .npy array of a feature store (fasttag extract) is drawn as stored, with the store's axes. "
        "The extension of --out names the picture's format.",
    )
    show.add_argument("file", type=Path, metavar="FILE",
                      help="audio file (wav, flac, ogg, mp3), or a .npy array of a feature store (--feature, --sr "
                      "and --n-mels apply to audio only)")  # fmt: skip
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


def stored_feature(path: Path) -> tuple[np.ndarray, dict, str]:
    """A 2-D feature array saved with ``np.save`` (a store's ``arrays/ID.npy``), the
    :func:`fasttag.plot.specshow` arguments for it and its kind: from the store's parameters
    when a store holds it, else frame and row axes ("array"). FasttagError for other files."""
    try:
        S = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise FasttagError(f"{path}: not a feature array (.npy) fasttag show reads: {error}") from None
    if S.ndim != 2 or not (np.issubdtype(S.dtype, np.floating) or np.issubdtype(S.dtype, np.integer)):
        raise FasttagError(f"{path} holds a {S.dtype} array of shape {S.shape}: fasttag show draws a 2-D real "
                           "feature (n_features, n_frames), as fasttag extract stores")  # fmt: skip
    params = params_of_array(path)
    if params is None:
        return S, dict(x_axis="frames", y_axis=None), "array"
    params = ExtractParams.from_dict(params)
    if S.shape[0] != params.n_features:
        raise FasttagError(f"{path} holds {S.shape[0]} rows, not the {params.n_features} of the store's "
                           f"{params.feature} parameters")  # fmt: skip
    return S, _stored_axes(params), params.feature


def _stored_axes(params: ExtractParams) -> dict:
    """The :func:`fasttag.plot.specshow` arguments of the features ``params`` computes."""
    common = dict(sr=params.sr, hop_length=params.hop_length)
    if params.feature == "logmel":
        return dict(common, y_axis="mel", fmin=params.fmin, fmax=params.fmax, units="dB")
    if params.feature == "chroma":
        return dict(common, y_axis="chroma", bins_per_octave=params.n_chroma)
    return dict(common, y_axis=None, units="coefficient (dB scale)")


def run(args) -> None:
    """Draw ``args.feature`` of ``args.file`` into ``args.out``."""
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("fasttag show needs matplotlib: pip install 'fasttag[plot]'") from None
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    picture_format = _picture_format(args.out, Figure().canvas.get_supported_filetypes())
    if args.file.suffix.lower() == ".npy":
        S, options, what = stored_feature(args.file)
    else:
        y, sr = fasttag.load(args.file, sr=args.sr)
        (S, options), what = feature(y, sr, args.feature, n_mels=args.n_mels), args.feature
    width, height = args.size
    # A Figure (not pyplot): no global state, nothing left open.
    fig = Figure(figsize=(width / args.dpi, height / args.dpi), dpi=args.dpi, layout="constrained")
    ax = fig.add_subplot()
    plot.specshow(S, ax=ax, **options)
    ax.set_title(f"{Path(args.file).name}: {what}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi, format=picture_format)
    print(f"{what} {S.shape} -> {args.out} ({width}x{height} px)")


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
