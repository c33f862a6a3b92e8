"""Tests of the upstream simulator (simulator/) and its synthetic-data generator.

Most tests run on data generated into a temporary folder; the few that check fidelity
to the real files read ../shared/data and skip when it is absent.
"""

from __future__ import annotations

import datetime as dt
import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulator import SimulatorServer, om_json, parse_fault
from simulator import tepco_format as tf
from simulator.generate import POINTS, generate
from simulator.open_meteo import (
    HUMIDITY_PER_KELVIN,
    HUMIDITY_TEMPERATURE_CORRELATION,
    VintageError,
    forecast_noise,
    lead_sigma,
    timing_sigma_hours,
)

REPO = Path(__file__).resolve().parents[1]
REAL_DATA = REPO.parent / "shared" / "data"
UA = "energy-forecast-jp-tests/0.1"
GEN_START, GEN_END = dt.date(2024, 5, 1), dt.date(2024, 7, 10)
AS_OF = dt.date(2024, 6, 15)
TOKYO = POINTS["tokyo"][:2]
VARS4 = ["temperature_2m", "relative_humidity_2m", "precipitation", "weather_code"]


# --- helpers ----------------------------------------------------------------------------


@dataclass
class Resp:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    url: str, params: dict[str, Any] | None = None, ua: str | None = UA, method: str = "GET", payload: Any = None
) -> Resp:
    """One request with urllib (its own UA is not python-requests, and we set ours)."""
    if params:
        url += "?" + urllib.parse.urlencode(params)
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if ua is not None:
        req.add_header("User-Agent", ua)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return Resp(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def blocks(member: bytes, encoding: str = "cp932") -> tuple[str, list[list[str]]]:
    lines = member.decode(encoding).split("\r\n")
    body = "\r\n".join(lines[1:]).strip("\r\n")
    return lines[0], [b.split("\r\n") for b in body.split("\r\n\r\n")]


def hourly(member: bytes, encoding: str = "cp932") -> list[list[str]]:
    return [row.split(",") for row in blocks(member, encoding)[1][tf.HOURLY_BLOCK][1:]]


def om_params(start: str | None = None, end: str | None = None, **extra: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "latitude": TOKYO[0] + 0.01,
        "longitude": TOKYO[1] - 0.01,
        "hourly": ",".join(VARS4),
        "timezone": "Asia/Tokyo",
    }
    if start:
        p["start_date"], p["end_date"] = start, end
    p.update(extra)
    return p


def stored_hours(data_dir: Path, point: str, first: str, last: str) -> dict[str, list[Any]]:
    doc = json.loads((data_dir / "open_meteo" / "archive" / f"{point}_{first[:4]}.json").read_text("utf-8"))
    times = doc["hourly"]["time"]
    i, j = times.index(first), times.index(last) + 1
    return {k: v[i:j] for k, v in doc["hourly"].items()}


def needs_real_data() -> Path:
    if not (REAL_DATA / "tepco" / "power_usage").is_dir():
        pytest.skip(f"real data folder {REAL_DATA} absent (see shared/data/README.md)")
    return REAL_DATA


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    generate(out, GEN_START, GEN_END, seed=7)
    return out


@pytest.fixture(scope="module")
def server(gen_dir: Path):
    with SimulatorServer(gen_dir, AS_OF) as s:
        yield s


@pytest.fixture
def sim(server: SimulatorServer) -> SimulatorServer:
    """The shared server, reset to defaults for each test."""
    server.configure(as_of=AS_OF, faults=[], noise_seed=None, noise_rho=0.95, archive_delay_days=0)
    server.reset_request_counts()
    return server


def tepco_url(sim: SimulatorServer, name: str) -> str:
    return sim.env()["TEPCO_BASE_URL"] + "/" + name


def zip_path(data_dir: Path, yyyymm: str) -> Path:
    return data_dir / "tepco" / "power_usage" / f"{yyyymm}_power_usage.zip"


# --- generator --------------------------------------------------------------------------


def test_generator_zip_members_have_tepco_layout(gen_dir: Path) -> None:
    days = 0
    for yyyymm in ("202405", "202406", "202407"):
        for name, raw in members(zip_path(gen_dir, yyyymm).read_bytes()).items():
            days += 1
            day = tf.member_date(name)
            assert day is not None and f"{day:%Y%m}" == yyyymm
            assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n\r\n")
            first, blks = blocks(raw)
            assert first == f"{tf.tepco_date(day)} 23:55 UPDATE"
            assert [b[0] for b in blks] == list(tf.BLOCK_HEADERS)
            rows = hourly(raw)
            five = [r.split(",") for r in blks[tf.FIVE_MIN_BLOCK][1:]]
            assert len(rows) == 24 and len(five) == 288
            assert [r[1] for r in rows] == [f"{h}:00" for h in range(24)]
            assert five[-1][1] == "23:55" and all(r[0] == tf.tepco_date(day) for r in rows + five)
            a, f, u, s = (np.array([int(r[k]) for r in rows]) for k in (2, 3, 4, 5))
            assert 1500 < a.min() and a.max() < 6500
            assert (u == a * 100 // s).all() and 80 <= u.min() and u.max() <= 92
            assert (abs(f - a) / a).max() < 0.08
            five_a = np.array([int(r[2]) for r in five])
            assert np.abs(five_a.reshape(24, 12).mean(axis=1) - a).max() <= 1
            solar = np.array([int(r[3]) for r in five])
            assert solar[:12].sum() == 0 and solar[144] > 0  # dark at midnight, producing at noon
            peak = blks[1][1].split(",")
            assert int(peak[0]) == f.max() and peak[1] == tf.tepco_band(int(f.argmax()))
            assert blks[5][1].split(",")[0] == str(u.max())
    assert days == (GEN_END - GEN_START).days + 1


def test_generator_juyo_matches_hourly_block(gen_dir: Path) -> None:
    raw = (gen_dir / "tepco" / "juyo" / "juyo-2024.csv").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    lines = raw.decode("cp932").split("\n")
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d\d UPDATE", lines[0])
    assert lines[1] == "" and lines[2] == "DATE,TIME,実績(万kW)"
    rows = [ln.split(",") for ln in lines[3:-1]]
    assert len(rows) == ((GEN_END - GEN_START).days + 1) * 24
    june = members(zip_path(gen_dir, "202406").read_bytes())
    by_key = {(r[0], r[1]): r[2] for m in june.values() for r in hourly(m)}
    assert all(by_key[(r[0], r[1])] == r[2] for r in rows if (r[0], r[1]) in by_key)
    assert sum((r[0], r[1]) in by_key for r in rows) == 30 * 24


def test_generator_open_meteo_files(gen_dir: Path) -> None:
    files = sorted((gen_dir / "open_meteo" / "archive").glob("*.json"))
    assert [p.name for p in files] == sorted(f"{n}_2024.json" for n in POINTS)
    for path in files:
        text = path.read_text("utf-8")
        doc = json.loads(text)
        assert om_json.dumps(doc) == text  # upstream number formatting
        assert list(doc) == [
            "latitude",
            "longitude",
            "generationtime_ms",
            "utc_offset_seconds",
            "timezone",
            "timezone_abbreviation",
            "elevation",
            "hourly_units",
            "hourly",
        ]
        assert (doc["latitude"], doc["longitude"]) == POINTS[path.stem.split("_")[0]][:2]
        assert list(doc["hourly"]) == ["time", *VARS4] and doc["hourly_units"]["temperature_2m"] == "°C"
        assert doc["hourly"]["time"][0] == "2024-05-01T00:00" and doc["hourly"]["time"][-1] == "2024-07-10T23:00"
        temp = np.array(doc["hourly"]["temperature_2m"])
        assert 0 < temp.min() and temp.max() < 42 and 14 < temp[: 24 * 31].mean() < 25  # May
        assert re.search(r'"precipitation":\[\d+\.\d\d,', text)  # "0.00" like upstream, not "0.0"


def test_generator_is_deterministic_and_splits_years(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    start, end = dt.date(2023, 12, 30), dt.date(2024, 1, 2)
    fa = generate(a, start, end, seed=1)
    generate(b, start, end, seed=1)
    generate(c, start, end, seed=2)
    rel = sorted(str(p.relative_to(a)) for p in fa)
    assert rel == sorted(str(p.relative_to(b)) for p in b.rglob("*") if p.is_file())
    assert all((a / r).read_bytes() == (b / r).read_bytes() for r in rel)
    assert any((a / r).read_bytes() != (c / r).read_bytes() for r in rel)
    assert "tepco/power_usage/202312_power_usage.zip" in rel and "tepco/juyo/juyo-2023.csv" in rel
    assert list(members((a / "tepco/power_usage/202401_power_usage.zip").read_bytes())) == [
        "20240101_power_usage.csv",
        "20240102_power_usage.csv",
    ]
    assert len((a / "tepco/juyo/juyo-2023.csv").read_bytes().split(b"\n")) == 3 + 48 + 1
    doc = json.loads((a / "open_meteo/archive/tokyo_2024.json").read_text("utf-8"))
    assert doc["hourly"]["time"][0] == "2024-01-01T00:00" and len(doc["hourly"]["time"]) == 48


def test_generator_demand_follows_calendar_and_heat(gen_dir: Path) -> None:
    lines = (gen_dir / "tepco/juyo/juyo-2024.csv").read_bytes().decode("cp932").split("\n")[3:-1]
    demand: dict[dt.date, list[int]] = {}
    for line in lines:
        d, _, v = line.split(",")
        demand.setdefault(tf.parse_tepco_date(d), []).append(int(v))
    daytime = {d: np.mean(v[10:17]) for d, v in demand.items()}
    may = [d for d in daytime if d.month == 5]
    golden_week = [dt.date(2024, 5, d) for d in (3, 4, 5, 6)]
    workdays = [d for d in may if d.weekday() < 5 and d not in golden_week]
    assert np.mean([daytime[d] for d in workdays]) > np.mean([daytime[d] for d in golden_week]) + 200
    july_workdays = [d for d in daytime if d.month == 7 and d.weekday() < 5]
    assert np.mean([daytime[d] for d in july_workdays]) > np.mean([daytime[d] for d in workdays])


# --- TEPCO files ------------------------------------------------------------------------


def test_closed_month_is_served_byte_for_byte(sim: SimulatorServer, gen_dir: Path) -> None:
    r = fetch(tepco_url(sim, "202405_power_usage.zip"))
    assert r.status == 200 and r.headers["content-type"] == "application/zip"
    assert r.body == zip_path(gen_dir, "202405").read_bytes()


def test_current_month_holds_only_completed_days(sim: SimulatorServer, gen_dir: Path) -> None:
    r = fetch(tepco_url(sim, "202406_power_usage.zip"))
    assert r.status == 200
    got = members(r.body)
    stored = members(zip_path(gen_dir, "202406").read_bytes())
    assert list(got) == [f"202406{d:02d}_power_usage.csv" for d in range(1, 15)]
    assert all(got[n] == stored[n] for n in got)
    assert fetch(tepco_url(sim, "202406_power_usage.zip")).body == r.body  # deterministic bytes


def test_unpublished_and_missing_months_are_404(sim: SimulatorServer, gen_dir: Path) -> None:
    assert fetch(tepco_url(sim, "202407_power_usage.zip")).status == 404
    assert fetch(tepco_url(sim, "202301_power_usage.zip")).status == 404
    assert fetch(tepco_url(sim, "no_such_file.zip")).status == 404
    sim.as_of = "2024-06-01"  # nothing of June is complete yet; May is whole
    assert fetch(tepco_url(sim, "202406_power_usage.zip")).status == 404
    assert fetch(tepco_url(sim, "202405_power_usage.zip")).body == zip_path(gen_dir, "202405").read_bytes()


def test_tepco_refuses_python_requests_user_agent(sim: SimulatorServer) -> None:
    import requests

    url = tepco_url(sim, "202405_power_usage.zip")
    assert fetch(url, ua="python-requests/2.32.3").status == 403
    assert requests.get(url, timeout=10).status_code == 403
    assert requests.get(url, headers={"User-Agent": UA}, timeout=10).status_code == 200
    host, port = sim.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("GET", "/tepco/forecast/html/images/202405_power_usage.zip", skip_accept_encoding=True)
    conn.endheaders()  # no User-Agent header at all
    assert conn.getresponse().status == 403
    conn.close()
    assert (
        requests.get(
            sim.env()["OPEN_METEO_ARCHIVE_URL"], timeout=10, params=om_params("2024-06-01", "2024-06-01")
        ).status_code
        == 200
    )


def test_juyo_is_cut_at_as_of(sim: SimulatorServer, gen_dir: Path) -> None:
    stored = (gen_dir / "tepco/juyo/juyo-2024.csv").read_bytes()
    r = fetch(tepco_url(sim, "juyo-2024.csv"))
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert stored.startswith(r.body) and len(r.body) < len(stored)
    lines = r.body.decode("cp932").split("\n")
    assert lines[:3] == stored.decode("cp932").split("\n")[:3]
    assert lines[-2].startswith("2024/6/14,23:00,") and lines[-1] == ""
    assert fetch(tepco_url(sim, "juyo-2025.csv")).status == 404
    sim.as_of = "2025-01-10"
    assert fetch(tepco_url(sim, "juyo-2024.csv")).body == stored


# --- Open-Meteo -------------------------------------------------------------------------


def test_archive_has_upstream_shape_and_stored_values(sim: SimulatorServer, gen_dir: Path) -> None:
    params = om_params("2024-05-03", "2024-05-05", hourly=",".join([*VARS4, "apparent_temperature"]))
    r = fetch(sim.env()["OPEN_METEO_ARCHIVE_URL"], params)
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert list(doc) == [
        "latitude",
        "longitude",
        "generationtime_ms",
        "utc_offset_seconds",
        "timezone",
        "timezone_abbreviation",
        "elevation",
        "hourly_units",
        "hourly",
    ]
    assert (doc["latitude"], doc["longitude"]) == TOKYO and doc["utc_offset_seconds"] == 32400
    assert list(doc["hourly"]) == ["time", *VARS4] and list(doc["hourly_units"]) == ["time", *VARS4]
    assert doc["hourly"] == stored_hours(gen_dir, "tokyo", "2024-05-03T00:00", "2024-05-05T23:00")


def test_archive_nulls_recent_and_unstored_hours(sim: SimulatorServer) -> None:
    url = sim.env()["OPEN_METEO_ARCHIVE_URL"]
    hourly = fetch(url, om_params("2024-06-13", "2024-06-16")).json()["hourly"]
    assert len(hourly["time"]) == 96
    for var in VARS4:
        assert None not in hourly[var][:48] and set(hourly[var][48:]) == {None}
    sim.archive_delay_days = 2
    assert set(fetch(url, om_params("2024-06-13", "2024-06-16")).json()["hourly"]["temperature_2m"]) == {None}
    outside = fetch(url, om_params("2024-04-29", "2024-04-30")).json()["hourly"]
    assert len(outside["time"]) == 48 and set(outside["temperature_2m"]) == {None}


@pytest.mark.parametrize(
    ("endpoint", "change"),
    [
        ("archive", {"start_date": None}),
        ("archive", {"latitude": 30.0}),
        ("archive", {"latitude": f"{TOKYO[0]},{TOKYO[0]}"}),
        ("archive", {"timezone": "UTC"}),
        ("archive", {"end_date": "2024-05-01"}),
        ("forecast", {"forecast_days": 17}),
        ("forecast", {"past_days": 93}),
        ("forecast", {"hourly": None}),
    ],
)
def test_open_meteo_rejects_bad_requests(sim: SimulatorServer, endpoint: str, change: dict[str, Any]) -> None:
    params = om_params("2024-05-03", "2024-05-04") if endpoint == "archive" else om_params()
    for key, value in change.items():
        if value is None:
            params.pop(key)
        else:
            params[key] = value
    r = fetch(sim.env()[f"OPEN_METEO_{endpoint.upper()}_URL"], params)
    assert r.status == 400
    body = r.json()
    assert body["error"] is True and isinstance(body["reason"], str) and body["reason"]
    if "," in str(change.get("latitude", "")):
        assert "not supported by simulator" in body["reason"]


def test_forecast_is_an_oracle_without_noise(sim: SimulatorServer, gen_dir: Path) -> None:
    url = sim.env()["OPEN_METEO_FORECAST_URL"]
    doc = fetch(url, om_params(past_days=2, forecast_days=3, hourly="temperature_2m,weather_code,cape")).json()
    assert len(doc["hourly"]["time"]) == (2 + 3) * 24
    assert doc["hourly"]["time"][0] == "2024-06-13T00:00" and doc["hourly"]["time"][-1] == "2024-06-17T23:00"
    stored = stored_hours(gen_dir, "tokyo", "2024-06-13T00:00", "2024-06-17T23:00")
    assert doc["hourly"] == {k: stored[k] for k in ("time", "temperature_2m", "weather_code")}
    assert "cape" not in doc["hourly_units"]
    assert len(fetch(url, om_params()).json()["hourly"]["time"]) == 7 * 24  # defaults 0 / 7
    sim.as_of = "2024-07-08"  # stored data end on 07-10: later hours are null
    temps = fetch(url, om_params(forecast_days=5)).json()["hourly"]["temperature_2m"]
    assert None not in temps[:72] and set(temps[72:]) == {None}


def test_forecast_noise_is_seeded_and_only_in_the_future(sim: SimulatorServer, gen_dir: Path) -> None:
    url = sim.env()["OPEN_METEO_FORECAST_URL"]
    params = om_params(past_days=1, forecast_days=16)
    sim.noise_seed = 11
    first = fetch(url, params)
    assert fetch(url, params).body == first.body
    h = first.json()["hourly"]
    stored = stored_hours(gen_dir, "tokyo", "2024-06-14T00:00", "2024-07-10T23:00")
    for var in ("temperature_2m", "relative_humidity_2m", "precipitation", "weather_code"):
        assert h[var][:24] == stored[var][:24], var  # past day: observed
        assert h[var][24:] != stored[var][24 : 24 + 16 * 24], var  # every variable carries an error ahead
    noise = forecast_noise(11, "tokyo", AS_OF, 0.95)
    expected = [round(t + n, 1) for t, n in zip(stored["temperature_2m"][24:], noise)]
    assert h["temperature_2m"][24 : 24 + len(expected)] == expected
    humidity = [v for v in h["relative_humidity_2m"][24:] if v is not None]
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in humidity)
    # rain and weather codes are moved in time, not invented: every value served is one the archive holds
    assert {v for v in h["weather_code"][24:] if v is not None} <= set(stored["weather_code"])
    assert {v for v in h["precipitation"][24:] if v is not None} <= set(stored["precipitation"])
    sim.noise_seed = 12
    assert fetch(url, params).body != first.body


def test_noise_std_by_lead_day_and_autocorrelation() -> None:
    starts = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(300)]
    draws = np.array([forecast_noise(5, "tokyo", d, 0.95) for d in starts])  # (300, 384)
    for day in range(1, 17):
        std = draws[:, (day - 1) * 24 : day * 24].std()
        assert abs(std / lead_sigma(day) - 1) < 0.12, (day, std)
    unit = draws[:, :24] / lead_sigma(1)
    assert np.corrcoef(unit[:, :-1].ravel(), unit[:, 1:].ravel())[0, 1] > 0.85
    iid = np.array([forecast_noise(5, "tokyo", d, 0.0) for d in starts])[:, :24]
    assert abs(np.corrcoef(iid[:, :-1].ravel(), iid[:, 1:].ravel())[0, 1]) < 0.1
    assert [lead_sigma(d) for d in (1, 2, 5, 6, 7, 8, 16)] == [1.0, 1.5, 1.5, 1.8, 2.1, 3.0, 3.0]


def test_humidity_and_timing_errors_grow_with_the_lead() -> None:
    """Humidity noise: 6 % per °C of the lead's temperature sigma, anti-correlated with the temperature
    error; timing shift of rain and cloud: std `timing_sigma_hours` of the lead, shared by every point."""
    starts = [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(400)]
    errors = [VintageError.draw(5, "tokyo", d, 0.95) for d in starts]
    humidity = np.array([e.humidity for e in errors])
    temperature = np.array([e.temperature for e in errors])
    shift = np.array([e.shift_hours for e in errors])
    for day in (1, 3, 7, 12):
        cols = slice((day - 1) * 24, day * 24)
        assert abs(humidity[:, cols].std() / (HUMIDITY_PER_KELVIN * lead_sigma(day)) - 1) < 0.12, day
        assert abs(shift[:, cols].std() / timing_sigma_hours(day) - 1) < 0.25, day
    assert np.corrcoef(humidity.ravel(), temperature.ravel())[0, 1] == pytest.approx(
        HUMIDITY_TEMPERATURE_CORRELATION, abs=0.05
    )
    assert shift[:, :24].std() < shift[:, 24 * 3 : 24 * 4].std() < shift[:, 24 * 10 :].std()
    other = VintageError.draw(5, "chiba", starts[0], 0.95)
    assert np.array_equal(other.shift_hours, errors[0].shift_hours)  # a front is late over all of Kanto
    assert not np.array_equal(other.humidity, errors[0].humidity)


# --- faults -----------------------------------------------------------------------------


def test_fault_grammar() -> None:
    assert str(parse_fault("http500:2@tepco")) == "http500:2@tepco"
    assert parse_fault("http429").count is None and parse_fault("http429").scope == "all"
    assert parse_fault("slow:0.5@open_meteo").seconds == 0.5
    assert parse_fault("revised_value:2024-06-03").date == dt.date(2024, 6, 3)
    assert parse_fault("tail_nulls:24@open_meteo").count == 24
    for bad in (
        "http501",
        "http500@nowhere",
        "slow",
        "tail_nulls",
        "tail_nulls:3@tepco",
        "truncated_zip:3",
        "http500:0",
        "http500:x",
        "revised_value:2024-13-01",
        "corrupt_csv@open_meteo",
    ):
        with pytest.raises(ValueError):
            parse_fault(bad)


def test_http500_then_recovers_and_is_scoped(sim: SimulatorServer) -> None:
    sim.faults = ["http500:2@tepco"]
    url = tepco_url(sim, "202405_power_usage.zip")
    assert [fetch(url).status for _ in range(3)] == [500, 500, 200]
    assert fetch(sim.env()["OPEN_METEO_ARCHIVE_URL"], om_params("2024-05-01", "2024-05-01")).status == 200
    counts = fetch(sim.base_url + "/_sim/requests").json()
    assert counts["tepco_power_usage"] == 3 and counts["open_meteo_archive"] == 1
    sim.faults = ["http500"]  # no count: every matching request, every scope
    assert [fetch(url).status for _ in range(4)] == [500] * 4
    assert fetch(sim.env()["OPEN_METEO_FORECAST_URL"], om_params()).status == 500


def test_http429_carries_retry_after(sim: SimulatorServer) -> None:
    sim.faults = ["http429:1@open_meteo"]
    url = sim.env()["OPEN_METEO_FORECAST_URL"]
    r = fetch(url, om_params())
    assert r.status == 429 and r.headers["retry-after"] == "1" and r.json()["error"] is True
    assert fetch(url, om_params()).status == 200
    assert fetch(tepco_url(sim, "202405_power_usage.zip")).status == 200


def test_slow_delays_only_its_scope(sim: SimulatorServer) -> None:
    sim.faults = ["slow:0.3@tepco"]
    t0 = time.monotonic()
    assert fetch(tepco_url(sim, "juyo-2024.csv")).status == 200
    assert time.monotonic() - t0 >= 0.3
    t0 = time.monotonic()
    assert fetch(sim.env()["OPEN_METEO_FORECAST_URL"], om_params()).status == 200
    assert time.monotonic() - t0 < 0.3


def test_truncated_zip_is_not_a_zip(sim: SimulatorServer, gen_dir: Path) -> None:
    sim.faults = ["truncated_zip"]
    r = fetch(tepco_url(sim, "202405_power_usage.zip"))
    assert r.status == 200 and len(r.body) == len(zip_path(gen_dir, "202405").read_bytes()) // 2
    with pytest.raises(zipfile.BadZipFile):
        members(r.body)


def _served_and_stored(sim: SimulatorServer, gen_dir: Path, yyyymm: str) -> tuple[dict[str, bytes], dict[str, bytes]]:
    r = fetch(tepco_url(sim, f"{yyyymm}_power_usage.zip"))
    assert r.status == 200
    return members(r.body), members(zip_path(gen_dir, yyyymm).read_bytes())


def test_corrupt_csv_damages_one_cell_of_the_latest_member(sim: SimulatorServer, gen_dir: Path) -> None:
    sim.faults = ["corrupt_csv@tepco"]
    for yyyymm, latest in (("202406", "20240614_power_usage.csv"), ("202405", "20240531_power_usage.csv")):
        got, stored = _served_and_stored(sim, gen_dir, yyyymm)
        assert all(got[n] == stored[n] for n in got if n != latest)
        bad, good = hourly(got[latest]), hourly(stored[latest])  # still valid CP932
        diffs = [(i, j) for i in range(24) for j in range(6) if bad[i][j] != good[i][j]]
        assert len(diffs) == 1 and bad[diffs[0][0]][diffs[0][1]] == "abc"


def test_short_block_drops_five_hourly_rows(sim: SimulatorServer, gen_dir: Path) -> None:
    sim.faults = ["short_block"]
    got, stored = _served_and_stored(sim, gen_dir, "202406")
    latest = "20240614_power_usage.csv"
    assert hourly(got[latest]) == hourly(stored[latest])[:19]
    assert len(blocks(got[latest])[1]) == 11 and len(hourly(got["20240613_power_usage.csv"])) == 24


def test_wrong_encoding_reencodes_latest_member_as_utf8(sim: SimulatorServer, gen_dir: Path) -> None:
    sim.faults = ["wrong_encoding"]
    got, stored = _served_and_stored(sim, gen_dir, "202406")
    latest = "20240614_power_usage.csv"
    assert got[latest] != stored[latest]
    assert got[latest].decode("utf-8") == stored[latest].decode("cp932")
    assert got["20240613_power_usage.csv"] == stored["20240613_power_usage.csv"]


def test_not_published_hides_only_the_current_month(sim: SimulatorServer) -> None:
    sim.faults = ["not_published"]
    assert fetch(tepco_url(sim, "202406_power_usage.zip")).status == 404
    assert fetch(tepco_url(sim, "202405_power_usage.zip")).status == 200


def test_revised_value_adds_100_at_noon(sim: SimulatorServer, gen_dir: Path) -> None:
    def check(faults: list[str], yyyymm: str, day: str) -> None:
        sim.faults = faults
        got, stored = _served_and_stored(sim, gen_dir, yyyymm)
        for name in got:
            if name.startswith(day):
                new, old = hourly(got[name]), hourly(stored[name])
                assert int(new[12][2]) == int(old[12][2]) + 100
                assert new[:12] + new[13:] == old[:12] + old[13:] and new[12][3:] == old[12][3:]
            else:
                assert got[name] == stored[name]

    check(["revised_value"], "202406", "20240614")  # default: as_of - 1 day
    check(["revised_value:2024-06-03@tepco"], "202406", "20240603")
    check(["revised_value"], "202405", "20240501")  # month without as_of - 1: first member


def test_tail_nulls_blanks_the_end_of_the_forecast(sim: SimulatorServer) -> None:
    sim.faults = ["tail_nulls:5@open_meteo"]
    h = fetch(sim.env()["OPEN_METEO_FORECAST_URL"], om_params(forecast_days=2)).json()["hourly"]
    for var in VARS4:
        assert None not in h[var][:-5] and h[var][-5:] == [None] * 5
    arch = fetch(sim.env()["OPEN_METEO_ARCHIVE_URL"], om_params("2024-06-01", "2024-06-02")).json()["hourly"]
    assert None not in arch["temperature_2m"]


# --- control endpoint and CLI -----------------------------------------------------------


def test_control_endpoint_repoints_the_simulator(sim: SimulatorServer) -> None:
    cfg_url = sim.base_url + "/_sim/config"
    assert fetch(cfg_url).json()["as_of"] == "2024-06-15"
    r = fetch(cfg_url, method="POST", payload={"as_of": "2024-06-03", "faults": ["http500:1@tepco"]})
    assert r.status == 200 and r.json()["as_of"] == "2024-06-03" and r.json()["faults"] == ["http500:1@tepco"]
    url = tepco_url(sim, "202406_power_usage.zip")
    assert fetch(url).status == 500
    assert list(members(fetch(url).body)) == ["20240601_power_usage.csv", "20240602_power_usage.csv"]
    bad = fetch(cfg_url, method="POST", payload={"as_of": "2024-06-10", "faults": ["nope"]})
    assert bad.status == 400 and bad.json()["error"] is True
    assert fetch(cfg_url).json()["as_of"] == "2024-06-03"  # all-or-nothing
    assert fetch(cfg_url, method="POST", payload={"colour": 1}).status == 400
    assert fetch(sim.base_url + "/_sim/requests").json()["tepco_power_usage"] == 2
    assert fetch(sim.base_url + "/_sim/requests", method="DELETE").json()["tepco_power_usage"] == 0


def test_cli_prints_env_lines_and_stops_on_sigterm(gen_dir: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator",
            "--data",
            str(gen_dir),
            "--as-of",
            "2024-06-15",
            "--port",
            "0",
            "--noise-seed",
            "3",
            "--fault",
            "http500:1@open_meteo",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(6)]
        env = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        assert list(env) == [
            "TEPCO_BASE_URL",
            "OPEN_METEO_ARCHIVE_URL",
            "OPEN_METEO_FORECAST_URL",
            "OPEN_METEO_PREVIOUS_RUNS_URL",
            "JMA_BASE_URL",
            "ENERGY_SIMULATOR_URL",
        ]
        base = env["ENERGY_SIMULATOR_URL"]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert env["TEPCO_BASE_URL"] == base + "/tepco/forecast/html/images"
        assert env["OPEN_METEO_ARCHIVE_URL"] == base + "/open-meteo/archive/v1/archive"
        assert env["OPEN_METEO_FORECAST_URL"] == base + "/open-meteo/forecast/v1/forecast"
        assert fetch(env["TEPCO_BASE_URL"] + "/202405_power_usage.zip").status == 200
        assert fetch(base + "/_sim/config").json()["noise_seed"] == 3
        assert fetch(env["OPEN_METEO_FORECAST_URL"], om_params()).status == 500
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


# --- fidelity to the real files (skipped without ../shared/data) ------------------------


def test_real_data_served_unchanged_and_cut() -> None:
    data = needs_real_data()
    with SimulatorServer(data, "2024-06-15", faults=["corrupt_csv"]) as s:
        s.faults = []
        r = fetch(tepco_url(s, "202405_power_usage.zip"))
        assert r.body == zip_path(data, "202405").read_bytes()
        got = members(fetch(tepco_url(s, "202406_power_usage.zip")).body)
        stored = members(zip_path(data, "202406").read_bytes())
        assert len(got) == 14 and all(got[n] == stored[n] for n in got)
        s.faults = ["corrupt_csv", "revised_value"]
        got = members(fetch(tepco_url(s, "202406_power_usage.zip")).body)
        assert "abc" in {row[2] for row in hourly(got["20240614_power_usage.csv"])}
        juyo = fetch(tepco_url(s, "juyo-2024.csv")).body
        assert (data / "tepco/juyo/juyo-2024.csv").read_bytes().startswith(juyo)
        assert juyo.rstrip(b"\n").rsplit(b"\n", 1)[1].startswith(b"2024/6/14,23:00,")
        doc = fetch(s.env()["OPEN_METEO_ARCHIVE_URL"], om_params("2024-03-01", "2024-03-02")).json()
        assert doc["hourly"] == stored_hours(data, "tokyo", "2024-03-01T00:00", "2024-03-02T23:00")


def test_real_formats_match_generator_writers() -> None:
    data = needs_real_data()
    text = (data / "open_meteo/archive/tokyo_2023.json").read_text("utf-8")
    assert om_json.dumps(json.loads(text)) == text
    for name, raw in list(members(zip_path(data, "202406").read_bytes()).items())[:5]:
        first, blks = blocks(raw)
        assert [b[0] for b in blks] == list(tf.BLOCK_HEADERS), name
        assert tf.render_member(first, blks) == raw
    juyo = (data / "tepco/juyo/juyo-2024.csv").read_bytes()
    assert b"\r" not in juyo and juyo.split(b"\n")[2].decode("cp932") == tf.JUYO_HEADER


# --- Previous Runs API ----------------------------------------------------------------------


def previous_runs_params(first: str, last: str, variables: list[str], model: str = "jma_gsm") -> dict[str, Any]:
    return om_params(first, last, hourly=",".join(variables), models=model)


def test_previous_runs_equal_the_daily_vintage_that_stood_then(sim: SimulatorServer) -> None:
    """Lead N of hour h is what the simulated 04:00 JST vintage standing at h − 24·N h + the publication
    delay served for h: the synthetic archive and the simulated daily vintages never disagree."""
    from core.time import JST, previous_run_known_at

    sim.noise_seed = 11
    leads = list(range(1, 8))
    variables = ("temperature_2m", "relative_humidity_2m", "precipitation", "weather_code")
    doc = fetch(
        sim.env()["OPEN_METEO_PREVIOUS_RUNS_URL"],
        previous_runs_params("2024-06-10", "2024-06-11", [f"{v}_previous_day{n}" for v in variables for n in leads]),
    ).json()
    times = [dt.datetime.fromisoformat(t) for t in doc["hourly"]["time"]]
    assert len(times) == 48 and doc["hourly_units"]["temperature_2m_previous_day3"] == "°C"
    vintages: dict[dt.date, dict] = {}
    same_day = 0
    for var in variables:
        for n in leads:
            for hour, value in zip(times, doc["hourly"][f"{var}_previous_day{n}"]):
                known = previous_run_known_at(hour.replace(tzinfo=JST), n).astimezone(JST)
                vintage = (known - dt.timedelta(hours=4)).date()  # the newest 04:00 JST vintage by then
                same_day += vintage == hour.date()
                if vintage not in vintages:
                    sim.as_of = vintage
                    vintages[vintage] = fetch(
                        sim.env()["OPEN_METEO_FORECAST_URL"], om_params(forecast_days=16, hourly=",".join(variables))
                    ).json()
                    sim.as_of = AS_OF
                served = vintages[vintage]["hourly"]
                assert value == served[var][served["time"].index(f"{hour:%Y-%m-%dT%H:%M}")], (var, hour, n)
    # lead 1 of 22:00 and 23:00 JST: that day's own 04:00 vintage (known at 04:00, 05:00)
    assert same_day == 4 * len(variables)


def test_previous_runs_are_null_until_published_and_beyond_the_models_reach(
    sim: SimulatorServer, gen_dir: Path
) -> None:
    url = sim.env()["OPEN_METEO_PREVIOUS_RUNS_URL"]
    sim.as_of = "2024-06-12T04:00"
    h = fetch(url, previous_runs_params("2024-06-11", "2024-06-13", ["temperature_2m_previous_day1"])).json()["hourly"]
    # lead 1 of hour h is known from h − 18 h: at 04:00 JST on 06-12, through 22:00 that day
    known = [v is not None for v in h["temperature_2m_previous_day1"]]
    assert known == [True] * 24 + [True] * 23 + [False] + [False] * 24
    sim.as_of = AS_OF
    msm = previous_runs_params(
        "2024-06-10", "2024-06-10", ["temperature_2m_previous_day3", "temperature_2m_previous_day4"], "jma_msm"
    )
    h = fetch(url, msm).json()["hourly"]
    assert None not in h["temperature_2m_previous_day3"] and set(h["temperature_2m_previous_day4"]) == {None}
    # a variable the stored archive lacks comes back all null, with its unit (as upstream for what it does not keep)
    doc = fetch(url, previous_runs_params("2024-06-10", "2024-06-10", ["cloud_cover_previous_day2"])).json()
    assert (
        set(doc["hourly"]["cloud_cover_previous_day2"]) == {None}
        and doc["hourly_units"]["cloud_cover_previous_day2"] == "%"
    )
    stored = stored_hours(gen_dir, "tokyo", "2024-06-10T00:00", "2024-06-10T23:00")
    doc = fetch(url, previous_runs_params("2024-06-10", "2024-06-10", ["relative_humidity_2m_previous_day5"])).json()
    assert doc["hourly"]["relative_humidity_2m_previous_day5"] == stored["relative_humidity_2m"]  # no seed: no noise


@pytest.mark.parametrize(
    "change",
    [{"models": "ecmwf_ifs025"}, {"models": None}, {"past_days": 3}, {"hourly": "temperature_2m_previous_day8"}],
)
def test_previous_runs_refuse_what_the_simulator_does_not_emulate(sim: SimulatorServer, change: dict[str, Any]) -> None:
    params = previous_runs_params("2024-06-10", "2024-06-10", ["temperature_2m_previous_day1"])
    params.update(change)
    resp = fetch(sim.env()["OPEN_METEO_PREVIOUS_RUNS_URL"], {k: v for k, v in params.items() if v is not None})
    assert resp.status == 400 and resp.json()["error"] is True
