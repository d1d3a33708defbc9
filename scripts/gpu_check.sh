#!/usr/bin/env bash
# GPU checks for fasttag's CUDA backend (issue 6), for a machine with an NVIDIA GPU.
# Builds and installs nothing: run it from the repository root with the project's
# environment already in place (fasttag installed with the `cuda` extra: numba + numba-cuda
# with the CUDA 12 libraries, and a CUDA build of torch for the torch peers). On a machine
# lent by the device tool, scripts/gpu_lease.sh sets that up and runs this.
#
#   bash scripts/gpu_check.sh            # parity tests at full size, then the benchmark
#   CHOI_CLIPS=16 KMEANS_ROWS=200000 bash scripts/gpu_check.sh   # a quicker benchmark
#   SKIP_BENCH=1 bash scripts/gpu_check.sh
#
# 1. preflight: numba sees the GPU (not the simulator);
# 2. tests/test_cuda_*.py directly on the GPU: the simulator's parity tests at full size
#    (Choi's 4 x 29.12 s at 12 kHz, n_fft 512, 96 mels; chroma, onset strength and tempogram
#    on 30 s clips at librosa's defaults; k-means 100,003 x 90 against K = 1024), fresh
#    seeded inputs, every output poisoned with NaN before the kernels run, torch CUDA tensors
#    in and out, and LogMel on cuda; a tagger trained with device="cuda" against the CPU;
# 3. benchmarks/test_bench_cuda.py: the copy and float32 product ceilings; Choi log-mel and
#    30 MFCCs + deltas by fasttag CUDA, torch.stft + matmul on the same GPU and fasttag's CPU
#    path, with the transfers timed alone; chroma and tempogram at librosa's defaults; k-means
#    assignment (1M x 90 to K = 1024) against a cuBLAS GEMM of the same shape. The JSON goes to $OUT_DIR/bench_cuda.json; here,
#    `.venv/bin/python benchmarks/run_benchmarks.py --gpu-from-json bench_cuda.json` writes
#    it into the GPU section of benchmarks/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
OUT_DIR=${OUT_DIR:-${OUT:-.}}
unset NUMBA_ENABLE_CUDASIM
# Warnings are shown, not raised as the test suite's configuration does: a third-party warning on
# the GPU machine (its own numba-cuda, CUDA 13, torch) must not cost a lease's parity figures.
WARNINGS=(-W default)

"$PYTHON" - <<'PY'
import numba, numba.cuda as cuda, fasttag.cuda as fc
print("numba", numba.__version__, "numba.cuda:", getattr(cuda, "implementation", "numba-cuda"))
assert not fc.simulator(), "NUMBA_ENABLE_CUDASIM is on: this is a GPU check"
assert fc.is_available(), "numba sees no CUDA GPU (driver, or the CUDA libraries of the cuda extra, missing)"
cuda.detect()
try:
    import torch
    print("torch", torch.__version__, "cuda:", torch.cuda.is_available())
except ImportError:
    print("torch missing: the torch peers are skipped")
PY

# Each step runs even when an earlier one failed (its timings are still worth the lease); the
# exit status is 1 if any failed.
failed=0
"$PYTHON" -m pytest tests/test_cuda_spectral.py tests/test_cuda_chroma.py tests/test_cuda_rhythm.py \
    tests/test_cuda_kmeans.py tests/test_cuda_torch.py tests/test_cuda_sim.py -q -ra -p no:cacheprovider -o log_cli=false "${WARNINGS[@]}" || failed=1
# taggers trained on the GPU against the same training on the CPU (torch CUDA)
"$PYTHON" -m pytest tests/test_training.py -k "cuda or device" -q -ra -p no:cacheprovider -o log_cli=false \
    "${WARNINGS[@]}" || failed=1

if [ -z "${SKIP_BENCH:-}" ]; then
    "$PYTHON" -m pytest benchmarks/test_bench_cuda.py -p no:cacheprovider -o log_cli=false "${WARNINGS[@]}" \
        --choi-clips="${CHOI_CLIPS:-64}" --gpu-kmeans-rows="${KMEANS_ROWS:-1000000}" \
        --benchmark-min-rounds=5 --benchmark-max-time=0.5 \
        --benchmark-columns=median,iqr,min,rounds --benchmark-sort=name \
        --benchmark-json="$OUT_DIR/bench_cuda.json" || failed=1
fi
exit "$failed"
