"""fasttag.PCA against scikit-learn, and the study's point: on log-mel frames of music the
leading principal components resemble the DCT-II basis (the motivation for MFCC)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.fft
import scipy.sparse
import scipy.stats
from sklearn.decomposition import PCA as SklearnPCA

import fasttag
from fasttag import ParameterError


def logmel_frames(music, n_mels: int = 40, clips: int = 4) -> np.ndarray:
    """(n_frames, n_mels) log-mel frames of several music-like clips."""
    X = fasttag.logmel(music(3 * 22050, shape=(clips,)), sr=22050, n_mels=n_mels, hop_length=256)
    return np.concatenate(list(X), axis=-1).T


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_components", [1, 5, None])
def test_pca_matches_sklearn(music, dtype, n_components):
    X = logmel_frames(music).astype(dtype)
    ours = fasttag.PCA(n_components).fit(X)
    ref = SklearnPCA(n_components).fit(X.astype(np.float64))
    k = ref.n_components_
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    assert ours.components_.shape == (k, X.shape[1]) and ours.components_.dtype == dtype
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=rtol, atol=1e-9)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=rtol)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=rtol)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=rtol)
    # Components agree up to sign where the variances are distinct (the leading ones here).
    lead = min(k, 5)
    alignment = np.abs(np.sum(ours.components_[:lead] * ref.components_[:lead], axis=1))
    np.testing.assert_allclose(alignment, 1.0, atol=1e-3 if dtype == np.float32 else 1e-8)
    signs = np.sign(np.sum(ours.components_[:lead] * ref.components_[:lead], axis=1))
    Z = ours.transform(X)[:, :lead]
    np.testing.assert_allclose(Z * signs, ref.transform(X)[:, :lead], rtol=0,
                               atol=(1e-3 if dtype == np.float32 else 1e-8) * np.abs(Z).max())


def test_transform_and_inverse(rng):
    X = rng.standard_normal((200, 12)) @ rng.standard_normal((12, 12))
    pca = fasttag.PCA().fit(X)
    np.testing.assert_allclose(pca.inverse_transform(pca.transform(X)), X, atol=1e-10)
    Z = fasttag.PCA(3).fit_transform(X)
    assert Z.shape == (200, 3)
    cov = np.cov(Z.T)
    np.testing.assert_allclose(cov - np.diag(np.diag(cov)), 0, atol=1e-9)  # decorrelated
    assert np.all(np.diff(np.diag(cov)) <= 0)  # by decreasing variance
    comps = pca.components_
    np.testing.assert_allclose(comps @ comps.T, np.eye(12), atol=1e-12)
    assert np.all(comps[np.arange(12), np.argmax(np.abs(comps), axis=1)] > 0)  # sign convention


def test_leading_components_of_logmel_resemble_the_dct(music):
    n_mels = 40
    X = logmel_frames(music, n_mels=n_mels, clips=24)  # with 6, component 1's tilt fell to 0.68 for some seeds
    pca = fasttag.PCA(6).fit(X)
    dct = scipy.fft.dct(np.eye(n_mels), type=2, norm="ortho", axis=0)  # rows: DCT-II basis vectors
    corr = np.abs(pca.components_.astype(np.float64) @ dct.T)  # |cosine| between unit vectors
    print("explained variance ratio:", np.round(pca.explained_variance_ratio_, 3))
    print("|correlation| of PCA component k with DCT-II basis vector k:", np.round(np.diag(corr[:, :6]), 3))
    print("best-matching DCT index per component:", corr.argmax(axis=1), "at", np.round(corr.max(axis=1), 3))
    chance = 3 / np.sqrt(n_mels)  # a random unit vector's |cosine| with a fixed one is about 1/sqrt(n)
    assert corr[0, 0] >= 0.95, "component 0 should be the overall level (DCT 0: constant)"
    assert corr[1, 1] >= 0.75, "component 1 should be the spectral tilt (DCT 1: half a cosine)"
    assert corr[0, 0] > chance and corr[1, 1] > chance
    assert pca.explained_variance_ratio_[0] > 0.3


BAD = {
    "n_components 0": (dict(n_components=0), None, "n_components=0 must be a positive integer"),
    "n_components 1.0": (dict(n_components=1.0), None, "n_components=1.0 must be a positive integer, a float in (0, 1)"),
    "n_components nan": (dict(n_components=np.nan), None, "n_components=nan must be a positive integer, a float"),
    "n_components True": (dict(n_components=True), None, "n_components=True must be a positive integer"),
    "whiten": (dict(whiten="yes"), None, "whiten='yes' must be True or False"),
    "sparse": ({}, "sparse", "X is a scipy sparse csr matrix; fasttag takes dense arrays: give X.toarray()"),
    "too many": (dict(n_components=5), np.ones((3, 4)), "n_components=5 must be <= min(n_samples, n_features) = 3"),
    "1-D": ({}, np.ones(5), "X must have at least 2 dimension"),
    "3-D": ({}, np.ones((2, 3, 4)), "X must be 2-D"),
    "one sample": ({}, np.ones((1, 4)), "PCA needs at least 2"),
    "nan": ({}, np.array([[1.0, np.nan], [0.0, 1.0]]), "X contains NaN"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(case):
    kwargs, X, message = BAD[case]
    if isinstance(X, str):
        X = scipy.sparse.random(20, 5, density=0.5, format="csr", random_state=0)
    with pytest.raises(ParameterError, match=re.escape(message)):
        fasttag.PCA(**kwargs).fit(X)


def test_use_before_fit_and_wrong_width():
    with pytest.raises(fasttag.NotFittedError, match="not fitted"):
        fasttag.PCA(2).transform(np.ones((3, 3)))
    pca = fasttag.PCA(2).fit(np.random.default_rng(0).standard_normal((10, 4)))
    with pytest.raises(ParameterError, match="X has 3 features, the PCA was fitted on 4"):
        pca.transform(np.ones((5, 3)))


def test_scikit_learn_clones_and_pipelines_take_pca(rng):
    from sklearn.base import clone
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = rng.standard_normal((200, 6)) @ rng.standard_normal((6, 6))
    assert clone(fasttag.PCA(3, whiten=True)).get_params() == {"n_components": 3, "whiten": True}
    got = make_pipeline(StandardScaler(), fasttag.PCA(2)).fit(X).transform(X)
    expected = fasttag.PCA(2).fit(StandardScaler().fit_transform(X)).transform(StandardScaler().fit_transform(X))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(fasttag.ParameterError, match="n_components=0"):
        fasttag.PCA(3).set_params(n_components=0)


def correlated(rng, n_samples: int, n_features: int, dtype=np.float64) -> np.ndarray:
    """Gaussian rows with a random covariance whose axis scales fall from 1 to 0.01, plus an offset."""
    axes, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    scales = np.geomspace(1, 0.01, n_features) * rng.uniform(0.8, 1.2, n_features)
    return (rng.standard_normal((n_samples, n_features)) * scales @ axes.T + rng.standard_normal(n_features)).astype(
        dtype)


@pytest.mark.parametrize("share", [0.5, 0.9, 0.99])
def test_a_float_n_components_keeps_the_variance_share_as_scikit_learn(rng, share):
    X = correlated(rng, 300, 16)
    ours, ref = fasttag.PCA(share).fit(X), SklearnPCA(share, svd_solver="full").fit(X)
    assert ours.n_components_ == ref.n_components_ < 16
    assert ours.explained_variance_ratio_.sum() > share >= ours.explained_variance_ratio_[:-1].sum()
    np.testing.assert_allclose(ours.noise_variance_, ref.noise_variance_, rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whitening_matches_scikit_learn_and_inverts(rng, dtype):
    X = correlated(rng, 400, 10, dtype)
    ours = fasttag.PCA(6, whiten=True).fit(X)
    ref = SklearnPCA(6, whiten=True, svd_solver="full").fit(X.astype(np.float64))
    Z = ours.transform(X)
    assert Z.dtype == dtype
    signs = np.sign(np.sum(ours.components_ * ref.components_, axis=1))
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(Z * signs, ref.transform(X), rtol=0, atol=rtol * np.abs(Z).max())
    np.testing.assert_allclose(np.var(Z, axis=0, ddof=1), 1, rtol=rtol)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(ref.transform(X)), rtol=0,
                               atol=rtol * np.abs(X).max())


@pytest.mark.parametrize(("dtype", "scale"), [(np.float32, 1e-8), (np.float32, 1e8), (np.float64, 1e-17)])
def test_whitened_scores_do_not_depend_on_the_scale_of_x(rng, dtype, scale):
    # Whitening clipped the deviations at eps of the dtype, not eps of the largest: every axis of float32
    # data of spread 1e-8 was divided by 1.2e-7, so the scores came out with variance 0.01, not 1.
    X = correlated(rng, 300, 8, np.float64)
    Z = fasttag.PCA(5, whiten=True).fit_transform(X.astype(dtype))
    scaled = (X * scale).astype(dtype)
    pca = fasttag.PCA(5, whiten=True).fit(scaled)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(pca.transform(scaled), Z, rtol=0, atol=rtol * np.abs(Z).max())
    ref = SklearnPCA(5, whiten=True, svd_solver="full").fit(X)  # at unit scale: its clip is absolute too
    signs = np.sign(np.sum(pca.components_ * ref.components_, axis=1))
    np.testing.assert_allclose(pca.transform(scaled) * signs, ref.transform(X), rtol=0, atol=rtol * np.abs(Z).max())
    back = pca.inverse_transform(pca.transform(scaled)) / scale
    np.testing.assert_allclose(back, ref.inverse_transform(ref.transform(X)), rtol=0, atol=rtol * np.abs(X).max())


@pytest.mark.parametrize(("scale", "fix"), [(1e20, "down"), (1e-25, "up")])
def test_float32_data_whose_variance_passes_float32s_range_is_refused(rng, scale, fix):
    # The float64 variances were cast to float32 as inf (with numpy's overflow warning) for values above ~1e19,
    # and as 0 below ~1e-19 (whitening then divided by the smallest float32).
    X = correlated(rng, 50, 4, np.float64) * scale
    with pytest.raises(ParameterError, match=f"X holds values up to .*: its variance .* is past float32's range; "
                                             f"scale X {fix} or give float64"):
        fasttag.PCA(2).fit(X.astype(np.float32))
    ours, ref = fasttag.PCA(2).fit(X), SklearnPCA(2, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_components", [3, 0.95])
def test_the_probabilistic_model_matches_scikit_learn(rng, dtype, n_components):
    X, held_out = correlated(rng, 500, 12, dtype), correlated(rng, 50, 12, dtype)
    ours, ref = fasttag.PCA(n_components).fit(X), SklearnPCA(n_components, svd_solver="full").fit(X.astype(np.float64))
    rtol = 1e-4 if dtype == np.float32 else 1e-8
    assert 0 < ours.noise_variance_ == pytest.approx(ref.noise_variance_, rel=rtol)
    np.testing.assert_allclose(ours.get_covariance(), ref.get_covariance(), rtol=rtol, atol=rtol * 1e-2)
    np.testing.assert_allclose(ours.get_precision(), ref.get_precision(), rtol=rtol, atol=rtol * 1e2)
    np.testing.assert_allclose(ours.get_covariance() @ ours.get_precision(), np.eye(12), atol=rtol * 1e-1)
    np.testing.assert_allclose(ours.score_samples(held_out), ref.score_samples(held_out.astype(np.float64)),
                               rtol=rtol)
    assert ours.score(held_out) == pytest.approx(ref.score(held_out.astype(np.float64)), rel=rtol)
    whitened = fasttag.PCA(n_components, whiten=True).fit(X)  # the same model: whitening only scales the scores
    np.testing.assert_allclose(whitened.score_samples(held_out), ours.score_samples(held_out), rtol=1e-12)


def test_likelihood_of_points_near_the_kept_axes_keeps_its_digits(rng):
    # The distance outside the kept axes was ||x||^2 - ||scores||^2: for rows of norm 1e3 against a noise variance
    # of 1e-12 it cancelled to rounding (log-likelihoods off by hundreds; scikit-learn's precision matrix kept them).
    d, k = 8, 3
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = (rng.standard_normal((500, k)) * 1e3) @ basis[:, :k].T + rng.standard_normal((500, d)) * 1e-6
    pca = fasttag.PCA(k).fit(X)
    left_out = np.linalg.qr(pca.components_.T, mode="complete")[0][:, k]
    Z = rng.standard_normal((20, k)) * 1e3
    steps = rng.uniform(1, 3, 20) * np.sqrt(pca.noise_variance_)
    rows = pca.mean_ + Z @ pca.components_ + steps[:, None] * left_out
    ev, noise = pca.explained_variance_, pca.noise_variance_
    expected = -0.5 * (np.sum(Z**2 / ev, axis=1) + steps**2 / noise + d * np.log(2 * np.pi) + np.sum(np.log(ev))
                       + (d - k) * np.log(noise))
    np.testing.assert_allclose(pca.score_samples(rows), expected, rtol=1e-7)


def test_with_every_component_the_model_covariance_is_the_sample_covariance(rng):
    X = correlated(rng, 200, 8)
    pca = fasttag.PCA().fit(X)
    assert pca.noise_variance_ == 0
    np.testing.assert_allclose(pca.get_covariance(), np.cov(X.T), rtol=1e-9, atol=1e-14)
    expected = scipy.stats.multivariate_normal(X.mean(axis=0), np.cov(X.T)).logpdf(X[:20])
    np.testing.assert_allclose(pca.score_samples(X[:20]), expected, rtol=1e-9)


def test_a_model_without_noise_in_a_subspace_has_no_likelihood(rng):
    pca = fasttag.PCA().fit(correlated(rng, 5, 20))  # 5 samples span 4 dimensions of 20
    with pytest.raises(ParameterError, match="covariance is singular"):
        pca.score(correlated(rng, 5, 20))


def test_fewer_samples_than_features_match_scikit_learn_to_double_precision(rng):
    """The SVD path: axes whose singular value is 1e-7 of the largest keep their digits (not so the covariance's)."""
    n_samples, n_features = 12, 300
    left, _ = np.linalg.qr(rng.standard_normal((n_samples, n_samples)))
    left -= left.mean(axis=0)  # centred columns, so the singular values below are those of the centred data
    right, _ = np.linalg.qr(rng.standard_normal((n_features, n_samples)))
    X = (left * np.geomspace(1, 1e-8, n_samples)) @ right.T + rng.standard_normal(n_features)
    ours, ref = fasttag.PCA(n_samples - 2).fit(X), SklearnPCA(n_samples - 2, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-9)
    alignment = np.abs(np.sum(ours.components_ * ref.components_, axis=1))
    np.testing.assert_allclose(alignment, 1, atol=1e-9)


def test_grid_search_picks_n_components_by_likelihood_as_for_scikit_learn(rng):
    from sklearn.model_selection import GridSearchCV

    X = correlated(rng, 300, 10) + 0.05 * rng.standard_normal((300, 10))
    grid = {"n_components": [1, 3, 5, 8]}
    ours = GridSearchCV(fasttag.PCA(), grid, cv=3).fit(X)
    ref = GridSearchCV(SklearnPCA(svd_solver="full"), grid, cv=3).fit(X)
    assert ours.best_params_ == ref.best_params_
    np.testing.assert_allclose(ours.cv_results_["mean_test_score"], ref.cv_results_["mean_test_score"], rtol=1e-8)


def test_feature_names_out_as_scikit_learn(rng):
    X = correlated(rng, 50, 6)
    assert list(fasttag.PCA(3).fit(X).get_feature_names_out()) == ["pca0", "pca1", "pca2"]
    assert list(fasttag.PCA(0.9).fit(X).get_feature_names_out()) == list(
        SklearnPCA(0.9, svd_solver="full").fit(X).get_feature_names_out())


@pytest.mark.parametrize("scale", [1e140, 1e-140])
def test_data_near_float64s_limits_gives_the_axes_of_the_scaled_data(rng, scale):
    """x.T x overflowed past |x| ~ 1e154 (NaN variances, swapped axes) and underflows below ~1e-154."""
    X = rng.standard_normal((200, 6)) * rng.uniform(0.5, 3.0, 6)
    big, unit = fasttag.PCA().fit(X * scale), fasttag.PCA().fit(X)
    np.testing.assert_allclose(big.components_, unit.components_, atol=1e-12)
    np.testing.assert_allclose(big.explained_variance_ / scale**2, unit.explained_variance_, rtol=1e-12)
    np.testing.assert_allclose(big.explained_variance_ratio_, unit.explained_variance_ratio_, rtol=1e-12)
    with pytest.raises(ParameterError, match="X holds values up to .*: its variance is past float64's range"):
        fasttag.PCA().fit(X * 1e160)
    # the variance of data of 1e-170 and below underflowed to 0: a ratio of 0 on every axis, with no error
    with pytest.raises(ParameterError, match="its variance is past float64's range; scale X up"):
        fasttag.PCA().fit(X * 1e-170)


def test_repr_shows_the_parameters_set_as_scikit_learn_does():
    """It showed n_components whatever it was: PCA() printed as PCA(n_components=None)."""
    assert repr(fasttag.PCA()) == repr(SklearnPCA()) == "PCA()"
    assert repr(fasttag.PCA(20)) == "PCA(n_components=20)"
    assert repr(fasttag.PCA(whiten=True)) == "PCA(whiten=True)"
    assert repr(fasttag.PCA(0.9, whiten=True)) == "PCA(n_components=0.9, whiten=True)"
