"""Synthetic TEPCO + Open-Meteo data in the exact layout and byte formats of ../shared/data.

Tests must not depend on the licensed real files, and a forecasting test needs data
where forecasting makes sense, so the numbers follow a small physical story:

* weather per point: seasonal + diurnal cycle (climate of each point measured on the
  real 2023-2024 archive) + a regional AR(1) anomaly shared by all points + a local one;
  a "wetness" AR(1) drives rain, humidity, weather code, cloudiness and solar output;
* demand (万kW): weekday / weekend-holiday hourly profiles (measured on real spring and
  autumn days) + cooling above 21 °C and heating below 15 °C of the smoothed regional
  temperature + AR(1) noise; hourly values are the means of the five-minute values;
* TEPCO's forecast = actual + ~1.2 % noise; supply = actual / usage, usage 80-92 %;
  peak blocks are derived from the hourly block with the rules measured on real files.

``python -m simulator.generate --out DIR --start YYYY-MM-DD --end YYYY-MM-DD [--seed 0]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import zlib
from pathlib import Path

import holidays
import numpy as np

from simulator import om_json
from simulator import tepco_format as tf

#: name → (latitude, longitude, elevation, January mean °C, August mean °C, daily range °C)
POINTS: dict[str, tuple[float, float, float, float, float, float]] = {
    "tokyo": (35.676624, 139.69112, 40.0, 4.6, 28.7, 8.8),
    "kanagawa": (35.46573, 139.61539, 6.0, 5.6, 28.7, 7.8),
    "saitama": (35.88752, 139.65117, 18.0, 4.5, 28.7, 9.3),
    "chiba": (35.606327, 140.08997, 9.0, 5.7, 28.5, 7.5),
    "ibaraki": (36.309315, 140.39062, 34.0, 3.8, 27.7, 9.7),
    "tochigi": (36.590508, 139.82985, 128.0, 2.5, 27.0, 9.6),
    "gunma": (36.379612, 139.04825, 115.0, 3.4, 27.8, 9.7),
    "yamanashi": (35.676624, 138.53282, 281.0, 4.4, 26.5, 11.1),
    "shizuoka": (34.973637, 138.37357, 26.0, 6.8, 27.5, 8.3),
}
#: Share of each point in the demand-weighted regional temperature.
DEMAND_WEIGHTS = {"tokyo": 0.35, "kanagawa": 0.2, "saitama": 0.2, "chiba": 0.15}
UNITS = {
    "time": "iso8601",
    "temperature_2m": "°C",
    "relative_humidity_2m": "%",
    "precipitation": "mm",
    "weather_code": "wmo code",
}
#: Mean hourly demand (万kW) on mild days, measured on 2023-2024 spring/autumn.
WORKDAY = (
    2352,
    2249,
    2240,
    2279,
    2318,
    2374,
    2504,
    2702,
    2989,
    3212,
    3274,
    3296,
    3182,
    3273,
    3272,
    3250,
    3264,
    3241,
    3224,
    3135,
    3007,
    2852,
    2718,
    2571,
)
HOLIDAY = (
    2265,
    2164,
    2151,
    2182,
    2198,
    2190,
    2192,
    2285,
    2448,
    2588,
    2663,
    2699,
    2684,
    2670,
    2646,
    2648,
    2691,
    2781,
    2843,
    2810,
    2721,
    2594,
    2467,
    2355,
)
COOLING_PER_DEG = 125.0  # 万kW per °C above COOLING_BASE
HEATING_PER_DEG = 85.0  # 万kW per °C below HEATING_BASE
COOLING_BASE, HEATING_BASE = 21.0, 15.0
SOLAR_CAPACITY = 1500.0  # 万kW at a clear summer noon


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float) -> np.ndarray:
    """AR(1) series with marginal std ``sd`` (stationary from the first value)."""
    shocks = rng.standard_normal(n) * sd * math.sqrt(1 - rho * rho)
    out = np.empty(n)
    out[0] = rng.standard_normal() * sd
    for i in range(1, n):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


def _day_of_year(start: dt.date, hours: np.ndarray) -> np.ndarray:
    return start.timetuple().tm_yday - 1 + hours / 24.0


def _season(doy: np.ndarray) -> np.ndarray:
    """Seasonal temperature shape, about -1 in January and +1 in August.

    Two harmonics fitted on the real Tokyo 2023-2024 archive (°C anomaly / 12.05): a
    single cosine would make May-June 2-3 °C too warm, which matters for cooling demand.
    """
    w = 2 * math.pi * doy / 365.25
    return (-10.29 * np.cos(w) - 5.47 * np.sin(w) - 1.13 * np.cos(2 * w) + 1.04 * np.sin(2 * w)) / 12.05


def _weather(rng: np.random.Generator, start: dt.date, n: int) -> dict[str, dict[str, np.ndarray]]:
    """Hourly temperature, humidity, precipitation and weather code for every point."""
    hours = np.arange(n, dtype=float)
    doy = _day_of_year(start, hours)
    hod = hours % 24
    season = _season(doy)
    diurnal = np.cos(2 * math.pi * (hod - 14) / 24) + 0.25 * np.cos(4 * math.pi * (hod - 11) / 24)
    regional_temp = _ar1(rng, n, 0.98, 2.2)
    regional_wet = _ar1(rng, n, 0.95, 1.0)
    out = {}
    for name, (_, _, _, jan, aug, dtr) in POINTS.items():
        wet = 0.8 * regional_wet + _ar1(rng, n, 0.9, 0.6)
        cloud = np.clip(wet + 0.5, 0, 1.5) / 1.5  # 0 clear … 1 overcast
        temp = (
            (jan + aug) / 2
            + (aug - jan) / 2 * season
            + dtr / 2 * (1 - 0.6 * cloud) * diurnal
            + regional_temp
            + _ar1(rng, n, 0.9, 0.6)
        )
        rain = np.where(wet > 0.95, np.round(0.1 + rng.exponential(1.0, n) * (wet - 0.8) * 2, 1), 0.0)
        humidity = np.clip(68 + 6 * season + 14 * np.tanh(wet) - 8 * diurnal + rng.normal(0, 3, n), 12, 100)
        out[name] = {
            "temperature_2m": np.round(temp, 1),
            "relative_humidity_2m": np.round(humidity),
            "precipitation": rain,
            "weather_code": _weather_code(rain, cloud, temp),
        }
    return out


def _weather_code(rain: np.ndarray, cloud: np.ndarray, temp: np.ndarray) -> np.ndarray:
    """WMO code consistent with rain amount, cloudiness and temperature (snow below 1 °C)."""
    dry = np.select([cloud > 0.75, cloud > 0.5, cloud > 0.25], [3, 2, 1], 0)
    wet = np.select([rain < 0.5, rain < 1.0, rain < 2.5, rain < 7.6], [51, 53, 61, 63], 65)
    snow = np.select([rain < 1.0, rain < 2.5], [71, 73], 75)
    return np.where(rain <= 0, dry, np.where(temp < 1.0, snow, wet)).astype(int)


def _is_holiday(day: dt.date, jp: holidays.HolidayBase) -> bool:
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() >= 5 or day in jp or year_end


def _demand(rng: np.random.Generator, start: dt.date, n: int, temp: np.ndarray) -> np.ndarray:
    """Hourly 'true' demand (float 万kW) from calendar and smoothed regional temperature."""
    jp = holidays.Japan(years=range(start.year, start.year + n // 8760 + 2))
    smooth = np.empty(n)
    smooth[0] = temp[0]
    for i in range(1, n):  # thermal inertia of buildings, ~4 h
        smooth[i] = 0.75 * smooth[i - 1] + 0.25 * temp[i]
    hod = np.arange(n) % 24
    off = np.array([_is_holiday(start + dt.timedelta(days=int(i // 24)), jp) for i in range(n)])
    base = np.where(off, np.take(HOLIDAY, hod), np.take(WORKDAY, hod))
    cool_w = 0.6 + 0.6 * np.exp(-(((hod - 14) / 5.0) ** 2))
    heat_w = 0.85 + 0.3 * (np.exp(-(((hod - 8) / 2.0) ** 2)) + np.exp(-(((hod - 19) / 2.5) ** 2)))
    weather = (
        COOLING_PER_DEG * np.maximum(smooth - COOLING_BASE, 0) * cool_w
        + HEATING_PER_DEG * np.maximum(HEATING_BASE - smooth, 0) * heat_w
    )
    return base + np.where(off, 0.85, 1.0) * weather + _ar1(rng, n, 0.9, 50.0)


def _solar(start: dt.date, n5: int, clear: np.ndarray) -> np.ndarray:
    """Five-minute solar output (万kW): a daytime bell that widens and rises in summer."""
    t = np.arange(n5) / 12.0
    doy = _day_of_year(start, t)
    phase = np.sin(2 * math.pi * (doy - 80) / 365.25)
    length = 12 + 2.35 * phase
    x = (t % 24 - (11.65 - length / 2)) / length
    bell = np.where((x > 0) & (x < 1), np.sin(math.pi * np.clip(x, 0, 1)) ** 1.5, 0.0)
    return np.round(SOLAR_CAPACITY * (0.75 + 0.25 * phase) * bell * clear)


def _peak_rows(day: dt.date, fc: np.ndarray, supply: np.ndarray) -> list[str]:
    """Rows of the four peak blocks (peak demand hour, then peak usage hour)."""
    stamp = f"{tf.tepco_md(day)},23:50"
    h1 = int(np.argmax(fc))
    h2 = int(np.argmax(fc / supply))
    rows = []
    for h in (h1, h2):
        f, s = int(fc[h]), int(supply[h])
        rows.append(f"{s},{tf.tepco_band(h)},{stamp},{round((s - f) * 100 / f)},{f * 100 // s}")
        rows.append(f"{f},{tf.tepco_band(h)},{stamp}")
    return rows


def _member(
    day: dt.date,
    actual: np.ndarray,
    fc: np.ndarray,
    supply: np.ndarray,
    next_fc: np.ndarray,
    next_supply: np.ndarray,
    five: np.ndarray,
    solar: np.ndarray,
) -> bytes:
    """One daily CSV (all arrays are this day's, ints)."""
    date = tf.tepco_date(day)
    usage = actual * 100 // supply
    hourly = [f"{date},{h}:00,{actual[h]},{fc[h]},{usage[h]},{supply[h]}" for h in range(24)]
    top = int(np.argmax(actual / supply))
    pct = solar * 100 // five
    minutes = [f"{date},{tf.tepco_time(i // 12, i % 12 * 5)},{five[i]},{solar[i]},{pct[i]}" for i in range(288)]
    today = _peak_rows(day, fc, supply)
    tomorrow = _peak_rows(day + dt.timedelta(days=1), next_fc, next_supply)
    rows = [[r] for r in today] + [hourly, [f"{usage[top]},{tf.tepco_band(top)}"]] + [[r] for r in tomorrow] + [minutes]
    blocks = [[header, *body] for header, body in zip(tf.BLOCK_HEADERS, rows, strict=True)]
    return tf.render_member(f"{date} 23:55 UPDATE", blocks)


def generate(out: Path, start: dt.date, end: dt.date, seed: int = 0) -> list[Path]:
    """Write the synthetic folder for [start, end] (inclusive); return the files written."""
    if end < start:
        raise ValueError("end must not be before start")
    rng = np.random.default_rng(seed)
    ndays = (end - start).days + 1
    n = (ndays + 1) * 24  # one extra day feeds the 翌日 (next-day) blocks of the last day
    weather = _weather(rng, start, n)
    regional = sum(w * weather[p]["temperature_2m"] for p, w in DEMAND_WEIGHTS.items())
    regional = regional + 0.1 * sum(weather[p]["temperature_2m"] for p in POINTS if p not in DEMAND_WEIGHTS) / 5
    true_demand = _demand(rng, start, n, regional)
    t5 = np.arange(n * 12) / 12.0
    five = np.round(np.interp(t5, np.arange(n) + 0.5, true_demand) + rng.normal(0, 10, n * 12)).astype(int)
    actual = np.round(five.reshape(n, 12).mean(axis=1)).astype(int)
    fc = np.round(actual * (1 + rng.normal(0, 0.012, n))).astype(int)
    usage = np.clip(0.86 + _ar1(rng, n, 0.9, 0.025), 0.80, 0.92)
    supply = np.round(actual / usage).astype(int)
    clear = np.repeat(
        1
        - 0.8
        * (np.clip(weather["tokyo"]["weather_code"], 0, 4) / 4 * 0.6 + (weather["tokyo"]["precipitation"] > 0) * 0.4),
        12,
    )
    solar = np.minimum(_solar(start, n * 12, clear), five).astype(int)

    written: list[Path] = []
    days = [start + dt.timedelta(days=i) for i in range(ndays)]
    months: dict[str, list[tuple[str, bytes, dt.datetime]]] = {}
    for i, day in enumerate(days):
        h, m, nh = slice(i * 24, i * 24 + 24), slice(i * 288, i * 288 + 288), slice(i * 24 + 24, i * 24 + 48)
        data = _member(day, actual[h], fc[h], supply[h], fc[nh], supply[nh], five[m], solar[m])
        stamp = dt.datetime.combine(day, dt.time(23, 55))
        months.setdefault(f"{day:%Y%m}", []).append((tf.member_name(day), data, stamp))
    for yyyymm, members in months.items():
        written.append(_write(out / "tepco" / "power_usage" / f"{yyyymm}_power_usage.zip", tf.build_zip(members)))
    for year in sorted({d.year for d in days}):
        idx = [i for i, d in enumerate(days) if d.year == year]
        written.append(
            _write(
                out / "tepco" / "juyo" / f"juyo-{year}.csv",
                _juyo(days[idx[0]], days[idx[-1]], actual[idx[0] * 24 : idx[-1] * 24 + 24]),
            )
        )
        for name in POINTS:
            doc = _archive_doc(
                name,
                year,
                seed,
                days[idx[0]],
                {k: v[idx[0] * 24 : idx[-1] * 24 + 24] for k, v in weather[name].items()},
            )
            written.append(
                _write(out / "open_meteo" / "archive" / f"{name}_{year}.json", om_json.dumps(doc).encode("utf-8"))
            )
    return written


def _juyo(first: dt.date, last: dt.date, actual: np.ndarray) -> bytes:
    """Yearly CSV: UPDATE line, blank line, header, hourly rows; CP932 with LF like the real files."""
    lines = [f"{tf.tepco_date(last + dt.timedelta(days=1))} 0:05 UPDATE", "", tf.JUYO_HEADER]
    for i, value in enumerate(actual):
        day = first + dt.timedelta(days=i // 24)
        lines.append(f"{tf.tepco_date(day)},{i % 24}:00,{value}")
    return ("\n".join(lines) + "\n").encode(tf.ENCODING)


def _archive_doc(name: str, year: int, seed: int, first: dt.date, values: dict[str, np.ndarray]) -> dict[str, object]:
    """An archive response for one point and year, keys in upstream order."""
    lat, lon, elevation = POINTS[name][:3]
    start = dt.datetime.combine(first, dt.time())
    count = len(values["temperature_2m"])
    hourly: dict[str, list[object]] = {
        "time": [f"{start + dt.timedelta(hours=h):%Y-%m-%dT%H:%M}" for h in range(count)]
    }
    for var in ("temperature_2m", "relative_humidity_2m", "precipitation", "weather_code"):
        hourly[var] = [int(v) if var in ("relative_humidity_2m", "weather_code") else float(v) for v in values[var]]
    return {
        "latitude": lat,
        "longitude": lon,
        "generationtime_ms": zlib.crc32(f"{name}{year}{seed}".encode()) % 200000 / 1000,
        "utc_offset_seconds": 32400,
        "timezone": "Asia/Tokyo",
        "timezone_abbreviation": "GMT+9",
        "elevation": elevation,
        "hourly_units": UNITS,
        "hourly": hourly,
    }


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m simulator.generate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--start", required=True, type=dt.date.fromisoformat)
    p.add_argument("--end", required=True, type=dt.date.fromisoformat)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    files = generate(args.out, args.start, args.end, args.seed)
    print(f"wrote {len(files)} files under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
