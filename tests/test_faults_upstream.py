"""Faults in what upstream serves, through the whole daily run: errors, unreadable files, impossible
and copied values, revisions (helpers and the base state: tests/faults.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.faults import NEXT_DAY, base, case, env_for, no_duplicates, run_daily, snapshot

__all__ = ["base", "case"]  # the fixtures, used by name

REVISED_RECENT, REVISED_OLD = "2024-03-05", "2024-03-01"  # inside / older than the daily run's 7-day lookback


class Revision:
    """A revised value (+100 万kW on the 12:00 actual of `day` in TEPCO's file) must reach the marts.

    A revision touches one hour of an older day, which no other content fault touches, so each
    revision case rides along with another fault's run (a daily run costs 40–50 s here): the one inside
    the lookback with the copied day, the one older than it with the impossible hour."""

    SQL = "select demand_mw from analytics_marts.fct_demand_hourly where date_jst = ? and hour_jst = 12"

    def __init__(self, data: Path, day: str) -> None:
        self.db, self.day = data / "warehouse.duckdb", day
        with duckdb.connect(str(self.db), read_only=True) as con:
            (self.old,) = con.execute(self.SQL, [day]).fetchone()

    def reached_the_marts(self) -> None:
        with duckdb.connect(str(self.db), read_only=True) as con:
            (new,) = con.execute(self.SQL, [self.day]).fetchone()
        assert new == self.old + 1000, (self.day, self.old, new)  # +100 万kW in the file = +1000 MW in the mart
        no_duplicates(self.db)


def test_upstream_500_is_retried_then_a_clear_partial_failure(case) -> None:
    data, sim = case("http500@tepco")
    before = snapshot(data / "warehouse.duckdb")
    rc, out = run_daily(env_for(data, sim), "--as-of", NEXT_DAY, "--skip-forecast")
    assert rc == 21, out[-3000:]
    assert "HTTP 500 after retries" in out and "WARN ingest: partial load" in out
    assert sim.request_counts()["tepco_power_usage"] == 3  # ENERGY_HTTP_MAX_ATTEMPTS
    after = snapshot(data / "warehouse.duckdb")
    assert after["raw.tepco_hourly"] == before["raw.tepco_hourly"]  # nothing lost, nothing added
    assert after["raw.open_meteo_forecast"][0] == before["raw.open_meteo_forecast"][0] + 9 * 26 * 24
    no_duplicates(data / "warehouse.duckdb")


@pytest.mark.parametrize(("fault", "hours_lost"), [("truncated_zip", 24), ("corrupt_csv", 1)])
def test_what_cannot_be_read_is_set_aside_with_a_warning(case, fault: str, hours_lost: int) -> None:
    data, sim = case(fault)
    before = snapshot(data / "warehouse.duckdb")
    rc, out = run_daily(env_for(data, sim), "--as-of", NEXT_DAY, "--skip-forecast")
    assert rc == 21, out[-3000:]  # a warning, not silence: the partial code and the alert
    assert "WARN ingest: partial load" in out and "set aside" in out
    quarantined = list((data / "quarantine" / "tepco").glob("*"))
    assert any(p.name.endswith(".reason.txt") for p in quarantined) and len(quarantined) == 2
    after = snapshot(data / "warehouse.duckdb")
    # the bad unit (the whole month's zip, or one hour of the newest day) is missing; the rest landed
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        (day_hours,) = con.execute(
            "select count(*) from raw.tepco_hourly where date_jst = '2024-03-10' and source_kind = 'power_usage'"
        ).fetchone()
        (events,) = con.execute("select count(*) from raw.quarantine_events").fetchone()
        dq = con.execute(
            "select observed_value, status from analytics_marts.fct_data_quality_checks "
            "where check_date = '2024-03-11' and check_name = 'newly_set_aside_this_run'"
        ).fetchone()
    assert day_hours == 24 - hours_lost and events == 1
    assert dq == (1.0, "warn")  # the data-quality mart reports it for this run
    assert after["raw.open_meteo_forecast"][0] > before["raw.open_meteo_forecast"][0]


def test_an_impossible_hour_is_recorded_kept_out_of_features_and_the_forecast_runs(case) -> None:
    # and a revision older than the 7-day lookback, in the same run (see `Revision`)
    data, sim = case("spike_hour", f"revised_value:{REVISED_OLD}")
    revision = Revision(data, REVISED_OLD)
    rc, out = run_daily(env_for(data, sim), "--as-of", NEXT_DAY)
    assert rc == 0, out[-3000:]
    assert "stage forecast: success" in out and "WARN build: tests warned:" in out, out[-3000:]
    assert "data_quality_checks_pass" in out
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        dq = con.execute(
            "select observed_value, status from analytics_marts.fct_data_quality_checks "
            "where check_date = '2024-03-11' and check_name = 'demand_out_of_range_30d'"
        ).fetchone()
        fact = con.execute(
            "select demand_mw > 100000, is_demand_plausible from analytics_marts.fct_demand_hourly "
            "where date_jst = '2024-03-10' and hour_jst = 12"
        ).fetchone()
        feature = con.execute(
            "select demand_mw from analytics_marts.fct_features_hourly where date_jst = '2024-03-10' and hour_jst = 12"
        ).fetchone()
        forecasts = con.execute(
            "select count(*) from raw.ml_forecasts where issued_at = '2024-03-10 19:00:00+00' and model = 'xgboost'"
        ).fetchone()
    assert dq == (1.0, "error") and fact == (True, False) and feature == (None,) and forecasts == (384,)
    revision.reached_the_marts()


def test_a_copied_day_is_reported(case) -> None:
    # and a revision inside the 7-day lookback, in the same run (see `Revision`)
    data, sim = case("copied_day", f"revised_value:{REVISED_RECENT}")
    revision = Revision(data, REVISED_RECENT)
    rc, out = run_daily(env_for(data, sim), "--as-of", NEXT_DAY, "--skip-forecast")
    assert rc == 0, out[-3000:]
    assert "WARN build: tests warned:" in out and "data_quality_checks_pass" in out
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        dq = con.execute(
            "select observed_value, status from analytics_marts.fct_data_quality_checks "
            "where check_date = '2024-03-11' and check_name = 'copied_days_30d'"
        ).fetchone()
    assert dq == (1.0, "error")
    revision.reached_the_marts()
