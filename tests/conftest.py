"""Shared fixtures for the core-API tests: seeded randomness, music-like signals, tolerances.

* ``rng``: a fresh ``numpy.random.Generator`` per test, seeded from the test's node id
  (so every parametrisation gets its own stream and a failure reproduces); the seed is
  printed, and ``FASTTAG_TEST_SEED=<int>`` overrides it for every test.
* ``music``: a generator of music-like test signals (pitched notes with harmonics, a drum
  pattern of kick/snare/hi-hat bursts, background noise), different on every call.
* ``far_codebook``: k-means points and a tight codebook far from the origin, where float
  distances expanded as ||x||^2 - 2 x.c + ||c||^2 lose the codebook's spread.
* ``tol``: the tolerance table, one entry per dtype, plus the comparison helpers
  (max-relative and relative-norm errors) that every reference test uses.
* the ``pairwise`` marker: ``@pytest.mark.pairwise(name=[values], ...)`` parametrises the
  test's ``case`` argument (a dict) with a small set of combinations in which every pair
  of values of any two parameters occurs at least once (all-pairs covering), instead of
  the full Cartesian product.
"""

from __future__ import annotations

import itertools
import os
import zlib
from dataclasses import dataclass

import numpy as np
import pytest

# ----------------------------------------------------------------------------- randomness


def _seed_for(nodeid: str) -> int:
    override = os.environ.get("FASTTAG_TEST_SEED", "").strip()
    if override:  # set and not empty
        return int(override)
    return zlib.crc32(nodeid.encode("utf-8"))


@pytest.fixture(scope="session")
def seed_for():
    """The seeding rule of ``rng`` for wider-scoped fixtures: seed_for(request.node.nodeid) -> int."""
    return _seed_for


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's node id (printed; FASTTAG_TEST_SEED overrides)."""
    seed = _seed_for(request.node.nodeid)
    print(f"rng seed: {seed} (set FASTTAG_TEST_SEED={seed} to reproduce)")
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- signals


def _span(n_samples: int, sr: float, start: float, length: float) -> tuple[int, int, np.ndarray]:
    """Sample range [i0, i1) of an event from ``start`` for ``length`` seconds, and its local time."""
    i0 = min(n_samples, max(0, int(np.ceil(start * sr))))
    i1 = min(n_samples, max(i0, int(np.ceil((start + length) * sr))))
    return i0, i1, np.arange(i0, i1) / sr - start


def _add_note(rng, y: np.ndarray, sr: float, start: float, length: float, gain: float) -> None:
    """A pitched note: a few harmonics under an attack/decay envelope, starting at ``start`` s."""
    midi = rng.uniform(36, 96)
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12)
    i0, i1, local = _span(y.shape[0], sr, start, length)
    envelope = np.minimum(1.0, local / 0.01) * np.exp(-local * rng.uniform(1, 6))
    tone = np.zeros_like(local)
    n_harmonics = int(rng.integers(3, 9))
    detune = rng.uniform(-0.002, 0.002)
    for h in range(1, n_harmonics + 1):
        f = h * f0 * (1 + detune * h)
        if f >= 0.45 * sr:
            break
        tone += rng.uniform(0.3, 1.0) / h * np.sin(2 * np.pi * f * local + rng.uniform(0, 2 * np.pi))
    y[i0:i1] += gain * envelope * tone


def _add_drum_hit(rng, y: np.ndarray, sr: float, start: float, kind: str, gain: float) -> None:
    """A kick (falling sine), snare (noise + body tone) or hi-hat (differentiated noise) burst."""
    length = {"kick": 0.6, "snare": 0.35, "hihat": 0.12}[kind]
    i0, i1, local = _span(y.shape[0], sr, start, length)
    if kind == "kick":
        f = 45 + 110 * np.exp(-local * 30)
        hit = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-local * rng.uniform(8, 14))
    elif kind == "snare":
        noise = rng.standard_normal(local.shape)
        hit = (0.6 * noise + np.sin(2 * np.pi * 190 * local)) * np.exp(-local * rng.uniform(15, 25))
    else:  # hi-hat
        noise = np.diff(rng.standard_normal(local.shape[0] + 1))
        hit = 0.4 * noise * np.exp(-local * rng.uniform(50, 90))
    y[i0:i1] += gain * hit


def make_music(rng: np.random.Generator, n_samples: int, *, sr: float = 22050, dtype=np.float32,
               shape: tuple[int, ...] = ()) -> np.ndarray:
    """Music-like audio of shape ``shape + (n_samples,)``: every clip different, none silent.

    Each clip mixes 2-6 pitched notes with harmonics, a drum pattern at a random tempo
    (kick, snare, hi-hat) and white noise at about -45 dB, peak-normalised to 0.5-0.9.
    """
    n_clips = int(np.prod(shape, dtype=np.int64))
    duration = max(n_samples / sr, 1e-3)
    clips = np.empty((n_clips, n_samples))
    for c in range(n_clips):
        y = np.zeros(n_samples)
        for _ in range(int(rng.integers(2, 7))):
            _add_note(rng, y, sr, rng.uniform(-0.2, 0.9) * duration, rng.uniform(0.2, 1.5), rng.uniform(0.2, 0.6))
        beat = 60.0 / rng.uniform(90, 160)
        offset = rng.uniform(0, beat / 2)
        for i, start in enumerate(np.arange(offset - beat, duration, beat / 2)):
            if i % 4 == 0:
                _add_drum_hit(rng, y, sr, start, "kick", 0.8)
            elif i % 4 == 2:
                _add_drum_hit(rng, y, sr, start, "snare", 0.5)
            _add_drum_hit(rng, y, sr, start + rng.uniform(0, 0.01), "hihat", 0.3)
        y += 0.005 * rng.standard_normal(n_samples)
        y *= rng.uniform(0.5, 0.9) / np.max(np.abs(y))
        clips[c] = y
    return clips.reshape(tuple(shape) + (n_samples,)).astype(dtype)


@pytest.fixture
def music(rng):
    """``music(n_samples, *, sr=22050, dtype=np.float32, shape=())`` -> a new random music-like signal."""

    def make(n_samples: int, *, sr: float = 22050, dtype=np.float32, shape: tuple[int, ...] = ()) -> np.ndarray:
        return make_music(rng, n_samples, sr=sr, dtype=dtype, shape=shape)

    return make


@pytest.fixture
def far_codebook(rng):
    """``far_codebook(n, k, d, dtype=np.float32)`` -> (points (n, d), codebook (k, d)): a tight codebook (spread
    0.5) about 1 / sqrt(eps) from the origin (3000 in float32, as MFCC c0 at -300..-600 is for its spread), and
    points 0.01 from random codewords. ||x||^2 - 2 x.c + ||c||^2 in the dtype is off by about eps ||x||^2 ~ d,
    beyond the distances between codewords: only translated (or from the differences) are they found."""

    def make(n: int, k: int, d: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
        offset = rng.choice([-1.0, 1.0], d) * rng.uniform(0.5, 1.0, d) / np.sqrt(np.finfo(dtype).eps)
        C = offset + rng.standard_normal((k, d)) * 0.5
        X = C[rng.integers(k, size=n)] + rng.standard_normal((n, d)) * 0.01
        return X.astype(dtype), C.astype(dtype)

    return make


# ----------------------------------------------------------------------------- tolerances


@dataclass(frozen=True)
class Tolerance:
    """Agreement required of a result computed in one floating dtype."""

    fft: float  # max|X - ref| / max|ref| for rfft/dft
    norm: float  # ||X - ref|| / ||ref|| for long transforms
    spec: float  # max|S - ref| / max|ref| for stft, mel spectra, filterbanks
    db: float  # max |dB - ref dB| (absolute) where ref is above peak - 80 dB
    cepstrum: float  # max|C - ref| / max|ref| for mfcc and deltas


TOLERANCES = {
    np.dtype(np.float32): Tolerance(fft=1e-5, norm=1e-5, spec=1e-5, db=1e-3, cepstrum=1e-5),
    np.dtype(np.float64): Tolerance(fft=1e-12, norm=1e-12, spec=1e-11, db=1e-8, cepstrum=1e-11),
}


def max_rel_err(actual, expected) -> float:
    """max|actual - expected| / max|expected| (0 when both are all zero)."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    scale = np.max(np.abs(expected)) if expected.size else 0.0
    err = np.max(np.abs(actual.astype(np.complex128) - expected)) if expected.size else 0.0
    return float(err / scale) if scale > 0 else float(err)


def norm_rel_err(actual, expected) -> float:
    """||actual - expected|| / ||expected|| (Frobenius), as pocketfft's _assert_close_in_norm."""
    expected = np.asarray(expected)
    scale = np.linalg.norm(expected.ravel())
    err = np.linalg.norm((np.asarray(actual).astype(np.complex128) - expected).ravel())
    return float(err / scale) if scale > 0 else float(err)


class Tolerances:
    """``tol(dtype)`` -> :class:`Tolerance`; plus assertion helpers that report the error found."""

    table = TOLERANCES

    def __call__(self, dtype) -> Tolerance:
        dtype = np.dtype(dtype)
        if dtype.kind == "c":
            dtype = np.dtype(np.float32) if dtype == np.complex64 else np.dtype(np.float64)
        return self.table[dtype]

    max_rel_err = staticmethod(max_rel_err)
    norm_rel_err = staticmethod(norm_rel_err)

    @staticmethod
    def assert_close(actual, expected, rtol: float, what: str = "") -> None:
        """Same shape and max|actual - expected| <= rtol * max|expected|."""
        actual = np.asarray(actual)
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != reference {expected.shape}"
        err = max_rel_err(actual, expected)
        assert err <= rtol, f"{what}: max relative error {err:.3g} > {rtol:.3g}"

    @staticmethod
    def assert_close_in_norm(actual, expected, rtol: float, what: str = "") -> None:
        """Same shape and ||actual - expected|| <= rtol * ||expected||."""
        actual = np.asarray(actual)
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != reference {expected.shape}"
        err = norm_rel_err(actual, expected)
        assert err <= rtol, f"{what}: relative norm error {err:.3g} > {rtol:.3g}"

    @staticmethod
    def assert_db_close(actual, expected, atol: float, *, top_db: float = 80.0, what: str = "") -> None:
        """dB values agree within atol wherever the reference lies above its peak - top_db."""
        actual = np.asarray(actual)
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != reference {expected.shape}"
        assert np.all(np.isfinite(actual)), f"{what}: non-finite dB values"
        mask = expected > expected.max() - top_db
        assert mask.any(), f"{what}: nothing above peak - {top_db} dB to compare"
        diff = np.where(mask, np.abs(actual.astype(np.float64) - expected), 0.0)
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        err = float(diff[worst])
        assert err <= atol, (f"{what}: max dB error {err:.3g} > {atol:.3g} over {mask.sum()} values, at {worst} "
                             f"({expected[worst] - expected.max():.1f} dB below the peak)")


@pytest.fixture
def tol() -> Tolerances:
    """The per-dtype tolerance table: ``tol(np.float32).spec``, ``tol.assert_close(a, b, rtol)``..."""
    return Tolerances()


# ----------------------------------------------------------------------------- pairwise grids


def pairwise_cases(params: dict[str, list]) -> list[dict]:
    """A small list of combinations covering every pair of values of any two parameters.

    Deterministic greedy construction (AETG-like): each new case starts from the value
    with the most uncovered pairs and takes, parameter by parameter, the value that covers
    the most new pairs, until no pair is left uncovered.
    """
    names = list(params)
    values = [list(params[n]) for n in names]
    if len(names) == 1:
        return [{names[0]: v} for v in values[0]]
    uncovered = {
        ((i, a), (j, b))
        for i, j in itertools.combinations(range(len(names)), 2)
        for a in range(len(values[i]))
        for b in range(len(values[j]))
    }

    def key(i: int, a: int, j: int, b: int):
        return ((i, a), (j, b)) if i < j else ((j, b), (i, a))

    def gain(case: dict[int, int], i: int, a: int) -> int:
        return sum(key(i, a, j, b) in uncovered for j, b in case.items())

    open_pairs = dict.fromkeys(((i, a) for i in range(len(names)) for a in range(len(values[i]))), 0)
    for p, q in uncovered:
        open_pairs[p] += 1
        open_pairs[q] += 1

    cases = []
    while uncovered:
        (i0, a0), (j0, b0) = min(uncovered, key=lambda pq: (-open_pairs[pq[0]] - open_pairs[pq[1]], pq))
        case = {i0: a0, j0: b0}
        for i in range(len(names)):
            if i not in case:
                case[i] = max(range(len(values[i])), key=lambda a: (gain(case, i, a), open_pairs[(i, a)], -a))
        for i, j in itertools.combinations(range(len(names)), 2):
            pair = key(i, case[i], j, case[j])
            if pair in uncovered:
                uncovered.discard(pair)
                open_pairs[pair[0]] -= 1
                open_pairs[pair[1]] -= 1
        cases.append({names[i]: values[i][case[i]] for i in range(len(names))})
    return cases


def _case_id(case: dict) -> str:
    def short(v):
        if isinstance(v, type) or callable(v):  # dtypes and functions by name: stable ids, stable seeds
            return v.__name__
        if isinstance(v, np.dtype):
            return v.name
        return str(v)

    return "-".join(f"{k}={short(v)}" for k, v in case.items())


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "pairwise(**values): parametrise the 'case' argument with an all-pairs covering of the value lists",
    )


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("pairwise")
    if marker is None:
        return
    assert "case" in metafunc.fixturenames, "a pairwise test takes a 'case' argument"
    cases = pairwise_cases(marker.kwargs)
    metafunc.parametrize("case", cases, ids=[_case_id(c) for c in cases])


@pytest.fixture(scope="session")
def run_cli():
    """``run_cli(argv)`` -> (status, stdout, stderr) of ``fasttag.cli.main`` (arguments str()-ed)."""
    import contextlib
    import io

    from fasttag.cli import main

    def run(argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([str(a) for a in argv])
        return status, out.getvalue(), err.getvalue()

    return run


@pytest.fixture(scope="session")
def child_pytest():
    """``child_pytest(files, env)`` -> (exit status, output) of the test files run in a child pytest
    from the repository root, with ``env`` added to this process's environment (settings that must
    be in place before fasttag or numba is imported)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).with_name("pytest")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]
    root = Path(__file__).resolve().parents[1]

    def run(files, env: dict):
        done = subprocess.run(command + list(files) + ["-q", "-p", "no:cacheprovider", "-o", "log_cli=false"],
                              cwd=root, env=dict(os.environ, **env), capture_output=True, text=True, timeout=1800)
        return done.returncode, done.stdout + done.stderr

    return run


@pytest.fixture
def poisoned_gpu_outputs(monkeypatch):
    """Fill every GPU output with NaN (ints with -1) before the kernels write it."""
    from fasttag.cuda import _runtime

    monkeypatch.setattr(_runtime, "POISON", True)


@pytest.fixture
def no_implicit_host_copies(monkeypatch):
    """In the simulator, device arrays refuse ``np.asarray`` as a GPU's do (the simulator's pass it
    on to the host array within), so a step that would read one on the host fails here too."""
    from fasttag import cuda

    if not cuda.simulator():
        return
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    def refuse(self, *args, **kwargs):
        raise TypeError("a device array cannot be read as a numpy array")

    monkeypatch.setattr(FakeCUDAArray, "__array__", refuse, raising=False)
    for protocol in ("__array_interface__", "__array_struct__"):
        monkeypatch.setattr(FakeCUDAArray, protocol, property(refuse), raising=False)


@pytest.fixture
def cuda_kernels(poisoned_gpu_outputs, quick_simulator, simulator_racecheck, no_implicit_host_copies):
    """For the GPU kernels' test files: a skip where CUDA cannot run; else every GPU output
    poisoned; in the simulator, quick and race-checked, its device arrays not readable as numpy."""
    from fasttag import cuda

    if not cuda.is_available():
        pytest.skip("needs a CUDA GPU or NUMBA_ENABLE_CUDASIM=1 (tests/test_cuda_sim.py runs the CUDA test files "
                    "in the simulator)")


@pytest.fixture
def simulator_racecheck():
    """In Numba's CUDA simulator, every kernel the test launches is race-checked
    (fasttag.cuda._racecheck): a launch with a hazard raises RaceHazard."""
    from fasttag import cuda

    if not cuda.simulator():
        yield
        return
    from fasttag.cuda import _racecheck

    with _racecheck.checking():
        yield


@pytest.fixture(scope="module")
def quick_simulator():
    """In Numba's CUDA simulator, a short thread switch interval: it polls its threads under
    the GIL, and this makes it about 3x faster."""
    import sys

    from fasttag import cuda

    previous = sys.getswitchinterval()
    if cuda.simulator():
        sys.setswitchinterval(0.0005)
    yield
    sys.setswitchinterval(previous)


CUDA_LAUNCH_LOG = "FASTTAG_CUDA_LAUNCH_LOG"


def _kernel_argument_type(arg) -> list:
    """A kernel argument's Numba type as JSON: ["array", dtype, ndim, layout] or ["scalar", dtype]."""
    array = getattr(arg, "_ary", arg)  # the simulator's device arrays wrap a numpy array
    if isinstance(array, np.ndarray):
        layout = "C" if array.flags.c_contiguous else "F" if array.flags.f_contiguous else "A"
        return ["array", array.dtype.name, array.ndim, layout]
    return ["scalar", np.asarray(arg).dtype.name]  # Python int -> int64, float -> float64, bool -> bool


@pytest.fixture(scope="session", autouse=True)
def cuda_launch_log():
    """With ``FASTTAG_CUDA_LAUNCH_LOG=<file>`` in the simulator, every kernel launch appends a JSON
    line {"kernel": qualified name, "module": its module, "args": argument types} to the file, so that
    tests/test_cuda_sim.py can compile exactly what the simulated tests launched for a real GPU."""
    import json

    from fasttag import cuda

    path = os.environ.get(CUDA_LAUNCH_LOG)
    if not path or not cuda.simulator():
        yield
        return
    from numba.cuda.simulator.kernel import FakeCUDAKernel

    launch = FakeCUDAKernel.__call__

    def logged_launch(self, *args):
        if not self._device:  # a kernel launch, not a device function called inside one
            entry = {"kernel": self.fn.__qualname__, "module": self.fn.__module__,
                     "args": [_kernel_argument_type(a) for a in args]}
            with open(path, "a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")
        return launch(self, *args)

    FakeCUDAKernel.__call__ = logged_launch
    yield
    FakeCUDAKernel.__call__ = launch
