#!/usr/bin/env bash
# Every linter CI runs, in one command (scripts/test.sh runs it beside pytest):
#   ruff check (lint) and ruff format --check over the Python code (config: pyproject.toml),
#   then scripts/lint_sql.sh: sqlfluff over models/ and tests/dbt/ (the BigQuery syntax gate is a
#   test: tests/test_bigquery_compile.py). `scripts/lint.sh --fix` lets ruff fix and format in place first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh lint
if [ "${1:-}" = "--fix" ]; then
  .venv/bin/ruff check --fix .
  .venv/bin/ruff format .
fi
status=0
echo "== ruff check" >&2
.venv/bin/ruff check . || status=1
echo "== ruff format --check" >&2
.venv/bin/ruff format --check . || status=1
bash scripts/lint_sql.sh || status=1
exit $status
