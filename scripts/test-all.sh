#!/usr/bin/env bash
# The whole suite on SQLite and on PostgreSQL, side by side (one per core). Browser tests run
# in both. Each suite has its own data directory and document pages; each line of output says
# which suite it comes from, and the run fails if either does. Each suite's output is also kept
# in its data directory (pytest.log); the failures are printed again at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
base="${CAJAS_DATA_DIR:-$PWD/var}"
mkdir -p "$base/sqlite" "$base/postgres"
prefix() { sed -u "s/^/[$1] /"; }
echo "== tests on SQLite and on PostgreSQL, side by side =="
(
  export CAJAS_DATA_DIR="$base/sqlite" CAJAS_DOCUMENT_PAGES="$base/sqlite/document-pages" \
    CAJAS_SCREENSHOTS="$base/sqlite/screenshots"
  .venv/bin/pytest "$@" 2>&1 | tee "$base/sqlite/pytest.log" | prefix sqlite
  exit "${PIPESTATUS[0]}"
) &
sqlite=$!
(
  export CAJAS_DATA_DIR="$base/postgres" CAJAS_DOCUMENT_PAGES="$base/postgres/document-pages" \
    CAJAS_SCREENSHOTS="$base/postgres/screenshots"
  CAJAS_PG_SCRATCH=1 bash scripts/with-postgres.sh .venv/bin/pytest "$@" 2>&1 \
    | tee "$base/postgres/pytest.log" | prefix postgres
  exit "${PIPESTATUS[0]}"
) &
postgres=$!
wait "$sqlite"; sqlite_rc=$?
wait "$postgres"; postgres_rc=$?
echo "== SQLite: exit $sqlite_rc; PostgreSQL: exit $postgres_rc =="
echo "== one PNG page of each document (pdftoppm), left in $base/sqlite/document-pages =="
ls -1 "$base/sqlite/document-pages"/*.png
echo "== what failed, and the count of each suite =="
# The failures again, last, so the tail of a long log names them (the server's log, printed by
# pg_virtualenv when the tests fail, would otherwise push them out of sight).
for suite in sqlite postgres; do
  grep -aE '^(FAILED|ERROR) |^[0-9]+ (passed|failed|errors?|skipped)|^=+ .* in [0-9.]+s' \
    "$base/$suite/pytest.log" | tail -n 40 | prefix "$suite"
done
[ "$sqlite_rc" -eq 0 ] && [ "$postgres_rc" -eq 0 ]
