# Two entry points (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: run test lint bench demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip setuptools wheel

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[test]"
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/python -m vertapp.platform_check --install
	$(BIN)/vertapp demo

test: $(TSTAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/ruff check vertapp tests benchmarks
	QT_QPA_PLATFORM=offscreen $(BIN)/ruff format --check vertapp tests benchmarks
	QT_QPA_PLATFORM=offscreen $(BIN)/mypy
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(TSTAMP)
	$(BIN)/ruff check --fix vertapp tests benchmarks
	$(BIN)/ruff format vertapp tests benchmarks

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
