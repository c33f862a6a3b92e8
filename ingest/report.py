"""What an ingestion run did, for the closing summary and the run log.

A run never fails silently: every file that was quarantined, every month that
was not yet published and every upstream error ends up here and in the summary.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core import settings as config
from core.exit_codes import INGEST_NOTHING, INGEST_OK, INGEST_PARTIAL


@dataclass
class Quarantined:
    """Something set aside: a whole file (`line` 0) or one unreadable row of it (`line` ≥ 1)."""

    source: str
    name: str
    reason: str
    path: Path
    line: int = 0
    text: str = ""
    #: loaded into raw.quarantine_events already (by a bootstrap year of the same run)
    recorded: bool = False
    #: an earlier run recorded the same file, line and reason: reported, not alerted again
    seen_before: bool = False

    @property
    def unit(self) -> str:
        return "row" if self.line else "file"


def _run_id() -> str:
    """The run id events are recorded under: run_daily.sh's, or one for this command."""
    return config.run_id() or f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


@dataclass
class RunReport:
    command: str
    run_id: str = field(default_factory=_run_id)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    rows_fetched: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)
    null_counts: dict[str, int] = field(default_factory=dict)
    quarantined: list[Quarantined] = field(default_factory=list)
    not_published: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str | None] = field(default_factory=list)  # e.g. what the raw-file archive kept
    files_fetched: int = 0
    #: harmless variations normalised while reading ("tepco: trailing separators" → count)
    format_notes: Counter = field(default_factory=Counter)
    #: hosts that could not be reached at all (host → why); said once, not per request
    unreachable: dict[str, str] = field(default_factory=dict)
    skipped_by_outage: int = 0  # requests not made because their host was down

    def merge(self, other: RunReport) -> None:
        """Add another run's outcome to this one (the bootstrap's years join the day's report)."""
        for table, n in other.rows_fetched.items():
            self.rows_fetched[table] = self.rows_fetched.get(table, 0) + n
        for table, n in other.rows_loaded.items():
            self.rows_loaded[table] = self.rows_loaded.get(table, 0) + n
        for what, n in other.null_counts.items():
            self.add_nulls(what, n)
        self.quarantined += other.quarantined
        self.not_published += other.not_published
        self.errors += other.errors
        self.files_fetched += other.files_fetched
        self.format_notes.update(other.format_notes)
        for host, why in other.unreachable.items():
            self.unreachable.setdefault(host, why)
        self.skipped_by_outage += other.skipped_by_outage

    def note_formats(self, source: str, notes: Counter) -> None:
        for kind, n in notes.items():
            self.format_notes[f"{source}: {kind}"] += n

    def _distinct(self, unit: str) -> list[Quarantined]:
        """One entry per source, file and line (a bootstrap year and the day's window may both
        meet the current month's file)."""
        seen: dict[tuple[str, str, int], Quarantined] = {}
        for q in self.quarantined:
            if q.unit == unit:
                seen.setdefault((q.source, q.name, q.line), q)
        return list(seen.values())

    @property
    def files_set_aside(self) -> list[Quarantined]:
        return self._distinct("file")

    @property
    def rows_set_aside(self) -> list[Quarantined]:
        return self._distinct("row")

    @property
    def newly_set_aside(self) -> list[Quarantined]:
        """What no earlier run had set aside: this is what makes a run partial and alerts."""
        return [q for q in self.files_set_aside + self.rows_set_aside if not q.seen_before]

    def outage_line(self) -> str | None:
        """One line for an outage: which hosts, why, what to check."""
        if not self.unreachable:
            return None
        hosts = "; ".join(f"{h} ({why})" for h, why in sorted(self.unreachable.items()))
        return (
            f"upstream unreachable: {hosts}. Check this machine's network, DNS and proxy "
            "(HTTPS_PROXY), or the TEPCO_BASE_URL / OPEN_METEO_*_URL settings; "
            f"{self.skipped_by_outage} requests were not attempted"
        )

    def exit_code(self) -> int:
        """0 loaded, 1 partial (an upstream kept failing or something was set aside), 2 nothing arrived."""
        if self.nothing_loaded:
            return INGEST_NOTHING
        if self.errors or self.unreachable or self.newly_set_aside:
            return INGEST_PARTIAL
        return INGEST_OK

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
        secs = (datetime.now(UTC) - self.started_at).total_seconds()
        lines = [f"ingest {self.command}: {self.files_fetched} upstream files/responses in {secs:.1f} s"]
        for table in sorted(set(self.rows_fetched) | set(self.rows_loaded)):
            fetched = self.rows_fetched.get(table, 0)
            loaded = self.rows_loaded.get(table, 0)
            lines.append(f"  rows {table:<24} fetched {fetched:>8}  new or changed {loaded:>8}")
        for what, n in sorted(self.null_counts.items()):
            lines.append(f"  nulls {what}: {n}")
        if self.not_published:
            lines.append(f"  not published upstream ({len(self.not_published)}): {compact(self.not_published)}")
        if self.format_notes:
            notes = ", ".join(f"{k} ×{n}" for k, n in sorted(self.format_notes.items()))
            lines.append(f"  format notes (normalised, nothing lost): {notes}")
        old = len(self.files_set_aside) + len(self.rows_set_aside) - len(self.newly_set_aside)
        lines.append(
            f"  quarantined files: {len(self.files_set_aside)}, rows: {len(self.rows_set_aside)}"
            + (f" ({old} already reported by an earlier run)" if old else "")
        )
        lines.extend(f"  {note}" for note in self.notes if note)
        for q in self.quarantined[:50]:
            where = f" line {q.line}" if q.line else ""
            lines.append(f"    {q.source} {q.name}{where}: {q.reason} -> {q.path}")
        if len(self.quarantined) > 50:
            lines.append(f"    … and {len(self.quarantined) - 50} more (raw.quarantine_events)")
        outage = self.outage_line()
        if outage:
            lines.append(f"  ERROR {outage}")
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
