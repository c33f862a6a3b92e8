"""Open-Meteo answers checked against what they say they are: time zone, units, duplicates, shape.

A bad answer costs its point only: the other points and the TEPCO rows of the same run still land.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ingest import archive as raw_archive
from ingest.__main__ import main
from ingest.open_meteo import OpenMeteoResponseError, Point, parse_hourly
from ingest.tolerant import FormatNotes
from tests.conftest import duckdb_path, raw_counts

POINT = Point("tokyo", 35.68, 139.69, 1.0)
TIMES = ["2024-02-01T00:00", "2024-02-01T01:00", "2024-02-01T02:00"]


def answer(**changes: object) -> bytes:
    doc: dict = {
        "latitude": 35.7,
        "longitude": 139.7,
        "utc_offset_seconds": 32400,
        "timezone": "Asia/Tokyo",
        "elevation": 40.0,
        "hourly_units": {"time": "iso8601", "temperature_2m": "°C"},
        "hourly": {"time": list(TIMES), "temperature_2m": [5.0, 6.0, 7.0]},
    }
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return json.dumps(doc).encode()


def test_a_clean_answer_lands_at_its_utc_instants() -> None:
    df, issues = parse_hourly(answer(), POINT)
    assert df["valid_at"].iloc[0] == pd.Timestamp("2024-01-31 15:00", tz="UTC") and not issues
    assert df["temperature_2m"].tolist() == [5.0, 6.0, 7.0]


def test_no_utc_offset_uses_the_named_zone_and_never_assumes_utc() -> None:
    notes = FormatNotes()
    df, _ = parse_hourly(answer(utc_offset_seconds=None), POINT, notes)
    assert df["valid_at"].iloc[0] == pd.Timestamp("2024-01-31 15:00", tz="UTC")  # not 2024-02-01 00:00 UTC
    assert notes["utc offset taken from the timezone name"] == 1
    with pytest.raises(OpenMeteoResponseError, match="neither utc_offset_seconds nor a timezone"):
        parse_hourly(answer(utc_offset_seconds=None, timezone=None), POINT)


def test_fahrenheit_is_converted_and_an_unknown_unit_refused() -> None:
    notes = FormatNotes()
    df, _ = parse_hourly(
        answer(hourly_units={"temperature_2m": "°F"}, hourly={"time": TIMES, "temperature_2m": [41.0, 42.8, 44.6]}),
        POINT,
        notes,
    )
    assert df["temperature_2m"].tolist() == [5.0, 6.0, 7.0]
    assert notes["temperature_2m converted from °F to °C"] == 1
    with pytest.raises(OpenMeteoResponseError, match="'K'"):
        parse_hourly(answer(hourly_units={"temperature_2m": "K"}), POINT)


def test_a_time_listed_twice_is_set_aside_unless_it_is_the_same_hour_twice() -> None:
    twice = {"time": [TIMES[0], TIMES[1], TIMES[1]], "temperature_2m": [5.0, 6.0, 9.0]}
    df, issues = parse_hourly(answer(hourly=twice), POINT)
    assert df["temperature_2m"].tolist() == [5.0]
    assert [i.line for i in issues] == [2, 3] and "appears 2 times" in issues[0].reason
    same = {"time": [TIMES[0], TIMES[1], TIMES[1]], "temperature_2m": [5.0, 6.0, 6.0]}
    df, issues = parse_hourly(answer(hourly=same), POINT)
    assert df["temperature_2m"].tolist() == [5.0, 6.0] and not issues


def test_seconds_in_times_are_read() -> None:
    df, _ = parse_hourly(answer(hourly={"time": [t + ":00" for t in TIMES], "temperature_2m": [1, 2, 3]}), POINT)
    assert len(df) == 3 and df["valid_at"].iloc[2] == pd.Timestamp("2024-01-31 17:00", tz="UTC")


@pytest.mark.parametrize(
    "body",
    [b"[1, 2]", b'{"hourly": {"time": ["2024-02-01T00:00", null]}}', b'{"hourly": {"time": "x"}}', b"<html></html>"],
)
def test_shapes_that_cannot_be_read_raise_the_response_error(body: bytes) -> None:
    with pytest.raises(OpenMeteoResponseError):
        parse_hourly(body, POINT)


class OnePointBroken:
    """Wraps the run's client: the forecast answer for one point becomes a shape nobody expects."""

    def __init__(self, inner: object, point_lat: float) -> None:
        self.inner, self.lat = inner, point_lat
        self.client = getattr(inner, "client", inner)
        self.settings = inner.settings  # type: ignore[attr-defined]

    def get(self, url: str, params: dict | None = None):
        fetched = self.inner.get(url, params=params)  # type: ignore[attr-defined]
        if params and "forecast_days" in params and params["latitude"] == self.lat:
            fetched.content = (
                b'{"hourly": {"time": ["2024-02-19T00:00", null], "temperature_2m": [1, 2]}, '
                b'"utc_offset_seconds": 32400}'
            )
        return fetched


def test_one_malformed_point_costs_that_point_only(
    simulator, generated_data: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ingest.open_meteo import load_points

    simulator(generated_data, "2024-02-20")
    broken = load_points()[3]
    real = raw_archive.client_for
    monkeypatch.setattr(raw_archive, "client_for", lambda s: (OnePointBroken(real(s)[0], broken.latitude), None))
    rc = main(["daily", "--as-of", "2024-02-20"])
    out = capsys.readouterr().out
    assert rc == 1, out  # partial, not "nothing was loaded"
    assert f"open_meteo forecast {broken.point_id}: hourly.time[1] is None" in out
    counts = raw_counts(duckdb_path())
    assert counts["open_meteo_forecast"] == 8 * 26 * 24  # the other eight points
    assert counts["tepco_hourly"] == 19 * 24  # and TEPCO's rows of the same run
    assert counts["quarantine_events"] == 1
