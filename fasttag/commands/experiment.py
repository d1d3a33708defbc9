"""``fasttag experiment study``: the study's taggers and an FCN-5 with a key head on one split, as a table."""

from __future__ import annotations

from pathlib import Path

from fasttag.commands._args import Parser, add_device, number, seconds, seed
from fasttag.experiment import CONFIGS, StudySettings, run_study, study_table
from fasttag.models.lstm import POOLINGS

SIZES = {"full": StudySettings.full, "small": StudySettings.small, "quick": StudySettings.quick}


def add_parser(commands, summary: str) -> None:
    parser = commands.add_parser(
        "experiment",
        help=summary,
        description="Experiments that train several taggers on one split and tabulate their scores.",
    )
    experiments = parser.add_subparsers(dest="experiment", required=True, parser_class=Parser)
    study = experiments.add_parser(
        "study",
        help="FCN-5, CRNN, MFCC/CNN + bag of frames (MLP), MFCC/CNN + LSTM, FCN-5 + chroma key head",
        description=f"Train {', '.join(CONFIGS)} on the same train/valid/test split of DATA (FCN-5 first: "
        "its frozen feature map gives the CNN frames; K-codeword bags of frames fitted on training frames), "
        "print a markdown table of test macro ROC-AUC and PR-AUC, parameters, training and feature time, "
        "with the study's ROC-AUC beside ours, and write it to OUT/study.md and OUT/study.json, the runs "
        "to OUT/runs/. Run again with the same options, it keeps the runs saved in OUT/runs/ and trains the "
        "others: an interrupted study resumes.",
    )
    add = study.add_argument
    add("--data", required=True, type=Path, metavar="DATA", help="dataset file or folder (as for fasttag train)")
    add("--out", required=True, type=Path, metavar="DIR", help="directory for study.md, study.json and runs/")
    add("--size", choices=list(SIZES), default="full",
        help="full: the study's models (FCN-5 128..2048 channels, CRNN 64/128, LSTM 2 x 128); small: narrow "
        "ones for a CPU (FCN-5 16..128, CRNN 16/32, LSTM 2 x 64); quick: tiny models, 2 epochs, K=8, a smoke "
        "test in seconds (explicit options still win; default: %(default)s)")
    add("--epochs", type=number(int, 1), default=None, help="maximum training epochs (default: 30; quick: 2)")
    add("--codebook-size", type=number(int, 1), default=None, help="codebook size K (default: 1024; quick: 8)")
    add("--lstm-pooling", choices=POOLINGS, default=None,
        help="the LSTMs' clip summary: the last state (the study's, default) or the mean over frames")
    add("--seconds", type=seconds(), default=None,
        help="clip length read from each track, s (default: 29.12, 1366 frames)")
    add("--seed", type=seed(), default=0, help="seed of models, training and codebooks (default: %(default)s)")
    add("--split-seed", type=seed(), default=0, help="seed of the split where the data has none (default: %(default)s)")
    add("--top-tags", type=number(int, 1), default=None,
        help="keep the N most frequent tags (default: 50 for MagnaTagATune, all otherwise)")
    add("--store", action="append", type=Path, default=[], metavar="STORE",
        help="read the log-mel or the MFCC from this feature store instead of decoding the audio (as fasttag "
        "train --store; give it twice for both)")
    add("--quiet", action="store_true", help="no progress bars")
    add_device(study, "trains")


def run(args) -> None:
    given = (("epochs", args.epochs), ("codebook_size", args.codebook_size), ("lstm_pooling", args.lstm_pooling))
    settings = SIZES[args.size](**{k: v for k, v in given if v is not None})
    results = run_study(args.data, out=args.out, settings=settings, seed=args.seed, seconds=args.seconds,
                        split_seed=args.split_seed, top_tags=args.top_tags, stores=args.store, progress=not args.quiet,
                        device=args.device)  # fmt: skip
    print()
    print(study_table(results))
    print(f"\nwritten: {args.out / 'study.md'}, {args.out / 'study.json'}, runs in {args.out / 'runs'}")
