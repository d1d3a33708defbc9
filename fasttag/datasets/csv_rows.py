"""Reading the CSV files of datasets and collections: UTF-8 (with or without Excel's BOM), and a
ManifestError naming the file and line for anything else."""

from __future__ import annotations

import csv
from pathlib import Path

from fasttag.datasets.records import ManifestError


def read_rows(path: str | Path, *, delimiter: str = ",") -> list[tuple[int, list[str]]]:
    """``(line, fields)`` for each non-blank row of the CSV at ``path``, ``line`` counted from 1.

    Raises
    ------
    ManifestError
        The file is not UTF-8 text (e.g. saved as Latin-1 or Windows-1252), or a field is
        malformed or longer than the csv module's limit; the message names the file and the line.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # utf-8-sig: a BOM (Excel) too
            reader = csv.reader(f, delimiter=delimiter)
            return [(reader.line_num, row) for row in reader if row]
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ManifestError(f"{path}, line {line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}); "
                            "save the file as UTF-8") from None
    except csv.Error as exc:
        raise ManifestError(f"{path}, line {reader.line_num}: {exc}") from None
