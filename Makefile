# Two commands from a fresh clone: `make run` and `make test`.
# Each creates .venv if it is missing and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet
# A strict editable install maps the folders to dropout_tui.* with a tree of links under build/ and a plain
# .pth entry, no import hook, so type checkers and editors resolve every dropout_tui.* import. The link
# tree lists files, so it is re-made whenever a source file is added or removed (.sources below).
STRICT := --config-settings editable_mode=strict
ARGS ?=
# Python keeps compiled modules in __pycache__ (git-ignored) and pytest its rewritten test modules: with a
# PYTHONDONTWRITEBYTECODE from the environment every process compiles the package again (0.13 s of each
# start-up, 3-4 s of each test worker, and every CLI process the tests start). Empty reads as unset.
export PYTHONDONTWRITEBYTECODE :=
# Tests with any of these markers need a subprocess, a real training run or more: test-fast leaves them out.
SLOW_MARKERS := subprocess or training or explain or wheel or storm or browser or multiworker or backend
# pytest-xdist: one worker per core; a group (a file, or the tests of one shared run: tests/conftest.py) stays
# on one worker. JOBS=0 runs in this process (for --pdb or a profiler). The fast tier's pilot runs wait for
# the app to go idle between frames, so two workers a core keep the cores busy (at most 8: each worker
# collects every test first).
JOBS ?= auto
FAST_JOBS ?= $(shell n=$$(nproc); echo $$((2 * n < 8 ? 2 * n : 8)))
XDIST = --dist loadgroup

.PHONY: run test test-fast lint install install-test bench headless clean FORCE

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) -e . $(STRICT)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) -e '.[test,jax,torch]' $(STRICT)
	touch $@ $(VENV)/.installed

# The list of source files; its time changes only when a file is added or removed.
$(VENV)/.sources: FORCE | $(BIN)/python
	@find engine tui assets -name '*.py' -o -name '*.tcss' -o -name '*.npz' -o -name py.typed | sort > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(VENV)/.linked: $(VENV)/.sources $(VENV)/.installed
	$(PIP) --no-deps -e . $(STRICT)
	$(BIN)/python -m compileall -q build/__editable__.*
	touch $@

install: $(VENV)/.installed $(VENV)/.linked
install-test: $(VENV)/.installed-test $(VENV)/.linked

run: install
	$(BIN)/dropout-tui $(ARGS)

headless: install
	$(BIN)/dropout-tui train --headless $(ARGS)

test: install-test lint
	$(BIN)/python -m pytest -q -rs -n $(JOBS) $(XDIST) $(ARGS)

# Every test that needs no subprocess and no training, the whole-app pilot runs included: the tier to run
# while working.
test-fast: install-test
	DROPOUT_TUI_FAST_TIER=1 $(BIN)/python -m pytest -q -n $(FAST_JOBS) $(XDIST) -m "not ($(SLOW_MARKERS))" $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

bench: install
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
