"""The kernel builds that this CPU runs but this process does not.

The C++ core holds three builds of every kernel and picks one at first use: AVX-512 where the CPU
and OS run it, else AVX2+FMA, else the portable baseline (``FASTTAG_KERNELS`` forces one). A run
calls only its own build, so each other build the CPU runs goes through the kernels' test files in a
child pytest. Forcing a build the CPU cannot run is an error naming it: tested only on CPUs that
lack a build.
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

# FASTTAG_KERNELS value -> the isa() of that build, widest first.
BUILDS = {"avx512": "avx512", "avx2": "avx2+fma", "baseline": "baseline"}


def _isa_with(value: str, tmp_path) -> subprocess.CompletedProcess:
    """A child's ``fasttag._core.isa()`` with FASTTAG_KERNELS set to ``value`` (run outside the checkout, so
    it imports the installed package)."""
    env = dict(os.environ, FASTTAG_KERNELS=value)
    return subprocess.run([sys.executable, "-c", "from fasttag import _core; print(_core.isa())"], env=env,
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def _widest_runnable(tmp_path) -> int:
    """Index in BUILDS of the build that ``auto`` chooses: the widest this CPU runs (this process may run a
    forced one)."""
    return list(BUILDS.values()).index(_isa_with("auto", tmp_path).stdout.strip())


def test_fasttag_kernels_chooses_the_build(tmp_path):
    """A build the CPU runs is forced by name; auto and empty choose the widest; a build the CPU lacks is an
    error naming the variable; another value is an error naming it."""
    widest = _widest_runnable(tmp_path)
    for index, (value, isa) in enumerate(BUILDS.items()):
        child = _isa_with(value, tmp_path)
        if index >= widest:
            assert child.stdout == f"{isa}\n", child.stderr
        else:
            assert child.returncode != 0 and f"FASTTAG_KERNELS='{value}' forces the {value}" in child.stderr
    assert _isa_with("", tmp_path).stdout == f"{list(BUILDS.values())[widest]}\n"
    refused = _isa_with("avx1024", tmp_path)
    assert refused.returncode != 0
    assert "FASTTAG_KERNELS='avx1024' must be 'auto', 'baseline', 'avx2' or 'avx512'" in refused.stderr


@pytest.mark.parametrize("build", list(BUILDS))
def test_another_build_passes_the_kernel_tests(child_pytest, tmp_path, build):
    """Every build the CPU runs but this process does not passes the kernels' test files."""
    if BUILDS[build] == _core.isa():
        pytest.skip(f"this process runs the {build} build: the whole test run covers it")
    if list(BUILDS).index(build) < _widest_runnable(tmp_path):
        pytest.skip(f"this CPU cannot run the {build} build")
    status, output = child_pytest(KERNEL_FILES, {"FASTTAG_KERNELS": build})
    assert status == 0, f"the {build} kernels failed their tests:\n{output[-6000:]}"
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 900, f"too few kernel tests ran:\n{output[-3000:]}"
