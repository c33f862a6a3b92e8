"""The forecast-vintage backfill (Open-Meteo's Previous Runs API) through the simulator, twice.

    python -m benchmarks.vintages [--data ../shared/data] [--start 2023-01-01] [--end 2024-12-31] [--keep DIR]

Prints: the wall time of each run, the calls it counted against the free tier and the time it
waited for the tier's limits, the rows per lead day against the expected points × hours, null and
duplicate counts, and whether the second run left the table unchanged (row count and checksum).
The values are synthetic here (the simulator's seeded noise on observed weather), real against the
real API.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from ingest.open_meteo import load_points
from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]
TABLE = "raw.open_meteo_previous_runs"


def run(env: dict[str, str], start: str, end: str) -> tuple[float, str]:
    cmd = [sys.executable, "-m", "ingest", "backfill", "--start", start, "--end", end, "--forecast-vintages"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return wall, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--start", default="2023-01-01")
    ap.add_argument("--end", default="2024-12-31")
    ap.add_argument("--keep", default=None, help="keep the warehouse in this folder")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-vintages-"))
    db = work / "warehouse.duckdb"
    env = {**os.environ, "ENERGY_DATA_DIR": str(work), "ENERGY_DUCKDB_PATH": str(db), "ENERGY_BOOTSTRAP": "0"}
    hours = ((date.fromisoformat(args.end) - date.fromisoformat(args.start)).days + 1) * 24
    points = len(load_points())
    print(f"forecast vintages {args.start} … {args.end}: {points} points × 7 leads × {hours} hours (synthetic values)")
    sums = []
    with SimulatorServer(args.data, "2025-01-10", noise_seed=1) as sim:
        env.update(sim.env())
        for i in (1, 2):
            wall, out = run(env, args.start, args.end)
            line = re.search(r"forecast vintages: (.*)", out)
            rows = re.search(r"open_meteo_previous_runs fetched\s+(\d+)\s+new or changed\s+(\d+)", out)
            print(f"run {i}: {wall:.1f} s; {line[1] if line else '?'}")
            print(f"  rows fetched {rows[1] if rows else '?'}, new or changed {rows[2] if rows else '?'}")
            print(f"  requests served by the simulator: {sim.request_counts()['open_meteo_previous_runs']}")
            sim.reset_request_counts()
            with duckdb.connect(str(db), read_only=True) as con:
                sums.append(con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from {TABLE} t").fetchone())
                if i == 1:
                    per_lead = con.execute(
                        f"select lead_day, count(*), count(distinct (point_id, valid_at)), "
                        f"count(*) - count(temperature_2m) from {TABLE} group by 1 order by 1"
                    ).fetchall()
                    (dups,) = con.execute(
                        f"select count(*) - count(distinct (point_id, model, lead_day, valid_at)) from {TABLE}"
                    ).fetchone()
    print(f"expected per lead day: {points * hours} rows ({points} points × {hours} hours)")
    for lead, n, distinct, nulls in per_lead:
        print(f"  lead {lead}: {n} rows, {distinct} distinct point-hours, {nulls} null temperatures")
    print(f"duplicates on the key: {dups}")
    print(f"run 1: {sums[0][0]} rows, checksum {sums[0][1]}")
    print(f"run 2: {sums[1][0]} rows, checksum {sums[1][1]} → {'unchanged' if sums[0] == sums[1] else 'CHANGED'}")
    print(f"warehouse: {work}")


if __name__ == "__main__":
    main()
