"""Real-input discrete Fourier transforms over the last axis: the FFT and the O(N^2) DFT."""

from __future__ import annotations

import numpy as np

from . import _core, _validate
from ._workers import resolve_workers

__all__ = ["rfft", "dft"]


def _rows_of_length(x, n, name: str = "x") -> tuple[np.ndarray, tuple[int, ...]]:
    """x cropped or zero-padded to n samples on its last axis, as (rows, n), plus the lead shape."""
    x = _validate.float_array(x, name, check_finite=False)  # the kernel scans for NaN/Inf
    n = x.shape[-1] if n is None else _validate.positive_int(n, "n")
    if n != x.shape[-1]:
        fitted = np.zeros(x.shape[:-1] + (n,), dtype=x.dtype)
        keep = min(n, x.shape[-1])
        fitted[..., :keep] = x[..., :keep]
        x = fitted
    return _validate.as_rows(x, 1), x.shape[:-1]


def rfft(x, n: int | None = None, *, workers: int | None = None) -> np.ndarray:
    """FFT of real input over the last axis, by fasttag's own C++ FFT (like ``numpy.fft.rfft``).

    Parameters
    ----------
    x : array_like [shape=(..., N)], real
        float32 stays float32; float64 stays float64; integers become float64.
    n : int > 0 or None
        Transform length: x is cropped or zero-padded to n samples; default N.
        Lengths 2^a 3^b 5^c take the mixed-radix path, others Bluestein's.
    workers : int or None
        Threads over rows (scipy.fft's convention).

    Returns
    -------
    np.ndarray [shape=(..., n // 2 + 1)], complex64 or complex128

    Examples
    --------
    >>> import numpy as np
    >>> import fasttag
    >>> X = fasttag.rfft(np.random.default_rng(0).standard_normal((64, 512)).astype(np.float32))
    >>> X.shape, X.dtype
    ((64, 257), dtype('complex64'))
    """
    rows, lead = _rows_of_length(x, n)
    with _validate.core_errors():
        return _core.rfft(rows, resolve_workers(workers)).reshape(lead + (-1,))


def dft(x, n: int | None = None, *, workers: int | None = None) -> np.ndarray:
    """Real-input DFT by the direct O(N^2) sum: the reference :func:`rfft` replaces.

    Same parameters, shapes and dtypes as :func:`rfft`; use it to check or to time the FFT.
    """
    rows, lead = _rows_of_length(x, n)
    with _validate.core_errors():
        return _core.dft(rows, resolve_workers(workers)).reshape(lead + (-1,))
