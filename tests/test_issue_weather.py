"""The weather of a backtest replayed with archived forecasts (ml/weather.py): which lead each target
hour takes, at the JST/UTC day edge and at the archive's 7-day reach, and the fillers beyond it; the
weather a training issue sees; where a forecast's interval comes from. Fast: synthetic frames, no
warehouse (the end-to-end leakage and training tests are in test_ml.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.time import JST_NAME, PREVIOUS_RUNS_LEAD_DAYS, forecast_lead_days, issue_time, previous_run_known_at
from ml.features import WEATHER_COLUMNS, DayGrid
from ml.model import OWN_SCORES_MIN_HOURS, TrainedModel, interval_quantiles
from ml.weather import (
    ArchiveGrid,
    as_issued,
    climatology,
    damp,
    damping_center,
    fit_damping,
    horizon_hours,
    latest_known,
    previous_runs_weather,
)

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


def test_the_lead_convention_is_the_archives() -> None:
    """`forecast_lead_days` (the feature `weather_lead_days`) is the lead `latest_known` picks."""
    picked = latest_known(archive(), ISSUE).set_index("valid_at")["lead_day"]
    k = np.arange(len(picked))  # the picked hours are the first 167 of the horizon
    np.testing.assert_array_equal(forecast_lead_days(k), picked.to_numpy())
    assert forecast_lead_days(np.array([166, 167, 383])).tolist() == [7, 8, 17]


def test_a_training_issue_sees_the_archive_at_its_own_lead_and_observed_weather_beyond() -> None:
    grid = grid_with_history(date(2024, 1, 1), 60)
    runs = archive()
    issued, n = as_issued(grid, ArchiveGrid.build(grid, runs), ISSUE)
    assert n == 167
    i0 = grid.index(ISSUE)
    temps = issued.weather["temperature_c"][i0 : i0 + 16].reshape(-1)
    leads = issued.leads()[i0 : i0 + 16].reshape(-1)
    # within the reach: the archive's value at the lead known by the issue time (temperature = 10 × lead)
    np.testing.assert_array_equal(temps[:167], 10.0 * forecast_lead_days(np.arange(167)))
    np.testing.assert_array_equal(leads[:167], forecast_lead_days(np.arange(167)))
    # beyond it: the observed value (day index), flagged as observed (lead 0); days before the issue untouched
    np.testing.assert_array_equal(temps[167:], (i0 + np.arange(167, 384) // 24).astype(float))
    assert not leads[167:].any() and not issued.leads()[:i0].any()
    np.testing.assert_array_equal(issued.weather["temperature_c"][:i0], grid.weather["temperature_c"][:i0])
    # the same values a backtest of that issue replays (ml.weather.previous_runs_weather)
    replay = previous_runs_weather(runs, ISSUE, grid, None).frame
    np.testing.assert_array_equal(replay["temperature_c"].to_numpy()[:167], temps[:167])
    np.testing.assert_array_equal(replay["weather_lead_days"].to_numpy()[:167], leads[:167])


def test_a_missing_lead_falls_to_the_next_and_nothing_published_later_is_read() -> None:
    grid = grid_with_history(date(2024, 1, 1), 60)
    runs = archive()
    gap = (runs["lead_day"] == 1) & (runs["valid_at"] == jst("2024-01-31 12:00"))
    issued, _ = as_issued(grid, ArchiveGrid.build(grid, runs[~gap]), ISSUE)
    i0 = grid.index(ISSUE)
    assert issued.weather["temperature_c"][i0, 12] == 20.0 and issued.leads()[i0, 12] == 2
    late = runs["known_at"] > issue_time(ISSUE)
    scrambled = runs.copy()
    scrambled.loc[late, WEATHER_COLUMNS] = -99.0
    a, _ = as_issued(grid, ArchiveGrid.build(grid, runs), ISSUE)
    b, _ = as_issued(grid, ArchiveGrid.build(grid, scrambled), ISSUE)
    for col in WEATHER_COLUMNS:
        np.testing.assert_array_equal(a.weather[col], b.weather[col])


def test_the_interval_takes_the_own_scored_daily_forecasts_per_horizon_day_once_there_are_enough() -> None:
    """Daily operation: a horizon day with OWN_SCORES_MIN_HOURS scored hours of our own daily forecasts
    takes its quantiles from their errors; a horizon day with fewer keeps the model's validation ones."""
    model = TrainedModel(None, {"conformal_quantiles": {str(h): [-0.01, 0.01] for h in range(1, 17)}})  # type: ignore[arg-type]
    assert interval_quantiles(model, None) == (model.meta["conformal_quantiles"], 0)
    rng = np.random.default_rng(1)
    n = OWN_SCORES_MIN_HOURS
    day1 = pd.DataFrame(
        {"horizon_day": 1, "predicted_mw": 30_000.0, "actual_mw": 30_000.0 * (1 + rng.uniform(-0.1, 0.1, n))}
    )
    day2 = pd.DataFrame(
        {"horizon_day": 2, "predicted_mw": 30_000.0, "actual_mw": 30_000.0 * (1 + rng.uniform(-0.1, 0.1, n - 1))}
    )
    q, own = interval_quantiles(model, pd.concat([day1, day2]))
    assert own == 1
    assert q["1"][0] == pytest.approx(-0.09, abs=0.01) and q["1"][1] == pytest.approx(0.09, abs=0.01)
    assert q["2"] == [-0.01, 0.01] and q["16"] == [-0.01, 0.01]
    assert model.meta["conformal_quantiles"]["1"] == [-0.01, 0.01]  # the stored model is not changed


def noisy_history(first: date, n_days: int, v: float, seed: int = 0) -> DayGrid:
    """A seasonal cycle plus hourly anomalies of variance `v` in every weather column."""
    days = pd.date_range(first, periods=n_days, freq="D")
    rng = np.random.default_rng(seed)
    season = 10 + 8 * np.sin(2 * np.pi * np.arange(n_days) / 365.25)
    weather = {col: season[:, None] + rng.normal(0, np.sqrt(v), (n_days, 24)) for col in WEATHER_COLUMNS}
    return DayGrid(
        first,
        days,
        np.full((n_days, 24), np.nan),
        weather,
        weather["temperature_c"].copy(),
        pd.DataFrame(),
        np.zeros(n_days),
    )


def test_damping_factors_measure_each_leads_error_against_the_anomalies_and_read_nothing_later() -> None:
    """Anomalies of variance 4, archived forecasts off by σ = 0.5 · lead: b ≈ 4 / (4 + σ²) per lead;
    beyond the archive's 7 days, with no own vintage, b = 0.5; values published after the issue change
    nothing."""
    grid = noisy_history(date(2021, 1, 1), 3 * 365 + 60, v=4.0)
    rng = np.random.default_rng(1)
    hours = pd.date_range(pd.Timestamp("2023-01-31").tz_localize(JST_NAME), periods=(365 + 16) * 24, freq="h")
    i = ((hours.tz_localize(None).normalize() - pd.Timestamp(grid.first_day)).days).to_numpy()
    h = hours.hour.to_numpy()
    parts = []
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        part = pd.DataFrame({"valid_at": hours.tz_convert("UTC"), "lead_day": n})
        part["known_at"] = previous_run_known_at(part["valid_at"], n)
        for col in WEATHER_COLUMNS:
            part[col] = grid.weather[col][i, h] + rng.normal(0, 0.5 * n, len(part))
        parts.append(part)
    runs = pd.concat(parts, ignore_index=True)
    factors = fit_damping(grid, ISSUE, runs, None)
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        expected = 4.0 / (4.0 + (0.5 * n) ** 2)
        assert factors[str(n)]["temperature_c"] == pytest.approx(expected, abs=0.06), (n, factors[str(n)])
    assert factors["8"]["temperature_c"] == factors["17"]["temperature_c"] == 0.5
    late = runs["known_at"] > issue_time(ISSUE)
    scrambled = runs.copy()
    scrambled.loc[late, WEATHER_COLUMNS] = 99.0
    assert fit_damping(grid, ISSUE, scrambled, None) == factors
    assert fit_damping(grid, ISSUE, None, None)["3"]["temperature_c"] == 1.0  # nothing measured: as given


def test_damping_moves_each_hour_toward_its_center_by_its_leads_factor() -> None:
    grid = noisy_history(date(2021, 1, 1), 3 * 365 + 60, v=4.0)
    center = damping_center(grid, ISSUE)
    frame = center.assign(**{col: center[col] + 2.0 for col in WEATHER_COLUMNS})
    factors = {str(n): {col: 1.0 / n for col in WEATHER_COLUMNS} for n in range(1, 18)}
    damped = damp(frame, grid, ISSUE, factors)
    lead = forecast_lead_days(np.arange(len(frame)))
    np.testing.assert_allclose(damped["temperature_c"] - center["temperature_c"], 2.0 / lead)
    assert damp(frame, grid, ISSUE, None) is frame
