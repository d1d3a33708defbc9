"""``fasttag demo``: generate tagged music, train a small FCN-4 on log-mels, evaluate, tag a file."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

import fasttag
from fasttag.commands._args import FORMATTER, number, seconds, seed
from fasttag.commands.tag import format_tags
from fasttag.datasets import make_tagged_music, multi_hot, read_manifest
from fasttag.featurizers import LogMel
from fasttag.models import FCN
from fasttag.tagging import tag_file
from fasttag.training import evaluate, save_run, train

# The demo's tagger: a narrow FCN-4 that trains in a minute or two on two CPU cores.
DEMO_CHANNELS = (8, 16, 64, 128)
DEMO_LR = 3e-3


def add_parser(commands, summary: str) -> None:
    demo = commands.add_parser(
        "demo",
        formatter_class=FORMATTER,
        help=summary,
        description="Generate a synthetic tagged-music set, extract log-mel features (12 kHz, "
        "n_fft 512, hop 256, 96 mels), train a small FCN-4, print per-tag ROC-AUC / PR-AUC on "
        "the test split, tag one test file and save the run under OUT/run.",
    )
    demo.add_argument("--out", type=Path, default=Path("demo_out"), help="output directory")
    demo.add_argument("--n-tracks", type=number(int, 10), default=300,
                      help="clips to generate (at least 10, for three splits)")
    demo.add_argument("--seconds", type=seconds(), default=10.0, help="clip length, s")
    demo.add_argument("--epochs", type=number(int, 1), default=30, help="maximum training epochs")
    demo.add_argument("--seed", type=seed(), default=0, help="seed of data, model and training")


def _openable(path) -> str:
    """``path`` as the user can open it: relative to the working directory when it lies inside it, else absolute."""
    path = os.path.abspath(path)
    try:
        inside = os.path.relpath(path)
    except ValueError:  # on another drive (Windows)
        return path
    return path if inside == os.pardir or inside.startswith(os.pardir + os.sep) else inside


@contextmanager
def _stage(timings: dict, name: str):
    """Time a block into ``timings[name]`` (seconds) and say when it is done."""
    start = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - start
    print(f"[{name}] {timings[name]:.1f} s", flush=True)


def run(args) -> None:
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
        print(_openable(track.path))
        print(f"  top-5 : {format_tags(predicted)}")
        print(f"  true  : {', '.join(track.tags)}")
    total = sum(timings.values())
    print("timing: " + ", ".join(f"{name} {t:.1f} s" for name, t in timings.items()) + f"; total {total:.1f} s")
