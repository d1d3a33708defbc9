"""The torch ``Dataset`` adapter of `fasttag.store.FeatureStore` (imported only when asked for)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.data import Dataset


class StoreDataset(Dataset):
    """Tracks of a feature store as float32 tensors ``(n_features, n_frames)``, with optional targets.

    Parameters
    ----------
    store : fasttag.FeatureStore
    labels : mapping of track id to array-like, or callable, optional
        ``labels[track_id]`` or ``labels(track_id)``: the target of each track; items are
        then ``(features, target)``.
    transform : callable, optional
        numpy array -> numpy array, applied before the tensor is made.
    """

    def __init__(self, store, labels=None, transform=None):
        self.store = store
        self.ids = list(store.ids)
        if labels is not None and not (callable(labels) or isinstance(labels, Mapping)):
            raise TypeError(f"labels must be a mapping or a callable, not {type(labels).__name__}")
        if isinstance(labels, Mapping):
            missing = [i for i in self.ids if i not in labels]
            if missing:
                raise KeyError(f"labels has no entry for {len(missing)} track(s), e.g. {missing[0]!r}")
        self.labels = labels
        self.transform = transform

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int):
        track_id = self.ids[index]
        X = np.asarray(self.store[track_id])
        if self.transform is not None:
            X = self.transform(X)
        features = torch.from_numpy(np.array(X, dtype=np.float32, copy=True))
        if self.labels is None:
            return features
        target = self.labels(track_id) if callable(self.labels) else self.labels[track_id]
        return features, torch.as_tensor(np.asarray(target))
