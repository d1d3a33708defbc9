"""The ``workers=`` convention of scipy.fft: thread counts for the C++ kernels."""

from __future__ import annotations

import contextlib
import numbers
import os
import threading

from .errors import ParameterError

_state = threading.local()

#: The most threads a call may ask for (the core's thread count is a C int).
_MAX_THREADS = 2**31 - 1


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def get_workers() -> int:
    """The default thread count of this thread (1 unless changed by :func:`set_workers`)."""
    return getattr(_state, "workers", 1)


def resolve_workers(workers: int | None) -> int:
    """Turn a ``workers=`` argument into a positive thread count.

    ``None`` takes :func:`get_workers`; a negative count counts back from the number of
    CPUs (``-1`` = all of them); ``0`` is an error.
    """
    if workers is None:
        return get_workers()
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        raise ParameterError(f"workers={workers!r} must be an integer or None")
    workers = int(workers)
    if workers > _MAX_THREADS:
        raise ParameterError(f"workers={workers} is more threads than the core starts (at most {_MAX_THREADS})")
    if workers == 0:
        raise ParameterError("workers=0 must be nonzero (None for the default, -1 for all CPUs)")
    if workers < 0:
        count = _cpu_count() + 1 + workers
        if count < 1:
            raise ParameterError(f"workers={workers} asks for fewer than one of {_cpu_count()} CPUs")
        return count
    return workers


@contextlib.contextmanager
def set_workers(workers: int):
    """Context manager for the default ``workers`` of fasttag calls in this thread.

    Parameters
    ----------
    workers : int, not 0
        Threads for calls that leave ``workers=None``; negative counts back from the CPU count
        (-1 = all), as in scipy.fft. The previous default comes back when the block ends.

    Examples
    --------
    >>> import fasttag
    >>> sr = 22050
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=sr)
    >>> with fasttag.set_workers(-1):
    ...     S = fasttag.logmel(y, sr=sr)   # all CPUs
    >>> fasttag.get_workers()   # the default again after the block
    1
    """
    previous = get_workers()
    _state.workers = resolve_workers(workers)
    try:
        yield
    finally:
        _state.workers = previous
