"""The weather of a backtest replayed with archived forecasts (ml/weather.py): which lead each target
hour takes, at the JST/UTC day edge and at the archive's 7-day reach, and the fillers beyond it.
Fast: synthetic frames, no warehouse (the end-to-end leakage test is in test_ml.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from core.time import JST_NAME, PREVIOUS_RUNS_LEAD_DAYS, previous_run_known_at
from ml.features import WEATHER_COLUMNS, DayGrid
from ml.weather import climatology, horizon_hours, latest_known, previous_runs_weather

ISSUE = date(2024, 1, 31)


def archive(first: str = "2024-01-20", last: str = "2024-02-20") -> pd.DataFrame:
    """Every lead of every hour, the value saying its lead (temperature = 10 × lead)."""
    hours = pd.date_range(pd.Timestamp(first).tz_localize(JST_NAME), pd.Timestamp(last).tz_localize(JST_NAME), freq="h")
    rows = []
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        part = pd.DataFrame({"valid_at": hours.tz_convert("UTC"), "lead_day": n})
        part["known_at"] = previous_run_known_at(part["valid_at"], n)
        for col in WEATHER_COLUMNS:
            part[col] = 10.0 * n
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def jst(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_localize(JST_NAME).tz_convert("UTC")


def test_each_hour_takes_the_smallest_lead_known_at_04_jst() -> None:
    picked = latest_known(archive(), ISSUE).set_index("valid_at")["lead_day"]
    # lead 1 of hour h is known at h − 18 h: through 22:00 JST of the issue date
    assert picked[jst("2024-01-31 00:00")] == 1 and picked[jst("2024-01-31 22:00")] == 1
    assert picked[jst("2024-01-31 23:00")] == 2
    # the UTC day edge (09:00 JST = 00:00 UTC) changes nothing: the rule is in hours
    assert picked[jst("2024-01-31 08:00")] == picked[jst("2024-01-31 09:00")] == 1
    assert picked[jst("2024-02-01 22:00")] == 2 and picked[jst("2024-02-02 00:00")] == 3
    # the 7-day reach: day 7 (02-06) up to 22:00 JST, nothing after
    assert picked[jst("2024-02-06 22:00")] == 7
    assert jst("2024-02-06 23:00") not in picked.index and picked.index.max() == jst("2024-02-06 22:00")
    assert len(picked) == 7 * 24 - 1


def test_nothing_known_after_the_issue_time_is_used() -> None:
    runs = archive()
    late = runs["known_at"] > pd.Timestamp("2024-01-30 19:00", tz="UTC")  # 04:00 JST on the issue date
    scrambled = runs.copy()
    scrambled.loc[late, WEATHER_COLUMNS] = np.random.default_rng(0).uniform(
        -50, 50, (int(late.sum()), len(WEATHER_COLUMNS))
    )
    pd.testing.assert_frame_equal(latest_known(runs, ISSUE), latest_known(scrambled, ISSUE))


def grid_with_history(first: date, n_days: int) -> DayGrid:
    days = pd.date_range(first, periods=n_days, freq="D")
    values = np.add.outer(np.arange(n_days, dtype=float), np.zeros(24))  # day i holds the value i
    weather = {col: values.copy() for col in WEATHER_COLUMNS}
    return DayGrid(first, days, np.full((n_days, 24), np.nan), weather, values.copy(), pd.DataFrame(), np.zeros(n_days))


def test_beyond_the_reach_the_own_vintage_fills_else_a_normal_from_before_the_issue() -> None:
    grid = grid_with_history(date(2022, 1, 1), 2 * 365 + 60)
    own = pd.DataFrame({"valid_at": horizon_hours(ISSUE), **{c: -1.0 for c in WEATHER_COLUMNS}})
    built = previous_runs_weather(archive(), ISSUE, grid, own)
    assert built.label == "previous_runs" and built.hours == {"previous_runs": 167, "own_vintage": 217}
    assert built.frame["temperature_c"].iloc[0] == 10.0 and built.frame["temperature_c"].iloc[-1] == -1.0
    built = previous_runs_weather(archive(), ISSUE, grid, None)
    assert built.label == "previous_runs_climatology" and built.hours == {"previous_runs": 167, "climatology": 217}
    # the normal of 2024-02-15: the same dates ± 7 days of 2023 and 2022 (day indices i − 365 ± 7, i − 730 ± 7)
    i = grid.index(date(2024, 2, 15))
    normal = climatology(grid, ISSUE).set_index("valid_at")["temperature_c"]
    assert normal[jst("2024-02-15 12:00")] == np.mean([i - 365, i - 730])
    # scrambling everything from the issue date on leaves the normals unchanged
    later = grid_with_history(date(2022, 1, 1), 2 * 365 + 60)
    for col in WEATHER_COLUMNS:
        later.weather[col][grid.index(ISSUE) :] = 999.0
    pd.testing.assert_frame_equal(climatology(grid, ISSUE), climatology(later, ISSUE))
