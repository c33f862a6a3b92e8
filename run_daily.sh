#!/usr/bin/env bash
# The cron entry point: lock → ingest → dbt source freshness → dbt build → forecast → accuracy.
#
#   ./run_daily.sh [--as-of YYYY-MM-DD] [--target dev|prod] [--skip-ingest] [--skip-forecast]
#                  [--docs] [--help]
#
# Exit codes (one per failing stage; dbt's own 1/2 are added where they say more):
#   0  every stage succeeded            2  bad arguments
#   10 another run holds the lock       11 environment setup failed
#   21 ingest loaded only part (an upstream kept failing; later stages still ran)
#   22 ingest loaded nothing (later stages skipped)
#   30 dbt source freshness found an error-level stale source (build still ran; see log)
#   41 dbt build: a model or test failed  42 dbt build: dbt itself errored
#   50 forecast failed                   61/62 accuracy marts failed (dbt 1/2)
#   71/72 dbt docs generate failed
# One log per run: $ENERGY_LOG_DIR (default <data dir>/logs)/run_daily_<UTC stamp>.log, kept
# $ENERGY_LOG_RETENTION_DAYS days (default 30).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

AS_OF="" TARGET="" SKIP_INGEST=0 SKIP_FORECAST=0 DOCS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --as-of) AS_OF="${2:-}"; shift 2 ;;
    --as-of=*) AS_OF="${1#*=}"; shift ;;
    --target) TARGET="${2:-}"; shift 2 ;;
    --target=*) TARGET="${1#*=}"; shift ;;
    --skip-ingest) SKIP_INGEST=1; shift ;;
    --skip-forecast) SKIP_FORECAST=1; shift ;;
    --docs) DOCS=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_daily.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$AS_OF" ] && ! [[ "$AS_OF" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]]; then
  echo "run_daily.sh: --as-of wants YYYY-MM-DD, got '$AS_OF'" >&2; exit 2
fi

# .env holds local settings and secrets (ignored by git); the environment of cron stays clean.
if [ -f .env ]; then set -a; . ./.env; set +a; fi
[ -n "$TARGET" ] && export ENERGY_TARGET="$TARGET"
export ENERGY_TARGET="${ENERGY_TARGET:-dev}"
case "$ENERGY_TARGET" in dev|prod|bq_emu) ;; *) echo "run_daily.sh: --target must be dev or prod" >&2; exit 2 ;; esac

export ENERGY_DATA_DIR="$(realpath -m "${ENERGY_DATA_DIR:-$ROOT/data}")"
export ENERGY_DUCKDB_PATH="$(realpath -m "${ENERGY_DUCKDB_PATH:-$ENERGY_DATA_DIR/warehouse.duckdb}")"
export DO_NOT_TRACK=1 RUNTIME__DLTHUB_TELEMETRY=false
LOG_DIR="$(realpath -m "${ENERGY_LOG_DIR:-$ENERGY_DATA_DIR/logs}")"
mkdir -p "$ENERGY_DATA_DIR" "$LOG_DIR"

exec 9>"$ENERGY_DATA_DIR/run_daily.lock"
if ! flock -n 9; then
  echo "run_daily.sh: another run holds $ENERGY_DATA_DIR/run_daily.lock; exiting" >&2
  exit 10
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
LOG="$LOG_DIR/run_daily_${STAMP}.log"
find "$LOG_DIR" -name 'run_daily_*.log' -mtime +"${ENERGY_LOG_RETENTION_DAYS:-30}" -delete 2>/dev/null || true
exec > >(tee -a "$LOG") 2>&1
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
log "run_daily start: as_of=${AS_OF:-today} target=$ENERGY_TARGET log=$LOG"

bash scripts/bootstrap.sh || { log "FAILED setup"; exit 11; }
[ -f profiles.yml ] || cp profiles.yml.example profiles.yml
PY="$ROOT/.venv/bin/python"
DBT=("$ROOT/.venv/bin/dbt" --no-use-colors)
DBT_ARGS=(--project-dir "$ROOT" --profiles-dir "$ROOT" --target "$ENERGY_TARGET")
FINAL=0

# run_stage NAME CMD… : runs one stage, logs its outcome, returns its exit code.
run_stage() {
  local name="$1"; shift
  local start=$SECONDS rc=0
  log "stage $name: $*"
  "$@" || rc=$?
  log "stage $name: exit $rc after $((SECONDS - start)) s"
  return $rc
}

AS_OF_ARGS=()
[ -n "$AS_OF" ] && AS_OF_ARGS=(--as-of "$AS_OF")

if [ "$SKIP_INGEST" = 0 ]; then
  rc=0; run_stage ingest "$PY" -m ingest daily "${AS_OF_ARGS[@]}" || rc=$?
  if [ $rc -eq 2 ] || [ $rc -gt 2 ]; then log "FAILED ingest: nothing loaded; later stages skipped"; exit 22; fi
  [ $rc -eq 1 ] && { log "WARN ingest: partial load (see summary above); continuing"; FINAL=21; }
fi

rc=0; run_stage freshness "${DBT[@]}" source freshness "${DBT_ARGS[@]}" || rc=$?
if [ $rc -ne 0 ]; then log "WARN freshness: a source is stale (exit $rc); building anyway"; [ $FINAL -eq 0 ] && FINAL=30; fi

rc=0; run_stage build "${DBT[@]}" build "${DBT_ARGS[@]}" || rc=$?
[ $rc -ne 0 ] && { log "FAILED dbt build (dbt exit $rc)"; exit $((40 + (rc > 2 ? 2 : rc))); }

if [ "$SKIP_FORECAST" = 0 ] && [ -f ml/__main__.py ]; then
  rc=0; run_stage forecast "$PY" -m ml forecast "${AS_OF_ARGS[@]}" || rc=$?
  [ $rc -ne 0 ] && { log "FAILED forecast (exit $rc)"; exit 50; }
  rc=0; run_stage accuracy "${DBT[@]}" build --select "marts.accuracy+" "${DBT_ARGS[@]}" || rc=$?
  [ $rc -ne 0 ] && { log "FAILED accuracy marts (dbt exit $rc)"; exit $((60 + (rc > 2 ? 2 : rc))); }
fi

if [ "$DOCS" = 1 ]; then
  rc=0; run_stage docs "${DBT[@]}" docs generate "${DBT_ARGS[@]}" || rc=$?
  [ $rc -ne 0 ] && { log "FAILED docs (dbt exit $rc)"; exit $((70 + (rc > 2 ? 2 : rc))); }
fi

log "run_daily done: exit $FINAL"
exit $FINAL
