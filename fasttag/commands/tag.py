"""``fasttag tag``: the most probable tags of audio files under a trained run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fasttag.commands._args import FORMATTER, add_device, number
from fasttag.errors import AudioLoadError, FasttagError
from fasttag.tagging import tag_file
from fasttag.training import load_run


def add_parser(commands) -> None:
    tag = commands.add_parser("tag", formatter_class=FORMATTER, help="tag audio files with a trained run")
    tag.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files")
    tag.add_argument("--model", required=True, type=Path, metavar="RUN", help="run directory, e.g. demo_out/run")
    tag.add_argument("--top", type=number(int, 1), default=5, help="tags per file")
    tag.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_device(tag, "runs")


def format_tags(tags: list[tuple[str, float]]) -> str:
    """``tag (0.93), tag (0.41), ...``"""
    return ", ".join(f"{tag} ({p:.2f})" for tag, p in tags)


def run(args) -> None:
    """Tags of every file that can be read; with several files, the others are named on stderr,
    then the status is 2 (one file that cannot be read is the command's error)."""
    trained = load_run(args.model, device=args.device)
    results, failed = {}, []
    for path in args.files:
        try:
            results[str(path)] = tag_file(path, trained, top=args.top)
        except AudioLoadError as error:
            if len(args.files) == 1:
                raise
            print(f"fasttag: error: {error}", file=sys.stderr)
            failed.append(path)
    _print(results, args.json)
    if failed:
        raise FasttagError(f"{len(failed)} of {len(args.files)} files could not be tagged (named above)")


def _print(results: dict, as_json: bool) -> None:
    if as_json:
        listing = {path: [{"tag": t, "probability": p} for t, p in tags] for path, tags in results.items()}
        print(json.dumps(listing, indent=2))
    else:
        for path, tags in results.items():
            print(f"{path}: {format_tags(tags)}")
