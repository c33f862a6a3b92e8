"""dbt build wall time on the full real history, and of an incremental daily build.

    python -m benchmarks.warehouse [--data ../shared/data] [--keep DIR]

1. backfill 2016-04 … 2024-12 through the simulator (skipped when DIR already holds it);
2. `dbt build --full-refresh` from a cold start (no partial-parse cache): parse included;
3. `ingest daily --as-of 2025-01-01` then `dbt build --exclude test_type:unit` (incremental, what
   run_daily.sh runs; unit tests check SQL logic and run in CI), timed.
Prints wall times, row counts of the main marts and the coverage checks of the dbt issue.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from benchmarks.workspace import workspace
from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]


def run(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    ws = workspace(args.keep, "bench-dbt-")
    db, target, env, dbt, common = ws.db, ws.target, ws.env, ws.dbt, ws.common
    py = sys.executable
    with SimulatorServer(args.data, "2025-01-01") as sim:
        env.update(sim.env())
        if not db.exists():
            print("backfilling 2016-04-01 … 2024-12-31 …", flush=True)
            run([py, "-m", "ingest", "backfill", "--start", "2016-04-01", "--end", "2024-12-31"], env)
        shutil.rmtree(target, ignore_errors=True)
        full = run(dbt + ["build", "--full-refresh", *common], env)
        print(f"dbt build --full-refresh, cold (parse included): {full:.1f} s")
        ingest = run([py, "-m", "ingest", "daily", "--as-of", "2025-01-01"], env)
        incr = run(dbt + ["build", "--exclude", "test_type:unit", *common], env)
        print(
            f"ingest daily --as-of 2025-01-01: {ingest:.1f} s; dbt build (incremental, as run_daily.sh runs it: "
            f"data tests, no unit tests): {incr:.1f} s"
        )
    with duckdb.connect(str(db), read_only=True) as con:
        for sql, label in [
            (
                "select count(*), count(distinct hour_start_at) from analytics_marts.fct_demand_hourly",
                "fct_demand_hourly rows, distinct hours",
            ),
            (
                """select count(*) from (select hour_start_at - lag(hour_start_at) over (order by hour_start_at) as d
                from analytics_marts.fct_demand_hourly) where d <> interval 1 hour""",
                "gaps in fct_demand_hourly",
            ),
            (
                """select count(*), count(temperature_c), count(day_type) from analytics_marts.fct_features_hourly
                where date_jst between '2023-01-01' and '2024-12-31'""",
                "features 2023–2024: hours, with weather, with calendar",
            ),
        ]:
            print(f"{label}: {con.execute(sql).fetchone()}")


if __name__ == "__main__":
    main()
