#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv (and .venv-bqemu for the BigQuery
# emulator), starts the emulator, then runs three steps:
#   1. the linters (scripts/lint.sh: ruff check, ruff format --check, sqlfluff, the BigQuery syntax gate);
#   2. pytest: Python, the dbt project on DuckDB, BigQuery compile + parse, fault injection,
#      the dashboard (in headless chromium when installed);
#   3. pytest -m bq_loop: the whole loop (ingest → dbt build → forecast → accuracy) on the
#      BigQuery code path against the emulator, checked against the same loop on DuckDB.
# Each pytest step prints its 15 slowest tests.
#
#   scripts/test.sh --fast                the fast tier (about a minute and a half): parsers, formats,
#                                         the loader, CLI arguments, architecture checks; no warehouse
#                                         builds, no dbt, no daily job, no emulator
#   scripts/test.sh -k tepco -x           extra arguments run one pytest with them instead
#   ENERGY_SKIP_BQ_EMULATOR=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh lint
if [ "${1:-}" = "--fast" ]; then
  shift
  start=$(date +%s)
  .venv/bin/python -m pytest -m "not slow and not bq_loop" -n 2 --durations=15 "$@"
  echo "fast tier: $(( $(date +%s) - start )) s" >&2
  exit
fi
if [ "${ENERGY_SKIP_BQ_EMULATOR:-0}" != 1 ]; then
  if exports="$(bash scripts/bq_emulator.sh start)"; then
    eval "$exports"
    trap 'bash scripts/bq_emulator.sh stop' EXIT
  else
    echo "WARN: the BigQuery emulator could not start; the BigQuery tests will be skipped" >&2
  fi
fi
if [ $# -gt 0 ]; then
  .venv/bin/python -m pytest "$@"
  exit
fi
echo "== step 1/3: linters" >&2
bash scripts/lint.sh
echo "== step 2/3: tests (DuckDB, BigQuery compile, faults, dashboard), two workers, one per test file" >&2
.venv/bin/python -m pytest -m "not bq_loop" -n 2 --dist loadfile --durations=15
echo "== step 3/3: the whole loop on the BigQuery emulator" >&2
.venv/bin/python -m pytest -m bq_loop --durations=15
