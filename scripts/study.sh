#!/usr/bin/env bash
# The founding study's table on a generated collection (issue 7): not part of CI.
#
#   bash scripts/study.sh                          # 2,000 clips of 29.12 s, full-size models, CPU
#   DEVICE=cuda bash scripts/study.sh              # the same, the taggers on a GPU
#   N_TRACKS=2000 EPOCHS=30 OUT=study_out bash scripts/study.sh
#
# 1. `fasttag generate` writes N_TRACKS clips (FLAC, 12 kHz, seed SEED) and their manifest
#    under OUT/data, rendered on all CPUs; an existing manifest of the same size is reused;
# 2. `fasttag experiment study` computes log-mel, MFCC and chroma features with fasttag (CPU),
#    trains FCN-5, CRNN, MFCC/CNN + BoF (K = 1024), MFCC/CNN + LSTM and FCN-5 with a key-profile
#    head on chroma on DEVICE, and writes OUT/study/study.md and study.json (the table) and the
#    seven runs.
#
# Cost: Choi's FCN-5 (25 M weights) takes about 1.6 s per 29.12 s clip per training step on
# two CPU cores (2026-11-30), so the full study is a GPU job. STUDY_ARGS passes more options
# to `fasttag experiment study` (e.g. "--size small" for narrow models on a CPU, "--size quick" for a smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
N_TRACKS=${N_TRACKS:-2000}
SECONDS_PER_CLIP=${SECONDS_PER_CLIP:-29.12}
SEED=${SEED:-0}
EPOCHS=${EPOCHS:-30}
DEVICE=${DEVICE:-cpu}
OUT=${OUT:-study_out}
mkdir -p "$OUT"

FASTTAG="$(dirname "$PYTHON")/fasttag"
if [[ -f "$OUT/data/manifest.csv" && $(wc -l <"$OUT/data/manifest.csv") -eq $((N_TRACKS + 1)) ]]; then
    echo "$OUT/data/manifest.csv: $N_TRACKS clips already there"
else
    "$FASTTAG" generate --out "$OUT/data" --n-tracks "$N_TRACKS" --seconds "$SECONDS_PER_CLIP" --seed "$SEED"
fi

# shellcheck disable=SC2086  # STUDY_ARGS is a list of options
"$FASTTAG" experiment study --data "$OUT/data/manifest.csv" --out "$OUT/study" \
    --seconds "$SECONDS_PER_CLIP" --epochs "$EPOCHS" --seed "$SEED" --device "$DEVICE" ${STUDY_ARGS:-}
