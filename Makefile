# accelsmith — set-up, demo, tests, lint and benchmarks.
# Everything the project needs is installed here into .venv; nothing is assumed on the machine
# beyond python3 (>= 3.11) with venv, g++, make and perl.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# extras the test suite exercises; `make bench` adds the peers in the bench extra
EXTRAS ?= dev
JOBS   ?= 2

.PHONY: install demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: accelsmith needs Python >= 3.11 ($(PYTHON) is older)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/accelsmith generate systolic --rows 8 --cols 8 --dataflow ws --in-bits 8 --signed \
	  --out build/demo
	$(BIN)/accelsmith verify systolic --rows 8 --cols 8 --dataflow ws --in-bits 8 --signed \
	  --tiles 40 --seed 1 --report build/demo/verify.json
	@echo ""
	@echo "demo outputs in build/demo/:"
	@ls -1 build/demo | sed 's/^/  build\/demo\//'

test: install
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

test-fast: install
	$(BIN)/python -m pytest -n $(JOBS) -m "not sim and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@for b in bench/bench_*.py; do [ -e "$$b" ] || continue; echo "== $$b"; $(BIN)/python "$$b" || exit 1; done

clean:
	rm -rf build .pytest_cache .ruff_cache
