"""Features and labels of one split of a dataset, as the train and evaluate commands need them."""

from __future__ import annotations

import numpy as np
import soundfile

from fasttag import _warnings
from fasttag.datasets import Dataset, multi_hot
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import extract_readable
from fasttag.store_features import STORED_KINDS, frame_kind, store_features


#: A clip shorter than this fraction of the model's input is short (`warn_short_clips`).
SHORT = 0.99


def warn_short_clips(tracks, seconds: float) -> None:
    """Warn when tracks are shorter than the model's input of ``seconds`` (zero-padded to it), naming how
    many and the ``--seconds`` that fits them; files whose header cannot be read are left to the decoding."""
    durations = []
    for track in tracks:
        try:
            info = soundfile.info(str(track.path))
        except (RuntimeError, OSError):  # soundfile.LibsndfileError is a RuntimeError
            continue
        if info.samplerate > 0:
            durations.append(info.frames / info.samplerate)
    short = [d for d in durations if d < SHORT * seconds]
    if short:
        fits = np.floor(min(short) * 100) / 100
        _warnings.warn(f"{len(short)} of the {len(tracks)} tracks are shorter than the model's input of {seconds:g} s "
                       f"(the shortest: {min(short):.2f} s): the rest of their input is zero padding; pass "
                       f"--seconds {fits:g} (or less) to read no more than they hold")  # fmt: skip


def refuse_unread_store(store, params, what: str) -> None:
    """ParameterError when ``--store`` is given for features no store holds (``params``' kind is
    computed from the audio, e.g. logmel-chroma or CNN frames): it would be ignored; ``what`` takes them."""
    if store is not None and frame_kind(params) not in STORED_KINDS:
        raise ParameterError(f"--store: {what} takes {frame_kind(params)} features, computed from the audio "
                             f"(a store holds {' or '.join(STORED_KINDS)} only): leave out --store")


def split_arrays(dataset: Dataset, split: str, params, vocabulary, *, data, progress: bool, store=None):
    """Features and labels of the readable tracks of ``split`` (a warning names the others).

    Parameters
    ----------
    dataset : Dataset
        Tracks with splits (`fasttag.datasets.read_dataset`).
    split : {"train", "valid", "test"}
    params : a `fasttag.featurizers.FEATURES` description
    vocabulary : list of str
        The label columns; a track's tags outside it are ignored.
    data : str or Path
        The dataset's path, for the error message.
    progress : bool
        Show a progress bar while extracting.
    store : FeatureStore, str or Path, optional
        A feature store to read the features from instead of the audio
        (`fasttag.store_features.store_features`); tracks whose extraction failed are skipped.
        Kinds a store does not hold (``logmel-chroma``, ``cnn`` and bags of ``cnn`` frames) are
        computed from the audio.

    Returns
    -------
    X : np.ndarray or FeatureStack [shape=(n_tracks, n_features, n_frames), dtype=float32]
        A `fasttag.feature_stack.FeatureStack` with ``store``.
    Y : np.ndarray [shape=(n_tracks, len(vocabulary)), dtype=float32]

    Raises
    ------
    FasttagError
        The split has no tracks, or none of them can be read; the store does not fit (see
        `fasttag.store_features.store_features`).
    """
    tracks = dataset.subset(split).tracks
    if not tracks:
        raise FasttagError(f"{data} has no tracks in the {split!r} split")
    keep = set(vocabulary)
    Y = multi_hot([t._replace(tags=[tag for tag in t.tags if tag in keep]) for t in tracks], vocabulary)
    if store is None or frame_kind(params) not in STORED_KINDS:
        X, unreadable = extract_readable(params, [t.path for t in tracks], progress=progress)
    else:
        X, unreadable = store_features(store, tracks, params, lazy=True)  # read a batch at a time
    if unreadable:
        errors = "; ".join(error for _, error in unreadable[:3]) + ("; ..." if len(unreadable) > 3 else "")
        _warnings.warn(f"skipped {len(unreadable)} of the {len(tracks)} tracks of the {split!r} split that cannot "
                       f"be read: {errors}")
    return X, np.delete(np.asarray(Y), [i for i, _ in unreadable], axis=0)
