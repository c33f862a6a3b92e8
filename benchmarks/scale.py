"""Scale check on DuckDB: ten years of hourly data, one area against ten.

    python -m benchmarks.scale [--areas 10] [--start 2015-01-01] [--end 2024-12-31] [--keep DIR]

1. Generates ten years of synthetic upstream files (the simulator's generator: TEPCO monthly zips
   and yearly juyo files, Open-Meteo history for the 9 Kanto points), serves them with the
   simulator and backfills them through the real ingestion.
2. `dbt build --full-refresh` (no unit tests) on that one-area warehouse: wall time, peak RSS.
3. Replicates the raw tables to N areas inside DuckDB (area `tokyo_k`, demand scaled by a factor
   per area, weather points renamed `<point>_k`), in a copy of the dbt project whose
   `weather_points` seed lists the points of every area and whose `areas` var names them all.
4. The same build on the N-area warehouse, and the growth ratios.

Peak memory is the dbt process's maximum resident set (GNU time; dbt runs DuckDB in-process).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
PROJECT_FILES = ["dbt_project.yml", "models", "macros", "seeds", "tests/dbt", "analyses"]


def build(project: Path, db: Path, areas: list[str], target_dir: Path) -> tuple[float, float, str]:
    """`dbt build --full-refresh --exclude test_type:unit` in a child process: (seconds, peak RSS MiB, tail)."""
    env = {
        **os.environ,
        "ENERGY_DUCKDB_PATH": str(db),
        "ENERGY_TARGET": "dev",
        "DBT_LOG_PATH": str(target_dir / "logs"),
    }
    vars_ = "{areas: [" + ", ".join(f"'{a}'" for a in areas) + "]}"
    cmd = [
        "/usr/bin/time",
        "-f",
        "MAXRSS_KIB %M",
        str(REPO / ".venv" / "bin" / "dbt"),
        "--no-use-colors",
        "build",
        "--full-refresh",
        "--exclude",
        "test_type:unit",
        "--vars",
        vars_,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(REPO),
        "--target-path",
        str(target_dir),
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    peak = int(proc.stderr.rsplit("MAXRSS_KIB", 1)[-1].split()[0])  # GNU time: the process's max RSS, KiB
    if proc.returncode not in (0, 1):
        raise SystemExit(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-4000:]}")
    done = [line for line in proc.stdout.splitlines() if "Done. PASS=" in line]
    return seconds, peak / 1024, (done[-1].split("  ", 1)[-1] if done else proc.stdout[-500:])


def project_copy(dest: Path, areas: list[str]) -> Path:
    """The dbt project with a weather_points seed covering every replicated area."""
    for name in PROJECT_FILES:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.exists():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dest / name)
    seed = dest / "seeds" / "weather_points.csv"
    rows = list(csv.DictReader(seed.open(encoding="utf-8")))
    with seed.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for k, area in enumerate(areas):
            for r in rows:
                w.writerow({**r, "area": area, "point_id": r["point_id"] if k == 0 else f"{r['point_id']}_{k}"})
    return dest


def replicate(db: Path, areas: list[str]) -> dict[str, int]:
    """Copy every area-keyed raw table to the other areas (demand scaled), and every weather point."""
    with duckdb.connect(str(db)) as con:
        for k, area in enumerate(areas[1:], start=1):
            factor = 0.6 + 0.05 * k  # areas of different sizes, inside the staging range test (10–70 GW)
            for table, scaled in [
                ("tepco_hourly", ["demand_man_kw", "forecast_man_kw", "supply_man_kw"]),
                ("tepco_five_minute", ["demand_man_kw", "solar_man_kw"]),
                ("tepco_daily_summary", []),
            ]:
                cols = [
                    r[0]
                    for r in con.execute(
                        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
                        "order by ordinal_position",
                        [table],
                    ).fetchall()
                ]
                exprs = [f"'{area}'" if c == "area" else f"round({c} * {factor})" if c in scaled else c for c in cols]
                con.execute(
                    f"insert into raw.{table} ({', '.join(cols)}) select {', '.join(exprs)} "
                    f"from raw.{table} where area = 'tokyo'"
                )
            for table in ("open_meteo_observed", "open_meteo_forecast"):
                cols = [
                    r[0]
                    for r in con.execute(
                        "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
                        "order by ordinal_position",
                        [table],
                    ).fetchall()
                ]
                exprs = [f"point_id || '_{k}'" if c == "point_id" else c for c in cols]
                con.execute(
                    f"insert into raw.{table} ({', '.join(cols)}) select {', '.join(exprs)} "
                    f"from raw.{table} where point_id not like '%\\_%' escape '\\'"
                )
        return {
            t: con.execute(f"select count(*) from raw.{t}").fetchone()[0]
            for t in ("tepco_hourly", "tepco_five_minute", "open_meteo_observed")
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--areas", type=int, default=10)
    ap.add_argument("--start", default="2015-01-01")
    ap.add_argument("--end", default="2024-12-31")
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-scale-"))
    start, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    one = work / "one_area.duckdb"
    if not one.exists():
        from simulator import SimulatorServer
        from simulator.generate import generate

        upstream = work / "upstream"
        t0 = time.perf_counter()
        generate(upstream, start, end + timedelta(days=20), seed=42)
        print(f"generated {start} … {end} in {time.perf_counter() - t0:.0f} s", flush=True)
        env = {
            **os.environ,
            "ENERGY_DATA_DIR": str(work / "data"),
            "ENERGY_DUCKDB_PATH": str(one),
            "ENERGY_ARCHIVE": "0",
        }
        with SimulatorServer(upstream, end + timedelta(days=1)) as sim:
            env.update(sim.env())
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "ingest", "backfill", "--start", str(start), "--end", str(end)],
                env=env,
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            print(f"backfilled in {time.perf_counter() - t0:.0f} s", flush=True)
    with duckdb.connect(str(one), read_only=True) as con:
        hours = con.execute("select count(distinct (date_jst, hour_jst)) from raw.tepco_hourly").fetchone()[0]
    print(f"one area: {hours} distinct hours ({hours / 8766:.1f} years)")

    areas = ["tokyo"] + [f"tokyo_{k}" for k in range(1, args.areas)]
    project1 = project_copy(work / "project_1", areas[:1])
    s1, m1, done1 = build(project1, one, areas[:1], work / "target_1")
    print(f"dbt build, 1 area:  {s1:6.1f} s, peak RSS {m1:7.0f} MiB  ({done1})", flush=True)

    many = work / f"{args.areas}_areas.duckdb"
    shutil.copy(one, many)
    rows = replicate(many, areas)
    print(f"replicated to {args.areas} areas: {rows}")
    project_n = project_copy(work / f"project_{args.areas}", areas)
    sn, mn, donen = build(project_n, many, areas, work / f"target_{args.areas}")
    print(f"dbt build, {args.areas} areas: {sn:6.1f} s, peak RSS {mn:7.0f} MiB  ({donen})")
    with duckdb.connect(str(many), read_only=True) as con:
        n = con.execute("select count(*), count(distinct area) from analytics_marts.fct_features_hourly").fetchone()
    print(f"fct_features_hourly: {n[0]} rows over {n[1]} areas")
    print(
        f"growth 1 → {args.areas} areas: wall time × {sn / s1:.2f}, peak memory × {mn / m1:.2f} (data × {args.areas})"
    )
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
