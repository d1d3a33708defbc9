"""Benchmark session set-up: the report header (versions, machine) and shared, seeded signals.

Everything here runs outside the timed calls: signals are synthesised once per session and
cached, so every backend of a group sees the same input array.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import os
import platform
import shutil
import subprocess
import time

import numpy as np
import pytest

import fasttag

# The libraries we are timed against, in the order the header lists them.
PEERS = ("numpy", "scipy", "librosa", "torch", "nnAudio", "pyfftw", "sklearn", "faiss", "pytest_benchmark")


def versions() -> dict[str, str]:
    """Version of fasttag and of each peer library ("missing" when it is not installed)."""
    found = {"fasttag": fasttag.__version__}
    for name in PEERS:
        try:
            found[name] = getattr(importlib.import_module(name), "__version__", "unknown")
        except ImportError:
            found[name] = "missing"
    return found


@functools.cache
def machine() -> dict:
    """The CPU as lscpu names it (falling back to /proc/cpuinfo), its CPU count and SIMD flags."""
    fields: dict[str, str] = {}
    if shutil.which("lscpu"):
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=False,
                              env={**os.environ, "LC_ALL": "C"}).stdout
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
    if "Model name" not in fields or "Flags" not in fields:
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    key, sep, value = line.partition(":")
                    if sep and key.strip() == "model name":
                        fields.setdefault("Model name", value.strip())
                    if sep and key.strip() == "flags":
                        fields.setdefault("Flags", value.strip())
        except OSError:
            pass
    flags = set(fields.get("Flags", "").split())
    simd = {flag: flag in flags for flag in ("sse4_2", "avx", "avx2", "fma", "avx512f")}
    return {
        "model": fields.get("Model name", platform.processor() or "unknown"),
        "cpus": int(fields.get("CPU(s)", os.cpu_count() or 0)),
        "threads_per_core": fields.get("Thread(s) per core", "?"),
        "l1d": fields.get("L1d cache", "?"),
        "l2": fields.get("L2 cache", "?"),
        "l3": fields.get("L3 cache", "?"),
        "simd": simd,
        "hypervisor": fields.get("Hypervisor vendor", ""),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _simd_line(simd: dict[str, bool]) -> str:
    return " ".join(f"{flag}={'yes' if present else 'no'}" for flag, present in simd.items())


def pytest_report_header(config) -> list[str]:
    m = machine()
    return [
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions().items()),
        f"fasttag._core.isa(): {fasttag._core.isa()}",
        f"cpu: {m['model']}, {m['cpus']} CPUs, L2 {m['l2']}; {_simd_line(m['simd'])}",
    ]


def pytest_benchmark_update_machine_info(config, machine_info) -> None:
    """Put the versions and the lscpu view into the --benchmark-json file (RESULTS.md reads them)."""
    machine_info["fasttag_bench"] = {
        "versions": versions(),
        "isa": fasttag._core.isa(),
        "lscpu": machine(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def pytest_addoption(parser) -> None:
    parser.addoption("--choi-clips", type=int, default=64,
                     help="clips of 29.12 s in the Choi feature setting (default 64; 16 for a quick run)")
    parser.addoption("--gpu-kmeans-rows", type=int, default=1_000_000,
                     help="rows of 90 features in the GPU k-means assignment benchmark (default 1,000,000)")


# ---------------------------------------------------------------------------------------------
# Signals: music-like synthetic audio, seeded, generated once per session.


def music_like(n_clips: int, n_samples: int, sr: int, seed: int) -> np.ndarray:
    """(n_clips, n_samples) float32 "music": decaying harmonic notes at random onsets over noise.

    Notes are drawn from 4 octaves (MIDI 36..83), 6 partials (those below Nyquist), three
    decay rates, up to 8 onsets per second; a white-noise floor at -40 dB keeps every mel
    band well above float32 round-off. Peak amplitude about 0.7.
    """
    rng = np.random.default_rng(seed)
    length = int(0.5 * sr)
    t = np.arange(length) / sr
    pitches = np.arange(36, 84)
    k = np.arange(1, 7)[:, None]
    decays = np.array([3.0, 6.0, 12.0])
    table = np.empty((pitches.size, decays.size, length))
    for i, pitch in enumerate(pitches):
        f0 = 440.0 * 2.0 ** ((pitch - 69) / 12)
        amp = rng.uniform(0.2, 1.0, (k.size, 1)) / k * (f0 * k < sr / 2)
        tone = (amp * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 2 * np.pi, (k.size, 1)))).sum(axis=0)
        table[i] = tone * np.exp(-np.outer(decays, t))
    out = np.empty((n_clips, n_samples), dtype=np.float32)
    step = int(0.125 * sr)
    for c in range(n_clips):
        y = 0.01 * rng.standard_normal(n_samples)
        onsets = np.arange(0, n_samples, step)
        onsets = onsets[rng.random(onsets.size) < 0.6]
        notes = rng.integers(0, pitches.size, onsets.size)
        decay = rng.integers(0, decays.size, onsets.size)
        gains = rng.uniform(0.05, 0.3, onsets.size)
        for onset, note, d, gain in zip(onsets, notes, decay, gains):
            seg = min(length, n_samples - onset)
            y[onset:onset + seg] += gain * table[note, d, :seg]
        out[c] = y
    return out


@pytest.fixture(scope="session")
def music():
    """``music(n_clips, seconds, sr, seed)`` -> cached (n_clips, n_samples) float32, read-only."""

    @functools.cache
    def make(n_clips: int, seconds: float, sr: int, seed: int) -> np.ndarray:
        y = music_like(n_clips, int(round(seconds * sr)), sr, seed)
        y.flags.writeable = False
        return y

    return make


@pytest.fixture(scope="session")
def frames_batch():
    """``frames_batch(rows, n)`` -> cached (rows, n) float32 standard normal frames, read-only."""

    @functools.cache
    def make(rows: int, n: int) -> np.ndarray:
        x = np.random.default_rng(1000 + n).standard_normal((rows, n)).astype(np.float32)
        x.flags.writeable = False
        return x

    return make


@pytest.fixture(scope="session")
def choi_clips(request) -> int:
    clips = request.config.getoption("--choi-clips")
    if clips < 1:
        raise pytest.UsageError(f"--choi-clips={clips} must be >= 1")
    return clips


@pytest.fixture(scope="session")
def paired_rounds():
    """``paired_rounds(benchmark, ours, peer, rounds)`` -> (our last result, the peer's last result).

    Times ``rounds`` rounds (after one warm-up round) of ``ours()`` and ``peer()`` back to back, the
    order alternating, so that both halves of a ratio see the same load; the per-round seconds go to
    ``benchmark.extra_info`` as ``ours_s`` and ``peer_s`` (benchmarks/report_paired.py reads them).
    """

    def run(benchmark, ours, peer, rounds: int):
        calls, seconds, last = (ours, peer), ([], []), [None, None]

        def one_round() -> None:
            for i in (0, 1) if len(seconds[0]) % 2 == 0 else (1, 0):
                start = time.perf_counter()
                last[i] = calls[i]()
                seconds[i].append(time.perf_counter() - start)

        benchmark.pedantic(one_round, rounds=rounds, iterations=1, warmup_rounds=1)
        benchmark.extra_info.update(ours_s=seconds[0][1:], peer_s=seconds[1][1:])  # without the warm-up round
        return last[0], last[1]

    return run
