#!/usr/bin/env bash
# The whole GPU check as one call on a lent GPU machine (the device tool): Python 3.12 with
# torch, numba-cuda, pytest-benchmark and the build tools already there, but no network and no
# soundfile/soxr. Here, once: `bash scripts/gpu_wheels.sh`; then, through the device tool:
#
#   run(command="bash scripts/gpu_lease.sh", carry=[".whl"], timeout_s=540)
#
# It installs the carried wheels, builds the C++ extension in place, runs scripts/gpu_check.sh
# (SKIP_BENCH, CHOI_CLIPS and KMEANS_ROWS pass through) and leaves its log and the benchmark
# JSON in $OUT. Back here: `.venv/bin/python benchmarks/run_benchmarks.py --gpu-from-json
# <files_at>/bench_cuda.json` writes the GPU section of benchmarks/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-.}
stamp() { echo "== $(date +%T) $*"; }
stamp "wheels"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
stamp "build"
python3 -m pip install -q --no-build-isolation --no-deps -e . 2>&1 | tail -20
stamp "checks"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,memory.total --format=csv || true
PYTHON=python3 OUT_DIR="$OUT" bash scripts/gpu_check.sh 2>&1 | tee "$OUT/gpu_check.log"
stamp "done"
