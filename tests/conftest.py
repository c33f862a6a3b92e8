"""Shared fixtures: the real data folder, generated upstream data, a running simulator.

Every test that touches a warehouse gets its own ENERGY_DATA_DIR under tmp_path,
so tests never share a DuckDB file or dlt state.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from simulator import SimulatorServer
from simulator.generate import generate

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

#: OpenMP threads (XGBoost's) sleep instead of spinning while they wait. The suite runs three workers, the
#: BigQuery emulator and daily-job subprocesses on two cores, where spinning threads burn the CPU the
#: others need: measured, one training beside one busy process took 16.8 s (21.4 CPU-s) spinning and
#: 6.8 s (6.7 CPU-s) sleeping. Set before anything loads libgomp; the subprocesses inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: The ensemble trains with a tenth of its fixed iteration counts (45–95 rounds a member): the tests check
#: behaviour, not accuracy, and the full counts (450–950) made each training minutes long on the small
#: test warehouses. The subprocesses (`run_daily.sh`) inherit it; benchmarks run the full counts.
os.environ.setdefault("ENERGY_MODEL_ITERATION_SCALE", "0.1")

#: The suite's own settings above, which a subprocess started with `isolated_env` keeps.
SUITE_SETTINGS = ("ENERGY_MODEL_ITERATION_SCALE",)


def isolated_env() -> dict[str, str]:
    """This process's environment without the pipeline's settings (a developer's shell or `.env` may point
    at a real warehouse or upstream), except the suite's own: the base of every subprocess's environment."""
    return {
        k: v
        for k, v in os.environ.items()
        if k in SUITE_SETTINGS or not k.startswith(("ENERGY_", "TEPCO_", "OPEN_METEO_", "JMA_"))
    }


#: dbt writes no log file in tests (DBT_LOG_LEVEL_FILE none; its console output is still captured): its
#: debug-level file log cost about 7 % of each dbt command (a daily build 21.6 s instead of 23.3 s).
os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")

#: Under pytest-xdist (scripts/test.sh runs three workers) each worker keeps dbt's target and log
#: folders to itself: a daily run started by one worker never reads another's partial parse.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("DBT_TARGET_PATH", str(REPO / "target" / os.environ["PYTEST_XDIST_WORKER"]))
    os.environ.setdefault("DBT_LOG_PATH", str(REPO / "target" / os.environ["PYTEST_XDIST_WORKER"] / "logs"))

#: The synthetic upstream used by most tests: 2024-01-01 … 2024-02-29.
GEN_START, GEN_END = date(2024, 1, 1), date(2024, 2, 29)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "tepco").is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (see DEVELOPERS.md: ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("upstream")
    generate(out, GEN_START, GEN_END, seed=7)
    return out


@pytest.fixture()
def warehouse_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private data dir + DuckDB file, and fast HTTP retries."""
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("ENERGY_HTTP_BACKOFF_S", "0.05")
    monkeypatch.setenv("ENERGY_HTTP_BACKOFF_MAX_S", "0.2")
    monkeypatch.setenv("ENERGY_HTTP_TIMEOUT_S", "5")
    monkeypatch.setenv("ENERGY_HTTP_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("ENERGY_BOOTSTRAP", "0")  # tests of the first run's bootstrap switch it on
    monkeypatch.delenv("ENERGY_TARGET", raising=False)
    return tmp_path / "data"


@pytest.fixture()
def simulator(monkeypatch: pytest.MonkeyPatch, warehouse_env: Path) -> Iterator[Callable[..., SimulatorServer]]:
    """Factory: start a simulator on a data dir and point the ingestion env at it."""
    servers: list[SimulatorServer] = []

    def start(data_dir: Path, as_of: str | date, **kwargs: object) -> SimulatorServer:
        server = SimulatorServer(data_dir, as_of, **kwargs)  # type: ignore[arg-type]
        server.start()
        servers.append(server)
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        return server

    yield start
    for server in servers:
        server.stop()


def raw_counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%' escape '\\' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f"select count(*) from raw.{t}").fetchone()[0] for t in tables}


def raw_checksums(db: Path) -> dict[str, str]:
    """Order-independent checksum of every raw table's full content, dlt columns included."""
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' "
                "and table_name not like '\\_dlt%' escape '\\' order by 1"
            ).fetchall()
        ]
        return {
            t: str(con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from raw.{t} as t").fetchone())
            for t in tables
        }


def duckdb_path() -> Path:
    return Path(os.environ["ENERGY_DUCKDB_PATH"])


def load_warehouse(upstream: Path, work: Path, as_of: str, start: str, noise_seed: int | None = None) -> Path:
    """Backfill [start, as_of − 1] and run one daily ingest for `as_of` against a simulator."""
    from ingest.__main__ import main as ingest_main

    mp = pytest.MonkeyPatch()
    mp.setenv("ENERGY_DATA_DIR", str(work / "data"))
    mp.setenv("ENERGY_DUCKDB_PATH", str(work / "data" / "warehouse.duckdb"))
    mp.setenv("ENERGY_BOOTSTRAP", "0")
    try:
        with SimulatorServer(upstream, as_of, noise_seed=noise_seed) as sim:
            for key, value in sim.env().items():
                mp.setenv(key, value)
            end = (date.fromisoformat(as_of) - timedelta(days=1)).isoformat()
            assert ingest_main(["backfill", "--start", start, "--end", end]) == 0
            assert ingest_main(["daily", "--as-of", as_of]) == 0
    finally:
        mp.undo()
    return work / "data" / "warehouse.duckdb"


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder `build(folder)` fills once per test session, shared by the xdist workers.

    The first worker to ask builds it under a lock in the session's base folder (the parent of
    each worker's own); the others wait for it, then read or copy it. Users must not change it.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    out = base / f"once_{name}"
    with open(base / f"once_{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / ".complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            build(out)
            (out / ".complete").touch()
    return out


@pytest.fixture(scope="session")
def ml_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with eight months of generated history, one forecast vintage and a dbt build
    (built once per session, shared by the workers: copy it before writing).

    Issue date for tests: 2024-02-20 (its weather vintage is in fct_forecast_weather_inputs).
    """
    from tests.dbt_helpers import dbt

    def build(work: Path) -> None:
        upstream = work / "upstream"
        generate(upstream, date(2023, 7, 1), date(2024, 2, 29), seed=11)
        db = load_warehouse(upstream, work, "2024-02-20", "2023-07-01", noise_seed=5)
        dbt("build", "--exclude", "test_type:data", db=db, target_dir=work / "target")

    return built_once(tmp_path_factory, "ml_warehouse", build) / "data" / "warehouse.duckdb"


# --- test tiers ------------------------------------------------------------------------------------
#: Fixtures that build a warehouse, run dbt or start the daily job: a test using any of them is in
#: the full tier only. Everything else (parsers, the simulator's formats, the loader on small data,
#: CLI arguments, the architecture checks) is the fast tier: `scripts/test.sh --fast`.
SLOW_FIXTURES = {"ml_warehouse", "built", "wh", "loaded", "first_run_env", "bq_env", "case"}
#: Modules whose every test runs run_daily.sh, dbt or a headless browser.
SLOW_MODULES = {
    "test_faults_upstream",
    "test_faults_operation",
    "test_first_run",
    "test_dbt_warehouse",
    "test_ml",
    "test_dashboard",
    "test_bigquery_compile",
    "test_bigquery_loop",
    "test_hardening",
}


#: Files that start first, longest first, so that no long file is left running alone at the end
#: (scripts/test.sh runs `--dist loadfile --no-loadscope-reorder`: one file stays on one worker, and
#: xdist keeps this order instead of sorting the files by their number of tests).
FIRST = [
    "test_bigquery_loop",
    "test_faults_operation",
    "test_faults_upstream",
    "test_first_run",
    "test_ml",
    "test_dbt_warehouse",
    "test_hardening",
    "test_dashboard",  # after test_ml: both need ml_warehouse, and one would wait for the other to build it
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tier; put the longest files first."""
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        if module in SLOW_MODULES or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

    def rank(item: pytest.Item) -> int:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        return FIRST.index(module) if module in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the order inside a module stays
