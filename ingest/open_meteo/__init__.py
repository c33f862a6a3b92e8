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
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd

from ingest.config import REPO_ROOT, Settings
from ingest.http import HttpClient, fetch_or_note
from ingest.load import RawTable
from ingest.report import RunReport, progress
from ingest.tables import (
    OPEN_METEO_FORECAST,
    OPEN_METEO_FORECAST_KEY,
    OPEN_METEO_OBSERVED,
    OPEN_METEO_OBSERVED_KEY,
    WEATHER_VARIABLES,
    table_from_frame,
)

PAST_DAYS = 10
FORECAST_DAYS = 16
DEFAULT_POINTS_FILE = REPO_ROOT / "seeds" / "weather_points.csv"


@dataclass(frozen=True)
class Point:
    point_id: str
    latitude: float
    longitude: float
    weight: float


def load_points(path: Path | None = None) -> list[Point]:
    """Weather points and their service-area weights (the dbt seed `weather_points`)."""
    path = path or Path(os.environ.get("ENERGY_WEATHER_POINTS_FILE", DEFAULT_POINTS_FILE))
    with open(path, encoding="utf-8") as fh:
        return [
            Point(r["point_id"], float(r["latitude"]), float(r["longitude"]), float(r["weight"]))
            for r in csv.DictReader(fh)
        ]


class OpenMeteoResponseError(ValueError):
    pass


def parse_hourly(payload: bytes, point: Point) -> pd.DataFrame:
    """Open-Meteo columnar JSON → one row per hour; variables not returned are null."""
    try:
        doc = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise OpenMeteoResponseError(f"response is not JSON: {exc}") from exc
    if doc.get("error"):
        raise OpenMeteoResponseError(f"upstream error: {doc.get('reason')}")
    hourly = doc.get("hourly") or {}
    times = hourly.get("time")
    if not times:
        raise OpenMeteoResponseError("response has no hourly.time")
    offset = int(doc.get("utc_offset_seconds", 0))
    local = pd.to_datetime(pd.Series(times), format="%Y-%m-%dT%H:%M")
    df = pd.DataFrame({"valid_at": (local - pd.Timedelta(seconds=offset)).dt.tz_localize("UTC")})
    for var in WEATHER_VARIABLES:
        values = hourly.get(var)
        if values is not None and len(values) != len(times):
            raise OpenMeteoResponseError(f"hourly.{var} has {len(values)} values for {len(times)} times")
        df[var] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce") if values is not None else None
    df["point_id"] = point.point_id
    df["latitude"] = float(doc.get("latitude", point.latitude))
    df["longitude"] = float(doc.get("longitude", point.longitude))
    df["elevation_m"] = doc.get("elevation")
    return df


def _get(client: HttpClient, url: str, params: dict, what: str, report: RunReport) -> bytes | None:
    return fetch_or_note(client, url, report, f"open_meteo {what}", params=params)


def fetch_forecast(
    client: HttpClient, settings: Settings, points: list[Point], issued_at: datetime, report: RunReport
) -> pd.DataFrame:
    """The 16-day forecast (plus 10 past days) for every point, stamped with `issued_at`."""
    frames = []
    for p in points:
        params = {
            "latitude": p.latitude,
            "longitude": p.longitude,
            "hourly": ",".join(WEATHER_VARIABLES),
            "timezone": "Asia/Tokyo",
            "past_days": PAST_DAYS,
            "forecast_days": FORECAST_DAYS,
        }
        body = _get(client, settings.open_meteo_forecast_url, params, f"forecast {p.point_id}", report)
        if body is None:
            continue
        try:
            df = parse_hourly(body, p)
        except OpenMeteoResponseError as exc:
            report.errors.append(f"open_meteo forecast {p.point_id}: {exc}")
            continue
        df["issued_at"] = issued_at
        df["source_file"] = f"forecast:{p.point_id}:{issued_at:%Y%m%dT%H%MZ}"
        future = df[df["valid_at"] >= issued_at]
        report.add_nulls("open_meteo_forecast temperature_2m (future hours)", int(future["temperature_2m"].isna().sum()))
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
    client: HttpClient, settings: Settings, points: list[Point], start: date, end: date, report: RunReport
) -> pd.DataFrame:
    """Observed weather for [start, end] from the archive API, one request per point and year.

    Hours where upstream has no value yet (the archive lags a few days) come back
    all-null; they are counted and not stored, so a later run fills them in.
    """
    frames = []
    for p in points:
        for lo, hi in year_chunks(start, end):
            params = {
                "latitude": p.latitude,
                "longitude": p.longitude,
                "start_date": lo.isoformat(),
                "end_date": hi.isoformat(),
                "hourly": ",".join(WEATHER_VARIABLES),
                "timezone": "Asia/Tokyo",
            }
            body = _get(client, settings.open_meteo_archive_url, params, f"archive {p.point_id} {lo.year}", report)
            if body is None:
                continue
            try:
                df = parse_hourly(body, p)
            except OpenMeteoResponseError as exc:
                report.errors.append(f"open_meteo archive {p.point_id} {lo.year}: {exc}")
                continue
            empty = df[WEATHER_VARIABLES].isna().all(axis=1)
            report.add_nulls("open_meteo_observed hours without values (not yet available)", int(empty.sum()))
            df = df[~empty]
            df["source_file"] = f"archive:{p.point_id}:{lo.isoformat()}:{hi.isoformat()}"
            frames.append(df)
        progress(f"  open-meteo archive {p.point_id}: {start} → {end}")
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def to_raw_tables(observed: pd.DataFrame, forecast: pd.DataFrame, loaded_at: datetime) -> list[RawTable]:
    out = []
    for name, df, schema, key in (
        ("open_meteo_observed", observed, OPEN_METEO_OBSERVED, OPEN_METEO_OBSERVED_KEY),
        ("open_meteo_forecast", forecast, OPEN_METEO_FORECAST, OPEN_METEO_FORECAST_KEY),
    ):
        df = df.copy()
        df["loaded_at"] = loaded_at
        for col in ("valid_at", "issued_at", "loaded_at"):
            if col in df.columns:
                df[col] = pd.to_datetime(df[col], utc=True)
        out.append(RawTable(name, table_from_frame(df, schema), key, "valid_at"))
    return out
