"""``fasttag evaluate``: ROC-AUC and PR-AUC of a trained run on one split of a labelled collection."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fasttag.commands._args import add_device, json_number, seed
from fasttag.commands._data import refuse_unread_store, split_arrays
from fasttag.datasets import SPLITS, read_dataset
from fasttag.errors import FasttagError
from fasttag.featurizers import features_from_dict
from fasttag.metrics import TagScores
from fasttag.training import evaluate, load_run


def add_parser(commands, summary: str) -> None:
    parser = commands.add_parser(
        "evaluate",
        help=summary,
        description="Compute the run's features of the first seconds of each track of one split and "
        "print ROC-AUC and PR-AUC per tag, their macro averages (over the tags that have both positive "
        "and negative tracks in the split; the others are listed) and micro averages (all track-tag "
        "pairs). Tags of the data that the run has no output for are listed as not scored; data with none "
        "of the run's tags is an error. The data is split as in `fasttag train` (same split seed by default).",
    )
    parser.add_argument("run", type=Path, metavar="RUN", help="run directory (from fasttag train or demo)")
    parser.add_argument("--data", required=True, type=Path, metavar="DATA", help="dataset file or folder")
    parser.add_argument("--store", type=Path, default=None, metavar="STORE",
                        help="read the features from this feature store instead of decoding the audio "
                        "(as in fasttag train --store: runs on logmel or mfcc, mlp-bof on mfcc)")
    parser.add_argument("--split", choices=SPLITS, default="test", help="which tracks to score (default: %(default)s)")
    parser.add_argument("--split-seed", type=seed(), default=None,
                        help="seed of the split where the data has none (default: the run's)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_device(parser, "runs")


def scores_json(scores: TagScores) -> dict:
    """The scores as JSON-ready data: per tag, macro and micro averages, undefined tags (NaN -> null)."""
    return {
        "tags": {
            tag: {"positives": int(n), "roc_auc": json_number(roc), "pr_auc": json_number(pr)}
            for tag, n, roc, pr in zip(scores.tags, scores.positives, scores.roc_auc, scores.pr_auc)
        },
        "macro": {"roc_auc": json_number(scores.macro_roc_auc), "pr_auc": json_number(scores.macro_pr_auc)},
        "micro": {"roc_auc": json_number(scores.micro_roc_auc), "pr_auc": json_number(scores.micro_pr_auc)},
        "undefined": list(scores.undefined),
    }


def _few(tags, n: int = 5) -> str:
    """The first ``n`` of ``tags``, comma-separated ("..." when there are more)."""
    return ", ".join(tags[:n]) + (", ..." if len(tags) > n else "")


def _check_shared_tags(run_tags: list[str], dataset, data) -> None:
    """FasttagError where no track of ``dataset`` has a tag of the run: every score would be undefined."""
    occurring = {tag for track in dataset.tracks for tag in track.tags}
    if occurring.isdisjoint(run_tags):
        data_tags = [tag for tag in dataset.vocabulary if tag in occurring]  # most frequent first
        found = f"its tags are {_few(data_tags)}" if data_tags else "its tracks have no tags"
        raise FasttagError(f"none of the run's {len(run_tags)} tags ({_few(run_tags)}) occur in {data}: {found}")


def run(args) -> None:
    trained = load_run(args.run, device=args.device)
    params = features_from_dict(trained.features, root=trained.path)
    refuse_unread_store(args.store, params, str(args.run))
    saved = trained.info.get("data")  # what fasttag train recorded; absent in demo runs
    saved_seed = saved.get("split_seed", 0) if isinstance(saved, dict) else 0
    split_seed = saved_seed if args.split_seed is None else args.split_seed
    # Every tag of the data (no top-N cut): the run's vocabulary picks the label columns.
    dataset = read_dataset(args.data, top=sys.maxsize, seed=split_seed)
    _check_shared_tags(trained.tags, dataset, args.data)
    X, Y = split_arrays(dataset, args.split, params, trained.tags, data=args.data, progress=not args.quiet,
                        store=args.store)
    scores = evaluate(trained.model, X, Y, trained.tags)
    known = set(trained.tags)
    not_scored = [tag for tag in dataset.vocabulary if tag not in known]  # the run has no output for them
    if args.json:
        report = {"run": str(args.run), "data": str(args.data), "split": args.split, "n_tracks": len(X)}
        print(json.dumps({**report, **scores_json(scores), "not_scored": not_scored}, indent=2, allow_nan=False))
        return
    print(f"{args.run} on {args.data}, {args.split} split, {len(X)} tracks:")
    print(scores.table())
    if not_scored:
        print(f"not scored (tags of the data the run was not trained on): {', '.join(not_scored)}")

