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

#: The feature descriptions (`fasttag.featurizers`) a store can hold.
STORED_KINDS = ("logmel", "mfcc")

#: ``fasttag extract`` options of the parameters that differ from its defaults.
_OPTIONS = {"sr": "--sr", "n_fft": "--n-fft", "hop_length": "--hop", "n_mels": "--n-mels", "fmin": "--fmin",
            "fmax": "--fmax", "top_db": "--top-db", "n_mfcc": "--n-mfcc", "deltas": "--deltas",
            "delta_width": "--delta-width"}  # fmt: skip


class FeatureStack:
    """Tracks' arrays in a feature store as one read-only float32 array, read when indexed.

    Shape ``(n_tracks, n_features, n_frames)``. Indexing by an int, a slice or a sequence of
    ints gives numpy arrays (one ``np.load`` per track); `fasttag.training.train`,
    ``predict`` and ``evaluate`` take it as it is and read a batch at a time, so the
    collection is never in memory whole. ``np.asarray(stack)`` reads every track.
    """

    dtype = np.dtype(np.float32)
    ndim = 3

    def __init__(self, store: FeatureStore, ids: Sequence[str], frame_shape: tuple[int, int]):
        self.store, self.ids = store, list(ids)
        self.shape = (len(self.ids), *frame_shape)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            return self._read(self.ids[key])
        rows = range(len(self))[key] if isinstance(key, slice) else np.asarray(key, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), *self.shape[1:]), dtype=np.float32)
        for row, i in enumerate(rows):
            out[row] = self._read(self.ids[i])
        return out

    def __iter__(self):
        return (self._read(track_id) for track_id in self.ids)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        array = self[:]
        return array if dtype is None else array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"FeatureStack({len(self)} tracks of {self.shape[1:]} from {self.store!r})"

    def _read(self, track_id: str) -> np.ndarray:
        array = self.store[track_id]
        if array.shape != self.shape[1:]:
            raise StoreError(f"the array of track {track_id!r} in {self.store.root} has shape {array.shape}, "
                             f"not {self.shape[1:]}")  # fmt: skip
        return array


def store_features(store, tracks: Sequence[Track], params, *, lazy: bool = False, progress: bool = False):
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
    lazy : bool
        Return a `FeatureStack` that reads each track's array when it is indexed (training
        then holds a batch, not the collection), instead of reading them all now.
    progress : bool
        Show a tqdm bar on stderr while reading (not with ``lazy``).

    Returns
    -------
    features : np.ndarray or FeatureStack [shape=(n_found, n_features, n_frames), dtype=float32]
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
    stack = FeatureStack(store, [ids[i] for i in range(len(tracks)) if i not in failed],
                         (wanted.n_features, params.n_frames))  # fmt: skip
    if lazy:
        return stack, skipped
    out = np.empty(stack.shape, dtype=np.float32)
    for row in tqdm(range(len(out)), desc="store", unit="track", disable=not progress):
        out[row] = stack[row]
    return out, skipped


def store_for(stores: Sequence, params) -> FeatureStore | None:
    """The first of ``stores`` (FeatureStore objects or folders) that holds what ``params``
    computes (`ExtractParams.from_featurizer`), or None (none does, or a kind no store holds)."""
    if getattr(params, "kind", None) not in STORED_KINDS:
        return None
    wanted = ExtractParams.from_featurizer(params).as_dict()
    for store in stores:
        store = store if isinstance(store, FeatureStore) else FeatureStore(store)
        if store.params == wanted:
            return store
    return None


def extract_options(params) -> str:
    """The ``fasttag extract`` options that make a store of what ``params`` computes."""
    return _options(ExtractParams.from_featurizer(params))


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
