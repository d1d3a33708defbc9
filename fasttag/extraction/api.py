"""The public entry point: `extract` a collection into a store, and its `ExtractSummary`."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass

from fasttag._workers import resolve_workers
from fasttag.errors import ParameterError

from .decode import _params
from .params import _KILL_WORKER_ENV, ExtractParams
from .runners import _run_dask, _run_inline, _run_pool
from .sources import find_tracks



@dataclass
class ExtractSummary:
    """What a run did: counts, the audio seconds processed, and this run's failures ``[(id, error)]``
    and warnings ``[(id, warning)]`` (a silent, zero-padded or truncated track).

    ``skipped`` tracks were already in the store (done, or failed before: ``failed_before``
    of them, not tried again without ``retry_failed``).
    """

    store: str
    total: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    failed_before: int = 0
    warned: int = 0
    audio_seconds: float = 0.0
    elapsed: float = 0.0
    failures: list = dataclasses.field(default_factory=list)
    warnings: list = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        speed = self.audio_seconds / self.elapsed if self.elapsed > 0 else 0.0
        rate = self.done / self.elapsed if self.elapsed > 0 else 0.0
        return (f"{self.total} tracks: {self.done} done, {self.skipped} skipped (already in the store), "
                f"{self.failed} failed{f' (and {self.failed_before} before)' if self.failed_before else ''}, "
                f"{self.warned} with warnings; {rate:.1f} tracks/s, "
                f"{speed:.0f}x realtime, {self.elapsed:.1f} s -> {self.store}")  # fmt: skip


def extract(source, store, *, params: ExtractParams | None = None, ids=None, workers: int | None = None,
            scheduler=None, overwrite: bool = False, retry_failed: bool = False, progress: bool = False,
            **kwargs) -> ExtractSummary:
    """Extract the features of a collection into a feature store, resuming what is there.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A folder (recursive, see `AUDIO_EXTENSIONS`), a manifest CSV (``path`` column,
        optional ``track_id``), MagnaTagATune's ``annotations_final.csv`` (or its folder)
        or audio file paths; see `find_tracks`.
    store : str or os.PathLike
        The store's folder (created if missing); see `fasttag.store.FeatureStore`.
    params : ExtractParams, optional
        What to compute; or give its fields as keywords (``feature="logmel", sr=12000,
        n_fft=512, hop_length=256, n_mels=96, duration=29.12, crop="center"``...).
    ids : sequence of str, optional
        Track ids for a sequence of paths (default: paths relative to their common folder).
    workers : int or None
        Worker processes (local) or, with ``scheduler=True``, local Dask workers. None:
        :func:`fasttag.get_workers` (1, in this process, unless a ``fasttag.set_workers`` block
        says more); negative counts back from the CPU count (-1 = all).
    scheduler : str, True or None
        A Dask scheduler address (``"tcp://host:8786"``) to run on a cluster; True starts a
        local Dask cluster of ``workers`` processes; None uses local processes. The store
        must be on a file system that the Dask workers see at the same path.
    overwrite : bool
        Recompute everything when the store was made with other parameters (otherwise
        that is an error).
    retry_failed : bool
        Try again the tracks that failed before (by default they are skipped too).
    progress : bool
        A tqdm bar (tracks/s, x realtime, ETA) on stderr.

    Returns
    -------
    ExtractSummary
        Counts of tracks done, skipped (already in the store) and failed, and the failures.

    Raises
    ------
    ParameterError
        Bad parameters, no input tracks, or a store made with other parameters.

    Notes
    -----
    A track that cannot be used (missing, empty, corrupt or unsupported file, fewer than
    ``n_fft`` samples) is recorded as failed with its error and the run goes on; a silent
    track (peak at or below -120 dBFS) or a truncated one (shorter than its header says: a
    partial download) is stored from what it holds and flagged with a ``warning``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import soundfile as sf
    >>> import fasttag
    >>> Path("music/rock").mkdir(parents=True)
    >>> for seed in (1, 2):
    ...     sf.write(f"music/rock/track{seed}.flac", fasttag.datasets.example_audio(seconds=30.0, seed=seed), 22050)
    >>> summary = fasttag.extract("music/", "features/", duration=29.12)  # in this process (workers=-1: one per CPU)
    >>> summary.done, summary.failed
    (2, 0)
    >>> X = fasttag.FeatureStore("features/")["rock/track1.flac"]
    >>> X.shape
    (96, 1366)

    A store of the first 29.12 s (``crop="start"``) feeds training without decoding again
    (`fasttag.store_features.store_features`, ``fasttag train --store``); with
    MagnaTagATune in ``magnatagatune/``:

    >>> summary = fasttag.extract("magnatagatune/", "mtat_logmel/", duration=29.12, crop="start",
    ...                           workers=-1)  # doctest: +SKIP
    """
    from fasttag.store import FeatureStore  # the store module imports this one

    params = _params(params, kwargs)
    params.check()
    workers = resolve_workers(workers)
    if not (scheduler is None or scheduler is True or isinstance(scheduler, str)):
        raise ParameterError(f"scheduler={scheduler!r} must be a Dask scheduler address, True or None")
    tracks = find_tracks(source, ids)
    started = time.perf_counter()
    writer = FeatureStore.open_for_writing(store, params, overwrite=overwrite)
    summary = ExtractSummary(store=str(writer.root), total=len(tracks))
    tasks = []
    kill_on = os.environ.get(_KILL_WORKER_ENV) or None
    for track_id, path in tracks:
        stat = _stat(path)
        if writer.is_current(track_id, path, stat, retry_failed=retry_failed):
            summary.skipped += 1
            summary.failed_before += writer.records[track_id]["status"] != "done"
            continue
        tasks.append({"id": track_id, "path": path, "params": params.as_dict(), "digest": params.digest(),
                      "file": writer.array_name(track_id), "array": str(writer.array_path(track_id)),
                      "tmp_dir": str(writer.tmp_dir), "stat": stat, "kill_on": kill_on})  # fmt: skip
    bar = _progress_bar(len(tasks), progress)

    def on_result(record: dict) -> None:
        writer.append(record)
        if record["status"] == "done":
            summary.done += 1
            summary.audio_seconds += record.get("audio_seconds") or 0.0
            if record.get("warning") is not None:
                summary.warned += 1
                summary.warnings.append((record["id"], record["warning"]))
        else:
            summary.failed += 1
            summary.failures.append((record["id"], record["error"]))
        if bar is not None:
            elapsed = time.perf_counter() - started
            bar.set_postfix_str(f"{summary.audio_seconds / max(elapsed, 1e-9):.0f}x realtime, "
                                f"{summary.failed} failed", refresh=False)  # fmt: skip
            bar.update(1)

    try:
        if scheduler is not None:
            _run_dask(tasks, scheduler, workers, on_result)
        elif workers == 1:  # otherwise a pool even for one track: a crash in it must not end the run
            _run_inline(tasks, on_result)
        else:
            _run_pool(tasks, min(workers, len(tasks)), on_result)
    finally:
        if bar is not None:
            bar.close()
        writer.close()
    summary.elapsed = time.perf_counter() - started
    return summary


def _stat(path: str) -> dict:
    try:
        st = os.stat(path)
    except OSError:
        return {"size": None, "mtime_ns": None}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _progress_bar(total: int, enabled: bool):
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="track", desc="extract", dynamic_ncols=True, smoothing=0.05)

