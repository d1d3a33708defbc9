"""The simulator's race checker (fasttag.cuda._racecheck) finds each kind of hazard it names, in
small kernels written with and without the bug, and lets the correct ones through.

Runs in Numba's CUDA simulator only (tests/test_cuda_sim.py runs this file there). Every other
simulated CUDA test runs its kernels inside the checker (conftest.py's ``simulator_racecheck``).
"""

from __future__ import annotations

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

    return SimpleNamespace(**{k.py_func.__name__: k for k in (
        shared_neighbour, shared_uninitialised, shift_in_place, shift_out_of_place, count, copy_between_views,
        divergent_barriers, uneven_barriers)})


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
