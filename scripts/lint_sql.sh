#!/usr/bin/env bash
# Lint the project's SQL (needs the `lint` extra: scripts/bootstrap.sh installs it).
#   sqlfluff on models/ and tests/dbt/ with the dbt templater on the DuckDB target (.sqlfluff):
#       style and structure of the SQL as written, rendered as `dbt compile` renders it.
#   The BigQuery side (the same SQL compiled for BigQuery, parsed with sqlfluff's BigQuery dialect) is
#   a test, tests/test_bigquery_compile.py, which compiles the project for BigQuery once against the
#   emulator for all its checks.
# Exits non-zero on any finding. dbt's target and log paths and the DuckDB file live in a temp
# dir, so the lint never meets another dbt run in this project.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s.%N)
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f} s')" "$1" "$(date +%s.%N)"; }

BIN=.venv/bin
[ -x "$BIN/sqlfluff" ] || { echo "sqlfluff is not installed in .venv: run scripts/bootstrap.sh lint (installs .[test,lint])" >&2; exit 2; }
[ -f profiles.yml ] || cp profiles.yml.example profiles.yml

work="$(mktemp -d "${TMPDIR:-/tmp}/lint_sql.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export DBT_TARGET_PATH="$work/target" DBT_LOG_PATH="$work/logs" ENERGY_DUCKDB_PATH="$work/warehouse.duckdb" \
       ENERGY_TARGET=dev DO_NOT_TRACK=1

status=0

echo "== sqlfluff lint models tests/dbt (dbt templater, duckdb)" >&2
t=$(date +%s.%N)
"$BIN/sqlfluff" lint models tests/dbt --processes 0 || status=1  # all cores: 55 s → 32 s on two
echo "sqlfluff took $(elapsed "$t")" >&2

if [ "$status" = 0 ]; then result=clean; else result="FINDINGS (exit $status)"; fi
echo "lint_sql: $result, wall time $(elapsed "$start")" >&2
exit "$status"
