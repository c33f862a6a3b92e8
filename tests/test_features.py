"""The solar features: how sunny each reference day was, read from TEPCO's measured output of the days
before the issue date only (fast tier: a synthetic grid, no warehouse)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from ml.features import (
    CALENDAR_FLAGS,
    HORIZON_DAYS,
    LAST_YEAR_HORIZON_DAYS,
    SOLAR_FEATURES,
    WEATHER_COLUMNS,
    DayGrid,
    build_features,
    last_year_reference,
)

FIRST = date(2024, 1, 1)  # a Monday
ISSUE = date(2024, 2, 5)  # a Monday: yesterday is Sunday 2024-02-04, the same weekday a week before is 01-29


def grid(n_days: int = 60, first: date = FIRST) -> DayGrid:
    days = pd.date_range(first, periods=n_days, freq="D")
    rng = np.random.default_rng(0)
    demand = 30_000 + rng.uniform(0, 5_000, (n_days, 24))
    bell = np.clip(np.sin(np.pi * (np.arange(24) - 6) / 12), 0, None)  # daylight 07–17 h
    solar = np.outer(rng.uniform(1_000, 10_000, n_days), bell)
    calendar = pd.DataFrame(
        {"day_type": "workday", "iso_dow": days.isocalendar().day.to_numpy(), **{f: False for f in CALENDAR_FLAGS}},
        index=days,
    )
    weather = {col: np.full((n_days, 24), 10.0) for col in WEATHER_COLUMNS}
    day_class = np.select([days.day_of_week == 5, days.day_of_week == 6], [1, 2], 0)  # Saturdays, Sundays
    return DayGrid(first, days, demand, weather, weather["temperature_c"].copy(), calendar, day_class, solar=solar)


def test_the_solar_shares_are_the_reference_days_output_over_their_demand() -> None:
    g = grid()
    rows = build_features(g, [ISSUE]).set_index(["horizon_day", "hour"])
    share = g.solar / g.demand
    y, i = g.index(ISSUE) - 1, g.index(ISSUE)
    for hour in (3, 9, 12, 15):
        assert rows.loc[(1, hour), "solar_share_yesterday"] == share[y, hour]
        assert rows.loc[(9, hour), "solar_share_yesterday"] == share[y, hour]  # the same for every horizon day
        assert np.isclose(rows.loc[(5, hour), "solar_share_last_week"], share[i - 7 : i, hour].mean())
        # day 1 (Monday) and day 8 (the next Monday) both look back to the Monday a week before the issue
        assert rows.loc[(1, hour), "solar_share_ref_weekday"] == share[i - 7, hour]
        assert rows.loc[(8, hour), "solar_share_ref_weekday"] == share[i - 7, hour]
        assert rows.loc[(2, hour), "solar_share_ref_weekday"] == share[i - 6, hour]
        # the latest day of the target's class: Monday's is Friday 02-02, Saturday 02-10's (day 6) is 02-03
        assert rows.loc[(1, hour), "solar_share_ref_class"] == share[i - 3, hour]
        assert rows.loc[(6, hour), "solar_share_ref_class"] == share[i - 2, hour]
    level = np.nanmean(g.demand[i - 7 : i].mean(axis=1))
    assert np.isclose(rows["solar_peak_ratio"].iloc[0], g.solar[i - 7 : i].max() / level)
    assert rows.loc[(1, 0), "solar_share_yesterday"] == 0.0  # no output at night
    # an issue on the grid's first day knows no reference day at all
    first = build_features(g, [FIRST])
    assert first[SOLAR_FEATURES].isna().all().all()


def test_solar_on_or_after_the_issue_date_changes_nothing_and_none_gives_missing_features() -> None:
    g = grid()
    i = g.index(ISSUE)
    later = g.solar.copy()
    later[i:] = np.random.default_rng(1).uniform(0, 20_000, later[i:].shape)
    a = build_features(g, [ISSUE])
    pd.testing.assert_frame_equal(a, build_features(replace(g, solar=later), [ISSUE]))
    # the daily path's grid (TEPCO's morning hours of the issue date) holds no solar from that date on
    assert np.isnan(g.with_today(ISSUE, {0: 30_000.0}).solar[i:]).all()
    # a view without solar (a history before 2022-04, another area's files): the features are missing
    none = build_features(replace(g, solar=None), [ISSUE])
    assert none[SOLAR_FEATURES].isna().all().all() and len(none) == HORIZON_DAYS * 24
    pd.testing.assert_frame_equal(none.drop(columns=SOLAR_FEATURES), a.drop(columns=SOLAR_FEATURES))


def test_the_level_skips_the_new_year_period() -> None:
    """An issue after the New Year days is levelled on the 7 days before it outside them, so a week of
    holidays does not set its level (and its target ratio) low; an issue after a plain week keeps it."""
    g = grid()
    ny = np.zeros(len(g.days), dtype=bool)
    ny[10:16] = True  # six days off with a third of the demand
    g.calendar["is_new_year_period"] = ny
    g.demand[10:16] /= 3
    daily = g.demand.mean(axis=1)
    after = build_features(g, [g.days[17].date()])
    assert np.isclose(after["level_mw"].iloc[0], daily[[4, 5, 6, 7, 8, 9, 16]].mean())
    assert np.allclose(after["y_ratio"], after["demand_mw"] / after["level_mw"])
    plain = build_features(g, [g.days[40].date()])
    assert np.isclose(plain["level_mw"].iloc[0], daily[33:40].mean())


def test_the_year_ago_reference_keeps_the_weekday_and_matches_special_days_by_date() -> None:
    """`p_last_year`: a plain day looks 52 weeks back (the same weekday); a public holiday or a day of
    the New Year period looks at the same date a year before; both over the level a year before the
    issue, and read from days long before the issue date only."""
    g = grid(461, first=date(2023, 11, 1))  # … 2025-02-04
    g.calendar["is_new_year_period"] = (g.days.month == 1) & (g.days.day <= 3)
    g.calendar["is_public_holiday"] = (g.days.month == 1) & (g.days.day == 8)  # Coming of Age Day 2024
    issue = date(2024, 12, 30)
    rows = build_features(g, [issue]).set_index(["horizon_day", "hour"])
    i = g.index(issue)
    year_ago_issue = i - 364
    daily = g.demand.mean(axis=1)
    ny = g.calendar["is_new_year_period"].to_numpy()
    plain_before = [d for d in range(year_ago_issue) if not ny[d]][-7:]
    level = daily[plain_before].mean()
    # day 1, Monday 2024-12-30: a plain day → Monday 2024-01-01 (52 weeks back)
    assert np.isclose(rows.loc[(1, 9), "p_last_year"], g.demand[g.index(date(2024, 1, 1)), 9] / level)
    # the reference days: 2025-01-01 (New Year period) → 2024-01-01 by date, 2025-01-02 → 2024-01-02;
    # Friday 2025-01-03 is in the period too; Saturday 2025-01-04 is plain → 2024-01-06 (52 weeks back)
    ref = last_year_reference(g)
    for day, ago in [
        ("2025-01-01", "2024-01-01"),
        ("2025-01-02", "2024-01-02"),
        ("2025-01-03", "2024-01-03"),
        ("2025-01-04", "2024-01-06"),
        ("2025-01-08", "2024-01-08"),
        ("2025-01-13", "2024-01-15"),
        ("2025-01-14", "2024-01-16"),
    ]:
        assert g.days[ref[g.index(date.fromisoformat(day))]].date() == date.fromisoformat(ago), day
    # the later horizon days do not see it (`LAST_YEAR_HORIZON_DAYS`)
    assert rows.loc[rows.index.get_level_values(0) <= LAST_YEAR_HORIZON_DAYS, "p_last_year"].notna().all()
    assert rows.loc[rows.index.get_level_values(0) > LAST_YEAR_HORIZON_DAYS, "p_last_year"].isna().all()
    # nothing from the issue date on moves it, and a first year has none
    later = g.demand.copy()
    later[i:] *= 2
    pd.testing.assert_series_equal(
        build_features(g, [issue])["p_last_year"], build_features(replace(g, demand=later), [issue])["p_last_year"]
    )
    assert build_features(g, [date(2024, 6, 3)])["p_last_year"].isna().all()
