"""MagnaTagATune's layout: ``annotations_final.csv`` and 16 folders of mp3 clips, ``0`` to ``f``."""

from __future__ import annotations

from pathlib import Path

from fasttag import _validate
from fasttag.datasets.csv_rows import read_rows
from fasttag.datasets.records import Dataset, ManifestError, Track

#: The annotation file's name in a MagnaTagATune folder.
ANNOTATIONS = "annotations_final.csv"

#: The usual split by the clip's folder (the first component of ``mp3_path``, a hex
#: digit): 0-b train, c validation, d-f test (Dieleman and Schrauwen 2014, Choi et al. 2016).
FOLDER_SPLITS = {**dict.fromkeys("0123456789ab", "train"), "c": "valid", **dict.fromkeys("def", "test")}


def read_mtat(path: str | Path, *, top: int | None = 50, audio_dir: str | Path | None = None) -> Dataset:
    """Read MagnaTagATune's annotations: clips, their tags and the usual split.

    ``annotations_final.csv`` is tab-separated, fields optionally in double
    quotes. Its header names ``clip_id``, one column per tag (188 in the
    original) and ``mp3_path``; each row gives 0 or 1 per tag and the clip's
    path, e.g. ``f/artist-album-01-title-30-59.mp3``. The first component of
    that path is the clip's folder, a hex digit, which gives the split:
    folders ``0`` to ``b`` train, ``c`` valid, ``d`` to ``f`` test.

    Parameters
    ----------
    path : str or Path
        The folder holding ``annotations_final.csv``, or that file itself.
    top : int > 0 or None
        Keep the ``top`` most frequent tags (counted over all clips, ties to
        the earlier column), listed from most to least frequent: the usual
        top-50 set by default. None keeps every tag column, in file order.
        Clips left without a kept tag stay, with no tags.
    audio_dir : str or Path, optional
        The folder that holds the ``0`` ... ``f`` folders. By default the
        annotation file's folder, or its ``mp3`` subfolder if the first clip
        is found there instead.

    Returns
    -------
    dataset : Dataset
        One `Track` per row, in file order: ``track_id`` is ``mp3_path`` as
        written, ``path`` the absolute file, ``split`` from the folder.

    Raises
    ------
    ParameterError
        ``top`` is not a positive integer or None.
    ManifestError
        No ``mp3_path`` column, a repeated column or clip, a label other than
        0 or 1, a row with the wrong number of fields, a folder that is not a
        hex digit, or a missing audio file; the message gives the file and line.
    FileNotFoundError
        There is no annotation file.

    See Also
    --------
    read_dataset, read_manifest, read_gtzan

    Examples
    --------
    With MagnaTagATune's annotations and clips in ``magnatagatune/``:

    >>> from fasttag.datasets import read_mtat
    >>> tracks, top50 = read_mtat("magnatagatune")  # doctest: +SKIP
    >>> train = read_mtat("magnatagatune").subset("train")  # doctest: +SKIP
    """
    top = None if top is None else _validate.positive_int(top, "top")
    csv_path, vocabulary, clips = _located_clips(path, audio_dir)
    tracks = []
    for line, track_id, tags, split, audio in clips:
        if not audio.is_file():
            raise _error(csv_path, line, f"audio file {str(audio)!r} does not exist")
        tracks.append(Track(track_id, audio, tags, split))
    dataset = Dataset(tracks, vocabulary)
    return dataset if top is None else dataset.most_frequent(top)


def mtat_clip_paths(path: str | Path, *, audio_dir: str | Path | None = None) -> list[tuple[str, Path]]:
    """``(mp3_path, absolute file)`` of every clip of MagnaTagATune's annotations, in file order.

    As `read_mtat` (same ``path``, ``audio_dir`` and checks of the file), but a listed
    clip whose file is missing is kept: `fasttag.extract` records it as a failed track.
    """
    return [(track_id, audio) for _, track_id, _, _, audio in _located_clips(path, audio_dir)[2]]


def _located_clips(path, audio_dir) -> tuple[Path, list[str], list[tuple[int, str, list[str], str, Path]]]:
    """`_read_annotations` with each clip's absolute file appended (found or not)."""
    csv_path, vocabulary, records = _read_annotations(path)
    root = _audio_root(csv_path, audio_dir, records[0][1] if records else None)
    return csv_path, vocabulary, [(*record, (root / record[1]).resolve()) for record in records]


def _error(csv_path: Path, line: int, message: str) -> ManifestError:
    return ManifestError(f"{csv_path}, line {line}: {message}")


def _read_annotations(path: str | Path) -> tuple[Path, list[str], list[tuple[int, str, list[str], str]]]:
    """The annotation file, its tag columns, and ``(line, mp3_path, tags, split)`` per clip."""
    csv_path = Path(path).resolve()
    if csv_path.is_dir():
        csv_path = csv_path / ANNOTATIONS
    rows = read_rows(csv_path, delimiter="\t")
    if not rows:
        raise _error(csv_path, 1, "empty file; expected a tab-separated header 'clip_id<TAB>tag...<TAB>mp3_path'")
    header_line, first = rows[0]
    header = [name.strip() for name in first]
    if "mp3_path" not in header or len(set(header)) != len(header):
        raise _error(csv_path, header_line,
                     "the tab-separated header must name 'mp3_path' once and each tag column once")
    path_col = header.index("mp3_path")
    tag_cols = [j for j, name in enumerate(header) if name not in ("clip_id", "mp3_path")]
    vocabulary = [header[j] for j in tag_cols]
    records, seen = [], set()
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise _error(csv_path, line, f"{len(row)} fields, expected {len(header)} (tab-separated)")
        track_id = row[path_col].strip()
        if not track_id:
            raise _error(csv_path, line, "empty mp3_path")
        if track_id in seen:
            raise _error(csv_path, line, f"mp3_path {track_id!r} is listed twice")
        seen.add(track_id)
        parts = track_id.replace("\\", "/").split("/")
        folder = parts[0].lower()
        if len(parts) < 2 or folder not in FOLDER_SPLITS:
            raise _error(csv_path, line, f"mp3_path {track_id!r} must start with a folder 0-9 or a-f")
        values = [row[j].strip() for j in tag_cols]
        bad = next((v for v in values if v not in ("0", "1")), None)
        if bad is not None:
            raise _error(csv_path, line, f"tag value {bad!r} must be 0 or 1")
        tags = [tag for tag, v in zip(vocabulary, values) if v == "1"]
        records.append((line, track_id, tags, FOLDER_SPLITS[folder]))
    return csv_path, vocabulary, records


def _audio_root(csv_path: Path, audio_dir, first: str | None) -> Path:
    """The folder holding the clip folders: ``audio_dir``, or the CSV's folder or its ``mp3``."""
    if audio_dir is not None:
        return Path(audio_dir).resolve()
    candidates = (csv_path.parent, csv_path.parent / "mp3")
    if first is not None:
        for root in candidates:
            if (root / first).is_file():
                return root
    return candidates[0]
