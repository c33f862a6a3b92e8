"""Ingestion benchmark on the real data: full backfill and repeated daily runs via the simulator.

    python -m benchmarks.ingest [--data ../shared/data] [--keep DIR]

Prints: backfill wall time, rows/s, peak memory (RSS of the ingest process), row counts with
duplicate and gap checks, and the wall time and raw-table checksums of two identical daily runs.
Each command runs as a subprocess, exactly as a user would run it.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (KB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, max(peak, before), proc.stdout


def checksums(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema='raw' "
                "and table_name not like '\\_dlt%' escape '\\' order by 1"
            ).fetchall()
        ]
        return {
            t: con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from raw.{t} t").fetchone() for t in tables
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--keep", default=None, help="keep the warehouse in this folder")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-ingest-"))
    env = {**os.environ, "ENERGY_DATA_DIR": str(work), "ENERGY_DUCKDB_PATH": str(work / "warehouse.duckdb")}
    py = sys.executable
    with SimulatorServer(args.data, "2025-01-01") as sim:
        env.update(sim.env())
        wall, peak, out = timed([py, "-m", "ingest", "backfill", "--start", "2016-04-01", "--end", "2024-12-31"], env)
        db = work / "warehouse.duckdb"
        with duckdb.connect(str(db), read_only=True) as con:
            loaded = sum(
                con.execute(f"select count(*) from raw.{t}").fetchone()[0]
                for t in (
                    "tepco_hourly",
                    "tepco_five_minute",
                    "tepco_daily_summary",
                    "open_meteo_observed",
                    "jp_holidays",
                )
            )
            hours, distinct, dups = con.execute(
                "select count(*), count(distinct hour_start_at), count(*) - count(distinct (source_kind, hour_start_at))"
                " from raw.tepco_hourly"
            ).fetchone()
            juyo_hours = con.execute("select count(*) from raw.tepco_hourly where source_kind='juyo'").fetchone()[0]
            gaps = con.execute(
                "select count(*) from (select hour_start_at - lag(hour_start_at) over (order by hour_start_at) d"
                " from (select distinct hour_start_at from raw.tepco_hourly)) where d <> interval 1 hour"
            ).fetchone()[0]
            five = con.execute("select count(*), min(date_jst), max(date_jst) from raw.tepco_five_minute").fetchone()
            summ = con.execute(
                "select count(*), min(report_date), max(report_date) from raw.tepco_daily_summary"
            ).fetchone()
            wx = con.execute(
                "select point_id, count(*) from raw.open_meteo_observed where valid_at >= '2022-12-31 15:00+00'"
                " and valid_at < '2024-12-31 15:00+00' group by 1 order by 1"
            ).fetchall()
        print("== backfill 2016-04-01 … 2024-12-31 (simulator on", args.data, ")")
        print(out.strip())
        print(f"wall time {wall:.1f} s, {loaded / wall:,.0f} rows/s, peak RSS {peak / 1024:.0f} MiB")
        print(
            f"tepco_hourly: {distinct} distinct hours (juyo {juyo_hours}), {hours} rows incl. daily-file rows, "
            f"duplicates {dups}, gaps {gaps}"
        )
        print(
            f"tepco_five_minute: {five[0]} rows {five[1]} … {five[2]}; tepco_daily_summary: {summ[0]} rows "
            f"{summ[1]} … {summ[2]}"
        )
        print(
            "open_meteo_observed 2023–2024 JST per point:",
            ", ".join(f"{p} {n}" for p, n in wx),
            f"(total {sum(n for _, n in wx)})",
        )

        sim.as_of = "2024-06-15"
        runs = []
        for i in (1, 2):
            w, _, out = timed([py, "-m", "ingest", "daily", "--as-of", "2024-06-15"], env)
            runs.append((w, checksums(db)))
            print(f"== daily --as-of 2024-06-15, run {i}: wall {w:.1f} s")
        print("raw tables identical after the second run:", runs[0][1] == runs[1][1])
        for t, c in runs[1][1].items():
            print(f"  {t:<22} rows {c[0]:>8}  checksum {c[1]}")
    print("warehouse:", db)


if __name__ == "__main__":
    main()
