"""`KMeans`: the bag-of-frames codebook, with scikit-learn's interface on fasttag's C++
kernels (tiled distances with a running argmin; the n x k distance matrix is never stored)."""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
from sklearn.base import ClusterMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from . import _kmeans, _validate, _warnings
from ._params import EstimatorParams
from ._workers import resolve_workers
from .cuda._runtime import check_device, on_device
from .errors import NotFittedError, ParameterError

_INITS = ("k-means++", "random")
_CORE_NAMES = {"x": "X", "centroids": "cluster_centers_"}  # the kernels' names -> the caller's, in errors


def _cuda():
    from .cuda import kmeans

    return kmeans


def _points(X, name: str = "X") -> np.ndarray:
    """``X`` as a C-contiguous float32/float64 ``(n_samples, n_features)`` array. NaN/Inf are refused
    later: by `_kmeans.check_distance_range` in fit and partial_fit, by the C++ kernels (their errors
    reworded with the caller's names, see `_CORE_NAMES`) in predict, transform and score."""
    X = _validate.float_array(X, name, min_ndim=2, check_finite=False)
    if X.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    return _validate.c_array(X)


def _is_block_iterable(X) -> bool:
    """Whether mini-batch ``fit`` reads X as blocks: any iterable that is not an array (numpy,
    torch, anything with ``__array__``), except lists and tuples of rows (their first item is 1-D)."""
    if isinstance(X, np.ndarray) or hasattr(X, "__array__") or not isinstance(X, Iterable):
        return False
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and np.ndim(X[0]) >= 2
    return True


def _rng(random_state) -> np.random.Generator:
    if _validate.is_integer(random_state):
        return np.random.default_rng(_validate.seed(random_state, "random_state"))
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):  # scikit-learn's kind: a seed drawn from it
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise ParameterError(f"random_state={random_state!r} must be None, an int, a numpy Generator or RandomState")


class KMeans(ClusterMixin, TransformerMixin, EstimatorParams):
    """k-means clustering (Lloyd's algorithm, or mini-batches when ``batch_size`` is set).

    Parameters
    ----------
    n_clusters : int
        Number of clusters (codewords) K.
    init : "k-means++", "random" or array (n_clusters, n_features)
        Seeding: greedy k-means++ (as scikit-learn), distinct random samples, or given centers.
    n_init : int
        Seedings tried (full-batch fitting); the run with the lowest inertia is kept.
    max_iter : int
        Lloyd iterations per run; epochs over the data for mini-batch fitting of an array.
    tol : float
        Convergence when the summed squared center shift of an iteration (an epoch for
        mini-batches) is at most ``tol`` times the mean feature variance (scikit-learn's rule).
    batch_size : int or None
        None: full-batch Lloyd. An int: mini-batch fitting (Sculley 2010) on batches of this
        many samples; ``fit`` then also accepts an iterable of ``(m, n_features)`` blocks, for
        corpora that do not fit in memory.
    init_size : int or None
        Samples k-means++ seeds from: all of them for full-batch fitting (None), and for
        mini-batches at least ``3 * batch_size`` and ``3 * n_clusters`` (as scikit-learn).
    random_state : None, int or numpy.random.Generator
        Seed of the seeding and of the mini-batch order: the same seed, the same result.
    workers : int or None
        Threads for the C++ kernels (scipy.fft's convention; None takes `fasttag.get_workers`).
        Results do not depend on it.
    progress : bool
        Show a progress bar over iterations (or batches).
    device : {"cpu", "cuda"}
        "cuda": ``predict`` runs the GPU assignment kernel (X may be a torch/CuPy/Numba GPU
        array; the labels come back as the same kind) and full-batch ``fit`` runs its Lloyd
        iterations on the GPU (X numpy or a GPU array; the k-means++ seeding runs on the CPU,
        from one host copy of a GPU X).
        ``transform``, ``score`` and mini-batch fitting run on the CPU.

    Attributes
    ----------
    cluster_centers_ : array (n_clusters, n_features), X's dtype
    labels_ : array (n_samples,) int64, the nearest center of each training sample
        (None after fitting on an iterable of blocks, which is read once)
    inertia_ : float, the sum of squared distances of the samples to their nearest center
        (after fitting on blocks: the sum over the pass, each block measured when it arrived)
    n_iter_ : int, iterations (epochs) run
    n_features_in_ : int
    """

    def __init__(self, n_clusters: int = 1024, *, init="k-means++", n_init: int = 1, max_iter: int = 100,
                 tol: float = 1e-4, batch_size: int | None = None, init_size: int | None = None,
                 random_state=None, workers: int | None = None, progress: bool = False, device: str = "cpu"):
        self.n_clusters = _validate.positive_int(n_clusters, "n_clusters")
        if isinstance(init, str):
            _validate.choice(init, dict.fromkeys(_INITS), "init")
        else:
            init = _points(init, "init")
            if init.shape[0] != self.n_clusters:
                raise ParameterError(f"init has {init.shape[0]} centers but n_clusters={self.n_clusters}")
        self.init = init
        self.n_init = _validate.positive_int(n_init, "n_init")
        self.max_iter = _validate.positive_int(max_iter, "max_iter")
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
            raise ParameterError(f"tol={tol!r} must be a non-negative number")
        self.tol = float(tol)
        self.batch_size = None if batch_size is None else _validate.positive_int(batch_size, "batch_size")
        self.init_size = None if init_size is None else _validate.positive_int(init_size, "init_size")
        if self.init_size is not None and self.init_size < self.n_clusters:
            raise ParameterError(f"init_size={self.init_size} must be at least n_clusters={self.n_clusters}: "
                                 "k-means++ seeds every center from a distinct sample")
        self.random_state = random_state
        _rng(random_state)  # fail early on a bad seed
        self.workers = workers
        self.progress = bool(progress)
        self.device = check_device(device)

    # -- fitting ---------------------------------------------------------------------------

    def fit(self, X, y=None) -> KMeans:
        """Cluster X (n_samples, n_features); with ``batch_size`` set, X may also be an
        iterable of (m, n_features) blocks (a generator, or a list whose items are 2-D). Returns self."""
        rng = _rng(self.random_state)
        workers = resolve_workers(self.workers)
        if _is_block_iterable(X):
            if self.batch_size is None:
                raise ParameterError(f"X is an iterable of blocks ({type(X).__name__}), which fit reads only with "
                                     f"batch_size= set (mini-batch k-means: KMeans({self.n_clusters}, "
                                     "batch_size=1024)); or give one (n_samples, n_features) array")
            return self._fit_blocks(iter(X), rng, workers)
        if self.batch_size is None and self.device != "cpu" and on_device(X):
            points = _cuda().host_points(X)  # one copy, for the seeding and the tolerance
        else:
            X = points = self._host_points(X)  # mini-batches run on the CPU
        _kmeans.check_distance_range(points)  # all of X, before the variances of the tolerance and the seeding
        self._check_enough(points.shape[0])
        if self.batch_size is not None:
            return self._fit_minibatch(X, rng, workers)
        tol = _kmeans.tolerance(points, self.tol)
        centred, mean = _kmeans.centre(points)  # seeding and Lloyd run on X - mean, as scikit-learn's
        X = centred if X is points else _cuda().centred(X, mean)
        best = None
        for _ in range(self.n_init if isinstance(self.init, str) else 1):
            centers = self._seed(centred, rng, workers, mean)
            lloyd = _kmeans.lloyd if self.device == "cpu" else _cuda().lloyd
            with tqdm(total=self.max_iter, desc="k-means", unit="iter", disable=not self.progress) as bar:
                result = lloyd(X, centers, max_iter=self.max_iter, tol=tol, workers=workers, progress=bar)
            if best is None or result.inertia < best.inertia:
                best = result
        sizes = np.bincount(best.labels, minlength=self.n_clusters).astype(np.int64)
        centers = best.centers + mean
        self._set_fitted(_kmeans.MiniBatchState(centers, sizes), best.labels, best.inertia, best.n_iter)
        found = np.count_nonzero(sizes)
        if found < self.n_clusters:  # duplicate points, or a center left empty by the last iteration's re-seeding
            _warnings.warn(f"KMeans found {found} distinct clusters, fewer than n_clusters={self.n_clusters}: X may "
                           "have fewer distinct points, or max_iter stopped Lloyd with a cluster emptied",
                           ConvergenceWarning)
        return self

    def partial_fit(self, X, y=None) -> KMeans:
        """One mini-batch update with the samples X (n, n_features). A fitted KMeans goes on from
        its centers (each the running mean of the samples assigned to it so far); otherwise this
        call seeds the centers from X (k-means++), so it needs at least n_clusters samples."""
        X = self._host_points(X)
        _kmeans.check_distance_range(X)
        workers = resolve_workers(self.workers)
        state = getattr(self, "_minibatch", None)
        if state is None:
            self._check_enough(X.shape[0])
            state = self._minibatch = _kmeans.MiniBatchState(self._seed(X, _rng(self.random_state), workers))
            self.n_features_in_ = X.shape[1]
        self._check_features(X)
        if X.dtype != state.centers.dtype:
            raise ParameterError(f"X has dtype {X.dtype} but this KMeans was fitted on {state.centers.dtype}: "
                                 "give partial_fit the same dtype")
        self.inertia_ = state.update(X, workers)
        self.cluster_centers_ = state.centers
        self.labels_ = None
        self.n_iter_ = getattr(self, "n_iter_", 0) + 1
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit on X, then the labels (n_samples,) of its samples."""
        self.fit(X)
        if self.labels_ is None:
            raise ParameterError("fit_predict needs X as an array (blocks are read only once)")
        return self.labels_

    # -- using the codebook ------------------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """The nearest center (n_samples,) int64 of every row of X (n_samples, n_features)."""
        if self.device != "cpu" and hasattr(self, "cluster_centers_"):
            return _cuda().nearest(X, self.cluster_centers_, "cluster_centers_")[0]
        labels, _ = _kmeans.nearest(*self._with_centers(X), resolve_workers(self.workers), _CORE_NAMES)
        return labels

    def transform(self, X) -> np.ndarray:
        """Euclidean distances (n_samples, n_clusters) of every row of X to every center, in the
        wider of X's and the centers' dtypes."""
        squared = _kmeans.squared_distances(*self._with_centers(X), resolve_workers(self.workers), _CORE_NAMES)
        return np.sqrt(squared, out=squared)

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

    def score(self, X, y=None) -> float:
        """Minus the inertia of X: the sum of squared distances to the nearest centers."""
        _, distances = _kmeans.nearest(*self._with_centers(X), resolve_workers(self.workers), _CORE_NAMES)
        return -float(distances.sum(dtype=np.float64))

    # -- internals ---------------------------------------------------------------------------

    def _check_enough(self, n_samples: int) -> None:
        if n_samples < self.n_clusters:
            raise ParameterError(f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}")

    def _check_features(self, X: np.ndarray) -> None:
        if X.shape[1] != self.n_features_in_:
            raise ParameterError(f"X has {X.shape[1]} features, but KMeans is fitted with {self.n_features_in_}")

    def _host_points(self, X) -> np.ndarray:
        """X as `_points` gives it, for a step that runs on the CPU: with device="cuda", a GPU X is
        validated there and copied to the host once."""
        if self.device != "cpu" and on_device(X):
            return _cuda().host_points(X)
        return _points(X)

    def _with_centers(self, X) -> tuple[np.ndarray, np.ndarray]:
        """X and the centers, both in the wider of their dtypes (nothing is downcast)."""
        if not hasattr(self, "cluster_centers_"):
            raise NotFittedError("this KMeans is not fitted yet: call fit first")
        X = self._host_points(X)  # transform and score run on the CPU
        self._check_features(X)
        dtype = np.result_type(X.dtype, self.cluster_centers_.dtype)
        return _validate.c_array(X, dtype), _validate.c_array(self.cluster_centers_, dtype)

    def _seed(self, X: np.ndarray, rng: np.random.Generator, workers: int, mean=None) -> np.ndarray:
        """Initial centers (n_clusters, n_features) in X's dtype; X may be centred, with its
        ``mean`` (n_features,) taken away, which given ``init`` centers then lose too."""
        if not isinstance(self.init, str):
            if self.init.shape[1] != X.shape[1]:
                raise ParameterError(f"init has {self.init.shape[1]} features but X has {X.shape[1]}")
            centers = np.array(self.init, dtype=X.dtype)
            _kmeans.check_distance_range(centers, "init")
            return centers if mean is None else centers - mean
        size = self.init_size
        if size is None and self.batch_size is not None:
            size = max(3 * self.batch_size, 3 * self.n_clusters)
        if size is not None and size < X.shape[0]:
            X = X[np.sort(rng.choice(X.shape[0], size=max(size, self.n_clusters), replace=False))]
        if self.init == "random":
            return _kmeans.random_init(X, self.n_clusters, rng)
        return _kmeans.kmeans_plusplus(X, self.n_clusters, rng, workers)

    def _fit_minibatch(self, X: np.ndarray, rng: np.random.Generator, workers: int) -> KMeans:
        state = _kmeans.MiniBatchState(self._seed(X, rng, workers))
        tol = _kmeans.tolerance(X, self.tol)
        n_batches = -(-X.shape[0] // self.batch_size)
        n_iter = 0
        with tqdm(total=self.max_iter * n_batches, desc="k-means", unit="batch", disable=not self.progress) as bar:
            for n_iter in range(1, self.max_iter + 1):
                start = state.centers.astype(np.float64)
                order = rng.permutation(X.shape[0])
                for b in range(n_batches):
                    state.update(X[np.sort(order[b * self.batch_size:(b + 1) * self.batch_size])], workers)
                    bar.update()
                if np.sum((state.centers - start) ** 2) <= tol:
                    break
        labels, distances = _kmeans.nearest(X, state.centers, workers)
        self._set_fitted(state, labels, float(distances.sum(dtype=np.float64)), n_iter)
        return self

    def _fit_blocks(self, blocks, rng: np.random.Generator, workers: int) -> KMeans:
        """One mini-batch pass over an iterable of (m, n_features) blocks, re-cut into batches."""
        init_size = self.init_size or max(3 * self.batch_size, 3 * self.n_clusters)
        pending: list[np.ndarray] = []
        n_pending = 0
        state = None
        inertia = 0.0
        first = None
        with tqdm(desc="k-means", unit="sample", disable=not self.progress) as bar:
            for i, block in enumerate(blocks):
                block = _points(block, f"block {i}")
                _kmeans.check_distance_range(block, f"block {i}")
                if first is None:
                    first = block
                elif block.shape[1] != first.shape[1] or block.dtype != first.dtype:
                    raise ParameterError(f"block {i} has shape {block.shape} and dtype {block.dtype}, unlike "
                                         f"block 0 ({first.shape[1]} features, {first.dtype})")
                pending.append(block)
                n_pending += block.shape[0]
                if state is None and n_pending < init_size:
                    continue
                data = np.concatenate(pending) if len(pending) > 1 else pending[0]
                if state is None:
                    state = _kmeans.MiniBatchState(self._seed(data, rng, workers))
                full = data.shape[0] - data.shape[0] % self.batch_size
                for b in range(0, full, self.batch_size):
                    inertia += state.update(data[b:b + self.batch_size], workers)
                pending, n_pending = ([data[full:]], data.shape[0] - full) if full < data.shape[0] else ([], 0)
                bar.update(full)
            if pending:
                data = np.concatenate(pending)
                if state is None:
                    self._check_enough(data.shape[0])
                    state = _kmeans.MiniBatchState(self._seed(data, rng, workers))
                inertia += state.update(data, workers)
                bar.update(data.shape[0])
        if state is None:
            raise ParameterError("X is an empty iterable: no blocks to fit")
        self._set_fitted(state, None, inertia, 1)
        return self

    def _set_fitted(self, state: _kmeans.MiniBatchState, labels, inertia: float, n_iter: int) -> None:
        """Fitted attributes from the final centers; partial_fit goes on from ``state``."""
        self._minibatch = state
        centers = self.cluster_centers_ = state.centers
        self.labels_ = labels
        self.inertia_ = inertia
        self.n_iter_ = n_iter
        self.n_features_in_ = centers.shape[1]
