"""Inputs: the ``(track_id, path)`` pairs of a folder, a manifest CSV, MagnaTagATune's annotations
or a list of files."""

from __future__ import annotations

import os
from pathlib import Path

from fasttag import _warnings
from fasttag.audio import AUDIO_EXTENSIONS
from fasttag.datasets import dataset_kind, mtat_clip_paths
from fasttag.datasets.csv_rows import read_rows
from fasttag.datasets.mtat import ANNOTATIONS
from fasttag.errors import ParameterError


def _is_audio(name: str) -> bool:
    return name.lower().endswith(AUDIO_EXTENSIONS)


def find_tracks(source, ids=None) -> list[tuple[str, str]]:
    """``(track_id, path)`` pairs of a folder, a manifest CSV or a list of files, sorted by id.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder (searched recursively for files named as in `AUDIO_EXTENSIONS`); a CSV
        file with a ``path`` column (relative paths are relative to the CSV's folder) and
        optionally a ``track_id`` or ``id`` column; MagnaTagATune's tab-separated
        ``annotations_final.csv``, or a folder holding it, for the clips it lists (ids:
        its ``mp3_path``, as `fasttag.datasets.read_mtat` names the tracks; a listed clip
        whose file is missing is kept, and fails); or a sequence of audio file paths.
    ids : sequence of str, optional
        Track ids for a sequence of paths. By default a track's id is its path relative
        to the folder (or the deepest folder holding the CSV and all its paths, or all the
        paths), with ``/`` separators. A folder's files whose id would not be safe (a
        backslash in the name) are skipped with a warning.

    Raises
    ------
    ParameterError
        No tracks; a missing source; duplicate or unsafe ids.
    """
    if isinstance(source, (str, os.PathLike)):
        root = Path(source)
        if root.is_dir() and (root / ANNOTATIONS).is_file():
            pairs = _mtat_pairs(root)
        elif root.is_dir():
            found = []
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                found += [os.path.join(folder, name) for name in files if _is_audio(name)]
            pairs = _skip_unsafe([(Path(p).relative_to(root).as_posix(), os.path.abspath(p)) for p in found])
            if not pairs:
                raise ParameterError(f"input={str(root)!r} holds no audio files ({', '.join(AUDIO_EXTENSIONS)})")
        elif root.is_file() and root.suffix.lower() == ".csv":
            pairs = _mtat_pairs(root) if dataset_kind(root) == "mtat" else _read_csv(root)
        elif root.is_file():
            pairs = _name_paths([root], ids)
        else:
            raise ParameterError(f"input={str(root)!r} does not exist")
    else:
        try:
            paths = list(source)
        except TypeError:
            raise ParameterError(f"input={source!r:.60} must be a folder, a CSV file or a sequence of audio file "
                                 "paths") from None
        if not paths:
            raise ParameterError("paths is empty: no files to extract features from")
        for i, path in enumerate(paths):
            if not isinstance(path, (str, os.PathLike)):
                raise ParameterError(f"paths[{i}]={path!r:.60} is not a file path (str or os.PathLike)")
        pairs = _name_paths(paths, ids)
    seen: dict[str, str] = {}
    for track_id, path in pairs:
        _check_id(track_id)
        if seen.setdefault(track_id, path) != path:
            raise ParameterError(f"track id {track_id!r} names two files: {seen[track_id]!r} and {path!r}")
    return sorted(seen.items())


def _name_paths(paths, ids, base=None) -> list[tuple[str, str]]:
    """Pairs of ``ids`` (default: paths relative to the deepest folder holding them all and ``base``)."""
    paths = [os.path.abspath(os.fspath(p)) for p in paths]
    if ids is not None:
        ids = [str(i) for i in ids]
        if len(ids) != len(paths):
            raise ParameterError(f"ids has {len(ids)} entries for {len(paths)} paths")
        return list(zip(ids, paths))
    folders = [os.path.dirname(p) for p in paths] + ([os.path.abspath(base)] if base is not None else [])
    root = os.path.commonpath(folders)
    return [(Path(os.path.relpath(p, root)).as_posix(), p) for p in paths]


def _mtat_pairs(path: Path) -> list[tuple[str, str]]:
    return [(track_id, str(audio)) for track_id, audio in mtat_clip_paths(path)]


def _read_csv(path: Path) -> list[tuple[str, str]]:
    lines = read_rows(path)
    fields = lines[0][1] if lines else []
    if "path" not in fields:
        raise ParameterError(f"input={str(path)!r}: a manifest CSV needs a 'path' column, found {fields}")
    id_field = next((name for name in ("track_id", "id") if name in fields), None)
    rows = []
    for line, values in lines[1:]:
        row = dict(zip(fields, values))  # as csv.DictReader: a short row lacks the last fields
        if not row.get("path"):
            raise ParameterError(f"input={str(path)!r}, line {line}: empty path")
        rows.append(row)
    if not rows:
        raise ParameterError(f"input={str(path)!r} lists no tracks")
    files = [path.parent / row["path"] for row in rows]  # an absolute path stays as it is
    return _name_paths(files, [row.get(id_field, "") for row in rows] if id_field else None, base=path.parent)


def _is_safe_id(track_id: str) -> bool:
    """A relative ``/``-separated path without '.', '..', empty parts or backslashes."""
    return "\\" not in track_id and not any(p in ("", ".", "..") for p in track_id.split("/"))


def _skip_unsafe(pairs) -> list[tuple[str, str]]:
    """The pairs with a safe id; a warning names the files left out (a folder scan: skip, not stop)."""
    unsafe = [path for track_id, path in pairs if not _is_safe_id(track_id)]
    if unsafe:
        _warnings.warn(f"skipped {len(unsafe)} audio file(s) whose name cannot be a track id (a backslash): "
                       f"{unsafe}")
    return [(track_id, path) for track_id, path in pairs if _is_safe_id(track_id)]


def _check_id(track_id: str) -> None:
    if not _is_safe_id(track_id):
        raise ParameterError(f"track id {track_id!r} must be a relative path without '.', '..' or empty parts")
