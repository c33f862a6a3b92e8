"""dlt source for TEPCO「でんき予報」: monthly zips of daily CSVs and yearly juyo CSVs.

Fetching and parsing happen before dlt sees the data so that every bad file can
be quarantined individually while the rest of the batch still loads; dlt then
merges three raw tables on keys that include `area` (Japan has ten supply areas;
adding one must not change a key).  Values stay in the source's 万kW.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pandas as pd

from ingest.config import Settings
from ingest.http import Fetcher, Request
from ingest.load import RawTable
from ingest.quarantine import quarantine, quarantine_rows
from ingest.report import RunReport, progress
from ingest.tables import (
    TEPCO_DAILY_SUMMARY,
    TEPCO_DAILY_SUMMARY_KEY,
    TEPCO_FIVE_MINUTE,
    TEPCO_FIVE_MINUTE_KEY,
    TEPCO_HOURLY,
    TEPCO_HOURLY_KEY,
    jst_to_utc,
    table_from_frame,
)
from ingest.tepco.parse import TepcoParseError, parse_daily_csv, parse_juyo_csv, read_monthly_zip
from ingest.tolerant import FormatNotes

SOURCE = "tepco"


def monthly_zip_url(base_url: str, year: int, month: int) -> str:
    return f"{base_url}/{year:04d}{month:02d}_power_usage.zip"


def juyo_url(base_url: str, year: int) -> str:
    return f"{base_url}/juyo-{year:04d}.csv"


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """Calendar months touching [start, end], oldest first."""
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


@dataclass
class TepcoBatch:
    hourly: list[dict] = field(default_factory=list)
    five_minute: list[dict] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)


def _request(url: str, expect: str, not_published_label: str) -> Request:
    return Request(url=url, source=SOURCE, name=url.rsplit("/", 1)[-1], expect=expect,
                   not_published_label=not_published_label)


def fetch_monthly(
    fetcher: Fetcher,
    settings: Settings,
    start: date,
    end: date,
    report: RunReport,
    batch: TepcoBatch | None = None,
) -> TepcoBatch:
    """Download, check and parse the monthly zips covering [start, end] (rows outside are dropped).

    A zip that cannot be opened is quarantined whole; a daily file with unreadable rows loads its
    good rows and sets the bad ones aside with their line numbers.
    """
    batch = batch or TepcoBatch()
    for year, month in months_between(start, end):
        url = monthly_zip_url(settings.tepco_base_url, year, month)
        zip_name = url.rsplit("/", 1)[-1]
        content = fetcher.get(_request(url, "zip", f"tepco-monthly {year:04d}-{month:02d}"))
        if content is None:
            continue
        notes = FormatNotes()
        try:
            members = read_monthly_zip(content, zip_name, notes)
        except TepcoParseError as exc:
            quarantine(settings.quarantine_dir, SOURCE, zip_name, content, exc.reason, report)
            continue
        days = 0
        for member in members:
            source_file = f"{zip_name}/{member.name}"
            try:
                rep = parse_daily_csv(member.data, member.name, notes)
            except TepcoParseError as exc:
                quarantine(settings.quarantine_dir, SOURCE, source_file, member.data, exc.reason, report)
                continue
            if not (start <= rep.report_date <= end):
                continue
            quarantine_rows(settings.quarantine_dir, SOURCE, source_file, member.data, rep.issues, report)
            days += 1
            common = {"area": settings.area, "source_file": source_file, "file_updated_at": rep.file_updated_at}
            for row in rep.hourly:
                batch.hourly.append({**common, "source_kind": "power_usage", "date_jst": rep.report_date, **row})
            for row in rep.five_minute:
                batch.five_minute.append({**common, "date_jst": rep.report_date, **row})
            for row in rep.summary:
                batch.summary.append({**common, "report_date": rep.report_date, **row})
        report.note_formats(SOURCE, notes)
        progress(f"  tepco {year:04d}-{month:02d}: {days} days")
    return batch


def fetch_juyo(
    fetcher: Fetcher,
    settings: Settings,
    start: date,
    end: date,
    report: RunReport,
    batch: TepcoBatch | None = None,
) -> TepcoBatch:
    """Download and parse the yearly `juyo-YYYY.csv` files (hourly actuals) for [start, end].

    A yearly file that is missing (404) or ends mid-year is not a failure: TEPCO stopped updating
    them (the 2024 and 2025 files both end 2025-07-22), and the monthly zips carry what follows.
    """
    batch = batch or TepcoBatch()
    for year in range(start.year, end.year + 1):
        url = juyo_url(settings.tepco_base_url, year)
        name = url.rsplit("/", 1)[-1]
        content = fetcher.get(_request(url, "csv", f"tepco-juyo {year}"))
        if content is None:
            continue
        notes = FormatNotes()
        try:
            parsed = parse_juyo_csv(content, name, notes)
        except TepcoParseError as exc:
            quarantine(settings.quarantine_dir, SOURCE, name, content, exc.reason, report)
            continue
        quarantine_rows(settings.quarantine_dir, SOURCE, name, content, parsed.issues, report)
        report.note_formats(SOURCE, notes)
        rows = [r for r in parsed.rows if start <= r["date_jst"] <= end]
        for r in rows:
            batch.hourly.append(
                {"area": settings.area, "source_kind": "juyo", "source_file": name,
                 "file_updated_at": parsed.updated_at, **r}
            )
        last = max((r["date_jst"] for r in parsed.rows), default=None)
        ends = f", ends {last}" if last is not None and last < min(end, date(year, 12, 31)) else ""
        progress(f"  tepco juyo-{year}: {len(rows)} hours{ends}")
    return batch


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def to_raw_tables(batch: TepcoBatch, loaded_at: datetime) -> list[RawTable]:
    """The three raw tables (万kW, JST dates, UTC instants) from a parsed batch."""
    hourly = pd.DataFrame(batch.hourly, columns=[f.name for f in TEPCO_HOURLY if f.name != "hour_start_at"])
    hourly["hour_start_at"] = jst_to_utc(hourly["date_jst"], hourly["hour_jst"] * 60).to_numpy()
    five = pd.DataFrame(batch.five_minute, columns=[f.name for f in TEPCO_FIVE_MINUTE if f.name != "interval_start_at"])
    five["interval_start_at"] = jst_to_utc(five["date_jst"], five["minute_of_day"]).to_numpy()
    summary = pd.DataFrame(batch.summary, columns=TEPCO_DAILY_SUMMARY.names)
    out = []
    for name, df, schema, key, rng in (
        ("tepco_hourly", hourly, TEPCO_HOURLY, TEPCO_HOURLY_KEY, "date_jst"),
        ("tepco_five_minute", five, TEPCO_FIVE_MINUTE, TEPCO_FIVE_MINUTE_KEY, "date_jst"),
        ("tepco_daily_summary", summary, TEPCO_DAILY_SUMMARY, TEPCO_DAILY_SUMMARY_KEY, "report_date"),
    ):
        df["loaded_at"] = loaded_at
        for col in [f.name for f in schema if str(f.type).startswith("timestamp")]:
            df[col] = _utc(df[col]) if len(df) else pd.Series(dtype="datetime64[us, UTC]")
        out.append(RawTable(name, table_from_frame(df, schema), key, rng))
    return out


def now_utc() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
