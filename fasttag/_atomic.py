"""Files written whole or not at all: a synced temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_text_atomic(path, text: str) -> None:
    """Write ``text`` (UTF-8) at ``path`` atomically: a synced temporary file beside it, then rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
