"""Quarantine: what cannot be read is kept, never dropped, with the reason beside it — at the smallest unit.

- A file that cannot be read at all (not a zip, not text, no data block, an HTML page where a CSV
  was expected) is stored whole under `<quarantine>/<source>/<name>` with `<name>.reason.txt`.
- A file with a few unreadable rows loads its good rows; the file is stored once for inspection
  and its `.reason.txt` lists every row set aside with its line number and reason.

Every event is also recorded in `raw.quarantine_events` (one row per run, source, file and line;
line 0 is the whole file or a block; `is_new` when no earlier run had met it), so the data-quality
mart and the dashboard report them per run. Writing the same file twice overwrites it; loading the
same run's events twice adds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import dlt
import pandas as pd
from dlt.extract import DltResource

from core.load import columns, spec
from core.settings import Settings
from core.warehouse import make_pipeline, read_df
from ingest.report import Quarantined, RunReport
from ingest.tolerant import FormatNotes, RowIssue

T = TypeVar("T")

#: The longest row text kept in an event (a garbage "row" can be a megabyte without newlines).
MAX_TEXT = 500


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def _store(root: Path, source: str, name: str, data: bytes, reason_lines: list[str]) -> Path:
    folder = root / _safe(source)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe(name)
    path.write_bytes(data)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    path.with_name(path.name + ".reason.txt").write_text(
        f"source: {source}\nfile: {name}\nquarantined_at: {stamp}\n" + "".join(f"{r}\n" for r in reason_lines),
        encoding="utf-8",
    )
    return path


def quarantine(root: Path, source: str, name: str, data: bytes, reason: str, report: RunReport) -> Path:
    """Store a whole unreadable file under `root/source/name` with `name.reason.txt`; record it."""
    path = _store(root, source, name, data, [f"reason: {reason}"])
    report.quarantined.append(Quarantined(source=source, name=name, reason=reason, path=path))
    return path


def quarantine_rows(
    root: Path, source: str, name: str, data: bytes, issues: list[RowIssue], report: RunReport
) -> Path | None:
    """Record the unreadable rows of a file whose other rows load; the file is kept once beside them.

    An issue with line 0 concerns the file as a whole (a block that is short or missing).
    """
    if not issues:
        return None
    lines = [f"line {i.line}: {i.reason}" if i.line else f"file: {i.reason}" for i in issues]
    path = _store(root, source, name, data, [f"set aside ({len(issues)}):"] + lines)
    for i in issues:
        report.quarantined.append(
            Quarantined(source=source, name=name, reason=i.reason, path=path, line=i.line, text=i.text[:MAX_TEXT])
        )
    return path


def read_or_set_aside(
    settings: Settings,
    report: RunReport,
    source: str,
    name: str,
    content: bytes,
    parse: Callable[[bytes, FormatNotes], tuple[T, list[RowIssue]]],
    unreadable: type[Exception] | tuple[type[Exception], ...] = ValueError,
    count_as_error: bool = False,
) -> T | None:
    """The read step every source shares: parse one upstream file (or answer); set aside, at the
    smallest unit, what cannot be read; count the harmless variations that were normalised.

    `parse` returns what it read and the rows it could not read (kept out, recorded here with their
    line numbers); it raises `unreadable` for a file that cannot be read at all, which is stored
    whole with its reason (and counted as an upstream error with `count_as_error`). Returns None
    for such a file, so the caller goes on with the next one.
    """
    notes = FormatNotes()
    try:
        parsed, issues = parse(content, notes)
    except unreadable as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        quarantine(settings.quarantine_dir, source, name, content, reason, report)
        if count_as_error:
            report.errors.append(f"{source} {name}: {reason}")
        return None
    quarantine_rows(settings.quarantine_dir, source, name, content, issues, report)
    report.note_formats(source, notes)
    return parsed


@dlt.resource(
    name="quarantine_events",
    primary_key=("run_id", "source_name", "file_name", "line_number"),
    write_disposition="merge",
    columns=columns(
        "line_number",
        # not `source`: a column named like a CTE or table reads as the whole row in BigQuery
        source_name="text",
        file_name="text",
        line_number="bigint",
        unit="text",
        reason="text",
        line_text="text",
        stored_path="text",
        is_new="bool",  # no earlier run had set aside this file and line for this reason
        run_id="text",
        run_command="text",
        quarantined_at="timestamp",
        loaded_at="timestamp",
    ),
)
def quarantine_events(events: pd.DataFrame) -> Iterator[pd.DataFrame]:
    """What a run set aside (`recorded_events`). Like the run log, each run records what it met; a
    load repeated within one run (the same run id) adds nothing."""
    yield events


def recorded_events(settings: Settings, report: RunReport, loaded_at: datetime) -> DltResource:
    """What this run set aside and has not recorded yet, as the `quarantine_events` resource (an
    empty batch still creates the table). Call it after every fetch of the run, before the load.

    Each entry is first compared with what earlier runs recorded: a bad row of the current month is
    met again by every run until the month ends, and is reported each time but alerted (exit 1) only
    the first time."""
    entries = [q for q in report.quarantined if not q.recorded]
    if entries:
        try:
            seen = read_df(
                make_pipeline(settings),
                "select distinct source_name, file_name, line_number, reason from {table} where run_id <> %s",
                table=quarantine_events.name,
                params=(report.run_id,),
            )
        except Exception:  # noqa: BLE001 - no table yet (first run): nothing seen before
            seen = pd.DataFrame(columns=["source_name", "file_name", "line_number", "reason"])
        before = {(r.source_name, r.file_name, int(r.line_number), r.reason) for r in seen.itertuples()}
        for q in entries:
            q.seen_before = (q.source, q.name, q.line, q.reason) in before
            q.recorded = True
    return quarantine_events(events_frame(report, loaded_at, entries))


def events_frame(report: RunReport, loaded_at: datetime, entries: list[Quarantined]) -> pd.DataFrame:
    """`raw.quarantine_events` rows for `entries` of this run (one per key: run, source, file, line)."""
    rows = [
        {
            "source_name": q.source,
            "file_name": q.name,
            "line_number": q.line,
            "unit": q.unit,
            "reason": q.reason,
            "line_text": q.text or None,
            "stored_path": str(q.path),
            "is_new": not q.seen_before,
            "run_id": report.run_id,
            "run_command": report.command,
            "quarantined_at": loaded_at,
            "loaded_at": loaded_at,
        }
        for q in entries
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "source_name",
            "file_name",
            "line_number",
            "unit",
            "reason",
            "line_text",
            "stored_path",
            "is_new",
            "run_id",
            "run_command",
            "quarantined_at",
            "loaded_at",
        ],
    )
    # one event per key: a file reported twice in one run (a block and a row) keeps each reason once
    if not df.empty:
        key = spec(quarantine_events).key
        agg = {c: "first" for c in df.columns if c not in key}
        agg["reason"] = lambda r: "; ".join(dict.fromkeys(r))
        agg["is_new"] = "min"
        df = df.groupby(key, as_index=False, sort=True).agg(agg)
    for col in ("quarantined_at", "loaded_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df
