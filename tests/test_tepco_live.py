"""TEPCO's live same-day file: the chart archive, the simulator's file at a moment, the captured vintages."""

from __future__ import annotations

import io
import json
import tarfile
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from core.exit_codes import USAGE
from core.time import JST, live_hours_known
from ingest.__main__ import main
from ingest.tepco.chart import ChartError, load_archive, parse_chart
from ingest.tepco.parse import parse_daily_csv
from simulator import SimulatorServer
from tests.conftest import duckdb_path

CHARTS = Path("tepco") / "intraday_forecast" / "electricity-tokyo_component-chart_history.tar.gz"


def live_file(sim: SimulatorServer) -> bytes:
    req = urllib.request.Request(sim.env()["TEPCO_BASE_URL"] + "/juyo-d1-j.csv", headers={"User-Agent": "test"})
    with urllib.request.urlopen(req) as resp:
        return resp.read()


def chart(actual: list[float | None], forecast: list[float | None], named: bool = True) -> dict:
    names = ["需要実績", "予想需要", "供給力実績", "予想供給力"] if named else [None] * 4
    supply = [4000.0] * 24
    series = [
        {"data": actual, "name": names[0]},
        {"data": forecast, "name": names[1]},
        {"data": [s if a is not None else None for s, a in zip(supply, actual)], "name": names[2]},
        {"data": [s if a is None else None for s, a in zip(supply, actual)], "name": names[3]},
    ]
    for s in series:
        if s["name"] is None:
            del s["name"]
    return {"componentName": "Chart", "config": {"base": {"series": series}}}


def test_the_publication_lag_gives_three_known_hours_at_the_issue_time() -> None:
    assert live_hours_known(datetime(2024, 3, 11, 4, 0, tzinfo=JST)) == 3
    assert live_hours_known(datetime(2024, 3, 11, 3, 5, tzinfo=JST)) == 2
    assert live_hours_known(datetime(2024, 3, 11, 0, 30, tzinfo=JST)) == 0


def test_a_chart_reads_by_series_name_or_position_and_refuses_the_day_before() -> None:
    at = datetime(2023, 1, 9, 18, 55, tzinfo=UTC)  # 03:55 JST on 2023-01-10
    actual = [3000.0, 2900.0, 2800.0] + [None] * 21
    forecast = [None] * 3 + [2700.0 + h for h in range(21)]
    for named in (True, False):
        day = parse_chart(chart(actual, forecast, named), at)
        assert day.date_jst == date(2023, 1, 10) and day.hours_measured == 3
        rows = day.rows()
        assert rows[2]["demand_man_kw"] == 2800.0 and rows[2]["forecast_man_kw"] is None
        assert rows[3]["demand_man_kw"] is None and rows[3]["forecast_man_kw"] == 2700.0
        assert rows[0]["file_updated_at"] == datetime(2023, 1, 10, 3, 55, tzinfo=JST)
    with pytest.raises(ChartError, match="the day before"):  # 00:10 JST, 23 hours measured: yesterday's chart
        parse_chart(chart([3000.0] * 23 + [None], [None] * 23 + [2900.0]), datetime(2023, 1, 9, 15, 10, tzinfo=UTC))
    with pytest.raises(ChartError):
        parse_chart({"config": {"base": {"series": [{"data": [1] * 24}]}}}, at)


def test_the_real_archive_gives_249_mornings(shared_data: Path) -> None:
    archive = load_archive(shared_data / CHARTS)  # the simulator's test below reuses it
    mornings = archive.vintages_at(4)
    assert len(archive.captures) == 15811
    assert (len(mornings), mornings[0].date_jst, mornings[-1].date_jst) == (249, date(2022, 7, 26), date(2023, 3, 31))
    assert sum(m.hours_measured == 3 for m in mornings) == 246  # hours 0–2 known at 04:00 (upstreams.md)
    assert all(m.captured_at.astimezone(JST).hour < 4 for m in mornings)


def test_the_simulator_serves_the_live_file_as_it_stood(shared_data: Path) -> None:
    with SimulatorServer(shared_data, "2023-01-10") as sim:
        archived = parse_daily_csv(live_file(sim), "juyo-d1-j.csv", keep_unmeasured=True)
        sim.as_of = "2024-03-11T03:05"  # outside the archive: built from the day's actuals, no forecast
        built = parse_daily_csv(live_file(sim), "juyo-d1-j.csv", keep_unmeasured=True)
        sim.as_of = "2024-03-11"
        later = parse_daily_csv(live_file(sim), "juyo-d1-j.csv", keep_unmeasured=True)
        assert sim.request_counts()["tepco_live"] == 3
    assert archived.report_date == date(2023, 1, 10) and archived.file_updated_at.hour == 3
    assert [r["demand_man_kw"] is not None for r in archived.hourly] == [True] * 3 + [False] * 21
    assert all(r["forecast_man_kw"] is not None for r in archived.hourly[3:])
    assert built.file_updated_at == datetime(2024, 3, 11, 2, 6, tzinfo=JST)
    assert sum(r["demand_man_kw"] is not None for r in built.hourly) == 2
    assert all(r["forecast_man_kw"] is None for r in built.hourly)
    assert later.file_updated_at == datetime(2024, 3, 11, 3, 6, tzinfo=JST)
    assert later.hourly[2]["demand_man_kw"] is not None and later.hourly[3]["demand_man_kw"] is None


def test_each_daily_run_keeps_one_vintage_and_a_repeat_adds_none(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, "2024-02-20")
    assert main(["daily", "--as-of", "2024-02-20"]) == 0
    assert "tepco live 2024-02-20: 3 hours measured, stamped 2024-02-20 03:06" in capsys.readouterr().err
    assert main(["daily", "--as-of", "2024-02-20"]) == 0  # the same file again: the same vintage
    sim.as_of = "2024-02-20T12:30"  # a later capture of the same day: a second vintage, the first kept
    assert main(["daily", "--as-of", "2024-02-20"]) == 0
    with duckdb.connect(str(duckdb_path()), read_only=True) as con:
        rows = con.execute(
            "select strftime(file_updated_at at time zone 'Asia/Tokyo', '%H:%M'), count(*), count(demand_man_kw) "
            "from raw.tepco_live_hourly group by 1 order by 1"
        ).fetchall()
    assert rows == [("03:06", 24, 3), ("12:06", 24, 12)]


def test_live_archive_lands_each_morning_once(tmp_path: Path, warehouse_env: Path, capsys) -> None:
    buf = io.BytesIO()
    day_two = [3000.0, 2900.0, 2800.0] + [None] * 21
    snapshots = {  # capture UTC → chart; 2023-01-10 03:50 JST and 05:10 JST, 2023-01-11 02:30 JST
        "20230109T185000Z": chart(day_two, [None] * 3 + [2700.0] * 21),
        "20230109T201000Z": chart(day_two, [None] * 3 + [2750.0] * 21),
        "20230110T173000Z": chart([3100.0, 3000.0] + [None] * 22, [None] * 2 + [2600.0] * 22),
    }
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for stamp, doc in snapshots.items():
            data = json.dumps(doc).encode()
            info = tarfile.TarInfo(f"component-chart_snapshots/{stamp}_abc123/component-chart.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = tmp_path / "charts.tar.gz"
    archive.write_bytes(buf.getvalue())
    for _ in range(2):
        assert main(["live-archive", "--file", str(archive)]) == 0
    assert "2 days have a usable snapshot at or before 04:00 JST" in capsys.readouterr().err
    with duckdb.connect(str(duckdb_path()), read_only=True) as con:
        rows = con.execute(
            "select date_jst, count(*), max(forecast_man_kw), count(demand_man_kw) from raw.tepco_live_hourly "
            "group by 1 order by 1"
        ).fetchall()
    assert rows == [(date(2023, 1, 10), 24, 2700.0, 3), (date(2023, 1, 11), 24, 2600.0, 2)]
    assert main(["live-archive", "--file", str(tmp_path / "missing.tar.gz")]) == USAGE
