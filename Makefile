# accelsmith — set-up, demo, tests, lint and benchmarks.
# Everything the project needs is installed here into .venv; nothing is assumed on the machine
# beyond python3 (>= 3.11) with venv, g++, make and perl.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# extras the test suite exercises (everything but the bench peers); `make bench` adds those
EXTRAS ?= all
# torch comes first and pinned: an unpinned one (pulled in by stable-baselines3) would download
# the CUDA build; 2.13.0 resolves to the CPU wheel
TORCH  ?= torch==2.13.0
JOBS   ?= 2
# Debian packages some tests need: PostgreSQL (multi-worker campaigns on a real server),
# Chromium (report/dashboard browser tests through Playwright; never `playwright install`),
# Yosys and OpenSTA (`accelsmith synth --target sky130hd`: native Yosys 0.23 with its ABC, and
# OpenSTA's `sta`, which has no PyPI build).
# Installed when missing if we are root with apt-get; otherwise those tests skip with the
# reason, except under CI=true where they run (and fail) so that nothing hides.
SYSPKGS ?= postgresql chromium yosys opensta

.PHONY: install system-deps demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: accelsmith needs Python >= 3.11 ($(PYTHON) is older)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

install: $(STAMP)

# Idempotent and cheap when everything is present (a few `test -x`); `apt-get update` runs
# once, only when a package is missing.
system-deps:
	@missing=""; for p in $(SYSPKGS); do \
	  case $$p in \
	    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing $$p";; \
	    chromium) command -v chromium >/dev/null 2>&1 || missing="$$missing $$p";; \
	    yosys) command -v yosys >/dev/null 2>&1 || missing="$$missing $$p";; \
	    opensta) command -v sta >/dev/null 2>&1 || missing="$$missing $$p";; \
	    *) dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p";; \
	  esac; done; \
	[ -n "$$missing" ] || exit 0; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: not installing$$missing (needs root and apt-get): the tests using them skip"; \
	  [ "$$CI" != true ] || { echo "error: CI=true needs$$missing"; exit 1; }; exit 0; fi; \
	echo "installing Debian packages:$$missing (apt-get, ~1-2 min)"; \
	export DEBIAN_FRONTEND=noninteractive; \
	log="$${TMPDIR:-/tmp}/accelsmith-apt.log"; \
	if { apt-get update -qq && apt-get install -y -qq$$missing; } >"$$log" 2>&1; then \
	  echo "installed:$$missing"; \
	else echo "error: apt-get install$$missing failed (see $$log)"; \
	  [ "$$CI" != true ] || exit 1; fi

demo: install
	$(BIN)/accelsmith generate systolic --rows 8 --cols 8 --dataflow ws --in-bits 8 --signed \
	  --out build/demo
	$(BIN)/accelsmith verify systolic --rows 8 --cols 8 --dataflow ws --in-bits 8 --signed \
	  --tiles 40 --seed 1 --report build/demo/verify.json
	@echo ""
	@echo "demo outputs in build/demo/:"
	@ls -1 build/demo | sed 's/^/  build\/demo\//'
	@# a short NSGA-II campaign on the ResNet-50 example (own name and storage, so it never
	@# touches a real sa-resnet50 run), then its self-contained HTML report
	@mkdir -p build/demo/campaign
	sed 's/^name: sa-resnet50$$/name: demo-sa-resnet50/' examples/campaigns/sa-resnet50.yaml \
	  > build/demo/campaign/spec.yaml
	$(BIN)/accelsmith dse run build/demo/campaign/spec.yaml --budget 200 \
	  --storage sqlite:///build/demo/campaign/study.db
	$(BIN)/accelsmith report sqlite:///build/demo/campaign/study.db -o build/demo/report.html
	@echo ""
	@echo "campaign report (open in a browser, works offline): $$(realpath build/demo/report.html)"
	@echo "interactive: $(BIN)/accelsmith dashboard sqlite:///build/demo/campaign/study.db"

test: install system-deps
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup --durations=20 tests --nbmake notebooks

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
