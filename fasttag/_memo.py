"""Filterbanks shared between calls: building one can take longer than transforming a clip."""

from __future__ import annotations

import functools

import numpy as np


def shared_filterbank(build):
    """``build``, its results kept for the 16 argument sets used last and returned read-only.

    A result is an array or a tuple holding arrays. Arguments are told apart by type too
    (``n_mels=8.0`` is not taken for a kept ``8``), and a call with an unhashable argument is
    built afresh, so ``build``'s own checks still refuse them and name the parameter.
    """
    cached = functools.lru_cache(maxsize=16, typed=True)(lambda *args, **kwargs: _read_only(build(*args, **kwargs)))

    @functools.wraps(build)
    def shared(*args, **kwargs):
        try:
            return cached(*args, **kwargs)
        except TypeError as error:
            if "unhashable" not in str(error):
                raise
            return build(*args, **kwargs)

    return shared


def _read_only(result):
    for item in result if isinstance(result, tuple) else (result,):
        if isinstance(item, np.ndarray):
            item.setflags(write=False)
    return result
