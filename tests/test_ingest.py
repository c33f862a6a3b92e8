"""Ingestion end to end against the simulator: loads, idempotency, revisions and every fault."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from ingest.__main__ import main
from tests.conftest import duckdb_path, raw_checksums, raw_counts

AS_OF = "2024-02-20"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(list(argv))
    return rc, capsys.readouterr().out


def q(sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_daily_lands_every_table_and_is_idempotent(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, AS_OF)
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0, out
    counts = raw_counts(duckdb_path())
    # February 1 … 19 are complete on the morning of the 20th (the window's months are loaded whole).
    assert counts["tepco_hourly"] == 19 * 24
    assert counts["tepco_five_minute"] == 19 * 288
    assert counts["tepco_daily_summary"] == 19 * 2
    assert counts["open_meteo_observed"] == 9 * 10 * 24
    assert counts["open_meteo_forecast"] == 9 * (10 + 16) * 24
    assert counts["jp_holidays"] > 150
    assert "quarantined files: 0, rows: 0" in out
    assert q("select count(*) from raw.tepco_hourly where date_jst >= '2024-02-20'") == [(0,)]
    # every forecast row carries the issue time of the replayed day: 04:00 JST = 19:00 UTC the day before
    assert q("select distinct issued_at::varchar from raw.open_meteo_forecast") == [("2024-02-19 19:00:00+00",)]
    # variables the upstream does not return land as null, typed
    assert q("select count(apparent_temperature), count(temperature_2m) > 0 from raw.open_meteo_observed") == [
        (0, True)
    ]

    before = raw_checksums(duckdb_path())
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0
    assert raw_checksums(duckdb_path()) == before
    assert "new or changed        0" in out


def test_next_day_adds_a_forecast_vintage(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, "2024-02-10")
    assert run(capsys, "daily", "--as-of", "2024-02-10")[0] == 0
    sim.as_of = "2024-02-11"
    assert run(capsys, "daily", "--as-of", "2024-02-11")[0] == 0
    vintages = q("select issued_at, count(*) from raw.open_meteo_forecast group by 1 order by 1")
    assert [n for _, n in vintages] == [9 * 26 * 24, 9 * 26 * 24]


def test_revised_value_updates_the_row(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, AS_OF)
    assert run(capsys, "daily", "--as-of", AS_OF)[0] == 0
    sql = (
        "select demand_man_kw, loaded_at from raw.tepco_hourly "
        "where date_jst = '2024-02-15' and hour_jst = 12 and source_kind = 'power_usage'"
    )
    ((old_value, old_loaded),) = q(sql)
    n_before = raw_counts(duckdb_path())["tepco_hourly"]
    sim.faults = ["revised_value:2024-02-15"]
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0
    ((new_value, new_loaded),) = q(sql)
    assert new_value == old_value + 100
    assert new_loaded >= old_loaded
    assert raw_counts(duckdb_path())["tepco_hourly"] == n_before
    assert "rows tepco_hourly" in out and "new or changed        1" in out


def test_http500_retried_then_loaded(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, AS_OF, faults=["http500:2@tepco"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0, out
    assert sim.request_counts()["tepco_power_usage"] == 3  # two 500s, then the zip
    assert raw_counts(duckdb_path())["tepco_hourly"] == 19 * 24


def test_http429_honours_retry_after_then_loads(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, AS_OF, faults=["http429:1@open_meteo"])
    rc, _ = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0
    assert raw_counts(duckdb_path())["open_meteo_observed"] == 9 * 10 * 24
    assert sim.request_counts()["open_meteo_archive"] == 9 + 1


def test_persistent_500_is_a_clear_failure_and_loses_nothing_else(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, AS_OF, faults=["http500@tepco"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1
    assert "ERROR tepco 202402_power_usage.zip" in out and "HTTP 500 after retries" in out
    counts = raw_counts(duckdb_path())
    assert "tepco_hourly" not in counts or counts["tepco_hourly"] == 0
    assert counts["open_meteo_observed"] == 9 * 10 * 24  # weather still landed


def test_timeout_retried_then_clear_failure(simulator, generated_data: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("ENERGY_HTTP_TIMEOUT_S", "0.3")
    monkeypatch.setenv("ENERGY_HTTP_MAX_ATTEMPTS", "2")
    sim = simulator(generated_data, AS_OF, faults=["slow:1@tepco"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1
    assert "ReadTimeout" in out or "Timeout" in out
    assert sim.request_counts()["tepco_power_usage"] == 2


def test_nothing_loaded_exits_2(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, AS_OF, faults=["http500"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 2, out


@pytest.mark.parametrize(
    ("fault", "reason", "hours_lost"),
    [
        ("corrupt_csv", "non-numeric cell 'abc'", 1),
        ("short_block", "hourly block is short: 19 of 24 rows, none for 19:00–23:00", 5),
    ],
)
def test_bad_rows_are_set_aside_the_rest_of_the_day_loads(
    simulator, generated_data: Path, capsys, fault: str, reason: str, hours_lost: int
) -> None:
    simulator(generated_data, AS_OF, faults=[fault])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1, out  # partial: something was set aside
    assert reason in out
    qdir = Path(duckdb_path()).parent / "quarantine" / "tepco"
    bad = qdir / "202402_power_usage.zip_20240219_power_usage.csv"
    assert bad.exists() and reason in (qdir / (bad.name + ".reason.txt")).read_text(encoding="utf-8")
    # the other 18 days of the month landed whole, the bad day all but its bad hours
    assert raw_counts(duckdb_path())["tepco_hourly"] == 19 * 24 - hours_lost
    assert q("select count(*) from raw.tepco_five_minute where date_jst = '2024-02-19'") == [(288,)]
    events = q("select source_name, file_name, line_number, unit, reason from raw.quarantine_events")
    assert len(events) == 1 and events[0][:2] == ("tepco", "202402_power_usage.zip/20240219_power_usage.csv")
    assert reason in events[0][4] and events[0][3] == ("row" if events[0][2] else "file")


def test_utf8_copy_of_a_day_loads_with_a_format_note(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, AS_OF, faults=["wrong_encoding"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0, out
    assert "format notes (normalised, nothing lost): tepco: UTF-8 instead of CP932 ×1" in out
    assert raw_counts(duckdb_path())["tepco_hourly"] == 19 * 24


def test_truncated_zip_is_quarantined(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, AS_OF, faults=["truncated_zip"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1
    assert "truncated or corrupt zip" in out and "quarantined files: 1, rows: 0" in out
    assert (Path(duckdb_path()).parent / "quarantine" / "tepco" / "202402_power_usage.zip").exists()
    assert raw_counts(duckdb_path())["open_meteo_forecast"] == 9 * 26 * 24
    assert q("select line_number, unit from raw.quarantine_events") == [(0, "file")]


def test_a_maintenance_page_is_quarantined_and_fetched_again_next_run(simulator, generated_data: Path, capsys) -> None:
    sim = simulator(generated_data, AS_OF, faults=["maintenance_page@tepco"])
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1, out
    assert "expected a zip, got an HTML page titled 'メンテナンス中 / Maintenance'" in out
    assert (Path(duckdb_path()).parent / "quarantine" / "tepco" / "202402_power_usage.zip").exists()
    assert raw_counts(duckdb_path()).get("tepco_hourly", 0) == 0
    sim.faults = []  # the upstream is back: the next run asks again and loads the month
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0, out
    assert q("select count(*) from raw.tepco_hourly where date_jst = '2024-02-19'") == [(24,)]


def test_month_not_yet_published(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, "2024-02-03", faults=["not_published"])
    rc, out = run(capsys, "daily", "--as-of", "2024-02-03")
    assert rc == 0
    assert "not published upstream (1): tepco-monthly 2024-02" in out
    # the window (Jan 29 … Feb 2) still brings January's days
    assert q("select max(date_jst) from raw.tepco_hourly") == [(date(2024, 1, 31),)]


def test_forecast_tail_nulls_are_kept_and_counted(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, "2024-01-20", faults=["tail_nulls:5"])
    rc, out = run(capsys, "daily", "--as-of", "2024-01-20")
    assert rc == 0
    assert "nulls open_meteo_forecast temperature_2m (future hours): 45" in out
    assert q("select count(*) - count(temperature_2m) from raw.open_meteo_forecast") == [(45,)]


def test_backfill_generated(simulator, generated_data: Path, capsys) -> None:
    simulator(generated_data, "2024-03-01")
    rc, out = run(capsys, "backfill", "--start", "2024-01-01", "--end", "2024-02-29")
    assert rc == 0, out
    rows = q("select source_kind, count(*), count(distinct hour_start_at) from raw.tepco_hourly group by 1 order by 1")
    assert rows == [("juyo", 60 * 24, 60 * 24), ("power_usage", 60 * 24, 60 * 24)]
    assert raw_counts(duckdb_path())["open_meteo_observed"] == 9 * 60 * 24
    # juyo and the daily files agree on every hour
    assert q("""select count(*) from raw.tepco_hourly j join raw.tepco_hourly p using (area, date_jst, hour_jst)
                where j.source_kind = 'juyo' and p.source_kind = 'power_usage'
                and j.demand_man_kw <> p.demand_man_kw""") == [(0,)]


def test_usage_errors() -> None:
    assert main(["daily", "--as-of", "2024-13-01"]) == 64
    assert main(["backfill", "--start", "2024-02-01", "--end", "2024-01-01"]) == 64


def test_a_bad_row_met_again_by_the_next_run_is_reported_not_alerted(
    simulator, generated_data: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    simulator(generated_data, AS_OF, faults=["corrupt_csv"])
    monkeypatch.setenv("ENERGY_RUN_ID", "run-1")
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 1 and "quarantined files: 0, rows: 1" in out
    monkeypatch.setenv("ENERGY_RUN_ID", "run-2")  # the month's zip still holds the bad row the next day
    rc, out = run(capsys, "daily", "--as-of", AS_OF)
    assert rc == 0, out
    assert "quarantined files: 0, rows: 1 (1 already reported by an earlier run)" in out
    assert q("select run_id, is_new from raw.quarantine_events order by run_id") == [("run-1", True), ("run-2", False)]
