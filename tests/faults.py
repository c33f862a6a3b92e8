"""Fault injection, shared by test_faults_upstream.py and test_faults_operation.py: run_daily.sh against
the simulator's fault switches and real-world accidents. (Two files, so two test workers share them.)

Every case starts from a copy of one base state (five months of generated history, one successful
daily run) and asserts the exit code, what the log says, and the row counts / checksums before
and after: nothing lost, nothing duplicated. Faults that only the ingestion sees (429, timeouts,
encodings, a month not yet published, a maintenance page) are tested in process, faster, in
test_ingest.py; here are the ones whose worth shows in the whole daily run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from simulator import SimulatorServer
from simulator.generate import generate
from tests.conftest import isolated_env

REPO = Path(__file__).resolve().parents[1]
BASE_DAY, NEXT_DAY = "2024-03-10", "2024-03-11"
BUSINESS_MARTS = [
    "fct_demand_hourly",
    "fct_features_hourly",
    "fct_forecasts",
    "fct_forecast_errors",
    "rpt_forecast_accuracy_by_horizon",
    "dim_calendar",
    "fct_weather_area_hourly",
]


def env_for(data: Path, sim: SimulatorServer, **extra: str) -> dict[str, str]:
    env = isolated_env()
    env.update(sim.env())
    env.update(
        {
            "ENERGY_DATA_DIR": str(data),
            "ENERGY_DUCKDB_PATH": str(data / "warehouse.duckdb"),
            "ENERGY_HTTP_BACKOFF_S": "0.05",
            "ENERGY_HTTP_BACKOFF_MAX_S": "0.2",
            "ENERGY_HTTP_MAX_ATTEMPTS": "3",
            "ENERGY_HTTP_TIMEOUT_S": "5",
            "ENERGY_BOOTSTRAP": "0",
        }
    )
    env.update(extra)
    return env


EXIT_CODES: list[int] = []  # exit codes of the runs of the current case, for the fault table
TABLE_COUNTS = [
    "raw.tepco_hourly",
    "raw.open_meteo_forecast",
    "raw.ml_forecasts",
    "raw.pipeline_runs",
    "fct_demand_hourly",
    "fct_forecasts",
]


def run_daily(env: dict[str, str], *args: str, timeout: int = 600) -> tuple[int, str]:
    proc = subprocess.run(
        ["bash", str(REPO / "run_daily.sh"), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd="/"
    )
    EXIT_CODES.append(proc.returncode)
    return proc.returncode, proc.stdout + proc.stderr


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from {t if '.' in t else 'analytics_marts.' + t}").fetchone()[0]
            for t in TABLE_COUNTS
        }


def record_case(name: str, before: dict[str, int], after: dict[str, int]) -> None:
    """One line of the fault table (ENERGY_FAULT_TABLE=<file> collects them; see the issue notes)."""
    path = os.environ.get("ENERGY_FAULT_TABLE")
    if not path:
        return
    cells = " | ".join(f"{before[t]} → {after[t]}" for t in TABLE_COUNTS)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"| {name} | {', '.join(map(str, EXIT_CODES)) or '–'} | {cells} |\n")


def snapshot(db: Path) -> dict[str, tuple]:
    """Row count and content checksum of every raw table and business mart."""
    with duckdb.connect(str(db), read_only=True) as con:
        raw = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%' escape '\\' and table_name <> 'pipeline_runs'"
            ).fetchall()
        ]
        out = {
            f"raw.{t}": con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from raw.{t} t").fetchone()
            for t in raw
        }
        for t in BUSINESS_MARTS:
            out[t] = con.execute(
                f"select count(*), sum(hash(t::varchar)::hugeint) from analytics_marts.{t} t"
            ).fetchone()
    return out


def no_duplicates(db: Path) -> None:
    with duckdb.connect(str(db), read_only=True) as con:
        for table, key in [
            ("raw.tepco_hourly", "area, source_kind, date_jst, hour_jst"),
            ("raw.open_meteo_forecast", "point_id, issued_at, valid_at"),
            ("raw.ml_forecasts", "run_id, area, model, target_hour_start_at"),
            ("analytics_marts.fct_demand_hourly", "area, hour_start_at"),
        ]:
            assert con.execute(f"select count(*) - count(distinct ({key})) from {table}").fetchone() == (0,), table


def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one data folder every case of this worker runs in (emptied between cases).

    The same path for the base run and every case keeps dbt's profile unchanged, so dbt parses the
    project partially after the first run (about 5 s saved per run)."""
    return tmp_path_factory.getbasetemp() / "fault_case" / "data"


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(upstream folder, data folder after a backfill and one successful run on BASE_DAY).

    Built once per session and shared by both fault files and both workers (`built_once`); every
    case copies the data folder."""
    from tests.conftest import built_once

    def build(out: Path) -> None:
        upstream = out / "upstream"
        generate(upstream, date(2023, 10, 1), date(2024, 3, 31), seed=3)
        work = case_dir(tmp_path_factory)
        shutil.rmtree(work, ignore_errors=True)
        with SimulatorServer(upstream, BASE_DAY, noise_seed=1) as sim:
            env = env_for(work, sim)
            subprocess.run(
                [sys.executable, "-m", "ingest", "backfill", "--start", "2023-10-01", "--end", "2024-03-09"],
                env=env,
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            rc, out_ = run_daily(env, "--as-of", BASE_DAY)
            assert rc == 0, out_[-4000:]
        shutil.move(work, out / "data")

    shared = built_once(tmp_path_factory, "fault_base", build)
    return shared / "upstream", shared / "data"


@pytest.fixture()
def case(base: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest):
    """Factory: a fresh copy of the base state and a simulator for NEXT_DAY (or `as_of`) with the given faults."""
    upstream, base_data = base
    sims: list[SimulatorServer] = []
    EXIT_CODES.clear()
    before = counts(base_data / "warehouse.duckdb")
    data = case_dir(tmp_path_factory)
    shutil.rmtree(data, ignore_errors=True)

    def make(*faults: str, as_of: str = NEXT_DAY) -> tuple[Path, SimulatorServer]:
        if not data.exists():
            shutil.copytree(base_data, data, ignore=shutil.ignore_patterns("logs", "*.lock"))
        sim = SimulatorServer(upstream, as_of, noise_seed=1, faults=list(faults))
        sim.start()
        sims.append(sim)
        return data, sim

    yield make
    for sim in sims:
        sim.stop()
    if (data / "warehouse.duckdb").exists():
        record_case(request.node.name, before, counts(data / "warehouse.duckdb"))
