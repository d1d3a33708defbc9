"""Principal component analysis of feature frames (scikit-learn's ``PCA`` interface)."""

from __future__ import annotations

import numpy as np

from . import _validate
from ._params import EstimatorParams
from .errors import NotFittedError, ParameterError

__all__ = ["PCA"]


class PCA(EstimatorParams):
    """Principal component analysis: the learned decorrelating basis of feature frames.

    The components are the eigenvectors of the frames' covariance, by decreasing variance.
    On log-mel frames of music the leading ones resemble the DCT-II basis, which is why
    MFCCs take the DCT of the log-mel (a fixed approximation of this learned basis).

    Parameters
    ----------
    n_components : int > 0 or None
        Components kept; None keeps ``min(n_samples, n_features)``.

    Attributes
    ----------
    components_ : np.ndarray [shape=(n_components, n_features)]
        Unit-norm principal axes; each one's largest-magnitude entry is positive.
    explained_variance_ : np.ndarray [shape=(n_components,)]
        Variance along each axis (ddof=1).
    explained_variance_ratio_ : np.ndarray [shape=(n_components,)]
        Share of the total variance along each axis.
    singular_values_ : np.ndarray [shape=(n_components,)]
        Singular values of the centred data.
    mean_ : np.ndarray [shape=(n_features,)]
    n_components_, n_features_in_, n_samples_ : int

    Notes
    -----
    Computed in float64 from the (n_features, n_features) covariance, so fitting is one pass
    over the frames (cheap for tens of thousands of frames of 20-256 features); results
    are returned in the input's float dtype. Components equal scikit-learn's up to sign.

    Examples
    --------
    >>> X = fasttag.logmel(y, sr=22050, n_mels=64)      # (64, n_frames)
    >>> pca = fasttag.PCA(20).fit(X.T)                   # frames are the samples
    >>> Z = pca.transform(X.T)                           # (n_frames, 20)
    """

    def __init__(self, n_components: int | None = None):
        if n_components is not None:
            n_components = _validate.positive_int(n_components, "n_components")
        self.n_components = n_components

    def _frames(self, X, name: str = "X") -> np.ndarray:
        X = _validate.float_array(X, name, min_ndim=2)
        if X.ndim != 2:
            raise ParameterError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
        return X

    def fit(self, X, y=None) -> PCA:
        """Fit the components on the rows of ``X`` [shape=(n_samples, n_features)]; returns self."""
        X = self._frames(X)
        n_samples, n_features = X.shape
        if n_samples < 2:
            raise ParameterError(f"X has {n_samples} sample(s); PCA needs at least 2")
        limit = min(n_samples, n_features)
        k = limit if self.n_components is None else self.n_components
        if k > limit:
            raise ParameterError(f"n_components={k} must be <= min(n_samples, n_features) = {limit}")
        mean = X.mean(axis=0, dtype=np.float64)
        centred = X.astype(np.float64) - mean
        scatter = centred.T @ centred
        eigenvalues, eigenvectors = np.linalg.eigh(scatter)
        order = np.argsort(eigenvalues)[::-1]
        eigenvalues = np.clip(eigenvalues[order], 0, None)
        components = eigenvectors[:, order].T
        # Deterministic signs: the largest-magnitude entry of each component is positive.
        signs = np.sign(components[np.arange(n_features), np.argmax(np.abs(components), axis=1)])
        components *= np.where(signs == 0, 1, signs)[:, None]
        variance = eigenvalues / (n_samples - 1)
        total = variance.sum()
        dtype = X.dtype
        self.mean_ = mean.astype(dtype)
        self.components_ = np.ascontiguousarray(components[:k], dtype=dtype)
        self.explained_variance_ = variance[:k].astype(dtype)
        self.explained_variance_ratio_ = (variance[:k] / total if total > 0 else np.zeros(k)).astype(dtype)
        self.singular_values_ = np.sqrt(eigenvalues[:k]).astype(dtype)
        self.n_components_ = k
        self.n_features_in_ = n_features
        self.n_samples_ = n_samples
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise NotFittedError("this PCA is not fitted yet: call fit(X) first")

    def transform(self, X) -> np.ndarray:
        """Project rows of ``X`` [shape=(n_samples, n_features)] -> [shape=(n_samples, n_components)]."""
        self._check_fitted()
        X = self._frames(X)
        if X.shape[1] != self.n_features_in_:
            raise ParameterError(f"X has {X.shape[1]} features, the PCA was fitted on {self.n_features_in_}")
        dtype = np.result_type(X.dtype, self.components_.dtype)
        return (X - self.mean_).astype(dtype, copy=False) @ self.components_.T.astype(dtype, copy=False)

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Map scores [shape=(n_samples, n_components)] back to feature space [shape=(n_samples, n_features)]."""
        self._check_fitted()
        Z = self._frames(Z, "Z")
        if Z.shape[1] != self.n_components_:
            raise ParameterError(f"Z has {Z.shape[1]} columns, expected n_components={self.n_components_}")
        return Z @ self.components_ + self.mean_

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components!r})"
