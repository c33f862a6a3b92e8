"""The ingestion commands: `daily` (what cron runs) and `backfill` (history).

Both fetch everything first (quarantining bad files one by one), then load all
raw tables in one dlt run, then print a summary.  Nothing that could be fetched
is lost because something else failed.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from dlt.extract import DltResource, DltSource

from core import runlog
from core import settings as config
from core.load import load
from core.outputs import ml_forecasts, pipeline_runs
from core.settings import Settings
from core.time import JST, issue_time, today_jst, utc_now
from core.warehouse import make_pipeline, read_df
from ingest import archive as raw_archive
from ingest import jma as jma_source
from ingest.calendar import FIRST_YEAR as HOLIDAYS_FROM
from ingest.calendar import jp_holidays
from ingest.http import Fetcher
from ingest.jma import jma
from ingest.open_meteo import PAST_DAYS, load_points, open_meteo, year_chunks
from ingest.open_meteo.previous_runs import CallBudget, Plan, Window, quarter_chunks, scaled_limits
from ingest.quarantine import recorded_events
from ingest.report import RunReport, progress
from ingest.tepco import TepcoBatch, tepco, tepco_hourly, tepco_live_hourly
from ingest.tepco.chart import ChartArchive


def forecast_issued_at(as_of: date | None, now: datetime | None = None) -> datetime | None:
    """When the forecast we are about to fetch counts as issued, or None if it must not be kept.

    A live run stamps the fetch time (floored to the hour, so a quick re-run in the
    same hour merges instead of adding a vintage).  A replay (`--as-of`) stamps
    04:00 JST of that day, but only against the simulator, which serves the
    forecast as of that day: a live upstream only knows today's forecast, and
    storing it under a past issue time would leak the future into backtests.
    """
    now = now or datetime.now(UTC)
    if as_of is None:
        return now.replace(minute=0, second=0, microsecond=0)
    if as_of >= now.astimezone(JST).date() or config.simulated():
        return issue_time(as_of)
    return None


def own_tables(pending_runs: DltResource | None = None) -> list[DltResource]:
    """Raw tables dbt reads that this run may not fill (the ML forecasts, the run log), created empty
    if missing so every dbt source exists from the first run on; the run log's pending records
    (a failed earlier run could not load them) are loaded with them."""
    return [ml_forecasts(None), pending_runs if pending_runs is not None else pipeline_runs(None)]


class LiveDateError(ValueError):
    """An as-of date a live upstream cannot serve (a future day)."""


def check_as_of(as_of: date | None, now: datetime | None = None) -> None:
    """Refuse an as-of date after today (JST) against a live upstream: it would store a forecast
    vintage "issued" in the future. The simulator serves any day, so replays stay possible there."""
    if as_of is None or config.simulated():
        return
    today = (now or datetime.now(UTC)).astimezone(JST).date()
    if as_of > today:
        raise LiveDateError(
            f"--as-of {as_of} is after today ({today} JST): a live upstream cannot serve it "
            "(use the simulator for replays)"
        )


def upstream_urls(settings: Settings) -> list[str]:
    urls = [settings.tepco_base_url, settings.open_meteo_archive_url, settings.open_meteo_forecast_url]
    if jma_source.base_url():
        urls.append(jma_source.base_url())
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
    loaded_at = utc_now()
    down = preflight(fetcher, settings)
    if bootstrap and settings.bootstrap:
        if down:  # a year landed without its weather would count as present: wait for every upstream
            progress("bootstrap postponed: an upstream is unreachable (the next run backfills what is missing)")
        else:
            run_bootstrap(settings, day, report, fetcher.client)
    last_complete = day - timedelta(days=1)
    window_start = day - timedelta(days=5)
    issued_at = forecast_issued_at(as_of)
    if issued_at is None:
        report.errors.append(
            f"forecast not fetched: --as-of {day} is in the past and the upstream is live "
            "(its forecast is today's, not that day's); use the simulator for replays"
        )
    progress(
        f"daily {day}: TEPCO months covering {window_start} … {last_complete}; Open-Meteo observed "
        f"{day - timedelta(days=PAST_DAYS)} … {last_complete} and the forecast"
    )
    sources: list[DltSource | DltResource] = [
        tepco(
            fetcher, settings, window_start.replace(day=1), last_complete, report, loaded_at, yearly=False, live=True
        ),
        open_meteo(
            fetcher,
            settings,
            report,
            loaded_at,
            observed=(day - timedelta(days=PAST_DAYS), last_complete),
            issued_at=issued_at,
            points=None,
        ),
        jma(fetcher, settings, report, loaded_at, days=None),
        jp_holidays(day.year + 2, loaded_at, first_year=HOLIDAYS_FROM),
    ]
    pending, n_pending = runlog.pending(settings)  # run-log records a failed earlier run could not load
    sources += own_tables(pending)
    sources.append(recorded_events(settings, report, loaded_at))  # last: what the fetches above set aside

    load(make_pipeline(settings), sources, report)
    if pending is not None:
        runlog.clear_spool(settings, n_pending)
    report.notes.append(raw_archive.finish(archive))
    return report


def run_backfill(
    settings: Settings,
    start: date,
    end: date,
    weather: bool = True,
    from_archive: bool = False,
    archive_date: date | None = None,
    client: object | None = None,
    run_id: str | None = None,
    forecast_vintages: bool = False,
) -> RunReport:
    """History for [start, end]. With `from_archive` every file comes from the raw-file archive (the
    newest copy fetched on or before `archive_date`), not from upstream: a replay. With
    `forecast_vintages`, only the archived weather forecasts of the Previous Runs API
    (`run_forecast_vintages`).

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
    if forecast_vintages:
        report.command += " --forecast-vintages"
        run_forecast_vintages(settings, fetcher, start, end, report)
        report.notes.append(raw_archive.finish(archive))
        return report
    if not from_archive and client is None:  # a bootstrap's years share the day's client, already probed
        preflight(fetcher, settings)
    loaded_at = utc_now()
    progress(f"backfill {start} … {end}: TEPCO yearly juyo files and monthly zips" + (", weather" if weather else ""))
    sources: list[DltSource | DltResource] = [
        tepco(fetcher, settings, start, end, report, loaded_at, yearly=True, live=False),
        open_meteo(
            fetcher,
            settings,
            report,
            loaded_at,
            observed=(start, end) if weather else None,
            issued_at=None,
            points=None,
        ),
        jma(fetcher, settings, report, loaded_at, days=(start, end) if weather else None),
        jp_holidays(max(end.year, today_jst().year) + 2, loaded_at, first_year=HOLIDAYS_FROM),
        *own_tables(),
        recorded_events(settings, report, loaded_at),  # last: what the fetches above set aside
    ]
    load(make_pipeline(settings), sources, report)
    report.notes.append(raw_archive.finish(archive))
    return report


def run_forecast_vintages(settings: Settings, fetcher: Fetcher, start: date, end: date, report: RunReport) -> None:
    """The Previous Runs archive for the JST days [start, end], one load per point: an interrupted
    backfill keeps the points it finished, and a re-run stores nothing twice."""
    points = load_points()
    limits = scaled_limits(settings.open_meteo_call_limit_scale)
    window = Window(start, end, CallBudget(limits=limits))
    plan = Plan(quarter_chunks(start, end), len(points), limits)
    progress(f"forecast vintages {start} … {end} ({settings.open_meteo_previous_runs_model}): {plan.describe()}")
    began = time.monotonic()
    for i, point in enumerate(points, 1):
        loaded_at = utc_now()
        load(
            make_pipeline(settings),
            [open_meteo(fetcher, settings, report, loaded_at, None, None, [point], window)],
            report,
        )
        progress(
            f"  previous runs: {i}/{len(points)} points, {window.budget.total_calls:,.0f} calls, "
            f"{time.monotonic() - began:.0f} s"
        )
    load(make_pipeline(settings), [recorded_events(settings, report, utc_now())], report)
    report.notes.append(
        f"forecast vintages: {plan.requests} requests, {window.budget.total_calls:,.1f} calls counted against the "
        f"limits, {window.budget.waited_s:.0f} s waited for its limits"
    )


# --- the first run's bootstrap ---------------------------------------------------------------------

#: A year of history counts as present when it lacks at most this many days (the daily window, a
#: day upstream never published); a bigger hole makes the bootstrap fetch that year again.
BOOTSTRAP_SLACK_DAYS = 7


def days_with_demand(settings: Settings) -> set[date]:
    """JST dates holding at least 20 hours of actual demand in `raw.tepco_hourly` (any source kind)."""
    try:
        df = read_df(
            make_pipeline(settings),
            "select date_jst, count(distinct hour_jst) as n_hours from {table} "
            "where demand_man_kw is not null group by date_jst",
            table=tepco_hourly.name,
        )
    except Exception as exc:
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
    for lo, hi in year_chunks(start, end):
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
    progress(
        f"bootstrap: the warehouse lacks history the forecast needs; backfilling {len(chunks)} year(s), "
        f"{chunks[0][0]} … {chunks[-1][1]} ({days} days; ENERGY_BOOTSTRAP_START={settings.bootstrap_start}). "
        "An interrupted bootstrap resumes at the first missing year."
    )
    t0 = time.perf_counter()
    for i, (lo, hi) in enumerate(chunks, start=1):
        part = run_backfill(settings, lo, hi, client=client, run_id=report.run_id)
        report.merge(part)
        elapsed = time.perf_counter() - t0
        left = elapsed / i * (len(chunks) - i)
        hours = part.rows_loaded.get(tepco_hourly.name, 0)
        progress(
            f"bootstrap {i}/{len(chunks)}: {lo} … {hi} loaded ({hours} new demand rows); "
            f"{elapsed:.0f} s elapsed, about {left:.0f} s left"
        )
        if part.errors:  # the year's demand counts as present from now on: say what to re-run
            progress(
                f"  {len(part.errors)} upstream error(s) in {lo.year} (see the summary); once upstream is back: "
                f"python -m ingest backfill --start {lo} --end {hi}"
            )


def run_live_archive(settings: Settings, path: Path, hour: int, minute: int) -> RunReport:
    """Land, from the archive of TEPCO's live chart (`ingest.tepco.chart`), one vintage per archived day:
    the latest snapshot at or before HH:MM JST of that day, as the live file stood then.

    With the default 04:00 (the issue time) these are TEPCO's forecasts as known when our forecast of
    that day was issued: the `tepco_at_issue` rows of the accuracy marts. Idempotent (merge on the
    vintage key); other times of day can be added by running it again with another `--at`.
    """
    report = RunReport(command=f"live-archive {path.name} --at {hour:02d}:{minute:02d}")
    loaded_at = utc_now()
    progress(f"live-archive: reading {path} …")
    archive = ChartArchive(path)
    vintages = archive.vintages_at(hour, minute)
    batch = TepcoBatch()
    for snap in vintages:
        for row in snap.rows():
            batch.live.append({"area": settings.area, **row, "captured_at": snap.captured_at, "source_file": path.name})
    days = archive.days()
    progress(
        f"live-archive: {len(archive.captures)} snapshots over {len(days)} days ({days[0]} … {days[-1]}); "
        f"{len(vintages)} days have a usable snapshot at or before {hour:02d}:{minute:02d} JST"
        if days
        else "live-archive: no snapshot found"
    )
    load(make_pipeline(settings), [tepco_live_hourly(batch, loaded_at)], report)
    return report
