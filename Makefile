# Cajas — every command a newcomer needs. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= $(shell command -v python3.11 || command -v python3)
export CAJAS_DATA_DIR ?= $(CURDIR)/var

.PHONY: install install-python install-node frontend system-deps demo test test-sqlite test-postgres check fmt bench messages clean

# Python packages (.venv), the npm packages of package.json (node_modules: idb and esbuild for
# the meeting screen, axe-core for the accessibility tests) and the built front end
# (src/cajas/web/static/cajas/build/, not in git).
install: install-python install-node
install-python: $(VENV)/.installed
install-node: node_modules/.installed frontend

# The one front-end build: the offline-first meeting screen bundled with idb (esbuild, ~20 ms).
frontend: node_modules/.installed
	npm run --silent build

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The whole package.json, pinned by package-lock.json (npm ci). Without npm, Debian's is installed first.
node_modules/.installed: package.json $(wildcard package-lock.json)
	command -v npm >/dev/null 2>&1 || bash scripts/system-deps.sh node
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --include=dev; \
	else npm install --no-audit --no-fund --include=dev; fi
	touch $@

# System packages the tests need (Chromium, poppler, HarfBuzz subset, PostgreSQL 15, Node.js and npm).
system-deps:
	bash scripts/system-deps.sh

demo: install
	$(BIN)/cajas demo

test: system-deps install
	bash scripts/test-all.sh

test-sqlite: install
	$(BIN)/pytest

test-postgres: system-deps install
	bash scripts/with-postgres.sh $(BIN)/pytest

check: system-deps install
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	CAJAS_DEMO=1 $(BIN)/mypy
	CAJAS_DEMO=1 CAJAS_DATA_DIR=$$(mktemp -d) $(BIN)/cajas makemigrations --check --dry-run
	$(BIN)/python scripts/compile_messages.py --check
	bash scripts/test-all.sh

fmt: install
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

messages: install
	$(BIN)/python scripts/compile_messages.py

bench: system-deps install
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
