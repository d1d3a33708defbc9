"""What extraction computes: the input and feature constants, the private test hooks and `ExtractParams`."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

import fasttag
from fasttag import _validate, filters
from fasttag.errors import ParameterError

FEATURE_KINDS = ("logmel", "mfcc", "chroma")
CROPS = ("center", "start")
#: STFT frame of each kind by default: Choi et al.'s 512 samples for the log-mel and MFCC; for chroma
#: 4096 (2.9 Hz bins at 12 kHz, finer than a semitone from about 50 Hz up; 512 gives 23 Hz bins, wider
#: than the semitones below about 400 Hz), as `fasttag.featurizers.LogMelChroma` takes it.
DEFAULT_N_FFT = {"logmel": 512, "mfcc": 512, "chroma": 4096}
SILENCE_PEAK = 1e-6  # peak |sample| at or below this (-120 dBFS) is flagged as silence

DECODE_BLOCK = 1 << 18  # source frames per read (6 s at 44.1 kHz)
FRAME_BLOCK = 8192  # STFT frames per feature block (175 s at 12 kHz, hop 256)

# Private fault injection for the tests: a pool worker kills itself on a file whose name
# contains this text (read by `extract` in the main process, so a pool started earlier sees it).
_KILL_WORKER_ENV = "_FASTTAG_EXTRACT_KILL_WORKER_ON"


@dataclass(frozen=True)
class ExtractParams:
    """What `extract` computes for each track; saved in the store and checked on resume.

    Parameters
    ----------
    feature : {"logmel", "mfcc", "chroma"}
        ``logmel``: `fasttag.logmel` (dB, ``top_db`` below the track's peak);
        ``mfcc``: ``n_mfcc`` coefficients of that log-mel and ``deltas`` derivatives,
        stacked (as `fasttag.featurizers.MFCC`); ``chroma``: `fasttag.chroma_stft`
        (``tuning=0``, max-normalised frames).
    sr : int > 0
        Sampling rate the audio is resampled to (soxr HQ), Hz. Default 12000 (Choi et al.).
    n_fft : int > 0 or None
        STFT frame in samples (Hann window, centred frames, zero padding); None: the kind's
        default (`DEFAULT_N_FFT`), 512 for ``logmel`` and ``mfcc``, 4096 for ``chroma``.
    hop_length : int > 0
        STFT hop in samples.
    n_mels, fmin, fmax, top_db : log-mel and MFCC only
        As `fasttag.logmel`.
    n_mfcc, deltas, delta_width : MFCC only
        Coefficients; 0, 1 or 2 derivatives; the derivative's window in frames (odd >= 3).
    n_chroma : int > 0, chroma only
        Pitch classes.
    duration : float > 0 or None
        Seconds per track: None takes the whole track; otherwise one crop of exactly
        ``round(duration * sr)`` samples (zero-padded when the track is shorter).
    crop : {"center", "start"}
        Where the crop sits when ``duration`` is set.
    """

    feature: str = "logmel"
    sr: int = 12000
    n_fft: int | None = None
    hop_length: int = 256
    n_mels: int = 96
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float | None = 80.0
    n_mfcc: int = 30
    deltas: int = 2
    delta_width: int = 9
    n_chroma: int = 12
    duration: float | None = None
    crop: str = "center"

    #: The fields each kind depends on (the others are left out of `as_dict`).
    FIELDS: ClassVar[dict] = {
        "logmel": ("n_mels", "fmin", "fmax", "top_db"),
        "mfcc": ("n_mels", "fmin", "fmax", "top_db", "n_mfcc", "deltas", "delta_width"),
        "chroma": ("n_chroma",),
    }

    def __post_init__(self):
        if self.feature not in FEATURE_KINDS:
            raise ParameterError(f"feature={self.feature!r} is not one of {list(FEATURE_KINDS)}")
        if self.n_fft is None:
            object.__setattr__(self, "n_fft", DEFAULT_N_FFT[self.feature])  # frozen: set once, here
        for name in ("sr", "n_fft", "hop_length", "n_mels", "n_mfcc", "n_chroma"):
            _validate.int_at_least(getattr(self, name), name, 1)
        filters.mel_range(self.sr, self.fmin, self.fmax)
        _validate.top_db(self.top_db)
        if self.feature == "mfcc" and self.n_mfcc > self.n_mels:
            raise ParameterError(f"n_mfcc={self.n_mfcc!r} must be <= n_mels={self.n_mels}")
        _validate.delta_count(self.deltas)
        _validate.odd_width(self.delta_width, "delta_width")
        if self.duration is not None:
            _validate.positive_float(self.duration, "duration")
            if round(self.duration * self.sr) < self.n_fft:
                raise ParameterError(f"duration={self.duration!r} s is shorter than one frame "
                                     f"(n_fft={self.n_fft} samples at sr={self.sr})")  # fmt: skip
        if self.crop not in CROPS:
            raise ParameterError(f"crop={self.crop!r} is not one of {list(CROPS)}")

    # ---------------------------------------------------------------- description

    def as_dict(self) -> dict:
        """The parameters that determine the arrays (JSON-serialisable); a store keeps them."""
        out = {"feature": self.feature, "sr": self.sr, "n_fft": self.n_fft, "hop_length": self.hop_length}
        out.update({name: getattr(self, name) for name in self.FIELDS[self.feature]})
        out["duration"] = self.duration
        if self.duration is not None:
            out["crop"] = self.crop
        return out

    @classmethod
    def from_dict(cls, params: dict) -> ExtractParams:
        """Rebuild from `as_dict`; ParameterError for unknown names."""
        unknown = set(params) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ParameterError(f"unknown extraction parameters {sorted(unknown)}")
        return cls(**params)

    @classmethod
    def from_featurizer(cls, description, *, crop: str = "start") -> ExtractParams:
        """The parameters that store what a `fasttag.featurizers` description computes.

        ``LogMel`` / ``MFCC`` take the first ``seconds`` of a track (`load_clips`); so does
        ``crop="start"`` here. The last frames may differ slightly: load_clips resamples one
        second more than the clip, this decodes the clip only, which moves the last log-mel
        frame and, through the deltas, the last ``delta_width // 2 + 1`` MFCC frames.
        """
        fields = dict(description.as_dict())
        kind = fields.pop("kind", None)
        if kind not in ("logmel", "mfcc"):
            raise ParameterError(f"a feature store holds logmel or mfcc descriptions, not kind={kind!r}")
        return cls.from_dict({"feature": kind, "duration": fields.pop("seconds"), "crop": crop, **fields})

    def digest(self) -> str:
        """A short hash of `as_dict` (recorded with every track)."""
        return hashlib.sha1(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:12]

    @property
    def n_samples(self) -> int | None:
        """Samples per crop at ``sr`` (None: whole tracks)."""
        return None if self.duration is None else int(round(self.duration * self.sr))

    @property
    def n_features(self) -> int:
        """Rows of each track's feature matrix."""
        return {"logmel": self.n_mels, "mfcc": self.n_mfcc * (1 + self.deltas), "chroma": self.n_chroma}[self.feature]

    # ---------------------------------------------------------------- computation

    def frame_stage(self, segment: np.ndarray) -> np.ndarray:
        """Frame-local features of a block of the padded stream (``center=False``).

        ``segment`` holds ``n_fft + (k - 1) * hop_length`` samples and gives ``k`` frames.
        """
        common = dict(n_fft=self.n_fft, hop_length=self.hop_length, center=False)
        if self.feature == "chroma":
            return fasttag.chroma_stft(segment, sr=self.sr, n_chroma=self.n_chroma, tuning=0.0, **common)
        return fasttag.melspectrogram(segment, sr=self.sr, n_mels=self.n_mels, fmin=self.fmin, fmax=self.fmax,
                                      **common)  # fmt: skip

    def track_stage(self, frames: np.ndarray) -> np.ndarray:
        """The track-global stage on the whole ``(rows, n_frames)`` frame-stage output."""
        if self.feature == "chroma":
            return frames
        S_db = fasttag.power_to_db(frames, ref=1.0, amin=1e-10, top_db=self.top_db)
        if self.feature == "logmel":
            return S_db
        C = fasttag.mfcc(S=S_db, n_mfcc=self.n_mfcc)
        parts = [C] + [fasttag.delta(C, width=self.delta_width, order=k) for k in range(1, self.deltas + 1)]
        return np.concatenate(parts, axis=-2).astype(np.float32, copy=False)

    def check(self) -> None:
        """Compute the features of a short silence once: ParameterError for bad combinations
        (e.g. ``n_mels`` beyond the FFT bins) before any file is touched."""
        with _validate.core_errors():
            n_frames = self.delta_width + 1  # enough frames for the deltas
            self.track_stage(self.frame_stage(np.zeros(self.n_fft + (n_frames - 1) * self.hop_length, np.float32)))
