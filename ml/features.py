"""Issue-relative features: the one code path shared by training, forecasting and backtests.

A forecast issued on date D (04:00 JST) knows demand through D−1 23:00. For every target hour
of D … D+15 we build features from:
- the calendar of the target day and hour (from the dbt feature view, identical for training
  and forecasting because both read the same rows);
- demand profiles of reference days strictly before D, looked up by *date*, never by row offset:
  the latest same weekday (the seasonal-naive rule), the latest day of the same day class, the
  mean of the last three plain workdays, yesterday, and the same hour over the last week — all
  divided by the level (`issue_levels`: mean demand of the last 7 days before D outside the New
  Year period), which is also what the target is divided by; and the day a year before
  (`last_year_reference`), divided by the level a year before;
- weather at the target hour (observed history for training and "oracle" runs, the forecast
  vintage available at issue time otherwise) and its difference to the reference days.

The first hours of D itself, those TEPCO has published by the issue time (`TODAY_KNOWN_HOURS`,
0–2 at 04:00 JST), are not features: they correct the prediction afterwards (the nowcast,
`ml.model.nowcast_factor`). The daily forecast reads them from TEPCO's live file as it stood at
the issue time (provisional values, `DayGrid.with_today`); backtests read the final values of the
same hours (the provisional ones were not kept before the live file became a source), and never an
hour of D after them.

Training uses many past issue dates (each with targets strictly before the forecast's own D), so
the model learns how each profile ages with the horizon: one direct model for all 16 days.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.time import JST_NAME, forecast_lead_days, issue_time, live_hours_known

HOURS = 24
HORIZON_DAYS = 16
#: the level is the mean demand of this many days before the issue date, New Year period days skipped
LEVEL_DAYS = 7
#: what the level is (part of the model spec: a model fitted on another level is never reused)
LEVEL_RULE = f"mean of the last {LEVEL_DAYS} days before the issue outside the New Year period"


def last_feature_day(issue: date) -> date:
    """The last JST date a forecast issued on `issue` reads features of: its 16 horizon days and one
    spare (what `ml.io.read_features(through=…)` is given)."""
    return issue + timedelta(days=HORIZON_DAYS)


#: Hours of the issue date published by the issue time (hours 0, 1, 2 at 04:00 JST): the nowcast's inputs.
TODAY_KNOWN_HOURS = live_hours_known(issue_time(date(2000, 1, 3)))

#: day classes for the "same kind of day" profile
DAY_CLASS = {
    "workday": 0,
    "saturday": 1,
    "sunday": 2,
    "holiday": 2,
    "new_year": 2,
    "bridge_workday": 3,
    "obon_workday": 3,
    "golden_week_workday": 3,
}
DAY_TYPES = list(DAY_CLASS)
WEATHER_COLUMNS = [
    "temperature_c",
    "relative_humidity_pct",
    "apparent_temperature_c",
    "cooling_degree_c",
    "heating_degree_c",
    "discomfort_index",
    "cloud_cover_pct",
    "shortwave_radiation_wm2",
    "precipitation_mm",
]
#: Solar output of the days before the issue (TEPCO's five-minute block): how sunny each reference day was.
SOLAR_FEATURES = [
    "solar_share_yesterday",
    "solar_share_last_week",
    "solar_share_ref_weekday",
    "solar_share_ref_class",
    "solar_peak_ratio",
]
CALENDAR_FLAGS = [
    "is_day_off",
    "is_public_holiday",
    "is_substitute_holiday",
    "is_new_year_period",
    "is_obon",
    "is_golden_week",
    "is_bridge_day",
    "is_previous_day_off",
    "is_next_day_off",
]


@dataclass
class DayGrid:
    """The feature view reshaped to (day, hour) matrices; days are consecutive dates."""

    first_day: date
    days: pd.DatetimeIndex
    demand: np.ndarray  # (n_days, 24) MW, NaN where unknown
    weather: dict[str, np.ndarray]  # name → (n_days, 24)
    roll24_temperature: np.ndarray  # mean temperature of the 24 h before each hour
    calendar: pd.DataFrame  # one row per day
    day_class: np.ndarray  # (n_days,)
    #: (n_days, 24) lead day of the weather forecast each hour's weather is (0 = observed; the
    #: feature `weather_lead_days`, `core.time.forecast_lead_days`); None = all observed
    weather_lead: np.ndarray | None = None
    #: (n_days, 24) TEPCO's measured solar output, MW (the five-minute block, from 2022-04; NaN before
    #: and where unknown): like demand, known only for the days before the issue date
    solar: np.ndarray | None = None

    def index(self, d: date) -> int:
        return (pd.Timestamp(d) - pd.Timestamp(self.first_day)).days

    def cells(self, valid_at: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """The (day index, JST hour) of each UTC hour start in `valid_at` (day indices may fall outside)."""
        local = valid_at.dt.tz_convert(JST_NAME)
        di = ((local.dt.normalize().dt.tz_localize(None) - pd.Timestamp(self.first_day)).dt.days).to_numpy()
        return di, local.dt.hour.to_numpy()

    def with_weather(self, start: date, values: pd.DataFrame | None) -> DayGrid:
        """A copy whose weather from `start` on is `values` (valid_at, weather columns), NaN elsewhere.

        This is how a forecast sees the future: only the vintage it was given, never observations.
        """
        i0 = self.index(start)
        weather = {k: v.copy() for k, v in self.weather.items()}
        for arr in weather.values():
            arr[i0:, :] = np.nan
        lead = self.leads().copy()
        n_after = max(len(self.days) - i0, 0)
        lead[i0:, :] = forecast_lead_days(np.arange(n_after * HOURS)).reshape(n_after, HOURS)
        if values is not None and not values.empty:
            di, hi = self.cells(values["valid_at"])
            ok = (di >= i0) & (di < len(self.days))
            for col in WEATHER_COLUMNS:
                if col in values.columns:
                    weather[col][di[ok], hi[ok]] = pd.to_numeric(values[col], errors="coerce").to_numpy()[ok]
            if "weather_lead_days" in values.columns:  # the lead each value really has (0 = observed)
                lead[di[ok], hi[ok]] = values["weather_lead_days"].to_numpy(dtype=float)[ok]
        return replace(self, weather=weather, roll24_temperature=roll24(weather["temperature_c"]), weather_lead=lead)

    def leads(self) -> np.ndarray:
        """`weather_lead` as a matrix (zeros: observed weather)."""
        return self.weather_lead if self.weather_lead is not None else np.zeros((len(self.days), HOURS))

    def with_today(self, issue: date, values: dict[int, float]) -> DayGrid:
        """A copy whose demand on the issue date is `values` (hour → MW) for the hours published by
        the issue time, NaN for every other hour of that day and after it.

        This is how the daily forecast sees its own morning: TEPCO's live file as it stood at the
        issue time, never the day's final values (which a re-run on a later day would find)."""
        i0 = self.index(issue)
        demand = self.demand.copy()
        demand[i0:, :] = np.nan
        if 0 <= i0 < len(demand):
            for hour, mw in values.items():
                if 0 <= hour < TODAY_KNOWN_HOURS:
                    demand[i0, hour] = mw
        solar = None
        if self.solar is not None:
            solar = self.solar.copy()
            solar[max(i0, 0) :, :] = np.nan
        return replace(self, demand=demand, solar=solar)

    def solar_or_nan(self) -> np.ndarray:
        """`solar` as a matrix (NaN everywhere when the view has none)."""
        return self.solar if self.solar is not None else np.full((len(self.days), HOURS), np.nan)


def roll24(temp: np.ndarray) -> np.ndarray:
    """Mean of the 24 hourly values before each hour (NaNs skipped), on the flat time axis."""
    flat = temp.reshape(-1)
    valid = ~np.isnan(flat)
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, flat, 0.0))])
    ccnt = np.concatenate([[0], np.cumsum(valid)])
    idx = np.arange(flat.size)
    lo = np.maximum(idx - 24, 0)
    cnt = ccnt[idx] - ccnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (csum[idx] - csum[lo]) / cnt
    out[cnt < 12] = np.nan
    return out.reshape(temp.shape)


def build_grid(view: pd.DataFrame) -> DayGrid:
    """Reshape fct_features_hourly (one area) into day × hour matrices keyed by date."""
    dates = pd.to_datetime(view["date_jst"])
    first, last = dates.min().normalize(), dates.max().normalize()
    days = pd.date_range(first, last, freq="D")
    di = (dates - first).dt.days.to_numpy()
    hi = view["hour_jst"].to_numpy().astype(int)

    def matrix(col: str) -> np.ndarray:
        out = np.full((len(days), HOURS), np.nan)
        if col in view.columns:
            out[di, hi] = pd.to_numeric(view[col], errors="coerce").to_numpy(dtype=float)
        return out

    weather = {c: matrix(c) for c in WEATHER_COLUMNS}
    cal_cols = ["date_jst", "iso_dow", "month_of_year", "day_type", *CALENDAR_FLAGS]
    calendar = (
        view[cal_cols]
        .drop_duplicates("date_jst")
        .assign(_d=lambda f: pd.to_datetime(f["date_jst"]))
        .set_index("_d")
        .reindex(days)
    )
    calendar["day_type"] = calendar["day_type"].fillna("workday")
    for col in CALENDAR_FLAGS:
        calendar[col] = calendar[col].fillna(False).astype(bool)
    calendar["iso_dow"] = days.isocalendar().day.to_numpy()
    day_class = calendar["day_type"].map(DAY_CLASS).fillna(0).astype(int).to_numpy()
    return DayGrid(
        first.date(),
        days,
        matrix("demand_mw"),
        weather,
        roll24(weather["temperature_c"]),
        calendar,
        day_class,
        solar=matrix("solar_mw"),
    )


def issue_levels(grid: DayGrid, issues: np.ndarray) -> np.ndarray:
    """The level of each issue (a day index): the mean daily demand of the last `LEVEL_DAYS` days before
    it that are not in the New Year period (29 December – 3 January); NaN with none.

    Why skip New Year: its six days off would set the level of the issues from 30 December to 10 January
    up to 17 % low (2023-01-04), and the first workdays after it were forecast 5–7 % high (2023-01-04,
    day 1, oracle weather, in the 2023 dev runs: 7.5 % with the plain week, 4.9 % without New Year)."""
    daily_mean = np.full(len(grid.days), np.nan)
    known = ~np.isnan(grid.demand).all(axis=1)
    daily_mean[known] = np.nanmean(grid.demand[known], axis=1)
    plain = np.flatnonzero(~grid.calendar["is_new_year_period"].to_numpy(dtype=bool))
    ends = np.searchsorted(plain, issues, side="left")  # plain[:end] are the plain days before the issue
    return np.array(
        [np.nanmean(daily_mean[plain[max(end - LEVEL_DAYS, 0) : end]]) if end > 0 else np.nan for end in ends]
    )


def _last_of_class(day_class: np.ndarray) -> np.ndarray:
    """last[c, j] = the latest day index ≤ j whose class is c (−1 if none)."""
    n = len(day_class)
    out = np.full((4, n), -1, dtype=np.int64)
    for c in range(4):
        idx = np.where(day_class == c, np.arange(n), -1)
        out[c] = np.maximum.accumulate(idx)
    return out


def _take(mat: np.ndarray, day_idx: np.ndarray) -> np.ndarray:
    """mat[day_idx, :] with NaN rows for indices out of range (−1 = none)."""
    ok = (day_idx >= 0) & (day_idx < mat.shape[0])
    out = np.full(day_idx.shape + (mat.shape[1],), np.nan)
    out[ok] = mat[day_idx[ok]]
    return out


#: The year-ago reference day (`last_year_reference`): 52 weeks back keeps the weekday, except for the
#: days a date makes special, which are compared with the same date a year before.
LAST_YEAR_WEEKS = 52
LAST_YEAR_BY_DATE = ["is_public_holiday", "is_new_year_period", "is_golden_week", "is_obon"]
#: The horizon days that see the year-ago profile (missing beyond: the trees send a missing value down
#: a branch of its own). Why day 1 only: on 2023 (`benchmarks.dev_eval --every 28 --retrain-days 84`,
#: 13 issues, observed weather) the profile fed to every horizon scored day 1 04–23 h / days 2–7 /
#: days 8–16 1.66 / 2.41 / 2.59 %, fed to day 1 only 1.63 / 2.40 / 2.56 %; the 2024 benchmark had shown
#: the same pattern (a gain on day 1, a loss beyond), which is why 2023 was checked.
LAST_YEAR_HORIZON_DAYS = 1


def last_year_reference(grid: DayGrid) -> np.ndarray:
    """For each day of the grid, the day index of its reference a year before (negative: before the grid).

    Why: the last weeks' profiles show the recent level and shape, not how a day of this time of year
    runs; the day a year before does, and for the days a date makes special (New Year, Golden Week,
    Obon, public holidays) it is the one comparable day. Measured on the peer benchmark (day 1, observed
    weather) it took 2022 H2 from 1.85 to 1.78 % and 2023 Q1 from 2.11 to 2.03 %; the special days it
    was also meant for did not gain (New Year's Day 2023: 5.1 % against 5.0 % before), so the gain is on
    ordinary days. Both the reference and its level lie a year before the issue: long known."""
    n = len(grid.days)
    by_date = grid.calendar[LAST_YEAR_BY_DATE].to_numpy(dtype=bool).any(axis=1)
    year_ago = (grid.days - pd.DateOffset(years=1) - pd.Timestamp(grid.first_day)).days.to_numpy()
    return np.where(by_date, year_ago, np.arange(n) - 7 * LAST_YEAR_WEEKS)


def build_features(grid: DayGrid, issue_days: list[date] | np.ndarray) -> pd.DataFrame:
    """One row per (issue date, target hour) for D … D+15, with the target where known.

    Every lookup uses day indices computed from dates and only reads demand of days < D.
    """
    with warnings.catch_warnings():  # all-NaN slices (unknown days) are expected and give NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return _build_features(grid, issue_days)


def _build_features(grid: DayGrid, issue_days: list[date] | np.ndarray) -> pd.DataFrame:
    issues = np.asarray([grid.index(d) for d in issue_days], dtype=np.int64)
    m = len(issues)
    k = np.arange(HORIZON_DAYS)
    target = issues[:, None] + k[None, :]  # (m, 16) day index of the target day
    known_last = issues - 1  # last day whose demand is known

    level = issue_levels(grid, issues)

    # reference days (all < D)
    ahead = target - known_last[:, None]  # ≥ 1
    ref_weekday = target - 7 * np.ceil(ahead / 7).astype(np.int64)
    last_cls = _last_of_class(grid.day_class)
    n_days = len(grid.days)
    tgt_clipped = np.clip(target, 0, n_days - 1)
    tclass = grid.day_class[tgt_clipped]
    ref_class = last_cls[tclass, np.clip(known_last, 0, n_days - 1)[:, None].repeat(HORIZON_DAYS, 1)]
    ref_class = np.where(known_last[:, None] >= 0, ref_class, -1)  # an issue on the grid's first day knows no day
    workdays = np.where(grid.day_class == 0)[0]
    pos = np.searchsorted(workdays, known_last, side="right")  # workdays[:pos] ≤ known_last
    last3 = np.stack(
        [np.where(pos - j > 0, workdays[np.clip(pos - j, 0, len(workdays) - 1)], -1) for j in (1, 2, 3)], axis=1
    )  # (m, 3)

    dem = grid.demand
    p_weekday = _take(dem, ref_weekday)  # (m, 16, 24)
    p_class = _take(dem, ref_class)
    p_last3 = np.nanmean(_take(dem, last3), axis=1)  # (m, 24)
    p_yday = _take(dem, known_last)  # (m, 24)
    week_idx = known_last[:, None] - np.arange(LEVEL_DAYS)[None, :]
    p_week = np.nanmean(_take(dem, week_idx), axis=1)  # (m, 24)
    week_peak = np.nanmax(_take(dem, week_idx).reshape(m, -1), axis=1)
    # how sunny the reference days were: their midday demand is low by roughly their solar share
    # (TEPCO's area demand is net of the solar its customers use themselves), so a cloudy target day
    # after a sunny reference day lies above the profile, and the reverse
    solar = grid.solar_or_nan()
    share = solar / np.where(dem > 0, dem, np.nan)
    s_yday = _take(share, known_last)  # (m, 24)
    s_week = np.nanmean(_take(share, week_idx), axis=1)  # (m, 24)
    solar_week_peak = np.nanmax(_take(solar, week_idx).reshape(m, -1), axis=1)
    # the reference a year before, over the level a year before the issue (both long known at the issue)
    ly_ref = last_year_reference(grid)[tgt_clipped]  # (m, 16)
    ly_level = issue_levels(grid, issues - 7 * LAST_YEAR_WEEKS)
    p_ly = _take(dem, ly_ref) / ly_level[:, None, None]
    p_ly[:, LAST_YEAR_HORIZON_DAYS:, :] = np.nan

    t = grid.weather["temperature_c"]
    t_target = _take(t, target)
    t_ref_weekday = _take(t, ref_weekday)
    t_ref_class = _take(t, ref_class)
    day_t = _take(t, target)
    day_max, day_min, day_mean = (
        (np.nanmax(day_t, axis=2), np.nanmin(day_t, axis=2), np.nanmean(day_t, axis=2))
        if day_t.size
        else (day_t, day_t, day_t)
    )
    ref_class_max = np.nanmax(t_ref_class, axis=2)

    lv = level[:, None, None]
    shape = (m, HORIZON_DAYS, HOURS)
    hour = np.broadcast_to(np.arange(HOURS)[None, None, :], shape)
    cal = grid.calendar
    cols: dict[str, np.ndarray] = {
        "issue_day_index": np.broadcast_to(issues[:, None, None], shape),
        "target_day_index": np.broadcast_to(target[:, :, None], shape),
        "horizon_day": np.broadcast_to((k + 1)[None, :, None], shape),
        "hour": hour,
        "lead_hours": np.broadcast_to(k[None, :, None] * 24, shape) + hour - 4,
        "level_mw": np.broadcast_to(lv, shape),
        "p_same_weekday": p_weekday / lv,
        "p_same_class": p_class / lv,
        "p_last3_workdays": np.broadcast_to(p_last3[:, None, :], shape) / lv,
        "p_yesterday": np.broadcast_to(p_yday[:, None, :], shape) / lv,
        "p_last_week": np.broadcast_to(p_week[:, None, :], shape) / lv,
        "p_last_year": p_ly,
        "week_peak_ratio": np.broadcast_to((week_peak / level)[:, None, None], shape),
        "solar_share_yesterday": np.broadcast_to(s_yday[:, None, :], shape),
        "solar_share_last_week": np.broadcast_to(s_week[:, None, :], shape),
        "solar_share_ref_weekday": _take(share, ref_weekday),
        "solar_share_ref_class": _take(share, ref_class),
        # the solar fleet against demand: the largest output of the last week over the level
        "solar_peak_ratio": np.broadcast_to((solar_week_peak / level)[:, None, None], shape),
        "ref_weekday_age_days": np.broadcast_to((target - ref_weekday)[:, :, None], shape),
        "ref_class_age_days": np.broadcast_to((target - ref_class)[:, :, None], shape),
        "temp_minus_ref_weekday": t_target - t_ref_weekday,
        "temp_minus_ref_class": t_target - t_ref_class,
        "day_max_temp": np.broadcast_to(day_max[:, :, None], shape),
        "day_min_temp": np.broadcast_to(day_min[:, :, None], shape),
        "day_mean_temp": np.broadcast_to(day_mean[:, :, None], shape),
        "day_max_minus_ref_class": np.broadcast_to((day_max - ref_class_max)[:, :, None], shape),
        "temp_roll24": _take(grid.roll24_temperature, target),
    }
    for col in WEATHER_COLUMNS:
        cols[col] = _take(grid.weather[col], target)
    cols["weather_lead_days"] = _take(grid.leads(), target)
    # calendar of the target day (same rows of the same view in training and forecasting)
    cal_idx = tgt_clipped
    for col in CALENDAR_FLAGS:
        cols[col] = np.broadcast_to(cal[col].to_numpy()[cal_idx][:, :, None], shape).astype(float)
    cols["iso_dow"] = np.broadcast_to(cal["iso_dow"].to_numpy()[cal_idx][:, :, None], shape)
    cols["day_class"] = np.broadcast_to(tclass[:, :, None], shape)
    cols["day_type_code"] = np.broadcast_to(
        cal["day_type"].map({t: i for i, t in enumerate(DAY_TYPES)}).to_numpy()[cal_idx][:, :, None], shape
    )
    doy = grid.days.day_of_year.to_numpy()[cal_idx]
    cols["doy_sin"] = np.broadcast_to(np.sin(2 * np.pi * doy / 365.25)[:, :, None], shape)
    cols["doy_cos"] = np.broadcast_to(np.cos(2 * np.pi * doy / 365.25)[:, :, None], shape)
    years = grid.days.year.to_numpy() + (grid.days.month.to_numpy() > 6)
    jan1 = (pd.to_datetime(pd.DataFrame({"year": years, "month": 1, "day": 1})) - grid.days).dt.days.to_numpy()
    cols["days_to_jan1"] = np.broadcast_to(np.clip(jan1[cal_idx], -20, 20)[:, :, None], shape)
    cols["demand_mw"] = _take(dem, target)  # the target (NaN when unknown or beyond the grid)
    cols["target_in_grid"] = np.broadcast_to(((target >= 0) & (target < n_days))[:, :, None], shape)

    frame = pd.DataFrame({name: np.asarray(v, dtype=float).reshape(-1) for name, v in cols.items()})
    frame["y_ratio"] = frame["demand_mw"] / frame["level_mw"]
    return frame


FEATURES = [
    "horizon_day",
    "hour",
    "lead_hours",
    "p_same_weekday",
    "p_same_class",
    "p_last3_workdays",
    "p_yesterday",
    "p_last_week",
    "p_last_year",
    "week_peak_ratio",
    *SOLAR_FEATURES,
    "ref_weekday_age_days",
    "ref_class_age_days",
    "temp_minus_ref_weekday",
    "temp_minus_ref_class",
    "day_max_temp",
    "day_min_temp",
    "day_mean_temp",
    "day_max_minus_ref_class",
    "temp_roll24",
    *WEATHER_COLUMNS,
    "weather_lead_days",
    *CALENDAR_FLAGS,
    "iso_dow",
    "day_class",
    "day_type_code",
    "doy_sin",
    "doy_cos",
    "days_to_jan1",
    "level_mw",
]
