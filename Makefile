# lcfeat: the two commands of the README, plus helpers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DB     ?= sqlite:///lcfeat.db

.PHONY: install run test lint bench docs clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "lcfeat needs Python 3.11 or newer: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

## run: the main job on the bundled real Kepler light curves, into SQLite lcfeat.db
run: $(STAMP)
	$(BIN)/lcfeat run --archive data/archive --db $(DB)

## test: lint and the whole test suite
test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

## bench: speed figures against references measured in the same run
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## docs: regenerate docs/features.md from the registry
docs: $(STAMP)
	$(BIN)/lcfeat features --format markdown > docs/features.md

clean:
	rm -rf $(VENV) lcfeat.db lcfeat.db-wal lcfeat.db-shm .pytest_cache .ruff_cache
