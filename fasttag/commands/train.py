"""``fasttag train``: features of a labelled collection -> a trained tagger saved as a run."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fasttag.commands._args import int_list, number
from fasttag.commands._data import split_arrays
from fasttag.datasets import dataset_kind, read_dataset
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import FEATURES, LogMel
from fasttag.models import CRNN, FCN, LSTMTagger
from fasttag.training import save_run, train

#: The ``--model`` choices and the ``--features`` each takes by default (the study's pairs).
MODEL_FEATURES = {"fcn4": "logmel", "fcn5": "logmel", "crnn": "logmel", "lstm": "mfcc"}


def build_model(name: str, n_features: int, n_tags: int, *, channels=None, hidden=None) -> nn.Module:
    """A fresh tagger for ``--model name``.

    Parameters
    ----------
    name : {"fcn4", "fcn5", "crnn", "lstm"}
        `FCN` with 4 or 5 layers, `CRNN`, or `LSTMTagger`.
    n_features : int > 0
        Rows of the input features (mel bins, or MFCCs and deltas).
    n_tags : int > 0
        Outputs.
    channels : list of int, optional
        Conv channels per block (FCN and CRNN); default the papers'.
    hidden : int, optional
        Recurrent units per layer (CRNN: 32, LSTM: 128 by default).

    Raises
    ------
    ParameterError
        An unknown name, or an option the model does not have.
    """
    if name not in MODEL_FEATURES:
        raise ParameterError(f"model {name!r} is not one of {', '.join(MODEL_FEATURES)}")
    if name == "lstm" and channels is not None:
        raise ParameterError("--channels does not apply to --model lstm (it has no convolutions)")
    if name.startswith("fcn") and hidden is not None:
        raise ParameterError(f"--hidden does not apply to --model {name} (it has no recurrent layers)")
    if name.startswith("fcn"):
        return FCN(n_tags, n_mels=n_features, n_layers=int(name[3]), channels=channels)
    recurrent = {} if hidden is None else {"hidden": hidden}
    if name == "crnn":
        return CRNN(n_tags, n_mels=n_features, channels=channels, **recurrent)
    return LSTMTagger(n_features, n_tags, **recurrent)


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "train",
        help="train a tagger on a labelled collection and save it as a run",
        description="Read a labelled collection (a path,tags[,split] CSV manifest, a MagnaTagATune "
        "folder, or GTZAN-style genre folders), compute features of the first SECONDS of each track "
        "with fasttag, train a tagger with Adam and early stopping on the validation split's macro "
        "ROC-AUC, and save it to OUT (model.pt and config.json) for `fasttag evaluate` and `fasttag tag`.",
    )
    add = parser.add_argument
    add("--data", required=True, type=Path, metavar="DATA",
        help="a .csv manifest, a MagnaTagATune folder, or a folder of genre folders")
    add("--model", required=True, choices=list(MODEL_FEATURES),
        help="tagger: Choi's FCN-4 or FCN-5, CRNN, or a 2-layer LSTM")
    add("--features", choices=sorted(FEATURES), default=None,
        help="model input (default: logmel for fcn4/fcn5/crnn, mfcc for lstm); logmel: 12 kHz, n_fft 512, "
        "hop 256, 96 mels; mfcc: 30 coefficients + deltas + delta-deltas (90 rows)")
    add("--out", required=True, type=Path, metavar="RUN", help="run directory to write (model.pt, config.json)")
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=number(float, 0, above=True), default=None,
                        help=f"clip length read from each track, s (default: {LogMel.seconds}, 1366 frames)")
    length.add_argument("--n-frames", type=number(int, 2), default=None,
                        help="clip length in frames of 256 samples at 12 kHz, instead of --seconds")
    add("--epochs", type=number(int, 1), default=30, help="maximum training epochs (default: %(default)s)")
    add("--batch-size", type=number(int, 1), default=16, help="clips per gradient step (default: %(default)s)")
    add("--lr", type=number(float, 0, above=True), default=1e-3, help="Adam learning rate (default: %(default)s)")
    add("--patience", type=number(int, 1), default=8,
        help="epochs without improvement before stopping (default: %(default)s)")
    add("--seed", type=number(int, 0), default=0, help="seed of the model and training (default: %(default)s)")
    add("--split-seed", type=number(int, 0), default=0,
        help="seed of the split where the data has none (GTZAN, manifests without a split column; "
        "default: %(default)s)")
    add("--top-tags", type=number(int, 1), default=None,
        help="keep the N most frequent tags (default: 50 for MagnaTagATune, all otherwise)")
    add("--channels", type=int_list, default=None, metavar="C1,C2,...",
        help="conv channels per block for fcn4/fcn5/crnn (default: the papers')")
    add("--hidden", type=number(int, 1), default=None,
        help="recurrent units per layer for crnn (32) and lstm (128)")
    add("--quiet", action="store_true", help="no progress bars")


def run(args) -> None:
    kind = args.features or MODEL_FEATURES[args.model]
    cls = FEATURES[kind]
    defaults = cls()
    seconds = args.seconds
    if args.n_frames is not None:
        seconds = (args.n_frames - 1) * defaults.hop_length / defaults.sr
    params = cls() if seconds is None else cls(seconds=seconds)
    layout = dataset_kind(args.data)
    dataset = read_dataset(args.data, top=args.top_tags, seed=args.split_seed)
    tags = list(dataset.vocabulary)
    if not tags:
        raise FasttagError(f"{args.data} has no tags")
    print(f"{args.data} ({layout}): {len(dataset.tracks)} tracks, {len(tags)} tags; "
          f"{kind} features of {params.seconds:g} s ({params.n_features} x {params.n_frames})")  # fmt: skip
    progress = not args.quiet
    X_train, Y_train = split_arrays(dataset, "train", params, tags, data=args.data, progress=progress)
    X_valid, Y_valid = split_arrays(dataset, "valid", params, tags, data=args.data, progress=progress)
    torch.manual_seed(args.seed)
    model = build_model(args.model, params.n_features, len(tags), channels=args.channels, hidden=args.hidden)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({type(model).__name__}, {n_params} parameters) on {len(X_train)} tracks, "
          f"validating on {len(X_valid)}")  # fmt: skip
    history = train(model, X_train, Y_train, X_valid, Y_valid, epochs=args.epochs, lr=args.lr,
                    batch_size=args.batch_size, seed=args.seed, patience=args.patience, progress=progress)  # fmt: skip
    print(f"kept epoch {history.best_epoch + 1} of {len(history.valid_auc)}, "
          f"validation macro ROC-AUC {history.best_valid_auc:.3f}")  # fmt: skip
    info = {
        "command": "train", "model": args.model,
        "data": {"path": str(args.data), "kind": layout, "top_tags": args.top_tags,
                 "split_seed": args.split_seed, "n_train": len(X_train), "n_valid": len(X_valid)},
        "training": {"epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
                     "patience": args.patience, "seed": args.seed},
        "history": {"train_loss": history.train_loss, "valid_auc": history.valid_auc,
                    "best_epoch": history.best_epoch, "best_valid_auc": history.best_valid_auc},
    }  # fmt: skip
    run_dir = save_run(args.out, model, tags=tags, features=params.as_dict(), info=info)
    print(f"saved run -> {run_dir}")
