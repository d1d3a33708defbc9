"""Bag of frames: a track's frame features X (n_features, n_frames) summarised as the
histogram f (n_clusters,) of their nearest codewords (the founding study's temporal
approximation), and `BagOfFrames`, which learns the codebook from many tracks."""

from __future__ import annotations

import numpy as np
from sklearn.base import TransformerMixin

from . import _kmeans, _validate
from ._params import EstimatorParams
from ._workers import resolve_workers
from .errors import NotFittedError, ParameterError
from .kmeans import KMeans

_NORMS = ("l1", "l2", None)


def power_exponent(value) -> float | None:
    """The power normalisation ``value`` as a float in (0, 1], or None; else ParameterError. It compresses
    the counts; a larger power made them overflow (1366 frames ** 99 is inf in float64: NaN histograms)."""
    if value is None:
        return None
    power = _validate.positive_float(value, "power")
    if power > 1:
        raise ParameterError(f"power={value!r} must be in (0, 1]: power normalisation compresses the counts "
                             "(e.g. 0.5); a larger power can overflow them")
    return power


def _codebook(kmeans) -> np.ndarray:
    """Centers (n_clusters, n_features) of a fitted KMeans, or a given array of centers."""
    if isinstance(kmeans, KMeans):
        if not hasattr(kmeans, "cluster_centers_"):
            raise NotFittedError("kmeans is not fitted yet: call fit first")
        return kmeans.cluster_centers_
    centers = _validate.float_array(kmeans, "kmeans")
    if centers.ndim != 2:
        raise ParameterError(f"kmeans must be a fitted KMeans or centers (n_clusters, n_features), "
                             f"got shape {centers.shape}")
    return centers


def _soft_weights(distances: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """Codewords (n, k) nearest to each frame and their weights (n, k), summing to 1:
    inversely proportional to the Euclidean distance (all to exact matches, if any)."""
    k = min(top_k, distances.shape[1])
    nearest = np.argpartition(distances, k - 1, axis=1)[:, :k]
    reach = np.sqrt(np.take_along_axis(distances, nearest, axis=1).astype(np.float64))
    closest = reach.min(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.where(closest > 0, closest / reach, reach == 0)
    return nearest, weights / weights.sum(axis=1, keepdims=True)


def bag_of_frames(X, kmeans, *, normalize: str | None = "l1", power: float | None = None, soft: bool = False,
                  top_k: int = 3, workers: int | None = None, device: str = "cpu") -> np.ndarray:
    """Histogram of nearest codewords over the frames of each track.

    Parameters
    ----------
    X : array (..., n_features, n_frames)
        Frame features of one or many tracks (e.g. MFCC + deltas), float32 or float64.
    kmeans : fitted `KMeans` or array (n_clusters, n_features)
        The codebook. The frames are assigned in the wider of its and X's dtypes (as
        `KMeans.predict`: nothing is downcast).
    normalize : "l1", "l2" or None
        Scale each histogram to unit sum ("l1": the frequency of each codeword), unit
        Euclidean norm, or leave counts.
    power : float in (0, 1] or None
        Power normalisation: each bin raised to ``power`` (e.g. 0.5) before ``normalize``.
    soft : bool
        Spread each frame over its ``top_k`` nearest codewords, with weights inversely
        proportional to the distance, instead of one count for the nearest.
    top_k : int > 0
        Codewords each frame is spread over when ``soft`` (capped at n_clusters); unused otherwise.
    workers : int or None
        Threads for the C++ kernels.
    device : {"cpu", "cuda"}
        "cuda": assignment, counting and normalisation on the GPU (hard assignment only);
        X may be a GPU array, and the histograms come back as the same kind.

    Returns
    -------
    array (..., n_clusters) of X's dtype.
    """
    if device != "cpu":
        from .cuda import _runtime, kmeans as cuda_kmeans

        _runtime.check_device(device)
        centers = kmeans if _runtime.on_device(kmeans) else _codebook(kmeans)
        return cuda_kmeans.bag_of_frames(X, centers, normalize=normalize, power=power, soft=soft)
    centers = _codebook(kmeans)
    X = _validate.float_array(X, "X", min_ndim=2, check_finite=False)
    if X.shape[-2] != centers.shape[1]:
        raise ParameterError(f"X has {X.shape[-2]} features (axis -2) but the codebook has {centers.shape[1]}")
    _validate.choice(normalize, dict.fromkeys(_NORMS), "normalize")
    power = power_exponent(power)
    top_k = _validate.positive_int(top_k, "top_k")
    workers = resolve_workers(workers)
    tracks = _validate.as_rows(X, 2)
    n_tracks, n_frames = tracks.shape[0], tracks.shape[2]
    dtype = np.result_type(X.dtype, centers.dtype)  # the wider, as KMeans.predict: nothing is downcast
    frames = _validate.c_array(tracks.transpose(0, 2, 1).reshape(-1, tracks.shape[1]), dtype)
    centers = _validate.c_array(centers, dtype)
    n_clusters = centers.shape[0]
    names = {"x": "X", "centroids": "kmeans"}  # the kernels' checks, naming what the caller gave
    owner = np.repeat(np.arange(n_tracks) * n_clusters, n_frames)
    if soft:
        hist = np.zeros(n_tracks * n_clusters)
        for start in range(0, frames.shape[0], 8192):  # bounded memory: 8192 x n_clusters distances
            part = slice(start, start + 8192)
            nearest, weights = _soft_weights(_kmeans.squared_distances(frames[part], centers, workers, names), top_k)
            np.add.at(hist, (owner[part, None] + nearest).ravel(), weights.ravel())
    else:
        labels, _ = _kmeans.nearest(frames, centers, workers, names)
        hist = np.bincount(owner + labels, minlength=n_tracks * n_clusters).astype(np.float64)
    hist = hist.reshape(n_tracks, n_clusters)
    if power is not None:
        hist **= power
    if normalize is not None:
        scale = hist.sum(axis=1) if normalize == "l1" else np.sqrt(np.sum(hist * hist, axis=1))
        hist /= scale[:, None]
    return hist.astype(X.dtype).reshape(X.shape[:-2] + (n_clusters,))


def _refuse_one_track(tracks) -> None:
    """ParameterError for one 2-D track given as ``tracks`` (iterating it would take its rows for 1-D tracks)."""
    if getattr(tracks, "ndim", None) == 2:
        raise ParameterError(f"tracks has shape {tuple(tracks.shape)}, one track: tracks is a list of "
                             "(n_features, n_frames) arrays or an array (n_tracks, n_features, n_frames); "
                             "wrap one track as [track]")


class BagOfFrames(TransformerMixin, EstimatorParams):
    """Learns a k-means codebook from frames of many tracks, then turns each track's frame
    features (n_features, n_frames) into a histogram (n_clusters,) with `bag_of_frames`.

    A scikit-learn estimator (``get_params`` / ``set_params``, `sklearn.base.clone`), so a
    ``Pipeline`` of it and a classifier can be grid-searched over ``n_clusters``.

    Parameters
    ----------
    n_clusters : int
        Codebook size K (1024 in the founding study).
    frames_per_track : int or None
        Frames drawn at random from each track to fit the codebook (None: all of them).
    normalize, power, soft, top_k : as in `bag_of_frames`.
    batch_size, max_iter, random_state, workers, progress : as in `KMeans`.

    Attributes
    ----------
    kmeans_ : the fitted `KMeans` (made by `fit`).
    """

    def __init__(self, n_clusters: int = 1024, *, frames_per_track: int | None = 256, normalize: str | None = "l1",
                 power: float | None = None, soft: bool = False, top_k: int = 3, batch_size: int | None = None,
                 max_iter: int = 100, random_state=None, workers: int | None = None, progress: bool = False):
        if frames_per_track is not None:
            _validate.positive_int(frames_per_track, "frames_per_track")
        _validate.choice(normalize, dict.fromkeys(_NORMS), "normalize")
        power_exponent(power)
        _validate.positive_int(top_k, "top_k")
        self.n_clusters, self.frames_per_track, self.normalize = n_clusters, frames_per_track, normalize
        self.power, self.soft, self.top_k = power, soft, top_k
        self.batch_size, self.max_iter, self.random_state = batch_size, max_iter, random_state
        self.workers, self.progress = workers, progress
        self._new_kmeans()  # checks the k-means parameters now, as KMeans does

    def _new_kmeans(self) -> KMeans:
        return KMeans(self.n_clusters, batch_size=self.batch_size, max_iter=self.max_iter,
                      random_state=self.random_state, workers=self.workers, progress=self.progress)  # fmt: skip

    def _fitted_kmeans(self) -> KMeans:
        if not hasattr(self, "kmeans_"):
            raise NotFittedError("this BagOfFrames is not fitted yet: call fit first")
        return self.kmeans_

    def _sample(self, tracks) -> np.ndarray:
        """Frames (n, n_features) drawn from every track of ``tracks``."""
        _refuse_one_track(tracks)
        rng = np.random.default_rng(self.random_state)
        picked = []
        for i, track in enumerate(tracks):
            track = _validate.float_array(track, f"tracks[{i}]", min_ndim=2, check_finite=False)
            if track.ndim != 2:
                raise ParameterError(f"tracks[{i}] must be (n_features, n_frames), got shape {track.shape}")
            frames = track.T
            if self.frames_per_track is not None and frames.shape[0] > self.frames_per_track:
                frames = frames[np.sort(rng.choice(frames.shape[0], self.frames_per_track, replace=False))]
            picked.append(frames)
        if not picked:
            raise ParameterError("tracks is empty: no frames to fit the codebook on")
        if len({(p.shape[1], p.dtype) for p in picked}) > 1:
            raise ParameterError("tracks must all have the same number of features and dtype")
        return np.ascontiguousarray(np.concatenate(picked))

    def fit(self, tracks, y=None) -> BagOfFrames:
        """Fit the codebook on frames of ``tracks``: an iterable of (n_features, n_frames)
        arrays or an array (n_tracks, n_features, n_frames). Returns self."""
        kmeans = self._new_kmeans().fit(self._sample(tracks))
        self.kmeans_ = kmeans
        return self

    def transform(self, tracks) -> np.ndarray:
        """Histograms (n_tracks, n_clusters) of ``tracks`` (as in `fit`; tracks may differ in length)."""
        kmeans = self._fitted_kmeans()
        _refuse_one_track(tracks)
        options = dict(normalize=self.normalize, power=self.power, soft=bool(self.soft), top_k=self.top_k,
                       workers=self.workers)
        if isinstance(tracks, np.ndarray) and tracks.ndim == 3:
            return bag_of_frames(tracks, kmeans, **options)
        rows = []
        for i, track in enumerate(tracks):
            try:
                rows.append(bag_of_frames(track, kmeans, **options))
            except ParameterError as error:  # its messages call the track X
                raise ParameterError(f"tracks[{i}]: {error}") from None
        if not rows:
            raise ParameterError("tracks is empty")
        return np.stack(rows)

    def fit_transform(self, tracks, y=None) -> np.ndarray:
        tracks = tracks if isinstance(tracks, np.ndarray) else list(tracks)
        return self.fit(tracks).transform(tracks)
