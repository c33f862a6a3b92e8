"""The ingestion commands: `daily` (what cron runs) and `backfill` (history).

Both fetch everything first (quarantining bad files one by one), then load all
raw tables in one dlt run, then print a summary.  Nothing that could be fetched
is lost because something else failed.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from ingest import archive as raw_archive
from ingest import calendar as jp_calendar
from ingest import jma, open_meteo, runlog, tepco
from ingest.config import Settings
from ingest.load import RawTable, load_tables
from ingest.report import RunReport, progress
from ingest.tables import (
    JMA_HOURLY_TEMPERATURE,
    JMA_HOURLY_TEMPERATURE_KEY,
    ML_FORECASTS,
    ML_FORECASTS_KEY,
    PIPELINE_RUNS,
    PIPELINE_RUNS_KEY,
)
from ingest.warehouse import make_pipeline

JST = timezone(timedelta(hours=9))
#: The daily job runs at 04:00 JST; a forecast fetched by a replayed day is stamped with that time.
ISSUE_HOUR_JST = 4


def today_jst() -> date:
    return datetime.now(JST).date()


def issue_time(as_of: date) -> datetime:
    """04:00 JST on the as-of date, as a UTC instant."""
    return datetime(as_of.year, as_of.month, as_of.day, ISSUE_HOUR_JST, tzinfo=JST).astimezone(timezone.utc)


def forecast_issued_at(as_of: date | None, now: datetime | None = None) -> datetime | None:
    """When the forecast we are about to fetch counts as issued, or None if it must not be kept.

    A live run stamps the fetch time (floored to the hour, so a quick re-run in the
    same hour merges instead of adding a vintage).  A replay (`--as-of`) stamps
    04:00 JST of that day, but only against the simulator, which serves the
    forecast as of that day: a live upstream only knows today's forecast, and
    storing it under a past issue time would leak the future into backtests.
    """
    now = now or datetime.now(timezone.utc)
    if as_of is None:
        return now.replace(minute=0, second=0, microsecond=0)
    if as_of >= now.astimezone(JST).date() or os.environ.get("ENERGY_SIMULATOR_URL"):
        return issue_time(as_of)
    return None


def empty_owned_tables() -> list[RawTable]:
    """Raw tables that dbt reads but this run may not fill (ML forecasts, optional JMA history),
    created empty if missing so every dbt source exists from the first run on."""
    return [
        RawTable("ml_forecasts", ML_FORECASTS.empty_table(), ML_FORECASTS_KEY, "target_hour_start_at"),
        RawTable("jma_hourly_temperature", JMA_HOURLY_TEMPERATURE.empty_table(), JMA_HOURLY_TEMPERATURE_KEY,
                 "valid_at"),
        RawTable("pipeline_runs", PIPELINE_RUNS.empty_table(), PIPELINE_RUNS_KEY, "started_at"),
    ]


def missing_owned_tables(tables: list[RawTable]) -> list[RawTable]:
    have = {t.name for t in tables}
    return [t for t in empty_owned_tables() if t.name not in have]


def run_daily(settings: Settings, as_of: date | None = None) -> RunReport:
    day = as_of or today_jst()
    report = RunReport(command=f"daily --as-of {day.isoformat()}")
    client, archive = raw_archive.client_for(settings)
    loaded_at = tepco.now_utc()
    points = open_meteo.load_points()
    last_complete = day - timedelta(days=1)
    window_start = day - timedelta(days=5)

    progress(f"daily {day}: TEPCO months covering {window_start} … {last_complete}")
    batch = tepco.fetch_monthly(client, settings, window_start.replace(day=1), last_complete, report)
    tables: list[RawTable] = tepco.to_raw_tables(batch, loaded_at)

    progress(f"daily {day}: Open-Meteo observed {day - timedelta(days=10)} … {last_complete}")
    observed = open_meteo.fetch_archive(
        client, settings, points, day - timedelta(days=open_meteo.PAST_DAYS), last_complete, report
    )
    issued_at = forecast_issued_at(as_of)
    if issued_at is None:
        report.errors.append(
            f"forecast not fetched: --as-of {day} is in the past and the upstream is live "
            "(its forecast is today's, not that day's); use the simulator for replays"
        )
        forecast = pd.DataFrame()
    else:
        progress(f"daily {day}: Open-Meteo forecast issued {issued_at:%Y-%m-%d %H:%M} UTC")
        forecast = open_meteo.fetch_forecast(client, settings, points, issued_at, report)
    tables += open_meteo.to_raw_tables(observed, forecast, loaded_at)
    tables += jp_calendar.to_raw_tables(day.year + 2, loaded_at)
    pending = runlog.pending_table(settings)  # run-log records a failed earlier run could not load
    if pending is not None:
        tables.append(pending)
    tables += missing_owned_tables(tables)

    load_tables(make_pipeline(settings), tables, report)
    if pending is not None:
        runlog.clear_spool(settings, pending.data.num_rows)
    report.notes.append(raw_archive.finish(archive))
    return report


def run_backfill(settings: Settings, start: date, end: date, weather: bool = True, from_archive: bool = False,
                 archive_date: date | None = None) -> RunReport:
    """History for [start, end]. With `from_archive` every file comes from the raw-file archive (the
    newest copy fetched on or before `archive_date`), not from upstream: a replay."""
    report = RunReport(command=f"backfill --start {start} --end {end}" + (" --from-archive" if from_archive else ""))
    archive = None
    if from_archive:
        client = raw_archive.ArchiveClient(raw_archive.store_from_env(settings), archive_date)
    else:
        client, archive = raw_archive.client_for(settings)
    loaded_at = tepco.now_utc()
    progress(f"backfill {start} … {end}: TEPCO yearly juyo files")
    batch = tepco.fetch_juyo(client, settings, start, end, report)
    progress(f"backfill {start} … {end}: TEPCO monthly zips")
    tepco.fetch_monthly(client, settings, start, end, report, batch)
    tables = tepco.to_raw_tables(batch, loaded_at)
    if weather:
        progress(f"backfill {start} … {end}: Open-Meteo archive")
        observed = open_meteo.fetch_archive(client, settings, open_meteo.load_points(), start, end, report)
        tables += open_meteo.to_raw_tables(observed, pd.DataFrame(), loaded_at)
        if jma.configured():
            progress(f"backfill {start} … {end}: JMA station temperature (history)")
            tables += jma.to_raw_tables(jma.fetch(client, settings, start, end, report), loaded_at)
    tables += jp_calendar.to_raw_tables(max(end.year, today_jst().year) + 2, loaded_at)
    tables += missing_owned_tables(tables)
    load_tables(make_pipeline(settings), tables, report)
    report.notes.append(raw_archive.finish(archive))
    return report
