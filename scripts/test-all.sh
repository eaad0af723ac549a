#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL. Browser tests run in both.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAJAS_DATA_DIR="${CAJAS_DATA_DIR:-$PWD/var}"
echo "== tests on SQLite =="
.venv/bin/pytest "$@"
echo "== tests on PostgreSQL =="
bash scripts/with-postgres.sh .venv/bin/pytest "$@"
