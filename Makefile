# One-command set-up: `make demo` and `make test` build everything from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0
# CI builds with warnings as errors; users get the same flags without -Werror.
CMAKE_ARGS ?= -Ccmake.define.FASTTAG_WERROR=ON

.PHONY: venv install test demo bench clean

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

clean:
	rm -rf build $(VENV) demo_out .pytest_cache
