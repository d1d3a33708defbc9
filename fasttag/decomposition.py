"""Principal component analysis of feature frames (scikit-learn's ``PCA`` interface)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from . import _validate
from ._params import EstimatorParams
from .errors import NotFittedError, ParameterError

__all__ = ["PCA"]


class PCA(ClassNamePrefixFeaturesOutMixin, TransformerMixin, EstimatorParams):
    """Principal component analysis: the learned decorrelating basis of feature frames.

    The components are the eigenvectors of the frames' covariance, by decreasing variance.
    On log-mel frames of music the leading ones resemble the DCT-II basis, which is why
    MFCCs take the DCT of the log-mel (a fixed approximation of this learned basis).

    Parameters
    ----------
    n_components : int > 0, float in (0, 1) or None
        Components kept; a float keeps the fewest whose variances sum to more than that share
        of the total (as scikit-learn); None keeps ``min(n_samples, n_features)``.
    whiten : bool
        Scale the scores to unit variance: ``transform`` divides each by the square root of
        its ``explained_variance_`` (scikit-learn's whitening; ``inverse_transform`` undoes it).

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
    noise_variance_ : float
        Mean variance along the axes left out (0 when none is): the isotropic noise of
        probabilistic PCA, used by ``score`` and ``get_covariance``.
    mean_ : np.ndarray [shape=(n_features,)]
    n_components_, n_features_in_, n_samples_ : int

    Notes
    -----
    Computed in float64 and returned in the input's float dtype. With at least as many
    samples as features (frames of 20-256 features), from the (n_features, n_features)
    covariance: one pass over the frames, but the condition number is squared, so an axis
    whose singular value is below about 1e-6 of the largest loses digits (scikit-learn's
    SVD keeps them). With fewer samples than features, from the SVD of the centred data.
    Components equal scikit-learn's up to sign where the variances are distinct.

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=22050)
    >>> X = fasttag.logmel(y, sr=22050, n_mels=64)      # (64, n_frames)
    >>> pca = fasttag.PCA(20).fit(X.T)                   # frames are the samples
    >>> Z = pca.transform(X.T)                           # (n_frames, 20)
    >>> X.shape, Z.shape
    ((64, 130), (130, 20))
    """

    def __init__(self, n_components: int | float | None = None, *, whiten: bool = False):
        if isinstance(n_components, (float, np.floating)):
            if not 0 < n_components < 1:
                raise ParameterError(f"n_components={n_components!r} must be a positive integer, a float in (0, 1) "
                                     "(a share of the variance) or None")
            n_components = float(n_components)
        elif n_components is not None:
            n_components = _validate.positive_int(n_components, "n_components")
        if not isinstance(whiten, (bool, np.bool_)):
            raise ParameterError(f"whiten={whiten!r} must be True or False")
        self.n_components = n_components
        self.whiten = bool(whiten)

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
        if isinstance(self.n_components, int) and self.n_components > limit:
            raise ParameterError(f"n_components={self.n_components} must be <= min(n_samples, n_features) = {limit}")
        mean = X.mean(axis=0, dtype=np.float64)
        squares, components = _principal_axes(X.astype(np.float64) - mean)
        variance = squares / (n_samples - 1)
        total = variance.sum()
        ratio = variance / total if total > 0 else np.zeros_like(variance)
        k = self._kept(ratio)
        dtype = X.dtype
        _check_variance_range(variance, dtype, X)
        self.mean_ = mean.astype(dtype)
        self.components_ = np.ascontiguousarray(components[:k], dtype=dtype)
        self.explained_variance_ = variance[:k].astype(dtype)
        self.explained_variance_ratio_ = ratio[:k].astype(dtype)
        self.singular_values_ = np.sqrt(squares[:k]).astype(dtype)
        self.noise_variance_ = float(variance[k:].mean()) if k < limit else 0.0
        self.n_components_ = k
        self.n_features_in_ = n_features
        self.n_samples_ = n_samples
        return self

    def _kept(self, ratio: np.ndarray) -> int:
        """How many of the axes (by decreasing variance share ``ratio``) n_components keeps."""
        if self.n_components is None:
            return ratio.size
        if isinstance(self.n_components, float):
            return min(int(np.searchsorted(np.cumsum(ratio), self.n_components, side="right")) + 1, ratio.size)
        return self.n_components

    def _check_fitted(self) -> None:
        if not hasattr(self, "components_"):
            raise NotFittedError("this PCA is not fitted yet: call fit(X) first")

    def _centred(self, X) -> np.ndarray:
        """Rows of ``X`` minus ``mean_``, in the wider of X's and the fit's dtypes."""
        self._check_fitted()
        X = self._frames(X)
        if X.shape[1] != self.n_features_in_:
            raise ParameterError(f"X has {X.shape[1]} features, the PCA was fitted on {self.n_features_in_}")
        return (X - self.mean_).astype(np.result_type(X.dtype, self.components_.dtype), copy=False)

    def _scales(self) -> np.ndarray:
        """What whitening divides each score by: the axes' standard deviations, at least eps times the largest
        (relative, so that scaling X leaves the whitened scores as they are; float32 data of spread 1e-8 had every
        axis clipped to eps)."""
        deviations = np.sqrt(self.explained_variance_)
        info = np.finfo(deviations.dtype)
        return np.maximum(deviations, max(info.eps * deviations.max(), info.tiny))

    def transform(self, X) -> np.ndarray:
        """Project rows of ``X`` [shape=(n_samples, n_features)] -> [shape=(n_samples, n_components)]."""
        centred = self._centred(X)
        Z = centred @ self.components_.T.astype(centred.dtype, copy=False)
        return Z / self._scales().astype(Z.dtype, copy=False) if self.whiten else Z

    def fit_transform(self, X, y=None) -> np.ndarray:
        """``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        """Map scores [shape=(n_samples, n_components)] back to feature space [shape=(n_samples, n_features)]."""
        self._check_fitted()
        Z = self._frames(Z, "Z")
        if Z.shape[1] != self.n_components_:
            raise ParameterError(f"Z has {Z.shape[1]} columns, expected n_components={self.n_components_}")
        if self.whiten:
            Z = Z * self._scales()
        return Z @ self.components_ + self.mean_

    @property
    def _n_features_out(self) -> int:
        """Output width, for ``get_feature_names_out`` (pca0, pca1, ...)."""
        return self.n_components_

    def _model_spectrum(self) -> tuple[np.ndarray, np.ndarray, float]:
        """Probabilistic PCA's covariance model: the kept axes (k, n_features) and their variances
        (at least the noise), in float64, and the noise variance along every other direction."""
        self._check_fitted()
        noise = self.noise_variance_
        return self.components_.astype(np.float64), np.maximum(self.explained_variance_.astype(np.float64), noise), noise

    def get_covariance(self) -> np.ndarray:
        """The model's covariance of the data [shape=(n_features, n_features)], float64:
        ``components_.T @ diag(explained_variance_ - noise_variance_) @ components_ + noise_variance_ I``
        (scikit-learn's, for ``whiten=False``; whitening does not change the model here)."""
        axes, variances, noise = self._model_spectrum()
        covariance = (axes.T * (variances - noise)) @ axes
        covariance.flat[:: self.n_features_in_ + 1] += noise
        return covariance

    def _singular_model(self) -> ParameterError | None:
        """Why the model's covariance has no inverse, or None."""
        axes, variances, noise = self._model_spectrum()
        if np.all(variances > 0) and (noise > 0 or axes.shape[0] == self.n_features_in_):
            return None
        return ParameterError("the fitted model's covariance is singular (a variance of 0: the data lie in a "
                              "subspace), so it has no precision or likelihood; keep fewer components")

    def get_precision(self) -> np.ndarray:
        """The inverse of `get_covariance` [shape=(n_features, n_features)], float64."""
        if (error := self._singular_model()) is not None:
            raise error
        axes, variances, noise = self._model_spectrum()
        rest = 1 / noise if noise > 0 else 0.0
        precision = (axes.T * (1 / variances - rest)) @ axes
        precision.flat[:: self.n_features_in_ + 1] += rest
        return precision

    def score_samples(self, X) -> np.ndarray:
        """Log-likelihood (nats) of each row of ``X`` under the model, a Gaussian with mean ``mean_`` and
        covariance `get_covariance` [shape=(n_samples,)], float64 (Bishop, PRML 12.2.1)."""
        centred = self._centred(X).astype(np.float64)
        if (error := self._singular_model()) is not None:
            raise error
        axes, variances, noise = self._model_spectrum()
        scores = centred @ axes.T
        mahalanobis = np.sum(scores**2 / variances, axis=1)
        log_det = np.sum(np.log(variances))
        if noise > 0:
            outside = np.sum((centred - scores @ axes) ** 2, axis=1)  # ||x||^2 - ||scores||^2 lost its digits
            mahalanobis += outside / noise
            log_det += (self.n_features_in_ - axes.shape[0]) * np.log(noise)
        return -0.5 * (mahalanobis + self.n_features_in_ * np.log(2 * np.pi) + log_det)

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the rows of ``X`` (`score_samples`): what GridSearchCV maximises."""
        return float(np.mean(self.score_samples(X)))


def _check_variance_range(variance: np.ndarray, dtype, X: np.ndarray) -> None:
    """ParameterError when the largest float64 ``variance`` (of X, decreasing) lies outside the normal numbers of X's
    ``dtype``: float32 data beyond about 1e19 had inf variances, below about 1e-19 zero ones (and whitening by 0)."""
    info = np.finfo(dtype)
    top = float(variance[0]) if variance.size else 0.0
    if top > float(info.max) or 0 < top < float(info.tiny):
        fix = "down" if top > 1 else "up"
        raise ParameterError(f"X holds values up to {float(np.max(np.abs(X))):.3g}: its variance {top:.3g} is past "
                             f"{dtype}'s range; scale X {fix} or give float64")


#: Data whose largest magnitude lies in this range has x.T x within float64's normal numbers.
_SAFE_SCALES = (1e-100, 1e100)


def _principal_axes(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared singular values (decreasing) and principal axes (rows) of centred float64 data
    [shape=(n_samples, n_features)]: ``min(n_samples, n_features)`` of each. Each axis's
    largest-magnitude entry is positive (scikit-learn's sign rule)."""
    n_samples, n_features = centred.shape
    scale = float(np.max(np.abs(centred), initial=0.0))
    rescale = scale > 0 and not _SAFE_SCALES[0] < scale < _SAFE_SCALES[1]  # x.T x would over- or underflow
    if rescale:
        centred = centred / scale
    if n_samples >= n_features:
        eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred)
        order = np.argsort(eigenvalues)[::-1]
        squares, axes = np.clip(eigenvalues[order], 0, None), eigenvectors[:, order].T
    else:
        _, singular_values, axes = np.linalg.svd(centred, full_matrices=False)
        squares = singular_values**2
    if rescale:  # the scale factored back in
        top = squares[0] if squares.size else 0.0
        with np.errstate(over="ignore", under="ignore"):
            squares = squares * scale * scale
        if top > 0 and not np.finfo(np.float64).tiny <= squares[0] < np.inf:  # data of 1e-200 had variances 0
            raise ParameterError(f"X holds values up to {scale:.3g}: its variance is past float64's range; "
                                 f"scale X {'down' if scale > 1 else 'up'}")
    signs = np.sign(axes[np.arange(axes.shape[0]), np.argmax(np.abs(axes), axis=1)])
    return squares, axes * np.where(signs == 0, 1, signs)[:, None]
