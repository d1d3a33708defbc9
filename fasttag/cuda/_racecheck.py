"""A race checker for kernels run in Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``).

compute-sanitizer's racecheck needs a GPU. The simulator runs each CUDA thread as a Python
thread, but it never reports two threads touching one element with no barrier between them,
and its barrier lets a block through wherever each thread calls it. Inside ``checking()``,
every element access of every launched kernel is recorded, and each launch reports (at most
MAX_REPORTED of):

- **shared** memory: an element written by one thread and read or written by another thread of
  its block between the same two barriers; an element read before any thread of the block
  wrote it (the simulator keeps one array per kernel line for all blocks, a GPU has garbage);
- **global** memory (by byte address, so views of one buffer alias): an element written by one
  thread and read or written by a thread of another block, or of the same block between the
  same two barriers. Atomics among themselves are not hazards;
- **barriers**: threads of a block at different lines for the same barrier, or passing
  different numbers of barriers.

tests/conftest.py runs every simulated CUDA test inside ``checking()``. Private, and tied to
the simulator's internals (numba-cuda 0.30): installing fails loudly if they move.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from typing import Iterator

import numpy as np

MAX_REPORTED = 5


class RaceHazard(AssertionError):
    """A simulated launch touched an element from two threads without a barrier between them."""


def _races(first: tuple, second: tuple, shared: bool) -> bool:
    """Whether two accesses (thread, barriers passed, atomic, code, line), one of them a write,
    come from two threads with no order between them. thread is (block, thread id)."""
    if first[0] == second[0] or (first[2] and second[2]):
        return False
    if first[0][0] == second[0][0]:  # one block: ordered by a barrier between them
        return first[1] == second[1]
    return not shared  # global memory: blocks are never ordered


def _who(access: tuple) -> str:
    (block, thread), _, _, code, line = access
    return f"{code.co_name}:{line} (block {block}, thread {thread})"


class _Cell:
    """The accesses to one element since its last write: that write, and each thread's last read."""

    __slots__ = ("write", "reads")

    def __init__(self):
        self.write = None
        self.reads = {}


class _Launch:
    """What one kernel launch touched, and the hazards found.

    No lock: a lock held by a thread that the interpreter switches out stalls every other
    simulated thread for a switch interval (the checked tests ran 100x slower). Each step is one
    dict operation, atomic under the GIL; a kernel without hazards never touches one element from
    two threads between barriers, so only a racy kernel can interleave two updates of a cell,
    and it is reported either way."""

    def __init__(self, kernel: str):
        self.kernel = kernel
        self.cells: dict = {}
        self.arrays: dict = {}  # id(array) -> (array, data address, shape, strides), for the launch
        self.barrier_sites: dict = {}  # (block, barrier number) -> site of the first thread there
        self.barriers_passed: dict = {}  # (block, thread id) -> barriers passed
        self.hazards: list[str] = []
        self.reported: set = set()  # (kind, sites): one report per bug, not per element

    def report(self, kind: tuple, hazard: str) -> None:
        """Keep ``hazard`` unless its kind (what, and where) was reported already: one report per
        bug, not per element."""
        if kind not in self.reported and len(self.hazards) < MAX_REPORTED:
            self.reported.add(kind)
            self.hazards.append(f"{self.kernel}: {hazard}")

    def unordered(self, what: str, space: str, element, first: tuple, then: tuple) -> None:
        order = "no barrier between them" if first[0][0] == then[0][0] else "blocks are never ordered"
        self.report((what, first[3:], then[3:]), f"{what} on {space} {_name(element)}: {_who(first)} then "
                    f"{_who(then)}, {order}")

    def array(self, array: np.ndarray) -> tuple:
        """(array, data address, shape, strides), kept for the launch (so that the id stays its)."""
        known = (array, array.__array_interface__["data"][0], array.shape, array.strides)
        return self.arrays.setdefault(id(array), known)

    def access(self, key, element, shared: bool, write: bool, me: tuple) -> None:
        """Record one access ``me`` (see _races) to an element: its key, and (index, shape) for messages."""
        space = "shared" if shared else "global"
        cell = self.cells.get(key)
        if cell is None:
            new = _Cell()
            cell = self.cells.setdefault(key, new)
            if cell is new and shared and not write:
                self.report(("uninitialised", me[3:]), f"uninitialised read of shared {_name(element)} by {_who(me)}: "
                            "no thread of the block wrote it")
        previous = cell.write
        if previous is not None and _races(previous, me, shared):
            self.unordered("write after write" if write else "read after write", space, element, previous, me)
        if not write:
            cell.reads[me[0]] = me
            return
        for read in list(cell.reads.values()):
            if _races(read, me, shared):
                self.unordered("write after read", space, element, read, me)
                break
        cell.write = me
        cell.reads = {}

    def barrier(self, block, thread_id: int, number: int, site: str) -> None:
        first = self.barrier_sites.setdefault((block, number), site)
        if first != site:
            self.report(("divergent", first, site), f"divergent barrier {number} in block {block}: {first} and {site}")
        self.barriers_passed[(block, thread_id)] = number + 1

    def check_barrier_counts(self, block_size: int) -> None:
        blocks = {block for block, _ in self.barriers_passed}
        for block in sorted(blocks):
            counts = sorted({self.barriers_passed.get((block, t), 0) for t in range(block_size)})
            if len(counts) > 1:
                self.report(("uneven", tuple(counts)), f"the threads of block {block} passed {counts} barriers")


def _name(element) -> str:
    index, shape = element
    return f"element {[int(i) for i in index]} of an array {shape}"


class _State:
    """The checkers in force (innermost last), the launch being recorded, and the originals."""

    def __init__(self):
        self.checkers: list[tuple[list[str], bool]] = []
        self.launch: _Launch | None = None
        self.originals: list[tuple[object, str, object]] = []
        self.thread_class = None  # the simulator's BlockThread, once installed


_STATE = _State()
_INTEGERS = (int, np.integer)


def _thread_state(thread) -> list | None:
    """The racecheck state of a simulated thread (created on its first access), None on the host."""
    try:
        return thread._fasttag_racecheck
    except AttributeError:
        if not isinstance(thread, _STATE.thread_class):
            return None
        state = thread._fasttag_racecheck = [(tuple(thread.blockIdx), thread.thread_id), 0, False]
        return state


def _record(array: np.ndarray, index, shared: bool, write: bool) -> None:
    """Record array[index] by the current simulated thread (nothing on the host, or for an index
    that is not one element)."""
    launch = _STATE.launch
    if launch is None:
        return
    state = _thread_state(threading.current_thread())
    if state is None:
        return
    known = launch.arrays.get(id(array)) or launch.array(array)
    address, shape, strides = known[1], known[2], known[3]
    if type(index) is not tuple:
        index = (index,)
    if len(index) != len(shape):
        return
    for i, n, stride in zip(index, shape, strides):
        if not isinstance(i, _INTEGERS):
            return
        i = int(i)  # numpy integers (uint32 in the FFT) would wrap the address
        address += (i + n if i < 0 else i) * stride
    caller = sys._getframe(2)
    me = (state[0], state[1], state[2], caller.f_code, caller.f_lineno)
    launch.access((state[0][0], address) if shared else address, (index, shape), shared, write, me)


class _SharedArray:
    """A shared array whose element accesses are recorded (only indexing: what kernels do)."""

    __slots__ = ("_array",)

    def __init__(self, array: np.ndarray):
        self._array = array

    def __getitem__(self, index):
        _record(self._array, index, shared=True, write=False)
        return self._array[index]

    def __setitem__(self, index, value):
        _record(self._array, index, shared=True, write=True)
        self._array[index] = value

    @property
    def shape(self):
        return self._array.shape

    def __len__(self):
        return len(self._array)


def _patch(owner, name: str, replacement) -> None:
    _STATE.originals.append((owner, name, getattr(owner, name)))  # AttributeError if the simulator changed
    setattr(owner, name, replacement)


def _install() -> None:
    from numba.core import types
    from numba.cuda.simulator import kernel, kernelapi
    from numba.cuda.simulator.cudadrv.devicearray import FakeWithinKernelCUDAArray
    from numba.np import numpy_support

    shared_array = kernelapi.FakeCUDAShared.array
    get_global, set_global = FakeWithinKernelCUDAArray.__getitem__, FakeWithinKernelCUDAArray.__setitem__
    syncthreads = kernel.BlockThread.syncthreads
    launch = kernel.FakeCUDAKernel.__call__

    def tracked_shared_array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:  # dynamic shared memory, alignment: the simulator's own
            return shared_array(self, shape, dtype, alignment)
        caller = sys._getframe(1)  # one array per kernel line, as the simulator keys them
        key = (caller.f_code.co_filename, caller.f_lineno)
        if key not in self._allocations:
            dtype = numpy_support.as_dtype(dtype) if isinstance(dtype, types.Type) else dtype
            self._allocations[key] = _SharedArray(np.empty(shape, dtype))
        return self._allocations[key]

    def tracked_get(self, index):
        _record(self._item._ary, index, shared=False, write=False)
        return get_global(self, index)

    def tracked_set(self, index, value):
        _record(self._item._ary, index, shared=False, write=True)
        set_global(self, index, value)

    def tracked_syncthreads(self):
        state = _thread_state(self)
        launch_record = _STATE.launch
        if launch_record is not None:
            caller = sys._getframe(2)  # the kernel, through FakeCUDAModule.syncthreads
            launch_record.barrier(state[0][0], state[0][1], state[1], f"{caller.f_code.co_name}:{caller.f_lineno}")
        syncthreads(self)
        state[1] += 1

    def checked_launch(self, *args):
        if self._device or kernel._kernel_context is not None or not _STATE.checkers:
            return launch(self, *args)  # a device function, called inside a kernel
        _, block_dim = kernel.normalize_kernel_dimensions(self.grid_dim, self.block_dim)
        _STATE.launch = record = _Launch(self.fn.__qualname__)
        collecting = gc.isenabled()
        gc.disable()  # the records are many small containers, which each collection would scan again
        try:
            result = launch(self, *args)
        finally:
            _STATE.launch = None
            if collecting:
                gc.enable()
        record.check_barrier_counts(int(np.prod(block_dim)))
        hazards, raising = _STATE.checkers[-1]
        hazards.extend(record.hazards)
        if raising and record.hazards:
            raise RaceHazard("\n".join(record.hazards))
        return result

    _STATE.thread_class = kernel.BlockThread
    _patch(kernelapi.FakeCUDAShared, "array", tracked_shared_array)
    _patch(FakeWithinKernelCUDAArray, "__getitem__", tracked_get)
    _patch(FakeWithinKernelCUDAArray, "__setitem__", tracked_set)
    _patch(kernel.BlockThread, "syncthreads", tracked_syncthreads)
    _patch(kernel.FakeCUDAKernel, "__call__", checked_launch)
    for name in ("add", "sub", "and_", "or_", "xor", "inc", "dec", "exch", "max", "min", "nanmax", "nanmin", "cas"):
        _patch(kernelapi.FakeCUDAAtomic, name, _atomic(getattr(kernelapi.FakeCUDAAtomic, name)))


def _atomic(operation):
    """``operation`` (an atomic of the simulator) with its element accesses marked atomic."""

    def marked(self, *args):
        state = _thread_state(threading.current_thread())
        if state is None:
            return operation(self, *args)
        state[2] = True
        try:
            return operation(self, *args)
        finally:
            state[2] = False

    return marked


def _uninstall() -> None:
    while _STATE.originals:
        owner, name, original = _STATE.originals.pop()
        setattr(owner, name, original)


@contextlib.contextmanager
def checking(raise_hazards: bool = True) -> Iterator[list[str]]:
    """Check every simulated kernel launched inside the block; yields the list of hazards found.

    With ``raise_hazards`` a launch with hazards raises :class:`RaceHazard` listing them. Nested
    blocks: the innermost one receives the hazards. Needs Numba's CUDA simulator."""
    from . import _runtime

    if not _runtime.simulator():
        raise RuntimeError("the race checker needs Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1)")
    hazards: list[str] = []
    if not _STATE.checkers:
        _install()
    _STATE.checkers.append((hazards, raise_hazards))
    try:
        yield hazards
    finally:
        _STATE.checkers.pop()
        if not _STATE.checkers:
            _uninstall()
