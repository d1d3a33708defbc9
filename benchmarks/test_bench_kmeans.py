"""k-means suite: nearest-centroid assignment of 100,000 x 90 float32 frames to K = 1024
centroids, and 10 Lloyd iterations on the same data from the same initial centroids,
fasttag against scikit-learn, faiss (IndexFlatL2 / faiss.Kmeans) and a numpy GEMM argmin,
with 1 and 2 threads (group ``kmeans-assign-t{T}`` / ``kmeans-fit10-t{T}``).

Each timed result is checked: assignments against faiss's labels (equal except near-ties),
fitted inertias against scikit-learn's. RESULTS.md reports times, ratios and GFLOP/s
(2 n K d flops per assignment).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import fasttag

N, D, K = 100_000, 90, 1024
ITERATIONS = 10
THREADS = (1, 2)
BACKENDS = ("fasttag", "sklearn", "faiss", "numpy")


@functools.cache
def data() -> tuple[np.ndarray, np.ndarray]:
    """Frames (N, D) float32, MFCC-like (feature scales falling with the index), and K
    initial centroids drawn from them; seeded, read-only."""
    rng = np.random.default_rng(2026)
    scales = 10.0 / np.arange(1, D + 1) ** 0.5
    X = (rng.standard_normal((N, D)) * scales).astype(np.float32)
    X += np.repeat(rng.standard_normal((N // 100, D)) * scales, 100, axis=0).astype(np.float32)  # clumps
    C = X[np.sort(rng.choice(N, K, replace=False))].copy()
    for a in (X, C):
        a.flags.writeable = False
    return X, C


@functools.cache
def reference_labels() -> np.ndarray:
    """float64 nearest centroids, by blocks."""
    X, C = (a.astype(np.float64) for a in data())
    c2 = np.sum(C * C, axis=1)
    return np.concatenate([np.argmin(c2 - 2 * X[i:i + 10_000] @ C.T, axis=1) for i in range(0, N, 10_000)])


def _limited(threads: int, fn):
    """fn run with BLAS/OpenMP pools limited to ``threads``."""
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def call():
        with threadpoolctl.threadpool_limits(threads):
            return fn()

    return call


def prepare_assign(backend: str, threads: int):
    """predict() with the centroids C, each model fitted once (one iteration) and then given C."""
    X, C = data()
    if backend == "fasttag":
        km = fasttag.KMeans(K, init=C, max_iter=1, workers=threads).fit(X)
        km.cluster_centers_ = C
        return lambda: km.predict(X)
    if backend == "sklearn":
        cluster = pytest.importorskip("sklearn.cluster")
        km = _limited(threads, lambda: cluster.KMeans(K, init=C, n_init=1, max_iter=1).fit(X))()
        km.cluster_centers_ = C
        return _limited(threads, lambda: km.predict(X))
    if backend == "faiss":
        faiss = pytest.importorskip("faiss")
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatL2(D)
        index.add(C)
        return lambda: index.search(X, 1)[1][:, 0]
    if backend == "numpy":
        c2 = np.sum(C * C, axis=1)
        return _limited(threads, lambda: np.argmin(c2 - 2 * (X @ C.T), axis=1))
    raise ValueError(f"unknown backend {backend!r}")


def prepare_fit(backend: str, threads: int):
    X, C = data()
    if backend == "fasttag":
        return lambda: fasttag.KMeans(K, init=C, max_iter=ITERATIONS, tol=0, workers=threads).fit(X).inertia_
    if backend == "sklearn":
        cluster = pytest.importorskip("sklearn.cluster")

        def fit():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # stopping at max_iter is the point here
                return cluster.KMeans(K, init=C, n_init=1, max_iter=ITERATIONS, tol=0, algorithm="lloyd").fit(X).inertia_

        return _limited(threads, fit)
    if backend == "faiss":
        faiss = pytest.importorskip("faiss")
        faiss.omp_set_num_threads(threads)

        def fit():
            km = faiss.Kmeans(D, K, niter=ITERATIONS, seed=1, max_points_per_centroid=N, verbose=False)
            km.train(X, init_centroids=np.array(C))
            _, labels = km.index.search(X, 1)
            diff = X - km.centroids[labels[:, 0]]
            return float(np.sum(diff.astype(np.float64) ** 2))

        return fit
    raise ValueError(f"unknown backend {backend!r}")


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_assign(benchmark, backend, threads):
    benchmark.group = f"kmeans-assign-t{threads}"
    labels = benchmark(prepare_assign(backend, threads))
    expected = reference_labels()
    agree = float(np.mean(labels == expected))
    benchmark.extra_info.update(kind="kmeans-assign", backend=backend, threads=threads, n=N, d=D, k=K,
                                gflop=2 * N * K * D / 1e9, agreement=agree)
    assert agree >= 0.999, f"{backend}: only {agree:.4%} of labels equal the float64 nearest centroid"


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("backend", BACKENDS[:3])
def test_fit(benchmark, backend, threads):
    benchmark.group = f"kmeans-fit10-t{threads}"
    benchmark.extra_info.update(kind="kmeans-fit", backend=backend, threads=threads, n=N, d=D, k=K,
                                iterations=ITERATIONS, gflop=ITERATIONS * 2 * N * K * D / 1e9)
    inertia = benchmark.pedantic(prepare_fit(backend, threads), rounds=3, iterations=1)
    benchmark.extra_info["inertia"] = inertia
    reference = prepare_fit("sklearn", 1)() if backend == "fasttag" and threads == 1 else None
    if reference is not None:
        assert inertia == pytest.approx(reference, rel=1e-4)
    assert np.isfinite(inertia) and inertia > 0
