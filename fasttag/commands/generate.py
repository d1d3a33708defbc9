"""``fasttag generate``: a collection of synthetic tagged music (`make_tagged_music`) on disk."""

from __future__ import annotations

import time
from pathlib import Path

from fasttag.commands._args import FORMATTER, MAX_SECONDS, UsageError, number, sample_rate, seed
from fasttag.datasets import make_tagged_music
from fasttag.datasets.synthetic import FORMATS, MIN_SECONDS, MIN_SR


def add_parser(commands, summary: str) -> None:
    parser = commands.add_parser(
        "generate", formatter_class=FORMATTER, help=summary,
        description="Write N reproducible music-like clips with exact tags (instruments, drums, tempo, "
        "mode, loudness, texture, room) and OUT/manifest.csv (path,tags,split), which `fasttag train`, "
        "`extract` and `experiment study` read as they would read a user's collection.",
    )  # fmt: skip
    add = parser.add_argument
    add("--out", required=True, type=Path, metavar="DIR", help="folder for manifest.csv and audio/")
    add("--n-tracks", type=number(int, 1), default=200, help="number of clips")
    add("--seconds", type=number(float, MIN_SECONDS, high=MAX_SECONDS), default=29.12, help="clip length, s")
    add("--sr", type=sample_rate(MIN_SR), default=12000, help="sampling rate, Hz")
    add("--seed", type=seed(), default=0, help="seed: the same seed writes the same files")
    add("--format", choices=sorted(FORMATS), default="flac", help="audio format")
    add("--workers", type=int, default=-1, help="processes rendering clips (-1: all CPUs)")
    add("--quiet", action="store_true", help="no progress bar")


def run(args) -> None:
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} is a file, not a folder: give a folder for manifest.csv and audio/")
    start = time.perf_counter()
    manifest = make_tagged_music(args.n_tracks, seconds=args.seconds, sr=args.sr, seed=args.seed, out=args.out,
                                 fmt=args.format, workers=args.workers, progress=not args.quiet)  # fmt: skip
    print(f"{manifest}: {args.n_tracks} clips of {args.seconds:g} s in {time.perf_counter() - start:.1f} s")
