"""fasttag.PCA against scikit-learn, and the study's point: on log-mel frames of music the
leading principal components resemble the DCT-II basis (the motivation for MFCC)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.fft
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
    X = logmel_frames(music, n_mels=n_mels, clips=6)
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
    "too many": (dict(n_components=5), np.ones((3, 4)), "n_components=5 must be <= min(n_samples, n_features) = 3"),
    "1-D": ({}, np.ones(5), "X must have at least 2 dimension"),
    "3-D": ({}, np.ones((2, 3, 4)), "X must be 2-D"),
    "one sample": ({}, np.ones((1, 4)), "PCA needs at least 2"),
    "nan": ({}, np.array([[1.0, np.nan], [0.0, 1.0]]), "X contains NaN"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input(case):
    kwargs, X, message = BAD[case]
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
    assert clone(fasttag.PCA(3)).get_params() == {"n_components": 3}
    got = make_pipeline(StandardScaler(), fasttag.PCA(2)).fit(X).transform(X)
    expected = fasttag.PCA(2).fit(StandardScaler().fit_transform(X)).transform(StandardScaler().fit_transform(X))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    with pytest.raises(fasttag.ParameterError, match="n_components=0"):
        fasttag.PCA(3).set_params(n_components=0)
