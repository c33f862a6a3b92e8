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
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from dlt.extract import DltResource

from core import settings as config
from core.load import LoadStats, load, spec
from core.outputs import pipeline_runs
from core.settings import Settings
from core.stages import STAGES  # noqa: F401 - re-exported: the stages a run records
from core.warehouse import make_pipeline

#: the run log's merge key, as its resource states it
KEY = spec(pipeline_runs).key


def spool_path(settings: Settings) -> Path:
    return (
        config.run_log_spool()
        if config.is_set("ENERGY_RUN_LOG_SPOOL")
        else settings.data_dir / "run_log" / "pending.jsonl"
    )


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


def to_resource(records: pd.DataFrame) -> DltResource:
    df = records.copy()
    for col in ("started_at", "finished_at"):
        df[col] = pd.to_datetime(df.get(col), utc=True, errors="coerce")
    if "duration_s" not in df.columns or df["duration_s"].isna().any():
        df["duration_s"] = (df["finished_at"] - df["started_at"]).dt.total_seconds()
    for col in ("rows_processed", "exit_code"):
        df[col] = pd.to_numeric(df.get(col), errors="coerce").astype("Int64")
    df["as_of_date"] = pd.to_datetime(df.get("as_of_date"), errors="coerce").dt.date
    df["loaded_at"] = pd.Timestamp(datetime.now(UTC).replace(microsecond=0))
    return pipeline_runs(df.drop_duplicates(subset=KEY, keep="last"))


def pending(settings: Settings) -> tuple[DltResource | None, int]:
    """The pending records as a resource to load with the run's other tables, and how many."""
    records, _ = read_spool(settings)
    return (None, 0) if records.empty else (to_resource(records), len(records))


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
    resource, n = pending(settings)
    if resource is None:
        return 0
    load(make_pipeline(settings), [resource], LoadStats())
    clear_spool(settings, n)
    return n
