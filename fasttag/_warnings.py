"""Warnings that name the user's line: the first caller outside the fasttag package, however deep
inside it the warning is raised (what Python 3.12's ``skip_file_prefixes`` does, on every version)."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn(message, category)`` attributed to the nearest frame outside fasttag."""
    frame, level = sys._getframe(1), 2  # level 2: warn's caller, as warnings.warn counts
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
