# Cajas — every command a newcomer needs. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell command -v python3.11 || command -v python3)
export CAJAS_DATA_DIR ?= $(CURDIR)/var

.PHONY: install system-deps demo test test-sqlite test-postgres check fmt bench messages clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# System packages the tests need (Chromium, poppler, HarfBuzz subset, PostgreSQL 15).
system-deps:
	bash scripts/system-deps.sh

demo: install
	$(BIN)/cajas migrate --noinput
	$(BIN)/cajas demo

test: install system-deps
	bash scripts/test-all.sh

test-sqlite: install
	$(BIN)/pytest

test-postgres: install system-deps
	bash scripts/with-postgres.sh $(BIN)/pytest

check: install system-deps
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	CAJAS_DATA_DIR=$$(mktemp -d) $(BIN)/cajas makemigrations --check --dry-run
	$(BIN)/python scripts/compile_messages.py --check
	bash scripts/test-all.sh

fmt: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

messages: install
	$(BIN)/python scripts/compile_messages.py

bench: install system-deps
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
