"""``fasttag train``: features of a labelled collection -> a trained tagger saved as a run."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import torch

from fasttag.bof_features import BagOfFramesFeatures
from fasttag.commands._args import add_device, int_list, number, seconds, seed
from fasttag.commands._data import refuse_unread_store, split_arrays, warn_short_clips
from fasttag.datasets import dataset_kind, read_dataset
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import LogMel, LogMelChroma, features_from_dict
from fasttag.recipes import (
    CODEBOOK_SIZE, MODEL_FEATURES, build_model, check_options, check_recipe, chroma_rows, frame_features, model_name,
)  # fmt: skip
from fasttag.store import FeatureStore
from fasttag.training import load_run, save_run, train
from fasttag.transfer import init_from

__all__ = ["MODEL_FEATURES", "add_parser", "build_model", "run"]  # build_model lives in fasttag.recipes


def add_parser(commands, summary: str) -> None:
    parser = commands.add_parser(
        "train",
        help=summary,
        description="Read a labelled collection (a path,tags[,split] CSV manifest, a MagnaTagATune "
        "folder, or GTZAN-style genre folders), compute features of the first SECONDS of each track "
        "with fasttag, train a tagger with Adam and early stopping on the validation split's macro "
        "ROC-AUC, and save it to OUT (model.pt and config.json) for `fasttag evaluate` and `fasttag tag`.",
    )
    add = parser.add_argument
    add("--data", required=True, type=Path, metavar="DATA",
        help="a .csv manifest, a MagnaTagATune folder, or a folder of genre folders")
    add("--store", type=Path, default=None, metavar="STORE",
        help="read the features from this feature store (fasttag extract DATA --out STORE --duration SECONDS "
        "--crop start, the features' other parameters alike) instead of decoding the audio (logmel, mfcc)")
    add("--model", required=True, choices=list(MODEL_FEATURES),
        help="tagger: Choi's FCN-4 or FCN-5, CRNN, a 2-layer LSTM, or an MLP on bag-of-frames histograms")
    add("--features", choices=("logmel", "mfcc", "logmel-chroma", "cnn"), default=None,
        help="model input (default: logmel for fcn4/fcn5/crnn, mfcc for lstm and mlp-bof); logmel: 12 kHz, "
        "n_fft 512, hop 256, 96 mels; mfcc: 30 coefficients + deltas + delta-deltas (90 rows); "
        f"logmel-chroma: the log-mel and 12 chroma rows (n_fft {LogMelChroma.chroma_n_fft}) for an FCN with a key "
        "head (fcn4/fcn5); cnn: the frame-by-frame feature map of the trained FCN of --cnn-run (lstm, mlp-bof)")
    add("--cnn-run", type=Path, default=None, metavar="RUN",
        help="trained fcn4/fcn5 run whose frozen feature map --features cnn takes")
    add("--cnn-block", type=number(int, 1), default=None,
        help="FCN block whose output --features cnn takes (default: the last)")
    add("--cnn-pool-time", action="store_true",
        help="keep the FCN's time pooling in --features cnn (fewer frames); default one vector per frame")
    add("--codebook-size", type=number(int, 1), default=None,
        help=f"mlp-bof: k-means codebook size K (default: {CODEBOOK_SIZE})")
    add("--frames-per-track", type=number(int, 1), default=256,
        help="mlp-bof: frames drawn from each training track to fit the codebook (default: %(default)s)")
    add("--init-from", type=Path, default=None, metavar="RUN",
        help="fine-tune: start from this trained run's weights (same model and features), with a fresh "
        "output layer for this data's tags")
    add("--out", required=True, type=Path, metavar="RUN", help="run directory to write (model.pt, config.json)")
    add_device(parser, "trains")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=seconds(), default=None,
                        help=f"clip length read from each track, s (default: {LogMel.seconds}, 1366 frames)")
    length.add_argument("--n-frames", type=number(int, 2), default=None,
                        help="clip length in frames of 256 samples at 12 kHz, instead of --seconds")
    add("--epochs", type=number(int, 1), default=30, help="maximum training epochs (default: %(default)s)")
    add("--batch-size", type=number(int, 1), default=16, help="clips per gradient step (default: %(default)s)")
    add("--lr", type=number(float, 0, above=True), default=1e-3, help="Adam learning rate (default: %(default)s)")
    add("--patience", type=number(int, 1), default=8,
        help="epochs without improvement before stopping (default: %(default)s)")
    add("--lr-patience", type=number(int, 1), default=None, metavar="N",
        help="divide the learning rate by 5 after N epochs without a better validation ROC-AUC (default: never)")
    add("--seed", type=seed(), default=0, help="seed of the model and training (default: %(default)s)")
    add("--split-seed", type=seed(), default=0,
        help="seed of the split where the data has none (GTZAN, manifests without a split column; "
        "default: %(default)s)")
    add("--top-tags", type=number(int, 1), default=None,
        help="keep the N most frequent tags (default: 50 for MagnaTagATune, all otherwise)")
    add("--channels", type=int_list, default=None, metavar="C1,C2,...",
        help="conv channels per block for fcn4/fcn5/crnn (default: the papers')")
    add("--hidden", type=number(int, 1), default=None,
        help="recurrent units per layer for crnn (32) and lstm (128); hidden width for mlp-bof (256)")
    add("--pooling", choices=("last", "mean"), default=None,
        help="lstm: summarise a clip by the state after the last frame (default, the study's) or the mean state")
    add("--quiet", action="store_true", help="no progress bars")


def _features(args, seconds):
    """The frame-level feature description, and the run to fine-tune from (or None)."""
    check_options(args.model, channels=args.channels, hidden=args.hidden, pooling=args.pooling)
    if args.init_from is None:
        kind = args.features or MODEL_FEATURES[args.model]
        check_recipe(args.model, kind)
        if args.model != "mlp-bof" and (args.codebook_size is not None):
            raise ParameterError(f"--codebook-size applies to --model mlp-bof only, not {args.model}")
        frames = frame_features(kind, seconds=seconds, cnn_run=args.cnn_run, cnn_block=args.cnn_block,
                                pool_time=args.cnn_pool_time)  # fmt: skip
        return frames, None
    if args.model == "mlp-bof" or args.codebook_size is not None or args.cnn_run is not None or \
            args.cnn_block is not None or args.cnn_pool_time:  # fmt: skip
        raise ParameterError("--init-from fine-tunes fcn4, fcn5, crnn or lstm on the run's own features; it does not "
                             "combine with mlp-bof, --codebook-size, --cnn-run, --cnn-block or --cnn-pool-time")
    source = load_run(args.init_from)
    if model_name(source.model) != args.model:
        raise ParameterError(f"--init-from {args.init_from} holds a {model_name(source.model)}, "
                             f"not --model {args.model}")
    kind = source.features.get("kind", "logmel")
    if args.features is not None and args.features != kind:
        raise ParameterError(f"--init-from {args.init_from} was trained on {kind} features, "
                             f"not --features {args.features}")
    if kind not in ("logmel", "mfcc", "logmel-chroma"):
        raise ParameterError(f"--init-from needs a run on logmel, mfcc or logmel-chroma features, not {kind}")
    frames = features_from_dict(source.features)
    return (frames if seconds is None else dataclasses.replace(frames, seconds=seconds)), source


def _fine_tuned(args, source, n_tags: int):
    """The run's architecture with ``n_tags`` fresh outputs, and the names of the tensors copied from it
    (`init_from`); --channels, --hidden and --pooling must agree with the run's."""
    given = {"channels": args.channels, "hidden": args.hidden, "pooling": args.pooling}
    hparams = {**source.model.hparams, **{k: v for k, v in given.items() if v is not None}, "n_tags": n_tags}
    torch.manual_seed(args.seed)
    model = type(source.model)(**hparams)
    return model, init_from(model, source)


def run(args) -> None:
    seconds = args.seconds
    if args.n_frames is not None:
        seconds = (args.n_frames - 1) * LogMel.hop_length / LogMel.sr
    frames, source = _features(args, seconds)
    refuse_unread_store(args.store, frames, f"--model {args.model}")
    layout = dataset_kind(args.data)
    dataset = read_dataset(args.data, top=args.top_tags, seed=args.split_seed)
    tags = list(dataset.vocabulary)
    if not tags:
        raise FasttagError(f"{args.data} has no tags")
    tuned = None if source is None else _fine_tuned(args, source, len(tags))  # refused before features are computed
    print(f"{args.data} ({layout}): {len(dataset.tracks)} tracks, {len(tags)} tags; "
          f"{frames.kind} features of {frames.seconds:g} s ({frames.n_features} x {frames.n_frames})")  # fmt: skip
    progress = not args.quiet
    start = time.perf_counter()
    store = None if args.store is None else FeatureStore(args.store)  # its manifest read once, for both splits
    if store is None:
        warn_short_clips(dataset.tracks, frames.seconds)
    source_of = dict(data=args.data, progress=progress, store=store)
    X_train, Y_train = split_arrays(dataset, "train", frames, tags, **source_of)
    X_valid, Y_valid = split_arrays(dataset, "valid", frames, tags, **source_of)
    params = frames
    if args.model == "mlp-bof":
        k = CODEBOOK_SIZE if args.codebook_size is None else args.codebook_size
        params = BagOfFramesFeatures.fit(frames, X_train, n_clusters=k, frames_per_track=args.frames_per_track,
                                         seed=args.seed, progress=progress)  # fmt: skip
        X_train, X_valid = params.histograms(X_train), params.histograms(X_valid)
        print(f"bag of frames: codebook of {k} codewords fitted on the training tracks' frames")
    feature_s = time.perf_counter() - start
    if tuned is None:
        torch.manual_seed(args.seed)
        model = build_model(args.model, params.n_features, len(tags), channels=args.channels, hidden=args.hidden,
                            pooling=args.pooling, n_chroma=chroma_rows(params))  # fmt: skip
    else:
        model, copied = tuned
        print(f"fine-tuning from {args.init_from}: {len(copied)} tensors copied, new output layer for {len(tags)} tags")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({type(model).__name__}, {n_params} parameters) on {len(X_train)} tracks, "
          f"validating on {len(X_valid)}")  # fmt: skip
    start = time.perf_counter()
    history = train(model, X_train, Y_train, X_valid, Y_valid, epochs=args.epochs, lr=args.lr,
                    batch_size=args.batch_size, seed=args.seed, patience=args.patience,
                    lr_patience=args.lr_patience, progress=progress,
                    device=args.device)  # fmt: skip
    train_s = time.perf_counter() - start
    print(f"kept epoch {history.best_epoch + 1} of {len(history.valid_auc)}, "
          f"validation macro ROC-AUC {history.best_valid_auc:.3f}")  # fmt: skip
    info = {
        "command": "train", "model": args.model,
        "data": {"path": str(args.data), "kind": layout, "top_tags": args.top_tags,
                 "store": None if args.store is None else str(args.store),
                 "split_seed": args.split_seed, "n_train": len(X_train), "n_valid": len(X_valid)},
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                     "patience": args.patience, "lr_patience": args.lr_patience, "seed": args.seed,
                     "init_from": None if args.init_from is None else str(args.init_from)},
        "history": {"train_loss": history.train_loss, "valid_auc": history.valid_auc,
                    "best_epoch": history.best_epoch, "best_valid_auc": history.best_valid_auc},
        "timing": {"feature_s": feature_s, "train_s": train_s},
    }  # fmt: skip
    run_dir = save_run(args.out, model, tags=tags, features=params, info=info)
    print(f"saved run -> {run_dir}")
