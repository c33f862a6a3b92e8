"""The weather a forecast sees when it is not observed weather: the weather a backtest on archived
forecasts may use (`previous_runs_weather`), the weather a past issue saw for training on archived
forecasts (`as_issued`), and the damping of any forecast toward the normal by its lead (`damp`,
`fit_damping`; see the section below).

A backtest with archived forecasts (`--weather previous_runs`) builds its weather only from what was
published by the issue time. For each of the issue's 384 target hours (issue date 00:00 … day 16
23:00 JST), the Previous Runs value of the smallest lead day N whose value was known by the issue time
(04:00 JST): known at the hour − 24·N h + the publication delay (`core.time.previous_run_known_at`).
The archive reaches 7 days, so with the 6 h delay it covers the hours up to day 7 22:00 JST. The hours
beyond it come from the project's own daily vintage of that issue date where one was stored (what a
user running the daily job has), else from a climatological normal of the hour computed from observed
weather strictly before the issue date. The run's weather label says which: `previous_runs` (archive +
own vintage, or archive alone) or `previous_runs_climatology`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.time import JST_NAME, PREVIOUS_RUNS_LEAD_DAYS, forecast_lead_days, issue_time
from ml.features import HORIZON_DAYS, HOURS, WEATHER_COLUMNS, DayGrid, roll24

#: A normal of the hour: observed values of the same hour within this many days of the same date,
#: in every earlier year the history holds.
NORMAL_WINDOW_DAYS = 7


@dataclass
class IssueWeather:
    """The horizon weather of one issue and where its hours came from."""

    frame: pd.DataFrame  # valid_at + WEATHER_COLUMNS, 384 rows
    label: str  # the run's weather_source
    hours: dict[str, int]  # source → hours


def horizon_hours(issue: date) -> pd.DatetimeIndex:
    """The issue's target hours (their starts), UTC."""
    return pd.date_range(pd.Timestamp(issue).tz_localize(JST_NAME), periods=HORIZON_DAYS * 24, freq="h").tz_convert(
        "UTC"
    )


def latest_known(runs: pd.DataFrame, issue: date) -> pd.DataFrame:
    """Per target hour of the issue, the row of the smallest lead known by the issue time."""
    hours = horizon_hours(issue)
    usable = runs[(runs["known_at"] <= issue_time(issue)) & runs["valid_at"].isin(hours)]
    return usable.sort_values(["valid_at", "lead_day"]).drop_duplicates("valid_at", keep="first")


def climatology(grid: DayGrid, issue: date) -> pd.DataFrame:
    """Each target hour's normal: the mean observed value of the same hour within NORMAL_WINDOW_DAYS of
    the same date in earlier years, from days strictly before the issue date (never anything later)."""
    i0 = grid.index(issue)
    days = np.arange(i0, i0 + HORIZON_DAYS)
    out = {"valid_at": horizon_hours(issue)}
    for col in WEATHER_COLUMNS:
        values = grid.weather[col]
        normal = np.full((HORIZON_DAYS, 24), np.nan)
        for k, d in enumerate(days):
            idx = np.array(
                [d - 365 * y + j for y in range(1, 30) for j in range(-NORMAL_WINDOW_DAYS, NORMAL_WINDOW_DAYS + 1)]
            )
            idx = idx[(idx >= 0) & (idx < i0)]
            if len(idx):
                with np.errstate(all="ignore"):
                    block = values[idx, :]
                    counts = np.sum(~np.isnan(block), axis=0)
                    normal[k] = np.where(counts > 0, np.nansum(block, axis=0) / np.maximum(counts, 1), np.nan)
        out[col] = normal.reshape(-1)
    return pd.DataFrame(out)


def previous_runs_weather(
    runs: pd.DataFrame, issue: date, grid: DayGrid, own_vintage: pd.DataFrame | None
) -> IssueWeather:
    """The issue's horizon weather from the archive, filled beyond its reach (see the module)."""
    hours = horizon_hours(issue)
    frame = pd.DataFrame({"valid_at": hours})
    picked = latest_known(runs, issue) if not runs.empty else pd.DataFrame(columns=["valid_at", *WEATHER_COLUMNS])
    frame = frame.merge(picked[["valid_at", "lead_day", *WEATHER_COLUMNS]], on="valid_at", how="left")
    from_archive = frame["valid_at"].isin(picked["valid_at"])
    # the lead each hour is seen with: the archive row's own, else the convention for a forecast
    frame["weather_lead_days"] = frame.pop("lead_day").where(from_archive, forecast_lead_days(np.arange(len(frame))))
    counts = {"previous_runs": int(from_archive.sum())}
    fill = own_vintage if own_vintage is not None and not own_vintage.empty else None
    label = "previous_runs"
    if fill is not None:
        counts["own_vintage"] = int((~from_archive & frame["valid_at"].isin(fill["valid_at"])).sum())
    else:
        fill = climatology(grid, issue)
        counts["climatology"] = int((~from_archive).sum())
        if counts["climatology"]:
            label = "previous_runs_climatology"
    filler = frame[["valid_at"]].merge(fill[["valid_at", *WEATHER_COLUMNS]], on="valid_at", how="left")
    for col in WEATHER_COLUMNS:
        frame[col] = frame[col].where(from_archive, filler[col])
    return IssueWeather(frame, label, counts)


#: A past issue trains on archived forecasts only when the archive covers at least this many of its
#: horizon hours (the archive reaches 167): else on observed weather.
MIN_ARCHIVE_HOURS = 6 * 24


@dataclass
class ArchiveGrid:
    """The archive laid on the grid's days: lead → column → (n_days, 24), NaN where it has no value."""

    values: dict[int, dict[str, np.ndarray]]

    @classmethod
    def build(cls, grid: DayGrid, runs: pd.DataFrame) -> ArchiveGrid:
        di, hi = grid.cells(runs["valid_at"])
        lead = runs["lead_day"].to_numpy()
        values: dict[int, dict[str, np.ndarray]] = {}
        for n in PREVIOUS_RUNS_LEAD_DAYS:
            ok = (lead == n) & (di >= 0) & (di < len(grid.days))
            values[n] = {}
            for col in WEATHER_COLUMNS:
                mat = np.full((len(grid.days), HOURS), np.nan)
                if col in runs.columns:
                    mat[di[ok], hi[ok]] = pd.to_numeric(runs[col], errors="coerce").to_numpy(dtype=float)[ok]
                values[n][col] = mat
        return cls(values)


def as_issued(grid: DayGrid, archive: ArchiveGrid, issue: date) -> tuple[DayGrid, int]:
    """The grid as a past issue could have seen its horizon, for training: each target hour's weather
    from the archive at the lead known by the issue time (`forecast_lead_days`; the next lead when
    that one is missing), observed weather (lead 0) where the archive has none, i.e. beyond its
    7-day reach. Returns the grid and how many hours came from the archive.

    Unlike `DayGrid.with_weather`, the hours it does not replace keep their observed values: training
    rows have a target, and the model is told by `weather_lead_days` which weather each row had."""
    i0 = grid.index(issue)
    k = np.arange(HORIZON_DAYS * HOURS)
    days, hours = i0 + k // HOURS, k % HOURS
    inside = days < len(grid.days)
    k, days, hours = k[inside], days[inside], hours[inside]
    wanted = forecast_lead_days(k)
    chosen = np.zeros(len(k), dtype=np.int64)
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        have = ~np.isnan(archive.values[n]["temperature_c"][days, hours])
        chosen = np.where((chosen == 0) & (wanted <= n) & have, n, chosen)
    use = chosen > 0
    weather = {}
    for col, arr in grid.weather.items():
        out = arr.copy()
        for n in PREVIOUS_RUNS_LEAD_DAYS:
            pick = chosen == n
            out[days[pick], hours[pick]] = archive.values[n][col][days[pick], hours[pick]]
        weather[col] = out
    lead = grid.leads().copy()
    lead[days, hours] = chosen
    issued = replace(grid, weather=weather, roll24_temperature=roll24(weather["temperature_c"]), weather_lead=lead)
    return issued, int(use.sum())


# --- damping a forecast toward the normal ------------------------------------------------------------
#
# The model is trained on observed weather. Given a forecast f of lead N with error variance s²_N, the
# best estimate of the weather is not f but a center c plus a share of f's departure from it: c + b_N ·
# (f − c), b_N = v / (v + s²_N), v the variance of observed anomalies (observed − normal), for errors
# independent of the anomaly. The center is the hour's normal plus the recent anomaly
# (`damping_center`). Plugging f itself in (b = 1) makes the model react to a 10-day-old
# forecast as if it were observed weather. The factors are estimated when a model is trained, from
# what was known before its cut-off, per lead day and weather column, and stored in its meta.json:
# s²_N from the project's own daily vintages (every lead 1–17) where they hold DAMPING_MIN_PAIRS hours
# of that lead (the same product the forecast reads), else from the Previous Runs archive (leads 1–7);
# a lead with neither keeps b = 1 up to day 7 and takes b = 0.5 beyond it ("beyond a week, skill
# close to climatology": s² = v).

#: Hours of forecast-versus-observed pairs a lead needs before its error variance is trusted (ten
#: daily vintages' worth).
DAMPING_MIN_PAIRS = 10 * 24
#: Observed anomalies over this many days before the cut-off give v.
ANOMALY_DAYS = 365
#: The leads a forecast may have (1 … 17 by `forecast_lead_days`).
MAX_LEAD = int(forecast_lead_days(np.array([HORIZON_DAYS * HOURS - 1]))[0])


def anomalies(grid: DayGrid, issue: date) -> dict[str, np.ndarray]:
    """Per weather column, observed − normal on the grid's days (NaN outside the ANOMALY_DAYS before
    `issue`, and where a day has no normal): each day's normal from the years before it (`climatology`)."""
    i0 = grid.index(issue)
    out = {c: np.full((len(grid.days), HOURS), np.nan) for c in WEATHER_COLUMNS}
    for d0 in range(max(i0 - ANOMALY_DAYS, 0), i0, HORIZON_DAYS):
        normal = climatology(grid, grid.days[d0].date())
        n_days = min(HORIZON_DAYS, i0 - d0)
        for col in WEATHER_COLUMNS:
            normal_block = normal[col].to_numpy()[: n_days * HOURS].reshape(n_days, HOURS)
            out[col][d0 : d0 + n_days] = grid.weather[col][d0 : d0 + n_days] - normal_block
    return out


def _forecast_pairs(
    grid: DayGrid, issue: date, archive: pd.DataFrame | None, vintages: pd.DataFrame | None
) -> dict[str, dict[int, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]]:
    """Forecasts with their observation, per source ("own", "archive"), lead and column, for valid hours
    in the ANOMALY_DAYS before `issue` (known before it): (day index, hour, forecast − observed)."""
    i0 = grid.index(issue)
    lo = max(i0 - ANOMALY_DAYS, 0)
    out: dict[str, dict[int, dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]]] = {"own": {}, "archive": {}}
    if archive is not None and not archive.empty:
        mats = ArchiveGrid.build(grid, archive)
        days, hours = np.divmod(np.arange(lo * HOURS, i0 * HOURS), HOURS)
        for n in PREVIOUS_RUNS_LEAD_DAYS:
            out["archive"][n] = {
                col: (days, hours, (mats.values[n][col][lo:i0] - grid.weather[col][lo:i0]).reshape(-1))
                for col in WEATHER_COLUMNS
            }
    if vintages is not None and not vintages.empty:
        di, hi = grid.cells(vintages["valid_at"])
        issued = (pd.to_datetime(vintages["issue_date_jst"]) - pd.Timestamp(grid.first_day)).dt.days.to_numpy()
        lead = forecast_lead_days(np.maximum((di - issued) * HOURS + hi, 0))
        ok = (di >= lo) & (di < i0) & (di >= issued)
        for n in np.unique(lead[ok]):
            sel = ok & (lead == n)
            out["own"][int(n)] = {
                col: (
                    di[sel],
                    hi[sel],
                    pd.to_numeric(vintages[col], errors="coerce").to_numpy(dtype=float)[sel]
                    - grid.weather[col][di[sel], hi[sel]],
                )
                for col in WEATHER_COLUMNS
                if col in vintages.columns
            }
    return out


def fit_damping(
    grid: DayGrid, issue: date, archive: pd.DataFrame | None, vintages: pd.DataFrame | None
) -> dict[str, dict[str, float]]:
    """The damping factors b (lead day → column → b) for forecasts issued from `issue` on, from what
    was known before it (see above); stored in the model's meta.json. s² and v are taken over the same
    hours (those with a forecast, an observation and a normal), so a season's small anomalies are not
    set against another season's errors."""
    anomaly = anomalies(grid, issue)
    pairs = _forecast_pairs(grid, issue, archive, vintages)
    factors: dict[str, dict[str, float]] = {}
    for n in range(1, MAX_LEAD + 1):
        row = {}
        for col in WEATHER_COLUMNS:
            b = 1.0
            for source in ("own", "archive"):
                found = pairs[source].get(n, {}).get(col)
                if found is None:
                    continue
                days, hours, error = found
                a = anomaly[col][days, hours]
                ok = np.isfinite(error) & np.isfinite(a)
                if ok.sum() >= DAMPING_MIN_PAIRS:
                    v, s2 = float(np.mean(a[ok] ** 2)), float(np.mean(error[ok] ** 2))
                    b = v / (v + s2) if v + s2 > 0 else 1.0
                    break
            else:
                if n > max(PREVIOUS_RUNS_LEAD_DAYS):
                    b = 0.5  # beyond a week with nothing measured: skill close to climatology (s² = v)
            row[col] = round(float(b), 4)
        factors[str(n)] = row
    return factors


#: The center a forecast is damped toward: the hour's normal plus the mean anomaly of this many days
#: before the issue (a hot summer stays hot: a bare normal would pull every forecast toward the past).
RECENT_ANOMALY_DAYS = 14


def damping_center(grid: DayGrid, issue: date) -> pd.DataFrame:
    """Per horizon hour (valid_at) and weather column: the normal plus the recent anomaly, both from
    observations strictly before the issue date."""
    center = climatology(grid, issue)
    start = issue - timedelta(days=RECENT_ANOMALY_DAYS)
    past = climatology(grid, start)
    i0 = grid.index(start)
    for col in WEATHER_COLUMNS:
        obs = grid.weather[col][i0 : i0 + RECENT_ANOMALY_DAYS].reshape(-1) if i0 >= 0 else np.array([])
        normal = past[col].to_numpy()[: len(obs)]
        with np.errstate(all="ignore"):
            recent = np.nanmean(obs - normal) if np.isfinite(obs - normal).any() else 0.0
        center[col] = center[col] + recent
    return center


def damp(frame: pd.DataFrame, grid: DayGrid, issue: date, factors: dict[str, dict[str, float]] | None) -> pd.DataFrame:
    """`frame` (the issue's horizon weather: valid_at + columns, 384 hours from the issue date's 00:00
    JST) moved toward the center of each hour (`damping_center`) by the factor of its lead:
    center + b · (value − center). Hours without a normal keep their value."""
    if not factors or frame is None or frame.empty:
        return frame
    hours = horizon_hours(issue)
    k = pd.Index(hours).get_indexer(frame["valid_at"])
    inside = k >= 0
    lead = np.where(inside, forecast_lead_days(np.maximum(k, 0)), 0)
    center = damping_center(grid, issue)
    out = frame.copy()
    for col in WEATHER_COLUMNS:
        if col not in out.columns:
            continue
        b = np.array([factors.get(str(n), {}).get(col, 1.0) for n in lead])
        base = np.where(inside, center[col].to_numpy()[np.maximum(k, 0)], np.nan)
        value = pd.to_numeric(out[col], errors="coerce").to_numpy(dtype=float)
        moved = base + b * (value - base)
        out[col] = np.where(inside & np.isfinite(base), moved, value)
    return out
