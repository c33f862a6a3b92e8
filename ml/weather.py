"""The weather a backtest may use when it replays an issue with archived forecasts (`--weather
previous_runs`), built only from what was published by the issue time.

For each of the issue's 384 target hours (issue date 00:00 … day 16 23:00 JST), the Previous Runs
value of the smallest lead day N whose value was known by the issue time (04:00 JST): known at the
hour − 24·N h + the publication delay (`core.time.previous_run_known_at`). The archive reaches 7
days, so with the 6 h delay it covers the hours up to day 7 22:00 JST. The hours beyond it come
from the project's own daily vintage of that issue date where one was stored (what a user running
the daily job has), else from a climatological normal of the hour computed from observed weather
strictly before the issue date. The run's weather label says which: `previous_runs` (archive + own
vintage, or archive alone) or `previous_runs_climatology`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.time import JST_NAME, issue_time
from ml.features import HORIZON_DAYS, WEATHER_COLUMNS, DayGrid

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
    frame = frame.merge(picked[["valid_at", *WEATHER_COLUMNS]], on="valid_at", how="left")
    from_archive = frame["valid_at"].isin(picked["valid_at"])
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
