"""Quarantine: bad upstream files are kept, never dropped, with the reason beside them.

A user who sees "quarantined" in the summary finds the exact bytes we received
and a `.reason.txt` next to them, can fix or report the file, and re-run.
Writing the same file twice overwrites it, so re-runs stay idempotent.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from ingest.report import Quarantined, RunReport


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "unnamed"


def quarantine(root: Path, source: str, name: str, data: bytes, reason: str, report: RunReport) -> Path:
    """Store `data` under `root/source/name` with `name.reason.txt`; record it in `report`."""
    folder = root / _safe(source)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe(name)
    path.write_bytes(data)
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    path.with_name(path.name + ".reason.txt").write_text(
        f"source: {source}\nfile: {name}\nquarantined_at: {stamp}\nreason: {reason}\n", encoding="utf-8"
    )
    report.quarantined.append(Quarantined(source=source, name=name, reason=reason, path=path))
    return path
