"""The ``fasttag`` command: ``fasttag demo`` trains and evaluates a tagger end to end,
``fasttag tag`` applies a trained one to audio files."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

import fasttag
from fasttag.datasets import make_tagged_music, multi_hot, read_manifest
from fasttag.errors import FasttagError
from fasttag.models import FCN
from fasttag.tagging import LogMel, tag_file
from fasttag.training import evaluate, load_run, save_run, train

# The demo's tagger: a narrow FCN-4 that trains in a minute or two on two CPU cores.
DEMO_CHANNELS = (8, 16, 64, 128)
DEMO_LR = 3e-3


class _UsageError(Exception):
    """Bad command-line arguments (reported in one line, exit status 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the usage too, then exit
        raise _UsageError(message)


def _number(kind: type, low: float, *, above: bool = False):
    """An argparse ``type``: ``kind(text)``, at least ``low`` (or above it)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value < low or (above and value == low):
            raise argparse.ArgumentTypeError(f"{text} must be {'>' if above else '>='} {low}")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fasttag", description="Fast music auto-tagging.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    defaults = argparse.ArgumentDefaultsHelpFormatter
    demo = commands.add_parser(
        "demo",
        formatter_class=defaults,
        help="generate tagged music, train an FCN on log-mel features, evaluate and tag",
        description="Generate a synthetic tagged-music set, extract log-mel features (12 kHz, "
        "n_fft 512, hop 256, 96 mels), train a small FCN-4, print per-tag ROC-AUC / PR-AUC on "
        "the test split, tag one test file and save the run under OUT/run.",
    )
    demo.add_argument("--out", type=Path, default=Path("demo_out"), help="output directory")
    demo.add_argument("--n-tracks", type=_number(int, 10), default=300, help="clips to generate")
    demo.add_argument("--seconds", type=_number(float, 0, above=True), default=10.0, help="clip length, s")
    demo.add_argument("--epochs", type=_number(int, 1), default=30, help="maximum training epochs")
    demo.add_argument("--seed", type=_number(int, 0), default=0, help="seed of data, model and training")
    tag = commands.add_parser("tag", formatter_class=defaults, help="tag audio files with a trained run")
    tag.add_argument("files", nargs="+", type=Path, metavar="FILE", help="audio files")
    tag.add_argument("--model", required=True, type=Path, metavar="RUN", help="run directory, e.g. demo_out/run")
    tag.add_argument("--top", type=_number(int, 1), default=5, help="tags per file")
    tag.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


@contextmanager
def _stage(timings: dict, name: str):
    """Time a block into ``timings[name]`` (seconds) and say when it is done."""
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
    print(f"[{name}] {timings[name]:.1f} s", flush=True)


def _demo(args) -> None:
    timings: dict[str, float] = {}
    params = LogMel(seconds=args.seconds)
    with _stage(timings, "generate"):
        manifest = make_tagged_music(
            args.n_tracks, seconds=args.seconds, sr=params.sr, seed=args.seed, out=args.out / "data"
        )
        tracks, vocabulary = read_manifest(manifest)
        print(f"{len(tracks)} clips of {args.seconds:g} s at {params.sr} Hz, {len(vocabulary)} tags -> {manifest}")
    with _stage(timings, "load"):
        audio = np.stack([fasttag.load(t.path, sr=params.sr)[0] for t in tracks])
    with _stage(timings, "logmel"):
        X = params(audio)
        print(f"log-mel features {X.shape} (clips, mels, frames) in one fasttag.logmel call")
    Y = multi_hot(tracks, vocabulary)
    split = np.array([t.split for t in tracks])
    parts = {name: (X[split == name], Y[split == name]) for name in ("train", "valid", "test")}
    with _stage(timings, "train"):
        torch.manual_seed(args.seed)
        model = FCN(len(vocabulary), n_mels=params.n_mels, n_layers=4, channels=DEMO_CHANNELS)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"training FCN-4 {DEMO_CHANNELS}, {n_params} parameters, on {len(parts['train'][0])} clips")
        history = train(model, *parts["train"], *parts["valid"], epochs=args.epochs, lr=DEMO_LR, seed=args.seed)
        print(f"kept epoch {history.best_epoch + 1} of {len(history.valid_auc)}, "
              f"validation macro ROC-AUC {history.best_valid_auc:.3f}")  # fmt: skip
    with _stage(timings, "evaluate"):
        scores = evaluate(model, *parts["test"], vocabulary)
        print(f"test split, {len(parts['test'][0])} clips:")
        print(scores.table())
        print(f"macro ROC-AUC {scores.macro_roc_auc:.3f}, macro PR-AUC {scores.macro_pr_auc:.3f}")
    info = {
        "test_macro_roc_auc": scores.macro_roc_auc, "test_macro_pr_auc": scores.macro_pr_auc,
        "epochs_run": len(history.valid_auc), "best_epoch": history.best_epoch, "seed": args.seed,
    }  # fmt: skip
    run_dir = save_run(args.out / "run", model, tags=vocabulary, features=params.as_dict(), info=info)
    print(f"saved run -> {run_dir}")
    with _stage(timings, "tag"):
        track = next(t for t in tracks if t.split == "test")
        predicted = tag_file(track.path, run_dir, top=5)
        print(track.track_id)
        print(f"  top-5 : {_format(predicted)}")
        print(f"  true  : {', '.join(track.tags)}")
    total = sum(timings.values())
    print("timing: " + ", ".join(f"{name} {t:.1f} s" for name, t in timings.items()) + f"; total {total:.1f} s")


def _format(tags: list[tuple[str, float]]) -> str:
    return ", ".join(f"{tag} ({p:.2f})" for tag, p in tags)


def _tag(args) -> None:
    run = load_run(args.model)
    results = {str(path): tag_file(path, run, top=args.top) for path in args.files}
    if args.json:
        listing = {path: [{"tag": t, "probability": p} for t, p in tags] for path, tags in results.items()}
        print(json.dumps(listing, indent=2))
    else:
        for path, tags in results.items():
            print(f"{path}: {_format(tags)}")


def main(argv: list[str] | None = None) -> int:
    """Run the ``fasttag`` command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    status : int
        0 on success, 2 on bad arguments or input (reported in one line on
        stderr, without a traceback).
    """
    try:
        args = _parser().parse_args(argv)
        {"demo": _demo, "tag": _tag}[args.command](args)
    except (_UsageError, FasttagError, OSError) as exc:
        print(f"fasttag: error: {exc}", file=sys.stderr)
        return 2
    return 0
