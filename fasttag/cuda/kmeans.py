"""k-means on the GPU: nearest centroids (tiled dot products with a running argmin), Lloyd
iterations for `KMeans.fit`, and bag-of-frames histograms."""

from __future__ import annotations

import numpy as np

from .. import _kmeans
from ..errors import ParameterError
from . import _runtime


def _kernels():
    from . import _kernels

    return _kernels


def _points(home, X, name: str = "X", *, centers_dtype=None):
    """(device view (n, d), dtype) of validated points; host points are cast up to a wider
    ``centers_dtype``, GPU points narrower than it are refused (nothing is downcast)."""
    from .spectral import _matrix

    view, dtype = _matrix(home, X, name, centers_dtype=centers_dtype)
    if view.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (n_samples, n_features), got shape {tuple(view.shape)}")
    return view, dtype


def host_points(X) -> np.ndarray:
    """Validated GPU points (n, d) (finite, float32/float64, 2-D), copied to a numpy array."""
    home = _runtime.Home(X)
    with home.context():
        return _to_host(_points(home, X)[0], home)


def _norms(home, points, limit: float):
    """(device view of ||row||^2 (n,) for the rows of the (n, d) device view ``points``, whether one passes
    ``limit``): one flag read back."""
    norms = home.empty((points.shape[0],), points.dtype)[1]
    flag = home.scratch(np.zeros(1, np.int32))
    home.launch_1d(_kernels().row_norms_kernel, points.shape[0], points, norms, limit, flag)
    return norms, bool(flag.copy_to_host(stream=home.stream)[0])


def _row_norms(home, points, name: str):
    """Device view of ||row||^2 (n,) for the rows of the (n, d) device view ``points``.

    A norm above the largest float / 4 is a ParameterError naming ``name``, as in the C++
    kernels: the distances would overflow and every row go to centroid 0."""
    norms, too_large = _norms(home, points, float(np.finfo(points.dtype).max) / 4)
    if too_large:
        raise _kmeans.distance_range_error(name, points.dtype)
    return norms


def _translated(home, centers, norms):
    """(shift m (d,), centers - m (k, d), their squared norms (k,)) as device views, given the centers'
    ``norms`` (`_row_norms`), as the C++ kernels translate them (``CentroidPanels``): m is the centers' mean,
    or 0 where a translated norm would pass the largest float / 16 (the distances' terms could overflow)."""
    k = _kernels()
    shift = home.empty((centers.shape[1],), centers.dtype)[1]
    home.launch_1d(k.column_means_kernel, centers.shape[1], centers, shift)
    shifted = home.empty(centers.shape, centers.dtype)[1]
    home.launch_1d(k.subtract_row_kernel, centers.size, centers, shift, shifted)
    shifted_norms, too_far = _norms(home, shifted, float(np.finfo(centers.dtype).max) / 16)
    if too_far:
        return home.scratch(np.zeros(centers.shape[1], centers.dtype)), centers, norms
    return shift, shifted, shifted_norms


def _assign(home, view, centers_dev, centers_name: str = "centers"):
    """Device (labels int64 (n,), squared distances (n,)) as (native, view) pairs; the points are checked
    already (`_row_norms`; Lloyd's iterations check them once). ``centers_name`` is the caller's name of the
    centers, for the errors."""
    k = _kernels()
    n = view.shape[0]
    labels = home.empty((n,), np.int64)
    distances = home.empty((n,), view.dtype)
    shift, shifted, norms = _translated(home, centers_dev, _row_norms(home, centers_dev, centers_name))
    kernel, threads, rows_per_block = k.assign_kernel(np.dtype(view.dtype).name)
    with _runtime.quiet():
        kernel[(-(-n // rows_per_block),), threads, home.stream](view, shift, shifted, norms, centers_dev,
                                                                  labels[1], distances[1])
    return labels, distances


def _checked_centers(home, centers, name: str):
    """(centers, dtype): numpy centers validated on the host, or a device view of GPU ones checked
    there (float32/float64, finite), either 2-D (n_clusters, n_features)."""
    if _runtime.on_device(centers):
        from .spectral import _require_finite

        centers = home.device_view(centers)
        _runtime.device_dtype(centers, name)
        _require_finite(home, centers.reshape(centers.size), name)
    else:
        centers = _runtime.host_float_array(centers, name, min_ndim=2)
    if centers.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (n_clusters, n_features), got shape {tuple(centers.shape)}")
    return centers, np.dtype(centers.dtype)


def _centers_on_device(home, centers, dtype, n_features: int, mismatch: str):
    """Device view of `_checked_centers`' centers in X's ``dtype`` (numpy centers are cast and
    copied; GPU ones must have it). ``mismatch`` formats the error for another feature count
    with (X's, the centers')."""
    if centers.shape[1] != n_features:
        raise ParameterError(mismatch.format(n_features, centers.shape[1]))
    if isinstance(centers, np.ndarray):
        return home.scratch(np.ascontiguousarray(centers, dtype=dtype))
    if np.dtype(centers.dtype) != dtype:
        raise ParameterError(f"the centers are {centers.dtype} on the GPU but X is {dtype}: give both one dtype")
    return centers


def nearest(X, centers, name: str = "centers"):
    """Labels (n,) int64 of each row's nearest center, and the squared distances (n,), on the GPU.

    X : (n_samples, n_features) float32/float64, numpy or a GPU array; centers :
    (n_clusters, n_features), numpy (copied to the GPU) or on the GPU. Results are the kind of X.
    Both compute in the wider dtype, as on the CPU, except that GPU arrays are never cast: a
    GPU array narrower than the other is a ParameterError. ``name``: the caller's name of the
    centers, for the errors.
    """
    home = _runtime.Home(X)
    with home.context():
        centers, centers_dtype = _checked_centers(home, centers, name)
        view, dtype = _points(home, X, centers_dtype=centers_dtype)
        centers_dev = _centers_on_device(home, centers, dtype, view.shape[1], "X has {} features but the centers have {}")
        _row_norms(home, view, "X")  # refuses rows out of the distances' range
        labels, distances = _assign(home, view, centers_dev, name)
        return home.give_back(labels[0]), home.give_back(distances[0])


def centred(X, mean: np.ndarray):
    """GPU points X (n, d) minus ``mean`` (d,), a new array of X's kind and dtype (`KMeans.fit` runs
    Lloyd's iterations on centred points, as on the CPU)."""
    home = _runtime.Home(X)
    with home.context():
        view, dtype = _points(home, X)
        native, out = home.empty(view.shape, dtype)
        home.launch_1d(_kernels().subtract_row_kernel, view.size, view, home.scratch(mean.astype(dtype)), out)
        return home.give_back(native)


def lloyd(X, centers: np.ndarray, *, max_iter: int, tol: float, workers=None, progress=None):
    """`fasttag._kmeans.lloyd_iterations` with the assignment and cluster sums on the GPU; the
    labels, distances and (n_clusters, d) sums come back each iteration for the update, and
    only the points that re-seed empty clusters are copied from the GPU. X is numpy or a GPU
    array. Returns a `fasttag._kmeans.LloydResult` with host centers, labels and inertia.
    ``workers`` is ignored; ``progress`` (a tqdm bar) is advanced per iteration."""
    k = _kernels()
    home = _runtime.Home(X)
    with home.context():
        view, dtype = _points(home, X)
        n, d = view.shape
        centers = np.ascontiguousarray(centers, dtype=dtype)
        n_clusters = centers.shape[0]
        _row_norms(home, view, "X")  # refuses rows out of the distances' range

        def assign_on_device(at: np.ndarray):
            (_, labels_dev), (_, distances_dev) = _assign(home, view, home.scratch(at))
            return labels_dev, distances_dev

        def assign(at: np.ndarray):
            return tuple(_to_host(result, home) for result in assign_on_device(at))

        def step(at: np.ndarray):
            labels_dev, distances_dev = assign_on_device(at)
            sums_dev = home.scratch(np.zeros((n_clusters, d), np.float64))
            counts_dev = home.scratch(np.zeros(n_clusters, np.int64))
            home.launch_1d(k.cluster_sums_kernel, n * d, view, labels_dev, sums_dev, counts_dev)
            return (_to_host(labels_dev, home), _to_host(distances_dev, home), _to_host(sums_dev, home),
                    _to_host(counts_dev, home))

        return _kmeans.lloyd_iterations(step, assign, _HostRows(view), centers, max_iter=max_iter,
                                        tol=tol, progress=progress)


def _to_host(view, home):
    return view.copy_to_host(stream=home.stream)


class _HostRows:
    """``rows[i]``: sample i of a device view, copied to the host (float64) on demand."""

    def __init__(self, view):
        self.view = view

    def __getitem__(self, i) -> np.ndarray:
        return self.view[int(i)].copy_to_host().astype(np.float64)


def bag_of_frames(X, centers, *, normalize: str | None = "l1", power: float | None = None, soft: bool = False):
    """Hard-assignment bag of frames on the GPU: X (..., n_features, n_frames) -> (..., n_clusters).

    The frames are assigned, counted and normalised on the GPU, as :func:`fasttag.bag_of_frames`
    does on the CPU; ``soft=True`` is CPU-only (ParameterError here).
    """
    from .. import _validate
    from ..bof import power_exponent
    from .spectral import _matrix, _rows

    if soft:
        raise ParameterError("soft=True is not available on device='cuda'; soft assignment needs device='cpu'")
    _validate.choice(normalize, {"l1": 1, "l2": 2, None: 0}, "normalize")
    power = power_exponent(power)
    k = _kernels()
    home = _runtime.Home(X)
    with home.context():
        centers, centers_dtype = _checked_centers(home, centers, "kmeans")
        view, dtype = _matrix(home, X, "X")  # the histograms come back in X's dtype, as on the CPU
        wide = np.result_type(dtype, centers_dtype)  # the frames are assigned in the wider dtype, as on the CPU
        tracks, lead = _rows(view, 2)
        n_tracks, n_features, n_frames = tracks.shape
        centers_dev = _centers_on_device(home, centers, wide, n_features,
                                         "X has {} features (axis -2) but the codebook has {}")
        n_clusters = centers_dev.shape[0]
        # the assignment kernel reads rows: the frames are gathered once, on the GPU, as
        # (n_tracks * n_frames, n_features), cast up to the wider dtype on the way
        frames_native, frames = home.empty((n_tracks * n_frames, n_features), wide)
        home.launch_1d(k.transpose_kernel, frames.size, tracks, frames)
        _row_norms(home, frames, "X")  # refuses rows out of the distances' range
        (labels, labels_dev), _ = _assign(home, frames, centers_dev, "kmeans")
        counts = home.scratch(np.zeros(n_tracks * n_clusters, np.float64))
        native, out = home.empty(lead + (n_clusters,), dtype)
        norm_code = {"l1": 1, "l2": 2, None: 0}[normalize]
        home.launch_1d(k.histogram_kernel, labels_dev.shape[0], labels_dev, n_frames, n_clusters, counts)
        home.launch_1d(k.normalize_kernel, n_tracks, counts, n_clusters, power is not None,
                       0.0 if power is None else float(power), norm_code, out.reshape((n_tracks, n_clusters)),
                       threads=64)
        del frames_native, labels
        return home.give_back(native)
