"""k-means: the C++ assignment against a float64 brute force, Lloyd iterations against
scikit-learn step by step, worker-count invariance, empty clusters, mini-batches, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning

import fasttag
from fasttag import KMeans, NotFittedError, ParameterError, _core

DTYPES = (np.float32, np.float64)


def _blobs(rng, n_per_blob: int, n_blobs: int, d: int, dtype=np.float32) -> np.ndarray:
    """Gaussian blobs around spread-out random means, shuffled: (n_per_blob * n_blobs, d)."""
    means = rng.standard_normal((n_blobs, d)) * 6
    X = np.concatenate([m + rng.standard_normal((n_per_blob, d)) * rng.uniform(0.5, 1.5) for m in means])
    return X[rng.permutation(len(X))].astype(dtype)


def _hard_data(rng, n: int, k: int, d: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Random points with duplicates and far outliers, and centroids with an exact duplicate."""
    X = rng.standard_normal((n, d))
    X[rng.integers(n, size=n // 5)] = X[rng.integers(n, size=n // 5)]  # duplicate points
    X[rng.integers(n, size=max(1, n // 20))] *= 1e3  # far outliers
    C = rng.standard_normal((k, d))
    if k > 2:
        C[-1] = C[k // 2]  # an exact duplicate centroid: the lower index must win
    return X.astype(dtype), C.astype(dtype)


def _brute_force(X, C) -> np.ndarray:
    """Squared distances (n, k) in float64, term by term."""
    diff = X.astype(np.float64)[:, None, :] - C.astype(np.float64)[None, :, :]
    return np.einsum("nkd,nkd->nk", diff, diff)


def _rounding_slack(X, C) -> np.ndarray:
    """Per row, how far a float32/64 evaluation of ||x||^2 - 2 x.c + ||c||^2 may be off."""
    eps = np.finfo(X.dtype).eps
    d = X.shape[1]
    x2 = np.sum(X.astype(np.float64) ** 2, axis=1)
    c2 = np.max(np.sum(C.astype(np.float64) ** 2, axis=1))
    return 4 * d * eps * (x2 + c2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "k", "d"), [(1, 1, 1), (5, 3, 2), (47, 17, 3), (48, 16, 90), (301, 33, 13),
                                           (200, 64, 90), (97, 5, 7)])
def test_assignment_is_the_float64_argmin(rng, dtype, n, k, d):
    X, C = _hard_data(rng, n, k, d, dtype)
    labels, distances = _core.kmeans_assign(X, C, 2)
    D = _brute_force(X, C)
    slack = _rounding_slack(X, C)
    best = D.min(axis=1)
    rows = np.arange(n)
    assert labels.dtype == np.int64 and distances.dtype == dtype
    assert np.all(D[rows, labels] <= best + slack), "a label is not (within rounding) a nearest centroid"
    gap = np.sort(D, axis=1)[:, 1] - best if k > 1 else np.full(n, np.inf)
    clear = gap > 2 * slack
    assert np.array_equal(labels[clear], D.argmin(axis=1)[clear])
    assert np.all(np.abs(distances - best) <= slack)
    if k > 2:
        assert not np.any(labels == k - 1), "the duplicate centroid with the higher index was chosen"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "k", "d"), [(1, 1, 1), (13, 35, 4), (50, 16, 90), (31, 7, 3)])
def test_distance_matrix_matches_float64(rng, dtype, n, k, d):
    X, C = _hard_data(rng, n, k, d, dtype)
    D = _core.kmeans_distances(X, C, 2)
    assert D.shape == (n, k) and D.dtype == dtype and np.all(D >= 0)
    assert np.all(np.abs(D - _brute_force(X, C)) <= _rounding_slack(X, C)[:, None])


@pytest.mark.parametrize("dtype", DTYPES)
def test_centroid_sums_match_numpy(rng, dtype):
    X = rng.standard_normal((500, 11)).astype(dtype)
    labels = rng.integers(0, 9, size=500)
    sums, counts = _core.kmeans_centroid_sums(X, labels, 10, 2)
    expected = np.zeros((10, 11))
    np.add.at(expected, labels, X.astype(np.float64))
    np.testing.assert_allclose(sums, expected, rtol=1e-12, atol=1e-12)
    assert np.array_equal(counts, np.bincount(labels, minlength=10))
    assert counts[9] == 0 and np.all(sums[9] == 0)


def _sklearn_lloyd(X, init, max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns when it stops at max_iter
        return SklearnKMeans(len(init), init=init, n_init=1, max_iter=max_iter, tol=0, algorithm="lloyd").fit(X)


def _fasttag_lloyd(X, init, max_iter):
    """fasttag's Lloyd from ``init``; a cluster left empty when max_iter stops it warns, as scikit-learn does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(len(init), init=init, max_iter=max_iter, tol=0).fit(X)


def _assert_same_labels_up_to_ties(X, centers, labels, expected):
    """Equal labels, except for points (nearly) equidistant from the two centers involved."""
    differ = np.flatnonzero(labels != expected)
    if differ.size:
        D = _brute_force(X[differ], centers)
        gap = np.abs(D[np.arange(differ.size), labels[differ]] - D[np.arange(differ.size), expected[differ]])
        assert np.all(gap <= _rounding_slack(X[differ], centers)), f"{differ.size} labels differ beyond a tie"
    assert differ.size <= max(1, len(X) // 1000)


@pytest.mark.parametrize("dtype", DTYPES)
def test_each_lloyd_iteration_matches_sklearn(rng, dtype):
    X = _blobs(rng, 150, 8, 5, dtype)
    init = X[rng.choice(len(X), 10, replace=False)]
    for max_iter in range(1, 8):
        ours = _fasttag_lloyd(X, init, max_iter)
        theirs = _sklearn_lloyd(X, init, max_iter)
        assert ours.n_iter_ == theirs.n_iter_
        _assert_same_labels_up_to_ties(X, ours.cluster_centers_, ours.labels_, theirs.labels_)
        assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-5)
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-5, atol=1e-5)


def test_float32_points_far_from_the_origin_are_clustered_as_in_float64(rng):
    # ||x||^2 - 2 x.c + ||c||^2 of float32 points around 3000 lost the digits of their spread: labels_ were not
    # the nearest centers, inertia_ was off by 4% and Lloyd never converged. scikit-learn centres X first.
    X = _blobs(rng, 200, 5, 10, np.float64) / 2 + rng.uniform(1e3, 3e3, 10)
    X = X.astype(np.float32)
    init = X[rng.choice(len(X), 5, replace=False)]
    ours = KMeans(5, init=init, max_iter=50, tol=0).fit(X)
    D = _brute_force(X, ours.cluster_centers_)
    assert np.array_equal(ours.labels_, D.argmin(axis=1))
    assert ours.inertia_ == pytest.approx(D.min(axis=1).sum(), rel=1e-5)
    theirs = _sklearn_lloyd(X, init, 50)
    assert ours.n_iter_ == theirs.n_iter_ < 50
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-6)


def _codebook_slack(X, C) -> np.ndarray:
    """`_rounding_slack` of the kernels' distances, which translate points and codebook by the codebook's mean."""
    mean = C.astype(np.float64).mean(axis=0)
    return _rounding_slack((X - mean).astype(X.dtype), (C - mean).astype(C.dtype))


def _fitted(centers: np.ndarray) -> KMeans:
    model = KMeans(len(centers))
    model.cluster_centers_, model.n_features_in_ = centers, centers.shape[1]
    return model


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("workers", [1, 2])
def test_points_far_from_the_origin_are_assigned_as_in_float64(far_codebook, dtype, workers):
    # The kernels computed ||x||^2 - 2 x.c + ||c||^2 on the points as given: in float32 near 3000, 8 of 10 labels were
    # not the nearest codeword and the distances were off by up to 13 (true ones near 0.002). They translate points
    # and codebook by the codebook's mean, and take the nearest codeword's distance from the differences.
    X, C = far_codebook(1000, 8, 16, dtype)
    D = _brute_force(X, C)
    labels, distances = _core.kmeans_assign(X, C, workers)
    np.testing.assert_array_equal(labels, D.argmin(axis=1))
    np.testing.assert_allclose(distances, D.min(axis=1), rtol=2 * np.finfo(dtype).eps)  # T's rounding of them
    squared = _core.kmeans_distances(X, C, workers)
    assert np.all(np.abs(squared - D) <= _codebook_slack(X, C)[:, None])


def test_predict_transform_score_far_from_the_origin_match_float64(far_codebook):
    from sklearn.metrics.pairwise import euclidean_distances

    X, C = far_codebook(500, 16, 20)
    D = _brute_force(X, C)
    model = _fitted(C)
    np.testing.assert_array_equal(model.predict(X), D.argmin(axis=1))
    assert model.score(X) == pytest.approx(-D.min(axis=1).sum(), rel=1e-6)
    T = model.transform(X)  # scikit-learn's distances of float32 points are computed in float64
    assert np.all(np.abs(T.astype(np.float64) ** 2 - D) <= _codebook_slack(X, C)[:, None])
    np.testing.assert_allclose(T, euclidean_distances(X, C), rtol=1e-3, atol=1e-3)


def test_bag_of_frames_far_from_the_origin_counts_the_nearest_codewords(far_codebook):
    frames, C = far_codebook(2 * 300, 12, 13)
    X = np.ascontiguousarray(frames.reshape(2, 300, 13).transpose(0, 2, 1))  # two tracks (2, d, n_frames)
    nearest = _brute_force(frames, C).argmin(axis=1).reshape(2, 300)
    counts = fasttag.bag_of_frames(X, C, normalize=None)
    np.testing.assert_array_equal(counts, [np.bincount(track, minlength=12) for track in nearest])


def test_minibatches_far_from_the_origin_match_float64(rng, far_codebook):
    X, C = far_codebook(400, 8, 10)
    mini = KMeans(8, init=C, batch_size=64, random_state=0).fit(X)
    D = _brute_force(X, mini.cluster_centers_)
    np.testing.assert_array_equal(mini.labels_, D.argmin(axis=1))
    assert mini.inertia_ == pytest.approx(D.min(axis=1).sum(), rel=1e-6)
    model = KMeans(8, init=C).fit(X)  # full batch: on X less its mean already
    fitted, sizes = model.cluster_centers_.copy(), np.bincount(model.labels_, minlength=8)
    batch = X[rng.choice(len(X), 100, replace=False)] + rng.standard_normal((100, 10)).astype(np.float32) * 0.01
    expected, _ = _running_means(fitted, sizes, batch)
    model.partial_fit(batch)
    assert model.inertia_ == pytest.approx(_brute_force(batch, fitted).min(axis=1).sum(), rel=1e-6)
    np.testing.assert_allclose(model.cluster_centers_, expected, rtol=0, atol=2e-3)


def test_codebooks_too_spread_out_to_translate_stay_where_they_are():
    # Rows and codewords pass the range check (squared norms <= max / 4), but translated by the codebook's mean
    # the dot products would overflow float32 (here -inf for codewords 6 and 7, and 6 chosen): the kernels keep
    # such codebooks where they are.
    a = np.sqrt(np.finfo(np.float32).max / 4 / 3) * 0.999
    u = np.ones(3)
    C = (np.array([1.0] * 6 + [-0.9, -1.0])[:, None] * a * u).astype(np.float32)
    X = C[[7, 0, 6]]
    for dtype in DTYPES:
        labels, distances = _core.kmeans_assign(X.astype(dtype), C.astype(dtype), 1)
        np.testing.assert_array_equal(labels, [7, 0, 6])
        np.testing.assert_array_equal(distances, 0)
    np.testing.assert_array_equal(_core.kmeans_distances(X, C, 1).argmin(axis=1), [7, 0, 6])


def test_empty_clusters_are_reseeded_like_sklearn(rng):
    X = _blobs(rng, 100, 4, 3, np.float64)
    init = np.concatenate([X[rng.choice(len(X), 5, replace=False)], np.full((2, 3), 1e3)])  # 2 centers far away
    for max_iter in (1, 2, 4):
        ours = _fasttag_lloyd(X, init, max_iter)
        theirs = _sklearn_lloyd(X, init, max_iter)
        assert np.all(np.isfinite(ours.cluster_centers_))
        assert np.all(np.abs(ours.cluster_centers_) < 100), "the far centers were not re-seeded"
        np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-9, atol=1e-9)
        assert np.array_equal(ours.labels_, theirs.labels_)
    assert np.array_equal(np.unique(ours.labels_), np.arange(7))


def test_empty_clusters_take_the_point_truly_farthest_from_its_center(rng):
    # Re-seeding chose the farthest points by the kernels' ||x||^2 - 2 x.c + ||c||^2, off by about eps ||x||^2:
    # a far-off singleton (distance 0 to its own center) looked farther than the pair's points, moved to the
    # empty cluster and left a duplicate center behind, every iteration: fewer clusters, inertia stuck at the
    # pair's. scikit-learn measures the differences.
    far = rng.standard_normal((40, 6)) * 3e3
    pair = rng.standard_normal(6) + np.array([[0.0] * 6, [2.0] + [0.0] * 5])
    X = np.concatenate([far, pair]).astype(np.float32)
    init = np.concatenate([far, pair.mean(axis=0, keepdims=True), np.full((1, 6), 1e4)]).astype(np.float32)
    ours = KMeans(len(X), init=init, max_iter=10).fit(X)  # pytest: a ConvergenceWarning fails it
    theirs = SklearnKMeans(len(X), init=init, n_init=1, max_iter=10).fit(X)
    assert len(np.unique(ours.labels_)) == len(np.unique(theirs.labels_)) == len(X)
    assert _brute_force(X, ours.cluster_centers_).min(axis=1).max() < 1e-6  # every point a center


def test_results_do_not_depend_on_workers(rng):
    X = _blobs(rng, 200, 6, 9, np.float32)
    C = X[rng.choice(len(X), 37, replace=False)]
    labels = _core.kmeans_assign(X, C, 1)[0]
    runs = {w: (_core.kmeans_assign(X, C, w), _core.kmeans_distances(X, C, w),
                _core.kmeans_centroid_sums(X, labels, 37, w)) for w in (1, 2, 3, 7)}
    for w in (2, 3, 7):
        for ours, reference in zip(runs[w], runs[1]):
            for a, b in zip(ours if isinstance(ours, tuple) else (ours,),
                            reference if isinstance(reference, tuple) else (reference,)):
                assert np.array_equal(a, b), f"workers={w} changed a result"
    fits = [KMeans(12, random_state=3, workers=w).fit(X) for w in (1, 2)]
    assert np.array_equal(fits[0].cluster_centers_, fits[1].cluster_centers_)
    assert np.array_equal(fits[0].labels_, fits[1].labels_)


def test_fit_is_deterministic_for_a_seed_and_finds_the_blobs(rng):
    X = _blobs(rng, 100, 6, 4, np.float64)
    a = KMeans(6, random_state=11).fit(X)
    b = KMeans(6, random_state=11).fit(X)
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_) and a.inertia_ == b.inertia_
    reference = SklearnKMeans(6, n_init=10, random_state=0).fit(X)
    best_of_5 = KMeans(6, n_init=5, random_state=11).fit(X)
    assert best_of_5.inertia_ <= reference.inertia_ * 1.01
    assert best_of_5.inertia_ <= a.inertia_


def test_predict_transform_score_agree(rng):
    X = _blobs(rng, 80, 5, 6, np.float32)
    km = KMeans(5, random_state=0).fit(X)
    new = rng.standard_normal((33, 6)).astype(np.float32) * 5
    T = km.transform(new)
    assert T.shape == (33, 5)
    np.testing.assert_allclose(T, np.sqrt(_brute_force(new, km.cluster_centers_)), rtol=1e-4, atol=1e-3)
    assert np.array_equal(km.predict(new), T.argmin(axis=1))
    assert km.score(new) == pytest.approx(-np.sum(np.min(T.astype(np.float64) ** 2, axis=1)), rel=1e-5)
    assert np.array_equal(km.predict(X), km.labels_)
    assert np.array_equal(KMeans(5, random_state=0).fit_predict(X), km.labels_)


def test_minibatch_fit_comes_close_to_lloyd_from_the_same_seeds(rng):
    X = _blobs(rng, 400, 8, 5, np.float32)
    init, _ = kmeans_plusplus(X, 8, random_state=int(rng.integers(2**31)))
    full = KMeans(8, init=init).fit(X)
    mini = KMeans(8, init=init, batch_size=256, random_state=1).fit(X)
    assert mini.labels_.shape == (len(X),)
    assert mini.inertia_ <= full.inertia_ * 1.02
    blocks = (X[i:i + 300] for i in range(0, len(X), 300))
    streamed = KMeans(8, init=init, batch_size=256).fit(blocks)
    assert streamed.labels_ is None and streamed.n_iter_ == 1
    assert -streamed.score(X) <= full.inertia_ * 1.05
    incremental = KMeans(8, init=init)
    for i in range(0, len(X), 400):
        incremental.partial_fit(X[i:i + 400])
    assert incremental.n_iter_ == 8
    assert -incremental.score(X) <= full.inertia_ * 1.05


def _running_means(centers, sizes, batch):
    """Each center moved to the mean of its old samples (``sizes`` of them) and the batch's rows
    nearest to it, in float64: one mini-batch step from a fitted codebook."""
    labels = _brute_force(batch, centers).argmin(axis=1)
    sums = np.zeros(centers.shape)
    np.add.at(sums, labels, batch.astype(np.float64))
    hits = np.bincount(labels, minlength=len(centers))
    return (sizes[:, None] * centers.astype(np.float64) + sums) / np.maximum(sizes + hits, 1)[:, None], hits


def test_partial_fit_goes_on_from_a_full_batch_fit(rng):
    X = _blobs(rng, 120, 6, 5, np.float64)
    km = KMeans(6, random_state=3).fit(X)
    fitted, sizes = km.cluster_centers_.copy(), np.bincount(km.labels_, minlength=6)
    batch = _blobs(rng, 15, 6, 5, np.float64)
    expected, _ = _running_means(fitted, sizes, batch)
    km.partial_fit(batch)
    np.testing.assert_allclose(km.cluster_centers_, expected, rtol=1e-12, atol=1e-12)
    assert km.n_iter_ >= 2 and km.labels_ is None


def test_partial_fit_goes_on_from_a_minibatch_fit(rng):
    # The centers the new batch does not reach keep the fitted values exactly (a fresh seeding
    # from the batch alone would move every one of them).
    X = _blobs(rng, 200, 8, 4, np.float32)
    km = KMeans(8, batch_size=128, random_state=2).fit(X)
    fitted = km.cluster_centers_.copy()
    batch = X[km.labels_ < 4][:60]
    _, hits = _running_means(fitted, np.ones(8), batch)
    km.partial_fit(batch)
    assert (hits == 0).any()
    np.testing.assert_array_equal(km.cluster_centers_[hits == 0], fitted[hits == 0])
    assert np.abs(km.cluster_centers_[hits > 0] - fitted[hits > 0]).max() < 0.1 * np.abs(fitted).max()


def test_float64_input_is_not_downcast_to_float32_centers(rng):
    X = _blobs(rng, 50, 4, 3, np.float32)
    km = KMeans(4, random_state=0).fit(X)
    # Two points 1e-4 apart on an offset of 1e4: equal in float32, distinct in float64.
    P = np.array([[1e4 + 1e-4, 0.0, 0.0], [1e4, 0.0, 0.0]])
    T = km.transform(P)
    assert T.dtype == np.float64
    expected = np.sqrt(((P[:, None, :] - km.cluster_centers_.astype(np.float64)[None]) ** 2).sum(axis=-1))
    np.testing.assert_allclose(T, expected, rtol=1e-12)
    assert not np.array_equal(T[0], T[1])
    assert km.score(P) == pytest.approx(-np.sum(expected.min(axis=1) ** 2), rel=1e-12)
    assert np.array_equal(km.predict(P), expected.argmin(axis=1))


def test_minibatch_fit_reads_rows_of_any_array_kind_as_one_array(rng):
    import torch

    X = _blobs(rng, 60, 4, 3, np.float64)
    expected = KMeans(4, batch_size=32, random_state=7).fit(X).cluster_centers_
    for same in (X.tolist(), torch.from_numpy(X), tuple(map(tuple, X))):
        np.testing.assert_array_equal(KMeans(4, batch_size=32, random_state=7).fit(same).cluster_centers_, expected)


def test_scikit_learn_clones_and_pipelines_take_kmeans(rng):
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = _blobs(rng, 60, 4, 3, np.float64)
    km = KMeans(4, init="random", tol=0, random_state=5)
    twin = clone(km)
    assert twin is not km and twin.get_params() == km.get_params()
    np.testing.assert_array_equal(twin.fit(X).cluster_centers_, km.fit(X).cluster_centers_)
    scaled = StandardScaler().fit_transform(X)
    pipeline = make_pipeline(StandardScaler(), KMeans(4, random_state=5)).fit(X)
    np.testing.assert_array_equal(pipeline.predict(X), KMeans(4, random_state=5).fit(scaled).predict(scaled))
    search = GridSearchCV(KMeans(random_state=5), {"n_clusters": [2, 4]}, cv=3).fit(X)
    assert search.best_params_ == {"n_clusters": 4}  # the score is minus the inertia
    assert km.set_params(n_clusters=3) is km and km.n_clusters == 3
    with pytest.raises(ParameterError, match="n_clusters=0 must be a positive integer"):
        km.set_params(n_clusters=0)
    with pytest.raises(ParameterError, match="no parameter\\(s\\) \\['n_cluster'\\]"):
        km.set_params(n_cluster=3)


def test_seedings_pick_distinct_samples(rng):
    X = _blobs(rng, 50, 4, 3, np.float64)
    for init in ("k-means++", "random"):
        centers = KMeans(20, init=init, max_iter=1, random_state=5)._seed(X, np.random.default_rng(5), 1)
        rows = {tuple(row) for row in X}
        assert all(tuple(c) in rows for c in centers) and len({tuple(c) for c in centers}) == 20


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda X: KMeans(0), "n_clusters=0"),
        (lambda X: KMeans(3, init="kmeans"), "init='kmeans'"),
        (lambda X: KMeans(3, init=X[:2]), "init has 2 centers"),
        (lambda X: KMeans(3, tol=-1.0), "tol=-1.0"),
        (lambda X: KMeans(3, batch_size=0), "batch_size=0"),
        (lambda X: KMeans(3, n_init=0), "n_init=0"),
        (lambda X: KMeans(3, random_state="seed"), "random_state='seed'"),
        (lambda X: KMeans(3, random_state=-1).fit(X), "random_state=-1 must be an integer in"),
        (lambda X: KMeans(50).fit(X[:10]), "n_clusters=50"),
        (lambda X: KMeans(3).fit(X[:, 0]), "X must have at least 2 dimension"),
        (lambda X: KMeans(3).fit(X[None]), "X must be 2-D"),
        (lambda X: KMeans(3).fit(X[:0]), "X is empty"),
        (lambda X: KMeans(3).fit(np.where(np.arange(X.size).reshape(X.shape) == 7, np.nan, X)), "NaN"),
        (lambda X: KMeans(3).fit(np.where(np.arange(X.size).reshape(X.shape) == 7, np.inf, X)), "infinite"),
        (lambda X: KMeans(3).fit(X).predict(X[:, :2]), "X has 2 features"),
        (lambda X: KMeans(3, batch_size=4).fit(iter([])), "empty iterable"),
        (lambda X: KMeans(3, batch_size=4).fit([X, X[:, :2]]), "block 1"),
        # blocks without batch_size were "dtype object" (a generator) and "must be 2-D, got shape (2, 40, 4)" (a list)
        (lambda X: KMeans(3).fit(b for b in [X, X]), "X is an iterable of blocks (generator"),
        (lambda X: KMeans(3).fit([X, X]), "fit reads only with batch_size= set (mini-batch k-means: KMeans(3, batch_"),
        (lambda X: KMeans(10, batch_size=4, init_size=5), "init_size=5 must be at least n_clusters=10"),
        (lambda X: KMeans(3).fit(X.astype(np.float32)).partial_fit(X), "X has dtype float64"),
    ],
)
def test_bad_input_raises_a_parameter_error(rng, make, fragment):
    X = rng.standard_normal((40, 4))
    with pytest.raises(ParameterError, match=fragment.replace("(", r"\(").replace("[", r"\[")):
        make(X)


def test_repr_shows_the_parameters_set_as_scikit_learn_does():
    """It showed n_init, max_iter and batch_size whatever they were, and hid random_state, tol and workers."""
    assert repr(KMeans(4, random_state=0, tol=1e-2, workers=2, init="random")) == \
        "KMeans(init='random', n_clusters=4, random_state=0, tol=0.01, workers=2)"
    assert repr(KMeans()) == "KMeans()"


def test_unfitted_model_raises_not_fitted():
    with pytest.raises(NotFittedError):
        KMeans(3).predict(np.ones((2, 2)))
    assert issubclass(NotFittedError, fasttag.FasttagError)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda X, C: _core.kmeans_assign(X[:, ::2], C[:, ::2]), "C-contiguous"),
        (lambda X, C: _core.kmeans_assign(X, C.astype(np.float64)), "dtype"),
        (lambda X, C: _core.kmeans_assign(X.astype(np.int32), C), "float32 or float64"),
        (lambda X, C: _core.kmeans_assign(X, np.ascontiguousarray(C[:, :3])), "features"),
        (lambda X, C: _core.kmeans_assign(X[:0], C), "must not be empty"),
        (lambda X, C: _core.kmeans_distances(X, C[:0]), "must not be empty"),
        (lambda X, C: _core.kmeans_assign(X, np.full_like(C, np.nan)), "centroids contains NaN"),
        (lambda X, C: _core.kmeans_centroid_sums(X, np.full(len(X), 5), 5), r"labels\[0\]=5"),
        (lambda X, C: _core.kmeans_centroid_sums(X, np.zeros(len(X), np.int32), 5), "int64"),
        (lambda X, C: _core.kmeans_centroid_sums(X, np.zeros(3, np.int64), 5), "entries"),
        (lambda X, C: _core.kmeans_assign(X, C, 0), "workers=0"),
    ],
)
def test_core_boundary_raises_value_error(rng, call, fragment):
    X = rng.standard_normal((20, 4)).astype(np.float32)
    C = rng.standard_normal((5, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=fragment):
        call(X, C)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_float32_features_too_large_for_their_distances_are_refused(rng, batch_size):
    # Rows of squared norm up to max/4 keep ||x||^2 - 2 x.c + ||c||^2 in float32 range; beyond
    # it the distances overflow to inf and every row went to centroid 0, with an inf inertia.
    limit = float(np.finfo(np.float32).max) / 4
    X = rng.standard_normal((60, 5)) + 4.0 * rng.integers(0, 3, (60, 1))  # three blobs
    X /= np.sqrt(np.einsum("ij,ij->i", X, X).max())  # largest row norm 1
    near = (X * np.sqrt(limit) * 0.999).astype(np.float32)
    model = KMeans(3, random_state=0, batch_size=batch_size).fit(near)
    assert np.isfinite(model.inertia_) and len(np.unique(model.labels_)) == 3
    wide = near.astype(np.float64)  # the float64 nearest centers of the same points and centers
    d2 = ((wide[:, None, :] - model.cluster_centers_.astype(np.float64)[None]) ** 2).sum(-1)
    np.testing.assert_array_equal(model.predict(near), d2.argmin(1))
    with pytest.raises(ParameterError, match=r"X has values too large for float32 distances .* or use float64"):
        KMeans(3, random_state=0, batch_size=batch_size).fit(near * np.float32(1.01))
    for call in (model.predict, model.transform, model.score):
        with pytest.raises(ParameterError, match=r"^X has values too large for float32 distances"):  # was x
            call(near * np.float32(1.01))
    assert np.isfinite(KMeans(3, random_state=0).fit(near.astype(np.float64) * 1e10).inertia_)  # float64 holds them


@pytest.mark.parametrize(("value", "message"), [(np.nan, "contains NaN or infinite values"),
                                                (1e19, "has values too large for float32 distances")])
def test_bad_points_and_centers_are_named_as_the_caller_gave_them(rng, value, message):
    # The C++ kernels' messages named x and centroids, which no caller gave.
    X = _blobs(rng, 40, 3, 4)
    bad = X.copy()
    bad[rng.integers(len(X)), rng.integers(4)] = value
    model = KMeans(3, random_state=0).fit(X)
    calls = [model.predict, model.transform, model.score, KMeans(3, random_state=0).fit(X).partial_fit,
             KMeans(3, random_state=0).partial_fit, KMeans(3, random_state=0).fit,
             KMeans(3, random_state=0, batch_size=16).fit]
    for call in calls:
        with pytest.raises(ParameterError, match=f"^X {message}"):
            call(bad)
    with pytest.raises(ParameterError, match=f"^block 1 {message}"):
        KMeans(3, random_state=0, batch_size=16).fit(iter([X, bad]))
    with pytest.raises(ParameterError, match=f"^init {message}"):
        KMeans(3, init=bad[np.abs(bad).max(axis=1).argmax() - np.arange(3)]).fit(X)
    model.cluster_centers_ = bad[np.abs(bad).max(axis=1).argmax() - np.arange(3)]  # set by hand
    with pytest.raises(ParameterError, match=f"^cluster_centers_ {message}"):
        model.predict(X)


def test_arrays_and_models_that_went_through_pickle_are_taken(rng):
    # An unpickled array (joblib.load, GridSearchCV(n_jobs>1), multiprocessing) has a dtype object
    # of its own, equal to float32/float64 but not the same object; the C++ boundary compared identity.
    import pickle

    X = rng.standard_normal((60, 4))
    for dtype in (np.float32, np.float64):
        data = X.astype(dtype)
        moved = pickle.loads(pickle.dumps(data))
        assert moved.dtype == data.dtype and moved.dtype is not data.dtype
        model = KMeans(3, random_state=0).fit(moved)
        np.testing.assert_array_equal(model.labels_, KMeans(3, random_state=0).fit(data).labels_)
        again = pickle.loads(pickle.dumps(model))
        again.partial_fit(moved)
        np.testing.assert_array_equal(again.predict(data), again.predict(moved))
        labels = pickle.loads(pickle.dumps(model.labels_))
        sums, counts = _core.kmeans_centroid_sums(moved, labels, 3)
        assert counts.sum() == len(X)


def test_scikit_learn_conventions_beyond_the_parameters(rng):
    import pickle

    from sklearn.base import is_clusterer
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    X = rng.standard_normal((40, 3))
    assert is_clusterer(KMeans(3))
    with pytest.raises(SklearnNotFittedError):
        KMeans(3).predict(X)
    model = KMeans(3, random_state=np.random.RandomState(0)).fit(X)  # scikit-learn's kind of random state
    assert model.cluster_centers_.shape == (3, 3)
    refused = KMeans(3, tol=1e-3)
    with pytest.raises(ParameterError, match="tol=-1"):
        refused.set_params(n_clusters=5, tol=-1)
    assert (refused.n_clusters, refused.tol) == (3, 1e-3)  # a refused set_params changes nothing
    duplicates = np.repeat(rng.standard_normal((2, 3)), 10, axis=0)
    with pytest.warns(ConvergenceWarning, match="found 2 distinct clusters, fewer than n_clusters=3"):
        KMeans(3, random_state=0).fit(duplicates)
    assert pickle.loads(pickle.dumps(model)).predict(X).tolist() == model.predict(X).tolist()


def test_unaligned_points_give_the_results_of_aligned_ones(rng):
    """X viewed one byte into a buffer (C-contiguous, unaligned) is copied before the C++ kernels read it."""
    X = rng.standard_normal((300, 5)).astype(np.float32)
    unaligned = np.frombuffer(bytearray(X.nbytes + 1), dtype=np.uint8)[1:].view(np.float32).reshape(X.shape)
    unaligned[...] = X
    assert not unaligned.flags.aligned
    km = fasttag.KMeans(8, random_state=0, max_iter=5).fit(X)
    np.testing.assert_array_equal(km.predict(unaligned), km.predict(X))
    np.testing.assert_array_equal(km.transform(unaligned), km.transform(X))
