"""The GPU backend on a machine without a GPU.

* ``test_kernels_in_the_simulator`` runs the CUDA test files (SIMULATED_FILES) in a child pytest
  with ``NUMBA_ENABLE_CUDASIM=1`` (the simulator must be switched on before numba is imported,
  and this process has imported it already), so a plain ``pytest`` runs the kernels' parity
  tests everywhere. Where those files run directly (a GPU, or this process already in the
  simulator) it is skipped instead.
* ``device="cuda"`` without CUDA is a clear FasttagError; a bad device name is a ParameterError;
  ``fasttag.cuda`` imports without numba.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

ROOT = Path(__file__).resolve().parents[1]
SIMULATED_FILES = ["tests/test_cuda_spectral.py", "tests/test_cuda_chroma.py", "tests/test_cuda_rhythm.py",
                   "tests/test_cuda_kmeans.py", "tests/test_cuda_racecheck.py"]


def _has_numba() -> bool:
    try:
        import numba
    except ImportError:
        return False
    return numba is not None


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory, child_pytest):
    """The simulated CUDA test files, run once in a child pytest: (exit status, output, launches),
    where launches holds each distinct launch of fasttag's kernels {"kernel": qualified name,
    "module": ..., "args": types} (logged by conftest.py's ``cuda_launch_log``; the race
    checker's test kernels left out)."""
    if not _has_numba():
        pytest.skip("numba is not installed (pip install numba to test the GPU kernels)")
    if fc.simulator() or fc.is_available():
        pytest.skip("the CUDA test files run directly in this session")
    log = tmp_path_factory.mktemp("cuda") / "launches.jsonl"
    status, output = child_pytest(SIMULATED_FILES, {"NUMBA_ENABLE_CUDASIM": "1", "FASTTAG_CUDA_LAUNCH_LOG": str(log)})
    lines = set(log.read_text(encoding="utf-8").splitlines()) if log.exists() else set()
    launches = [entry for entry in map(json.loads, sorted(lines)) if entry["module"].startswith("fasttag.")]
    return status, output, launches


def test_kernels_in_the_simulator(simulated_run):
    returncode, output, launches = simulated_run
    assert returncode == 0, f"simulated CUDA tests failed:\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 20, f"too few simulated CUDA tests passed:\n{output[-3000:]}"
    skipped = re.search(r"(\d+) skipped", output)
    assert not skipped or int(skipped.group(1)) <= 1, f"simulated CUDA tests were skipped:\n{output[-3000:]}"
    launched = {entry["kernel"] for entry in launches}
    missing = set(_kernel_builders()) - launched
    assert not missing, f"kernels the simulated tests never launch: {missing}"


HOPPER = (9, 0)  # the compute capability of the H100/H200 that the GPU checks run on
N_FFTS = (512, 2048)  # Choi's and the CPU default; the largest each dtype allows is added


def _kernel_builders() -> dict:
    """Every kernel of fasttag.cuda._kernels by qualified name: build(dtype name, n_fft) ->
    (dispatcher, threads per block as launched). The factories' kernels depend on both."""
    from fasttag.cuda import _kernels as k

    elementwise_threads = k.grid_1d(1 << 20)[1]
    builders = {
        kernel.py_func.__qualname__: lambda dtype, n_fft, kernel=kernel: (kernel, elementwise_threads)
        for name, kernel in vars(k).items() if name.endswith("_kernel") and hasattr(kernel, "py_func")
    }
    stft, mel, _ = k.spectral_kernels(N_FFTS[0], "float32")
    builders[stft.py_func.__qualname__] = lambda dtype, n_fft: (k.spectral_kernels(n_fft, dtype)[0], k.THREADS)
    builders[mel.py_func.__qualname__] = lambda dtype, n_fft: (k.spectral_kernels(n_fft, dtype)[1], k.THREADS)
    assign = k.assign_kernel("float32")
    builders[assign[0].py_func.__qualname__] = lambda dtype, n_fft: (k.assign_kernel(dtype)[0],
                                                                     np.prod(k.ASSIGN_THREADS))
    return builders


def _ptxas() -> str:
    """ptxas's path, or a skip when numba-cuda, NVVM or ptxas (the cuda extra's compilers) is missing."""
    if importlib.util.find_spec("numba_cuda") is None:
        pytest.skip("numba-cuda is not installed (pip install 'fasttag[cuda]')")
    from cuda import pathfinder
    from numba.cuda.cudadrv import nvvm

    if not nvvm.is_available():
        pytest.skip("NVVM (the CUDA compiler numba-cuda uses) is not installed")
    ptxas = pathfinder.find_nvidia_binary_utility("ptxas") or shutil.which("ptxas")
    if not ptxas:
        pytest.skip("ptxas is not installed")
    return ptxas


def _numba_type(entry: list):
    """The Numba type of a launch log's argument (see conftest.py's ``_kernel_argument_type``)."""
    import numba

    if entry[0] == "array":
        _, dtype, ndim, layout = entry
        return numba.types.Array(numba.from_dtype(np.dtype(dtype)), ndim, layout)
    return numba.from_dtype(np.dtype(entry[1]))


def test_launched_kernels_compile_for_a_gpu(simulated_run, monkeypatch, tmp_path):
    """Every kernel signature the simulated tests launch, compiled by NVVM to PTX for Hopper and
    assembled by ptxas, on this machine without a GPU. The simulator runs kernels as Python, so
    only this finds what the CUDA target cannot type or lower (a shared array whose shape is not
    a literal, say). Each block's registers and static shared memory must fit an SM, without
    spills. The factories' kernels are built at several n_fft. Prints the resource table."""
    from numba import cuda

    ptxas = _ptxas()
    returncode, output, launches = simulated_run
    assert launches, f"the simulated tests logged no kernel launch:\n{output[-3000:]}"
    # numba-cuda compiles device functions for the current device's compute capability; here there is none
    monkeypatch.setattr(importlib.import_module("numba.cuda.dispatcher"), "get_current_device",
                        lambda: SimpleNamespace(compute_capability=HOPPER))
    from fasttag.cuda import _kernels as k

    builders = _kernel_builders()
    arch = f"sm_{HOPPER[0]}{HOPPER[1]}"
    rows = []
    for entry in launches:
        signature = tuple(_numba_type(a) for a in entry["args"])
        dtype = entry["args"][0][1]
        n_ffts = sorted({*N_FFTS, k.max_n_fft(np.dtype(dtype).itemsize)}) if "spectral" in entry["kernel"] else [None]
        for n_fft in n_ffts:
            kernel, threads = builders[entry["kernel"]](dtype, n_fft)
            ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=HOPPER)
            ptx_path = tmp_path / "kernel.ptx"
            ptx_path.write_text(ptx)
            report = subprocess.run([ptxas, f"-arch={arch}", "-v", str(ptx_path), "-o", str(tmp_path / "kernel.cubin")],
                                    capture_output=True, text=True, timeout=300)
            assert report.returncode == 0, f"{entry['kernel']} {signature}: ptxas failed\n{report.stderr[-3000:]}"
            registers = int(re.search(r"Used (\d+) registers", report.stderr).group(1))
            shared = re.search(r"(\d+) bytes smem", report.stderr)
            shared = int(shared.group(1)) if shared else 0
            spilled = sum(int(b) for b in re.findall(r"(\d+) bytes spill (?:stores|loads)", report.stderr))
            arrays = ",".join(a[1] for a in entry["args"] if a[0] == "array")
            name = entry["kernel"].replace(".<locals>", "") + (f"(n_fft={n_fft})" if n_fft else "") + f" [{arrays}]"
            rows.append(f"{threads:>4} threads {registers:>4} registers {shared:>6} B shared "
                        f"{spilled} B spilled  {name}")
            assert registers * threads <= 65536, f"{name}: {registers} registers x {threads} threads exceed an SM's 64K"
            assert shared <= 48 * 1024, f"{name}: {shared} bytes of static shared memory exceed 48 KiB"
            assert spilled == 0, f"{name}: {spilled} bytes of registers spilled to local memory"
    print(f"compiled for {arch}:", *rows, sep="\n")


@pytest.mark.skipif(importlib.util.find_spec("numba_cuda") is None or fc.simulator(),
                    reason="needs numba-cuda's CUDA target (its simulator gives no performance hints)")
def test_launches_silence_the_cuda_targets_performance_hints():
    """numba-cuda hints at every launch of fewer than 128 blocks (normal for small inputs) with
    its own NumbaPerformanceWarning class, which pytest here and users' filters would raise or
    show; fasttag's launches run in ``_runtime.quiet()``, which must silence it. No GPU needed:
    the hint comes when the launch is configured."""
    from fasttag.cuda import _kernels as k
    from fasttag.cuda import _runtime

    # numba-cuda caches each launch configuration and hints once, so each half has its own
    with _runtime.quiet():  # warnings are errors in this test suite
        k.finite_kernel[3, 96]
    with pytest.warns(Warning, match="Grid size 5 will likely result in GPU under-utilization"):
        k.finite_kernel[5, 96]


@pytest.mark.skipif(fc.is_available(), reason="CUDA is available here")
def test_cuda_without_a_gpu_is_a_clear_error(rng):
    y = rng.standard_normal(4000).astype(np.float32)
    with pytest.raises(fc.CudaUnavailableError, match="device='cuda'") as caught:
        fasttag.logmel(y, device="cuda")
    assert isinstance(caught.value, fasttag.FasttagError)
    with pytest.raises(fc.CudaUnavailableError, match="device='cuda'"):
        fasttag.KMeans(4, device="cuda").fit(rng.standard_normal((20, 3)))
    assert fasttag.logmel(y, device="cpu").shape[-1] == fasttag.frame_count(4000, n_fft=2048, hop_length=512)


@pytest.mark.parametrize("device", ["gpu", "cuda0", "", None])
def test_bad_device_names(rng, device):
    y = rng.standard_normal(4000).astype(np.float32)
    if device is None:
        with pytest.raises(fasttag.ParameterError, match="device=None must be 'cpu' or 'cuda'"):
            fasttag.stft(y, device=device)
        return
    with pytest.raises(fasttag.ParameterError, match=f"device={device!r} must be 'cpu' or 'cuda'"):
        fasttag.stft(y, device=device)
    with pytest.raises(fasttag.ParameterError, match=f"device={device!r} must be 'cpu' or 'cuda'"):
        fasttag.bag_of_frames(np.ones((3, 5)), np.ones((2, 3)), device=device)


def test_importable_without_numba(tmp_path):
    code = (
        "import sys; sys.modules['numba'] = None\n"
        "import numpy as np, fasttag, fasttag.cuda as fc\n"
        "assert not fc.is_available() and not fc.simulator()\n"
        "try:\n"
        "    fasttag.stft(np.zeros(4096, np.float32), n_fft=256, device='cuda')\n"
        "except fc.CudaUnavailableError as e:\n"
        "    assert 'needs numba' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
        "print('ok')\n"
    )
    # cwd elsewhere: ``python -c`` puts the working directory first on sys.path, and the source
    # tree (without the compiled _core) must not shadow the installed package.
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env={k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"})
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_importing_fasttag_cuda_does_not_import_numba_or_torch(tmp_path):
    code = "import sys, fasttag, fasttag.cuda; print('numba' in sys.modules, 'torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False False"
