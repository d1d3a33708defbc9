"""Labelled music collections: synthetic tagged music and readers of real layouts.

- `make_tagged_music` writes a reproducible synthetic collection and its manifest
  (`fasttag.datasets.synthetic`); `example_audio` returns one of its clips as an array;
- `read_manifest` reads a plain ``path,tags[,split]`` CSV (`fasttag.datasets.manifest`);
- `read_mtat` reads MagnaTagATune's ``annotations_final.csv`` (`fasttag.datasets.mtat`);
- `read_gtzan` reads GTZAN-style genre folders (`fasttag.datasets.gtzan`);
- `read_dataset` picks one of them from what is at a path (`fasttag.datasets.detect`).

Every reader returns a `Dataset`, the pair ``(tracks, vocabulary)`` of `Track`
records ``(track_id, path, tags, split)`` and tag names; `multi_hot` (or
`Dataset.labels`) makes the label matrix.
`Track`, `Dataset` and `multi_hot` live in `fasttag.datasets.records`. Import
every name from here.
"""

from fasttag.datasets.detect import dataset_kind, read_dataset
from fasttag.datasets.gtzan import AUDIO_EXTENSIONS, genre_folders, read_gtzan
from fasttag.datasets.manifest import read_manifest
from fasttag.datasets.mtat import FOLDER_SPLITS, mtat_clip_paths, read_mtat
from fasttag.datasets.records import SPLITS, Dataset, ManifestError, Track, multi_hot, random_splits
from fasttag.datasets.synthetic import (
    DENSE_RATE,
    FAST_BPM,
    FORMATS,
    LOUD_DBFS,
    QUIET_DBFS,
    SLOW_BPM,
    SPARSE_RATE,
    TAGS,
    example_audio,
    make_tagged_music,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "DENSE_RATE",
    "FAST_BPM",
    "FOLDER_SPLITS",
    "FORMATS",
    "LOUD_DBFS",
    "QUIET_DBFS",
    "SLOW_BPM",
    "SPARSE_RATE",
    "SPLITS",
    "TAGS",
    "Dataset",
    "ManifestError",
    "Track",
    "dataset_kind",
    "example_audio",
    "genre_folders",
    "make_tagged_music",
    "mtat_clip_paths",
    "multi_hot",
    "random_splits",
    "read_dataset",
    "read_gtzan",
    "read_manifest",
    "read_mtat",
]
