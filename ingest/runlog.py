"""The pipeline run log: one row per run and stage, landed in `raw.pipeline_runs`.

`run_daily.sh` appends one JSON line per stage to a local spool file first (a plain append that
works even when the warehouse is locked, full or unreachable); `flush()` then merges every
pending line into the warehouse and empties the spool. A flush that fails leaves the spool as it
is, so the next successful run loads those records: no record is lost, and because the merge key
is (run_id, stage) a line loaded twice (say, a kill between load and truncate) is not duplicated.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ingest.config import Settings
from ingest.load import RawTable, load_tables
from ingest.report import RunReport
from ingest.tables import PIPELINE_RUNS, PIPELINE_RUNS_KEY, table_from_frame
from ingest.warehouse import make_pipeline

#: stage names run_daily.sh writes (the monitoring marts list exactly these; a test keeps them equal)
STAGES = ("setup", "ingest", "freshness", "build", "forecast", "accuracy", "docs", "report")


def spool_path(settings: Settings) -> Path:
    return Path(os.environ.get("ENERGY_RUN_LOG_SPOOL", str(settings.data_dir / "run_log" / "pending.jsonl")))


def append(settings: Settings, record: dict) -> None:
    """Append one stage record to the spool (what run_daily.sh does in bash)."""
    path = spool_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_spool(settings: Settings) -> tuple[pd.DataFrame, list[str]]:
    """Pending records, and lines that could not be parsed (kept, reported, never dropped)."""
    path = spool_path(settings)
    if not path.exists():
        return pd.DataFrame(), []
    good, bad = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not rec.get("run_id") or not rec.get("stage"):
                raise ValueError("run_id and stage are required")
            good.append(rec)
        except ValueError:
            bad.append(line)
    return pd.DataFrame(good), bad


def to_raw_table(records: pd.DataFrame) -> RawTable:
    df = records.copy()
    for col in ("started_at", "finished_at"):
        df[col] = pd.to_datetime(df.get(col), utc=True, errors="coerce")
    if "duration_s" not in df.columns or df["duration_s"].isna().any():
        df["duration_s"] = (df["finished_at"] - df["started_at"]).dt.total_seconds()
    for col in ("rows_processed", "exit_code"):
        df[col] = pd.to_numeric(df.get(col), errors="coerce").astype("Int64")
    df["as_of_date"] = pd.to_datetime(df.get("as_of_date"), errors="coerce").dt.date
    df["loaded_at"] = pd.Timestamp(datetime.now(timezone.utc).replace(microsecond=0))
    df = df.drop_duplicates(subset=PIPELINE_RUNS_KEY, keep="last")
    return RawTable("pipeline_runs", table_from_frame(df, PIPELINE_RUNS), PIPELINE_RUNS_KEY, "started_at")


def pending_table(settings: Settings) -> RawTable | None:
    records, _ = read_spool(settings)
    return None if records.empty else to_raw_table(records)


def clear_spool(settings: Settings, loaded: int) -> None:
    """Drop the loaded lines; unparseable ones move to `rejected.jsonl` beside the spool."""
    path = spool_path(settings)
    _, bad = read_spool(settings)
    if bad:
        with open(path.with_name("rejected.jsonl"), "a", encoding="utf-8") as fh:
            fh.write("\n".join(bad) + "\n")
    if path.exists():
        path.unlink()


def flush(settings: Settings) -> int:
    """Merge every pending record into raw.pipeline_runs; return how many were pending."""
    table = pending_table(settings)
    if table is None:
        return 0
    report = RunReport(command="runlog flush")
    load_tables(make_pipeline(settings), [table], report)
    clear_spool(settings, table.data.num_rows)
    return table.data.num_rows
