"""The plain manifest layout: a CSV ``path,tags[,split]`` beside (or above) the audio."""

from __future__ import annotations

from pathlib import Path

from fasttag.datasets.csv_rows import read_rows
from fasttag.datasets.records import SPLITS, Dataset, ManifestError, Track


def read_manifest(csv_path: str | Path) -> Dataset:
    """Read a tag manifest CSV (the plain layout: a folder of audio and a CSV).

    The first line is a header naming the columns ``path`` and ``tags`` and
    optionally ``split``, in any order. ``path`` is relative to the CSV's
    directory (or absolute); ``tags`` are separated by ``;`` (surrounding
    spaces and empty items are ignored, a track may have no tags); ``split`` is
    one of ``train``, ``valid``, ``test``.

    Parameters
    ----------
    csv_path : str or Path
        The manifest, as written by `make_tagged_music`.

    Returns
    -------
    dataset : Dataset
        The pair ``(tracks, vocabulary)``. ``tracks``: one `Track` per row, in
        file order: ``(track_id, path, tags, split)``; ``track_id`` is the path
        as written, ``path`` is absolute, ``split`` is None without a split
        column. ``vocabulary``: every tag that occurs, sorted.

    Raises
    ------
    ManifestError
        A missing column, a row with the wrong number of fields, an empty or
        repeated path (the same file, however written), an unknown split, or
        an audio file that does not exist; the message gives the file and line.
    FileNotFoundError
        ``csv_path`` does not exist.

    See Also
    --------
    read_dataset, read_mtat, read_gtzan, multi_hot

    Examples
    --------
    >>> from fasttag.datasets import make_tagged_music, multi_hot, read_manifest
    >>> csv_path = make_tagged_music(4, seconds=1.0, out="clips")   # writes clips/manifest.csv
    >>> tracks, vocabulary = read_manifest("clips/manifest.csv")
    >>> tracks[0].track_id, tracks[0].path.is_absolute()
    ('audio/track_00000.flac', True)
    >>> labels = multi_hot(tracks, vocabulary)   # (n_tracks, n_tags) of 0 and 1
    >>> labels.shape == (4, len(vocabulary))
    True
    """
    csv_path = Path(csv_path).resolve()
    rows = read_rows(csv_path)

    def fail(line: int, message: str) -> ManifestError:
        return ManifestError(f"{csv_path}, line {line}: {message}")

    if not rows:
        raise fail(1, "empty file; expected a header 'path,tags,split'")
    header_line, first = rows[0]
    header = [name.strip() for name in first]
    missing = [name for name in ("path", "tags") if name not in header]
    if missing or len(set(header)) != len(header):
        raise fail(header_line, f"header {first} must name the columns 'path' and 'tags' (and 'split') once")
    col = {name: header.index(name) for name in ("path", "tags", "split") if name in header}
    tracks, seen = [], {}  # resolved path -> (line, path as written)
    for line, row in rows[1:]:
        if len(row) != len(header):
            raise fail(line, f"{len(row)} fields, expected {len(header)} ({','.join(header)})")
        track_id = row[col["path"]].strip()
        if not track_id:
            raise fail(line, "empty path")
        path = (csv_path.parent / track_id).resolve()  # normalised: 'x.wav' and './x.wav' are one file
        if path in seen:
            raise fail(line, f"path {track_id!r} is listed twice (as {seen[path][1]!r} on line {seen[path][0]})")
        seen[path] = (line, track_id)
        if not path.is_file():
            raise fail(line, f"audio file {str(path)!r} does not exist")
        split = row[col["split"]].strip() if "split" in col else None
        if split is not None and split not in SPLITS:
            raise fail(line, f"split {split!r} must be one of {', '.join(SPLITS)}")
        tags = [tag.strip() for tag in row[col["tags"]].split(";") if tag.strip()]
        tracks.append(Track(track_id, path, tags, split))
    return Dataset(tracks, sorted({tag for track in tracks for tag in track.tags}))
