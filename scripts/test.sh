#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv (and .venv-bqemu for the BigQuery
# emulator), starts the emulator, then runs two steps:
#   1. pytest: Python, the dbt project on DuckDB, BigQuery compile + parse, fault injection,
#      the dashboard (in headless chromium when installed);
#   2. pytest -m bq_loop: the whole loop (ingest → dbt build → forecast → accuracy) on the
#      BigQuery code path against the emulator, checked against the same loop on DuckDB.
# Extra arguments run one pytest with them instead, e.g.
#   scripts/test.sh -k tepco -x          ENERGY_SKIP_BQ_EMULATOR=1 scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DO_NOT_TRACK=1 RUNTIME__DLTHUB_TELEMETRY=false
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
echo "== step 1/2: tests (DuckDB, BigQuery compile, faults, dashboard)" >&2
.venv/bin/python -m pytest -m "not bq_loop"
echo "== step 2/2: the whole loop on the BigQuery emulator" >&2
.venv/bin/python -m pytest -m bq_loop
