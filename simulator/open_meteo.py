"""Open-Meteo archive and forecast endpoints answered from stored archive responses.

The stored files are observations, so the simulated forecast is an *oracle*: it
returns what actually happened, optionally blurred by a seeded forecast error that
grows with the lead (`VintageError`): AR(1) noise on the temperatures whose size
follows JMA's published day-by-day verification for Kanto, noise on relative
humidity anti-correlated with it, and a timing error on the event variables
(precipitation, weather code, cloud cover: a front arrives early or late). That lets
the ML step be evaluated with realistic (or perfect) weather inputs, and lets a test
pin the exact numbers (same seed, point and as_of → same answer).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import threading
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulator import om_json
from simulator.faults import FaultSet

SCOPE = "open_meteo"
TIMEZONE = "Asia/Tokyo"
MATCH_DEGREES = 0.05
MAX_PAST_DAYS = 92
MAX_FORECAST_DAYS = 16
#: Variables that receive additive forecast noise of the lead's sigma (°C quantities).
NOISY_VARIABLES = ("temperature_2m", "apparent_temperature")
#: Relative humidity: additive noise of HUMIDITY_PER_KELVIN × the lead's temperature sigma (6 % on day 1,
#: 9 % on days 2–5, 18 % beyond a week, about humidity's own day-to-day spread), correlated
#: HUMIDITY_TEMPERATURE_CORRELATION with the temperature error (too warm is too dry), clipped to 0–100.
HUMIDITY_VARIABLE = "relative_humidity_2m"
HUMIDITY_PER_KELVIN = 6.0
HUMIDITY_TEMPERATURE_CORRELATION = -0.5
#: Variables whose error is one of timing: the value served for hour h is the stored value at h + shift,
#: the shift a slow regional AR(1) (one for all points: a front is early or late over all of Kanto) whose
#: std grows with the lead (`timing_sigma_hours`). Events keep their size, so totals are realistic.
TIMED_VARIABLES = ("precipitation", "rain", "showers", "snowfall", "weather_code", "cloud_cover")
#: Hour-to-hour autocorrelation of the timing shift: it drifts over days, not hours.
TIMING_RHO = 0.99
#: Names the simulated error model: a benchmark's reused work folder re-lands its noisy vintages when
#: this changes (bump it with any change to what a seeded forecast serves).
ERROR_MODEL = "2: temperature AR(1) + humidity noise + rain/cloud timing shift"
#: Parameters real Open-Meteo accepts but the simulator does not emulate: fail loudly
#: rather than silently answer something different from upstream.
_UNSUPPORTED = {
    "start_date": "forecast",
    "end_date": "forecast",
    "start_hour": None,
    "end_hour": None,
    "timeformat": None,
    "temperature_unit": None,
    "precipitation_unit": None,
    "daily": None,
    "current": None,
    "minutely_15": None,
}
_HEAD_RE = re.compile(r'"latitude":\s*(-?[\d.]+)\s*,\s*"longitude":\s*(-?[\d.]+)')


class OpenMeteoError(Exception):
    """A 400 answer; ``reason`` goes into Open-Meteo's ``{"error": true, "reason": …}``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lead_sigma(lead_day: int) -> float:
    """Std (°C) of a temperature forecast error ``lead_day`` days ahead (1 = as_of itself).

    JMA's verification of Kanto point forecasts: about 1 °C on day 1, 1.5 °C on days
    2-5, 1.8 °C on day 6, 2.1 °C on day 7; beyond a week skill is close to climatology,
    taken as 3 °C.
    """
    if lead_day <= 1:
        return 1.0
    if lead_day <= 5:
        return 1.5
    return {6: 1.8, 7: 2.1}.get(lead_day, 3.0)


#: Share of the noise variance common to every point: a forecast bust is regional (a front arrives
#: early over all of Kanto), so point errors are strongly correlated and the area mean keeps
#: nearly the full per-point sigma instead of averaging it away.
SPATIAL_CORRELATION = 0.9


def timing_sigma_hours(lead_day: int) -> float:
    """Std (hours) of the timing error of rain and cloud ``lead_day`` days ahead (1 = as_of itself).

    A few hours on day 1, half a day by day 5, a day and a half beyond a week (where the
    timing of a system is barely better than climatology)."""
    return {1: 2.0, 2: 4.0, 3: 6.0, 4: 8.0, 5: 10.0, 6: 13.0, 7: 16.0}.get(max(lead_day, 1), 36.0)


def _ar1(key: list[int], rho: float, hours: int) -> np.ndarray:
    shocks = np.random.default_rng(key).standard_normal(hours)
    unit = np.empty(hours)
    unit[0] = shocks[0]
    scale = math.sqrt(max(0.0, 1.0 - rho * rho))
    for t in range(1, hours):
        unit[t] = rho * unit[t - 1] + scale * shocks[t]
    return unit


def forecast_noise(
    seed: int, point: str, as_of: dt.date, rho: float, hours: int = MAX_FORECAST_DAYS * 24
) -> np.ndarray:
    """Noise for the hours from ``as_of`` 00:00 on: AR(1) with unit marginal std × lead sigma.

    A regional AR(1) series shared by all points (variance share SPATIAL_CORRELATION) plus a
    local one per point; each has unit variance, so every point's marginal std is the lead
    sigma. Always drawn for the full 16 days, so the noise of an hour does not depend on how
    many days a request asked for.
    """
    common = _ar1([seed & 0xFFFFFFFF, 0, as_of.toordinal()], rho, hours)
    local = _ar1([seed & 0xFFFFFFFF, zlib.crc32(point.encode()), as_of.toordinal()], rho, hours)
    unit = math.sqrt(SPATIAL_CORRELATION) * common + math.sqrt(1 - SPATIAL_CORRELATION) * local
    sigma = np.array([lead_sigma(t // 24 + 1) for t in range(hours)])
    return unit * sigma


@dataclass(frozen=True)
class VintageError:
    """The whole simulated forecast error of one point's vintage issued on ``as_of``, per hour from
    ``as_of`` 00:00 on (index = offset in hours): °C noise, humidity noise (%), timing shift (hours)."""

    temperature: np.ndarray
    humidity: np.ndarray
    shift_hours: np.ndarray

    @classmethod
    def draw(cls, seed: int, point: str, as_of: dt.date, rho: float) -> VintageError:
        hours = MAX_FORECAST_DAYS * 24
        temperature = forecast_noise(seed, point, as_of, rho, hours)
        leads = [t // 24 + 1 for t in range(hours)]
        sigma_t = np.array([lead_sigma(d) for d in leads])
        own = _ar1([seed & 0xFFFFFFFF, zlib.crc32(point.encode()), as_of.toordinal(), 1], rho, hours)
        c = HUMIDITY_TEMPERATURE_CORRELATION
        humidity = HUMIDITY_PER_KELVIN * (c * temperature + math.sqrt(1 - c * c) * own * sigma_t)
        regional = _ar1([seed & 0xFFFFFFFF, 0, as_of.toordinal(), 2], TIMING_RHO, hours)
        shift = np.rint(regional * np.array([timing_sigma_hours(d) for d in leads])).astype(int)
        return cls(temperature, humidity, shift)

    def apply(self, series: PointSeries, var: str, hour: dt.datetime, offset: int, value: Any) -> Any:
        """The forecast of ``var`` for ``hour`` (``offset`` hours after as_of 00:00), stored ``value`` its truth
        (null stays null: the archive's own gaps and its end are not filled from other hours)."""
        if value is None:
            return None
        if var in NOISY_VARIABLES:
            return round(value + float(self.temperature[offset]), 1)
        if var == HUMIDITY_VARIABLE:
            return int(min(100.0, max(0.0, round(value + float(self.humidity[offset])))))
        if var in TIMED_VARIABLES:
            shifted = hour + dt.timedelta(hours=int(self.shift_hours[offset]))
            pos = series.index.get(f"{shifted:%Y-%m-%dT%H:%M}")
            moved = None if pos is None else series.values[var][pos]
            return value if moved is None else moved
        return value


@dataclass
class PointSeries:
    """All stored hours of one point, merged across its yearly files."""

    name: str
    meta: dict[str, Any]
    units: dict[str, str]
    index: dict[str, int]
    values: dict[str, list[Any]]


class OpenMeteoStore:
    """The stored ``open_meteo/archive/<point>_<YYYY>.json`` files, loaded lazily."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "open_meteo" / "archive"
        self._lock = threading.Lock()
        self._coords: dict[str, tuple[float, float]] | None = None
        self._series: dict[str, PointSeries] = {}

    def _files(self, name: str) -> list[Path]:
        return sorted(p for p in self.root.glob(f"{name}_*.json") if p.stem.rsplit("_", 1)[0] == name)

    def coordinates(self) -> dict[str, tuple[float, float]]:
        """Point name → (latitude, longitude), read from the head of each point's first file."""
        with self._lock:
            if self._coords is None:
                coords: dict[str, tuple[float, float]] = {}
                for path in sorted(self.root.glob("*_*.json")):
                    name = path.stem.rsplit("_", 1)[0]
                    if name in coords:
                        continue
                    with path.open(encoding="utf-8") as fh:
                        m = _HEAD_RE.search(fh.read(400))
                    if m:
                        coords[name] = (float(m[1]), float(m[2]))
                    else:
                        doc = json.loads(path.read_text(encoding="utf-8"))
                        coords[name] = (float(doc["latitude"]), float(doc["longitude"]))
                self._coords = coords
            return self._coords

    def match(self, latitude: float, longitude: float) -> str:
        """The stored point within 0.05° of the request (nearest if several)."""
        best: tuple[float, str] | None = None
        for name, (lat, lon) in self.coordinates().items():
            dist = max(abs(lat - latitude), abs(lon - longitude))
            if dist <= MATCH_DEGREES and (best is None or dist < best[0]):
                best = (dist, name)
        if best is None:
            raise OpenMeteoError(
                f"No stored point within {MATCH_DEGREES}° of latitude={latitude}, longitude={longitude} "
                f"(simulator knows: {', '.join(sorted(self.coordinates()))})"
            )
        return best[1]

    def series(self, name: str) -> PointSeries:
        with self._lock:
            if name not in self._series:
                self._series[name] = self._load(name)
            return self._series[name]

    def _load(self, name: str) -> PointSeries:
        meta: dict[str, Any] = {}
        units: dict[str, str] = {}
        index: dict[str, int] = {}
        values: dict[str, list[Any]] = {}
        for path in self._files(name):
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not meta:
                meta = {k: v for k, v in doc.items() if k not in ("hourly", "hourly_units")}
            units.update({k: v for k, v in doc.get("hourly_units", {}).items() if k != "time"})
            hourly = doc.get("hourly", {})
            times = hourly.get("time", [])
            for i, stamp in enumerate(times):
                pos = index.setdefault(stamp, len(index))
                for var, col in hourly.items():
                    if var == "time":
                        continue
                    column = values.setdefault(var, [])
                    column.extend([None] * (pos + 1 - len(column)))
                    column[pos] = col[i]
        for column in values.values():
            column.extend([None] * (len(index) - len(column)))
        return PointSeries(name, meta, units, index, values)


# --- request handling -------------------------------------------------------------------


def _param(params: Mapping[str, Sequence[str]], name: str, required: bool = True) -> str | None:
    vals = [v for v in params.get(name, []) if v.strip()]
    if not vals:
        if required:
            raise OpenMeteoError(f"Parameter '{name}' is required")
        return None
    return ",".join(vals)


def _coordinate(params: Mapping[str, Sequence[str]], name: str) -> float:
    text = _param(params, name)
    assert text is not None
    if "," in text:
        raise OpenMeteoError(f"Multiple coordinates in '{name}' are not supported by simulator")
    try:
        return float(text)
    except ValueError:
        raise OpenMeteoError(f"Parameter '{name}' must be a number, got {text!r}") from None


def _int(params: Mapping[str, Sequence[str]], name: str, default: int, maximum: int) -> int:
    text = _param(params, name, required=False)
    try:
        value = default if text is None else int(text)
    except ValueError:
        raise OpenMeteoError(f"Parameter '{name}' must be an integer, got {text!r}") from None
    if not 0 <= value <= maximum:
        raise OpenMeteoError(f"Parameter '{name}' must be between 0 and {maximum}. Given: {value}.")
    return value


def _date(params: Mapping[str, Sequence[str]], name: str) -> dt.date:
    text = _param(params, name)
    assert text is not None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise OpenMeteoError(f"Parameter '{name}' must be a date YYYY-MM-DD, got {text!r}") from None


def _common(store: OpenMeteoStore, params: Mapping[str, Sequence[str]], endpoint: str) -> tuple[PointSeries, list[str]]:
    """Validate what both endpoints share; return the point's series and the variables."""
    for name, only in _UNSUPPORTED.items():
        if name in params and (only is None or only == endpoint):
            raise OpenMeteoError(f"Parameter '{name}' is not supported by simulator ({endpoint})")
    latitude = _coordinate(params, "latitude")
    longitude = _coordinate(params, "longitude")
    timezone = _param(params, "timezone")
    if timezone != TIMEZONE:
        raise OpenMeteoError(f"Only timezone={TIMEZONE} is supported by simulator, got {timezone!r}")
    hourly = _param(params, "hourly")
    assert hourly is not None
    variables = list(dict.fromkeys(v.strip() for v in hourly.split(",") if v.strip()))
    return store.series(store.match(latitude, longitude)), variables


def _hours(first: dt.date, last: dt.date) -> list[dt.datetime]:
    start = dt.datetime.combine(first, dt.time())
    return [start + dt.timedelta(hours=h) for h in range((last - first).days * 24 + 24)]


def _payload(
    series: PointSeries, variables: list[str], hours: list[dt.datetime]
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Response skeleton with stored values; variables the files lack are left out."""
    stamps = [f"{h:%Y-%m-%dT%H:%M}" for h in hours]
    present = [v for v in variables if v in series.values]
    positions = [series.index.get(s) for s in stamps]
    hourly: dict[str, list[Any]] = {"time": stamps}
    for var in present:
        column = series.values[var]
        hourly[var] = [None if p is None else column[p] for p in positions]
    payload = {
        "latitude": series.meta.get("latitude"),
        "longitude": series.meta.get("longitude"),
        "generationtime_ms": 0.5,  # fixed, so identical requests give identical bytes
        "utc_offset_seconds": 32400,
        "timezone": TIMEZONE,
        "timezone_abbreviation": series.meta.get("timezone_abbreviation", "GMT+9"),
        "elevation": series.meta.get("elevation"),
        "hourly_units": {"time": "iso8601", **{v: series.units.get(v, "") for v in present}},
        "hourly": hourly,
    }
    return payload, hourly


def archive(
    store: OpenMeteoStore, params: Mapping[str, Sequence[str]], as_of: dt.date, delay_days: int
) -> dict[str, Any]:
    """``/v1/archive``: stored values, null from (as_of − delay_days) 00:00 on."""
    series, variables = _common(store, params, "archive")
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if end < start:
        raise OpenMeteoError("End-date must be larger or equals than start date")
    hours = _hours(start, end)
    payload, hourly = _payload(series, variables, hours)
    cutoff = dt.datetime.combine(as_of - dt.timedelta(days=delay_days), dt.time())
    first_null = next((i for i, h in enumerate(hours) if h >= cutoff), len(hours))
    for var, column in hourly.items():
        if var != "time":
            column[first_null:] = [None] * (len(column) - first_null)
    return payload


def forecast(
    store: OpenMeteoStore,
    params: Mapping[str, Sequence[str]],
    as_of: dt.date,
    noise_seed: int | None,
    noise_rho: float,
    faults: FaultSet,
) -> dict[str, Any]:
    """``/v1/forecast``: oracle values (+ optional seeded noise) around ``as_of``."""
    series, variables = _common(store, params, "forecast")
    past = _int(params, "past_days", 0, MAX_PAST_DAYS)
    days = _int(params, "forecast_days", 7, MAX_FORECAST_DAYS)
    first = as_of - dt.timedelta(days=past)
    hours = _hours(first, as_of + dt.timedelta(days=days - 1))
    payload, hourly = _payload(series, variables, hours)
    if noise_seed is not None:
        error = VintageError.draw(noise_seed, series.name, as_of, noise_rho)
        for var, column in hourly.items():
            if var == "time":
                continue
            for i in range(past * 24, len(column)):
                column[i] = error.apply(series, var, hours[i], i - past * 24, column[i])
    tail = faults.get("tail_nulls", SCOPE)
    if tail is not None and tail.count:
        for var, column in hourly.items():
            if var != "time":
                column[max(0, len(column) - tail.count) :] = [None] * min(tail.count, len(column))
    return payload


# --- Previous Runs API ---------------------------------------------------------------------

#: Models the simulated Previous Runs API answers for (one per request), and the last lead day each
#: reaches: JMA's MSM runs about 4 days ahead, so its `_previous_day4` … `_day7` are null upstream too.
PREVIOUS_RUNS_MODELS = {"jma_gsm": 7, "jma_seamless": 7, "jma_msm": 3}


def _lead_variable(name: str) -> tuple[str, int]:
    """(variable, lead) of a requested name; upstream refuses leads beyond 7 days."""
    base, lead = om_json.split_lead(name)
    if lead > 7:
        raise OpenMeteoError(f"Cannot initialize WeatherVariable from invalid String value {name}")
    return base, lead


def previous_runs(
    store: OpenMeteoStore,
    params: Mapping[str, Sequence[str]],
    moment: dt.datetime,
    noise_seed: int | None,
    noise_rho: float,
) -> dict[str, Any]:
    """``previous-runs-api …/v1/forecast``: each ``<variable>_previous_dayN`` for the requested days.

    Synthetic here: the value of lead N for hour h is the stored (observed) value plus the seeded
    forecast noise of the simulated daily vintage that stood at h − 24·N h + the publication delay
    (the newest one issued at 04:00 JST at or before then), so it equals what `forecast` served
    that morning for h. Null where that moment is after the simulated now (not yet published),
    where the model does not reach lead N, and for variables the stored archive lacks (the real
    API returns null for variables it does not archive). Against the real API the values are real.
    """
    from core.time import ISSUE_HOUR_JST, previous_run_known_at

    for name in ("past_days", "forecast_days", "past_hours", "forecast_hours"):
        if name in params:
            raise OpenMeteoError(f"Parameter '{name}' is not supported by simulator (previous runs): use start_date")
    model = _param(params, "models")
    if model not in PREVIOUS_RUNS_MODELS:
        raise OpenMeteoError(
            f"Parameter 'models' must be one of {', '.join(sorted(PREVIOUS_RUNS_MODELS))} in the simulator, got {model!r}"
        )
    reach = PREVIOUS_RUNS_MODELS[model]
    series, variables = _common(store, params, "previous_runs")
    start, end = _date(params, "start_date"), _date(params, "end_date")
    if end < start:
        raise OpenMeteoError("End-date must be larger or equals than start date")
    hours = _hours(start, end)
    stamps = [f"{h:%Y-%m-%dT%H:%M}" for h in hours]
    positions = [series.index.get(s) for s in stamps]
    now = moment.astimezone(dt.timezone(dt.timedelta(hours=9))).replace(tzinfo=None)  # JST wall clock
    issue = dt.timedelta(hours=ISSUE_HOUR_JST)
    errors: dict[dt.date, VintageError] = {}

    def vintage_error(vintage: dt.date) -> VintageError:
        if vintage not in errors:
            errors[vintage] = VintageError.draw(noise_seed or 0, series.name, vintage, noise_rho)
        return errors[vintage]

    hourly: dict[str, list[Any]] = {"time": stamps}
    units: dict[str, str] = {"time": "iso8601"}
    for var in variables:
        base, lead = _lead_variable(var)
        stored = series.values.get(base)
        units[var] = series.units.get(base, EXPECTED_UNIT_GUESS.get(base, ""))
        column: list[Any] = [None] * len(hours)
        if stored is not None and lead <= reach:
            epoch = dt.datetime(2000, 1, 1)
            age = epoch - previous_run_known_at(epoch, lead)  # how long before its hour a value is known
            for i, (hour, pos) in enumerate(zip(hours, positions)):
                if pos is None or stored[pos] is None:
                    continue
                known = hour - age
                if known > now:
                    continue
                value = stored[pos]
                if noise_seed is not None:
                    vintage = (known - issue).date()  # the newest 04:00 JST vintage at or before `known`
                    offset = int((hour - dt.datetime.combine(vintage, dt.time())) / dt.timedelta(hours=1))
                    value = vintage_error(vintage).apply(series, base, hour, offset, value)
                column[i] = value
        hourly[var] = column
    return {
        "latitude": series.meta.get("latitude"),
        "longitude": series.meta.get("longitude"),
        "generationtime_ms": 0.5,
        "utc_offset_seconds": 32400,
        "timezone": TIMEZONE,
        "timezone_abbreviation": series.meta.get("timezone_abbreviation", "GMT+9"),
        "elevation": series.meta.get("elevation"),
        "hourly_units": units,
        "hourly": hourly,
    }


#: Units of the variables the stored archive lacks (their columns come back null, with a unit).
EXPECTED_UNIT_GUESS = {
    "apparent_temperature": "°C",
    "dew_point_2m": "°C",
    "cloud_cover": "%",
    "shortwave_radiation": "W/m²",
    "direct_radiation": "W/m²",
    "wind_speed_10m": "km/h",
    "snowfall": "cm",
}
