#!/usr/bin/env bash
# The cron entry point: lock → ingest → dbt source freshness → dbt build → forecast → accuracy
# (+ monitoring marts) → docs (optional) → report.
#
#   ./run_daily.sh [--as-of YYYY-MM-DD] [--target dev|prod] [--skip-ingest] [--skip-forecast]
#                  [--docs] [--help]
#
# Exit codes (one per failing stage; dbt's own 1/2 are added where they say more):
#   0  every stage succeeded            2  bad arguments
#   10 another run holds the lock       11 environment setup failed
#   21 ingest loaded only part (an upstream kept failing; later stages still ran)
#   22 ingest loaded nothing or could not write the warehouse (later stages skipped)
#   30 dbt source freshness: a source is stale (the build still ran; see the log)
#   41 dbt build: a model or test failed  42 dbt build: dbt itself errored
#   50 forecast failed                   61/62 accuracy marts failed (dbt 1/2)
#   71/72 dbt docs generate failed       80 report stage failed
# Every stage appends a record (run id, stage, status, times, rows, exit code, error, as-of date,
# git revision) to <data dir>/run_log/pending.jsonl; the records are merged into raw.pipeline_runs
# as soon as the warehouse can be written (a run that cannot write keeps them for the next one).
# One log per run: $ENERGY_LOG_DIR (default <data dir>/logs)/run_daily_<UTC stamp>.log, kept
# $ENERGY_LOG_RETENTION_DAYS days (default 30). On a failure an alert goes to the webhook / e-mail
# configured in .env (ENERGY_ALERT_WEBHOOK_URL, ENERGY_SMTP_*), with secrets redacted.
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
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_daily.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -n "$AS_OF" ] && ! date -u -d "$AS_OF" +%F >/dev/null 2>&1; then
  echo "run_daily.sh: --as-of wants YYYY-MM-DD, got '$AS_OF'" >&2; exit 2
fi
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
if ! mkdir -p "$ENERGY_DATA_DIR" "$LOG_DIR" 2>/dev/null || ! [ -w "$ENERGY_DATA_DIR" ]; then
  echo "run_daily.sh: cannot write $ENERGY_DATA_DIR or $LOG_DIR (check permissions / ENERGY_DATA_DIR)" >&2
  exit 11
fi

exec 9>"$ENERGY_DATA_DIR/run_daily.lock"
if ! flock -n 9; then
  echo "run_daily.sh: another run holds $ENERGY_DATA_DIR/run_daily.lock; exiting" >&2
  exit 10
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RUN_ID="${STAMP}-$$"
LOG="$LOG_DIR/run_daily_${STAMP}.log"
if ! touch "$LOG" 2>/dev/null; then
  echo "run_daily.sh: cannot write the log $LOG; logging to stderr only" >&2
  LOG=/dev/null
fi
find "$LOG_DIR" -name 'run_daily_*.log' -mtime +"${ENERGY_LOG_RETENTION_DAYS:-30}" -delete 2>/dev/null || true
exec > >(tee -a "$LOG") 2>&1
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

SPOOL="$ENERGY_DATA_DIR/run_log/pending.jsonl"
mkdir -p "$(dirname "$SPOOL")" 2>/dev/null || true
GIT_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
AS_OF_JSON="null"; [ -n "$AS_OF" ] && AS_OF_JSON="\"$AS_OF\""
export ENERGY_RUN_ID="$RUN_ID"
export ENERGY_STAGE_ROWS_FILE="$ENERGY_DATA_DIR/run_log/.stage_rows"
log "run_daily start: run_id=$RUN_ID as_of=${AS_OF:-today} target=$ENERGY_TARGET git=$GIT_REV log=$LOG"

json_str() {  # JSON string literal of $1 (control characters dropped)
  local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}

# record STAGE STATUS START_EPOCH RC MESSAGE: one run-log line per stage (never fails the run).
record() {
  local stage="$1" status="$2" start="$3" rc="$4" msg="$5" end rows="null"
  end="$(date -u +%s)"
  if [ -s "$ENERGY_STAGE_ROWS_FILE" ]; then rows="$(tr -cd '0-9' < "$ENERGY_STAGE_ROWS_FILE")"; rows="${rows:-null}"; fi
  rm -f "$ENERGY_STAGE_ROWS_FILE"
  printf '{"run_id":"%s","stage":"%s","status":"%s","started_at":"%s","finished_at":"%s","duration_s":%s,"rows_processed":%s,"exit_code":%s,"error_message":%s,"as_of_date":%s,"git_revision":"%s","target":"%s","log_file":%s}\n' \
    "$RUN_ID" "$stage" "$status" "$(date -u -d "@$start" +%FT%TZ)" "$(date -u -d "@$end" +%FT%TZ)" \
    "$((end - start))" "$rows" "$rc" "$(json_str "$msg")" "$AS_OF_JSON" "$GIT_REV" "$ENERGY_TARGET" \
    "$(json_str "$LOG")" >> "$SPOOL" 2>/dev/null || log "WARN cannot append to the run-log spool $SPOOL"
}

CURRENT_STAGE="setup"
FINAL=0
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 10 ]; then
    log "run_daily FAILED at stage $CURRENT_STAGE with exit $rc"
    if [ -x "$ROOT/.venv/bin/python" ]; then
      tail -n 40 "$LOG" 2>/dev/null | "$ROOT/.venv/bin/python" -m ingest alert \
        --subject "energy-forecast run $RUN_ID failed at $CURRENT_STAGE (exit $rc)" || true
    fi
  fi
}
trap on_exit EXIT

# run_stage NAME CMD…: run one stage, log its outcome, return its exit code (the caller decides).
STAGE_START=0
run_stage() {
  CURRENT_STAGE="$1"; shift
  STAGE_START="$(date -u +%s)"
  local rc=0
  log "stage $CURRENT_STAGE: $*"
  "$@" || rc=$?
  log "stage $CURRENT_STAGE: exit $rc after $(( $(date -u +%s) - STAGE_START )) s"
  return $rc
}

start="$(date -u +%s)"
if ! bash scripts/bootstrap.sh; then record setup failed "$start" 11 "environment setup failed"; exit 11; fi
[ -f profiles.yml ] || cp profiles.yml.example profiles.yml
record setup success "$start" 0 ""
PY="$ROOT/.venv/bin/python"
DBT=("$ROOT/.venv/bin/dbt" --no-use-colors)
DBT_ARGS=(--project-dir "$ROOT" --profiles-dir "$ROOT" --target "$ENERGY_TARGET")
AS_OF_ARGS=()
DBT_VARS="{run_id: '$RUN_ID'}"
if [ -n "$AS_OF" ]; then AS_OF_ARGS=(--as-of "$AS_OF"); DBT_VARS="{run_id: '$RUN_ID', as_of: '$AS_OF'}"; fi

if [ "$SKIP_INGEST" = 0 ]; then
  rc=0; run_stage ingest "$PY" -m ingest daily "${AS_OF_ARGS[@]}" || rc=$?
  if [ $rc -ge 2 ]; then
    record ingest failed "$STAGE_START" "$rc" "ingest loaded nothing (exit $rc: 2 = no upstream data, 3 = warehouse not writable); later stages skipped"
    log "FAILED ingest: nothing loaded (exit $rc); later stages skipped"; exit 22
  elif [ $rc -eq 1 ]; then
    record ingest warning "$STAGE_START" 1 "partial load: an upstream kept failing (see the summary in the log)"
    log "WARN ingest: partial load (see summary above); continuing"; FINAL=21
  else
    record ingest success "$STAGE_START" 0 ""
  fi
fi

# freshness of what we ingest (the ML and run-log sources are our own output: they are empty on a
# first run, and their freshness shows in the monitoring marts instead)
rc=0; run_stage freshness "${DBT[@]}" source freshness --select source:tepco source:open_meteo source:calendar \
  "${DBT_ARGS[@]}" || rc=$?
if [ $rc -ne 0 ]; then
  record freshness warning "$STAGE_START" "$rc" "a source is stale (dbt exit $rc); building anyway"
  log "WARN freshness: a source is stale (exit $rc); building anyway"; [ $FINAL -eq 0 ] && FINAL=30
else
  record freshness success "$STAGE_START" 0 ""
fi

# unit tests check SQL logic, not data: CI runs them (scripts/test.sh); the daily build skips them
rc=0; run_stage build "${DBT[@]}" build --exclude "test_type:unit" "${DBT_ARGS[@]}" --vars "$DBT_VARS" || rc=$?
if [ $rc -ne 0 ]; then
  record build failed "$STAGE_START" "$rc" "dbt build failed (dbt exit $rc)"
  log "FAILED dbt build (dbt exit $rc)"; exit $((40 + (rc > 2 ? 2 : rc)))
fi
# tests that warn (data-quality checks, recent error-level anomalies) → stage status `warning`
WARNED="$("$PY" - "$ROOT/target/run_results.json" <<'PYEOF' 2>/dev/null || true
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print(" ".join(sorted(r["unique_id"].split(".")[2] for r in results if r["status"] == "warn")))
PYEOF
)"
if [ -n "$WARNED" ]; then
  record build warning "$STAGE_START" 0 "tests warned: $WARNED"
  log "WARN build: tests warned: $WARNED (the forecast still runs)"
  if [[ " $WARNED " == *no_recent_error_anomalies* ]]; then
    echo "Error-level demand anomaly in the last 2 days (see fct_demand_anomalies). Run $RUN_ID, log $LOG" \
      | "$PY" -m ingest alert --subject "energy-forecast: error-level demand anomaly" || true
  fi
else
  record build success "$STAGE_START" 0 ""
fi

if [ "$SKIP_FORECAST" = 0 ]; then
  rc=0; run_stage forecast "$PY" -m ml forecast "${AS_OF_ARGS[@]}" || rc=$?
  if [ $rc -ne 0 ]; then record forecast failed "$STAGE_START" "$rc" "forecast failed (exit $rc)"; log "FAILED forecast (exit $rc)"; exit 50; fi
  record forecast success "$STAGE_START" 0 ""
  # load the run log so far, then build the accuracy and monitoring marts in one dbt call
  "$PY" -m ingest runlog flush || log "WARN run log not loaded yet (kept in the spool)"
  rc=0; run_stage accuracy "${DBT[@]}" build --select "stg_ml__forecasts+" "stg_pipeline__runs+" \
    --exclude "test_type:unit" "${DBT_ARGS[@]}" \
    --vars "$DBT_VARS" || rc=$?
  if [ $rc -ne 0 ]; then record accuracy failed "$STAGE_START" "$rc" "accuracy marts failed (dbt exit $rc)"; log "FAILED accuracy marts (dbt exit $rc)"; exit $((60 + (rc > 2 ? 2 : rc))); fi
  record accuracy success "$STAGE_START" 0 ""
fi

if [ "$DOCS" = 1 ]; then
  rc=0; run_stage docs "${DBT[@]}" docs generate "${DBT_ARGS[@]}" || rc=$?
  if [ $rc -ne 0 ]; then record docs failed "$STAGE_START" "$rc" "dbt docs generate failed"; log "FAILED docs (dbt exit $rc)"; exit $((70 + (rc > 2 ? 2 : rc))); fi
  record docs success "$STAGE_START" 0 ""
fi

rc=0; run_stage report "$PY" -m ingest runlog flush || rc=$?
if [ $rc -ne 0 ]; then
  record report warning "$STAGE_START" "$rc" "run log kept in the spool for the next run"
  log "WARN report: run log not loaded (kept for the next run)"
else
  record report success "$STAGE_START" 0 ""
fi

CURRENT_STAGE="done"
log "run_daily done: run_id=$RUN_ID exit $FINAL"
exit $FINAL
