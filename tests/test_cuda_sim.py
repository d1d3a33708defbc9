"""The GPU backend on a machine without a GPU.

* ``test_kernels_in_the_simulator`` runs tests/test_cuda_spectral.py and test_cuda_kmeans.py
  in a child pytest with ``NUMBA_ENABLE_CUDASIM=1`` (the simulator must be switched on before
  numba is imported, and this process has imported it already), so a plain ``pytest`` runs
  the kernels' parity tests everywhere. Where those files run directly (a GPU, or this
  process already in the simulator) it is skipped instead.
* ``device="cuda"`` without CUDA is a clear FasttagError; a bad device name is a ParameterError;
  ``fasttag.cuda`` imports without numba.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

ROOT = Path(__file__).resolve().parents[1]
SIMULATED_FILES = ["tests/test_cuda_spectral.py", "tests/test_cuda_kmeans.py"]


def _has_numba() -> bool:
    try:
        import numba
    except ImportError:
        return False
    return numba is not None


def _pytest_command() -> list[str]:
    script = Path(sys.executable).with_name("pytest")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pytest"]


@pytest.mark.skipif(not _has_numba(), reason="numba is not installed (pip install numba to test the GPU kernels)")
def test_kernels_in_the_simulator():
    if fc.simulator() or fc.is_available():
        pytest.skip("the CUDA test files run directly in this session")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    command = _pytest_command() + SIMULATED_FILES + ["-q", "-p", "no:cacheprovider", "-o", "log_cli=false"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"simulated CUDA tests failed:\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 20, f"too few simulated CUDA tests passed:\n{output[-3000:]}"
    skipped = re.search(r"(\d+) skipped", output)
    assert not skipped or int(skipped.group(1)) <= 1, f"simulated CUDA tests were skipped:\n{output[-3000:]}"


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


def test_importing_fasttag_cuda_does_not_import_numba(tmp_path):
    code = "import sys, fasttag, fasttag.cuda; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False"
