#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv, then runs pytest (Python and the dbt
# project on DuckDB). Extra arguments go to pytest, e.g. scripts/test.sh -k tepco -x
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export DO_NOT_TRACK=1 RUNTIME__DLTHUB_TELEMETRY=false
exec .venv/bin/python -m pytest "$@"
