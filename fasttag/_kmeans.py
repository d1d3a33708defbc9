"""The k-means algorithms behind `fasttag.KMeans`, on the C++ kernels: nearest centroids,
k-means++ seeding, Lloyd iterations (scikit-learn's ``algorithm="lloyd"`` step by step)
and mini-batch updates. Inputs here are already validated: C-contiguous float32/float64
``X (n_samples, n_features)`` and ``centers (n_clusters, n_features)`` of X's dtype.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import _core, _validate
from .errors import ParameterError


def nearest(X: np.ndarray, centers: np.ndarray, workers: int, names=None) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) int64 of each row's nearest center, and the squared distances (n,). ``names``: the
    caller's names of the kernels' ``x`` and ``centroids``, for the errors (see `_validate.core_errors`)."""
    with _validate.core_errors(names):
        return _core.kmeans_assign(X, centers, workers)


def squared_distances(X: np.ndarray, centers: np.ndarray, workers: int, names=None) -> np.ndarray:
    """Squared distances (n, n_clusters) of every row to every center (``names``: as `nearest`)."""
    with _validate.core_errors(names):
        return _core.kmeans_distances(X, centers, workers)


def cluster_sums(X: np.ndarray, labels: np.ndarray, n_clusters: int, workers: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-cluster sums (n_clusters, d) float64 and sizes (n_clusters,) int64."""
    with _validate.core_errors():
        return _core.kmeans_centroid_sums(X, labels, n_clusters, workers)


def tolerance(X: np.ndarray, tol: float) -> float:
    """scikit-learn's absolute tolerance: ``tol`` times the mean variance of the features."""
    return float(np.mean(np.var(X, axis=0, dtype=np.float64)) * tol) if tol > 0 else 0.0


def check_distance_range(X: np.ndarray, name: str = "X") -> None:
    """ParameterError naming ``name`` when X holds NaN or inf, or a row's squared norm passes the largest
    float / 4 of X's dtype.

    Beyond it distances overflow to inf and every row goes to centroid 0. The C++ kernels
    refuse such rows too, but seeding meets them first as centroids, a name the caller
    never gave. Two passes over X, and no copy of it.
    """
    limit = float(np.finfo(X.dtype).max) / 4
    peak = max(float(X.max(initial=0.0)), -float(X.min(initial=0.0)))  # NaN propagates
    if not math.isfinite(peak):
        raise ParameterError(f"{name} contains NaN or infinite values")
    if peak * peak * X.shape[1] > limit and float(np.einsum("ij,ij->i", X, X, dtype=np.float64).max()) > limit:
        raise distance_range_error(name, X.dtype, f"up to {peak:.3g}; ")


def centre(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X - mean, mean): the rows (n, d) less their mean (d,), in X's dtype, which full-batch fitting runs on
    (as scikit-learn: in float32, ||x||^2 - 2 x.c + ||c||^2 loses the spread of points far from the origin).
    Points so large that a centred row would pass `check_distance_range`'s limit stay as they are (mean 0)."""
    mean = X.mean(axis=0, dtype=np.float64).astype(X.dtype)
    centred = X - mean
    try:
        check_distance_range(centred)
    except ParameterError:
        return X, np.zeros_like(mean)
    return centred, mean


def distance_range_error(name: str, dtype, found: str = "") -> ParameterError:
    """The error for points whose squared norms pass the largest float / 4 of their dtype;
    ``found`` (e.g. "up to 1e+19; ") says what was seen."""
    dtype = np.dtype(dtype)
    return ParameterError(f"{name} has values too large for {dtype} distances ({found}a row's squared norm above the "
                          f"largest {dtype} / 4): scale the features" + (" or use float64" if dtype == np.float32 else ""))


def kmeans_plusplus(X: np.ndarray, n_clusters: int, rng: np.random.Generator, workers: int) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, with 2 + log k trials per step
    as scikit-learn): each new center is the best of several candidates drawn with
    probability proportional to the squared distance to the nearest chosen center."""
    n = X.shape[0]
    trials = 2 + int(np.log(n_clusters))
    centers = np.empty((n_clusters, X.shape[1]), dtype=X.dtype)
    centers[0] = X[rng.integers(n)]
    closest = squared_distances(X, centers[:1], workers)[:, 0].astype(np.float64)
    for c in range(1, n_clusters):
        cumulative = np.cumsum(closest)
        if cumulative[-1] <= 0:  # fewer distinct points than clusters: any point will do
            candidates = rng.integers(n, size=trials)
        else:
            candidates = np.minimum(np.searchsorted(cumulative, rng.random(trials) * cumulative[-1]), n - 1)
        to_candidates = np.minimum(closest[:, None], squared_distances(X, X[candidates], workers))
        best = int(np.argmin(to_candidates.sum(axis=0)))
        centers[c] = X[candidates[best]]
        closest = to_candidates[:, best]
    return centers


def random_init(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """``n_clusters`` distinct rows of X chosen uniformly (``init="random"``)."""
    return X[np.sort(rng.choice(X.shape[0], size=n_clusters, replace=False))].copy()


def relocate_empty(rows, labels: np.ndarray, distances: np.ndarray, sums: np.ndarray,
                   counts: np.ndarray) -> None:
    """Re-seed empty clusters in place (as scikit-learn): each takes one of the points
    farthest from their centers (``distances``: the assignment's, summed from the differences
    x - c, as scikit-learn's; from ||x||^2 - 2 x.c + ||c||^2 a far-off singleton's rounding
    made it look farthest from its own center), which leaves its old cluster. ``rows[i]`` is sample i (X itself, or a view that fetches single
    rows from the GPU)."""
    empty = np.flatnonzero(counts == 0)
    farthest = np.argsort(-distances, kind="stable")[: empty.size]
    for cluster, point in zip(empty, farthest):
        row = rows[point]
        donor = labels[point]
        sums[donor] -= row
        counts[donor] -= 1
        sums[cluster] = row
        counts[cluster] = 1


def averaged(sums: np.ndarray, counts: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """sums / counts per cluster, in the centers' dtype; a cluster left empty keeps its center."""
    centers = previous.copy()
    filled = counts > 0
    centers[filled] = sums[filled] / counts[filled, None]
    return centers


class LloydResult(NamedTuple):
    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int


def lloyd_iterations(step, assign, rows, centers: np.ndarray, *, max_iter: int, tol: float,
                     progress=None) -> LloydResult:
    """Lloyd iterations from ``centers`` until the labels stop changing, the squared center
    shift falls to ``tol`` (absolute) or ``max_iter`` is reached. The labels and inertia
    returned belong to the returned centers. ``progress`` (a tqdm bar) is advanced per iteration.

    The backend supplies ``step(centers) -> (labels, distances, sums, counts)`` (host arrays:
    the nearest centers and the per-cluster sums), ``assign(centers) -> (labels, distances)``
    and ``rows`` (``rows[i]`` is sample i, for re-seeding empty clusters)."""
    labels_old = None
    converged_strictly = False
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        labels, distances, sums, counts = step(centers)
        if not counts.all():
            relocate_empty(rows, labels, distances, sums, counts)
        new_centers = averaged(sums, counts, centers)
        shift = float(np.sum((new_centers.astype(np.float64) - centers) ** 2))
        centers = new_centers
        if progress is not None:
            progress.update()
            progress.set_postfix(inertia=f"{distances.sum(dtype=np.float64):.4g}", shift=f"{shift:.3g}")
        if labels_old is not None and np.array_equal(labels, labels_old):
            converged_strictly = True
            break
        if shift <= tol:
            break
        labels_old = labels
    if not converged_strictly:
        labels, distances = assign(centers)
    return LloydResult(centers, labels, float(distances.sum(dtype=np.float64)), n_iter)


def lloyd(X: np.ndarray, centers: np.ndarray, *, max_iter: int, tol: float, workers: int,
          progress=None) -> LloydResult:
    """`lloyd_iterations` on the CPU kernels."""

    def assign(at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return nearest(X, at, workers)

    def step(at: np.ndarray):
        labels, distances = assign(at)
        return (labels, distances, *cluster_sums(X, labels, at.shape[0], workers))

    return lloyd_iterations(step, assign, X, centers, max_iter=max_iter, tol=tol, progress=progress)


class MiniBatchState:
    """Centers updated by mini-batches (Sculley 2010): each center moves to the running
    mean of every sample ever assigned to it, ``counts`` holding how many."""

    def __init__(self, centers: np.ndarray, counts: np.ndarray | None = None):
        self.centers = centers
        self.counts = np.zeros(centers.shape[0], dtype=np.int64) if counts is None else counts

    def update(self, batch: np.ndarray, workers: int) -> float:
        """Assign ``batch`` (m, d), move the centers; returns the batch's inertia before the move."""
        labels, distances = nearest(batch, self.centers, workers)
        sums, counts = cluster_sums(batch, labels, self.centers.shape[0], workers)
        hit = counts > 0
        self.counts[hit] += counts[hit]
        centers = self.centers[hit].astype(np.float64)
        centers += (sums[hit] - counts[hit, None] * centers) / self.counts[hit, None]
        self.centers[hit] = centers
        starved = np.flatnonzero(self.counts == 0)  # never nearest to anything: re-seed
        if starved.size:
            farthest = np.argsort(-distances, kind="stable")[: starved.size]
            self.centers[starved[: farthest.size]] = batch[farthest]
        return float(distances.sum(dtype=np.float64))
