#!/usr/bin/env bash
# Wheels that fasttag needs and the lent GPU machine lacks (see scripts/gpu_lease.sh), for its
# Python 3.12 on x86-64, downloaded here into .whl/ (ignored by git; about 2 MB). The versions
# are those this project is tested with.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS="soundfile==0.14.0 cffi==2.1.1 pycparser==3.12 soxr==1.1.0 nnAudio==0.3.4"
mkdir -p .whl
for wheel in $WHEELS; do
    python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux2014_x86_64 -d .whl "$wheel"
done
ls .whl
