"""Train, evaluate and apply taggers on feature arrays; save and load runs (torch, on the CPU or a CUDA GPU)."""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from fasttag import _validate
from fasttag._torch_device import model_device, torch_device
from fasttag.errors import FasttagError, ParameterError
from fasttag.feature_stack import FeatureStack
from fasttag.metrics import TagScores, host_array, roc_auc_per_tag, summarize
from fasttag.models import MODELS
from fasttag.models._inputs import check_shape

CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.pt"
PREDICT_BATCH = 64  # tracks per forward pass of `predict` (and of the validation in `train`)
_FEATURE_KEYS = ("sr", "n_fft", "hop_length", "n_mels", "seconds")


@dataclass
class History:
    """What `train` did: one entry per epoch run, and the epoch that was kept.

    ``best_epoch`` is a 0-based index into the lists (-1 before any epoch): the epoch
    ``best_epoch + 1`` in the 1-based count that ``fasttag train`` prints ("kept epoch 2 of 2").
    """

    train_loss: list[float] = field(default_factory=list)  #: mean BCE over the epoch
    valid_auc: list[float] = field(default_factory=list)  #: macro ROC-AUC after the epoch
    lr: list[float] = field(default_factory=list)  #: learning rate the epoch ran with
    best_epoch: int = -1  #: 0-based index of the kept epoch
    best_valid_auc: float = float("-inf")


@dataclass
class Run:
    """A trained tagger with everything needed to apply it to audio (see `load_run`)."""

    model: nn.Module
    tags: list[str]  #: tag vocabulary, one per model output
    #: feature description: kind, sr, n_fft, hop_length, n_mels, seconds, ...; fasttag.featurizers.extract takes it
    #: as it is (learned kinds, cnn and bof, need features_from_dict(run.features, root=run.path))
    features: dict
    info: dict  #: anything else saved with it (scores, training settings)
    path: Path | None = None  #: the run directory it was loaded from (learned features keep files there)


CHUNK_BYTES = 1 << 24  # tracks per pass over a feature array: 16 MB of float32 (a float64 copy in the statistics)


def _track_chunks(X: np.ndarray):
    """Consecutive slices of whole tracks of about CHUNK_BYTES (views: a memmap stays on disk)."""
    step = max(1, CHUNK_BYTES // max(1, X[:1].nbytes))
    for start in range(0, len(X), step):
        yield X[start : start + step]


def _check_xy(name: str, X, Y=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Features (and labels) as float32 arrays, checked: finite, 0/1 labels, matching lengths.

    A float32 X is used as it is, read-only or memory-mapped too: only batches are copied,
    and the checks read it a chunk at a time, so nothing of its size is allocated. A
    `FeatureStack` is not read here: each batch is checked where it is read. Torch tensors
    (any device) are copied to the host.
    """
    if isinstance(X, FeatureStack):
        if len(X) == 0:
            raise ParameterError(f"{name} must be a non-empty (n_tracks, ...) array; got shape {X.shape}")
    else:
        with np.errstate(over="ignore"):  # float64 beyond float32's range: named below, not warned
            try:
                given = host_array(X)
                X = np.asarray(given, dtype=np.float32)
            except (TypeError, ValueError) as error:  # e.g. tracks of different shapes
                raise ParameterError(f"{name} must be an array of numbers, all tracks of one shape "
                                     f"(n_tracks, ...): {error}") from None
        if X.ndim < 2 or len(X) == 0 or not all(np.isfinite(chunk).all() for chunk in _track_chunks(X)):
            beyond = X.ndim >= 2 and len(X) > 0 and np.isfinite(given).all()
            raise ParameterError(f"{name} must be a non-empty, finite (n_tracks, ...) array; got shape {X.shape}"
                                 + ("; its values pass float32's range (the models compute in float32)"
                                    if beyond else ""))  # fmt: skip
    if Y is None:
        return X, None
    Y = np.array(host_array(Y), dtype=np.float32)  # small; a writable copy for torch
    if Y.ndim != 2 or len(Y) != len(X):
        raise ParameterError(f"labels for {name} must be a 0/1 array of shape ({len(X)}, n_tags); got shape {Y.shape}")
    other = Y[~np.isin(Y, (0, 1))]
    if other.size:
        raise ParameterError(f"labels for {name} must be 0 or 1; got {other.size} other values, such as {other[0]:g}")
    return X, Y


def _check_model_takes(model: nn.Module, X, name: str) -> None:
    """ParameterError naming ``name`` and X's whole shape when a `fasttag.models` tagger would
    refuse its batches (the shape the model checks is a batch's), or when the model is not
    float32, the precision `train` and `predict` feed it. Other modules pass."""
    mean = getattr(model, "feature_mean", None)
    if not isinstance(mean, torch.Tensor):
        return
    check_shape(model, tuple(X.shape), mean.shape[0], mean.dim() == 2, name=name, batch="n_tracks")
    if mean.dtype != torch.float32:
        raise ParameterError(f"train and predict compute in float32 but this {type(model).__name__} holds "
                             f"{mean.dtype}: convert it with model.float()")


def _check_n_tags(model: nn.Module, Y: np.ndarray, name: str) -> None:
    """ParameterError naming ``name`` when the labels' columns are not a `fasttag.models` tagger's n_tags."""
    n_tags = getattr(model, "hparams", {}).get("n_tags")
    if n_tags is not None and Y.shape[1] != n_tags:
        raise ParameterError(f"{name} has {Y.shape[1]} tags per track but the model has n_tags={n_tags}")


def _check_standardized(model: nn.Module) -> None:
    """ParameterError unless ``model`` has the input standardisation of `fasttag.models` (train fits it)."""
    buffers = ("feature_mean", "feature_std")
    missing = [name for name in buffers if not isinstance(getattr(model, name, None), torch.Tensor)]
    if missing:
        raise ParameterError(f"model must be a fasttag.models tagger, with the buffers feature_mean and feature_std "
                             f"that train fits; this {type(model).__name__} lacks {missing}")


def _has_batch_norm(model: nn.Module) -> bool:
    return any(isinstance(module, nn.modules.batchnorm._BatchNorm) for module in model.modules())


def _batch_count(model: nn.Module, n_tracks: int, batch_size: int) -> int:
    """Batches per epoch: near-equal ones of at most ``batch_size`` tracks, with no trailing batch of one
    track; ParameterError when a model with batch norm would still get batches of one (it cannot train on
    one track's statistics)."""
    n_batches = -(-n_tracks // batch_size)
    if batch_size > 1 and n_batches > 1 and n_tracks // n_batches < 2:  # e.g. 3 tracks in batches of 2
        n_batches = n_tracks // 2
    if n_tracks // n_batches < 2 and _has_batch_norm(model):
        given = (f"X_train has {n_tracks} track" if n_tracks < 2
                 else f"batch_size={batch_size} gives batches of one track")  # fmt: skip
        raise ParameterError(f"{given}, but this {type(model).__name__} has batch norm, which needs at least 2 "
                             "tracks per batch in training")
    return n_batches


def fit_standardization(model: nn.Module, X: np.ndarray) -> None:
    """Set ``model.feature_mean`` / ``feature_std`` to the statistics of ``X`` per feature.

    Parameters
    ----------
    model : nn.Module
        A model with those buffers (any of `fasttag.models`).
    X : np.ndarray [shape=(n_tracks, n_features, ...)]
        Training features; statistics are taken over every axis but axis 1
        (per mel bin for spectrograms), in float64, a chunk of tracks at a time
        (a memory-mapped X is read once, never copied whole). Deviations below
        1e-6 are set to 1.
    """
    _check_standardized(model)
    n_features = model.feature_mean.numel()
    if X.ndim < 2 or X.shape[1] != n_features:
        raise ParameterError(f"X must have shape (n_tracks, {n_features}, ...) for the model's {n_features} "
                             f"features; got shape {tuple(X.shape)}")
    axes = tuple(a for a in range(X.ndim) if a != 1)
    count, mean, m2 = 0, np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for chunk in _track_chunks(X):  # Chan et al.'s pairwise update of the mean and squared deviations
        values = chunk.astype(np.float64)
        n = values.size // X.shape[1]
        chunk_mean = values.mean(axis=axes, keepdims=True)
        values -= chunk_mean
        chunk_m2 = np.square(values, out=values).sum(axis=axes)
        delta = chunk_mean.reshape(-1) - mean
        mean += delta * (n / (count + n))
        m2 += chunk_m2 + delta**2 * (count * n / (count + n))
        count += n
    std = np.sqrt(m2 / count)
    if not (np.isfinite(mean).all() and np.isfinite(std).all()):  # a FeatureStack is first read here
        raise ParameterError("X_train contains NaN or infinite values")
    std[std < 1e-6] = 1.0
    with torch.no_grad():
        model.feature_mean.copy_(torch.from_numpy(mean).reshape(model.feature_mean.shape))
        model.feature_std.copy_(torch.from_numpy(std).reshape(model.feature_std.shape))


def predict(model: nn.Module, X, *, batch_size: int = PREDICT_BATCH) -> np.ndarray:
    """Tag probabilities, computed on the device the model is on.

    Parameters
    ----------
    model : nn.Module
        A tagger returning logits; it is put in eval mode.
    X : array_like [shape=(n_tracks, ...)]
        Features, as the model takes them (for `FCN`: (n_tracks, n_mels, n_frames)).
    batch_size : int > 0
        Tracks per forward pass.

    Returns
    -------
    probabilities : np.ndarray [shape=(n_tracks, n_tags), dtype=float32]
        Sigmoid of the logits. float32 saturates: logits above about 17 all give 1.0, so rank
        the logits themselves for ROC-AUC and PR-AUC (as `evaluate` does).
    """
    X, _ = _check_xy("X", X)
    _check_model_takes(model, X, "X")
    logits = _logits(model, X, _validate.positive_int(batch_size, "batch_size"), "X")
    return torch.sigmoid(torch.from_numpy(logits)).numpy()


def _logits(model: nn.Module, X, batch_size: int, name: str) -> np.ndarray:
    """The model's outputs (n_tracks, n_tags) on checked features, in eval mode; errors name them ``name``."""
    model.eval()
    device = model_device(model)
    with torch.no_grad():
        starts = range(0, len(X), batch_size)
        batches = (_batch(X, slice(start, start + batch_size), name) for start in starts)
        return torch.cat([model(x.to(device)).cpu() for x in batches]).numpy()


def _batch(X, index, name: str) -> torch.Tensor:
    """The tracks ``index`` of checked features as a tensor. A `FeatureStack`'s are checked for
    NaN/Inf here, as they are read (an array was checked whole); a read-only array's are copied
    (torch.from_numpy warns on read-only memory)."""
    batch = X[index]
    if isinstance(X, FeatureStack):
        if not np.isfinite(batch).all():
            raise ParameterError(f"{name} contains NaN or infinite values")
    elif not batch.flags.writeable:
        batch = batch.copy()
    return torch.from_numpy(batch)


def _macro_auc(Y: np.ndarray, scores: np.ndarray) -> float:
    auc = roc_auc_per_tag(Y, scores)
    return float(auc[~np.isnan(auc)].mean())


def train(
    model: nn.Module,
    X_train,
    Y_train,
    X_valid,
    Y_valid,
    *,
    epochs: int = 30,
    lr: float = 1e-3,
    batch_size: int = 16,
    seed: int = 0,
    patience: int = 8,
    lr_patience: int | None = None,
    lr_factor: float = 0.2,
    progress: bool = True,
    device=None,
) -> History:
    """Fit a tagger with Adam and binary cross-entropy, early-stopped on validation ROC-AUC.

    The model's input standardisation is first fitted on ``X_train``. Each
    epoch visits the training tracks in a seeded random order; after it, the
    macro ROC-AUC on the validation set is measured. Training stops after
    ``patience`` epochs without improvement, and the model is left with the
    weights of its best epoch. With the same seed, model initialisation
    (seed torch before building the model) and thread count, results are
    repeatable on the CPU (on a GPU, up to cuDNN's nondeterministic kernels).

    Parameters
    ----------
    model : nn.Module
        A `fasttag.models` tagger (returning logits); trained in place.
    X_train : array_like [shape=(n_train, ...)]
        Training features, float32. A float32 array is used as it is, a
        read-only or memory-mapped one (``np.load(..., mmap_mode="r")``) too:
        only each batch is copied, and the checks and statistics read it a
        chunk at a time, so memory holds X once.
    Y_train : array_like [shape=(n_train, n_tags)]
        Training labels, 0 or 1.
    X_valid, Y_valid : array_like [shape=(n_valid, ...), (n_valid, n_tags)]
        Validation features and labels; at least one tag must have both
        positive and negative tracks.
    epochs : int > 0
        Maximum number of passes over the training set.
    lr : float > 0
        Adam learning rate.
    batch_size : int > 0
        Tracks per gradient step (near-equal batches, none of one track when avoidable); at
        least 2 for models with batch norm (`FCN`, `CRNN`), which X_train must then have too.
    seed : int
        Seeds dropout and the shuffling. torch's random state (CPU, and the GPU trained on) is
        restored on return: the caller's random streams are not reseeded.
    patience : int > 0
        Epochs without a better validation ROC-AUC before stopping.
    lr_patience : int > 0, optional
        Multiply the learning rate by ``lr_factor`` after this many epochs without a better
        validation ROC-AUC (`torch.optim.lr_scheduler.ReduceLROnPlateau`); None keeps it.
    lr_factor : float in (0, 1)
        The learning-rate decay of ``lr_patience``.
    progress : bool
        Show tqdm bars (on stderr): one over the epochs, with the loss and validation ROC-AUC,
        and one over the batches of the epoch running.
    device : str or torch.device, optional
        Where to train: "cpu", "cuda" or "cuda:N"; the model is moved there and stays
        (`predict` runs where the model is). None: where the model already is. The
        feature arrays stay in host memory and go to the device a batch at a time.

    Returns
    -------
    history : History
        Loss and validation ROC-AUC per epoch (ranked by the logits, as in `evaluate`), and
        the epoch kept. The model is left in eval mode.
    """
    X_train, Y_train = _check_xy("X_train", X_train, Y_train)
    X_valid, Y_valid = _check_xy("X_valid", X_valid, Y_valid)
    _check_standardized(model)
    _check_model_takes(model, X_train, "X_train")
    if X_valid.shape[1:] != X_train.shape[1:] or Y_valid.shape[1] != Y_train.shape[1]:
        raise ParameterError(
            f"validation shapes {X_valid.shape}, {Y_valid.shape} do not match training shapes "
            f"{X_train.shape}, {Y_train.shape} beyond the first axis"
        )
    _check_n_tags(model, Y_train, "Y_train")
    if np.isnan(roc_auc_per_tag(Y_valid, np.zeros_like(Y_valid))).all():
        raise ParameterError("Y_valid has no tag with both positive and negative tracks")
    if not _validate.is_finite_real(lr_factor) or not 0 < lr_factor < 1:
        raise ParameterError(f"lr_factor={lr_factor!r} must be in (0, 1)")
    epochs, batch_size, patience = (_validate.positive_int(value, name) for value, name in (
        (epochs, "epochs"), (batch_size, "batch_size"), (patience, "patience")))  # fmt: skip
    if lr_patience is not None:
        lr_patience = _validate.positive_int(lr_patience, "lr_patience")
    lr = _validate.positive_float(lr, "lr")
    seed = _validate.seed(seed)
    progress = _validate.flag(progress, "progress")
    n_batches = _batch_count(model, len(X_train), batch_size)
    device = model_device(model) if device is None else torch_device(device)

    model.to(device)
    with seeded_torch(seed, device):
        shuffle = torch.Generator().manual_seed(seed)
        fit_standardization(model, X_train)
        Y = torch.from_numpy(Y_train)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        plateau = (None if lr_patience is None else torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode="max", factor=lr_factor, patience=lr_patience - 1))  # fmt: skip
        loss_fn = nn.BCEWithLogitsLoss()
        history, best_state = History(), copy.deepcopy(model.state_dict())
        bar = tqdm(range(epochs), desc="train", unit="epoch", disable=not progress, leave=False)
        for epoch in bar:
            model.train()
            total = 0.0
            # Near-equal batches: no trailing batch of one track for batch norm.
            batches = torch.randperm(len(X_train), generator=shuffle).tensor_split(n_batches)
            for idx in tqdm(batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", disable=not progress,
                            leave=False):
                optimizer.zero_grad()
                batch = _batch(X_train, idx.numpy(), "X_train")  # a copy of the batch's tracks only
                loss = loss_fn(model(batch.to(device)), Y[idx].to(device))
                if not torch.isfinite(loss):
                    model.load_state_dict(best_state)
                    raise FasttagError(f"training diverged: the loss is {loss.item()} in epoch {epoch + 1} (lr={lr:g}; "
                                       "try a lower one); the model keeps the weights of its best epoch so far "
                                       "(its initial ones before any)")  # fmt: skip
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
            auc = _macro_auc(Y_valid, _logits(model, X_valid, PREDICT_BATCH, "X_valid"))
            history.train_loss.append(total / len(X_train))
            history.valid_auc.append(auc)
            history.lr.append(optimizer.param_groups[0]["lr"])
            if plateau is not None:
                plateau.step(auc)
            if auc > history.best_valid_auc:
                history.best_epoch, history.best_valid_auc = epoch, auc
                best_state = copy.deepcopy(model.state_dict())
            bar.set_postfix(loss=f"{total / len(X_train):.4f}", val_auc=f"{auc:.3f}")
            if epoch - history.best_epoch >= patience:
                break
        model.load_state_dict(best_state)
        return history


@contextlib.contextmanager
def seeded_torch(seed: int, device: torch.device):
    """Run with torch's CPU generator, and ``device``'s when it is a GPU, seeded by ``seed``; their states
    are restored on exit, so that `train` leaves the caller's random streams as they were."""
    cuda = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        for gpu in cuda:
            with torch.cuda.device(gpu):
                torch.cuda.manual_seed(seed)
        yield


def evaluate(model: nn.Module, X, Y, tags) -> TagScores:
    """Per-tag and averaged ROC-AUC / PR-AUC of a model on labelled features.

    Both are ranking scores, computed from the logits: the sigmoid is monotonic, but in
    float32 it rounds every logit above about 17 to 1.0, and ties among confident tracks
    would lower the scores. The model is put in eval mode.

    Parameters
    ----------
    model : nn.Module
        A tagger returning logits.
    X : array_like [shape=(n_tracks, ...)]
        Features.
    Y : array_like [shape=(n_tracks, n_tags)]
        Labels, 0 or 1.
    tags : sequence of str [shape=(n_tags,)]
        Tag names.

    Returns
    -------
    scores : fasttag.metrics.TagScores
    """
    X, Y = _check_xy("X", X, Y)
    _check_model_takes(model, X, "X")
    _check_n_tags(model, Y, "Y")
    return summarize(Y, _logits(model, X, PREDICT_BATCH, "X"), tags)


def save_run(run_dir, model: nn.Module, *, tags, features, info: dict | None = None) -> Path:
    """Save a trained tagger: ``model.pt`` (state dict) and ``config.json``.

    The state dict holds the weights and the input standardisation;
    ``config.json`` holds the model class and ``hparams``, the tags, the
    feature parameters and ``info``.

    Parameters
    ----------
    run_dir : str or Path
        Directory (created if needed); existing run files are replaced.
    model : nn.Module
        A `fasttag.models` tagger.
    tags : sequence of str [shape=(n_tags,)]
        The tag of each model output.
    features : dict or a `fasttag.featurizers.FEATURES` description
        How the model's input is computed from audio: a description, or its
        ``as_dict()`` (JSON-serialisable: its ``kind`` and parameters), which
        `fasttag.tagging.tag_file` rebuilds. It must have ``sr``, ``n_fft``,
        ``hop_length``, ``n_mels`` and ``seconds`` (clip length), may have more
        (``kind``, ``fmin``, ``fmax``, ``top_db``, ``n_mfcc``, ...). A
        description with ``save_files`` (learned features: a codebook, a CNN)
        writes its files into ``run_dir`` too.
    info : dict, optional
        Anything else to keep, JSON-serialisable (scores, training settings; numpy
        scalars and arrays are stored as numbers and lists).

    Returns
    -------
    run_dir : Path
    """
    name = type(model).__name__
    if MODELS.get(name) is not type(model):
        raise ParameterError(f"model of type {name} is not one of fasttag.models {sorted(MODELS)}")
    tags = _checked_tags(tags, model.hparams["n_tags"])
    description = None if isinstance(features, dict) else features
    if description is not None:
        features = description.as_dict()
    missing = [key for key in _FEATURE_KEYS if key not in features]
    if missing:
        raise ParameterError(f"features={features!r} lacks {missing}")
    config = {
        "model": {"name": name, "hparams": model.hparams},
        "tags": tags,
        "features": dict(features),
        "info": dict(info or {}),
    }
    try:
        text = json.dumps(config, indent=2, default=_json_value) + "\n"
    except TypeError as exc:
        raise ParameterError(f"info and features must be JSON-serialisable (numbers, strings, lists, dicts, "
                             f"numpy values): {exc}") from None  # fmt: skip
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if hasattr(description, "save_files"):
        description.save_files(run_dir)
    (run_dir / CONFIG_FILE).write_text(text)
    torch.save(model.state_dict(), run_dir / WEIGHTS_FILE)
    return run_dir


def _json_value(value):
    """numpy scalars and arrays (as `evaluate`'s scores hold) in JSON form."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} {value!r} is not JSON-serialisable")


def _checked_tags(tags, n_tags: int) -> list[str]:
    """``tags`` as a list of ``n_tags`` distinct strings (one per model output), or ParameterError."""
    tags = _validate.strings(tags, "tags")
    if len(tags) != n_tags:
        raise ParameterError(f"len(tags)={len(tags)} must equal the model's n_tags={n_tags}")
    repeated = sorted({tag for tag in tags if tags.count(tag) > 1})
    if repeated:
        raise ParameterError(f"tags must be distinct: {repeated[:5]} occur more than once")
    return tags


def load_run(run_dir, *, device="cpu") -> Run:
    """Rebuild a tagger saved by `save_run`, in eval mode.

    Parameters
    ----------
    run_dir : str or Path
        Directory holding ``config.json`` and ``model.pt``.
    device : str or torch.device
        Where the model goes: "cpu", "cuda" or "cuda:N".

    Returns
    -------
    run : Run

    Raises
    ------
    FasttagError
        A file is missing, or the files do not describe a model fasttag knows.
    """
    device = torch_device(device)
    run_dir = Path(run_dir)
    if run_dir.is_file():
        raise FasttagError(f"{run_dir} is a file: a fasttag run is the folder that holds {CONFIG_FILE} and "
                           f"{WEIGHTS_FILE}")  # fmt: skip
    for name in (CONFIG_FILE, WEIGHTS_FILE):
        if not (run_dir / name).is_file():
            raise FasttagError(f"{run_dir} is not a fasttag run: {name} is missing")
    try:
        config = json.loads((run_dir / CONFIG_FILE).read_text())
        model = MODELS[config["model"]["name"]](**config["model"]["hparams"])
        tags = _checked_tags(config["tags"], model.hparams["n_tags"])
        features, info = dict(config["features"]), dict(config["info"])
    except (ValueError, KeyError, TypeError, RuntimeError, MemoryError) as exc:  # ParameterError; sizes torch refuses
        raise FasttagError(f"{run_dir} holds an unreadable fasttag run: {exc!r}") from exc
    try:
        model.load_state_dict(torch.load(run_dir / WEIGHTS_FILE, map_location="cpu", weights_only=True))
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise FasttagError(f"{run_dir / WEIGHTS_FILE} does not hold the weights of its {config['model']['name']} "
                           f"(a partial copy?): {exc!r}") from exc  # fmt: skip
    diverged = [name for name, value in model.state_dict().items()
                if value.is_floating_point() and not torch.isfinite(value).all()]  # fmt: skip
    if diverged:
        raise FasttagError(f"{run_dir / WEIGHTS_FILE} holds NaN or infinite weights in {diverged[:3]}: its training "
                           "diverged")  # fmt: skip
    model.to(device).eval()
    return Run(model=model, tags=tags, features=features, info=info, path=run_dir)
