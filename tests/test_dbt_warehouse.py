"""The dbt project on DuckDB, built from generated upstream data through the real ingestion."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import load_warehouse
from tests.dbt_helpers import dbt


@pytest.fixture(scope="module")
def built(generated_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Backfill Jan–Feb 2024, one daily run with a forecast vintage, then `dbt build`."""
    work = tmp_path_factory.mktemp("dbt")
    db = load_warehouse(generated_data, work, "2024-02-20", "2024-01-01")
    dbt("build", db=db, target_dir=work / "target")
    return db


def q(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_marts_cover_the_history(built: Path) -> None:
    n, distinct, first, last = q(
        built,
        """select count(*), count(distinct hour_start_at), min(date_jst), max(date_jst)
                                           from analytics_marts.fct_demand_hourly""",
    )[0]
    assert (n, distinct, first, last) == (50 * 24, 50 * 24, date(2024, 1, 1), date(2024, 2, 19))
    # demand is in MW: ten times the raw 万kW
    ratio = q(
        built,
        """select avg(f.demand_mw / r.demand_man_kw) from analytics_marts.fct_demand_hourly f
                        join raw.tepco_hourly r on r.hour_start_at = f.hour_start_at and r.source_kind = 'power_usage'""",
    )
    assert ratio == [(10.0,)]
    # weather and calendar joins are complete on every hour that has demand
    assert q(
        built,
        """select count(*) from analytics_marts.fct_features_hourly
                       where demand_mw is not null and (temperature_c is null or day_type is null)""",
    ) == [(0,)]
    # the forecast weather inputs: one issue date, 384 hours, all from a vintage issued before the cut-off
    assert q(
        built,
        """select issue_date_jst, count(*), max(vintage_issued_at) <= min(issued_at) + interval 2 hour
                       from analytics_marts.fct_forecast_weather_inputs group by 1""",
    ) == [(date(2024, 2, 20), 384, True)]


def test_hour_labels_are_jst_hour_starts(built: Path) -> None:
    rows = q(
        built,
        """select hour_start_at::varchar, hour_start_jst::varchar, hour_jst
                       from analytics_marts.fct_demand_hourly where date_jst = '2024-01-02' and hour_jst in (0, 13)
                       order by hour_jst""",
    )
    assert rows == [
        ("2024-01-01 15:00:00+00", "2024-01-02 00:00:00", 0),
        ("2024-01-02 04:00:00+00", "2024-01-02 13:00:00", 13),
    ]


def test_removing_an_hour_shifts_no_feature(built: Path, tmp_path: Path) -> None:
    """Delete 2024-02-10 12:00 JST from raw: only that hour and the lags that point at it change."""
    db = tmp_path / "w.duckdb"
    shutil.copy(built, db)
    cols = "hour_start_at, demand_mw, demand_lag_24h_mw, demand_lag_168h_mw, temperature_c, day_type"
    before = {r[0]: r[1:] for r in q(db, f"select {cols} from analytics_marts.fct_features_hourly")}
    with duckdb.connect(str(db)) as con:
        con.execute("delete from raw.tepco_hourly where date_jst = '2024-02-10' and hour_jst = 12")
    dbt(
        "build",
        "--full-refresh",
        "--select",
        "fct_demand_hourly+",
        "--exclude",
        "test_type:data",
        db=db,
        target_dir=tmp_path / "target",
    )
    after = {r[0]: r[1:] for r in q(db, f"select {cols} from analytics_marts.fct_features_hourly")}
    assert before.keys() == after.keys()
    changed = {k for k in before if before[k] != after[k]}
    gone = [k for k in before if k.isoformat().startswith("2024-02-10T03:00")]
    assert len(gone) == 1
    hole = gone[0]
    from datetime import timedelta

    assert changed == {hole, hole + timedelta(hours=24), hole + timedelta(hours=168)}
    assert after[hole][0] is None and after[hole + timedelta(hours=24)][1] is None
    assert after[hole + timedelta(hours=168)][2] is None
    # the hour after the hole keeps its own values, not its neighbour's
    nxt = hole + timedelta(hours=1)
    assert after[nxt] == before[nxt]


def test_rerunning_the_build_changes_no_mart(built: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    shutil.copy(built, db)
    # fct_data_quality_checks is a log of check runs (it records when each check ran): left out
    sql = """select table_name from information_schema.tables where table_schema = 'analytics_marts'
             and table_type = 'BASE TABLE' and table_name <> 'fct_data_quality_checks' order by 1"""

    def sums() -> dict[str, tuple]:
        with duckdb.connect(str(db), read_only=True) as con:
            return {
                t: con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from analytics_marts.{t} t").fetchone()
                for (t,) in con.execute(sql).fetchall()
            }

    first = sums()
    dbt("build", "--exclude", "test_type:data", db=db, target_dir=tmp_path / "target")
    assert sums() == first


def test_every_mart_column_has_a_description(built: Path) -> None:
    """Looker Studio shows BigQuery column descriptions, which persist_docs writes from the yml:
    a mart column without one would reach the dashboards unexplained."""
    import json

    manifest = json.loads((built.parent.parent / "target" / "manifest.json").read_text())
    described = {
        n["name"]: {c for c, v in n["columns"].items() if v.get("description", "").strip()}
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model"
    }
    with duckdb.connect(str(built), read_only=True) as con:
        columns = con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'analytics_marts'"
        ).fetchall()
    missing = sorted(f"{t}.{c}" for t, c in columns if c not in described.get(t, set()))
    assert missing == []


def test_a_warehouse_built_before_a_new_column_gets_it_on_every_row(built: Path, tmp_path: Path) -> None:
    """fct_demand_hourly is incremental: a column added to it since a warehouse was built must not stay
    NULL on the old rows (the feature view would lose all history). The next build re-reads it all."""
    db = tmp_path / "w.duckdb"
    shutil.copy(built, db)
    with duckdb.connect(str(db)) as con:
        con.execute("alter table analytics_marts.fct_demand_hourly drop column is_demand_plausible")
        (n,) = con.execute("select count(*) from analytics_marts.fct_demand_hourly").fetchone()
    dbt("build", "--select", "fct_demand_hourly", "--exclude", "test_type:unit", db=db, target_dir=tmp_path / "t")
    assert q(db, "select count(*), count(is_demand_plausible) from analytics_marts.fct_demand_hourly") == [(n, n)]
