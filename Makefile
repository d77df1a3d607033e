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
# Tests with any of these markers need a subprocess, a real training run or more: test-fast leaves them out.
SLOW_MARKERS := subprocess or training or explain or wheel or storm or browser or multiworker or backend or pilot

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
	touch $@

install: $(VENV)/.installed $(VENV)/.linked
install-test: $(VENV)/.installed-test $(VENV)/.linked

run: install
	$(BIN)/dropout-tui $(ARGS)

headless: install
	$(BIN)/dropout-tui train --headless $(ARGS)

test: install-test lint
	$(BIN)/python -m pytest -q -rs $(ARGS)

# Every test that needs no subprocess and no training: the tier to run while working (under 30 s).
test-fast: install-test
	DROPOUT_TUI_FAST_TIER=1 $(BIN)/python -m pytest -q -m "not ($(SLOW_MARKERS))" $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m mypy

bench: install
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
