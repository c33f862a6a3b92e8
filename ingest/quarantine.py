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
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from ingest.report import Quarantined, RunReport
from ingest.tolerant import RowIssue

#: The longest row text kept in an event (a garbage "row" can be a megabyte without newlines).
MAX_TEXT = 500


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def _store(root: Path, source: str, name: str, data: bytes, reason_lines: list[str]) -> Path:
    folder = root / _safe(source)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe(name)
    path.write_bytes(data)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
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


def quarantine_rows(root: Path, source: str, name: str, data: bytes, issues: list[RowIssue],
                    report: RunReport) -> Path | None:
    """Record the unreadable rows of a file whose other rows load; the file is kept once beside them.

    An issue with line 0 concerns the file as a whole (a block that is short or missing).
    """
    if not issues:
        return None
    lines = [f"line {i.line}: {i.reason}" if i.line else f"file: {i.reason}" for i in issues]
    path = _store(root, source, name, data, [f"set aside ({len(issues)}):"] + lines)
    for i in issues:
        report.quarantined.append(Quarantined(source=source, name=name, reason=i.reason, path=path, line=i.line,
                                              text=i.text[:MAX_TEXT]))
    return path


def events_frame(report: RunReport, loaded_at: datetime, entries: list[Quarantined]) -> pd.DataFrame:
    """`raw.quarantine_events` rows for `entries` of this run (key: run, source, file, line)."""
    rows = [
        {"source_name": q.source, "file_name": q.name, "line_number": q.line, "unit": q.unit, "reason": q.reason,
         "line_text": q.text or None, "stored_path": str(q.path), "is_new": not q.seen_before,
         "run_id": report.run_id, "run_command": report.command, "quarantined_at": loaded_at, "loaded_at": loaded_at}
        for q in entries
    ]
    df = pd.DataFrame(rows, columns=["source_name", "file_name", "line_number", "unit", "reason", "line_text",
                                     "stored_path", "is_new", "run_id", "run_command", "quarantined_at", "loaded_at"])
    # one event per key: a file reported twice in one run (a block and a row) keeps each reason once
    if not df.empty:
        key = ["run_id", "source_name", "file_name", "line_number"]
        agg = {c: "first" for c in df.columns if c not in key}
        agg["reason"] = lambda r: "; ".join(dict.fromkeys(r))
        agg["is_new"] = "min"
        df = df.groupby(key, as_index=False, sort=True).agg(agg)
    for col in ("quarantined_at", "loaded_at"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df
