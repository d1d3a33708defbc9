"""``fasttag extract INPUT --out STORE``: features of a whole collection into a feature store.

``add_parser(commands)`` adds the sub-command and its arguments; ``run(args)`` runs
`fasttag.extraction.extract`, prints the summary and, with ``--strict``, raises
FasttagError (exit status 2) when any track failed. Re-running the same command resumes.
"""

from __future__ import annotations

from argparse import SUPPRESS
from pathlib import Path

from fasttag.commands._args import FORMATTER, UsageError, number, sample_rate, seconds
from fasttag.errors import FasttagError
from fasttag.extraction import CROPS, FEATURE_KINDS, ExtractParams, extract
from fasttag.extraction.params import DEFAULT_N_FFT

#: Options that apply to some kinds of feature only: option -> (dest, kinds, default).
KIND_OPTIONS = {
    "--n-mels": ("n_mels", ("logmel", "mfcc"), 96),
    "--fmin": ("fmin", ("logmel", "mfcc"), 0.0),
    "--fmax": ("fmax", ("logmel", "mfcc"), None),
    "--top-db": ("top_db", ("logmel", "mfcc"), 80.0),
    "--n-mfcc": ("n_mfcc", ("mfcc",), 30),
    "--deltas": ("deltas", ("mfcc",), 2),
    "--delta-width": ("delta_width", ("mfcc",), 9),
    "--n-chroma": ("n_chroma", ("chroma",), 12),
}


NO_FLOOR = "none"  # --top-db none: no floor (given, unlike the default None)
LISTED = 20  # failures and warnings printed, each; the manifest has them all


def _top_db(text: str):
    return NO_FLOOR if text.lower() == NO_FLOOR else number(float, 0)(text)


def add_parser(commands, summary: str) -> None:
    """Add the ``extract`` sub-command to ``commands`` (from ``parser.add_subparsers``)."""
    p = commands.add_parser(
        "extract",
        formatter_class=FORMATTER,
        help=summary,
        description="Decode, resample and compute features of every track of a folder (recursively: "
        "wav, flac, ogg, opus, mp3, au, aiff), a manifest CSV (a 'path' column, optional 'track_id') or "
        "MagnaTagATune's annotations_final.csv (or its folder; ids are its mp3_path) in worker "
        "processes or on a Dask cluster, into a feature store: one .npy array per track and a manifest. "
        "Running the same command again resumes. Bad files are recorded with their error and skipped. "
        "`fasttag train --store` and `evaluate --store` read a store of --duration SECONDS --crop start.",
    )
    p.add_argument("input", type=Path, metavar="INPUT",
                   help="a folder of audio files, a manifest CSV, or MagnaTagATune's annotations_final.csv or folder")
    p.add_argument("--out", type=Path, required=True, metavar="STORE", help="the feature store's folder")
    p.add_argument("--feature", choices=FEATURE_KINDS, default="logmel", help="what to compute")
    p.add_argument("--sr", type=sample_rate(), default=12000, help="sampling rate to resample to (Hz)")
    p.add_argument("--n-fft", type=number(int, 1), default=SUPPRESS, help="STFT frame length (samples); default "
                   f"{DEFAULT_N_FFT['logmel']} (logmel, mfcc), {DEFAULT_N_FFT['chroma']} (chroma)")  # fmt: skip
    p.add_argument("--hop", "--hop-length", dest="hop_length", type=number(int, 1), default=256,
                   help="STFT hop (samples)")  # fmt: skip
    p.add_argument("--n-mels", type=number(int, 1), default=SUPPRESS, help="mel bands (logmel, mfcc; default 96)")
    p.add_argument("--fmin", type=number(float, 0), default=SUPPRESS, help="lowest mel frequency, Hz (default 0)")
    p.add_argument("--fmax", type=number(float, 0, above=True), default=SUPPRESS, help="highest mel frequency, Hz "
                   "(default sr/2)")  # fmt: skip
    p.add_argument("--top-db", type=_top_db, default=SUPPRESS, help="dB range below the peak kept, or 'none' "
                   "(default 80)")  # fmt: skip
    p.add_argument("--n-mfcc", type=number(int, 1), default=SUPPRESS, help="MFCCs (mfcc; default 30)")
    p.add_argument("--deltas", type=int, choices=(0, 1, 2), default=SUPPRESS, help="MFCC derivatives stacked "
                   "(mfcc; default 2)")  # fmt: skip
    p.add_argument("--delta-width", type=number(int, 3), default=SUPPRESS, help="frames in the MFCC derivatives' "
                   "window, odd (mfcc; default 9)")  # fmt: skip
    p.add_argument("--n-chroma", type=number(int, 1), default=SUPPRESS, help="pitch classes (chroma; default 12)")
    p.add_argument("--duration", type=seconds(), default=SUPPRESS,
                   help="seconds per track: one crop of this length (zero-padded if shorter); default the whole "
                   "track")  # fmt: skip
    p.add_argument("--crop", choices=CROPS, default=SUPPRESS, help="where the crop sits (with --duration; "
                   "default center)")  # fmt: skip
    p.add_argument("--workers", type=int, default=-1, help="worker processes (-1: all CPUs; with --dask, "
                   "local Dask workers)")  # fmt: skip
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="run on this Dask scheduler, e.g. tcp://HOST:8786 (the store and the input must be "
                       "on a file system the workers see at the same paths)")  # fmt: skip
    where.add_argument("--dask", action="store_true", help="run on a local Dask cluster of --workers processes")
    p.add_argument("--overwrite", action="store_true", help="recompute a store made with other parameters")
    p.add_argument("--retry-failed", action="store_true", help="try again the tracks that failed before")
    p.add_argument("--strict", action="store_true", help="exit with status 2 if any track failed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def params_of(args) -> ExtractParams:
    """The `ExtractParams` of parsed arguments; UsageError for options of another kind of feature."""
    values = {}
    for option, (dest, kinds, default) in KIND_OPTIONS.items():
        given = getattr(args, dest, None)  # options of one kind are absent unless given
        if given is not None and args.feature not in kinds:
            raise UsageError(f"{option} does not apply to --feature {args.feature}")
        if args.feature in kinds:
            values[dest] = default if given is None else (None if given is NO_FLOOR else given)
    duration, crop = getattr(args, "duration", None), getattr(args, "crop", None)
    if crop is not None and duration is None:
        raise UsageError("--crop needs --duration")
    return ExtractParams(feature=args.feature, sr=args.sr, n_fft=getattr(args, "n_fft", None),
                         hop_length=args.hop_length, duration=duration, crop=crop or "center", **values)  # fmt: skip


def run(args) -> None:
    """Extract ``args.input`` into ``args.out`` and print the summary."""
    if args.workers == 0:
        raise UsageError("--workers: 0 must be nonzero (-1 for all CPUs)")
    params = params_of(args)
    scheduler = True if args.dask else args.scheduler
    summary = extract(args.input, args.out, params=params, workers=args.workers, scheduler=scheduler,
                      overwrite=args.overwrite, retry_failed=args.retry_failed, progress=not args.quiet)  # fmt: skip
    print(summary)
    for what, listed in (("failed", summary.failures), ("warning", summary.warnings)):
        for track_id, text in listed[:LISTED]:
            print(f"  {what}: {track_id}: {text}")
        if len(listed) > LISTED:
            print(f"  ... and {len(listed) - LISTED} more (see {args.out / 'manifest.jsonl'})")
    failed = summary.failed + summary.failed_before
    if args.strict and failed:
        raise FasttagError(f"{failed} of {summary.total} tracks failed (--strict); their errors are in "
                           f"{args.out / 'manifest.jsonl'}")  # fmt: skip
