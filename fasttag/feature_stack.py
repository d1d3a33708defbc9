"""`FeatureStack`: tracks' arrays in a feature store as one read-only float32 array, read when indexed."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from fasttag.store import FeatureStore, StoreError, read_lock


class FeatureStack:
    """Tracks' arrays in a feature store as one read-only float32 array, read when indexed.

    Shape ``(n_tracks, n_features, n_frames)``. The first axis is indexed as numpy does (an
    int, a slice, a 1-D array of ints or of booleans; the other axes after it), one
    ``np.load`` per track. `fasttag.training.train`, ``predict`` and ``evaluate`` take it
    as it is and read a batch at a time, so the collection is never in memory whole;
    ``np.asarray(stack)`` reads every track. While it is open it holds the store's lock
    shared, so ``fasttag extract --overwrite`` cannot rewrite the arrays under it.
    """

    dtype = np.dtype(np.float32)
    ndim = 3

    def __init__(self, store: FeatureStore, ids: Sequence[str], frame_shape: tuple[int, int]):
        self.store, self.ids = store, list(ids)
        self.shape = (len(self.ids), *frame_shape)
        self._lock = read_lock(store.root)

    def close(self) -> None:
        """Release the store's lock (reading on is still possible, unguarded); also on exit of a
        ``with`` block, or when the stack is garbage collected."""
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.close()

    def __enter__(self) -> FeatureStack:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, key) -> np.ndarray:
        if isinstance(key, tuple):
            first, rest = (key[0], key[1:]) if key else (slice(None), ())
            if _is_int(first) or isinstance(first, slice):
                rows = self[first]
                return rows[rest] if _is_int(first) else rows[(slice(None), *rest)]
            # Tracks by an array: read each once, then index them as numpy would (its index arrays broadcast).
            needed, position = np.unique(self._rows(first), return_inverse=True)
            return self[needed][(position, *rest)]
        if _is_int(key):
            return self._read(self.ids[int(np.arange(len(self))[key])])
        rows = self._rows(key)
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

    def _rows(self, key) -> np.ndarray:
        """Track positions of a slice, or of a 1-D array of ints or booleans (numpy's rules)."""
        if isinstance(key, slice):
            return np.arange(len(self))[key]
        index = np.asarray(key)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(f"a boolean index of shape {index.shape} does not fit {len(self)} tracks")
            return np.flatnonzero(index)
        if index.ndim == 1 and (index.size == 0 or np.issubdtype(index.dtype, np.integer)):
            return np.arange(len(self))[index.astype(np.int64)]
        raise IndexError(f"a FeatureStack's tracks are indexed by an int, a slice or a 1-D array of ints or "
                         f"booleans, not {key!r}")  # fmt: skip

    def _read(self, track_id: str) -> np.ndarray:
        array = self.store[track_id]
        if array.shape != self.shape[1:]:
            raise StoreError(f"the array of track {track_id!r} in {self.store.root} has shape {array.shape}, "
                             f"not {self.shape[1:]}")  # fmt: skip
        return array


def _is_int(key) -> bool:
    return isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_))
