"""Host-made constants kept on the GPU between calls: windows, twiddles, mel and DCT rows,
Savitzky-Golay matrices. A repeated call with the same parameters builds and copies nothing
(building a 96-band mel basis and its sparse rows alone takes about 0.4 ms of Python).
"""

from __future__ import annotations

import collections
import threading

import numpy as np

KEPT = 64  # entries kept, least recently used dropped first; each holds a few kB of the GPU's memory

_entries: collections.OrderedDict = collections.OrderedDict()
_lock = threading.Lock()


def _typed(key: tuple):
    """``key`` with each value's type beside it (1, 1.0 and True are validated apart, so they
    are kept apart), or None when a value cannot be hashed (an array: then nothing is kept)."""
    typed = tuple((type(value), value) for value in key)
    try:
        hash(typed)
    except TypeError:
        return None
    return typed


def _upload(cuda, make) -> tuple:
    # no stream: a synchronous copy, finished before any kernel on any stream can read it
    return tuple(cuda.to_device(np.ascontiguousarray(array)) for array in make())


def device_constants(cuda, key: tuple, make, *, simulated: bool) -> tuple:
    """Device copies of the numpy arrays ``make()`` returns, built and copied once per CUDA
    context and ``key`` (the parameters they depend on, as hashable values).

    The entry holds its context, so the context's id is not reused while the entry lives; after
    ``numba.cuda.close()`` the new context gets new copies. The simulator has one context."""
    typed = _typed(key)
    if typed is None:
        return _upload(cuda, make)
    context = cuda.current_context()
    slot = (0 if simulated else id(context), typed)
    with _lock:
        entry = _entries.get(slot)
        if entry is not None:
            _entries.move_to_end(slot)
            return entry[1]
    arrays = _upload(cuda, make)  # outside the lock: make() may raise ParameterError, or warn
    with _lock:
        _entries[slot] = (context, arrays)
        while len(_entries) > KEPT:
            _entries.popitem(last=False)
    return arrays


def clear() -> None:
    """Drop every kept constant (their GPU memory is freed with the last reference)."""
    with _lock:
        _entries.clear()
