"""Imported in the extraction fork server alone (first in its preload list, see
`runners._pool_context`), so that a worker the main process abandoned as it started ends quietly.

After a Ctrl-C the main process tears its pool down, and a worker it had just asked the server
for may then find the pool's semaphores gone as it reads its start-up state: a
FileNotFoundError in ``SemLock.__setstate__``, which the server's child hands to
``sys.excepthook`` and which printed a traceback under the main process's "interrupted".
"""

from __future__ import annotations

import os
import sys

_SEMLOCK_FILE = os.path.join("multiprocessing", "synchronize.py")


def _quiet_when_abandoned(kind, error, traceback) -> None:
    """``sys.excepthook`` of the fork server: as Python's, but silent for that one error."""
    last = traceback
    while last is not None and last.tb_next is not None:
        last = last.tb_next
    code = None if last is None else last.tb_frame.f_code
    if issubclass(kind, FileNotFoundError) and code is not None and code.co_name == "__setstate__" \
            and code.co_filename.endswith(_SEMLOCK_FILE):  # fmt: skip
        return
    sys.__excepthook__(kind, error, traceback)


sys.excepthook = _quiet_when_abandoned
