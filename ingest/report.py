"""What an ingestion run did, for the closing summary and the run log.

A run never fails silently: every file that was quarantined, every month that
was not yet published and every upstream error ends up here and in the summary.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path


@dataclass
class Quarantined:
    source: str
    name: str
    reason: str
    path: Path


@dataclass
class RunReport:
    command: str
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    rows_fetched: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    null_counts: dict[str, int] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    not_published: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)  # e.g. what the raw-file archive kept
    files_fetched: int = 0

    def add_rows(self, table: str, n: int) -> None:
        self.rows_fetched[table] = self.rows_fetched.get(table, 0) + n

    def add_nulls(self, what: str, n: int) -> None:
        if n:
            self.null_counts[what] = self.null_counts.get(what, 0) + n

    @property
    def nothing_loaded(self) -> bool:
        """No upstream row arrived (holidays come from a local package, run-log rows from us)."""
        upstream = ("tepco_", "open_meteo_", "jma_")
        return sum(n for t, n in self.rows_fetched.items() if t.startswith(upstream)) == 0

    def summary(self) -> str:
        """A short human summary; stable wording so logs can be grepped."""
        secs = (datetime.now(timezone.utc) - self.started_at).total_seconds()
        lines = [f"ingest {self.command}: {self.files_fetched} upstream files/responses in {secs:.1f} s"]
        for table in sorted(set(self.rows_fetched) | set(self.rows_loaded)):
            fetched = self.rows_fetched.get(table, 0)
            loaded = self.rows_loaded.get(table, 0)
            lines.append(f"  rows {table:<24} fetched {fetched:>8}  new or changed {loaded:>8}")
        for what, n in sorted(self.null_counts.items()):
            lines.append(f"  nulls {what}: {n}")
        if self.not_published:
            lines.append(f"  not published upstream ({len(self.not_published)}): {compact(self.not_published)}")
        lines.append(f"  quarantined files: {len(self.quarantined)}")
        lines.extend(f"  {note}" for note in self.notes if note)
        for q in self.quarantined:
            lines.append(f"    {q.source} {q.name}: {q.reason} -> {q.path}")
        for e in self.errors:
            lines.append(f"  ERROR {e}")
        return "\n".join(lines)


def compact(items: list[str]) -> str:
    """`tepco 2016-04, tepco 2016-05, …` → `tepco 2016-04 … 2016-06 (3)`: long gaps stay readable."""
    groups: list[list[str]] = []
    for item in items:
        prefix = item.rsplit(" ", 1)[0]
        if groups and groups[-1][0].rsplit(" ", 1)[0] == prefix and item.count(" ") == groups[-1][0].count(" "):
            groups[-1].append(item)
        else:
            groups.append([item])
    parts = []
    for g in groups:
        if len(g) > 2:
            parts.append(f"{g[0]} … {g[-1].rsplit(' ', 1)[-1]} ({len(g)})")
        else:
            parts.extend(g)
    return ", ".join(parts)


def progress(message: str) -> None:
    """Progress for long work goes to stderr so stdout stays a clean summary."""
    print(message, file=sys.stderr, flush=True)
