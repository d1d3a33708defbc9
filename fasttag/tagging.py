"""Tag audio files with a trained run: audio -> log-mel windows -> tag probabilities."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import fasttag
from fasttag.errors import AudioLoadError, FasttagError, ParameterError
from fasttag.training import Run, load_run, predict


@dataclass(frozen=True)
class LogMel:
    """Log-mel feature parameters: how a run turns audio clips into model input.

    Defaults are Choi et al.'s: 12 kHz, ``n_fft=512``, ``hop_length=256``, 96
    mel bins, 29.12 s clips (1366 frames). Other fields are
    `fasttag.logmel`'s.
    """

    sr: int = 12000  #: sampling rate, Hz
    n_fft: int = 512
    hop_length: int = 256
    n_mels: int = 96
    seconds: float = 29.12  #: clip length the model was trained on, s
    fmin: float = 0.0
    fmax: float | None = None
    top_db: float | None = 80.0

    @classmethod
    def from_dict(cls, features: dict) -> LogMel:
        """The parameters stored in a run's ``features``; FasttagError if they are not log-mel ones."""
        unknown = set(features) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise FasttagError(f"run features {features!r} are not log-mel parameters: {sorted(unknown)}")
        return cls(**features)

    def as_dict(self) -> dict:
        """JSON-serialisable form, for `fasttag.training.save_run`."""
        return dataclasses.asdict(self)

    @property
    def n_samples(self) -> int:
        """Samples per clip."""
        return int(round(self.seconds * self.sr))

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """Log-mel spectrograms of clips, one batched `fasttag.logmel` call.

        Parameters
        ----------
        y : np.ndarray [shape=(..., n_samples)]
            Audio at ``sr``.

        Returns
        -------
        S_db : np.ndarray [shape=(..., n_mels, n_frames), dtype=float32]
            Power in dB.
        """
        return fasttag.logmel(
            y, sr=self.sr, n_fft=self.n_fft, hop_length=self.hop_length, n_mels=self.n_mels,
            fmin=self.fmin, fmax=self.fmax, top_db=self.top_db,
        )  # fmt: skip


def tag_file(path, run, *, top: int | None = 5) -> list[tuple[str, float]]:
    """Most probable tags of one audio file.

    The file is loaded (mono) at the run's sampling rate and cut into
    consecutive windows of the run's clip length, the last one zero-padded;
    each window is tagged, and the probabilities are averaged, each window
    weighted by the seconds of audio it holds.

    Parameters
    ----------
    path : str or Path
        Audio file (any format `fasttag.load` reads).
    run : str, Path or fasttag.training.Run
        A run directory (see `fasttag.training.save_run`) or a loaded run,
        whose features are log-mel (`LogMel`).
    top : int > 0 or None
        How many tags to return; None for all.

    Returns
    -------
    tags : list of (str, float)
        ``(tag, probability)`` pairs, most probable first.

    Raises
    ------
    fasttag.AudioLoadError
        The file cannot be read, or holds no samples.
    ParameterError
        ``top`` is not a positive integer.
    """
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise ParameterError(f"top={top!r} must be a positive integer or None")
    if not isinstance(run, Run):
        run = load_run(run)
    params = LogMel.from_dict(run.features)
    y, _ = fasttag.load(path, sr=params.sr, mono=True)
    if y.size == 0:
        raise AudioLoadError(f"{Path(path)} holds no samples")
    n = params.n_samples
    n_windows = -(-len(y) // n)
    windows = np.zeros(n_windows * n, dtype=y.dtype)
    windows[: len(y)] = y
    weights = np.minimum(len(y) - n * np.arange(n_windows), n)
    probabilities = weights @ predict(run.model, params(windows.reshape(n_windows, n))) / len(y)
    order = np.argsort(-probabilities, kind="stable")[:top]
    return [(run.tags[j], float(probabilities[j])) for j in order]
