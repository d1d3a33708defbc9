"""The portable (baseline) kernels on a CPU that would choose AVX2.

The C++ core holds two builds of every kernel and picks one at first use: AVX2+FMA where the
CPU has them, else the portable baseline. A plain run on an AVX2 machine never calls the
baseline, so ``FASTTAG_KERNELS=baseline`` forces it in a child pytest of the kernels' test files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from fasttag import _core

KERNEL_FILES = ["tests/test_fft.py", "tests/test_stft.py", "tests/test_mel.py", "tests/test_mfcc.py",
                "tests/test_chroma.py", "tests/test_rhythm.py", "tests/test_decibels.py", "tests/test_kmeans.py",
                "tests/test_batch.py"]


def _isa_with(value: str, tmp_path) -> subprocess.CompletedProcess:
    """A child's ``fasttag._core.isa()`` with FASTTAG_KERNELS set to ``value`` (run outside the checkout, so
    it imports the installed package)."""
    env = dict(os.environ, FASTTAG_KERNELS=value)
    return subprocess.run([sys.executable, "-c", "from fasttag import _core; print(_core.isa())"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_fasttag_kernels_chooses_the_build(tmp_path):
    """baseline forces the portable build; auto and empty choose by the CPU; another value is an error naming it."""
    assert _isa_with("baseline", tmp_path).stdout == "baseline\n"
    for value in ("auto", ""):
        assert _isa_with(value, tmp_path).stdout == f"{_core.isa()}\n"
    refused = _isa_with("avx512", tmp_path)
    assert refused.returncode != 0 and "FASTTAG_KERNELS='avx512' must be 'auto' or 'baseline'" in refused.stderr


def test_the_baseline_kernels_pass_the_kernel_tests(child_pytest):
    if _core.isa() == "baseline":
        pytest.skip("this CPU runs the baseline kernels already: the whole test run covers them")
    status, output = child_pytest(KERNEL_FILES, {"FASTTAG_KERNELS": "baseline"})
    assert status == 0, f"the baseline kernels failed their tests:\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 900, f"too few kernel tests ran:\n{output[-3000:]}"
