"""``fasttag tag``: the most probable tags of audio files, folders or manifests under a trained run."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

from tqdm import tqdm

from fasttag.commands._args import FORMATTER, add_device, json_number, number
from fasttag.errors import AudioLoadError, FasttagError
from fasttag.extraction import find_tracks
from fasttag.store import write_text_atomic
from fasttag.tagging import tag_file
from fasttag.training import load_run


def add_parser(commands, summary: str) -> None:
    tag = commands.add_parser(
        "tag",
        formatter_class=FORMATTER,
        help=summary,
        description="Print the most probable tags of each audio file: files, folders (searched recursively) "
        "or manifest CSVs (as for fasttag extract). Files that cannot be read are named on stderr and "
        "skipped; then the status is 2. --csv writes every tag's probability, one row per file.",
    )
    tag.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="audio files, folders or manifest CSVs")
    tag.add_argument("--model", required=True, type=Path, metavar="RUN", help="run directory, e.g. demo_out/run")
    tag.add_argument("--top", type=number(int, 1), default=5, help="tags per file")
    output = tag.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON instead of text (a NaN probability is null)")
    output.add_argument("--csv", type=Path, default=None, metavar="OUT",
                        help="write a CSV of every tag's probability (path, then one column per tag of the run) "
                        "instead of printing")  # fmt: skip
    tag.add_argument("--quiet", action="store_true", help="no progress bar")
    add_device(tag, "runs")


def format_tags(tags: list[tuple[str, float]]) -> str:
    """``tag (0.93), tag (0.41), ...``"""
    return ", ".join(f"{tag} ({p:.2f})" for tag, p in tags)


def audio_paths(inputs) -> list[str]:
    """The files to tag: each input file as given, and the audio files of each folder (recursively)
    or manifest CSV (`fasttag.extraction.find_tracks`), relative to the working folder when the
    input is relative."""
    paths = []
    for source in inputs:
        if source.is_dir() or source.suffix.lower() == ".csv":
            found = [path for _, path in find_tracks(source)]
            paths += found if source.is_absolute() else [os.path.relpath(path) for path in found]
        else:
            paths.append(str(source))
    first = {}  # a file named twice (two spellings, or a folder and a file in it) is tagged once
    for path in paths:
        first.setdefault(os.path.realpath(path), path)
    return list(first.values())


def run(args) -> None:
    """Tags of every file that can be read; with several files, the others are named on stderr,
    then the status is 2 (one file that cannot be read is the command's error)."""
    if args.csv is not None and (args.csv.is_dir() or not args.csv.absolute().parent.is_dir()):
        raise FasttagError(f"--csv {args.csv}: {'is a folder' if args.csv.is_dir() else 'its folder does not exist'}")
    trained = load_run(args.model, device=args.device)
    paths = audio_paths(args.inputs)
    results, failed = {}, []
    for path in tqdm(paths, desc="tag", unit="file", disable=args.quiet or len(paths) < 2, leave=False):
        try:
            results[path] = tag_file(path, trained, top=None if args.csv else args.top)
        except AudioLoadError as error:
            if len(paths) == 1:
                raise
            tqdm.write(f"fasttag: error: {error}", file=sys.stderr)
            failed.append(path)
    if args.csv and results:
        _write_csv(args.csv, results, trained.tags)
        print(f"{len(results)} files tagged -> {args.csv}")
    elif not args.csv:
        _print(results, args.json)
    if failed:
        raise FasttagError(f"{len(failed)} of {len(paths)} files could not be tagged (named above)")


def _print(results: dict, as_json: bool) -> None:
    if as_json:  # strict JSON: a probability that is NaN or infinite is null
        listing = {path: [{"tag": t, "probability": json_number(p)} for t, p in tags]
                   for path, tags in results.items()}  # fmt: skip
        print(json.dumps(listing, indent=2, allow_nan=False))
    else:
        for path, tags in results.items():
            print(f"{path}: {format_tags(tags)}")


def _write_csv(out: Path, results: dict, vocabulary: list[str]) -> None:
    """``path,tag1,...`` with each file's probability of every tag of the run, written atomically."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["path", *vocabulary])
    for path, tags in results.items():
        probability = dict(tags)
        writer.writerow([path, *(f"{probability[tag]:.6f}" for tag in vocabulary)])
    write_text_atomic(out, text.getvalue())
