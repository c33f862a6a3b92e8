"""Open-Meteo's Previous Runs API as a source: the answer's documented shape parsed into one row per
(point, model, lead day, hour), the free tier's limits kept, and the backfill idempotent."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from core.time import PREVIOUS_RUNS_LEAD_DAYS
from ingest.__main__ import main
from ingest.open_meteo import Point, parse_hourly
from ingest.open_meteo.previous_runs import (
    VARIABLES,
    CallBudget,
    Plan,
    call_weight,
    quarter_chunks,
    requested_variables,
    to_long,
)
from ingest.tolerant import FormatNotes
from tests.conftest import duckdb_path, raw_checksums, raw_counts

POINT = Point("tokyo", 35.68, 139.69, 1.0)


def recorded_answer(suffix: str = "") -> bytes:
    """Two hours at Tokyo as the Previous Runs API documents its answer: the forecast API's layout,
    each variable once per lead as `<variable>_previous_dayN` (plus `_<model>` when several models
    are asked), the hours in the requested time zone."""
    times = ["2024-01-01T00:00", "2024-01-01T01:00"]
    hourly: dict[str, list] = {"time": times}
    units = {"time": "iso8601"}
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        for v in VARIABLES:
            name = f"{v}_previous_day{n}{suffix}"
            base = {"temperature_2m": 5.0, "relative_humidity_2m": 60, "apparent_temperature": 2.0}.get(v)
            hourly[name] = [None if base is None else base + n, None if base is None else base + n + 0.5]
            units[name] = {"temperature_2m": "°C", "apparent_temperature": "°C", "precipitation": "mm"}.get(v, "%")
            if v == "shortwave_radiation":
                units[name] = "W/m²"
    doc = {
        "latitude": 35.7,
        "longitude": 139.6875,
        "generationtime_ms": 3.2,
        "utc_offset_seconds": 32400,
        "timezone": "Asia/Tokyo",
        "timezone_abbreviation": "GMT+9",
        "elevation": 40.0,
        "hourly_units": units,
        "hourly": hourly,
    }
    return json.dumps(doc).encode()


@pytest.mark.parametrize("suffix", ["", "_jma_gsm"])
def test_the_documented_answer_becomes_one_row_per_lead_and_hour(suffix: str) -> None:
    notes = FormatNotes()
    wide, issues = parse_hourly(recorded_answer(suffix), POINT, notes, variables=requested_variables(), model="jma_gsm")
    long = to_long(wide, "jma_gsm")
    assert not issues and len(long) == 2 * 7
    assert notes["variables named with their model's suffix"] == (42 if suffix else 0)
    first = long[long["valid_at"] == pd.Timestamp("2023-12-31 15:00", tz="UTC")].set_index("lead_day")
    assert first["temperature_2m"].tolist() == [5.0 + n for n in range(1, 8)]
    assert first["relative_humidity_2m"].tolist() == [60.0 + n for n in range(1, 8)]
    assert first["precipitation"].isna().all()  # not in the answer: null, not an error
    # lead 3 of 2024-01-01 00:00 JST (2023-12-31 15:00 UTC) is known from 72 h − 6 h before it
    assert first.loc[3, "known_at"] == pd.Timestamp("2023-12-28 21:00", tz="UTC")
    assert set(long["model"]) == {"jma_gsm"}


def test_call_weight_follows_the_free_tiers_counting() -> None:
    assert call_weight(10, 14) == 1.0 and call_weight(5, 3) == 1.0  # a small request is one call
    assert call_weight(42, 14) == pytest.approx(4.2) and call_weight(42, 28) == pytest.approx(8.4)
    plan = Plan(quarter_chunks(datetime(2023, 1, 1).date(), datetime(2024, 12, 31).date()), 9)
    assert plan.requests == 9 * 8 and plan.calls == pytest.approx(9 * 4.2 * 731 / 14)
    assert quarter_chunks(datetime(2023, 2, 15).date(), datetime(2023, 7, 1).date())[0][1].isoformat() == "2023-03-31"


def test_the_budget_waits_only_when_a_window_is_full() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    budget = CallBudget(clock=lambda: now[0], sleep=sleep)
    for _ in range(21):  # 21 × 27.6 = 579.6 calls: inside the minute's 600
        budget.take(27.6)
        now[0] += 1
    assert slept == []
    budget.take(27.6)  # the 22nd waits until the first has left the minute
    assert slept == [pytest.approx(39.0)] and budget.total_calls == pytest.approx(22 * 27.6)
    hourly = CallBudget(limits=((timedelta(hours=1), 100.0),), clock=lambda: now[0], sleep=sleep)
    hourly.take(60)
    hourly.take(60)
    assert slept[-1] == pytest.approx(3600.0)


@pytest.mark.slow
def test_the_backfill_lands_every_lead_and_hour_once(
    simulator, shared_data: Path, capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two points (one load each), across a quarter's edge (two requests each); the whole 2023–2024
    backfill of nine points is measured in the issue's closing note."""
    seed = (Path(__file__).resolve().parents[1] / "seeds" / "weather_points.csv").read_text(encoding="utf-8")
    points = tmp_path / "points.csv"
    points.write_text("\n".join(seed.splitlines()[:3]) + "\n", encoding="utf-8")
    monkeypatch.setenv("ENERGY_WEATHER_POINTS_FILE", str(points))
    simulator(shared_data, "2025-01-10", noise_seed=1)
    argv = ["backfill", "--start", "2023-12-31", "--end", "2024-01-01", "--forecast-vintages"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "4 requests, 16.8 calls counted against the limits" in out  # 4 × (42 variables / 10)
    db = duckdb_path()
    first = raw_checksums(db)
    assert raw_counts(db)["open_meteo_previous_runs"] == 2 * 7 * 48
    assert main(argv) == 0  # the same again: nothing new, nothing twice
    assert "new or changed        0" in capsys.readouterr().out.split("open_meteo_previous_runs")[1][:60]
    assert raw_checksums(db) == first
