"""Vector normalisation along one axis, librosa.util.normalize's rule (chroma, tempogram)."""

from __future__ import annotations

import numbers

import numpy as np

from .errors import ParameterError


def check_norm(norm, name: str = "norm"):
    """``norm`` if it is None, +-inf, 0 or a positive number; else ParameterError naming ``name``."""
    if norm is None:
        return None
    if isinstance(norm, (bool, np.bool_)) or not isinstance(norm, numbers.Real) or np.isnan(norm) or norm < 0 \
            and norm != -np.inf:
        raise ParameterError(f"{name}={norm!r} must be None, np.inf, -np.inf, 0 or a positive number")
    return float(norm)


def normalize(S: np.ndarray, norm, axis: int) -> np.ndarray:
    """``S`` divided by its ``norm`` along ``axis`` (librosa.util.normalize, threshold=tiny, fill=None).

    norm: None (unchanged), inf (max |S|), -inf (min |S|), 0 (count of nonzeros), p > 0
    (p-norm). Vectors whose norm is below the dtype's smallest normal number are left as
    they are (librosa's ``fill=None``). The result has S's dtype; the arithmetic runs in
    S's dtype (librosa divides in float64, then rounds).
    """
    norm = check_norm(norm)
    if norm is None:
        return S
    mag = np.abs(S)
    if norm == np.inf:
        length = np.max(mag, axis=axis, keepdims=True)
    elif norm == -np.inf:
        length = np.min(mag, axis=axis, keepdims=True)
    elif norm == 0:
        length = np.sum(mag > 0, axis=axis, keepdims=True, dtype=S.dtype)
    elif norm == 2:
        length = np.sqrt(np.sum(mag * mag, axis=axis, keepdims=True))
    else:
        length = np.sum(mag**norm, axis=axis, keepdims=True) ** (1.0 / norm)
    length[length < np.finfo(S.dtype).tiny] = 1
    return S / length
