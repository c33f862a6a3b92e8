"""Open-Meteo's Previous Runs API: what a model forecast 1–7 days before each hour (forecast vintages).

Each hourly variable comes as `<variable>_previous_dayN`, the value as forecast N days (24·N h)
before the valid hour. One model is asked (`OPEN_METEO_PREVIOUS_RUNS_MODEL`, JMA's GSM by default:
archived from 2018 and reaching 11 days, so every lead 1–7 has a value; MSM stops after about 4).
When each value could first be known is a time convention (`core.time.previous_run_known_at`).

Landed long, one row per (point, model, lead day, valid hour), nulls included and counted: the grain
says which leads exist, whatever upstream had. Asked in calendar quarters per point, paced to the
free tier's limits (`CallBudget`), and loaded point by point so an interrupted backfill keeps the
points it finished (a re-run skips nothing but stores nothing twice: the load drops unchanged rows).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import pandas as pd

from core.settings import Settings
from core.time import JST_NAME, PREVIOUS_RUNS_LEAD_DAYS, previous_run_known_at
from ingest.http import Fetcher, Request
from ingest.report import RunReport, progress

#: The weather drivers the model uses, asked for every lead (6 × 7 = 42 hourly variables a request).
VARIABLES = [
    "temperature_2m",
    "relative_humidity_2m",
    "apparent_temperature",
    "precipitation",
    "cloud_cover",
    "shortwave_radiation",
]
#: The free tier's limits (https://open-meteo.com/en/terms): calls per minute, hour and day.
FREE_TIER_LIMITS = ((timedelta(minutes=1), 600.0), (timedelta(hours=1), 5000.0), (timedelta(days=1), 10000.0))


def scaled_limits(scale: float) -> tuple[tuple[timedelta, float], ...]:
    """The free tier's limits × `scale` (the setting OPEN_METEO_CALL_LIMIT_SCALE)."""
    return tuple((window, limit * scale) for window, limit in FREE_TIER_LIMITS)


class Located(Protocol):
    """A weather point as the request needs it (ingest.open_meteo.Point)."""

    point_id: str
    latitude: float
    longitude: float


def lead_variable(variable: str, lead_day: int) -> str:
    return f"{variable}_previous_day{lead_day}"


def requested_variables() -> list[str]:
    return [lead_variable(v, n) for n in PREVIOUS_RUNS_LEAD_DAYS for v in VARIABLES]


def call_weight(n_variables: int, n_days: int, n_locations: int = 1) -> float:
    """How many calls Open-Meteo counts for one request: more than 10 variables or more than two
    weeks count as several (fractionally: 42 variables over 92 days = 4.2 × 6.57 = 27.6 calls)."""
    return n_locations * max(1.0, n_variables / 10) * max(1.0, n_days / 14)


@dataclass
class CallBudget:
    """Waits before a request until its weight fits every window of the limits (sliding windows).

    The limits bind on the real API only for long backfills: two years of nine points is about
    2,000 calls, i.e. at least 3.3 minutes at 600 a minute; seven years exceed 5,000 an hour."""

    limits: tuple[tuple[timedelta, float], ...] = FREE_TIER_LIMITS
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    spent: deque[tuple[float, float]] = field(default_factory=deque)
    waited_s: float = 0.0
    total_calls: float = 0.0

    def take(self, weight: float) -> None:
        while True:
            now = self.clock()
            wait = 0.0
            for window, limit in self.limits:
                span = window.total_seconds()
                inside = [(t, w) for t, w in self.spent if t > now - span]
                used = sum(w for _, w in inside)
                if used + weight > limit and inside:
                    # wait until enough of the oldest calls leave the window
                    need, freed = used + weight - limit, 0.0
                    for t, w in inside:
                        freed += w
                        if freed >= need:
                            wait = max(wait, t + span - now)
                            break
            if wait <= 0:
                break
            progress(f"  open-meteo previous runs: free-tier limit, waiting {wait:.0f} s")
            self.sleep(wait)
            self.waited_s += wait
        self.spent.append((self.clock(), weight))
        self.total_calls += weight
        horizon = self.clock() - max(w.total_seconds() for w, _ in self.limits)
        while self.spent and self.spent[0][0] <= horizon:
            self.spent.popleft()


def quarter_chunks(start: date, end: date) -> list[tuple[date, date]]:
    """[start, end] cut at calendar quarters (at most 92 days a request)."""
    chunks, cur = [], start
    while cur <= end:
        quarter_end_month = 3 * ((cur.month - 1) // 3) + 3
        nxt = date(cur.year + (quarter_end_month == 12), quarter_end_month % 12 + 1, 1)
        stop = min(nxt - timedelta(days=1), end)
        chunks.append((cur, stop))
        cur = stop + timedelta(days=1)
    return chunks


def to_long(wide: pd.DataFrame, model: str) -> pd.DataFrame:
    """One row per hour with every `<variable>_previous_dayN` → one row per (hour, lead day), with
    `known_at`, the first moment the value can be used (`core.time.previous_run_known_at`)."""
    shared = ["valid_at", "point_id", "latitude", "longitude", "elevation_m"]
    frames = []
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        part = wide[shared + [lead_variable(v, n) for v in VARIABLES]].rename(
            columns={lead_variable(v, n): v for v in VARIABLES}
        )
        part.insert(1, "lead_day", n)
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    out.insert(1, "model", model)
    out.insert(3, "known_at", previous_run_known_at(out["valid_at"], out["lead_day"]))
    return out


@dataclass
class Window:
    """What the source asks of the Previous Runs API: the JST days [start, end], paced by `budget`."""

    start: date
    end: date
    budget: CallBudget = field(default_factory=CallBudget)


@dataclass
class Plan:
    """The requests of a backfill and what they cost, said before the first one is sent."""

    chunks: list[tuple[date, date]]
    n_points: int
    limits: tuple[tuple[timedelta, float], ...] = FREE_TIER_LIMITS

    @property
    def requests(self) -> int:
        return len(self.chunks) * self.n_points

    @property
    def calls(self) -> float:
        n_vars = len(VARIABLES) * len(PREVIOUS_RUNS_LEAD_DAYS)
        return self.n_points * sum(call_weight(n_vars, (hi - lo).days + 1) for lo, hi in self.chunks)

    def describe(self) -> str:
        (_, per_minute), (_, per_hour), (_, per_day) = self.limits
        minutes = self.calls / per_minute
        days = math.ceil(self.calls / per_day)
        return (
            f"{self.requests} requests ≈ {self.calls:,.0f} calls, paced to {per_minute:,.0f}/min, {per_hour:,.0f}/h, "
            f"{per_day:,.0f}/day: at least {minutes:.1f} min" + (f", over {days} days" if days > 1 else "")
        )


def fetch_point(
    fetcher: Fetcher,
    settings: Settings,
    point: Located,
    source: str,
    start: date,
    end: date,
    report: RunReport,
    budget: CallBudget,
    parse: Callable[[Request, bytes | None], pd.DataFrame | None],
) -> pd.DataFrame:
    """Every lead of one point for [start, end] (JST days), one request per quarter, paced."""
    model = settings.open_meteo_previous_runs_model
    names = requested_variables()
    frames = []
    for lo, hi in quarter_chunks(start, end):
        req = Request(
            url=settings.open_meteo_previous_runs_url,
            source=source,
            name=f"previous runs {point.point_id} {lo.isoformat()}",
            expect="json",
            params={
                "latitude": point.latitude,
                "longitude": point.longitude,
                "hourly": ",".join(names),
                "models": model,
                "start_date": lo.isoformat(),
                "end_date": hi.isoformat(),
                "timezone": JST_NAME,
            },
        )
        budget.take(call_weight(len(names), (hi - lo).days + 1))
        wide = parse(req, fetcher.get(req))
        if wide is None:
            continue
        long = to_long(wide, model)
        long["source_file"] = f"previous_runs:{model}:{point.point_id}:{lo.isoformat()}:{hi.isoformat()}"
        for v in VARIABLES:
            report.add_nulls(f"open_meteo_previous_runs {v}", int(long[v].isna().sum()))
        frames.append(long)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
