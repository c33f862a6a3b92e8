#!/usr/bin/env bash
# The whole test suite, from a fresh clone: sets up .venv (and .venv-bqemu for the BigQuery
# emulator), starts the emulator, then runs side by side:
#   - the linters (scripts/lint.sh: ruff check, ruff format --check, sqlfluff; their output after pytest's);
#   - pytest on three workers: Python, the dbt project on DuckDB, BigQuery compile + parse (sqlglot and sqlfluff), fault
#      injection, the dashboard (in headless chromium when installed), and the whole loop (ingest →
#      dbt build → forecast → accuracy) on the BigQuery code path against the emulator, checked
#      against the same loop on DuckDB. One file stays on one worker (module fixtures are built once),
#      longest files first (tests/conftest.py; xdist would otherwise reorder the files by their number
#      of tests), so the workers finish together. It prints the 15 slowest tests.
#
#   scripts/test.sh --fast                the fast tier (under two minutes): parsers, formats,
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
  # three workers on two cores: the fast tests wait on sockets and retries' back-off often enough that a
  # third worker fills the gaps (measured: -n 2 127 s, -n 3 103 s, -n 4 127 s)
  .venv/bin/python -m pytest -m "not slow and not bq_loop" -n 3 --durations=15 "$@"
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
start=$(date +%s)
# The linters (about 40 s alone) run beside pytest, whose workers leave a core idle now and then;
# their output follows pytest's, and either failing fails the run.
lint_log="$(mktemp)"
bash scripts/lint.sh >"$lint_log" 2>&1 &
lint_pid=$!
echo "== tests (DuckDB, BigQuery compile and loop, faults, dashboard), three workers; the linters beside them" >&2
# three workers on two cores: the daily-job subprocesses, the emulator's round trips and the kill/lock
# tests' waits leave a core idle often enough that a third worker fills it (measured on the whole
# suite: -n 2 900 s, -n 3 776 s, both cores then 96 % busy)
status=0
.venv/bin/python -m pytest -n 3 --dist loadfile --no-loadscope-reorder --durations=15 || status=$?
lint_status=0
wait "$lint_pid" || lint_status=$?
echo "== linters (scripts/lint.sh)" >&2
cat "$lint_log" >&2
rm -f "$lint_log"
[ "$lint_status" -eq 0 ] || { echo "the linters failed (exit $lint_status)" >&2; [ "$status" -ne 0 ] || status=1; }
echo "linters and tests: $(( $(date +%s) - start )) s" >&2
exit "$status"
