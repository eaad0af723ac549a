#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster (pg_virtualenv), with DATABASE_URL set.
# Each run has its own cluster in a temporary directory (-t) on a free port, so two runs (the
# tests and a benchmark, or two sessions) can go side by side. CAJAS_PG_SCRATCH=1 turns off
# durability (fsync, synchronous commit, full-page writes) for the tests, whose databases are
# thrown away; benchmarks leave it unset and measure a durable server.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
options=()
if [ -n "${CAJAS_PG_SCRATCH:-}" ]; then
  options=(-o fsync=off -o synchronous_commit=off -o full_page_writes=off)
fi
exec pg_virtualenv -t -c "-p $port" "${options[@]}" -v "$version" -- bash -c '
  export DATABASE_URL="postgres://${PGUSER}:${PGPASSWORD}@${PGHOST}:${PGPORT}/cajas"
  createdb cajas
  "$@"' bash "$@"
