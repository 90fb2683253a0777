# Two entry points (see README): `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
PSTAMP := $(VENV)/.installed-package
PACKAGE_DIR := dist/package
WHEELHOUSE  := dist/wheelhouse

.PHONY: run test lint bench demo clean package package-check wheelhouse wheelhouse-check icons

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

# Offline installs (packaging/README.md). Not part of `make test`: the build copies ~4 GB.
$(PSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[package]"
	touch $@ $(STAMP)

package: $(PSTAMP)
	$(BIN)/python -m PyInstaller --noconfirm --clean --log-level WARN --distpath $(PACKAGE_DIR) \
		--workpath dist/pyinstaller-work packaging/vertapp.spec
	$(BIN)/python packaging/strip_symbols.py $(PACKAGE_DIR)/vertapp
	du -sh $(PACKAGE_DIR)/vertapp

package-check: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/check_package.py $(PACKAGE_DIR)/vertapp/vertapp

wheelhouse: $(STAMP)
	PYTHON=$(BIN)/python packaging/wheelhouse.sh $(WHEELHOUSE)

wheelhouse-check:
	packaging/check_wheelhouse.sh $(WHEELHOUSE)

icons: $(STAMP)
	$(BIN)/python packaging/build_icons.py
