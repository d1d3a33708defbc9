"""A race checker for kernels run in Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``).

compute-sanitizer's racecheck needs a GPU. The simulator runs each CUDA thread as a Python
thread, but it never reports two threads touching one element with no barrier between them;
it runs the blocks of a launch one after another (so races between blocks cannot show), keeps
one shared array per kernel line for all blocks (so a block may read what the previous one
left), and lets a block through a barrier wherever each thread calls it. Inside
``checking()``, the element accesses of every launched kernel are recorded: indexing of its
global arrays (and of views of them), of its static shared arrays (``cuda.shared.array`` with
a shape), and the atomics on either. Each launch reports (the first MAX_REPORTED kinds):

- **shared** memory: an element written by one thread and read or written by another thread of
  its block between the same two barriers; an element read before any thread of its block
  wrote it;
- **global** memory (keyed by each element's first byte, so views of one buffer alias): an
  element written by one thread and read or written by a thread of another block, or of the
  same block between the same two barriers. Atomics among themselves, and two writes of the
  same value (a flag), are not hazards;
- **barriers**: the threads of a block reaching the same barrier from different lines (the
  call chain within the kernel), or passing different numbers of barriers.

tests/conftest.py's ``cuda_kernels`` fixture runs the simulated CUDA tests inside ``checking()``.
Private, and tied to the simulator's internals (numba-cuda 0.30): installing fails loudly if
they move, and leaves the simulator as it was.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import sys
import threading
from typing import Iterator

import numpy as np

MAX_REPORTED = 5
_INTEGERS = (int, np.integer)
_ATOMICS = ("add", "sub", "and_", "or_", "xor", "inc", "dec", "exch", "max", "min", "nanmax", "nanmin", "cas",
            "compare_and_swap")


class RaceHazard(AssertionError):
    """A simulated launch touched an element from two threads without a barrier between them."""


# An access is a tuple (thread, barriers passed, atomic, code, line, value written or None),
# thread being (block, thread id).


def _races(first: tuple, second: tuple, shared: bool) -> bool:
    """Whether two accesses to one element, one of them a write, come from two threads with no
    order between them (and are not two atomics, or two writes of one value)."""
    if first[0] == second[0] or (first[2] and second[2]):
        return False
    if first[5] is not None and second[5] is not None and np.ndim(first[5]) == np.ndim(second[5]) == 0 \
            and first[5] == second[5]:
        return False
    if first[0][0] == second[0][0]:  # one block: ordered by a barrier between them
        return first[1] == second[1]
    return not shared  # global memory: blocks are never ordered


def _who(access: tuple) -> str:
    (block, thread), _, _, code, line, _ = access
    return f"{code.co_name}:{line} (block {block}, thread {thread})"


def _name(element) -> str:
    index, shape = element
    return f"element {[int(i) for i in index]} of an array {shape}"


class _Cell:
    """The accesses to one element: its writes (the last one at the right; a writer appends, then
    takes the one before it from the left, so two writers never miss each other) and each
    thread's last read since the last write."""

    __slots__ = ("writes", "reads")

    def __init__(self):
        self.writes = collections.deque([None])
        self.reads = {}


class _Launch:
    """What one kernel launch touched, and the hazards found.

    No lock: a lock held by a thread that the interpreter switches out stalls every other
    simulated thread for a switch interval (the checked tests ran 100x slower). Each step is one
    operation on a dict or deque, atomic under the GIL, and each access is published before it
    is checked (a read enters ``reads`` before it looks at the last write; a write becomes the
    last write before it looks at the reads), so of two racing accesses the later check sees the
    other."""

    def __init__(self, kernel: str):
        self.kernel = kernel
        self.cells: dict = {}
        self.arrays: dict = {}  # id(array) -> (array, data address, shape, strides), for the launch
        self.barrier_sites: dict = {}  # (block, barrier number) -> call chain of the first thread there
        self.barriers_passed: dict = {}  # (block, thread id) -> barriers passed
        self.reported: dict = {}  # kind (what, where) -> message: one report per bug, not per element

    def report(self, kind: tuple, hazard: str) -> None:
        self.reported.setdefault(kind, f"{self.kernel}: {hazard}")

    def hazards(self) -> list[str]:
        found = list(self.reported.values())
        more = [f"{self.kernel}: and {len(found) - MAX_REPORTED} more"] if len(found) > MAX_REPORTED else []
        return found[:MAX_REPORTED] + more

    def unordered(self, what: str, space: str, element, first: tuple, then: tuple) -> None:
        order = "no barrier between them" if first[0][0] == then[0][0] else "blocks are never ordered"
        self.report((what, first[3:5], then[3:5]), f"{what} on {space} {_name(element)}: {_who(first)} then "
                    f"{_who(then)}, {order}")

    def array(self, array: np.ndarray) -> tuple:
        """(array, data address, shape, strides); holding the array keeps its id unique for the launch."""
        known = (array, array.__array_interface__["data"][0], array.shape, array.strides)
        return self.arrays.setdefault(id(array), known)

    def access(self, key, element, shared: bool, me: tuple) -> None:
        """Record the access ``me`` to an element: its key, and (index, shape) for messages."""
        space = "shared" if shared else "global"
        cell = self.cells.get(key)
        if cell is None:
            new = _Cell()
            cell = self.cells.setdefault(key, new)
            if cell is new and shared and me[5] is None:
                self.report(("uninitialised", me[3:5]), f"uninitialised read of shared {_name(element)} by "
                            f"{_who(me)}: no thread of its block wrote it before")
        if me[5] is None:  # a read
            cell.reads[me[0]] = me
            last = cell.writes[-1]
            if last is not None and _races(last, me, shared):
                self.unordered("read after write", space, element, last, me)
            return
        cell.writes.append(me)
        previous = cell.writes.popleft()
        if previous is not None and _races(previous, me, shared):
            self.unordered("write after write", space, element, previous, me)
        for read in list(cell.reads.values()):
            if _races(read, me, shared):
                self.unordered("write after read", space, element, read, me)
                break
        cell.reads = {}  # a read published since is checked against this write by its reader

    def barrier(self, block, thread_id: int, number: int, chain: tuple) -> None:
        first = self.barrier_sites.setdefault((block, number), chain)
        if first != chain:
            self.report(("divergent", first, chain),
                        f"divergent barrier {number} in block {block}: {_chain(first)} and {_chain(chain)}")
        self.barriers_passed[(block, thread_id)] = number + 1

    def check_barrier_counts(self, block_size: int) -> None:
        blocks = {block for block, _ in self.barriers_passed}
        for block in sorted(blocks):
            counts = sorted({self.barriers_passed.get((block, t), 0) for t in range(block_size)})
            if len(counts) > 1:
                self.report(("uneven", tuple(counts)), f"the threads of block {block} passed {counts} barriers")


def _chain(chain: tuple) -> str:
    return " < ".join(f"{name}:{line}" for name, line in chain)


class _State:
    """The checkers in force (innermost last), the launch being recorded, and the originals."""

    def __init__(self):
        self.checkers: list[tuple[list[str], bool]] = []
        self.launch: _Launch | None = None
        self.originals: list[tuple[object, str, object]] = []
        self.thread_class = None  # the simulator's BlockThread, once installed
        self.simulator_files: tuple[str, ...] = ()  # its kernel.py and kernelapi.py


_STATE = _State()


def _thread_state(thread) -> list | None:
    """A simulated thread's [(block, thread id), barriers passed, in an atomic, its launch],
    made on its first access; None on the host. The launch is the thread's own: threads of a
    launch that failed may run on until their next barrier, and must not record in the next."""
    try:
        return thread._fasttag_racecheck
    except AttributeError:
        if not isinstance(thread, _STATE.thread_class) or _STATE.launch is None:
            return None
        state = thread._fasttag_racecheck = [(tuple(thread.blockIdx), thread.thread_id), 0, False, _STATE.launch]
        return state


def _kernel_frame(frame):
    """``frame``, or the first one above it outside the simulator (for an atomic's accesses)."""
    while frame.f_code.co_filename in _STATE.simulator_files:
        frame = frame.f_back
    return frame


def _record(array: np.ndarray, index, shared: bool, value=None) -> None:
    """Record array[index] by the current simulated thread: a read of one element, or a write of
    ``value`` to each element the index covers (a slice too). Nothing on the host, or for taking
    a view (its elements are recorded as they are used)."""
    state = _thread_state(threading.current_thread())
    if state is None:
        return
    caller = _kernel_frame(sys._getframe(2))
    me = (state[0], state[1], state[2], caller.f_code, caller.f_lineno, value)
    if _record_element(state, array, index, shared, me) or value is None:
        return
    view = array[index]
    for element in np.ndindex(view.shape):
        _record_element(state, view, element, shared, me)


def _record_element(state: list, array: np.ndarray, index, shared: bool, me: tuple) -> bool:
    """Record ``me`` on array[index] if the index is one element; False (nothing recorded) if not."""
    launch = state[3]
    known = launch.arrays.get(id(array)) or launch.array(array)
    offset, shape, strides = known[1], known[2], known[3]
    if type(index) is not tuple:
        index = (index,)
    if len(index) != len(shape):
        return False
    for i, n, stride in zip(index, shape, strides):
        if not isinstance(i, _INTEGERS):
            return False
        i = int(i)  # numpy integers (uint32 in the FFT) would wrap the address
        offset += (i + n if i < 0 else i) * stride
    launch.access((state[0][0], offset) if shared else offset, (index, shape), shared, me)
    return True


class _SharedArray:
    """A static shared array (or a view of one) whose element accesses are recorded."""

    __slots__ = ("_array",)

    def __init__(self, array: np.ndarray):
        self._array = array

    def __getitem__(self, index):
        _record(self._array, index, shared=True)
        got = self._array[index]
        return _SharedArray(got) if isinstance(got, np.ndarray) else got

    def __setitem__(self, index, value):
        _record(self._array, index, shared=True, value=value)
        self._array[index] = value

    def __getattr__(self, name):  # shape, size, dtype, ndim, ...
        return getattr(self._array, name)

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
    thread_body = next((c for c in kernel.BlockManager.run.__code__.co_consts  # calls the kernel in a thread
                        if getattr(c, "co_name", None) == "target"), None)
    if thread_body is None:
        raise RuntimeError("numba's CUDA simulator changed: BlockManager.run has no 'target'")

    def tracked_shared_array(self, shape, dtype, alignment=None):
        if shape == 0 or alignment is not None:  # dynamic shared memory, alignment: the simulator's own
            return shared_array(self, shape, dtype, alignment)
        caller = sys._getframe(1)  # one array per kernel line, as the simulator keys them
        dtype = numpy_support.as_dtype(dtype) if isinstance(dtype, types.Type) else dtype
        key = (caller.f_code.co_filename, caller.f_lineno)
        return self._allocations.setdefault(key, _SharedArray(np.empty(shape, dtype)))

    def tracked_get(self, index):
        _record(self._item._ary, index, shared=False)
        return get_global(self, index)

    def tracked_set(self, index, value):
        _record(self._item._ary, index, shared=False, value=value)
        set_global(self, index, value)

    def tracked_syncthreads(self):
        state = _thread_state(self)
        if state is not None:
            chain, frame = [], sys._getframe(1)
            while frame is not None and frame.f_code is not thread_body:  # up to the kernel
                if frame.f_code.co_filename not in _STATE.simulator_files:
                    chain.append((frame.f_code.co_name, frame.f_lineno))
                frame = frame.f_back
            state[3].barrier(state[0][0], state[0][1], state[1], tuple(chain))
        syncthreads(self)
        if state is not None:
            state[1] += 1

    def checked_launch(self, *args):
        if self._device or kernel._kernel_context is not None or not _STATE.checkers:
            return launch(self, *args)  # a device function, called inside a kernel
        _, block_dim = kernel.normalize_kernel_dimensions(self.grid_dim, self.block_dim)
        _STATE.launch = record = _Launch(self.fn.__qualname__)
        collecting = gc.isenabled()
        gc.disable()  # the records are many small containers, which each collection would scan again
        try:
            return launch(self, *args)
        finally:  # also after a failed launch: a RaceHazard raised here names the failure as its context
            _STATE.launch = None
            if collecting:
                gc.enable()
            record.check_barrier_counts(int(np.prod(block_dim)))
            hazards, raising = _STATE.checkers[-1]
            found = record.hazards()
            hazards.extend(found)
            if raising and found:
                raise RaceHazard("\n".join(found))

    _STATE.thread_class = kernel.BlockThread
    _STATE.simulator_files = (kernel.__file__, kernelapi.__file__)
    _patch(kernelapi.FakeCUDAShared, "array", tracked_shared_array)
    _patch(FakeWithinKernelCUDAArray, "__getitem__", tracked_get)
    _patch(FakeWithinKernelCUDAArray, "__setitem__", tracked_set)
    _patch(kernel.BlockThread, "syncthreads", tracked_syncthreads)
    _patch(kernel.FakeCUDAKernel, "__call__", checked_launch)
    for name in _ATOMICS:
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
        try:
            _install()
        except BaseException:
            _uninstall()
            raise
    _STATE.checkers.append((hazards, raise_hazards))
    try:
        yield hazards
    finally:
        _STATE.checkers.pop()
        if not _STATE.checkers:
            _uninstall()
