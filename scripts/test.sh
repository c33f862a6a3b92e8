#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv (and .venv-bqemu for the BigQuery
# emulator), starts the emulator, runs pytest (Python, the dbt project on DuckDB, BigQuery
# compile + parse, fault injection), stops the emulator. Extra arguments go to pytest, e.g.
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
.venv/bin/python -m pytest "$@"
