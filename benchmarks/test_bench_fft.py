"""FFT suite: real-input FFT of a batch of frames, fasttag against its peers, per size.

Every backend of group ``rfft-{N}`` transforms the same (ROWS, N) float32 batch on one
thread: the O(N^2) direct DFT (``fasttag.dft``), fasttag's FFT, numpy.fft, scipy.fft
(``workers=1``) and FFTW through pyFFTW (FFTW_MEASURE plan built once, outside the timing).
Each timed result is checked against numpy.fft on the float64 input. RESULTS.md reports
time per frame (median / ROWS) and the ratios DFT/FFT and peer/fasttag.
"""

from __future__ import annotations

import numpy as np
import pytest

import fasttag

ROWS = 256  # frames per batch: one call transforms ROWS frames of N samples
SIZES = (64, 128, 256, 512, 1024, 2048, 4096, 1000, 1009)  # 1000 = 2^3 5^3; 1009 is prime
DFT_MAX = 2048  # the direct DFT is O(N^2): 2048 already costs ~0.15 s a call
BACKENDS = ("dft", "fasttag", "numpy", "scipy", "pyfftw")
RTOL = 1e-5  # float32 transforms, relative 2-norm error of each row (pocketfft's test level)


def _cases():
    for n in SIZES:
        for backend in BACKENDS:
            if backend == "dft" and n > DFT_MAX:
                continue
            # The direct DFT gets few rounds: it is the reference, not the subject.
            options = {"min_rounds": 3, "max_time": 0.2} if backend == "dft" else {}
            yield pytest.param(backend, n, id=f"{backend}-{n}",
                               marks=pytest.mark.benchmark(group=f"rfft-{n}", **options))


def prepare(backend: str, x: np.ndarray):
    """A zero-argument callable computing the rfft of ``x`` (rows) with ``backend`` on one thread."""
    if backend == "dft":
        return lambda: fasttag.dft(x, workers=1)
    if backend == "fasttag":
        return lambda: fasttag.rfft(x, workers=1)
    if backend == "numpy":
        return lambda: np.fft.rfft(x, axis=-1)
    if backend == "scipy":
        scipy_fft = pytest.importorskip("scipy.fft")
        return lambda: scipy_fft.rfft(x, axis=-1, workers=1)
    if backend == "pyfftw":
        pyfftw = pytest.importorskip("pyfftw")
        rows, n = x.shape
        src = pyfftw.empty_aligned((rows, n), dtype=np.float32)
        dst = pyfftw.empty_aligned((rows, n // 2 + 1), dtype=np.complex64)
        # Planning with FFTW_MEASURE overwrites the arrays, so the data goes in afterwards.
        plan = pyfftw.FFTW(src, dst, axes=(-1,), direction="FFTW_FORWARD", flags=("FFTW_MEASURE",), threads=1)
        src[:] = x
        return plan  # plan() executes on its own arrays and returns dst
    raise ValueError(f"unknown backend {backend!r}")


def row_errors(got: np.ndarray, ref: np.ndarray) -> float:
    """Largest relative 2-norm error over the rows."""
    return float(np.max(np.linalg.norm(got - ref, axis=-1) / np.linalg.norm(ref, axis=-1)))


@pytest.mark.parametrize(("backend", "n"), list(_cases()))
def test_rfft(benchmark, frames_batch, backend, n):
    x = frames_batch(ROWS, n)
    ref = np.fft.rfft(x.astype(np.float64), axis=-1)
    fn = prepare(backend, x)
    out = benchmark(fn)
    assert out.shape == (ROWS, n // 2 + 1)
    if backend in ("dft", "fasttag"):  # float32 in -> complex64 out (numpy < 2 gives complex128)
        assert out.dtype == np.complex64, f"{backend} returned {out.dtype} for float32 input"
    err = row_errors(out, ref)
    benchmark.extra_info.update(kind="rfft", backend=backend, n=n, rows=ROWS, rel_err=err)
    assert err <= RTOL, f"{backend} rfft N={n}: relative error {err:.3g} > {RTOL}"
