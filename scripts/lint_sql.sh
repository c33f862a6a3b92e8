#!/usr/bin/env bash
# Lint the project's SQL (needs the `lint` extra: scripts/bootstrap.sh installs it).
#   (a) sqlfluff on models/ and tests/dbt/ with the dbt templater on the DuckDB target (.sqlfluff):
#       style and structure of the SQL as written, rendered as `dbt compile` renders it.
#   (b) a BigQuery syntax gate: compile the project for BigQuery (target bq_emu) and parse every
#       compiled statement with sqlfluff's BigQuery dialect (raw templater). Compiling for
#       BigQuery needs a BigQuery endpoint, so (b) runs only when BQ_API_ENDPOINT is set, e.g.
#         eval "$(bash scripts/bq_emulator.sh start)"; bash scripts/lint_sql.sh; bash scripts/bq_emulator.sh stop
#       and is skipped with a message otherwise. It checks syntax only (parse errors such as a
#       reserved word used as a name, which the emulator accepts): the compiled SQL keeps the
#       macros' whitespace, and its style is what (a) checks.
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

echo "== (a) sqlfluff lint models tests/dbt (dbt templater, duckdb)" >&2
t=$(date +%s.%N)
"$BIN/sqlfluff" lint models tests/dbt --processes 0 || status=1  # all cores: 55 s → 32 s on two
echo "(a) took $(elapsed "$t")" >&2

if [ -n "${BQ_API_ENDPOINT:-}" ]; then
  echo "== (b) BigQuery syntax gate: dbt compile --target bq_emu ($BQ_API_ENDPOINT), sqlfluff --dialect bigquery" >&2
  t=$(date +%s.%N)
  if "$BIN/dbt" --no-use-colors -q compile --target bq_emu --target-path "$work/bq_target"; then
    # --ignore-local-config: .sqlfluff is the dbt templater on DuckDB; --exclude-rules all: parse errors only
    "$BIN/sqlfluff" lint "$work/bq_target/compiled" --templater raw --dialect bigquery --ignore-local-config \
      --exclude-rules all --processes 0 || status=1
  else
    echo "dbt compile --target bq_emu failed" >&2
    status=1
  fi
  echo "(b) took $(elapsed "$t")" >&2
else
  echo "== (b) BigQuery syntax gate skipped: BQ_API_ENDPOINT is not set (compiling for BigQuery needs the emulator;" \
       "eval \"\$(bash scripts/bq_emulator.sh start)\" first)" >&2
fi

if [ "$status" = 0 ]; then result=clean; else result="FINDINGS (exit $status)"; fi
echo "lint_sql: $result, wall time $(elapsed "$start")" >&2
exit "$status"
