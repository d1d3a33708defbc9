"""Tag audio files with a trained run: audio -> feature windows -> tag probabilities."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fasttag
from fasttag import _validate
from fasttag.errors import AudioLoadError, FasttagError
from fasttag.featurizers import MFCC, LogMel, features_from_dict
from fasttag.training import Run, load_run, predict

__all__ = ["MFCC", "LogMel", "tag_file"]  # LogMel and MFCC live in fasttag.featurizers


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
        with features of any kind in `fasttag.featurizers.FEATURES`.
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
    fasttag.FasttagError
        The run's features are not a kind fasttag knows or have invalid parameters (a clip
        shorter than one sample), or do not fit its model (another number of input rows).
    ParameterError
        ``top`` is not a positive integer.
    """
    top = None if top is None else _validate.positive_int(top, "top")
    if not isinstance(run, Run):
        run = load_run(run)
    params = _run_features(run)
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


def _run_features(run: Run):
    """The feature description of ``run``, or FasttagError if it cannot feed the run's model."""
    params = features_from_dict(run.features, root=run.path)
    where = run.path or "the run"
    mean = getattr(run.model, "feature_mean", None)  # a fasttag.models tagger's input rows
    if mean is not None and mean.shape[0] != params.n_features:
        raise FasttagError(f"{where}: its {params.kind} features have {params.n_features} rows but its "
                           f"{type(run.model).__name__} takes {mean.shape[0]}")
    return params
