"""k-means on the GPU (fasttag.cuda: tiled nearest-centroid assignment with a running argmin,
Lloyd iterations, bag-of-frames histograms) against the C++ CPU path.

Runs in Numba's CUDA simulator on small inputs (``tests/test_cuda_sim.py`` launches it with
``NUMBA_ENABLE_CUDASIM=1``) and on a GPU at full size (K = 1024 codewords of 90 features).
Outputs are poisoned (NaN, labels -1) before the kernels run.
"""

from __future__ import annotations


import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc
from fasttag import _kmeans

pytestmark = pytest.mark.usefixtures("cuda_kernels")  # from conftest.py: skips without CUDA

SIM = fc.simulator()
# (n points, d features, k clusters): n, d and k are not multiples of the tile size
SIZE = dict(n=37, d=11, k=13) if SIM else dict(n=100_003, d=90, k=1024)


def assert_same_labels(X, centers, labels, expected_labels):
    """Labels agree except where two centers are equally near within float32 rounding (the CPU and the GPU
    sum the dot products in different orders): only differing rows are checked."""
    differ = np.flatnonzero(labels != expected_labels)
    assert differ.size <= 0.01 * X.shape[0], f"{differ.size} of {X.shape[0]} labels differ"
    if differ.size:
        x = X[differ].astype(np.float64)
        got, other = centers[labels[differ]].astype(np.float64), centers[expected_labels[differ]].astype(np.float64)
        gap = np.abs(((x - got) ** 2).sum(1) - ((x - other) ** 2).sum(1))
        scale = (x * x).sum(1) + (got * got).sum(1) + (other * other).sum(1)
        assert np.all(gap <= 1e-5 * scale), f"labels differ where the distances do not tie: {gap / scale}"


def frames_near(rng, centers, n, noise=0.1):
    """n points, each near a random center (an unambiguous nearest center), and their labels."""
    labels = rng.integers(centers.shape[0], size=n)
    return (centers[labels] + noise * rng.standard_normal((n, centers.shape[1]))).astype(centers.dtype), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_matches_cpu(rng, tol, dtype):
    X = rng.standard_normal((SIZE["n"], SIZE["d"])).astype(dtype)
    centers = rng.standard_normal((SIZE["k"], SIZE["d"])).astype(dtype)
    labels, distances = fc.nearest(X, centers)
    expected_labels, expected_distances = _kmeans.nearest(X, centers, 1)
    assert labels.dtype == np.int64 and distances.dtype == dtype
    assert_same_labels(X, centers, labels, expected_labels)
    tol.assert_close(distances, expected_distances, 10 * tol(dtype).spec, "squared distances")
    assert len(np.unique(labels)) > 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_ties_go_to_the_lowest_index(rng, dtype):
    """Centers repeated at higher indices, each copy in a different centroid tile and thread
    column where the sizes allow: the label is always the first copy, as on the CPU."""
    unique = rng.standard_normal((SIZE["k"], SIZE["d"])).astype(dtype)
    copies = rng.permutation(SIZE["k"])[:5]
    centers = np.concatenate([unique, unique[copies]])  # index k + i repeats copies[i]
    X, near = frames_near(rng, unique, SIZE["n"])
    labels, _ = fc.nearest(X, centers)
    np.testing.assert_array_equal(labels, near)
    assert np.isin(near, copies).any(), "no row is nearest to a repeated center"


BRUTE_FORCE_ROWS = 2048  # rows checked term by term: all 100,003 of the GPU size take 74 GB and minutes of numpy


def _brute_force(X, C) -> np.ndarray:
    """Squared distances (n, k) in float64, term by term."""
    diff = X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_points_far_from_the_origin_are_assigned_as_in_float64(far_codebook, dtype):
    """As on the CPU: ||x||^2 - 2 x.c + ||c||^2 of the points as given lost the codebook's spread (most labels
    wrong near 3000 in float32); the kernel translates points and codebook by the codebook's mean, and sums the
    nearest codeword's distance from the differences."""
    from numba import cuda

    X, C = far_codebook(SIZE["n"], SIZE["k"], SIZE["d"], dtype)
    D = _brute_force(X[:BRUTE_FORCE_ROWS], C)  # the first rows term by term; every row against the C++ kernels
    labels, distances = fc.nearest(X, C)
    np.testing.assert_array_equal(labels[:BRUTE_FORCE_ROWS], D.argmin(axis=1))
    np.testing.assert_allclose(distances[:BRUTE_FORCE_ROWS], D.min(axis=1), rtol=2 * np.finfo(dtype).eps)
    expected_labels, expected_distances = _kmeans.nearest(X, C, 1)
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(distances, expected_distances, rtol=2 * np.finfo(dtype).eps)
    model = fasttag.KMeans(SIZE["k"], device="cuda")
    model.cluster_centers_, model.n_features_in_ = C, SIZE["d"]
    np.testing.assert_array_equal(model.predict(cuda.to_device(X)).copy_to_host(), expected_labels)
    tracks = np.ascontiguousarray(X[: 2 * 7].reshape(2, 7, SIZE["d"]).transpose(0, 2, 1))
    counts = fasttag.bag_of_frames(tracks, C, normalize=None, device="cuda")
    nearest = D[: 2 * 7].argmin(axis=1).reshape(2, 7)
    np.testing.assert_array_equal(counts, [np.bincount(track, minlength=SIZE["k"]) for track in nearest])


def test_codebooks_too_spread_out_to_translate_stay_where_they_are():
    """As on the CPU: translated by their mean, these codewords' dot products with the points would overflow
    float32 (-inf for codewords 6 and 7, and 6 chosen); such codebooks are kept where they are."""
    a = np.sqrt(np.finfo(np.float32).max / 4 / 3) * 0.999
    C = (np.array([1.0] * 6 + [-0.9, -1.0])[:, None] * a * np.ones(3)).astype(np.float32)
    labels, distances = fc.nearest(C[[7, 0, 6]], C)
    np.testing.assert_array_equal(labels, [7, 0, 6])
    np.testing.assert_array_equal(distances, 0)


def test_predict_on_device_arrays(rng):
    from numba import cuda

    X = rng.standard_normal((SIZE["n"], SIZE["d"])).astype(np.float32)
    km = fasttag.KMeans(SIZE["k"], random_state=0, max_iter=2, device="cuda")
    km.cluster_centers_ = rng.standard_normal((SIZE["k"], SIZE["d"])).astype(np.float32)
    km.n_features_in_ = SIZE["d"]
    labels = km.predict(cuda.to_device(X))
    assert not isinstance(labels, np.ndarray) and fc.on_device(labels)
    expected = fasttag.KMeans(SIZE["k"]).__class__.predict(_cpu_copy(km), X)
    assert_same_labels(X, km.cluster_centers_, labels.copy_to_host(), expected)
    assert isinstance(km.predict(X), np.ndarray)


def _cpu_copy(km):
    cpu = fasttag.KMeans(km.n_clusters)
    cpu.cluster_centers_ = km.cluster_centers_
    cpu.n_features_in_ = km.n_features_in_
    return cpu


def _blobs(rng, n_per, k, d):
    means = rng.standard_normal((k, d)) * 10
    X = np.concatenate([m + rng.standard_normal((n_per, d)) for m in means]).astype(np.float32)
    return X[rng.permutation(X.shape[0])]


def test_fit_matches_cpu(rng, tol):
    k = 4 if SIM else 64
    X = _blobs(rng, 12 if SIM else 500, k, 5 if SIM else 90)
    gpu = fasttag.KMeans(k, random_state=3, device="cuda", max_iter=20).fit(X)
    cpu = fasttag.KMeans(k, random_state=3, max_iter=20).fit(X)
    tol.assert_close(gpu.cluster_centers_, cpu.cluster_centers_, 10 * tol(np.float32).spec, "centers")
    np.testing.assert_array_equal(gpu.labels_, cpu.labels_)
    assert gpu.inertia_ == pytest.approx(cpu.inertia_, rel=1e-5)


def test_fit_on_device_arrays_matches_numpy_input(rng, tol):
    from numba import cuda

    k = 4 if SIM else 64
    X = _blobs(rng, 12 if SIM else 500, k, 5 if SIM else 90)
    on_gpu = fasttag.KMeans(k, random_state=3, device="cuda", max_iter=20).fit(cuda.to_device(X))
    on_host = fasttag.KMeans(k, random_state=3, device="cuda", max_iter=20).fit(X)
    np.testing.assert_array_equal(on_gpu.cluster_centers_, on_host.cluster_centers_)
    np.testing.assert_array_equal(on_gpu.labels_, on_host.labels_)
    assert on_gpu.inertia_ == on_host.inertia_ and on_gpu.n_iter_ == on_host.n_iter_
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(fasttag.ParameterError, match="X contains NaN"):
        fasttag.KMeans(k, device="cuda").fit(cuda.to_device(bad))


def test_fit_relocates_empty_clusters_like_cpu(rng, tol):
    X = _blobs(rng, 10, 3, 4)
    init = np.concatenate([X[:3], np.full((1, 4), 1e3, np.float32)])  # the last center attracts nothing
    gpu = fasttag.KMeans(4, init=init, device="cuda", max_iter=5).fit(X)
    cpu = fasttag.KMeans(4, init=init, max_iter=5).fit(X)
    assert np.all(np.abs(gpu.cluster_centers_) < 1e3)
    tol.assert_close(gpu.cluster_centers_, cpu.cluster_centers_, 10 * tol(np.float32).spec, "centers")
    np.testing.assert_array_equal(gpu.labels_, cpu.labels_)


def test_fit_relocates_to_the_point_truly_farthest_like_cpu(rng):
    # Empty clusters take the points farthest from their centers by the differences, not by the assignment's
    # ||x||^2 - 2 x.c + ||c||^2, whose rounding made a far-off singleton look farther than a pair's points.
    far = rng.standard_normal((12, 4)) * 3e3
    pair = rng.standard_normal(4) + np.array([[0.0] * 4, [2.0] + [0.0] * 3])
    X = np.concatenate([far, pair]).astype(np.float32)
    init = np.concatenate([far, pair.mean(axis=0, keepdims=True), np.full((1, 4), 1e4)]).astype(np.float32)
    gpu = fasttag.KMeans(len(X), init=init, device="cuda", max_iter=5).fit(X)
    cpu = fasttag.KMeans(len(X), init=init, max_iter=5).fit(X)
    assert len(np.unique(gpu.labels_)) == len(X)
    np.testing.assert_array_equal(gpu.labels_, cpu.labels_)
    np.testing.assert_array_equal(gpu.cluster_centers_, cpu.cluster_centers_)


@pytest.mark.parametrize("normalize, power", [("l1", None), ("l2", 0.5), (None, None)])
def test_bag_of_frames_matches_cpu(rng, tol, normalize, power):
    n_frames = 9 if SIM else 1366
    centers = rng.standard_normal((SIZE["k"], SIZE["d"])).astype(np.float32)
    frames, labels = frames_near(rng, centers, 2 * n_frames)
    X = np.ascontiguousarray(frames.reshape(2, n_frames, SIZE["d"]).transpose(0, 2, 1))
    got = fasttag.bag_of_frames(X, centers, normalize=normalize, power=power, device="cuda")
    expected = fasttag.bag_of_frames(X, centers, normalize=normalize, power=power)
    assert got.shape == (2, SIZE["k"]) and got.dtype == np.float32
    tol.assert_close(got, expected, tol(np.float32).spec, f"bag of frames {normalize} {power}")
    if normalize is None:
        np.testing.assert_array_equal(got[0], np.bincount(labels[:n_frames], minlength=SIZE["k"]))
    assert not np.allclose(got[0], got[1])


def test_bag_of_frames_on_device_arrays(rng, tol):
    from numba import cuda

    centers = rng.standard_normal((SIZE["k"], SIZE["d"]))
    frames, _ = frames_near(rng, centers, 14)
    X = np.ascontiguousarray(frames.reshape(2, 7, SIZE["d"]).transpose(0, 2, 1))
    got = fasttag.bag_of_frames(cuda.to_device(X), cuda.to_device(centers), device="cuda")
    assert fc.on_device(got)
    tol.assert_close(got.copy_to_host(), fasttag.bag_of_frames(X, centers), tol(np.float64).spec, "bag of frames")


def test_kmeans_gpu_errors(rng):
    X = rng.standard_normal((2, SIZE["d"], 5)).astype(np.float32)
    centers = rng.standard_normal((3, SIZE["d"])).astype(np.float32)
    with pytest.raises(fasttag.ParameterError,
                       match="soft=True is not available on device='cuda'; soft assignment needs device='cpu'"):
        fasttag.bag_of_frames(X, centers, soft=True, device="cuda")
    with pytest.raises(fasttag.ParameterError, match=f"X has {SIZE['d']} features but the centers have 3"):
        fc.nearest(X[0].T, centers[:, :3])
    with pytest.raises(fasttag.ParameterError, match="device='tpu' must be 'cpu' or 'cuda'"):
        fasttag.KMeans(3, device="tpu")
    bad = X[0].T.copy()
    bad[1, 2] = np.inf
    with pytest.raises(fasttag.ParameterError, match="X contains NaN"):
        fc.nearest(bad, centers)


@pytest.mark.parametrize("on_gpu", [False, True])
def test_points_too_large_for_their_distances_are_refused(rng, on_gpu):
    """Rows (or centers) whose squared norm passes the largest float32 / 4 would give inf
    distances and send every row to centroid 0: refused wherever the points live, as on the CPU."""
    from numba import cuda

    limit = float(np.finfo(np.float32).max) / 4
    points = rng.standard_normal((SIZE["n"], SIZE["d"]))
    points /= np.sqrt(np.einsum("ij,ij->i", points, points).max())  # largest row norm 1
    near = (points * np.sqrt(limit) * 0.999).astype(np.float32)
    centers = near[[np.einsum("ij,ij->i", points, points).argmax(), 0, 1]]  # the longest row among them
    expected, _ = _kmeans.nearest(near, centers, 1)
    place = cuda.to_device if on_gpu else np.asarray
    labels, _ = fc.nearest(place(near), place(centers))
    np.testing.assert_array_equal(labels.copy_to_host() if on_gpu else labels, expected)
    too_large = near * np.float32(1.01)
    frames = np.ascontiguousarray(too_large.T[None])  # one track (1, d, n)
    match = "X has values too large for float32 distances .* or use float64"
    for call in (lambda: fc.nearest(place(too_large), place(centers)),
                 lambda: fasttag.bag_of_frames(place(frames), place(centers), device="cuda"),
                 lambda: fasttag.KMeans(3, random_state=0, device="cuda").fit(place(too_large))):
        with pytest.raises(fasttag.ParameterError, match=match):
            call()
    with pytest.raises(fasttag.ParameterError, match="centers has values too large for float32 distances"):
        fc.nearest(place(near), place(centers * np.float32(1.01)))
    # the codebook named as on the CPU: kmeans in bag_of_frames, cluster_centers_ in KMeans.predict
    fitted = fasttag.KMeans(3, random_state=0, device="cuda").fit(near)
    fitted.cluster_centers_ = centers * np.float32(1.01)
    with pytest.raises(fasttag.ParameterError, match="^cluster_centers_ has values too large for float32"):
        fitted.predict(place(near))
    with pytest.raises(fasttag.ParameterError, match="^kmeans has values too large for float32 distances"):
        fasttag.bag_of_frames(place(np.ascontiguousarray(near.T[None])), centers * np.float32(1.01), device="cuda")


def test_centers_on_the_gpu_are_checked_like_numpy_ones(rng):
    """NaN centers already on the GPU sent every frame to codeword 0; a feature-count mismatch
    named the centers' shape, not X's features."""
    from numba import cuda

    X = rng.standard_normal((2, SIZE["d"], 5)).astype(np.float32)
    centers = rng.standard_normal((3, SIZE["d"])).astype(np.float32)
    poisoned = centers.copy()
    poisoned[1, 2] = np.nan
    for place in (np.asarray, cuda.to_device):
        with pytest.raises(fasttag.ParameterError, match="kmeans contains NaN or infinite values"):
            fasttag.bag_of_frames(X, place(poisoned), device="cuda")
        with pytest.raises(fasttag.ParameterError, match="centers contains NaN or infinite values"):
            fc.nearest(X[0].T, place(poisoned))
        with pytest.raises(fasttag.ParameterError, match=rf"X has {SIZE['d']} features \(axis -2\) but the codebook "
                                                         rf"has {SIZE['d'] - 1}"):
            fasttag.bag_of_frames(X, place(np.ascontiguousarray(centers[:, 1:])), device="cuda")
        with pytest.raises(fasttag.ParameterError, match=rf"X has {SIZE['d']} features but the centers have "
                                                         rf"{SIZE['d'] - 1}"):
            fc.nearest(X[0].T, place(np.ascontiguousarray(centers[:, 1:])))


def test_mixed_dtypes_compute_in_the_wider_one(rng, tol):
    """As on the CPU: float32 X with float64 centers finds the nearest centers in float64 (the
    centers were cast down to float32 before); bag_of_frames assigns in the wider one too, on both,
    and returns X's dtype. A GPU array is never cast, so a narrower one there is refused (the frames
    bag_of_frames gathers are a copy, made in the wider dtype)."""
    from numba import cuda

    centers = rng.standard_normal((SIZE["k"], SIZE["d"]))
    X, _ = frames_near(rng, centers, SIZE["n"])
    X32 = X.astype(np.float32)
    labels, distances = fc.nearest(X32, centers)
    expected_labels, expected_distances = _kmeans.nearest(X32.astype(np.float64), centers, 1)
    assert distances.dtype == np.float64
    np.testing.assert_array_equal(labels, expected_labels)
    tol.assert_close(distances, expected_distances, 10 * tol(np.float64).spec, "squared distances")
    tracks = np.ascontiguousarray(X32[: 2 * 7].reshape(2, 7, SIZE["d"]).transpose(0, 2, 1))
    got = fasttag.bag_of_frames(tracks, centers, device="cuda")
    assert got.dtype == np.float32
    tol.assert_close(got, fasttag.bag_of_frames(tracks, centers), tol(np.float32).spec, "bag of frames")
    on_gpu = fasttag.bag_of_frames(cuda.to_device(tracks), cuda.to_device(centers), device="cuda")  # was refused
    assert on_gpu.dtype == np.float32
    np.testing.assert_array_equal(on_gpu.copy_to_host(), got)
    tie = np.zeros((3, SIZE["d"]))
    tie[0, 0], tie[1, 0], tie[2] = 1 + 4e-8, 1.0, 5.0  # codewords 0 and 1: one point in float32, not in float64
    near_zero = (rng.standard_normal((1, SIZE["d"], 6)) * 1e-3).astype(np.float32)
    np.testing.assert_array_equal(fasttag.bag_of_frames(near_zero, tie, normalize=None, device="cuda"), [[0, 6, 0]])
    with pytest.raises(fasttag.ParameterError, match="X is float32 on the GPU but the centers are float64: nothing is "
                                                     "downcast"):
        fc.nearest(cuda.to_device(X32), centers)
    with pytest.raises(fasttag.ParameterError, match="the centers are float32 on the GPU but X is float64"):
        fasttag.bag_of_frames(tracks.astype(np.float64), cuda.to_device(centers.astype(np.float32)), device="cuda")


def test_transform_and_score_take_gpu_arrays(rng, tol):
    """They run on the CPU: a GPU X is copied to the host once (np.asarray of a GPU array fails on
    a GPU), with the same results as the numpy X."""
    from numba import cuda

    X = rng.standard_normal((SIZE["n"], SIZE["d"]))
    km = fasttag.KMeans(3, random_state=0, max_iter=3, device="cuda").fit(X)
    tol.assert_close(km.transform(cuda.to_device(X)), km.transform(X), 0.0, "distances")
    assert km.score(cuda.to_device(X)) == km.score(X)



def test_mini_batches_take_gpu_arrays(rng, tol):
    """Mini-batch fit and partial_fit run on the CPU: a GPU X is checked on the GPU and copied to the
    host once, with the same results as the numpy X."""
    from numba import cuda

    k = 4 if SIM else 64
    X = _blobs(rng, 40 if SIM else 5000, k, 5 if SIM else 90)
    fitted = [fasttag.KMeans(k, batch_size=16, random_state=1, device="cuda").fit(x) for x in (cuda.to_device(X), X)]
    np.testing.assert_array_equal(fitted[0].cluster_centers_, fitted[1].cluster_centers_)
    for km in fitted:
        km.partial_fit(cuda.to_device(X[:20]) if km is fitted[0] else X[:20])
    np.testing.assert_array_equal(fitted[0].cluster_centers_, fitted[1].cluster_centers_)
    bad = X.copy()
    bad[3, 1] = np.inf
    with pytest.raises(fasttag.ParameterError, match="X contains"):
        fitted[0].partial_fit(cuda.to_device(bad))
