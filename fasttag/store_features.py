"""Training features read from a feature store (``fasttag extract``) instead of computed from audio."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

from fasttag.datasets import Track
from fasttag.errors import ParameterError
from fasttag.extraction import ExtractParams
from fasttag.feature_stack import FeatureStack
from fasttag.store import FeatureStore, StoreError

__all__ = ["STORED_KINDS", "FeatureStack", "extract_options", "frame_kind", "store_features", "store_for"]

#: The feature descriptions (`fasttag.featurizers`) a store can hold.
STORED_KINDS = ("logmel", "mfcc")

#: ``fasttag extract`` options of the parameters that differ from its defaults.
_OPTIONS = {"sr": "--sr", "n_fft": "--n-fft", "hop_length": "--hop", "n_mels": "--n-mels", "fmin": "--fmin",
            "fmax": "--fmax", "top_db": "--top-db", "n_mfcc": "--n-mfcc", "deltas": "--deltas",
            "delta_width": "--delta-width"}  # fmt: skip


def store_features(store, tracks: Sequence[Track], params, *, lazy: bool = False, progress: bool = False):
    """The features of ``tracks`` as a feature store holds them: `extract_readable` without decoding.

    The store must hold what ``params`` computes, `ExtractParams.from_featurizer(params)`:
    the first ``params.seconds`` of each track (``fasttag extract --duration SECONDS --crop
    start``) with the same feature parameters. Its last frames may differ slightly from
    ``params`` on the decoded clip: the last one for log-mel (the resampler's edge), up to
    ``delta_width // 2 + 1`` for MFCC deltas. A track is found by its file (the path the
    store recorded), else by its id (a store made on another machine; ``./`` and leading
    ``../`` parts of a manifest's paths are left out).

    Bag-of-frames features (`fasttag.bof_features.BagOfFramesFeatures`) are the histograms
    of their stored frames.

    Parameters
    ----------
    store : FeatureStore, str or os.PathLike
        The store, or its folder.
    tracks : sequence of Track
        E.g. ``read_dataset(path).subset("train").tracks``.
    params : `fasttag.featurizers.LogMel`, `fasttag.featurizers.MFCC` or bag-of-frames features
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
        Tracks the store does not list, or whose file changed since the extraction (its size,
        or its modification time where it is the file the store read: run the extraction
        again, it resumes and redoes those); an array of another shape; every track failed; a
        run writing the store.
    """
    if hasattr(params, "histograms") and hasattr(params, "frames"):  # bag of frames: histograms of the frames
        frames, skipped = store_features(store, tracks, params.frames, lazy=True)
        try:
            return params.histograms(frames), skipped
        finally:
            frames.close()
    if len(tracks) == 0:
        raise ParameterError("tracks is empty: no features to read")
    if not isinstance(store, FeatureStore):
        store = FeatureStore(store)
    wanted = ExtractParams.from_featurizer(params)
    if store.params != wanted.as_dict():
        held = store.params.get("duration")  # the clips' length, where it is all that differs: --seconds reads it
        other_length = held is not None and store.params == {**wanted.as_dict(), "duration": held}
        raise ParameterError(f"store {str(store.root)!r} holds {_described(store.params)}, not the {params.kind} "
                             f"features the model takes; make one with: fasttag extract DATA --out STORE "
                             f"{_options(wanted)}" + (f", or read the clips it holds with --seconds {held!r}"
                                                      if other_length else ""))  # fmt: skip
    ids = _store_ids(store, tracks)
    skipped = [(i, f"{tracks[i].path}: {store.failed[ids[i]]}") for i in range(len(tracks)) if ids[i] in store.failed]
    if len(skipped) == len(tracks):
        raise StoreError(f"the extraction of all {len(tracks)} tracks failed; the first: {skipped[0][1]}")
    failed = {i for i, _ in skipped}
    stack = FeatureStack(store, [ids[i] for i in range(len(tracks)) if i not in failed],
                         (wanted.n_features, params.n_frames))  # fmt: skip
    if lazy:
        return stack, skipped
    try:
        out = np.empty(stack.shape, dtype=np.float32)
        for row in tqdm(range(len(out)), desc="store", unit="track", disable=not progress):
            out[row] = stack[row]
    finally:
        stack.close()
    return out, skipped


def frame_kind(params) -> str | None:
    """The kind of the frames ``params`` computes, those of its bags of frames included: a store
    gives ``params``' features (`store_features`) where it is one of `STORED_KINDS`."""
    frames = params.frames if hasattr(params, "histograms") and hasattr(params, "frames") else params
    return getattr(frames, "kind", None)


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
        same_file = by_file.get(os.path.realpath(track.path))
        track_id = same_file or next((i for i in _id_spellings(track.track_id) if i in store.records), None)
        if track_id is None:
            missing.append(track.track_id)
        elif _changed(store.records[track_id], track.path, same_file=same_file is not None):
            changed.append(track.track_id)
        ids.append(track_id)
    for names, what in ((missing, "not in"), (changed, "changed since their extraction into")):
        if names:
            raise StoreError(f"{len(names)} of the {len(tracks)} tracks are {what} {store.root} (the first: "
                             f"{', '.join(map(repr, names[:3]))}): run fasttag extract on the data again; "
                             "it resumes and does only these")  # fmt: skip
    return ids


def _id_spellings(track_id: str) -> list[str]:
    """A dataset's id, then as `fasttag extract` names a manifest row: without ``./`` parts,
    then without leading ``../`` parts (extract names such rows from their common folder)."""
    normal = posixpath.normpath(track_id.replace("\\", "/"))
    parts = normal.split("/")
    while parts and parts[0] == "..":
        parts.pop(0)
    return [track_id, normal, "/".join(parts)]


def _changed(record: dict, path, *, same_file: bool) -> bool:
    """Whether the track's file is not the one extracted: another size, or, where it is the
    very file the store read, another modification time (as `fasttag extract` decides to redo
    it). A copy elsewhere (another machine) is compared by size only: copying moves mtimes."""
    if record.get("size") is None:  # the extraction could not read it (failed)
        return False
    try:
        stat = os.stat(path)
    except OSError:
        return False
    return stat.st_size != record["size"] or (same_file and stat.st_mtime_ns != record.get("mtime_ns"))


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
