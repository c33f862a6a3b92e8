#!/usr/bin/env bash
# Local BigQuery emulator (bqemulator 1.4.0) for tests of the BigQuery code path, in its own
# virtualenv (.venv-bqemu): it needs duckdb 1.5.5 + the spatial extension, which must not meet the
# project's duckdb 2.x. Three workarounds (see ../shared/notes/stack.md): numpy installed by hand,
# the spatial extension copied where DuckDB looks for it (HOME override), and the client-side
# content-type / compression settings that the tests set.
#
#   scripts/bq_emulator.sh setup            create .venv-bqemu (idempotent)
#   scripts/bq_emulator.sh start [PORT]     start in the background; prints `export …` lines; pid in .bqemu/pid
#                                           (log in .bqemu/emulator.log at BQEMU_LOG_LEVEL, default warning:
#                                           its default, debug, logs every request)
#   scripts/bq_emulator.sh stop
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bqemu
STATE=.bqemu
cmd="${1:-start}"
# sqlglotc: sqlglot compiled with mypyc, the same version as the pure-Python sqlglot bqemulator 1.4.0
# resolves (it asks for <30.12). The emulator spends most of its CPU parsing each query with sqlglot;
# compiled, the whole BigQuery loop took 231 s instead of 250 s alone, its daily build 71 s instead of 97 s.
PKGS=(bqemulator==1.4.0 numpy "duckdb==1.5.5" "duckdb-extension-spatial==1.5.5" "sqlglot==30.11.0" "sqlglotc==30.11.0")

setup() {
  # the marker holds the package list: a venv set up from an older list is brought up to date
  [ "$(cat "$VENV/.ready" 2>/dev/null)" = "${PKGS[*]}" ] && return 0
  echo "setting up $VENV (bqemulator) …" >&2
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  if "$VENV/bin/python" -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1; then
    "$VENV/bin/python" -m uv pip install -q --compile-bytecode --python "$VENV/bin/python" "${PKGS[@]}"
  else
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PKGS[@]}"
  fi
  local ext
  ext="$(find "$VENV" -name spatial.duckdb_extension -path '*v1.5.5*' | head -n 1)"
  mkdir -p "$STATE/home/.duckdb/extensions/v1.5.5/linux_amd64"
  cp "$ext" "$STATE/home/.duckdb/extensions/v1.5.5/linux_amd64/"
  echo "${PKGS[*]}" > "$VENV/.ready"
}

case "$cmd" in
  setup) setup ;;
  start)
    setup
    port="${2:-0}"
    if [ "$port" = 0 ]; then port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"; fi
    grpc="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    mkdir -p "$STATE" "$STATE/home/.duckdb/extensions/v1.5.5/linux_amd64"
    [ -f "$STATE/home/.duckdb/extensions/v1.5.5/linux_amd64/spatial.duckdb_extension" ] || { rm -f "$VENV/.ready"; setup; }
    HOME="$PWD/$STATE/home" nohup "$VENV/bin/bqemulator" start --rest-port "$port" --grpc-port "$grpc" \
      --project demo-project --log-level "${BQEMU_LOG_LEVEL:-warning}" >"$STATE/emulator.log" 2>&1 &
    echo $! > "$STATE/pid"
    up() { python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "http://127.0.0.1:$port/bigquery/v2/projects/demo-project/datasets" >/dev/null 2>&1; }
    for _ in $(seq 150); do up && break; sleep 0.2; done
    up || { echo "bqemulator did not start; see $STATE/emulator.log" >&2; exit 1; }
    echo "export BQ_API_ENDPOINT=http://127.0.0.1:$port"
    echo "export BIGQUERY_EMULATOR_HOST=http://127.0.0.1:$port"
    ;;
  stop)
    [ -f "$STATE/pid" ] && kill "$(cat "$STATE/pid")" 2>/dev/null || true
    rm -f "$STATE/pid"
    ;;
  *) echo "usage: $0 setup|start [PORT]|stop" >&2; exit 2 ;;
esac
