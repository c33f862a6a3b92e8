"""The project's time conventions, defined once.

- Instants are stored in UTC (columns ending `_at`); local dates and hours are JST (columns ending
  `_jst`). Japan has no daylight saving time, so JST is a fixed +09:00.
- An hour label is the hour's *start*: hour 13 of a JST date is 13:00–14:00 JST.
- A forecast is issued at 04:00 JST on its issue date D: demand is known through D−1 23:00 JST,
  and the weather vintage fetched by that morning's run is the one it may use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd

JST = timezone(timedelta(hours=9))
#: The IANA name, for libraries that want one (pandas, Open-Meteo's `timezone` parameter).
JST_NAME = "Asia/Tokyo"
#: The daily job runs at 04:00 JST; a forecast issued on date D is stamped 04:00 JST of D.
ISSUE_HOUR_JST = 4
#: TEPCO's live same-day file gains an hour's provisional actual this long after the hour ends.
#: Measured on the 14,948 snapshots of TEPCO's live chart (2022-07 … 2023-03): never sooner than
#: 5.05 min, and 99 % of the hours not yet shown were less than 5.5 min past their end. So at 04:00
#: JST the hours 0–2 of the day are known, hour 3 is not.
LIVE_PUBLICATION_LAG = timedelta(minutes=6)
#: Open-Meteo's Previous Runs API: `<variable>_previous_dayN` at valid hour h is the forecast as it
#: stood 24·N h before h. We take it as known from h − 24·N h + this delay, not from h − 24·N h: a
#: model run reaches Open-Meteo some hours after its initial time (JMA's GSM about 4 h), and the API
#: does not say which run a value came from. An assumption on the safe side, stated once here (the
#: simulator serves the value as of then; backtests use it no earlier).
PREVIOUS_RUNS_PUBLICATION_DELAY = timedelta(hours=6)
#: The leads the Previous Runs API keeps: `_previous_day1` … `_previous_day7`.
PREVIOUS_RUNS_LEAD_DAYS = tuple(range(1, 8))


def previous_run_known_at(valid_at: datetime | pd.Series, lead_day: int | pd.Series) -> datetime | pd.Series:
    """When the Previous Runs value of lead `lead_day` for the hour `valid_at` can first be known
    (the ingestion stores it as `known_at`, so SQL never restates the delay)."""
    return valid_at - pd.to_timedelta(lead_day, unit="D") + PREVIOUS_RUNS_PUBLICATION_DELAY


def forecast_lead_days(horizon_hour: np.ndarray) -> np.ndarray:
    """The lead day of the weather forecast a target hour is seen with: `horizon_hour` k counts hours
    from the issue date's 00:00 JST; the lead is the smallest N ≥ 1 whose Previous Runs value
    (`previous_run_known_at`) is known by the issue time (k ≤ 22 → 1, k ≤ 46 → 2, … k ≤ 166 → 7, then
    8, 9, … beyond the archive's reach). The model's feature `weather_lead_days` (0 for observed
    weather): one convention for archived, daily-vintage and training weather alike."""
    delay_h = PREVIOUS_RUNS_PUBLICATION_DELAY / timedelta(hours=1)
    k = np.asarray(horizon_hour, dtype=float)
    return np.maximum(1, np.ceil((k + delay_h - ISSUE_HOUR_JST) / 24)).astype(np.int64)


def utc_now() -> datetime:
    """Now, in UTC, to the second (load and creation stamps)."""
    return datetime.now(UTC).replace(microsecond=0)


def today_jst() -> date:
    return datetime.now(JST).date()


def issue_time(issue: date) -> datetime:
    """04:00 JST on the issue date, as a UTC instant."""
    return datetime(issue.year, issue.month, issue.day, ISSUE_HOUR_JST, tzinfo=JST).astimezone(UTC)


def live_hours_known(at: datetime) -> int:
    """How many hours of `at`'s JST day TEPCO's live file shows at the instant `at` (0 … 24)."""
    local = at.astimezone(JST)
    since_midnight = local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(0, min(24, int((since_midnight - LIVE_PUBLICATION_LAG) // timedelta(hours=1))))


def jst_to_utc(dates: list[date] | pd.Series, minutes: list[int] | pd.Series) -> pd.Series:
    """Local JST date + minutes after midnight → UTC instants."""
    local = pd.to_datetime(pd.Series(dates)) + pd.to_timedelta(pd.Series(minutes), unit="min")
    return local.dt.tz_localize(JST_NAME).dt.tz_convert("UTC")
