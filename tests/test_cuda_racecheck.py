"""The simulator's race checker (fasttag.cuda._racecheck) finds each kind of hazard it names, in
small kernels written with and without the bug, and lets the correct ones through.

Runs in Numba's CUDA simulator only (tests/test_cuda_sim.py runs this file there). Every other
simulated CUDA test runs its kernels inside the checker (conftest.py's ``simulator_racecheck``).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import fasttag.cuda as fc

if not fc.simulator():
    pytest.skip("the race checker is for Numba's CUDA simulator (tests/test_cuda_sim.py runs this file there)",
                allow_module_level=True)

import numba  # noqa: E402 (the simulator swaps the module global ``cuda`` inside kernels)
from numba import cuda  # noqa: E402

from fasttag.cuda import _racecheck  # noqa: E402

THREADS = 8


@pytest.fixture(scope="module")
def kernels():
    """Small kernels, each with a hazard or without it."""

    @cuda.jit
    def shared_neighbour(x, out, barrier):
        """Each block's THREADS values rotated by one through shared memory, with or without the
        barrier that this needs."""
        s = cuda.shared.array(THREADS, numba.float64)
        t = cuda.threadIdx.x
        first = cuda.blockIdx.x * THREADS
        s[t] = x[first + t]
        if barrier:
            cuda.syncthreads()
        out[first + t] = s[(t + 1) % THREADS]

    @cuda.jit
    def shared_uninitialised(x, out):
        """Reads one shared element past those the block wrote."""
        s = cuda.shared.array(THREADS + 1, numba.float64)
        t = cuda.threadIdx.x
        s[t] = x[t]
        cuda.syncthreads()
        out[t] = s[t + 1]

    @cuda.jit
    def shift_in_place(x):
        """x[i] = x[i + 1] over the grid: thread i reads what thread i + 1 writes."""
        i = cuda.grid(1)
        if i + 1 < x.shape[0]:
            x[i] = x[i + 1]

    @cuda.jit
    def shift_out_of_place(x, out):
        i = cuda.grid(1)
        if i + 1 < x.shape[0]:
            out[i] = x[i + 1]

    @cuda.jit
    def count(out, atomic):
        """out[0] += 1 from every thread, atomically or not."""
        if atomic:
            cuda.atomic.add(out, 0, 1.0)
        else:
            out[0] = out[0] + 1.0

    @cuda.jit
    def copy_between_views(a, b):
        """a[t] = b[t]: a race when a and b are overlapping views of one buffer."""
        t = cuda.grid(1)
        a[t] = b[t] + 1.0

    @cuda.jit
    def divergent_barriers(out):
        t = cuda.threadIdx.x
        if t < THREADS // 2:
            cuda.syncthreads()
        else:
            cuda.syncthreads()
        out[t] = t

    @cuda.jit
    def uneven_barriers(out):
        t = cuda.threadIdx.x
        if t == 0:
            cuda.syncthreads()
        out[t] = t

    @cuda.jit
    def shared_rows(x, out, barrier):
        """x rotated by one through a (2, THREADS) shared tile written through row views (thread t
        writes column t of row t % 2); the zeroing by slices is a write of every element."""
        s = cuda.shared.array((2, THREADS), numba.float64)
        t = cuda.threadIdx.x
        if t == 0:
            s[:, :] = 0.0
        cuda.syncthreads()
        row = s[t % 2]
        row[t] = x[t] + s.shape[1] * s.size * 0.0
        if barrier:
            cuda.syncthreads()
        out[t] = s[(t + 1) % 2, (t + 1) % THREADS]

    @cuda.jit
    def flag_and_swap(x, flag, lock):
        """Every thread sets one flag to the same value (a benign race) and swaps a lock atomically."""
        t = cuda.grid(1)
        if x[t] > 0:
            flag[0] = 1
        cuda.atomic.compare_and_swap(lock, 0, t + 1)

    @cuda.jit(device=True)
    def wait_for_block():
        cuda.syncthreads()

    @cuda.jit
    def barrier_in_a_helper(out):
        t = cuda.threadIdx.x
        if t < THREADS // 2:
            wait_for_block()
        else:
            wait_for_block()
        out[t] = t

    @cuda.jit
    def fails_while_others_write(out, stop):
        """Thread 0 raises; the others write one element until told to stop, so they run on
        after the launch has failed."""
        t = cuda.threadIdx.x
        if t == 0:
            raise ValueError("thread 0 fails")
        k = 0
        while stop[0] == 0 and k < 1000000:
            out[0] = k
            k += 1

    @cuda.jit
    def each_thread_its_element(out):
        for k in range(20):
            out[cuda.threadIdx.x] = k

    return SimpleNamespace(**{k.py_func.__name__: k for k in (
        shared_neighbour, shared_uninitialised, shift_in_place, shift_out_of_place, count, copy_between_views,
        divergent_barriers, uneven_barriers, shared_rows, flag_and_swap, barrier_in_a_helper,
        fails_while_others_write, each_thread_its_element)})


def _checked(launch) -> list[str]:
    """The hazards ``launch()`` reports (collected, not raised)."""
    with _racecheck.checking(raise_hazards=False) as hazards:
        launch()
    return hazards


def _one(hazards: list[str], *fragments: str) -> None:
    assert hazards, "no hazard reported"
    assert any(all(f in h for f in fragments) for h in hazards), f"no hazard with {fragments}: {hazards}"


def test_shared_memory_needs_its_barrier(kernels, rng):
    x = rng.standard_normal((2, THREADS))
    out = cuda.device_array(2 * THREADS)
    _one(_checked(lambda: kernels.shared_neighbour[1, THREADS](x.ravel(), out, False)), "shared_neighbour",
         "on shared", "no barrier between")
    assert _checked(lambda: kernels.shared_neighbour[2, THREADS](x.ravel(), out, True)) == []  # a block each
    np.testing.assert_array_equal(out.copy_to_host().reshape(2, THREADS), np.roll(x, -1, axis=1))


def test_uninitialised_shared_read(kernels, rng):
    out = cuda.device_array(THREADS)
    _one(_checked(lambda: kernels.shared_uninitialised[1, THREADS](rng.standard_normal(THREADS), out)),
         "uninitialised read of shared element [8]", "block (0, 0, 0)")


@pytest.mark.parametrize("blocks, threads", [(1, 2 * THREADS), (2 * THREADS, 1)])  # in one block; across blocks
def test_global_memory_in_place(kernels, rng, blocks, threads):
    x = cuda.to_device(rng.standard_normal(2 * THREADS))
    _one(_checked(lambda: kernels.shift_in_place[blocks, threads](x)), "shift_in_place", "on global",
         "no barrier between" if blocks == 1 else "blocks are never ordered")
    host = rng.standard_normal(2 * THREADS)
    out = cuda.device_array(2 * THREADS)
    assert _checked(lambda: kernels.shift_out_of_place[blocks, threads](cuda.to_device(host), out)) == []
    np.testing.assert_array_equal(out.copy_to_host()[:-1], host[1:])


def test_atomics_are_not_hazards_among_themselves(kernels):
    out = cuda.to_device(np.zeros(1))
    assert _checked(lambda: kernels.count[2, THREADS](out, True)) == []
    assert out.copy_to_host()[0] == 2 * THREADS
    _one(_checked(lambda: kernels.count[2, THREADS](out, False)), "count", "after write on global element [0]")


def test_views_of_one_buffer_alias(kernels):
    buffer = cuda.to_device(np.arange(2 * THREADS, dtype=np.float64))
    _one(_checked(lambda: kernels.copy_between_views[1, THREADS](buffer[:THREADS], buffer[THREADS // 2:][:THREADS])),
         "copy_between_views", "on global")
    assert _checked(lambda: kernels.copy_between_views[1, THREADS](buffer[:THREADS], buffer[THREADS:])) == []


def test_barriers_every_thread_must_reach(kernels):
    out = cuda.device_array(THREADS)
    _one(_checked(lambda: kernels.divergent_barriers[1, THREADS](out)), "divergent barrier 0")
    _one(_checked(lambda: kernels.uneven_barriers[1, THREADS](out)), "passed [0, 1] barriers")


def test_views_and_slices_of_shared_arrays(kernels, rng):
    x = rng.standard_normal(THREADS)
    out = cuda.device_array(THREADS)
    _one(_checked(lambda: kernels.shared_rows[1, THREADS](x, out, False)), "shared_rows", "on shared",
         "of an array (2, 8)")
    assert _checked(lambda: kernels.shared_rows[1, THREADS](x, out, True)) == []  # no "uninitialised" either
    np.testing.assert_array_equal(out.copy_to_host(), np.roll(x, -1))


def test_same_value_flags_and_compare_and_swap_are_not_hazards(kernels, rng):
    x = np.abs(rng.standard_normal(2 * THREADS)) + 0.5
    flag = cuda.to_device(np.zeros(1, np.int64))
    lock = cuda.to_device(np.zeros(1, np.int64))
    assert _checked(lambda: kernels.flag_and_swap[2, THREADS](x, flag, lock)) == []
    assert flag.copy_to_host()[0] == 1 and 1 <= lock.copy_to_host()[0] <= 2 * THREADS


def test_a_barrier_is_told_apart_by_its_call_chain(kernels):
    _one(_checked(lambda: kernels.barrier_in_a_helper[1, THREADS](cuda.device_array(THREADS))),
         "divergent barrier 0", "barrier_in_a_helper:")


def test_a_failed_launch_leaves_the_next_ones_clean(kernels):
    stop = cuda.to_device(np.zeros(1))
    try:
        with _racecheck.checking(raise_hazards=False) as hazards:
            with pytest.raises(ValueError, match="thread 0 fails"):
                kernels.fails_while_others_write[1, THREADS](cuda.device_array(1), stop)
            failed = len(hazards)
            for _ in range(3):  # while the failed launch's other threads still write
                kernels.each_thread_its_element[1, THREADS](cuda.device_array(THREADS))
    finally:
        stop.copy_to_device(np.ones(1))
    assert hazards[failed:] == []


def test_a_hazard_fails_the_launch_that_made_it(kernels, rng):
    out = cuda.device_array(THREADS)
    with _racecheck.checking(), pytest.raises(_racecheck.RaceHazard, match="shared_neighbour"):
        kernels.shared_neighbour[1, THREADS](rng.standard_normal(THREADS), out, False)
    assert not _racecheck._STATE.originals, "the simulator was not restored"


@pytest.mark.usefixtures("cuda_kernels")
def test_the_cuda_test_files_are_checked(kernels, rng):
    """The fixture that the CUDA test files use turns the checker on."""
    with pytest.raises(_racecheck.RaceHazard, match="shift_in_place"):
        kernels.shift_in_place[1, THREADS](cuda.to_device(rng.standard_normal(THREADS)))


@pytest.mark.parametrize("pause_before", ["cell.reads[me[0]] = me", "last = cell.writes[-1]"])
def test_a_race_is_reported_whatever_the_thread_switches(pause_before):
    """The checker keeps no lock: a read paused at either step of its record while another
    thread writes the element must still be reported."""
    lines = Path(_racecheck.__file__).read_text(encoding="utf-8").splitlines()
    pause_line = next(i + 1 for i, line in enumerate(lines) if pause_before in line)
    launch = _racecheck._Launch("k")
    site = test_a_race_is_reported_whatever_the_thread_switches.__code__

    def access(thread: int, value=None) -> tuple:
        return ((0, 0, 0), thread), 0, False, site, 1, value

    paused, resume = threading.Event(), threading.Event()

    def pause(frame, event, arg):
        if frame.f_code is not _racecheck._Launch.access.__code__:
            return None

        def at_line(frame, event, arg):
            if event == "line" and frame.f_lineno == pause_line:
                paused.set()
                resume.wait(10)
            return at_line

        return at_line

    def read():
        sys.settrace(pause)
        launch.access(0, ((0,), (1,)), False, access(1))

    reader = threading.Thread(target=read)
    reader.start()
    assert paused.wait(10)
    launch.access(0, ((0,), (1,)), False, access(2, 1.0))
    resume.set()
    reader.join()
    _one(launch.hazards(), "after", "on global element [0]")
