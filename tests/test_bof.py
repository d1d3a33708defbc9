"""Bag of frames: histograms against a numpy reference built from float64 distances,
normalisations, soft assignment, batching, `BagOfFrames`, and bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fasttag import BagOfFrames, KMeans, NotFittedError, ParameterError, bag_of_frames


def _codebook(rng, k: int, d: int) -> np.ndarray:
    return (rng.standard_normal((k, d)) * 3).astype(np.float32)


def _tracks(rng, n_tracks: int, d: int, n_frames: int) -> np.ndarray:
    return rng.standard_normal((n_tracks, d, n_frames)).astype(np.float32) * 2


def _distances(track: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Squared distances (n_frames, k) of a track's frames, float64."""
    diff = track.T.astype(np.float64)[:, None, :] - centers.astype(np.float64)[None]
    return np.einsum("fkd,fkd->fk", diff, diff)


def _clear_frames(D: np.ndarray, margin: float = 1e-3) -> np.ndarray:
    """Frames whose nearest codeword is not (nearly) tied with the second nearest."""
    part = np.sort(D, axis=1)
    return part[:, 1] - part[:, 0] > margin * part[:, 1]


def test_hard_histograms_count_the_float64_nearest_codewords(rng):
    centers = _codebook(rng, 24, 13)
    tracks = _tracks(rng, 5, 13, 200)
    H = bag_of_frames(tracks, centers, normalize=None)
    assert H.shape == (5, 24) and H.dtype == np.float32
    for track, h in zip(tracks, H):
        D = _distances(track, centers)
        clear = _clear_frames(D)
        expected = np.bincount(D.argmin(axis=1)[clear], minlength=24)
        assert h.sum() == track.shape[1]
        assert np.all(np.abs(h - expected) <= (~clear).sum()), "counts differ beyond the tied frames"


@pytest.mark.parametrize("soft", [False, True])
def test_normalisations_and_power(rng, soft):
    centers = _codebook(rng, 16, 6)
    tracks = _tracks(rng, 4, 6, 90)
    counts = bag_of_frames(tracks, centers, normalize=None, soft=soft).astype(np.float64)
    assert np.allclose(counts.sum(axis=1), 90, rtol=1e-5)
    l1 = bag_of_frames(tracks, centers, soft=soft)
    np.testing.assert_allclose(l1, counts / counts.sum(axis=1, keepdims=True), rtol=1e-5)
    l2 = bag_of_frames(tracks, centers, normalize="l2", power=0.5, soft=soft)
    rooted = np.sqrt(counts)
    np.testing.assert_allclose(l2, rooted / np.linalg.norm(rooted, axis=1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_soft_assignment_matches_inverse_distance_reference(rng):
    centers = _codebook(rng, 20, 5)
    track = _tracks(rng, 1, 5, 60)[0]
    track[:, 7] = centers[3]  # a frame exactly on a codeword gives it the whole frame
    D = _distances(track, centers)
    expected = np.zeros(20)
    for row in D:
        nearest = np.argsort(row)[:4]
        reach = np.sqrt(row[nearest])
        weights = (reach == reach.min()).astype(float) if reach.min() <= 1e-6 else 1 / reach
        expected[nearest] += weights / weights.sum()
    got = bag_of_frames(track, centers, normalize=None, soft=True, top_k=4)
    np.testing.assert_allclose(got, expected, rtol=2e-3, atol=2e-3)
    assert np.array_equal(bag_of_frames(track, centers, normalize=None, soft=True, top_k=1),
                          bag_of_frames(track, centers, normalize=None))


def test_batches_of_any_shape_equal_track_by_track(rng):
    centers = _codebook(rng, 12, 7).astype(np.float64)
    X = rng.standard_normal((2, 3, 7, 41))
    H = bag_of_frames(X, centers, workers=2)
    assert H.shape == (2, 3, 12) and H.dtype == np.float64
    for i in np.ndindex(2, 3):
        np.testing.assert_array_equal(H[i], bag_of_frames(X[i], centers))


def test_bag_of_frames_accepts_a_fitted_kmeans(rng):
    frames = rng.standard_normal((500, 4)).astype(np.float32)
    km = KMeans(10, random_state=0).fit(frames)
    tracks = _tracks(rng, 3, 4, 50)
    np.testing.assert_array_equal(bag_of_frames(tracks, km), bag_of_frames(tracks, km.cluster_centers_))
    labels = km.predict(np.ascontiguousarray(tracks[0].T))
    assert np.array_equal(bag_of_frames(tracks[0], km, normalize=None), np.bincount(labels, minlength=10))


def test_bag_of_frames_model_fits_and_transforms_tracks_of_any_length(rng):
    tracks = [rng.standard_normal((9, int(n))).astype(np.float32) for n in rng.integers(30, 200, size=12)]
    bof = BagOfFrames(8, frames_per_track=25, random_state=4)
    H = bof.fit_transform(tracks)
    assert H.shape == (12, 8)
    np.testing.assert_allclose(H.sum(axis=1), 1, rtol=1e-5)
    assert bof.kmeans_.labels_.shape == (12 * 25,)  # 25 frames sampled from each track
    again = BagOfFrames(8, frames_per_track=25, random_state=4).fit(tracks)
    np.testing.assert_array_equal(again.kmeans_.cluster_centers_, bof.kmeans_.cluster_centers_)
    np.testing.assert_array_equal(again.transform(tracks), H)
    stacked = np.stack([t[:, :30] for t in tracks])
    np.testing.assert_array_equal(bof.transform(stacked), bof.transform(list(stacked)))
    for call in (bof.transform, BagOfFrames(8).fit):  # its rows were taken as tracks: "must have at least 2 dim"
        with pytest.raises(ParameterError, match=re.escape("tracks has shape (9, 50), one track: tracks is a list of "
                                                           "(n_features, n_frames) arrays or an array (n_tracks, "
                                                           "n_features, n_frames); wrap one track as [track]")):
            call(tracks[0][:, :50])
    bad = [*tracks[:5], tracks[5][:4], *tracks[6:]]  # their messages called any bad track X
    with pytest.raises(ParameterError, match=r"^tracks\[5\]: X has 4 features \(axis -2\) but the codebook has 9"):
        bof.transform(bad)


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda X, C: bag_of_frames(X[:, :4], C), ParameterError, "X has 4 features"),
        (lambda X, C: bag_of_frames(X, C, normalize="max"), ParameterError, "normalize='max'"),
        (lambda X, C: bag_of_frames(X, C, power=0), ParameterError, "power=0"),
        (lambda X, C: bag_of_frames(X, C, top_k=0), ParameterError, "top_k=0"),
        (lambda X, C: bag_of_frames(X[0, 0], C), ParameterError, "X must have at least 2"),
        (lambda X, C: bag_of_frames(X, C[0]), ParameterError, "kmeans must be a fitted KMeans"),
        (lambda X, C: bag_of_frames(np.where(X > 1.5, np.nan, X), C), ParameterError, "NaN"),
        (lambda X, C: bag_of_frames(X, KMeans(3)), NotFittedError, "not fitted"),
        (lambda X, C: BagOfFrames(3).fit([]), ParameterError, "tracks is empty"),
        (lambda X, C: BagOfFrames(3).fit([X[0], X[1, :4]]), ParameterError, "same number of features"),
        (lambda X, C: BagOfFrames(3, frames_per_track=0), ParameterError, "frames_per_track=0"),
        (lambda X, C: BagOfFrames(0), ParameterError, "n_clusters=0"),
        (lambda X, C: BagOfFrames(3).set_params(top_k=0), ParameterError, "top_k=0"),
        (lambda X, C: BagOfFrames(3).set_params(clusters=4), ParameterError, "no parameter"),
        (lambda X, C: BagOfFrames(3).transform(X), NotFittedError, "BagOfFrames is not fitted"),
    ],
)
def test_bad_input(rng, call, error, fragment):
    X = _tracks(rng, 2, 6, 20)
    C = _codebook(rng, 5, 6)
    with pytest.raises(error, match=fragment):
        call(X, C)


@pytest.mark.parametrize("soft", [False, True])
def test_bad_frames_and_codewords_are_named_as_the_caller_gave_them(rng, soft):
    # The C++ kernels' messages named x and centroids, which no caller gave.
    X = _tracks(rng, 2, 6, 20)
    C = _codebook(rng, 5, 6)
    kmeans = KMeans(5, random_state=0).fit(X.transpose(0, 2, 1).reshape(-1, 6))
    where = tuple(rng.integers(n) for n in X.shape)
    for value, message in [(np.inf, "contains NaN or infinite values"), (1e19, "has values too large for float32")]:
        bad = X.copy()
        bad[where] = value
        with pytest.raises(ParameterError, match=f"^X {message}"):
            bag_of_frames(bad, C, soft=soft)
        codebook = C.copy()
        codebook[where[1] % 5, where[1]] = value
        kmeans.cluster_centers_ = codebook
        for given in (codebook, kmeans):
            with pytest.raises(ParameterError, match=f"^kmeans {message}"):
                bag_of_frames(X, given, soft=soft)


def test_a_float64_codebook_is_not_downcast_for_float32_frames(rng):
    # As KMeans.predict, frames go to their nearest codeword in the wider dtype: codewords 0 and 1 are one
    # point in float32, so all frames went to codeword 0 when the codebook was cast to X's float32.
    codebook = np.concatenate([[[1 + 4e-8, 0, 0], [1, 0, 0]], 5 + rng.standard_normal((3, 3))])
    X = (rng.standard_normal((2, 3, 40)) * 1e-3).astype(np.float32)
    kmeans = KMeans(5, random_state=0).fit(rng.standard_normal((20, 3)))
    kmeans.cluster_centers_ = codebook
    expected = np.bincount(kmeans.predict(X.transpose(0, 2, 1).reshape(-1, 3)), minlength=5).reshape(1, 5)
    np.testing.assert_array_equal(expected, [[0, 80, 0, 0, 0]])
    for given in (codebook, kmeans):
        H = bag_of_frames(X, given, normalize=None)
        assert H.dtype == np.float32  # X's dtype
        np.testing.assert_array_equal(H, [[0, 40, 0, 0, 0]] * 2)
        np.testing.assert_array_equal(H, bag_of_frames(X.astype(np.float64), given, normalize=None))
        soft = bag_of_frames(X, given, soft=True, top_k=2)
        assert soft.dtype == np.float32
        np.testing.assert_allclose(soft, bag_of_frames(X.astype(np.float64), given, soft=True, top_k=2), rtol=1e-6)


@pytest.mark.parametrize("power", [1.5, 13.0, 1e300])
def test_a_power_above_1_is_refused(rng, power):
    # bag_of_frames(power=1e300) was NaN (the counts ** power overflowed), power=13 inf in float32 without normalize.
    X = _tracks(rng, 2, 6, 300)
    C = _codebook(rng, 5, 6)
    match = re.escape(f"power={power!r} must be in (0, 1]")
    for normalize in ("l1", "l2", None):
        with pytest.raises(ParameterError, match=match):
            bag_of_frames(X, C, normalize=normalize, power=power)
    with pytest.raises(ParameterError, match=match):
        BagOfFrames(3, power=power)
    counts = bag_of_frames(X, C, normalize=None).astype(np.float64)
    for power in (1, 1e-300):  # the edges of (0, 1]
        np.testing.assert_allclose(bag_of_frames(X, C, power=power), counts ** power / np.sum(counts ** power, axis=1,
                                                                                              keepdims=True), rtol=1e-6)


def test_scikit_learn_clones_and_grid_searches_a_bag_of_frames_pipeline(rng):
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline

    # Two kinds of tracks: frames around one of two sets of centers.
    centers = rng.standard_normal((2, 3, 5)) * 3
    y = np.arange(40) % 2
    tracks = np.stack([centers[c, rng.integers(0, 3, 60)].T + rng.standard_normal((5, 60)) for c in y])
    tracks = tracks.astype(np.float32)
    bof = BagOfFrames(4, frames_per_track=20, random_state=0)
    copy = clone(bof)
    assert copy.get_params() == bof.get_params() and not hasattr(copy, "kmeans_")
    np.testing.assert_array_equal(copy.fit(tracks).transform(tracks), bof.fit(tracks).transform(tracks))
    assert bof.set_params(n_clusters=6).fit(tracks).kmeans_.n_clusters == 6
    search = GridSearchCV(Pipeline([("bof", BagOfFrames(2, frames_per_track=20, random_state=0)),
                                    ("clf", LogisticRegression())]),
                          {"bof__n_clusters": [2, 6]}, cv=2)  # fmt: skip
    search.fit(tracks, y)
    assert search.best_params_["bof__n_clusters"] in (2, 6) and search.best_score_ > 0.9
    assert search.best_estimator_.named_steps["bof"].kmeans_.n_clusters == search.best_params_["bof__n_clusters"]
