"""A user's first run: it bootstraps its own history, resumes when interrupted, recovers a warehouse that
holds today's failed first run, stitches yearly and monthly files at the seam, and fails fast offline.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from simulator import SimulatorServer
from simulator.generate import generate
from tests.conftest import isolated_env

REPO = Path(__file__).resolve().parents[1]
AS_OF = "2024-03-11"
#: The recovery test bootstraps from here: part of 2023 (the yearly file) and 2024 (two chunks), enough to train.
HISTORY_START = "2023-10-01"


def env_for(data: Path, urls: dict[str, str], **extra: str) -> dict[str, str]:
    env = isolated_env()
    env.update(urls)
    env.update(
        {
            "ENERGY_DATA_DIR": str(data),
            "ENERGY_DUCKDB_PATH": str(data / "warehouse.duckdb"),
            "ENERGY_HTTP_BACKOFF_S": "0.05",
            "ENERGY_HTTP_BACKOFF_MAX_S": "0.2",
            "ENERGY_HTTP_MAX_ATTEMPTS": "3",
        }
    )
    env.update(extra)
    return env


def q(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("first_run_upstream")
    generate(out, date(2023, 1, 1), date(2024, 3, 31), seed=5)
    return out


def test_a_failed_first_run_is_recovered_by_the_bootstrap(upstream: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SimulatorServer(upstream, AS_OF) as sim:
        env = env_for(data, sim.env(), ENERGY_BOOTSTRAP_START=HISTORY_START)
        # today's failing first run: no bootstrap, a few days of data, marts built, no forecast
        first = subprocess.run(
            ["bash", "run_daily.sh", "--as-of", AS_OF],
            cwd=REPO,
            capture_output=True,
            text=True,
            env={**env, "ENERGY_BOOTSTRAP": "0"},
            timeout=900,
        )
        assert first.returncode == 50, first.stdout[-3000:]
        db = data / "warehouse.duckdb"
        (n_before,) = q(db, "select count(*) from analytics_marts.fct_demand_hourly")[0]
        assert n_before == 10 * 24  # March 1 … 10

        second = subprocess.run(
            ["bash", "run_daily.sh", "--as-of", AS_OF], cwd=REPO, capture_output=True, text=True, env=env, timeout=900
        )
        out = second.stdout + second.stderr
        assert second.returncode == 0, out[-4000:]
        assert "bootstrap: the warehouse lacks history" in out and "bootstrap 2/2" in out
        expected_hours = ((date(2024, 3, 10) - date.fromisoformat(HISTORY_START)).days + 1) * 24
        assert q(
            db,
            "select count(*), count(distinct hour_start_at), min(date_jst), max(date_jst) "
            "from analytics_marts.fct_demand_hourly",
        ) == [(expected_hours, expected_hours, date.fromisoformat(HISTORY_START), date(2024, 3, 10))]
        assert q(
            db, "select count(*) from raw.ml_forecasts where model = 'xgboost' and issued_at = '2024-03-10 19:00:00+00'"
        ) == [(384,)]

        sim.reset_request_counts()  # the next run's bootstrap decision is the ingestion's: run only that
        third = subprocess.run(
            [sys.executable, "-m", "ingest", "daily", "--as-of", AS_OF],
            cwd=REPO,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        assert third.returncode == 0, (third.stdout + third.stderr)[-3000:]
        assert "bootstrap" not in third.stdout + third.stderr
        assert sim.request_counts()["tepco_juyo"] == 0  # no second backfill


def test_an_interrupted_bootstrap_resumes_without_fetching_again(upstream: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SimulatorServer(upstream, AS_OF, faults=["slow:0.05@open_meteo"]) as sim:
        env = env_for(data, sim.env(), ENERGY_BOOTSTRAP_START="2023-01-01", ENERGY_HTTP_WORKERS="1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "daily", "--as-of", AS_OF],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        for line in proc.stderr:  # kill it as soon as the first year has landed
            if line.startswith("bootstrap 1/2"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL
        first_paths = sim.request_paths()
        assert any(p.endswith("juyo-2023.csv") for p in first_paths)
        sim.reset_request_counts()

        again = subprocess.run(
            [sys.executable, "-m", "ingest", "daily", "--as-of", AS_OF],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "backfilling 1 year(s), 2024-01-01" in again.stderr
        paths = sim.request_paths()
        assert not any(p.endswith(("juyo-2023.csv", "202312_power_usage.zip")) for p in paths), paths
        assert any(p.endswith("juyo-2024.csv") for p in paths)
    db = data / "warehouse.duckdb"
    days = (date(2024, 3, 10) - date(2023, 1, 1)).days + 1
    assert q(db, "select count(distinct (date_jst, hour_jst)) from raw.tepco_hourly") == [(days * 24,)]


def test_yearly_files_that_stopped_growing_are_continued_by_the_monthly_zips(shared_data: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with SimulatorServer(shared_data, "2023-08-01", faults=["juyo_frozen:2023-06-17"]) as sim:
        env = env_for(data, sim.env(), ENERGY_ARCHIVE="0")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ingest",
                "backfill",
                "--start",
                "2022-01-01",
                "--end",
                "2023-07-31",
                "--no-weather",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "juyo-2023: 4008 hours, ends 2023-06-16" in proc.stderr
    db = data / "warehouse.duckdb"
    days = (date(2023, 7, 31) - date(2022, 1, 1)).days + 1
    assert q(db, "select count(distinct (date_jst, hour_jst)) from raw.tepco_hourly") == [(days * 24,)]
    # the seam inside June 2023: the yearly file ends on the 16th, the monthly zips carry on
    assert q(db, "select max(date_jst) from raw.tepco_hourly where source_kind = 'juyo'") == [(date(2023, 6, 16),)]
    assert q(
        db,
        "select count(*) from raw.tepco_hourly where source_kind = 'power_usage' "
        "and date_jst between '2023-06-17' and '2023-07-31'",
    ) == [(45 * 24,)]


# --- outages --------------------------------------------------------------------------------------


def dead_urls(base: str) -> dict[str, str]:
    return {
        "TEPCO_BASE_URL": f"{base}/tepco",
        "OPEN_METEO_ARCHIVE_URL": f"{base}/archive",
        "OPEN_METEO_FORECAST_URL": f"{base}/forecast",
    }


@pytest.fixture()
def black_hole() -> str:
    """A local address that accepts no connection: a listening socket whose accept queue is full
    and never drained, so further SYNs are dropped (the connect hangs until its timeout)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):  # fill the queue; once full, the kernel drops new SYNs
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        fillers.append(s)
    time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    for s in fillers:
        s.close()
    server.close()


@pytest.mark.parametrize("kind", ["unresolvable", "dropping"])
def test_every_upstream_down_fails_fast_with_one_line(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    base = "http://upstream.invalid" if kind == "unresolvable" else request.getfixturevalue("black_hole")
    env = env_for(tmp_path / "data", dead_urls(base))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "daily"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    seconds = time.perf_counter() - t0
    print(f"{kind}: python -m ingest daily exited {proc.returncode} after {seconds:.1f} s")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert seconds <= 90  # a loose bound that survives a loaded CI machine; before the preflight: 288 s
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    host = "upstream.invalid" if kind == "unresolvable" else base.removeprefix("http://")
    assert len(errors) == 1 and f"upstream unreachable: {host}" in errors[0], proc.stderr
    why = "the name does not resolve" if kind == "unresolvable" else "no answer to the connect"
    assert why in errors[0]


def test_run_daily_during_an_outage_exits_22_quickly(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", dead_urls("http://upstream.invalid"))
    t0 = time.perf_counter()
    proc = subprocess.run(["bash", "run_daily.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - t0
    print(f"run_daily.sh during an outage: exit {proc.returncode} after {seconds:.1f} s")
    assert proc.returncode == 22, proc.stdout[-3000:]
    assert "upstream unreachable: upstream.invalid (the name does not resolve)" in proc.stdout
    assert seconds <= 90  # a loose bound that survives a loaded CI machine (idle: about 7 s)


def test_a_future_as_of_is_refused_against_a_live_upstream(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", dead_urls("http://upstream.invalid"))
    future = (date.today() + timedelta(days=3)).isoformat()
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "daily", "--as-of", future],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 64 and "a live upstream cannot serve it" in proc.stderr
    proc = subprocess.run(
        ["bash", "run_daily.sh", "--as-of", future], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 2, proc.stdout[-2000:]
    assert not (tmp_path / "data" / "warehouse.duckdb").exists()
