#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) from pyproject.toml.
# Needs only python3.11 and pip; uses uv (installed into a tiny helper venv) when it can, because
# it is ~6x faster than pip here, and falls back to plain pip otherwise. Re-installs only when
# pyproject.toml changed since the last successful install.
# Bytecode is compiled once at install time (uv does not compile by default): where the environment
# sets PYTHONDONTWRITEBYTECODE (many container images do, this one included), Python never writes it
# later, and every run compiled pandas, xgboost, scikit-learn and dbt again: each stage's start-up took
# about twice as long (`import xgboost` 8.8 s → 3.6 s). This file is part of the install stamp, so a
# change here refreshes existing environments too.
#   bash scripts/bootstrap.sh          the pipeline and its tests (.[test]): what run_daily.sh needs
#   bash scripts/bootstrap.sh lint     also the linters (.[test,lint]): scripts/test.sh, scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv
HASH="$(cat pyproject.toml scripts/bootstrap.sh | sha1sum | cut -c1-12)"
if [ "${1:-}" = lint ]; then
  EXTRAS="test,lint"; STAMP="$VENV/.installed-$HASH-lint"
  [ -f "$STAMP" ] && exit 0
else
  EXTRAS="test"; STAMP="$VENV/.installed-$HASH"
  { [ -f "$STAMP" ] || [ -f "$STAMP-lint" ]; } && exit 0
fi
echo "setting up $VENV (first run or dependencies changed) …" >&2
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
if "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 \
   && "$VENV/bin/python" -m uv pip install -q --python "$VENV/bin/python" -e ".[$EXTRAS]"; then
  :
else
  echo "uv unavailable; installing with pip (slower)" >&2
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]"
fi
"$VENV/bin/python" -m compileall -q -j 0 "$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >/dev/null 2>&1 || true
rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "environment ready: $VENV" >&2
