#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) from pyproject.toml.
# Needs only python3.11 and pip; uses uv (installed into a tiny helper venv) when it can, because
# it is ~6x faster than pip here, and falls back to plain pip otherwise. Re-installs only when
# pyproject.toml changed since the last successful install.
#   bash scripts/bootstrap.sh          the pipeline and its tests (.[test]): what run_daily.sh needs
#   bash scripts/bootstrap.sh lint     also the linters (.[test,lint]): scripts/test.sh, scripts/lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv
HASH="$(sha1sum pyproject.toml | cut -c1-12)"
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
rm -f "$VENV"/.installed-*
touch "$STAMP"
echo "environment ready: $VENV" >&2
