"""Host time of a call to the GPU functions, without a GPU: Numba's CUDA simulator with every
kernel launch made a no-op, so what is timed is the Python around the kernels (validation,
constants, launch set-up, the simulator's stand-ins for copies). A lower bound on what a call
costs a GPU machine's CPU before its kernels run; on a GPU, launches and copies add to it.

    .venv/bin/python scripts/gpu_host_cost.py      # median of 7 repeats of 50 calls, in us
"""

from __future__ import annotations

import os
import statistics
import timeit

os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # before numba is imported

import numpy as np  # noqa: E402
from numba import cuda  # noqa: E402
from numba.cuda.simulator import kernel as simulated  # noqa: E402

import fasttag  # noqa: E402

simulated.FakeCUDAKernel.__call__ = lambda self, *args, **kwargs: None

CHOI = dict(sr=12000, n_fft=512, hop_length=256, n_mels=96)


def main() -> None:
    rng = np.random.default_rng(0)
    y = cuda.to_device(rng.standard_normal((4, 12000), dtype=np.float32))
    S = cuda.to_device(rng.random((4, 30, 47), dtype=np.float32))
    X = rng.standard_normal((1000, 90), dtype=np.float32)
    X_gpu, C_gpu = cuda.to_device(X), cuda.to_device(X[:64].copy())
    calls = {
        "logmel (Choi's parameters)": lambda: fasttag.logmel(y, device="cuda", **CHOI),
        "mfcc 30": lambda: fasttag.mfcc(y, n_mfcc=30, device="cuda", **CHOI),
        "delta width 9": lambda: fasttag.delta(S, width=9, device="cuda"),
        "k-means nearest": lambda: fasttag.cuda.nearest(X_gpu, C_gpu),
    }
    print("host time per call, device arrays in (simulator, kernel launches as no-ops)")
    for name, call in calls.items():
        call()
        seconds = statistics.median(timeit.repeat(call, number=50, repeat=7)) / 50
        print(f"  {name:28s} {seconds * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
