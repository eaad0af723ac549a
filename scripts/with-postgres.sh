#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster (pg_virtualenv), with DATABASE_URL set.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
exec pg_virtualenv -v "$version" -- bash -c '
  export DATABASE_URL="postgres://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/cajas"
  createdb cajas
  "$@"' bash "$@"
