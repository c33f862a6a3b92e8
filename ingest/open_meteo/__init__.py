"""dlt source for Open-Meteo weather: observed history (archive) and forecast vintages.

Two raw tables, because their grains differ:
- `open_meteo_observed` (point, hour): the archive API, i.e. what happened;
- `open_meteo_forecast` (point, issued_at, hour): every forecast we fetched, kept
  as its own vintage and never overwritten, so accuracy can later be measured
  with only what was known at issue time.

Hour labels: Open-Meteo stamps instantaneous variables (temperature, humidity,
cloud cover, wind) at the instant and accumulated ones (precipitation,
radiation) as the sum/mean over the *preceding* hour.  We store the stamp as
`valid_at` (UTC) unchanged; the dbt layer documents how it is used.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import dlt
import pandas as pd
from dlt.extract import DltResource

from core import settings as config
from core.load import columns
from core.settings import Settings
from core.time import JST_NAME
from ingest.http import Fetcher, Request
from ingest.open_meteo.previous_runs import VARIABLES as PREVIOUS_RUNS_VARIABLES
from ingest.open_meteo.previous_runs import Window, fetch_point, requested_variables
from ingest.quarantine import read_or_set_aside
from ingest.report import RunReport, progress
from ingest.tolerant import FormatNotes, RowIssue

SOURCE = "open_meteo"

PAST_DAYS = 10
FORECAST_DAYS = 16

#: Open-Meteo hourly variables we request. The stored archive files hold only the
#: first four; the rest land as null there (and must not break anything downstream).
WEATHER_VARIABLES = [
    "temperature_2m",
    "relative_humidity_2m",
    "precipitation",
    "weather_code",
    "apparent_temperature",
    "dew_point_2m",
    "cloud_cover",
    "shortwave_radiation",
    "direct_radiation",
    "wind_speed_10m",
    "snowfall",
]


@dataclass(frozen=True)
class Point:
    point_id: str
    latitude: float
    longitude: float
    weight: float


def load_points(path: Path | None = None) -> list[Point]:
    """Weather points and their service-area weights (the dbt seed `weather_points`)."""
    path = path or config.weather_points_file()
    with open(path, encoding="utf-8") as fh:
        return [
            Point(r["point_id"], float(r["latitude"]), float(r["longitude"]), float(r["weight"]))
            for r in csv.DictReader(fh)
        ]


class OpenMeteoResponseError(ValueError):
    pass


#: Units we store, per variable (as Open-Meteo spells them), and conversions from the units a
#: response may say it used instead (a request with temperature_unit=fahrenheit, a proxy's default).
EXPECTED_UNITS = {
    "temperature_2m": "°C",
    "apparent_temperature": "°C",
    "dew_point_2m": "°C",
    "relative_humidity_2m": "%",
    "cloud_cover": "%",
    "precipitation": "mm",
    "snowfall": "cm",
    "shortwave_radiation": "W/m²",
    "direct_radiation": "W/m²",
    "wind_speed_10m": "km/h",
    "weather_code": "wmo code",
}
#: The Previous Runs API names a variable forecast N days before its hour `<variable>_previous_dayN`.
_LEAD_SUFFIX = re.compile(r"_previous_day\d+$")
CONVERSIONS: dict[tuple[str, str], Callable[[pd.Series], pd.Series]] = {
    ("°F", "°C"): lambda x: (x - 32) * 5 / 9,
    ("inch", "mm"): lambda x: x * 25.4,
    ("inch", "cm"): lambda x: x * 2.54,
    ("m/s", "km/h"): lambda x: x * 3.6,
    ("mp/h", "km/h"): lambda x: x * 1.609344,
    ("mph", "km/h"): lambda x: x * 1.609344,
    ("kn", "km/h"): lambda x: x * 1.852,
}


def _utc_offset(doc: dict, notes: FormatNotes) -> int:
    """The response's own UTC offset. Without one, its `timezone` name; without either, refuse:
    guessing UTC would store every hour 9 h late."""
    offset = doc.get("utc_offset_seconds")
    if isinstance(offset, (int, float)) and not isinstance(offset, bool):
        return int(offset)
    zone = doc.get("timezone")
    if isinstance(zone, str) and zone:
        try:
            delta = datetime(2024, 1, 1, tzinfo=ZoneInfo(zone)).utcoffset()
        except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
            delta = None
        if delta is not None:
            notes.note("utc offset taken from the timezone name")
            return int(delta.total_seconds())
    raise OpenMeteoResponseError("response says neither utc_offset_seconds nor a timezone: its hours cannot be placed")


def parse_hourly(
    payload: bytes,
    point: Point,
    notes: FormatNotes | None = None,
    variables: Sequence[str] = WEATHER_VARIABLES,
    model: str | None = None,
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Open-Meteo columnar JSON → one row per hour; `variables` not returned are null.

    Checked against what the response says it is: its UTC offset (never assumed), its units
    (converted to the ones stored, or refused), one value per time, no time twice. A time that
    appears twice with different values is set aside (an issue, numbered by its position in
    `hourly.time`); twice with the same values is one hour. Raises `OpenMeteoResponseError` for an
    answer that cannot be read at all; the caller sets that point aside, not the run. With `model`, a
    variable may also come named `<variable>_<model>` (as Open-Meteo names them when asked for
    several models).
    """
    notes = notes if notes is not None else FormatNotes()
    try:
        doc = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise OpenMeteoResponseError(f"response is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise OpenMeteoResponseError(f"response is a JSON {type(doc).__name__}, not an object")
    if doc.get("error"):
        raise OpenMeteoResponseError(f"upstream error: {doc.get('reason')}")
    hourly = doc.get("hourly")
    if not isinstance(hourly, dict):
        raise OpenMeteoResponseError("response has no hourly object")
    times = hourly.get("time")
    if not isinstance(times, list) or not times:
        raise OpenMeteoResponseError("response has no hourly.time")
    if not all(isinstance(t, str) for t in times):
        bad = next(i for i, t in enumerate(times) if not isinstance(t, str))
        raise OpenMeteoResponseError(f"hourly.time[{bad}] is {times[bad]!r}, not a time")
    offset = _utc_offset(doc, notes)
    try:
        local = pd.to_datetime(pd.Series(times), format="%Y-%m-%dT%H:%M")
    except (ValueError, TypeError):
        try:
            local = pd.to_datetime(pd.Series(times), format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise OpenMeteoResponseError(f"hourly.time holds a value that is not a time ({exc})") from None
        if local.dt.tz is not None:
            local = local.dt.tz_convert(None) + pd.Timedelta(seconds=offset)
        notes.note("times with seconds or a zone")
    if (local.dt.minute != 0).any() or (local.dt.second != 0).any():
        raise OpenMeteoResponseError("hourly.time holds times that are not on the hour")
    df = pd.DataFrame({"valid_at": (local - pd.Timedelta(seconds=offset)).dt.tz_localize("UTC")})
    units = doc.get("hourly_units") if isinstance(doc.get("hourly_units"), dict) else {}
    if not units:
        notes.note("response without hourly_units (units assumed)")
    for var in variables:
        values, unit = hourly.get(var), units.get(var)
        if values is None and model:
            values, unit = hourly.get(f"{var}_{model}"), units.get(f"{var}_{model}")
            if values is not None:
                notes.note("variables named with their model's suffix")
        if values is None:
            df[var] = None
            continue
        if not isinstance(values, list):
            raise OpenMeteoResponseError(f"hourly.{var} is not a list")
        if len(values) != len(times):
            raise OpenMeteoResponseError(f"hourly.{var} has {len(values)} values for {len(times)} times")
        series = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        want = EXPECTED_UNITS.get(_LEAD_SUFFIX.sub("", var))
        if unit and want and unit != want:
            convert = CONVERSIONS.get((unit, want))
            if convert is None:
                raise OpenMeteoResponseError(
                    f"hourly.{var} is in {unit!r}; {want!r} is stored and no conversion is known"
                )
            series = convert(series).round(3)
            notes.note(f"{var} converted from {unit} to {want}")
        df[var] = series
    df["point_id"] = point.point_id
    df["latitude"] = _float(doc.get("latitude"), point.latitude)
    df["longitude"] = _float(doc.get("longitude"), point.longitude)
    df["elevation_m"] = _float(doc.get("elevation"), None)
    issues: list[RowIssue] = []
    dup = df["valid_at"].duplicated(keep=False)
    if dup.any():
        values = df[list(variables)]
        for _stamp, group in df[dup].groupby("valid_at"):
            if len(values.loc[group.index].drop_duplicates()) == 1:
                notes.note("a time listed twice with the same values")
            else:
                issues += [
                    RowIssue(int(i) + 1, f"time {times[i]} appears {len(group)} times with different values", times[i])
                    for i in group.index
                ]
        bad = {i.line - 1 for i in issues}
        df = df[~df.index.isin(bad)].drop_duplicates(subset="valid_at", keep="first")
    return df.reset_index(drop=True), issues


def _float(value: object, default: float | None) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _parse_point(
    req: Request,
    body: bytes | None,
    point: Point,
    settings: Settings,
    report: RunReport,
    variables: Sequence[str] = WEATHER_VARIABLES,
    model: str | None = None,
) -> pd.DataFrame | None:
    """One point's answer, parsed; an unreadable one costs that answer only (quarantined, reported)."""
    if body is None:
        return None
    return read_or_set_aside(
        settings,
        report,
        SOURCE,
        req.name,
        body,
        lambda data, notes: parse_hourly(data, point, notes, variables=variables, model=model),
        OpenMeteoResponseError,
        count_as_error=True,
    )


def fetch_forecast(
    fetcher: Fetcher, settings: Settings, points: list[Point], issued_at: datetime, report: RunReport
) -> pd.DataFrame:
    """The 16-day forecast (plus 10 past days) for every point, stamped with `issued_at`."""
    reqs = [
        Request(
            url=settings.open_meteo_forecast_url,
            source=SOURCE,
            name=f"forecast {p.point_id}",
            expect="json",
            params={
                "latitude": p.latitude,
                "longitude": p.longitude,
                "hourly": ",".join(WEATHER_VARIABLES),
                "timezone": JST_NAME,
                "past_days": PAST_DAYS,
                "forecast_days": FORECAST_DAYS,
            },
        )
        for p in points
    ]
    frames = []
    for p, req, body in zip(points, reqs, fetcher.get_many(reqs)):
        df = _parse_point(req, body, p, settings, report)
        if df is None:
            continue
        df["issued_at"] = issued_at
        df["source_file"] = f"forecast:{p.point_id}:{issued_at:%Y%m%dT%H%MZ}"
        future = df[df["valid_at"] >= issued_at]
        report.add_nulls(
            "open_meteo_forecast temperature_2m (future hours)", int(future["temperature_2m"].isna().sum())
        )
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def year_chunks(start: date, end: date) -> list[tuple[date, date]]:
    chunks, cur = [], start
    while cur <= end:
        stop = min(date(cur.year, 12, 31), end)
        chunks.append((cur, stop))
        cur = stop + timedelta(days=1)
    return chunks


def fetch_archive(
    fetcher: Fetcher, settings: Settings, points: list[Point], start: date, end: date, report: RunReport
) -> pd.DataFrame:
    """Observed weather for [start, end] from the archive API, one request per point and year,
    several points at a time.

    Hours where upstream has no value yet (the archive lags a few days) come back
    all-null; they are counted and not stored, so a later run fills them in.
    """
    jobs = [(p, lo, hi) for p in points for lo, hi in year_chunks(start, end)]
    reqs = [
        Request(
            url=settings.open_meteo_archive_url,
            source=SOURCE,
            name=f"archive {p.point_id} {lo.year}",
            expect="json",
            params={
                "latitude": p.latitude,
                "longitude": p.longitude,
                "start_date": lo.isoformat(),
                "end_date": hi.isoformat(),
                "hourly": ",".join(WEATHER_VARIABLES),
                "timezone": JST_NAME,
            },
        )
        for p, lo, hi in jobs
    ]
    frames = []
    for (p, lo, hi), req, body in zip(jobs, reqs, fetcher.get_many(reqs)):
        df = _parse_point(req, body, p, settings, report)
        if df is None:
            continue
        empty = df[WEATHER_VARIABLES].isna().all(axis=1)
        report.add_nulls("open_meteo_observed hours without values (not yet available)", int(empty.sum()))
        df = df[~empty].copy()
        df["source_file"] = f"archive:{p.point_id}:{lo.isoformat()}:{hi.isoformat()}"
        frames.append(df)
    if jobs:
        progress(f"  open-meteo archive: {len(points)} points, {start} → {end}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


_WEATHER_COLUMNS = {v: "double" for v in WEATHER_VARIABLES}
_POINT_COLUMNS = {"point_id": "text", "latitude": "double", "longitude": "double", "elevation_m": "double"}


def _frame(df: pd.DataFrame, loaded_at: datetime) -> pd.DataFrame:
    df = df.copy()
    df["loaded_at"] = loaded_at
    return df


@dlt.resource(
    name="open_meteo_observed",
    primary_key=("point_id", "valid_at"),
    write_disposition="merge",
    columns=columns(
        "valid_at",
        **_POINT_COLUMNS,
        valid_at="timestamp",
        **_WEATHER_COLUMNS,
        source_file="text",
        loaded_at="timestamp",
    ),
)
def open_meteo_observed(observed: pd.DataFrame, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """The archive API: what happened, per point and hour (hours without any value yet are not stored)."""
    yield _frame(observed, loaded_at)


@dlt.resource(
    name="open_meteo_forecast",
    primary_key=("point_id", "issued_at", "valid_at"),
    write_disposition="merge",
    columns=columns(
        "valid_at",
        **_POINT_COLUMNS,
        issued_at="timestamp",
        valid_at="timestamp",
        **_WEATHER_COLUMNS,
        source_file="text",
        loaded_at="timestamp",
    ),
)
def open_meteo_forecast(forecast: pd.DataFrame, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """Every forecast we fetched, one vintage per issue time, never overwritten."""
    yield _frame(forecast, loaded_at)


@dlt.resource(
    name="open_meteo_previous_runs",
    primary_key=("point_id", "model", "lead_day", "valid_at"),
    write_disposition="merge",
    columns=columns(
        "valid_at",
        **_POINT_COLUMNS,
        model="text",
        lead_day="bigint",
        valid_at="timestamp",
        known_at="timestamp",
        **{v: "double" for v in PREVIOUS_RUNS_VARIABLES},
        source_file="text",
        loaded_at="timestamp",
    ),
)
def open_meteo_previous_runs(vintages: pd.DataFrame, loaded_at: datetime) -> Iterator[pd.DataFrame]:
    """The Previous Runs API: each hour as one model forecast it 1–7 days before (`lead_day`), nulls
    included; when a value could first be known is `core.time.previous_run_known_at`."""
    yield _frame(vintages, loaded_at)


@dlt.source(name="open_meteo", max_table_nesting=0)
def open_meteo(
    fetcher: Fetcher,
    settings: Settings,
    report: RunReport,
    loaded_at: datetime,
    observed: tuple[date, date] | None,
    issued_at: datetime | None,
    points: list[Point] | None,
    previous_runs: Window | None = None,
) -> tuple[DltResource, ...]:
    """Observed weather for the JST days `observed` (first, last), the forecast vintage issued at
    `issued_at`, and the archived forecasts of the Previous Runs API for the days of `previous_runs`,
    for every point; any may be None (nothing fetched, the table still exists)."""
    points = points if points is not None else load_points()
    frame = pd.DataFrame()
    if observed is not None:
        frame = fetch_archive(fetcher, settings, points, observed[0], observed[1], report)
    vintage = pd.DataFrame()
    if issued_at is not None:
        progress(f"open-meteo forecast issued {issued_at:%Y-%m-%d %H:%M} UTC")
        vintage = fetch_forecast(fetcher, settings, points, issued_at, report)
    archived = pd.DataFrame()
    if previous_runs is not None:
        archived = fetch_previous_runs(fetcher, settings, points, previous_runs, report)
    return (
        open_meteo_observed(frame, loaded_at),
        open_meteo_forecast(vintage, loaded_at),
        open_meteo_previous_runs(archived, loaded_at),
    )


def fetch_previous_runs(
    fetcher: Fetcher, settings: Settings, points: list[Point], window: Window, report: RunReport
) -> pd.DataFrame:
    """Every lead 1–7 of the Previous Runs API for the points over the window's days; an answer that
    cannot be read costs that point's quarter only (set aside, reported)."""
    names, model = requested_variables(), settings.open_meteo_previous_runs_model
    frames = []
    for point in points:
        parse = partial(_parse_point, point=point, settings=settings, report=report, variables=names, model=model)
        frames.append(
            fetch_point(fetcher, settings, point, SOURCE, window.start, window.end, report, window.budget, parse)
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
