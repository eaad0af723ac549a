#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL. Browser tests run in both.
set -euo pipefail
cd "$(dirname "$0")/.."
export CAJAS_DATA_DIR="${CAJAS_DATA_DIR:-$PWD/var}"
echo "== tests on SQLite =="
.venv/bin/pytest "$@"
echo "== tests on PostgreSQL =="
bash scripts/with-postgres.sh .venv/bin/pytest "$@"
pages="${CAJAS_DOCUMENT_PAGES:-var/document-pages}"
echo "== one PNG page of each document (pdftoppm), left in $PWD/$pages =="
ls -1 "$pages"/*.png
