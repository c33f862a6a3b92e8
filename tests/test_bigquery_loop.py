"""The whole loop on the BigQuery code path, against the local emulator (bqemulator).

backfill → one daily run: ingest (dlt → BigQuery) → dbt source freshness → dbt build (dbt-bigquery) →
forecast (reads the feature view and writes raw.ml_forecasts through dlt) → accuracy marts, exactly as
`run_daily.sh --target prod` runs it, but with target `bq_emu` (static token, local endpoint). Then a
backtest issued the day before (`python -m ml backtest`, whose day 1 the warehouse already holds the
actuals of) and `dbt build --selector accuracy`, so a forecast is scored on BigQuery without a second
daily run (each costs about three minutes against the emulator). The same on DuckDB, side by side,
and the two warehouses must agree.

The emulator is more lenient than BigQuery about types (it accepts TIMESTAMP = DATETIME): the
static checks in test_bigquery_compile.py cover that.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import duckdb
import pytest

from simulator import SimulatorServer
from simulator.generate import generate
from tests.conftest import isolated_env

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.bq_loop
HISTORY_START, BACKTEST_ISSUE, DAILY_ISSUE = "2023-10-01", "2024-01-31", "2024-02-01"


def bq_client():
    from google.api_core.client_options import ClientOptions
    from google.cloud import bigquery
    from google.oauth2.credentials import Credentials

    return bigquery.Client(
        project="demo-project",
        credentials=Credentials(token="emulator"),
        client_options=ClientOptions(api_endpoint=os.environ["BQ_API_ENDPOINT"]),
    )


def bq(sql: str) -> list[tuple]:
    rows = bq_client().query(sql).result()
    return [tuple(r.values()) for r in rows]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert proc.returncode in (0, 30), f"{args} exit {proc.returncode}\n{proc.stdout[-5000:]}\n{proc.stderr[-3000:]}"
    return proc


def loop(target: str, work: Path, upstream: Path) -> dict[str, subprocess.CompletedProcess]:
    env = isolated_env()
    env.update(
        {
            "ENERGY_DATA_DIR": str(work),
            "ENERGY_DUCKDB_PATH": str(work / "warehouse.duckdb"),
            "ENERGY_TARGET": target,
            "DBT_TARGET_PATH": str(work / "target"),
            "DBT_LOG_PATH": str(work / "target" / "logs"),
            "PYTHONWARNINGS": "ignore::UserWarning",
            "ENERGY_BOOTSTRAP": "0",  # the backfill below is the history; no bootstrap back to 2016
        }
    )
    out = {}
    with SimulatorServer(upstream, DAILY_ISSUE, noise_seed=1) as sim:
        env.update(sim.env())
        out["backfill"] = run(env, "-m", "ingest", "backfill", "--start", HISTORY_START, "--end", BACKTEST_ISSUE)
        out["daily"] = run(
            env,
            "-m",
            "pipeline",
            "daily",
            "--run-id",
            f"{target}-{DAILY_ISSUE}",
            "--as-of",
            DAILY_ISSUE,
            "--target",
            target,
        )
    out["backtest"] = run(
        env, "-m", "ml", "--target", target, "backtest", "--start", BACKTEST_ISSUE, "--end", BACKTEST_ISSUE
    )
    dbt_script = str(Path(sys.executable).with_name("dbt"))  # `python <venv>/bin/dbt …` is the dbt CLI
    out["accuracy"] = run(
        env,
        dbt_script,
        "build",
        "--selector",
        "accuracy",
        "--target",
        target,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO),
    )
    return out


@pytest.fixture(scope="module")
def loops(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, subprocess.CompletedProcess]]:
    if not os.environ.get("BQ_API_ENDPOINT"):
        if os.environ.get("ENERGY_REQUIRE_BQ_EMULATOR"):
            pytest.fail("BQ_API_ENDPOINT is not set but ENERGY_REQUIRE_BQ_EMULATOR is: the emulator did not start")
        pytest.skip("BQ_API_ENDPOINT is not set: scripts/test.sh starts the BigQuery emulator")
    upstream = tmp_path_factory.mktemp("bq_upstream")
    generate(upstream, date(2023, 10, 1), date(2024, 2, 29), seed=3)
    # the two loops share nothing but the (read-only) upstream files: they run side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        bq_loop = pool.submit(loop, "bq_emu", tmp_path_factory.mktemp("bq_loop"), upstream)
        duck_loop = pool.submit(loop, "dev", tmp_path_factory.mktemp("duck_loop"), upstream)
        return {
            "bq_emu": bq_loop.result(),
            "dev": duck_loop.result(),
            "duckdb_path": tmp_path_factory.getbasetemp(),
        }  # type: ignore[dict-item]


def test_every_stage_succeeds_on_bigquery(loops) -> None:
    out = loops["bq_emu"]["daily"].stdout
    for stage in ("ingest", "freshness", "build", "forecast", "accuracy", "report"):
        assert f"stage {stage}: success" in out or f"stage {stage}: warning" in out, (stage, out[-3000:])
    assert "stage build: success" in out and "stage forecast: success" in out, out[-3000:]
    assert "Completed successfully" in loops["bq_emu"]["accuracy"].stdout


def test_bigquery_holds_the_forecast_and_the_scored_accuracy(loops) -> None:
    assert bq("select run_kind, run_id, count(*) from raw.ml_forecasts group by 1, 2 order by 1, 2") == [
        ("backtest", f"backtest-oracle_observed-tokyo-{BACKTEST_ISSUE}", 384),
        ("daily", f"daily-tokyo-{DAILY_ISSUE}", 384),
    ]
    # the backtest's day 1 (2024-01-31, whose actuals the daily run loaded) is scored on BigQuery
    day1 = bq(
        "select n_runs, n_hours, mape_pct from analytics_marts.rpt_forecast_accuracy_by_horizon "
        "where model = 'xgboost' and run_kind = 'backtest' and run_window = 'all_runs' and horizon_day = 1"
    )
    assert len(day1) == 1 and day1[0][:2] == (1, 24) and 0 < day1[0][2] < 20
    stages = {r[0] for r in bq("select distinct stage from analytics_marts.rpt_pipeline_runs")}
    assert {"ingest", "build", "forecast"} <= stages


def test_bigquery_and_duckdb_agree(loops) -> None:
    db = next(Path(str(loops["duckdb_path"])).glob("duck_loop*/warehouse.duckdb"))
    checks = {
        "fct_demand_hourly": "count(*), round(sum(demand_mw), 1), min(hour_start_jst), max(hour_start_jst)",
        "fct_features_hourly": "count(*), count(demand_mw), count(temperature_c), round(sum(temperature_c), 2)",
        "dim_calendar": "count(*), sum(case when is_day_off then 1 else 0 end)",
        "fct_forecasts": "count(*), count(distinct run_id)",
        "fct_forecast_errors": "count(*), round(sum(abs_error_mw), 0)",
    }
    with duckdb.connect(str(db), read_only=True) as con:
        for table, exprs in checks.items():
            duck = con.execute(f"select {exprs} from analytics_marts.{table}").fetchone()
            big = bq(f"select {exprs} from analytics_marts.{table}")[0]
            assert tuple(str(v) for v in duck) == tuple(str(v) for v in big), table
