"""dlt source for TEPCO「でんき予報」: monthly zips of daily CSVs, yearly juyo CSVs, the live same-day file.

Four raw tables, one `@dlt.resource` each, merged on keys that include `area` (Japan has ten supply
areas; adding one must not change a key). Values stay in the source's 万kW. The source function
fetches and parses every file before dlt sees the data, so each bad file (or row) is set aside on
its own while the rest still loads; the resources then yield the parsed rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import dlt
import pandas as pd
from dlt.extract import DltResource

from core.load import columns
from core.settings import Settings
from core.time import jst_to_utc, utc_now
from ingest.http import Fetcher, Request
from ingest.quarantine import read_or_set_aside
from ingest.report import RunReport, progress
from ingest.tepco.parse import TepcoParseError, parse_daily_csv, parse_juyo_csv, read_monthly_zip
from ingest.tolerant import FormatNotes

SOURCE = "tepco"


def monthly_zip_url(base_url: str, year: int, month: int) -> str:
    return f"{base_url}/{year:04d}{month:02d}_power_usage.zip"


def juyo_url(base_url: str, year: int) -> str:
    return f"{base_url}/juyo-{year:04d}.csv"


#: TEPCO's live same-day file, overwritten during the day (named `juyo-d-j.csv` before 2026).
LIVE_FILE = "juyo-d1-j.csv"


def live_url(base_url: str) -> str:
    return f"{base_url}/{LIVE_FILE}"


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
    live: list[dict] = field(default_factory=list)


def _request(url: str, expect: str, not_published_label: str) -> Request:
    return Request(
        url=url, source=SOURCE, name=url.rsplit("/", 1)[-1], expect=expect, not_published_label=not_published_label
    )


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
        members = read_or_set_aside(
            settings,
            report,
            SOURCE,
            zip_name,
            content,
            lambda data, notes, name=zip_name: (read_monthly_zip(data, name, notes), []),
            TepcoParseError,
        )
        days = 0
        for member in members or []:
            source_file = f"{zip_name}/{member.name}"
            rep = read_or_set_aside(
                settings,
                report,
                SOURCE,
                source_file,
                member.data,
                lambda data, notes, name=member.name: _daily(data, name, notes, start, end),
                TepcoParseError,
            )
            if rep is None:
                continue
            days += 1
            common = {"area": settings.area, "source_file": source_file, "file_updated_at": rep.file_updated_at}
            for row in rep.hourly:
                batch.hourly.append({**common, "source_kind": "power_usage", "date_jst": rep.report_date, **row})
            for row in rep.five_minute:
                batch.five_minute.append({**common, "date_jst": rep.report_date, **row})
            for row in rep.summary:
                batch.summary.append({**common, "report_date": rep.report_date, **row})
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
        parsed = read_or_set_aside(
            settings,
            report,
            SOURCE,
            name,
            content,
            lambda data, notes, name=name: _with_issues(parse_juyo_csv(data, name, notes)),
            TepcoParseError,
        )
        if parsed is None:
            continue
        rows = [r for r in parsed.rows if start <= r["date_jst"] <= end]
        for r in rows:
            batch.hourly.append(
                {
                    "area": settings.area,
                    "source_kind": "juyo",
                    "source_file": name,
                    "file_updated_at": parsed.updated_at,
                    **r,
                }
            )
        last = max((r["date_jst"] for r in parsed.rows), default=None)
        ends = f", ends {last}" if last is not None and last < min(end, date(year, 12, 31)) else ""
        progress(f"  tepco juyo-{year}: {len(rows)} hours{ends}")
    return batch


def fetch_live(
    fetcher: Fetcher, settings: Settings, report: RunReport, captured_at: datetime, batch: TepcoBatch
) -> None:
    """Capture TEPCO's live same-day file as one vintage, keyed by the file's own `UPDATE` stamp.

    The file holds today's provisional actuals for the hours already measured and TEPCO's forecast
    for the others, as they stand now; TEPCO overwrites it during the day, so each capture is kept
    (the same file captured twice is one vintage). Its five-minute and peak blocks, when present,
    are not kept here: the monthly zip brings the day's final values the next morning.
    """
    url = live_url(settings.tepco_base_url)
    content = fetcher.get(_request(url, "csv", "tepco-live today"))
    if content is None:
        return
    rep = read_or_set_aside(
        settings,
        report,
        SOURCE,
        LIVE_FILE,
        content,
        _live,
        TepcoParseError,
    )
    if rep is None:
        return
    updated = rep.file_updated_at
    measured = sum(r["demand_man_kw"] is not None for r in rep.hourly)
    for row in rep.hourly:
        batch.live.append(
            {
                "area": settings.area,
                "date_jst": rep.report_date,
                **row,
                "file_updated_at": updated,
                "captured_at": captured_at,
                "source_file": LIVE_FILE,
            }
        )
    progress(f"  tepco live {rep.report_date}: {measured} hours measured, stamped {updated:%Y-%m-%d %H:%M}")


#: What a live file may lack without a note: it carries the hourly block (the five-minute block was
#: dropped in 2026, the peak blocks are in the monthly zip's file of the day).
_LIVE_MAY_LACK = ("five-minute block missing", "peak summary blocks missing")


def _live(data: bytes, notes):
    own = FormatNotes()
    rep = parse_daily_csv(data, LIVE_FILE, own, keep_unmeasured=True)
    for kind, n in own.items():
        if kind not in _LIVE_MAY_LACK:
            notes.note(kind, n)
    if rep.file_updated_at is None:
        raise TepcoParseError("the live file has no 'YYYY/M/D H:MM UPDATE' title: its vintage cannot be told")
    return rep, rep.issues


def _daily(data: bytes, name: str, notes, start: date, end: date):
    """A daily file's report and its unreadable rows; a day outside [start, end] counts as none
    (its rows are not set aside: another window loads that day)."""
    rep = parse_daily_csv(data, name, notes)
    return (rep, rep.issues) if start <= rep.report_date <= end else (None, [])


def _with_issues(parsed):
    return parsed, parsed.issues


def _frame(rows: list[dict], loaded_at: datetime) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["loaded_at"] = loaded_at
    return df


@dlt.resource(
    name="tepco_hourly",
    primary_key=("area", "source_kind", "date_jst", "hour_jst"),
    write_disposition="merge",
    columns=columns(
        "date_jst",
        area="text",
        source_kind="text",
        date_jst="date",
        hour_jst="bigint",
        hour_start_at="timestamp",
        demand_man_kw="double",
        forecast_man_kw="double",
        usage_pct="double",
        supply_man_kw="double",
        source_file="text",
        file_updated_at="timestamp",
        loaded_at="timestamp",
    ),
)
def tepco_hourly(batch: TepcoBatch, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """Hourly actuals (both kinds) and, from the daily files, TEPCO's forecast `予測値`, usage and supply.
    `hour_jst` labels the hour's start; `hour_start_at` is that instant in UTC."""
    df = _frame(batch.hourly, loaded_at)
    if len(batch.hourly):
        df["hour_start_at"] = jst_to_utc(df["date_jst"], df["hour_jst"] * 60).to_numpy()
    yield df


@dlt.resource(
    name="tepco_five_minute",
    primary_key=("area", "date_jst", "minute_of_day"),
    write_disposition="merge",
    columns=columns(
        "date_jst",
        area="text",
        date_jst="date",
        minute_of_day="bigint",
        interval_start_at="timestamp",
        demand_man_kw="double",
        solar_man_kw="double",
        solar_share_pct="double",
        source_file="text",
        file_updated_at="timestamp",
        loaded_at="timestamp",
    ),
)
def tepco_five_minute(batch: TepcoBatch, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """Five-minute demand and solar output of the daily files."""
    df = _frame(batch.five_minute, loaded_at)
    if len(batch.five_minute):
        df["interval_start_at"] = jst_to_utc(df["date_jst"], df["minute_of_day"]).to_numpy()
    yield df


@dlt.resource(
    name="tepco_daily_summary",
    primary_key=("area", "report_date", "horizon"),
    write_disposition="merge",
    columns=columns(
        "report_date",
        area="text",
        report_date="date",
        horizon="text",
        target_date="date",
        peak_supply_man_kw="double",
        peak_band="text",
        peak_band_start_hour="bigint",
        peak_supply_updated_at="timestamp",
        peak_reserve_pct="double",
        peak_usage_pct="double",
        forecast_peak_man_kw="double",
        forecast_peak_band="text",
        forecast_peak_band_start_hour="bigint",
        forecast_peak_updated_at="timestamp",
        usage_peak_supply_man_kw="double",
        usage_peak_band="text",
        usage_peak_band_start_hour="bigint",
        usage_peak_supply_updated_at="timestamp",
        usage_peak_reserve_pct="double",
        usage_peak_usage_pct="double",
        usage_peak_demand_man_kw="double",
        usage_peak_demand_updated_at="timestamp",
        max_usage_pct="double",
        max_usage_band_start_hour="bigint",
        source_file="text",
        file_updated_at="timestamp",
        loaded_at="timestamp",
    ),
)
def tepco_daily_summary(batch: TepcoBatch, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """The peak blocks of the daily files, for `today` and `next_day`."""
    yield _frame(batch.summary, loaded_at)


@dlt.resource(
    name="tepco_live_hourly",
    primary_key=("area", "file_updated_at", "date_jst", "hour_jst"),
    write_disposition="merge",
    columns=columns(
        "date_jst",
        area="text",
        file_updated_at="timestamp",
        date_jst="date",
        hour_jst="bigint",
        hour_start_at="timestamp",
        demand_man_kw="double",
        forecast_man_kw="double",
        usage_pct="double",
        supply_man_kw="double",
        captured_at="timestamp",
        source_file="text",
        loaded_at="timestamp",
    ),
)
def tepco_live_hourly(batch: TepcoBatch, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """Vintages of TEPCO's live same-day file: per `UPDATE` stamp (`file_updated_at`), the day's hourly
    provisional actuals (null for hours not yet measured) and TEPCO's forecast as they stood then.
    `captured_at` is when the vintage was first fetched (or, for the backfilled chart archive, captured):
    provenance, outside the content hash, so capturing the same file again changes nothing."""
    df = _frame(batch.live, loaded_at)
    if len(batch.live):
        df["hour_start_at"] = jst_to_utc(df["date_jst"], df["hour_jst"] * 60).to_numpy()
    yield df


#: Every argument of a dlt source or resource here is required and passed explicitly: dlt fills an
#: argument the caller leaves out from its configuration (environment variables such as `YEARLY`),
#: and the project's settings come from `core.settings` only.
@dlt.source(name="tepco", max_table_nesting=0)
def tepco(
    fetcher: Fetcher,
    settings: Settings,
    start: date,
    end: date,
    report: RunReport,
    loaded_at: datetime,
    yearly: bool,
    live: bool,
) -> tuple[DltResource, ...]:
    """TEPCO's files for the JST days [start, end]: the monthly zips covering them; with `yearly`
    (a backfill), the yearly `juyo-YYYY.csv` files first; with `live` (a daily run), a vintage of the
    live same-day file."""
    batch = TepcoBatch()
    if yearly:
        progress(f"tepco {start} … {end}: yearly juyo files")
        fetch_juyo(fetcher, settings, start, end, report, batch)
        progress(f"tepco {start} … {end}: monthly zips")
    fetch_monthly(fetcher, settings, start, end, report, batch)
    if live:
        fetch_live(fetcher, settings, report, utc_now(), batch)
    return (
        tepco_hourly(batch, loaded_at),
        tepco_five_minute(batch, loaded_at),
        tepco_daily_summary(batch, loaded_at),
        tepco_live_hourly(batch, loaded_at),
    )
