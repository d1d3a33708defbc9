"""Training features read from a feature store (``fasttag extract``) instead of computed from audio."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from fasttag.datasets import Track
from fasttag.errors import ParameterError
from fasttag.extraction import ExtractParams
from fasttag.store import FeatureStore, StoreError

#: ``fasttag extract`` options of the parameters that differ from its defaults.
_OPTIONS = {"sr": "--sr", "n_fft": "--n-fft", "hop_length": "--hop", "n_mels": "--n-mels", "fmin": "--fmin",
            "fmax": "--fmax", "top_db": "--top-db", "n_mfcc": "--n-mfcc", "deltas": "--deltas",
            "delta_width": "--delta-width"}  # fmt: skip


def store_features(store, tracks: Sequence[Track], params, *, progress: bool = False):
    """The features of ``tracks`` as a feature store holds them: `extract_readable` without decoding.

    The store must hold what ``params`` computes, `ExtractParams.from_featurizer(params)`:
    the first ``params.seconds`` of each track (``fasttag extract --duration SECONDS --crop
    start``) with the same feature parameters. Its last frame or two may differ slightly
    from ``params`` on the decoded clip (the resampler's edge). A track is found by its
    file (the path the store recorded), else by its id (a store made on another machine).

    Parameters
    ----------
    store : FeatureStore, str or os.PathLike
        The store, or its folder.
    tracks : sequence of Track
        E.g. ``read_dataset(path).subset("train").tracks``.
    params : `fasttag.featurizers.LogMel` or `fasttag.featurizers.MFCC`
        What the model takes.
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    features : np.ndarray [shape=(n_found, n_features, n_frames), dtype=float32]
        The arrays of the tracks whose extraction succeeded, in the order of ``tracks``.
    skipped : list of (int, str)
        The index in ``tracks`` and the error of each track whose extraction failed.

    Raises
    ------
    ParameterError
        ``params`` is a kind a store does not hold, or the store was made with other
        parameters (the message gives the ``fasttag extract`` options that make the right one).
    StoreError
        Tracks the store does not list, or whose file changed size since the extraction
        (run it again: it resumes and redoes those); an array of another shape; every track
        failed.
    """
    if len(tracks) == 0:
        raise ParameterError("tracks is empty: no features to read")
    if not isinstance(store, FeatureStore):
        store = FeatureStore(store)
    wanted = ExtractParams.from_featurizer(params)
    if store.params != wanted.as_dict():
        raise ParameterError(f"store {str(store.root)!r} holds {_described(store.params)}, not the {params.kind} "
                             f"features the model takes; make one with: fasttag extract DATA --out STORE "
                             f"{_options(wanted)}")  # fmt: skip
    ids = _store_ids(store, tracks)
    skipped = [(i, f"{tracks[i].path}: {store.failed[ids[i]]}") for i in range(len(tracks)) if ids[i] in store.failed]
    if len(skipped) == len(tracks):
        raise StoreError(f"the extraction of all {len(tracks)} tracks failed; the first: {skipped[0][1]}")
    failed = {i for i, _ in skipped}
    shape = (wanted.n_features, params.n_frames)
    out = np.empty((len(tracks) - len(skipped), *shape), dtype=np.float32)
    found = (i for i in range(len(tracks)) if i not in failed)
    for row, i in enumerate(tqdm(found, total=len(out), desc="store", unit="track", disable=not progress)):
        array = store[ids[i]]
        if array.shape != shape:
            raise StoreError(f"the array of track {ids[i]!r} in {store.root} has shape {array.shape}, not {shape}")
        out[row] = array
    return out, skipped


def _store_ids(store: FeatureStore, tracks: Sequence[Track]) -> list[str]:
    """The store's id of each track, by file then by id; StoreError for tracks missing or changed."""
    by_file = {os.path.realpath(r["path"]): track_id for track_id, r in store.records.items() if "path" in r}
    ids, missing, changed = [], [], []
    for track in tracks:
        track_id = by_file.get(os.path.realpath(track.path), track.track_id)
        record = store.records.get(track_id)
        if record is None:
            missing.append(track.track_id)
        elif record.get("size") is not None and _size(track.path) not in (None, record["size"]):
            changed.append(track.track_id)
        ids.append(track_id)
    for names, what in ((missing, "not in"), (changed, "changed since their extraction into")):
        if names:
            raise StoreError(f"{len(names)} of the {len(tracks)} tracks are {what} {store.root} (the first: "
                             f"{', '.join(map(repr, names[:3]))}): run fasttag extract on the data again; "
                             "it resumes and does only these")  # fmt: skip
    return ids


def _size(path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def _described(params: dict) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in params.items())


def _options(wanted: ExtractParams) -> str:
    """The ``fasttag extract`` options that make a store of ``wanted``."""
    defaults = ExtractParams(feature=wanted.feature)
    options = [f"--feature {wanted.feature}", f"--duration {wanted.duration!r}", f"--crop {wanted.crop}"]
    for name, value in wanted.as_dict().items():
        if name in _OPTIONS and value != getattr(defaults, name):
            options.append(f"{_OPTIONS[name]} {'none' if value is None else repr(value)}")
    return " ".join(options)
