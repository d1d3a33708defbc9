"""GTZAN's layout: one folder per genre, ``ROOT/<genre>/<file>.wav|au|...``, one tag per track."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from fasttag.datasets.records import Dataset, ManifestError, Track, random_splits
from fasttag.errors import ParameterError
from fasttag.audio import AUDIO_EXTENSIONS

#: Train, valid and test fractions of each genre.
GENRE_FRACTIONS = (0.8, 0.1, 0.1)


def genre_folders(root: str | Path) -> dict[str, list[Path]]:
    """The genre folders under ``root`` and their audio files, both sorted by name.

    A genre folder is a direct subfolder of ``root`` holding at least one
    audio file (by extension, see `AUDIO_EXTENSIONS`) directly; hidden files
    and folders (names starting with ``.``) and anything deeper are ignored.
    """
    root = Path(root)
    folders = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            p for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in AUDIO_EXTENSIONS
        )  # fmt: skip
        if files:
            folders[folder.name] = files
    return folders


def read_gtzan(root: str | Path, *, seed: int = 0) -> Dataset:
    """Read a collection laid out as genre folders, as GTZAN is: ``ROOT/<genre>/<file>``.

    Each track's only tag is its folder's name. GTZAN has no official split,
    so this one is drawn, deterministically: within each genre, the files
    sorted by name are shuffled by a generator seeded with ``(seed,
    crc32(genre))`` and cut 80 / 10 / 10 % into train / valid / test (round
    to nearest; at least one valid and one test track per genre of three or
    more). Every split thus holds every genre in proportion; a genre's split
    does not change when other genres are added; another ``seed`` gives
    another split. (The split is by file, not by artist: GTZAN repeats
    artists and some excerpts across files, so scores on it are optimistic.)

    Parameters
    ----------
    root : str or Path
        The folder of genre folders (GTZAN's ``genres/`` or ``genres_original/``).
    seed : int >= 0
        Seed of the split.

    Returns
    -------
    dataset : Dataset
        Tracks by genre, then file name: ``track_id`` is ``<genre>/<file>``,
        ``tags`` is ``[genre]``; the vocabulary is the genres, sorted.

    Raises
    ------
    ManifestError
        ``root`` holds fewer than two genre folders (see `genre_folders`).
    ParameterError
        ``seed`` is not a non-negative integer.

    See Also
    --------
    read_dataset, read_manifest, read_mtat

    Examples
    --------
    >>> from pathlib import Path
    >>> import soundfile as sf
    >>> from fasttag.datasets import example_audio, read_gtzan
    >>> for genre in ("blues", "jazz"):   # a tree as GTZAN's: genres/<genre>/<file>
    ...     Path("genres", genre).mkdir(parents=True)
    ...     for i in range(10):
    ...         sf.write(f"genres/{genre}/{genre}.{i:05d}.wav", example_audio(seconds=1.0, seed=i), 22050)
    >>> tracks, genres = read_gtzan("genres")
    >>> len(tracks), genres
    (20, ['blues', 'jazz'])
    >>> tracks[0].track_id, tracks[0].tags
    ('blues/blues.00000.wav', ['blues'])
    >>> [track.split for track in tracks].count("train")   # 80 / 10 / 10 % of each genre
    16
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed={seed!r} must be a non-negative integer")
    root = Path(root).resolve()
    if not root.is_dir():
        raise ManifestError(f"{root} is not a folder of genre folders")
    folders = genre_folders(root)
    if len(folders) < 2:
        raise ManifestError(
            f"{root} must hold at least two genre folders with audio files "
            f"({', '.join(sorted(AUDIO_EXTENSIONS))}); found {len(folders)}"
        )
    tracks = []
    for genre, files in folders.items():
        rng = np.random.default_rng([int(seed), zlib.crc32(genre.encode("utf-8"))])
        splits = random_splits(len(files), rng, GENRE_FRACTIONS)
        tracks += [Track(f"{genre}/{f.name}", f, [genre], split) for f, split in zip(files, splits)]
    return Dataset(tracks, sorted(folders))
