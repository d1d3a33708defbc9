"""chroma_stft and tempogram: fasttag vs librosa on the librosa-default setting (one 600 s
track at 22.05 kHz, n_fft 2048, hop 512), 1 thread. The issue's goal: >= 10x librosa, read from
paired rounds (fasttag workers=1 and librosa back to back, conftest's ``paired_rounds``).

Every timed result is checked against librosa's (computed once, outside the timing).
"""

from __future__ import annotations

import numpy as np
import pytest

import fasttag

librosa = pytest.importorskip("librosa")


class DEFAULT:  # the librosa-default setting of test_bench_features.py (same track: same seed)
    seconds = 600.0
    sr = 22050
    seed = 22


def blas_threads(n: int):
    """numpy's BLAS held to n threads (librosa's projections are einsums through BLAS)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


SPEC_TOL = 1e-5  # max |fasttag - librosa| / max |librosa| (float32 input)
PEERS = ("fasttag-w1", "fasttag-w2", "librosa")
PAIRED_ROUNDS = 7


@pytest.fixture(scope="session")
def track(music) -> np.ndarray:
    return music(1, DEFAULT.seconds, DEFAULT.sr, DEFAULT.seed)[0]


@pytest.fixture(scope="session")
def references(track) -> dict:
    with blas_threads(1):
        return {
            "chroma-t0": librosa.feature.chroma_stft(y=track, sr=DEFAULT.sr, tuning=0.0),
            "chroma-est": librosa.feature.chroma_stft(y=track, sr=DEFAULT.sr),
            "tempogram": librosa.feature.tempogram(y=track, sr=DEFAULT.sr),
        }


def run(peer: str, what: str, y: np.ndarray):
    sr = DEFAULT.sr
    if peer == "librosa":
        return {
            "chroma-t0": lambda: librosa.feature.chroma_stft(y=y, sr=sr, tuning=0.0),
            "chroma-est": lambda: librosa.feature.chroma_stft(y=y, sr=sr),
            "tempogram": lambda: librosa.feature.tempogram(y=y, sr=sr),
        }[what]
    workers = int(peer.removeprefix("fasttag-w"))
    return {
        "chroma-t0": lambda: fasttag.chroma_stft(y, sr=sr, tuning=0.0, workers=workers),
        "chroma-est": lambda: fasttag.chroma_stft(y, sr=sr, tuning=None, workers=workers),
        "tempogram": lambda: fasttag.tempogram(y, sr=sr, workers=workers),
    }[what]


def check(benchmark, peer, what, out, ref, seconds, setting="librosa-default"):
    err = float(np.max(np.abs(out.astype(np.float64) - ref)) / np.max(np.abs(ref)))
    benchmark.extra_info.update(kind="feature", setting=setting, feature=what, peer=peer,
                                clips=1, audio_seconds=seconds, max_err=err, tol=SPEC_TOL)
    assert out.shape == ref.shape
    assert err <= SPEC_TOL, f"{peer} {what}: max relative error {err:.3g} vs librosa"


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.parametrize("what", ["chroma-t0", "chroma-est"])
@pytest.mark.benchmark(min_rounds=5, max_time=1.0)
def test_chroma_stft(benchmark, track, references, peer, what):
    benchmark.group = f"librosa-default-{what}"  # one group per setting: RESULTS.md keys rows by peer
    with blas_threads(1):
        out = benchmark(run(peer, what, track))
    check(benchmark, peer, what, out, references[what], DEFAULT.seconds)


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.benchmark(group="librosa-default-tempogram", min_rounds=5, max_time=1.0)
def test_tempogram(benchmark, track, references, peer):
    with blas_threads(1):
        out = benchmark(run(peer, "tempogram", track))
    check(benchmark, peer, "tempogram", out, references["tempogram"], DEFAULT.seconds)


@pytest.mark.parametrize("what", ["chroma-t0", "chroma-est", "tempogram"])
def test_paired_with_librosa(benchmark, track, references, what, paired_rounds):
    """fasttag (workers=1) and librosa in paired rounds: the ratio of record for the goal."""
    benchmark.group = f"librosa-default-{what}-paired"
    with blas_threads(1):
        ours, theirs = paired_rounds(benchmark, run("fasttag-w1", what, track), run("librosa", what, track),
                                     PAIRED_ROUNDS)
    check(benchmark, "librosa", what, theirs, references[what], DEFAULT.seconds, setting="librosa-default-paired")
    check(benchmark, "fasttag-w1", what, ours, references[what], DEFAULT.seconds, setting="librosa-default-paired")
