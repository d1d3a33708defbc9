"""`read_dataset`: pick the reader from what is at a path."""

from __future__ import annotations

from pathlib import Path

from fasttag.datasets.gtzan import AUDIO_EXTENSIONS, genre_folders, read_gtzan
from fasttag.datasets.manifest import read_manifest
from fasttag.datasets.mtat import ANNOTATIONS, read_mtat
from fasttag.datasets.records import Dataset, ManifestError

#: The manifest's name in a folder made by `make_tagged_music`.
MANIFEST = "manifest.csv"


def dataset_kind(path: str | Path) -> str:
    """Which layout is at ``path``: ``"manifest"``, ``"mtat"`` or ``"genres"`` (see `read_dataset`).

    Raises
    ------
    ManifestError
        Nothing at ``path``, or none of the layouts.
    """
    path = Path(path)
    if path.is_file():
        if path.suffix.lower() != ".csv":
            raise ManifestError(f"{path} is not a dataset: a file must be a .csv manifest or {ANNOTATIONS}")
        # The header tells the layouts apart; the reader checks the encoding of the whole file.
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            first = f.readline()
        return "mtat" if "\t" in first and "mp3_path" in first else "manifest"
    if path.is_dir():
        if (path / ANNOTATIONS).is_file():
            return "mtat"
        if (path / MANIFEST).is_file():
            return "manifest"
        if len(genre_folders(path)) >= 2:
            return "genres"
        raise ManifestError(
            f"{path} is not a dataset: expected a .csv manifest, a folder holding {ANNOTATIONS} or "
            f"{MANIFEST}, or a folder of genre folders with audio files ({', '.join(sorted(AUDIO_EXTENSIONS))})"
        )
    raise ManifestError(f"{path} does not exist")


def read_dataset(path: str | Path, *, top: int | None = None, seed: int = 0) -> Dataset:
    """Read a labelled collection in any layout fasttag knows, every track with a split.

    The layout is chosen from what is at ``path``:

    - a ``.csv`` file: a plain manifest (`read_manifest`), unless its first
      line is tab-separated and names ``mp3_path`` (MagnaTagATune);
    - a folder holding ``annotations_final.csv``: MagnaTagATune (`read_mtat`);
    - a folder holding ``manifest.csv`` (as `make_tagged_music` writes): that manifest;
    - a folder of at least two genre folders of audio files: GTZAN style (`read_gtzan`).

    Parameters
    ----------
    path : str or Path
        The file or folder.
    top : int > 0 or None
        Keep the ``top`` most frequent tags (`Dataset.most_frequent`). None
        takes the layout's default: MagnaTagATune's top 50, every tag otherwise.
    seed : int >= 0
        Seed of the drawn splits: GTZAN's per-genre split, and the 80 / 10 / 10
        % split of manifest rows without one (`Dataset.with_splits`).

    Returns
    -------
    dataset : Dataset
        Every track has a split: the layout's own, or the seeded one.

    Raises
    ------
    ManifestError
        Nothing at ``path``, none of the layouts, or a malformed one.

    Examples
    --------
    >>> from fasttag.datasets import make_tagged_music, read_dataset
    >>> csv_path = make_tagged_music(10, seconds=1.0, out="clips")
    >>> tracks, vocabulary = read_dataset("clips")   # a folder holding manifest.csv
    >>> len(tracks), sorted({track.split for track in tracks})
    (10, ['test', 'train', 'valid'])
    >>> len(read_dataset("clips").subset("train").tracks)
    6

    MagnaTagATune's folder, and GTZAN's genre folders with another drawn split:

    >>> tracks, vocabulary = read_dataset("magnatagatune")  # doctest: +SKIP
    >>> train = read_dataset("gtzan/genres", seed=1).subset("train")  # doctest: +SKIP
    """
    path = Path(path)
    kind = dataset_kind(path)
    if kind == "mtat":
        dataset = read_mtat(path, top=50 if top is None else top)
    elif kind == "genres":
        dataset = read_gtzan(path, seed=seed)
    else:
        dataset = read_manifest(path / MANIFEST if path.is_dir() else path)
    if top is not None and kind != "mtat":
        dataset = dataset.most_frequent(top)
    return dataset.with_splits(seed)
