"""Host-made constants kept on the GPU between calls: windows, twiddles, mel and DCT rows,
Savitzky-Golay matrices. A repeated call with the same parameters builds and copies nothing
(building a 96-band mel basis and its sparse rows alone takes about 0.4 ms of Python).

Lifetimes on a GPU:
- a new entry is copied and the device synchronised before any kernel can read it: a copy
  from pageable memory may still be in flight when ``cuMemcpyHtoD`` returns, and kernels on a
  torch or CuPy stream do not wait for the legacy default stream;
- the device is synchronised before an entry is dropped (rare: past KEPT entries), so no
  kernel queued until then still reads the memory freed;
- entries of a context that numba has closed (``numba.cuda.close()``, then a new context on
  the same device) are retired, never freed: their memory went with their context.
"""

from __future__ import annotations

import collections
import threading
import warnings

import numpy as np

from .. import _warnings

KEPT = 64  # entries kept, least recently used dropped first; each holds a few kB of the GPU's memory

_entries: collections.OrderedDict = collections.OrderedDict()  # (context id, typed key) -> Entry
_contexts: dict = {}  # device id -> the context the entries of that device were made in
_retired: list = []  # entries of closed contexts, kept so that nothing frees their pointers
_lock = threading.Lock()

Entry = collections.namedtuple("Entry", "context arrays warnings")


def _typed(key: tuple):
    """``key`` with each value's type beside it (1, 1.0 and True are validated apart, so they
    are kept apart), or None when a value cannot be hashed (an array: then nothing is kept)."""
    typed = tuple((type(value), value) for value in key)
    try:
        hash(typed)
    except TypeError:
        return None
    return typed


def _build(cuda, make, context, *, simulated: bool) -> Entry:
    """make()'s arrays on the GPU, and the warnings that building them gave (raised at each use)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arrays = tuple(cuda.to_device(np.ascontiguousarray(array)) for array in make())
    if not simulated:
        cuda.synchronize()
    return Entry(context, arrays, tuple((w.message, w.category) for w in caught))


def _retire_closed_context(context, simulated: bool) -> None:
    """Under _lock: when ``context`` replaced an earlier one of its device, retire that one's entries."""
    if simulated:
        return
    device = context.device.id
    earlier = _contexts.get(device)
    if earlier is not None and earlier is not context:
        for slot in [slot for slot, entry in _entries.items() if entry.context is earlier]:
            _retired.append(_entries.pop(slot))
    _contexts[device] = context


def _use(entry: Entry) -> tuple:
    for message, category in entry.warnings:
        _warnings.warn(message, category)
    return entry.arrays


def device_constants(cuda, key: tuple, make, *, simulated: bool) -> tuple:
    """Device copies of the numpy arrays ``make()`` returns, built and copied once per CUDA
    context and ``key`` (the parameters they depend on, as hashable values); ``make()``'s
    warnings (an empty mel band, say) are raised again at every call, as the CPU path does."""
    typed = _typed(key)
    if typed is None:
        return _use(_build(cuda, make, None, simulated=simulated))
    context = cuda.current_context()
    slot = (0 if simulated else id(context), typed)
    with _lock:
        _retire_closed_context(context, simulated)
        entry = _entries.get(slot)
        if entry is not None:
            _entries.move_to_end(slot)
            return _use(entry)
    built = _build(cuda, make, context, simulated=simulated)  # outside the lock: make() may raise
    with _lock:
        entry = _entries.setdefault(slot, built)  # another thread's copy, if it was first
        if len(_entries) > KEPT:
            if not simulated:
                cuda.synchronize()
            while len(_entries) > KEPT:
                _entries.popitem(last=False)
    return _use(entry)


def clear() -> None:
    """Drop every kept constant (for tests; on a GPU, synchronise first)."""
    with _lock:
        _entries.clear()
