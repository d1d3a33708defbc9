"""Feature descriptions: how a run turns audio clips into model input, by name.

Each entry of `FEATURES` is a frozen dataclass of parameters that is also the
feature function: ``params(y)`` maps clips ``(..., n_samples)`` to features
``(..., n_features, n_frames)``. ``params.as_dict()`` is what a run saves
(`fasttag.training.save_run`), with the entry's name under ``"kind"``;
`features_from_dict` rebuilds the description from it. A new kind of feature is
one more dataclass with ``kind``, ``n_features``, ``n_samples``, ``sr``,
``__call__``, ``as_dict`` and ``from_dict``, and one more entry in `FEATURES`.

Learned features carry arrays or weights that do not belong in JSON: the CNN
frames of a trained FCN (`fasttag.cnn_frames.CNNFrames`, ``"cnn"``) and
bag-of-frames histograms over a k-means codebook
(`fasttag.bof_features.BagOfFramesFeatures`, ``"bof"``). Such a description
also has ``save_files(run_dir)``, which writes them beside the checkpoint
(`fasttag.training.save_run` calls it); its ``as_dict()`` names them relative
to the run directory, and ``from_dict(features, root=run_dir)`` reads them
back. Their modules register them in `FEATURES` (imported at the end of this
one).
"""

from __future__ import annotations

import dataclasses
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from tqdm import tqdm

import fasttag
from fasttag import _validate, filters
from fasttag.errors import AudioLoadError, FasttagError, ParameterError
from fasttag.extraction.params import DEFAULT_N_FFT


@dataclass(frozen=True)
class _Clips:
    """Parameters shared by the spectral features: clip length and the log-mel stage."""

    kind: ClassVar[str] = ""

    sr: int = 12000  #: sampling rate, Hz
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 96
    seconds: float = 29.12  #: clip length the model was trained on, s
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float | None = 80.0

    def __post_init__(self):
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, numbers.Real) or \
                not 0 < self.seconds <= _validate.MAX_CLIP_SECONDS:  # fmt: skip
            raise ParameterError(f"seconds={self.seconds!r} must be a positive number, at most "
                                 f"{_validate.MAX_CLIP_SECONDS} (a day)")
        for name in ("sr", "n_fft", "hop_length", "n_mels"):
            _validate.positive_int(getattr(self, name), name)
        if self.n_samples < 1:
            raise ParameterError(f"seconds={self.seconds!r} is less than one sample at sr={self.sr}")
        # Checked here, not first when features are computed (a run's config is read long before).
        filters.mel_range(self.sr, self.fmin, self.fmax)
        _validate.top_db(self.top_db)

    @classmethod
    def from_dict(cls, features: dict, root=None):
        """The description stored in a run's ``features``; FasttagError if they are not this kind's.

        A dict without ``"kind"`` (runs saved before kinds existed) is taken as log-mel.
        ``root`` (the run directory) is not needed: these parameters are all in the dict.
        """
        features = dict(features)
        kind = features.pop("kind", "logmel")
        unknown = set(features) - {f.name for f in dataclasses.fields(cls)}
        if kind != cls.kind or unknown:
            raise FasttagError(f"run features {features!r} are not {cls.kind} parameters: "
                               f"kind {kind!r}, unknown {sorted(unknown)}")  # fmt: skip
        try:
            return cls(**features)
        except (TypeError, ParameterError) as exc:
            raise FasttagError(f"run features {features!r} are not valid {cls.kind} parameters: {exc}") from None

    def as_dict(self) -> dict:
        """JSON-serialisable form with ``"kind"``, for `fasttag.training.save_run` (numpy numbers as Python's)."""
        fields = dataclasses.asdict(self)
        return {"kind": self.kind, **{k: v.item() if isinstance(v, np.generic) else v for k, v in fields.items()}}

    @property
    def n_samples(self) -> int:
        """Samples per clip."""
        return int(round(self.seconds * self.sr))

    @property
    def n_frames(self) -> int:
        """Frames per clip (centred frames, librosa's count)."""
        return fasttag.frame_count(self.n_samples, n_fft=self.n_fft, hop_length=self.hop_length)

    def _logmel_args(self) -> dict:
        """The keyword arguments of `fasttag.logmel` these parameters fix."""
        return dict(
            sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels,
            fmin=self.fmin, fmax=self.fmax, top_db=self.top_db,
        )  # fmt: skip


@dataclass(frozen=True)
class LogMel(_Clips):
    """Log-mel spectrogram parameters (``kind="logmel"``): the input of `FCN` and `CRNN`.

    Defaults are Choi et al.'s: 12 kHz, ``n_fft=512``, ``hop_length=256``, 96
    mel bins, 29.12 s clips (1366 frames). Other fields are
    `fasttag.logmel`'s.
    """

    kind: ClassVar[str] = "logmel"

    @property
    def n_features(self) -> int:
        """Rows of the feature matrix: ``n_mels``."""
        return self.n_mels

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """Log-mel spectrograms of clips, one batched `fasttag.logmel` call.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n_samples)]
            Audio at ``sr``.

        Returns
        -------
        S_db : np.ndarray [shape=(..., n_mels, n_frames), dtype=y's: float32 or float64]
            Power in dB.
        """
        return fasttag.logmel(y, **self._logmel_args())


@dataclass(frozen=True)
class MFCC(_Clips):
    """MFCCs with their deltas (``kind="mfcc"``): the study's 90-dimensional LSTM input.

    ``n_mfcc`` coefficients of the log-mel spectrogram (`fasttag.mfcc`, the
    log-mel fields as in `LogMel`), then their first ``deltas`` derivatives
    over time (`fasttag.delta`, Savitzky-Golay over ``delta_width`` frames),
    stacked: by default 30 MFCC + 30 delta + 30 delta-delta = 90 rows.
    """

    kind: ClassVar[str] = "mfcc"

    n_mfcc: int = 30
    deltas: int = 2  #: 0, 1 (delta) or 2 (delta and delta-delta)
    delta_width: int = 9  #: frames in the delta's fitting window (odd, >= 3)

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.n_mfcc, bool) or not isinstance(self.n_mfcc, numbers.Integral) or not (
            1 <= self.n_mfcc <= self.n_mels
        ):
            raise ParameterError(f"n_mfcc={self.n_mfcc!r} must be an integer in [1, n_mels={self.n_mels}]")
        _validate.delta_count(self.deltas)
        _validate.odd_width(self.delta_width, "delta_width")
        if self.deltas and self.n_frames < self.delta_width:
            raise ParameterError(f"seconds={self.seconds!r} gives {self.n_frames} frames, fewer than the deltas' "
                                 f"window delta_width={self.delta_width}: give longer clips or a narrower window")

    @property
    def n_features(self) -> int:
        """Rows of the feature matrix: ``n_mfcc * (1 + deltas)``."""
        return self.n_mfcc * (1 + self.deltas)

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """MFCCs and their deltas of clips, one batched `fasttag.mfcc` call.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n_samples)]
            Audio at ``sr``.

        Returns
        -------
        features : np.ndarray [shape=(..., n_mfcc * (1 + deltas), n_frames), dtype=y's: float32 or float64]
            ``[C; delta(C); delta(C, order=2)]`` along the second-to-last axis.
        """
        C = fasttag.mfcc(y, n_mfcc=self.n_mfcc, **self._logmel_args())
        parts = [C] + [fasttag.delta(C, width=self.delta_width, order=k) for k in range(1, self.deltas + 1)]
        return np.concatenate(parts, axis=-2).astype(C.dtype, copy=False)


@dataclass(frozen=True)
class LogMelChroma(_Clips):
    """Log-mel rows, then chroma rows (``kind="logmel-chroma"``): the input of an `FCN` with a key head.

    The log-mel is `LogMel`'s; the chroma is `fasttag.chroma_stft` (``tuning=0``,
    each frame divided by its largest pitch class) of the same clip with the
    same hop and a longer window, ``chroma_n_fft`` (by default 4096, as ``fasttag
    extract --feature chroma``: 2.9 Hz bins at 12 kHz, finer than a semitone
    from about 50 Hz up). Both are centred, so they have the same frames.
    """

    kind: ClassVar[str] = "logmel-chroma"

    n_chroma: int = 12
    chroma_n_fft: int = DEFAULT_N_FFT["chroma"]

    def __post_init__(self):
        super().__post_init__()
        for name in ("n_chroma", "chroma_n_fft"):
            _validate.int_at_least(getattr(self, name), name, 2)

    @property
    def n_features(self) -> int:
        """Rows of the feature matrix: ``n_mels + n_chroma``."""
        return self.n_mels + self.n_chroma

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """Log-mel spectrograms and chromagrams of clips, stacked.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n_samples)]
            Audio at ``sr``.

        Returns
        -------
        features : np.ndarray [shape=(..., n_mels + n_chroma, n_frames), dtype=y's: float32 or float64]
            ``[S_db; chroma]`` along the second-to-last axis: power in dB, then chroma in [0, 1].
        """
        S_db = fasttag.logmel(y, **self._logmel_args())
        chroma = fasttag.chroma_stft(y, sr=self.sr, n_fft=self.chroma_n_fft, hop_length=self.hop_length,
                                     n_chroma=self.n_chroma, tuning=0.0)  # fmt: skip
        return np.concatenate([S_db, chroma.astype(S_db.dtype, copy=False)], axis=-2)


#: Feature descriptions by name, as stored under ``"kind"`` in a run's features.
FEATURES = {cls.kind: cls for cls in (LogMel, MFCC, LogMelChroma)}


def features_from_dict(features: dict, root=None):
    """Rebuild a feature description saved in a run (`FEATURES` entry named by ``"kind"``).

    Parameters
    ----------
    features : dict
        A description's ``as_dict()``; without ``"kind"``, log-mel.
    root : str or Path, optional
        The run directory, where learned features (``"cnn"``, ``"bof"``) keep
        their weights and codebook; needed for those kinds only.

    Raises
    ------
    FasttagError
        An unknown kind, or parameters that do not fit it.
    """
    if not isinstance(features, dict):
        raise FasttagError(f"run features must be a dict (a description's as_dict()), got {features!r:.60}")
    kind = features.get("kind", "logmel")
    if kind not in FEATURES:
        raise FasttagError(f"run features of kind {kind!r} are not one of {sorted(FEATURES)}")
    return FEATURES[kind].from_dict(features, root=root)


def load_clips(paths: Sequence, sr: int, n_samples: int) -> np.ndarray:
    """The first ``n_samples`` of each file, mono at ``sr`` Hz, zero-padded if shorter.

    Parameters
    ----------
    paths : sequence of str or Path
        Audio files (any format `fasttag.load` reads).
    sr : int > 0
        Sampling rate, Hz.
    n_samples : int > 0
        Samples per clip.

    Returns
    -------
    clips : np.ndarray [shape=(len(paths), n_samples), dtype=float32]

    Raises
    ------
    fasttag.AudioLoadError
        A file cannot be read or holds no samples.
    """
    paths = _paths(paths)
    clips = np.zeros((len(paths), _validate.positive_int(n_samples, "n_samples")), dtype=np.float32)
    sr = _validate.positive_int(sr, "sr")
    for i, path in enumerate(paths):
        _load_clip(path, sr, clips[i])
    return clips


def _paths(paths) -> Sequence:
    """``paths`` if it is a sequence of paths; ParameterError for one path given alone (its characters)."""
    if isinstance(paths, (str, bytes, os.PathLike)):
        raise ParameterError(f"paths must be a sequence of paths, got one: {paths!r} (give [{paths!r}])")
    return paths


def _load_clip(path, sr: int, clip: np.ndarray) -> None:
    """The first ``len(clip)`` samples of the file, mono at ``sr`` Hz, into ``clip`` (zeros left past its end)."""
    y, _ = fasttag.load(path, sr=sr, mono=True, duration=len(clip) / sr + 1.0)
    y = y[: len(clip)]
    clip[: len(y)] = y


def extract(params, paths: Sequence, *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
    """Features of the first ``params.seconds`` of each file (see `load_clips`).

    Files are loaded and featurised ``batch_size`` at a time (one batched
    feature call each), so only one batch of audio is held in memory.

    Parameters
    ----------
    params : a `FEATURES` description, or its ``as_dict()``
        E.g. ``LogMel()``, ``MFCC()`` or a run's ``Run.features`` (learned kinds, ``"cnn"`` and
        ``"bof"``, need their run: give ``features_from_dict(run.features, root=run.path)``).
    paths : sequence of str or Path
        Audio files.
    batch_size : int > 0
        Files per batch.
    progress : bool
        Show a tqdm bar on stderr.

    Returns
    -------
    features : np.ndarray [shape=(len(paths), n_features, n_frames), dtype=float32]
        What ``params`` returns per clip, stacked: ``(len(paths), n_clusters)``
        for bag-of-frames histograms.

    Raises
    ------
    fasttag.AudioLoadError
        A file cannot be read (see `extract_readable` to skip such files).
    """
    return _extract(params, paths, batch_size, progress, unreadable=None)


def extract_readable(params, paths: Sequence, *, batch_size: int = 32,
                     progress: bool = False) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """As `extract`, skipping the files that cannot be read (an empty or corrupt file in a
    collection): the features of the others ``(n_readable, ...)`` in order, and the index in
    ``paths`` and the error of each skipped file."""
    unreadable: list[tuple[int, str]] = []
    features = _extract(params, paths, batch_size, progress, unreadable=unreadable)
    if len(unreadable) == len(paths):
        raise AudioLoadError(f"none of the {len(paths)} files can be read; the first: {unreadable[0][1]}")
    skipped = {i for i, _ in unreadable}
    kept = [i for i in range(len(paths)) if i not in skipped]
    for row, i in enumerate(kept):  # close the gaps in place: no second array of the collection's size
        if row != i:
            features[row] = features[i]
    return features[: len(kept)], unreadable


def _extract(params, paths, batch_size, progress, *, unreadable: list | None) -> np.ndarray:
    """The loop of `extract`; with a list as ``unreadable``, files that fail to load are recorded
    there and left as silent (zero) clips, else their error is raised."""
    batch_size = _validate.positive_int(batch_size, "batch_size")
    paths = _paths(paths)
    if len(paths) == 0:
        raise ParameterError("paths is empty: no files to extract features from")
    if isinstance(params, dict):  # a run's features (Run.features), as saved
        params = features_from_dict(params)
    out = None
    starts = range(0, len(paths), batch_size)
    for start in tqdm(starts, desc=params.kind, unit="batch", disable=not progress, leave=False):
        chunk = list(paths[start : start + batch_size])
        clips = np.zeros((len(chunk), params.n_samples), dtype=np.float32)
        for i, path in enumerate(chunk):
            try:
                _load_clip(path, params.sr, clips[i])
            except AudioLoadError as error:
                if unreadable is None:
                    raise
                unreadable.append((start + i, str(error)))
        batch = params(clips)
        if out is None:  # the first batch tells the shape of one clip's features
            out = np.empty((len(paths),) + batch.shape[1:], dtype=np.float32)
        out[start : start + len(chunk)] = batch
    return out


# The learned kinds build on the classes above and add themselves to FEATURES.
from fasttag import bof_features, cnn_frames  # noqa: E402, F401  (after FEATURES: they register in it)
