"""Bag-of-frames features (``kind="bof"``): frame features -> histogram over a k-means codebook.

`BagOfFramesFeatures` wraps a frame-level description of `fasttag.featurizers`
(`MFCC`, or `fasttag.cnn_frames.CNNFrames`) and a codebook: a clip's frames
``(n_features, n_frames)`` become the histogram ``(n_clusters,)`` of their
nearest codewords (`fasttag.bag_of_frames`), the founding study's temporal
summary, which `fasttag.models.MLP` classifies. `BagOfFramesFeatures.fit`
learns the codebook (`fasttag.BagOfFrames`) from training frames. A run keeps
the codebook in ``codebook.npy`` beside its checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from fasttag import _validate
from fasttag.bof import _NORMS, BagOfFrames, bag_of_frames, power_exponent
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import FEATURES, features_from_dict

#: The codebook's file in a run directory: centers (n_clusters, n_features), float32.
CODEBOOK_FILE = "codebook.npy"
HISTOGRAM_CLIPS = 256  # clips per bag_of_frames call in `BagOfFramesFeatures.histograms`
_CLIP_KEYS = ("sr", "n_fft", "hop_length", "n_mels", "seconds")


@dataclass(frozen=True, eq=False)
class BagOfFramesFeatures:
    """Histograms of nearest codewords of a clip's frame features.

    Parameters
    ----------
    frames : a frame-level feature description
        `fasttag.featurizers.MFCC`, `fasttag.cnn_frames.CNNFrames`, ...:
        anything in `fasttag.featurizers.FEATURES` whose output is
        ``(n_clips, n_features, n_frames)``.
    centers : np.ndarray [shape=(n_clusters, frames.n_features)]
        The codebook (float32).
    normalize : {"l1", "l2", None}
        Histogram scaling, as in `fasttag.bag_of_frames` ("l1": codeword frequencies).
    power : float in (0, 1] or None
        Power normalisation before ``normalize``, as in `fasttag.bag_of_frames`.
    """

    kind: ClassVar[str] = "bof"

    frames: object
    centers: np.ndarray = field(repr=False)
    normalize: str | None = "l1"
    power: float | None = None

    def __post_init__(self):
        centers = np.array(self.centers, dtype=np.float32)  # a private copy: the description stays fixed
        if centers.ndim != 2 or centers.shape[0] < 1 or not np.isfinite(centers).all():
            raise ParameterError(f"centers must be a finite (n_clusters, n_features) array; got shape {centers.shape}")
        if centers.shape[1] != self.frames.n_features:
            raise ParameterError(f"centers have {centers.shape[1]} features but the {self.frames.kind} frames have "
                                 f"{self.frames.n_features}")  # fmt: skip
        if self.normalize not in _NORMS:
            raise ParameterError(f"normalize={self.normalize!r} must be one of {list(_NORMS)}")
        object.__setattr__(self, "power", power_exponent(self.power))  # as bag_of_frames
        centers.flags.writeable = False
        object.__setattr__(self, "centers", centers)

    @classmethod
    def fit(cls, frames, X_train, *, n_clusters: int = 1024, frames_per_track: int | None = 256,
            normalize: str | None = "l1", power: float | None = None, max_iter: int = 100, seed: int = 0,
            progress: bool = False) -> BagOfFramesFeatures:  # fmt: skip
        """Learn the codebook from training frames.

        Parameters
        ----------
        frames : a frame-level feature description
            How ``X_train`` was computed.
        X_train : np.ndarray or FeatureStack [shape=(n_tracks, n_features, n_frames)]
            Frame features of the training tracks only.
        n_clusters : int > 0
            Codebook size K (1024 in the study).
        frames_per_track : int > 0 or None
            Frames drawn at random from each track for k-means (None: all).
        normalize, power
            As in the class.
        max_iter : int > 0
            Lloyd iterations at most.
        seed : int
            Seed of the frame sampling and of k-means++.
        progress : bool
            Show a k-means progress bar.

        Returns
        -------
        features : BagOfFramesFeatures
        """
        seed = _validate.seed(seed)
        power_exponent(power)  # checked before the k-means fit, not after it
        bof = BagOfFrames(n_clusters, frames_per_track=frames_per_track, normalize=normalize, power=power,
                          max_iter=max_iter, random_state=seed, progress=progress)  # fmt: skip
        if not (hasattr(X_train, "shape") and getattr(X_train, "dtype", None) == np.float32):
            X_train = np.asarray(X_train, dtype=np.float32)  # a FeatureStack stays lazy: tracks are sampled one by one
        if X_train.ndim != 3:
            raise ParameterError(f"X_train must be frame features (n_tracks, n_features, n_frames); "
                                 f"got shape {X_train.shape}")
        available = len(X_train) * min(X_train.shape[2], frames_per_track or X_train.shape[2])
        if available < n_clusters:
            raise ParameterError(f"a codebook of n_clusters={n_clusters} needs at least as many training "
                                 f"frames; {len(X_train)} tracks give {available} "
                                 f"(frames_per_track={frames_per_track})")  # fmt: skip
        bof.fit(X_train)
        return cls(frames, bof.kmeans_.cluster_centers_, normalize=normalize, power=power)

    # -- what the registry needs ---------------------------------------------------------------

    sr = property(lambda self: self.frames.sr, doc="Sampling rate, Hz.")
    seconds = property(lambda self: self.frames.seconds, doc="Clip length, s.")
    n_samples = property(lambda self: self.frames.n_samples, doc="Samples per clip.")

    @property
    def n_clusters(self) -> int:
        """Codebook size K."""
        return self.centers.shape[0]

    @property
    def n_features(self) -> int:
        """Length of a clip's feature vector: K."""
        return self.n_clusters

    def histograms(self, X) -> np.ndarray:
        """Histograms ``(n_clips, n_clusters)`` float32 of frame features ``(n_clips, n_features, n_frames)``,
        an array or a `fasttag.feature_stack.FeatureStack` (read ``HISTOGRAM_CLIPS`` clips at a time)."""
        if not hasattr(X, "shape"):
            X = np.asarray(X, dtype=np.float32)
        starts = range(0, max(len(X), 1), HISTOGRAM_CLIPS)
        return np.concatenate([bag_of_frames(np.asarray(X[start : start + HISTOGRAM_CLIPS], dtype=np.float32),
                                             self.centers, normalize=self.normalize, power=self.power)
                               for start in starts])  # fmt: skip

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """Histograms ``(n_clips, n_clusters)`` of clips ``(n_clips, n_samples)``."""
        return self.histograms(self.frames(y))

    def as_dict(self) -> dict:
        """JSON form: the frames' description, the codebook file and the histogram options."""
        clip = {key: getattr(self.frames, key) for key in _CLIP_KEYS}
        return {"kind": self.kind, "frames": self.frames.as_dict(), "codebook": CODEBOOK_FILE,
                "n_clusters": self.n_clusters, "normalize": self.normalize, "power": self.power, **clip}  # fmt: skip

    def save_files(self, run_dir) -> None:
        """Write the codebook to ``run_dir/codebook.npy`` (and whatever the frames keep)."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        np.save(run_dir / CODEBOOK_FILE, self.centers)
        if hasattr(self.frames, "save_files"):
            self.frames.save_files(run_dir)

    @classmethod
    def from_dict(cls, features: dict, root=None) -> BagOfFramesFeatures:
        """Rebuild from ``as_dict()`` and the codebook saved under ``root`` (the run directory)."""
        if features.get("kind") != cls.kind:
            raise FasttagError(f"run features {features!r} are not {cls.kind} parameters")
        if root is None:
            raise FasttagError("bof features keep their codebook in the run directory: give root=RUN_DIR")
        try:
            frames = features_from_dict(features["frames"], root=root)
            path = Path(root) / features["codebook"]
            centers = np.load(path, allow_pickle=False)
            if centers.shape[0] != features["n_clusters"]:
                raise FasttagError(f"{path} holds {centers.shape[0]} codewords, "
                                   f"not n_clusters={features['n_clusters']}")
            return cls(frames, centers, normalize=features["normalize"], power=features["power"])
        except KeyError as exc:
            raise FasttagError(f"run features {features!r} lack {exc}") from None
        except (OSError, ValueError) as exc:  # a missing or unreadable codebook, or one that does not fit
            raise FasttagError(f"the bof features of {root} cannot be rebuilt: {exc}") from None


FEATURES[BagOfFramesFeatures.kind] = BagOfFramesFeatures
