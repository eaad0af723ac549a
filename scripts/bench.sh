#!/usr/bin/env bash
# Benchmarks (not tests): figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
# Benchmarks build throwaway data: demo keys (core/secrets.py).
export CAJAS_DEMO=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m)"
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench.py
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_close.py
rm -f "$tmp"/cajas.sqlite3*  # each program bench starts from an empty database
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_pages.py
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_close.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_dashboard.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_pages.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
rm -f "$tmp"/cajas.sqlite3*

CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_sync.py
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_sync.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_import.py
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_import.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_api.py
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_api.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
CAJAS_DATA_DIR="$tmp" DATABASE_URL= .venv/bin/python scripts/bench_books.py
CAJAS_DATA_DIR="$tmp" bash scripts/with-postgres.sh .venv/bin/python scripts/bench_books.py 2>&1 \
  | grep -v '^\*\*\*\|^Creating new\|^Dropping cluster\|^20[0-9][0-9]-'
