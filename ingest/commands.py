"""The ingestion commands: `daily` (what cron runs) and `backfill` (history).

Both fetch everything first (quarantining bad files one by one), then load all
raw tables in one dlt run, then print a summary.  Nothing that could be fetched
is lost because something else failed.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

import pandas as pd

from ingest import archive as raw_archive
from ingest import calendar as jp_calendar
from ingest import jma, open_meteo, runlog, tepco
from ingest.config import Settings
from ingest.http import Fetcher
from ingest.load import RawTable, load_tables
from ingest.quarantine import events_frame
from ingest.report import RunReport, progress
from ingest.tables import (
    JMA_HOURLY_TEMPERATURE,
    JMA_HOURLY_TEMPERATURE_KEY,
    ML_FORECASTS,
    ML_FORECASTS_KEY,
    PIPELINE_RUNS,
    PIPELINE_RUNS_KEY,
    QUARANTINE_EVENTS,
    QUARANTINE_EVENTS_KEY,
    table_from_frame,
)
from ingest.warehouse import make_pipeline, read_df

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


class LiveDateError(ValueError):
    """An as-of date a live upstream cannot serve (a future day)."""


def check_as_of(as_of: date | None, now: datetime | None = None) -> None:
    """Refuse an as-of date after today (JST) against a live upstream: it would store a forecast
    vintage "issued" in the future. The simulator serves any day, so replays stay possible there."""
    if as_of is None or os.environ.get("ENERGY_SIMULATOR_URL"):
        return
    today = (now or datetime.now(timezone.utc)).astimezone(JST).date()
    if as_of > today:
        raise LiveDateError(f"--as-of {as_of} is after today ({today} JST): a live upstream cannot serve it "
                            "(use the simulator for replays)")


def upstream_urls(settings: Settings) -> list[str]:
    urls = [settings.tepco_base_url, settings.open_meteo_archive_url, settings.open_meteo_forecast_url]
    if jma.base_url():
        urls.append(jma.base_url())
    return urls


def preflight(fetcher: Fetcher, settings: Settings) -> dict[str, str]:
    """Probe every upstream host at once; the unreachable ones (host → why) are said here, once."""
    down = fetcher.preflight(upstream_urls(settings))
    if down:
        progress("unreachable: " + "; ".join(f"{h} ({why})" for h, why in sorted(down.items())))
    return down


def fetcher_for(settings: Settings, report: RunReport, client: object | None = None) -> tuple[Fetcher, object]:
    """The shared fetch step for a live run (archiving unless ENERGY_ARCHIVE=0), and its archive."""
    archive = None
    if client is None:
        client, archive = raw_archive.client_for(settings)
    return Fetcher(client, report, settings.quarantine_dir, settings.http.workers), archive


def run_daily(settings: Settings, as_of: date | None = None, bootstrap: bool = True) -> RunReport:
    check_as_of(as_of)
    day = as_of or today_jst()
    report = RunReport(command=f"daily --as-of {day.isoformat()}")
    fetcher, archive = fetcher_for(settings, report)
    loaded_at = tepco.now_utc()
    down = preflight(fetcher, settings)
    if bootstrap and settings.bootstrap:
        if down:  # a year landed without its weather would count as present: wait for every upstream
            progress("bootstrap postponed: an upstream is unreachable (the next run backfills what is missing)")
        else:
            run_bootstrap(settings, day, report, fetcher.client)
    points = open_meteo.load_points()
    last_complete = day - timedelta(days=1)
    window_start = day - timedelta(days=5)

    progress(f"daily {day}: TEPCO months covering {window_start} … {last_complete}")
    batch = tepco.fetch_monthly(fetcher, settings, window_start.replace(day=1), last_complete, report)
    tables: list[RawTable] = tepco.to_raw_tables(batch, loaded_at)

    progress(f"daily {day}: Open-Meteo observed {day - timedelta(days=10)} … {last_complete}")
    observed = open_meteo.fetch_archive(
        fetcher, settings, points, day - timedelta(days=open_meteo.PAST_DAYS), last_complete, report
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
        forecast = open_meteo.fetch_forecast(fetcher, settings, points, issued_at, report)
    tables += open_meteo.to_raw_tables(observed, forecast, loaded_at)
    tables += jp_calendar.to_raw_tables(day.year + 2, loaded_at)
    pending = runlog.pending_table(settings)  # run-log records a failed earlier run could not load
    if pending is not None:
        tables.append(pending)
    tables.append(quarantine_table(settings, report, loaded_at))
    tables += missing_owned_tables(tables)

    load_tables(make_pipeline(settings), tables, report)
    if pending is not None:
        runlog.clear_spool(settings, pending.data.num_rows)
    report.notes.append(raw_archive.finish(archive))
    return report


def quarantine_table(settings: Settings, report: RunReport, loaded_at: datetime) -> RawTable:
    """What this run set aside and has not recorded yet, as rows of `raw.quarantine_events` (an empty
    batch still creates the table). Each entry is first compared with what earlier runs recorded:
    a bad row of the current month is met again by every run until the month ends, and is reported
    each time but alerted (exit 1) only the first time."""
    entries = [q for q in report.quarantined if not q.recorded]
    if entries:
        try:
            seen = read_df(make_pipeline(settings), "select distinct source_name, file_name, line_number, reason "
                           "from {table} where run_id <> %s", table="quarantine_events", params=(report.run_id,))
        except Exception:  # noqa: BLE001 - no table yet (first run): nothing seen before
            seen = pd.DataFrame(columns=["source_name", "file_name", "line_number", "reason"])
        before = {(r.source_name, r.file_name, int(r.line_number), r.reason) for r in seen.itertuples()}
        for q in entries:
            q.seen_before = (q.source, q.name, q.line, q.reason) in before
            q.recorded = True
    frame = events_frame(report, loaded_at, entries)
    return RawTable("quarantine_events", table_from_frame(frame, QUARANTINE_EVENTS), QUARANTINE_EVENTS_KEY,
                    "line_number")


def run_backfill(settings: Settings, start: date, end: date, weather: bool = True, from_archive: bool = False,
                 archive_date: date | None = None, client: object | None = None,
                 run_id: str | None = None) -> RunReport:
    """History for [start, end]. With `from_archive` every file comes from the raw-file archive (the
    newest copy fetched on or before `archive_date`), not from upstream: a replay.

    TEPCO history comes from both the yearly `juyo-YYYY.csv` files and the monthly zips: the yearly
    files stopped growing (2025-07-22), and staging prefers the monthly files where both exist, so
    the seam between them has no gap.
    """
    report = RunReport(command=f"backfill --start {start} --end {end}" + (" --from-archive" if from_archive else ""))
    if run_id:  # a bootstrap year records its events under the day's run
        report.run_id = run_id
    archive = None
    if from_archive:
        client = raw_archive.ArchiveClient(raw_archive.store_from_env(settings), archive_date)
    fetcher, archive = fetcher_for(settings, report, client)
    if not from_archive and client is None:  # a bootstrap's years share the day's client, already probed
        preflight(fetcher, settings)
    loaded_at = tepco.now_utc()
    progress(f"backfill {start} … {end}: TEPCO yearly juyo files")
    batch = tepco.fetch_juyo(fetcher, settings, start, end, report)
    progress(f"backfill {start} … {end}: TEPCO monthly zips")
    tepco.fetch_monthly(fetcher, settings, start, end, report, batch)
    tables = tepco.to_raw_tables(batch, loaded_at)
    if weather:
        progress(f"backfill {start} … {end}: Open-Meteo archive")
        observed = open_meteo.fetch_archive(fetcher, settings, open_meteo.load_points(), start, end, report)
        tables += open_meteo.to_raw_tables(observed, pd.DataFrame(), loaded_at)
        if jma.configured():
            progress(f"backfill {start} … {end}: JMA station temperature (history)")
            tables += jma.to_raw_tables(jma.fetch(fetcher, settings, start, end, report), loaded_at)
    tables += jp_calendar.to_raw_tables(max(end.year, today_jst().year) + 2, loaded_at)
    tables.append(quarantine_table(settings, report, loaded_at))
    tables += missing_owned_tables(tables)
    load_tables(make_pipeline(settings), tables, report)
    report.notes.append(raw_archive.finish(archive))
    return report


# --- the first run's bootstrap ---------------------------------------------------------------------

#: A year of history counts as present when it lacks at most this many days (the daily window, a
#: day upstream never published); a bigger hole makes the bootstrap fetch that year again.
BOOTSTRAP_SLACK_DAYS = 7


def days_with_demand(settings: Settings) -> set[date]:
    """JST dates holding at least 20 hours of actual demand in `raw.tepco_hourly` (any source kind)."""
    try:
        df = read_df(make_pipeline(settings), "select date_jst, count(distinct hour_jst) as n_hours from {table} "
                     "where demand_man_kw is not null group by date_jst", table="tepco_hourly")
    except Exception as exc:  # noqa: BLE001 - no table yet (empty warehouse): nothing is present
        if "not exist" in str(exc) or "not found" in str(exc).lower() or "undefined" in type(exc).__name__.lower():
            return set()
        raise
    if df.empty:
        return set()
    return {pd.Timestamp(d).date() for d, n in zip(df["date_jst"], df["n_hours"]) if n >= 20}


def missing_history(settings: Settings, day: date, start: date | None = None) -> list[tuple[date, date]]:
    """The years of [bootstrap start, day − 1] the warehouse lacks (one chunk per calendar year)."""
    start = start or settings.bootstrap_start
    end = day - timedelta(days=1)
    if start > end:
        return []
    have = days_with_demand(settings)
    chunks = []
    for lo, hi in open_meteo.year_chunks(start, end):
        expected = (hi - lo).days + 1
        present = sum(1 for d in have if lo <= d <= hi)
        if expected - present > BOOTSTRAP_SLACK_DAYS:
            chunks.append((lo, hi))
    return chunks


def run_bootstrap(settings: Settings, day: date, report: RunReport, client: object | None = None) -> None:
    """Backfill the history the forecast needs, a year at a time, before the day's own ingest.

    Each year is fetched, parsed and loaded on its own, so an interrupted bootstrap resumes at the
    first year still missing (the years already landed are not fetched again). Progress and an
    estimate go to stderr; what each year set aside joins the day's report.
    """
    chunks = missing_history(settings, day)
    if not chunks:
        return
    days = sum((hi - lo).days + 1 for lo, hi in chunks)
    progress(f"bootstrap: the warehouse lacks history the forecast needs; backfilling {len(chunks)} year(s), "
             f"{chunks[0][0]} … {chunks[-1][1]} ({days} days; ENERGY_BOOTSTRAP_START={settings.bootstrap_start}). "
             "An interrupted bootstrap resumes at the first missing year.")
    t0 = time.perf_counter()
    for i, (lo, hi) in enumerate(chunks, start=1):
        part = run_backfill(settings, lo, hi, client=client, run_id=report.run_id)
        report.merge(part)
        elapsed = time.perf_counter() - t0
        left = elapsed / i * (len(chunks) - i)
        hours = part.rows_loaded.get("tepco_hourly", 0)
        progress(f"bootstrap {i}/{len(chunks)}: {lo} … {hi} loaded ({hours} new demand rows); "
                 f"{elapsed:.0f} s elapsed, about {left:.0f} s left")
        if part.errors:  # the year's demand counts as present from now on: say what to re-run
            progress(f"  {len(part.errors)} upstream error(s) in {lo.year} (see the summary); once upstream is back: "
                     f"python -m ingest backfill --start {lo} --end {hi}")
