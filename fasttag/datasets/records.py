"""The records every dataset reader returns: `Track`, `Dataset`, and the label matrix."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import NamedTuple

import numpy as np

from fasttag.errors import FasttagError, ParameterError

#: The values of a track's ``split``.
SPLITS = ("train", "valid", "test")


class Track(NamedTuple):
    """One labelled audio file of a dataset."""

    track_id: str  #: unique in its dataset: the path as written in the manifest or annotations
    path: Path  #: absolute path of the audio file
    tags: list[str]
    split: str | None  #: "train", "valid", "test", or None where the dataset defines no split


class ManifestError(FasttagError, ValueError):
    """A dataset's manifest, annotations or folders are malformed; the message names the file."""


class Dataset(NamedTuple):
    """What every reader returns: the tracks and the tag vocabulary.

    A named pair, so ``tracks, vocabulary = read_manifest(...)`` still works.
    Training code sees the same records whichever reader made them.
    """

    tracks: list[Track]  #: in the reader's order (file order, or sorted paths)
    vocabulary: list[str]  #: one tag per label column, in column order

    def labels(self) -> np.ndarray:
        """Multi-hot tags, ``multi_hot(tracks, vocabulary)``: shape (n_tracks, n_tags), float32."""
        return multi_hot(self.tracks, self.vocabulary)

    def subset(self, split: str) -> Dataset:
        """The tracks of one split (``"train"``, ``"valid"`` or ``"test"``), same vocabulary."""
        if split not in SPLITS:
            raise ParameterError(f"split={split!r} must be one of {', '.join(SPLITS)}")
        return Dataset([t for t in self.tracks if t.split == split], list(self.vocabulary))

    def most_frequent(self, n: int) -> Dataset:
        """Keep the ``n`` most frequent tags (MagnaTagATune's "top 50" selection).

        Tags are counted over all tracks; ties go to the tag earlier in the
        vocabulary. The new vocabulary lists the kept tags from most to least
        frequent, and each track keeps only those of its tags (a track may be
        left with none; it stays). With ``n`` at least the vocabulary's size
        every tag is kept, in the same frequency order.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ParameterError(f"n={n!r} must be a positive integer")
        counts = Counter(tag for track in self.tracks for tag in track.tags)
        order = {tag: j for j, tag in enumerate(self.vocabulary)}
        kept = sorted(self.vocabulary, key=lambda tag: (-counts[tag], order[tag]))[:n]
        keep = set(kept)
        tracks = [t._replace(tags=[tag for tag in t.tags if tag in keep]) for t in self.tracks]
        return Dataset(tracks, kept)

    def with_splits(self, seed: int = 0, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> Dataset:
        """Give the tracks without a split a seeded random one (see `random_splits`).

        Tracks that have a split keep it. The result depends only on ``seed``
        and the order of the split-less tracks, so the same data and seed give
        the same split in ``fasttag train`` and ``fasttag evaluate``.
        """
        missing = [i for i, t in enumerate(self.tracks) if t.split is None]
        if not missing:
            return self
        drawn = random_splits(len(missing), np.random.default_rng(seed), fractions)
        tracks = list(self.tracks)
        for i, split in zip(missing, drawn):
            tracks[i] = tracks[i]._replace(split=split)
        return Dataset(tracks, list(self.vocabulary))


def random_splits(n: int, rng: np.random.Generator, fractions=(0.8, 0.1, 0.1)) -> list[str]:
    """Random train / valid / test labels for ``n`` items.

    ``valid`` and ``test`` get ``round(fraction * n)`` items each, at least one
    each once ``n >= 3`` (so a small set still has both), and ``train`` the
    rest; their order is a permutation drawn from ``rng``.

    Parameters
    ----------
    n : int >= 0
        Number of items.
    rng : np.random.Generator
        The source of the permutation.
    fractions : (float, float, float)
        Target train, valid and test fractions, non-negative, summing to 1.

    Returns
    -------
    splits : list of str [shape=(n,)]
    """
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ParameterError(f"fractions={fractions!r} must be three non-negative numbers summing to 1")
    held = [round(f * n) for f in fractions[1:]]
    if n >= 3:
        held = [max(1, h) if f > 0 else 0 for h, f in zip(held, fractions[1:])]
    n_valid, n_test = held
    n_train = max(0, n - n_valid - n_test)
    labels = ["train"] * n_train + ["valid"] * n_valid + ["test"] * n_test
    labels = labels[:n]
    return [labels[i] for i in rng.permutation(n)]


def multi_hot(tracks: list[Track], vocabulary: list[str]) -> np.ndarray:
    """Tag matrix of some tracks.

    Parameters
    ----------
    tracks : list of Track
        Records from any reader (`read_manifest`, `read_mtat`, `read_gtzan`).
    vocabulary : list of str
        The tags, one column each, in this order.

    Returns
    -------
    labels : np.ndarray [shape=(n_tracks, n_tags), dtype=float32]
        1 where the track has the tag, else 0.

    Raises
    ------
    ParameterError
        A track has a tag that is not in ``vocabulary``, or ``vocabulary``
        repeats a tag.
    """
    column = {tag: j for j, tag in enumerate(vocabulary)}
    if len(column) != len(vocabulary):
        raise ParameterError(f"vocabulary={list(vocabulary)!r} has repeated tags")
    labels = np.zeros((len(tracks), len(vocabulary)), dtype=np.float32)
    for i, track in enumerate(tracks):
        for tag in track.tags:
            if tag not in column:
                raise ParameterError(f"tag {tag!r} of track {track.track_id!r} is not in vocabulary")
            labels[i, column[tag]] = 1.0
    return labels
