# One-command set-up: `make demo` and `make test` build everything from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0
# CI builds with warnings as errors; users get the same flags without -Werror.
CMAKE_ARGS ?= -Ccmake.define.FASTTAG_WERROR=ON

# `make sanitize`: the C++ core under AddressSanitizer + UBSan (GCC), in its own venv and build folder, on the
# kernels' test files (SAN_TESTS; FASTTAG_KERNELS=baseline|avx2|avx512 picks a build). Not run by CI.
SAN_VENV  := .venv-asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SAN_ARGS  := -Cbuild-dir=build/asan -Ccmake.build-type=RelWithDebInfo \
             -Ccmake.define.CMAKE_CXX_FLAGS="$(SAN_FLAGS)" -Ccmake.define.CMAKE_SHARED_LINKER_FLAGS="$(SAN_FLAGS)"
SAN_TESTS ?= tests/test_fft.py tests/test_stft.py tests/test_mel.py tests/test_kmeans.py tests/test_errors.py
# CPython is not instrumented: the runtimes are preloaded; it leaks by design.
SAN_RUN   := LD_PRELOAD="$$(gcc -print-file-name=libasan.so) $$(gcc -print-file-name=libubsan.so)" \
             ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1

.PHONY: venv install test demo bench clean sanitize

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: any looser request pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.13" ninja

venv: $(BIN)/python

install: venv
	$(BIN)/python -m pip install --quiet --no-build-isolation $(CMAKE_ARGS) ".[dev]"

test: install
	$(BIN)/pytest tests

demo: install
	$(BIN)/fasttag demo --out demo_out

bench: install
	$(BIN)/python benchmarks/run_benchmarks.py

sanitize:
	$(MAKE) install VENV=$(SAN_VENV) CMAKE_ARGS='$(SAN_ARGS)'
	$(SAN_RUN) $(SAN_VENV)/bin/pytest --capture=sys $(SAN_TESTS)  # fd capture would swallow a report

clean:
	rm -rf build $(VENV) $(SAN_VENV) demo_out .pytest_cache
