"""Inputs: the ``(track_id, path)`` pairs of a folder, a manifest CSV or a list of files."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from fasttag.errors import ParameterError

from .params import AUDIO_EXTENSIONS


def _is_audio(name: str) -> bool:
    return name.lower().endswith(AUDIO_EXTENSIONS)


def find_tracks(source, ids=None) -> list[tuple[str, str]]:
    """``(track_id, path)`` pairs of a folder, a manifest CSV or a list of files, sorted by id.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder (searched recursively for wav, flac, ogg, opus and mp3 files); a CSV
        file with a ``path`` column (relative paths are relative to the CSV's folder) and
        optionally a ``track_id`` or ``id`` column; or a sequence of audio file paths.
    ids : sequence of str, optional
        Track ids for a sequence of paths. By default a track's id is its path relative
        to the folder (or the CSV's folder, or the deepest folder holding all the paths),
        with ``/`` separators.

    Raises
    ------
    ParameterError
        No tracks; a missing source; duplicate or unsafe ids.
    """
    if isinstance(source, (str, os.PathLike)):
        root = Path(source)
        if root.is_dir():
            found = []
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                found += [os.path.join(folder, name) for name in files if _is_audio(name)]
            if not found:
                raise ParameterError(f"input={str(root)!r} holds no audio files ({', '.join(AUDIO_EXTENSIONS)})")
            pairs = [(Path(p).relative_to(root).as_posix(), os.path.abspath(p)) for p in found]
        elif root.is_file() and root.suffix.lower() == ".csv":
            pairs = _read_csv(root)
        elif root.is_file():
            pairs = _name_paths([root], ids)
        else:
            raise ParameterError(f"input={str(root)!r} does not exist")
    else:
        paths = list(source)
        if not paths:
            raise ParameterError("paths is empty: no files to extract features from")
        pairs = _name_paths(paths, ids)
    seen: dict[str, str] = {}
    for track_id, path in pairs:
        _check_id(track_id)
        if seen.setdefault(track_id, path) != path:
            raise ParameterError(f"track id {track_id!r} names two files: {seen[track_id]!r} and {path!r}")
    return sorted(seen.items())


def _name_paths(paths, ids) -> list[tuple[str, str]]:
    paths = [os.path.abspath(os.fspath(p)) for p in paths]
    if ids is not None:
        ids = [str(i) for i in ids]
        if len(ids) != len(paths):
            raise ParameterError(f"ids has {len(ids)} entries for {len(paths)} paths")
        return list(zip(ids, paths))
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    return [(Path(os.path.relpath(p, root)).as_posix(), p) for p in paths]


def _read_csv(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        if "path" not in fields:
            raise ParameterError(f"input={str(path)!r}: a manifest CSV needs a 'path' column, found {fields}")
        id_field = next((name for name in ("track_id", "id") if name in fields), None)
        pairs = []
        for row in reader:
            file = Path(row["path"])
            full = file if file.is_absolute() else path.parent / file
            track_id = row[id_field] if id_field else (file.as_posix() if not file.is_absolute() else None)
            if track_id is None:
                track_id = Path(os.path.relpath(full, path.parent)).as_posix()
            pairs.append((track_id, os.path.abspath(full)))
    if not pairs:
        raise ParameterError(f"input={str(path)!r} lists no tracks")
    return pairs


def _check_id(track_id: str) -> None:
    parts = track_id.split("/")
    if not track_id or track_id.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in track_id:
        raise ParameterError(f"track id {track_id!r} must be a relative path without '.', '..' or empty parts")
