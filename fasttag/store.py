"""The feature store: a folder of per-track arrays and a manifest, written by `fasttag.extract`.

Layout::

    STORE/
      store.json        {"format": "fasttag-feature-store", "version": 1, "params": {...}}
      manifest.jsonl    one JSON record per line: id, path, file, status, error, warning,
                        duration, source_sr, channels, shape, params (digest), size, mtime_ns...
      arrays/<id>.npy   one float32 array (n_features, n_frames) per done track
      tmp/              arrays being written (renamed into arrays/ when complete)
      .lock             held (flock) by the run writing the store

- Arrays are written to ``tmp/`` and renamed into place (`save_array`), so a crash never
  leaves a half-written array under ``arrays/``. They are made durable in bulk: before each
  periodic fsync of the manifest the file systems are synced (`os.sync`), so a record on
  disk never points at an array still in the page cache, and no track pays an fsync.
- The manifest is appended one whole line per track (flushed at once) and rewritten,
  compacted and sorted, atomically at the end of a run. Readers take the last record of
  each id and skip a line cut short by a crash.
- ``store.json`` holds the parameters: a run with others is refused unless told to
  overwrite.
- One run writes a store at a time: a second is refused while the first holds ``.lock``
  (an exclusive `fcntl.flock`, released by the system if the run dies; no lock where the
  platform has no ``fcntl``).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # not POSIX: no lock
    fcntl = None

from fasttag._atomic import write_text_atomic
from fasttag.errors import FasttagError, ParameterError
from fasttag.extraction import ExtractParams

__all__ = ["FeatureStore", "StoreError", "read_lock", "save_array", "write_text_atomic"]

FORMAT = "fasttag-feature-store"
VERSION = 1
META = "store.json"
MANIFEST = "manifest.jsonl"
ARRAYS = "arrays"
TMP = "tmp"
LOCK = ".lock"
FSYNC_EVERY_S = 5.0


class StoreError(FasttagError):
    """A folder is not a feature store, or its files are inconsistent."""


def save_array(path, array: np.ndarray, *, tmp_dir=None, durable: bool = True) -> None:
    """Write ``array`` as ``.npy`` at ``path`` atomically: a temporary file, then rename.

    ``tmp_dir`` (on the same file system) holds the temporary file; default ``path``'s folder.
    ``durable`` fsyncs the file before the rename (a writer that syncs in bulk passes False).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tmp_dir) if tmp_dir is not None else path.parent
    tmp_dir.mkdir(parents=True, exist_ok=True)
    tmp = tmp_dir / f"{uuid.uuid4().hex}.npy.part"
    try:
        with open(tmp, "wb") as f:
            np.save(f, array, allow_pickle=False)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_manifest(path) -> dict[str, dict]:
    """The last record of each track id in a manifest file (lines that do not parse are skipped)."""
    records: dict[str, dict] = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                if isinstance(record, dict) and "id" in record:
                    records[record["id"]] = record
    except FileNotFoundError:
        pass
    return records


def params_of_array(path) -> dict | None:
    """The extraction parameters of the store whose ``arrays/`` folder holds the array file ``path``
    (`ExtractParams.as_dict`), or None for a file in no store; StoreError for a broken ``store.json``."""
    path = Path(path).resolve()
    for root in path.parents:
        if root / ARRAYS in path.parents and (root / META).is_file():
            return dict(_read_meta(root)["params"])
    return None


def _read_meta(root: Path) -> dict:
    try:
        meta = json.loads((root / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{str(root)!r} is not a feature store: {META} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StoreError(f"{str(root / META)!r} is not valid JSON: {error}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or not isinstance(meta.get("params"), dict):
        raise StoreError(f"{str(root / META)!r} does not describe a {FORMAT}")
    if meta.get("version") != VERSION:
        raise StoreError(f"{str(root)!r} is a feature store of version {meta.get('version')!r}; "
                         f"this fasttag reads version {VERSION}")  # fmt: skip
    return meta


class FeatureStore(Sequence):
    """Read a feature store: the done tracks' arrays, by position or track id.

    Parameters
    ----------
    path : str or os.PathLike
        The store's folder (as given to `fasttag.extract` or ``fasttag extract --out``).
    mmap : bool
        Memory-map the arrays (``np.load(mmap_mode="r")``) instead of reading them.

    Raises
    ------
    StoreError
        ``path`` is not a feature store, or a run (``fasttag extract``) is writing it: wait
        for that run to end.

    Attributes
    ----------
    params : dict
        The extraction parameters (`fasttag.extraction.ExtractParams.as_dict`).
    ids : list of str
        Track ids of the done tracks, sorted; position ``i`` is ``ids[i]``.
    records : dict of str to dict
        The manifest record of every track, done or failed.
    failed : dict of str to str
        Track id -> error of the tracks that failed.

    Examples
    --------
    >>> from pathlib import Path
    >>> import soundfile as sf
    >>> import torch
    >>> import fasttag
    >>> Path("music/rock").mkdir(parents=True)
    >>> for seed, name in enumerate(("a", "b")):   # two tracks of generated music
    ...     sf.write(f"music/rock/{name}.flac", fasttag.datasets.example_audio(seconds=30.0, seed=seed), 22050)
    >>> summary = fasttag.extract("music/", "features/", duration=29.12)
    >>> store = fasttag.FeatureStore("features/")
    >>> len(store), store.ids[0], store[0].shape
    (2, 'rock/a.flac', (96, 1366))
    >>> loader = torch.utils.data.DataLoader(store.torch_dataset(), batch_size=16)
    >>> next(iter(loader)).shape
    torch.Size([2, 96, 1366])
    """

    def __init__(self, path, *, mmap: bool = False):
        self.root = Path(path)
        if not self.root.is_dir():
            what = "it is a file, not a feature store folder" if self.root.exists() else "no such folder"
            raise StoreError(f"{str(self.root)!r} is not a feature store: {what}")
        self.meta = _read_meta(self.root)
        self.params = dict(self.meta["params"])
        self.mmap = bool(mmap)
        lock = read_lock(self.root)  # a store being written is not read: StoreError while an extract run holds it
        try:
            self.records = read_manifest(self.root / MANIFEST)
        finally:
            if lock is not None:
                lock.close()
        self.ids = sorted(i for i, r in self.records.items() if r.get("status") == "done")
        self._index = {track_id: i for i, track_id in enumerate(self.ids)}
        self.failed = {i: r.get("error") for i, r in sorted(self.records.items()) if r.get("status") != "done"}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, value) -> bool:
        """Whether a track id (str) is in the store, or a track's array equals an array (`index`)."""
        return next(self._positions(value, range(len(self))), None) is not None

    def index(self, value, start: int = 0, stop: int | None = None) -> int:
        """The position of a track id (str), or of the first track whose array equals an array
        (``np.array_equal``; the arrays of that shape are read in turn); ValueError if none.
        ``start`` and ``stop`` limit the positions searched, as for a list."""
        found = next(self._positions(value, range(len(self))[start:stop]), None)
        if found is None:
            raise ValueError(f"{_shown(value)} is not in the store {str(self.root)!r}")
        return found

    def count(self, value) -> int:
        """1 for a track id (str) of the store, else 0; for an array, how many tracks' arrays equal it."""
        return sum(1 for _ in self._positions(value, range(len(self))))

    def _positions(self, value, positions: range) -> Iterator[int]:
        """The positions among ``positions`` of a track id, or of the tracks whose arrays equal an array.

        Without this, `collections.abc.Sequence` compared arrays with ``==`` (numpy's "truth value of an
        array is ambiguous")."""
        if isinstance(value, str):
            found = self._index.get(value)
            if found is not None and found in positions:
                yield found
        elif isinstance(value, np.ndarray):
            for i in positions:
                shape = self.records[self.ids[i]].get("shape")
                if (shape is None or tuple(shape) == value.shape) and np.array_equal(self[i], value):
                    yield i
        else:
            raise TypeError(f"a store holds tracks by id (str) and their arrays (np.ndarray), not "
                            f"{type(value).__name__}: use a track id or an array")  # fmt: skip

    def __getitem__(self, key) -> np.ndarray:
        """The array of a track, by position (int) or track id (str)."""
        if isinstance(key, str):
            if key not in self._index:
                why = f"it failed: {self.failed[key]}" if key in self.failed else "no such track"
                raise KeyError(f"track {key!r} is not in the store ({why})")
            track_id = key
        elif isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if not -len(self) <= key < len(self):
                raise IndexError(f"index {key} is out of range for a store of {len(self)} tracks")
            track_id = self.ids[key]
        else:
            raise TypeError(f"a store is indexed by position (int) or track id (str), not {type(key).__name__}")
        try:
            return np.load(self.path_of(track_id), mmap_mode="r" if self.mmap else None, allow_pickle=False)
        except FileNotFoundError:
            raise StoreError(f"the array of track {track_id!r} is missing from {self.root} (deleted after the "
                             "extraction?): run the extraction again to redo it") from None

    def __iter__(self) -> Iterator[np.ndarray]:
        for track_id in self.ids:
            yield self[track_id]

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(track_id, array)`` of every done track, in id order."""
        for track_id in self.ids:
            yield track_id, self[track_id]

    def path_of(self, track_id: str) -> Path:
        """The array file of a track."""
        return self.root / self.records[track_id]["file"]

    def __repr__(self) -> str:
        return (f"FeatureStore({str(self.root)!r}: {len(self)} tracks, {len(self.failed)} failed, "
                f"{self.params.get('feature')})")  # fmt: skip

    def torch_dataset(self, labels=None, *, transform=None):
        """A ``torch.utils.data.Dataset`` over the done tracks (position ``i`` is ``ids[i]``).

        Parameters
        ----------
        labels : mapping of track id to array-like, or callable, optional
            Targets: ``labels[track_id]`` (or ``labels(track_id)``). Items are then
            ``(features, target)`` tensors; without labels, the features tensor alone.
        transform : callable, optional
            Applied to each numpy array before it becomes a tensor (e.g. a random crop).
        """
        from fasttag._store_torch import StoreDataset

        return StoreDataset(self, labels=labels, transform=transform)

    # ------------------------------------------------------------------ writing (for extract)

    @classmethod
    def open_for_writing(cls, path, params: ExtractParams, *, overwrite: bool = False) -> _Writer:
        """Create the store, or open an existing one with the same parameters, for `fasttag.extract`."""
        return _Writer(Path(path), params, overwrite=overwrite)


def _shown(value) -> str:
    """A track id or an array, named in a message."""
    return repr(value) if isinstance(value, str) else f"an array of shape {value.shape}"


def _differences(old: dict, new: dict) -> str:
    names = sorted(set(old) | set(new), key=lambda n: (n not in new, n))
    return ", ".join(f"{n}={old.get(n, '(unset)')!r} in the store, {n}={new.get(n, '(unset)')!r} asked"
                     for n in names if old.get(n, "(unset)") != new.get(n, "(unset)"))  # fmt: skip


class _Writer:
    """The writing side of a store during one run (main process only)."""

    def __init__(self, root: Path, params: ExtractParams, *, overwrite: bool):
        self.root = root
        self.params = params
        if root.exists() and not root.is_dir():
            raise StoreError(f"store={str(root)!r} exists and is not a folder")
        if not (root / META).exists() and root.is_dir() and any(p.name != LOCK for p in root.iterdir()):
            raise StoreError(f"store={str(root)!r} is a folder that is not empty and not a feature store: "
                             "refusing to write into it")  # fmt: skip
        root.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(root)
        try:
            self._prepare(overwrite)
        except BaseException:
            self._lock.close()
            raise

    def _prepare(self, overwrite: bool) -> None:
        """Check the parameters (or clear the store for new ones), then open the manifest."""
        root, wanted = self.root, self.params.as_dict()
        if (root / META).exists():
            meta = _read_meta(root)
            if meta["params"] != wanted:
                if not overwrite:
                    raise ParameterError(f"store {str(root)!r} was made with other parameters "
                                         f"({_differences(meta['params'], wanted)}): pass --overwrite "
                                         "(overwrite=True) to recompute it, or another --out")  # fmt: skip
                for name in (ARRAYS, TMP):
                    shutil.rmtree(root / name, ignore_errors=True)
                (root / MANIFEST).unlink(missing_ok=True)
                (root / META).unlink()
        if not (root / META).exists():
            meta = {"format": FORMAT, "version": VERSION, "params": wanted}
            write_text_atomic(root / META, json.dumps(meta, indent=2) + "\n")
        self.tmp_dir = root / TMP
        shutil.rmtree(self.tmp_dir, ignore_errors=True)  # parts left by a crashed run
        self.tmp_dir.mkdir()
        (root / ARRAYS).mkdir(exist_ok=True)
        self.records = read_manifest(root / MANIFEST)
        self._file = open(root / MANIFEST, "a+b")
        self._file.seek(0, os.SEEK_END)
        if self._file.tell() > 0:  # a crash may have cut the last line short: start a new one
            self._file.seek(-1, os.SEEK_END)
            if self._file.read(1) != b"\n":
                self._file.write(b"\n")
        self._synced = time.monotonic()

    @staticmethod
    def array_name(track_id: str) -> str:
        return f"{ARRAYS}/{track_id}.npy"

    def array_path(self, track_id: str) -> Path:
        return self.root / self.array_name(track_id)

    def is_current(self, track_id: str, path: str, stat: dict, *, retry_failed: bool) -> bool:
        """True when the store already holds this track from this (unchanged) file."""
        record = self.records.get(track_id)
        if record is None or record.get("params") != self.params.digest():
            return False
        if os.path.realpath(record.get("path") or "") != os.path.realpath(path):  # a symlinked folder is the same
            return False
        if stat["size"] != record.get("size") or stat["mtime_ns"] != record.get("mtime_ns"):
            return False
        if record.get("status") == "done":
            return (self.root / record["file"]).is_file()
        return not retry_failed

    def append(self, record: dict) -> None:
        self.records[record["id"]] = record
        self._file.write((json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8"))
        self._file.flush()
        if time.monotonic() - self._synced > FSYNC_EVERY_S:
            os.sync()  # the arrays these records point at first (workers wrote them without fsync)
            os.fsync(self._file.fileno())
            self._synced = time.monotonic()

    def close(self) -> None:
        """Sync, then rewrite the manifest compacted (one line per id, sorted) and atomically."""
        if self._file.closed:
            return
        self._file.flush()
        os.sync()
        os.fsync(self._file.fileno())
        self._file.close()
        text = "".join(json.dumps(self.records[i], separators=(",", ":")) + "\n" for i in sorted(self.records))
        write_text_atomic(self.root / MANIFEST, text)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self._lock.close()


def _lock(root: Path, *, shared: bool = False):
    """``root/.lock`` opened and locked (close it to release): exclusively by the run writing
    the store, shared by the runs reading its arrays, so no run rewrites them meanwhile.
    StoreError while another run holds it against this one. No lock is taken where the
    platform has no ``fcntl``; a reader gets None for a store on read-only media."""
    try:
        handle = open(root / LOCK, "a+b")
    except OSError:
        if shared:
            return None
        raise
    if fcntl is None:  # not POSIX: the file, unlocked
        return handle
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreError(f"store {str(root)!r} is being written by another run (fasttag extract): wait for it to "
                         "end before reading it" if shared else
                         f"store {str(root)!r} is being written by another run, or read by one (fasttag train or "
                         "evaluate --store): wait for it to end, or write to another store") from None  # fmt: skip
    return handle


def read_lock(root) -> object | None:
    """The lock a run reading the store's arrays holds (see `_lock`); close it to release."""
    return _lock(Path(root), shared=True)
