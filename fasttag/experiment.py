"""The founding study's comparison on one collection: seven taggers, one split, one table.

`run_study` trains and scores, on the same train/valid/test split:

- ``FCN-5`` on log-mels (trained first: its frozen feature map gives the CNN frames),
- ``CRNN`` on log-mels,
- ``MFCC+BoF`` and ``CNN+BoF``: an MLP on bag-of-frames histograms (k-means codebook of
  K codewords fitted on training frames) of 90-dimensional MFCC frames or of CNN frames,
- ``MFCC+LSTM`` and ``CNN+LSTM``: an LSTM on the same frame features,
- ``FCN-5+chroma``: not the study's; FCN-5 with a key-profile head on chroma rows
  (`fasttag.models.key_head`), for the tags a 96-bin mel scale cannot resolve (major, minor),

and `study_table` writes the markdown table (macro ROC-AUC and PR-AUC on the test split,
parameters, training and feature time) with the study's ROC-AUC beside ours.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from fasttag import _validate
from fasttag._torch_device import torch_device
from fasttag.bof_features import BagOfFramesFeatures
from fasttag.cnn_frames import CNNFrames
from fasttag.commands._data import split_arrays
from fasttag.datasets import read_dataset
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import MFCC, LogMel, LogMelChroma
from fasttag.models import _hparams
from fasttag.models.crnn import CHOI_CRNN_LAYERS
from fasttag.models.lstm import POOLINGS
from fasttag.recipes import CODEBOOK_SIZE, build_model, chroma_rows
from fasttag.store import FeatureStore
from fasttag.store_features import extract_options, store_for
from fasttag.training import evaluate, load_run, save_run, seeded_torch, train

#: The configurations in the order they run, and the study's macro ROC-AUC (its data).
CONFIGS = ("FCN-5", "CRNN", "MFCC+BoF", "CNN+BoF", "MFCC+LSTM", "CNN+LSTM", "FCN-5+chroma")
STUDY_ROC_AUC = {"CNN+BoF": 0.67, "MFCC+BoF": 0.62, "CNN+LSTM": 0.71, "MFCC+LSTM": 0.74}
SPLIT_NAMES = ("train", "valid", "test")


@dataclass(frozen=True)
class StudySettings:
    """How `run_study` sizes the models: `full` is the study's, `small` fits two CPU cores, `quick` is a
    smoke test in seconds."""

    epochs: int = 30
    codebook_size: int = CODEBOOK_SIZE
    frames_per_track: int = 256
    fcn_channels: tuple | None = None  #: None: Choi's FCN-5 (128 ... 2048)
    crnn_channels: tuple | None = None  #: None: Choi's CRNN (64, 128, 128, 128)
    crnn_hidden: int | None = None  #: None: 32
    lstm_hidden: int | None = None  #: None: 128
    lstm_pooling: str = "last"  #: the study's sequence-to-one summary; "mean" learns better on short data
    mlp_hidden: int | None = None  #: None: 256
    lr: float = 1e-3
    batch_size: int = 16

    def __post_init__(self):
        """ParameterError naming a bad setting now, before the study spends minutes on features."""
        for name in ("epochs", "codebook_size", "frames_per_track", "batch_size"):
            _validate.positive_int(getattr(self, name), name)
        for name in ("crnn_hidden", "lstm_hidden", "mlp_hidden"):
            if getattr(self, name) is not None:
                _validate.positive_int(getattr(self, name), name)
        for name, count in (("fcn_channels", 5), ("crnn_channels", len(CHOI_CRNN_LAYERS))):
            if getattr(self, name) is not None:
                _hparams.channels(getattr(self, name), count, name)
        _hparams.option(self.lstm_pooling, POOLINGS, "lstm_pooling")
        _validate.positive_float(self.lr, "lr")

    @classmethod
    def full(cls, **overrides) -> StudySettings:
        return cls(**overrides)

    @classmethod
    def small(cls, **overrides) -> StudySettings:
        narrow = dict(fcn_channels=(16, 32, 64, 64, 128), crnn_channels=(16, 32, 32, 32), lstm_hidden=64)
        return cls(**{**narrow, **overrides})

    @classmethod
    def quick(cls, **overrides) -> StudySettings:
        tiny = dict(epochs=2, codebook_size=8, frames_per_track=32, fcn_channels=(4, 4, 8, 8, 8),
                    crnn_channels=(4, 8, 8, 8), crnn_hidden=6, lstm_hidden=8, mlp_hidden=16, batch_size=8)  # fmt: skip
        return cls(**{**tiny, **overrides})


@dataclass
class StudyResult:
    """One row of the table."""

    config: str
    model: str  #: torch class of the tagger
    roc_auc: float  #: macro ROC-AUC on the test split
    pr_auc: float  #: macro PR-AUC on the test split
    n_params: int  #: trained weights of the tagger, plus the codebook's K x d for the BoF rows
    train_s: float  #: seconds of `fasttag.training.train`
    feature_s: float  #: seconds from audio to the tagger's input (all splits; codebook fitting included)
    study_roc_auc: float | None = None  #: the study's number, where it has one
    best_epoch: int = -1
    extra: dict = field(default_factory=dict)


def study_table(results: list[StudyResult]) -> str:
    """The results as a markdown table, with the study's ROC-AUC in its own column."""
    lines = [
        "| configuration | ROC-AUC | PR-AUC | study ROC-AUC | parameters | train time (s) | feature time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        study = "" if r.study_roc_auc is None else f"{r.study_roc_auc:.2f}"
        lines.append(f"| {r.config} | {r.roc_auc:.3f} | {r.pr_auc:.3f} | {study} | {r.n_params:,} | "
                     f"{r.train_s:.1f} | {r.feature_s:.1f} |")  # fmt: skip
    return "\n".join(lines)


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def run_study(data, *, out=None, settings: StudySettings | None = None, seed: int = 0, seconds: float | None = None,
              split_seed: int = 0, top_tags: int | None = None, stores=(), progress: bool = False, device="cpu",
              log: Callable[[str], None] = print) -> list[StudyResult]:  # fmt: skip
    """Train and score the study's configurations (`CONFIGS`) on one split of ``data``.

    Parameters
    ----------
    data : str or Path
        A collection `fasttag.datasets.read_dataset` reads, with train, valid and test tracks.
    out : str or Path, optional
        Where to write ``study.md`` (the table), ``study.json`` (rows and
        settings) and the runs under ``runs/`` (`fasttag evaluate` and
        `fasttag tag` take them); nothing is written when None. A configuration
        whose run is there, saved by a study of the same data, split, clip, stores,
        settings and seed, is taken from it instead of trained again: an interrupted
        study resumes (its features are computed again).
    settings : StudySettings, optional
        Model sizes, epochs and codebook; default `StudySettings.full`.
    seed : int
        Seed of every model, of training and of the codebook.
    seconds : float > 0, optional
        Clip length; default Choi's 29.12 s (1366 frames at 12 kHz, hop 256).
    split_seed, top_tags
        As in `fasttag.datasets.read_dataset`.
    stores : sequence of FeatureStore or folders
        Feature stores (``fasttag extract``) to read the log-mel and the MFCC from instead
        of decoding the audio (`fasttag.store_features.store_features`): each must hold one
        of them (``--duration SECONDS --crop start``). The chroma is decoded either way.
    progress : bool
        Progress bars while extracting and training.
    device : str or torch.device
        Where the taggers train and run: "cpu", "cuda" or "cuda:N" (features are computed
        on the CPU).
    log : callable
        Receives one line per stage (default `print`).

    Returns
    -------
    results : list of StudyResult
        One per entry of `CONFIGS`, in that order.
    """
    settings = settings or StudySettings.full()
    device = torch_device(device)
    seed = _validate.seed(seed)
    dataset = read_dataset(data, top=top_tags, seed=split_seed)
    tags = list(dataset.vocabulary)
    if not tags:
        raise FasttagError(f"{data} has no tags")
    logmel = LogMel() if seconds is None else LogMel(seconds=seconds)
    mfcc = MFCC(seconds=logmel.seconds)
    counts = {split: len(dataset.subset(split).tracks) for split in SPLIT_NAMES}
    log(f"{data}: {len(dataset.tracks)} tracks ({', '.join(f'{n} {s}' for s, n in counts.items())}), "
        f"{len(tags)} tags; clips of {logmel.seconds:g} s ({logmel.n_frames} frames)")  # fmt: skip

    sources = _stores_of(stores, (logmel, mfcc))
    for params, store in sources.items():
        if store is not None:
            log(f"{params.kind} features read from {store.root}")
    about = _as_json({"data": str(Path(data).resolve()), "split_seed": split_seed, "top_tags": top_tags, "tags": tags,
                      "clip": logmel.as_dict(), "stored": [p.kind for p, s in sources.items() if s is not None],
                      "settings": asdict(settings), "seed": seed})  # what makes a saved run this study's

    def arrays(params):
        store = sources.get(params)
        return {s: split_arrays(dataset, s, params, tags, data=data, progress=progress, store=store)
                for s in SPLIT_NAMES}  # fmt: skip

    (S, logmel_s), (M, mfcc_s) = _timed(arrays, logmel), _timed(arrays, mfcc)
    Y = {s: S[s][1] for s in SPLIT_NAMES}
    S, M = {s: S[s][0] for s in SPLIT_NAMES}, {s: M[s][0] for s in SPLIT_NAMES}
    log(f"features: log-mel {S['train'].shape[1:]} in {logmel_s:.1f} s, MFCC {M['train'].shape[1:]} in {mfcc_s:.1f} s")
    results: list[StudyResult] = []
    runs = None if out is None else Path(out) / "runs"

    def fit(config, name, X, feature_s, params, *, n_extra=0, **sizes):
        run_dir = None if runs is None else runs / config.lower().replace("+", "-")
        kept = _kept_run(run_dir, about, device)
        if kept is not None:
            results.append(kept[1])
            log(f"[{len(results)}/{len(CONFIGS)}] {config}: kept from {run_dir} (this study's run): test macro "
                f"ROC-AUC {kept[1].roc_auc:.3f}, PR-AUC {kept[1].pr_auc:.3f}")  # fmt: skip
            return kept[0]
        replacing = "" if run_dir is None or not run_dir.is_dir() else f" (replacing {run_dir}: not this study's run)"
        log(f"[{len(results) + 1}/{len(CONFIGS)}] {config}: training {name} on {X['train'].shape[1:]} "
            f"inputs{replacing}")  # fmt: skip
        with seeded_torch(seed, torch.device("cpu")):
            model = build_model(name, X["train"].shape[1], len(tags), n_chroma=chroma_rows(params), **sizes)
        history, train_s = _timed(train, model, X["train"], Y["train"], X["valid"], Y["valid"],
                                  epochs=settings.epochs, lr=settings.lr, batch_size=settings.batch_size,
                                  seed=seed, progress=progress, device=device)  # fmt: skip
        scores = evaluate(model, X["test"], Y["test"], tags)
        n_params = sum(p.numel() for p in model.parameters()) + n_extra
        result = StudyResult(config, type(model).__name__, scores.macro_roc_auc, scores.macro_pr_auc, n_params,
                             train_s, feature_s, STUDY_ROC_AUC.get(config), history.best_epoch)  # fmt: skip
        results.append(result)
        log(f"[{len(results)}/{len(CONFIGS)}] {config}: test macro ROC-AUC {result.roc_auc:.3f}, PR-AUC "
            f"{result.pr_auc:.3f}; train {train_s:.1f} s, features {feature_s:.1f} s")  # fmt: skip
        if run_dir is not None:
            info = {"command": "experiment study", "config": config, "seed": seed, "test_macro_roc_auc": result.roc_auc,
                    "test_macro_pr_auc": result.pr_auc, "study": about, "result": asdict(result)}  # fmt: skip
            save_run(run_dir, model, tags=tags, features=params, info=info)
        return model

    def bof(frames, X):
        params = BagOfFramesFeatures.fit(frames, X["train"], n_clusters=settings.codebook_size,
                                         frames_per_track=settings.frames_per_track, seed=seed)  # fmt: skip
        return params, {s: params.histograms(X[s]) for s in SPLIT_NAMES}

    fcn = fit("FCN-5", "fcn5", S, logmel_s, logmel, channels=settings.fcn_channels)
    fit("CRNN", "crnn", S, logmel_s, logmel, channels=settings.crnn_channels, hidden=settings.crnn_hidden)
    cnn = CNNFrames(fcn, tuple(tags), logmel)  # black-box transfer: the trained FCN-5, frozen
    C, cnn_s = _timed(lambda: {s: cnn.from_logmel(S[s]) for s in SPLIT_NAMES})
    log(f"CNN frames of FCN-5 block {cnn.block}: {C['train'].shape[1:]} in {cnn_s:.1f} s")
    (mfcc_bof, H), bof_s = _timed(bof, mfcc, M)
    fit("MFCC+BoF", "mlp-bof", H, mfcc_s + bof_s, mfcc_bof, hidden=settings.mlp_hidden,
        n_extra=mfcc_bof.centers.size)  # fmt: skip
    (cnn_bof, H), bof_s = _timed(bof, cnn, C)
    fit("CNN+BoF", "mlp-bof", H, logmel_s + cnn_s + bof_s, cnn_bof, hidden=settings.mlp_hidden,
        n_extra=cnn_bof.centers.size)  # fmt: skip
    fit("MFCC+LSTM", "lstm", M, mfcc_s, mfcc, hidden=settings.lstm_hidden, pooling=settings.lstm_pooling)
    fit("CNN+LSTM", "lstm", C, logmel_s + cnn_s, cnn, hidden=settings.lstm_hidden, pooling=settings.lstm_pooling)
    keyed = LogMelChroma(seconds=logmel.seconds)
    K, keyed_s = _timed(arrays, keyed)
    fit("FCN-5+chroma", "fcn5", {s: K[s][0] for s in SPLIT_NAMES}, keyed_s, keyed, channels=settings.fcn_channels)
    if out is not None:
        write_study(out, results, settings=settings, seed=seed, data=data, n_tracks=counts, clip=logmel.as_dict())
    return results


def _as_json(value):
    """``value`` as it reads back from JSON (tuples become lists, numpy numbers numbers)."""
    return json.loads(json.dumps(value, default=_json_number))


def _kept_run(run_dir, about: dict, device) -> tuple[torch.nn.Module, StudyResult] | None:
    """The tagger and row of a run that a study described by ``about`` saved in ``run_dir``, or None
    (no run there, another study's, or one cut short while it was saved: trained again)."""
    if run_dir is None or not run_dir.is_dir():
        return None
    try:
        run = load_run(run_dir, device=device)
    except FasttagError:
        return None
    if run.info.get("study") != about or "result" not in run.info:
        return None
    return run.model, StudyResult(**run.info["result"])


def _stores_of(stores, descriptions) -> dict:
    """``{description: the store that holds it, or None}``; ParameterError for a store that holds none,
    or two stores of the same features."""
    stores = [store if isinstance(store, FeatureStore) else FeatureStore(store) for store in stores]
    for i, store in enumerate(stores):
        twin = next((other for other in stores[:i] if other.params == store.params), None)
        if twin is not None:
            raise ParameterError(f"two stores of the same {store.params.get('feature')} features were given: "
                                 f"{str(twin.root)!r} and {str(store.root)!r}; give --store once per feature "
                                 "(a log-mel store and an MFCC store)")  # fmt: skip
    found = {params: store_for(stores, params) for params in descriptions}
    for store in stores:
        if all(store is not used for used in found.values()):
            wanted = "; ".join(f"{p.kind}: {extract_options(p)}" for p in descriptions)
            raise ParameterError(f"store {str(store.root)!r} holds none of the study's stored features; the "
                                 f"fasttag extract options of each are {wanted}")  # fmt: skip
    return found


def write_study(out, results: list[StudyResult], **about) -> tuple[Path, Path]:
    """Write ``out/study.md`` (the table) and ``out/study.json`` (rows and ``about``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    notes = ("ROC-AUC and PR-AUC: macro averages over the tags on the test split. Parameters: the tagger's "
             "trained weights, plus the K x d codebook for the BoF rows (the frozen FCN-5 of the CNN rows is "
             "not counted again). Feature time: audio to the tagger's input for all splits (CNN rows include "
             "the log-mel and the FCN-5 forward pass; BoF rows the codebook fit and histograms).")  # fmt: skip
    md = out / "study.md"
    md.write_text(f"# Study: {len(results)} taggers on one split\n\n{study_table(results)}\n\n{notes}\n")
    about = {k: (asdict(v) if hasattr(v, "__dataclass_fields__") else v) for k, v in about.items()}
    payload = _as_json({"results": [asdict(r) for r in results], **about})
    js = out / "study.json"
    js.write_text(json.dumps(payload, indent=2) + "\n")
    return md, js


def _json_number(x):
    if isinstance(x, (np.floating, np.integer)):
        return x.item()
    return str(x)
