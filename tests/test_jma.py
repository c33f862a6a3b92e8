"""JMA station temperature: parser on the real files and through the simulator."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from ingest.jma import JmaParseError, parse_jma_csv
from simulator import SimulatorServer


def test_real_file_parses_with_hour_end_stamps(shared_data: Path) -> None:
    raw = (shared_data / "jma" / "tokyo_hourly_temperature" / "temperature-2016.csv").read_bytes()
    df = parse_jma_csv(raw)
    assert len(df) == 366 * 24  # 2016/1/1 1:00 … 2017/1/1 0:00 (leap year)
    first = df.iloc[0]
    # "2016/1/1 1:00:00" is the reading at 01:00 JST = 2015-12-31 16:00 UTC
    assert first["valid_at"] == pd.Timestamp("2015-12-31 16:00", tz="UTC")
    assert first["temperature_c"] == 5.2 and first["quality_code"] == 8
    assert df["valid_at"].iloc[-1] == pd.Timestamp("2016-12-31 15:00", tz="UTC")


def test_missing_reading_is_null(shared_data: Path) -> None:
    df = parse_jma_csv((shared_data / "jma" / "tokyo_hourly_temperature" / "temperature-2020.csv").read_bytes())
    row = df[df["valid_at"] == pd.Timestamp("2020-11-06 02:00", tz="UTC")].iloc[0]  # 11:00 JST
    assert pd.isna(row["temperature_c"]) and row["quality_code"] == 1


def test_bad_files_are_refused() -> None:
    with pytest.raises(JmaParseError, match="not a JMA temperature file"):
        parse_jma_csv("hello".encode("cp932"))
    bad = "x\n\n,東京\n年月日時,気温(℃)\n,,品質情報\n2016/1/1 1:00:00,abc,8,1\n".encode("cp932")
    with pytest.raises(JmaParseError, match="no data rows .1 unreadable, first at line 6"):
        parse_jma_csv(bad)


def test_an_unreadable_row_costs_that_row_only() -> None:
    text = "x\n\n,東京\n年月日時,気温(℃)\n,,品質情報\n2016/1/1 1:00:00,abc,8,1\n2016/1/1 2:00:00,5.1,8,1\n"
    issues: list = []
    df = parse_jma_csv(text.encode("cp932"), issues=issues)
    assert df["temperature_c"].tolist() == [5.1]
    assert [(i.line, i.reason[:18]) for i in issues] == [(6, "unreadable value (")]


def test_simulator_serves_jma_cut_at_as_of(shared_data: Path) -> None:
    with SimulatorServer(shared_data, "2024-03-01") as sim:
        url = sim.env()["JMA_BASE_URL"]
        body = urllib.request.urlopen(f"{url}/temperature-2024.csv").read()
        df = parse_jma_csv(body)
        assert df["valid_at"].max() == pd.Timestamp("2024-02-29 14:00", tz="UTC")  # 2/29 23:00 JST
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(f"{url}/temperature-2025.csv")
