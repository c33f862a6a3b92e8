#!/usr/bin/env bash
# The cron entry point: lock → ingest → dbt source freshness → dbt build → forecast → accuracy
# (+ monitoring marts) → docs (optional) → report. This script owns .env, the lock, the log and
# the alert; the stages run in one Python process (python -m pipeline daily: one start-up, one
# dbt parse).
#
#   ./run_daily.sh [--as-of YYYY-MM-DD] [--target dev|prod] [--skip-ingest] [--skip-forecast]
#                  [--docs] [--train] [--help]
#
# --train is the weekly step (its own cron line): it only refits the model and stores it. The daily
# runs reuse the newest stored model up to ENERGY_MODEL_MAX_AGE_DAYS (14) days old, so they never
# spend a minute training (they train only when no model is that young, e.g. the first run).
#
# Exit codes: one per failing stage (core/exit_codes.py, printed below by --help).
# Every stage appends a record (run id, stage, status, times, rows, exit code, error, as-of date,
# git revision) to <data dir>/run_log/pending.jsonl; the records are merged into raw.pipeline_runs
# as soon as the warehouse can be written (a run that cannot write keeps them for the next one).
# One log per run: $ENERGY_LOG_DIR (default <data dir>/logs)/run_daily_<UTC stamp>.log, kept
# $ENERGY_LOG_RETENTION_DAYS days (default 30). On a failure an alert goes to the webhook / e-mail
# configured in .env (ENERGY_ALERT_WEBHOOK_URL, ENERGY_SMTP_*), with secrets redacted.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

AS_OF="" TARGET="" SKIP_INGEST=0 SKIP_FORECAST=0 DOCS=0 TRAIN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --as-of) AS_OF="${2:-}"; shift 2 ;;
    --as-of=*) AS_OF="${1#*=}"; shift ;;
    --target) TARGET="${2:-}"; shift 2 ;;
    --target=*) TARGET="${1#*=}"; shift ;;
    --skip-ingest) SKIP_INGEST=1; shift ;;
    --skip-forecast) SKIP_FORECAST=1; shift ;;
    --docs) DOCS=1; shift ;;
    --train) TRAIN=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
               echo; echo "Exit codes:"; python3 "$(dirname "$0")/core/exit_codes.py" daily; exit 0 ;;
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
log "run_daily start: run_id=$RUN_ID as_of=${AS_OF:-today} target=$ENERGY_TARGET git=$GIT_REV log=$LOG"

json_str() {  # JSON string literal of $1 (control characters dropped)
  local s="${1//\\/\\\\}"; s="${s//\"/\\\"}"
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\037')"
}

# record STAGE STATUS START_EPOCH RC MESSAGE: one run-log line per stage (never fails the run).
record() {
  local stage="$1" status="$2" start="$3" rc="$4" msg="$5" end rows="null"
  end="$(date -u +%s)"
  printf '{"run_id":"%s","stage":"%s","status":"%s","started_at":"%s","finished_at":"%s","duration_s":%s,"rows_processed":%s,"exit_code":%s,"error_message":%s,"as_of_date":%s,"git_revision":"%s","target":"%s","log_file":%s}\n' \
    "$RUN_ID" "$stage" "$status" "$(date -u -d "@$start" +%FT%TZ)" "$(date -u -d "@$end" +%FT%TZ)" \
    "$((end - start))" "$rows" "$rc" "$(json_str "$msg")" "$AS_OF_JSON" "$GIT_REV" "$ENERGY_TARGET" \
    "$(json_str "$LOG")" >> "$SPOOL" 2>/dev/null || log "WARN cannot append to the run-log spool $SPOOL"
}

CURRENT_STAGE="setup"
# the stage an exit code belongs to (core/exit_codes.py; the stages themselves run in python -m pipeline daily)
stage_of() {
  local stage; stage="$(python3 "$ROOT/core/exit_codes.py" --stage-of "$1" 2>/dev/null || true)"
  case "$stage" in
    "") echo "$CURRENT_STAGE" ;;
    killed*) echo "$CURRENT_STAGE ($stage)" ;;
    *) echo "$stage" ;;
  esac
}
on_exit() {
  local rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 10 ]; then
    local stage what head; stage="$(stage_of $rc)"
    case "$rc" in 21|30) what="finished with warnings at"; head="WARNINGS at" ;; *) what="failed at"; head="FAILED at" ;; esac
    log "run_daily $head stage $stage with exit $rc"
    if [ -x "$ROOT/.venv/bin/python" ]; then
      tail -n 40 "$LOG" 2>/dev/null | "$ROOT/.venv/bin/python" -m ingest alert \
        --subject "energy-forecast run $RUN_ID $what $stage (exit $rc)" || true
    fi
  fi
}
trap on_exit EXIT

start="$(date -u +%s)"
if ! bash scripts/bootstrap.sh; then record setup failed "$start" 11 "environment setup failed"; exit 11; fi
[ -f profiles.yml ] || cp profiles.yml.example profiles.yml
record setup success "$start" 0 ""

# every other stage runs in one Python process: one start-up, one dbt parse (see pipeline/daily.py)
CURRENT_STAGE="daily stages"
ARGS=(--run-id "$RUN_ID" --target "$ENERGY_TARGET" --git-revision "$GIT_REV" --log-file "$LOG")
[ -n "$AS_OF" ] && ARGS+=(--as-of "$AS_OF")
[ "$SKIP_INGEST" = 1 ] && ARGS+=(--skip-ingest)
[ "$SKIP_FORECAST" = 1 ] && ARGS+=(--skip-forecast)
[ "$DOCS" = 1 ] && ARGS+=(--docs)
[ "$TRAIN" = 1 ] && ARGS+=(--train)
rc=0; "$ROOT/.venv/bin/python" -m pipeline daily "${ARGS[@]}" || rc=$?
if [ $rc -ne 0 ]; then exit $rc; fi
CURRENT_STAGE="done"
log "run_daily done: run_id=$RUN_ID exit 0"
