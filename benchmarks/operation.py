"""30 days of simulated operation: `run_daily.sh --as-of D` for 30 consecutive days of 2024.

    python -m benchmarks.operation [--data ../shared/data] [--start 2024-06-01] [--days 30] [--keep DIR]

After a backfill up to the day before --start, one simulator is re-pointed to each day in turn
(its control endpoint) and run_daily.sh runs as the README's crontab has it: the weekly step
`run_daily.sh --train` on Sundays (before that day's run), then the daily run. The first daily run
finds no stored model and trains (as a user's first run does); it is reported apart from the others.
Prints each run's exit code and wall time, the median and maximum, and checks that
rpt_pipeline_runs holds every stage of every run and rpt_forecast_accuracy_by_horizon the daily
runs. Then re-runs one day and compares every business mart (checksums), and starts two runs at
once (one must be refused).

To show a refactor kept behaviour, keep the work folder and checksum its raw tables and marts:
    python -m benchmarks.operation --keep DIR && python -m benchmarks.table_checksums DIR/warehouse.duckdb --json A.json
then the same on the other revision with `--compare A.json`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.table_checksums import MARTS
from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]
#: The weekly `run_daily.sh --train` runs on Sundays, as in the README's crontab (`0 2 * * 0`).
TRAIN_WEEKDAY = 6


def checksums(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(f"select count(*), sum(hash(t::varchar)::hugeint) from analytics_marts.{t} t").fetchone()
            for t in MARTS
        }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--start", default="2024-06-01")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()
    start = date.fromisoformat(args.start)
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-operation-"))
    db = work / "warehouse.duckdb"
    env = {**os.environ, "ENERGY_DATA_DIR": str(work), "ENERGY_DUCKDB_PATH": str(db)}
    with SimulatorServer(args.data, start, noise_seed=7) as sim:
        env.update(sim.env())
        if not db.exists():
            print(f"… backfill 2016-04-01 … {start - timedelta(days=1)}", flush=True)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "ingest",
                    "backfill",
                    "--start",
                    "2016-04-01",
                    "--end",
                    str(start - timedelta(days=1)),
                ],
                env=env,
                cwd=REPO,
                check=True,
                capture_output=True,
            )
        walls, codes, train_walls = [], [], []
        for k in range(args.days):
            day = start + timedelta(days=k)
            sim.as_of = day
            if k > 0 and day.weekday() == TRAIN_WEEKDAY:  # the weekly cron line, before the daily run
                t0 = time.perf_counter()
                proc = subprocess.run(
                    ["bash", str(REPO / "run_daily.sh"), "--train", "--as-of", str(day)],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                train_walls.append(time.perf_counter() - t0)
                codes.append(proc.returncode)
                print(f"run_daily --train --as-of {day}: exit {proc.returncode}, {train_walls[-1]:.1f} s", flush=True)
                if proc.returncode != 0:
                    print(proc.stdout[-3000:])
            t0 = time.perf_counter()
            proc = subprocess.run(
                ["bash", str(REPO / "run_daily.sh"), "--as-of", str(day)], env=env, capture_output=True, text=True
            )
            walls.append(time.perf_counter() - t0)
            codes.append(proc.returncode)
            trained = "trained" if "trained:" in proc.stdout else "reused"
            print(f"run_daily --as-of {day}: exit {proc.returncode}, {walls[-1]:.1f} s (model {trained})", flush=True)
            if proc.returncode != 0:
                print(proc.stdout[-3000:])
        later = walls[1:] or walls  # (--days 1: only the first)
        print(
            f"\n{len(codes)} runs ({args.days} daily, {len(train_walls)} weekly train steps): {codes.count(0)} exit 0\n"
            f"daily runs after the first: wall time median {statistics.median(later):.1f} s, max {max(later):.1f} s; "
            f"the first (no stored model: it trains) {walls[0]:.1f} s\n"
            + (
                f"weekly train step: median {statistics.median(train_walls):.1f} s, max {max(train_walls):.1f} s"
                if train_walls
                else "weekly train step: none in the window"
            )
        )
        # the last run's late stage records are in the spool: load them and rebuild the monitoring marts
        subprocess.run([sys.executable, "-m", "ingest", "runlog", "flush"], env=env, cwd=REPO, capture_output=True)
        subprocess.run(
            [
                str(REPO / ".venv" / "bin" / "dbt"),
                "build",
                "--select",
                "stg_pipeline__runs+",
                "--project-dir",
                str(REPO),
                "--profiles-dir",
                str(REPO),
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
        )
        with duckdb.connect(str(db), read_only=True) as con:
            per_run = con.execute("""select count(distinct run_id), sum(n), min(n), max(n) from (
                select run_id, count(*) as n from analytics_marts.rpt_pipeline_runs group by 1)""").fetchone()
            print(
                f"rpt_pipeline_runs: {per_run[0]} runs, {per_run[1]} stage rows, {per_run[2]}–{per_run[3]} stages per run"
            )
            print(
                "rpt_system_status:",
                con.execute(
                    "select stage, latest_status, n_runs from analytics_marts.rpt_system_status order by stage_order"
                ).fetchall(),
            )
            daily = con.execute("""select count(distinct run_id) from analytics_marts.fct_forecasts
                                   where run_kind = 'daily'""").fetchone()[0]
            print(f"daily runs in fct_forecasts: {daily}")
            print("rpt_forecast_accuracy_by_horizon (daily runs, all_runs, xgboost):")
            for r in con.execute("""select horizon_day, n_runs, round(mape_pct, 2), round(skill_vs_seasonal_naive, 3)
                                    from analytics_marts.rpt_forecast_accuracy_by_horizon
                                    where run_kind = 'daily' and model = 'xgboost' and run_window = 'all_runs'
                                    order by 1""").fetchall():
                print(f"  day {r[0]:>2}: {r[1]} runs, MAPE {r[2]} %, skill {r[3]}")
            print("median / max stage duration (s) over the daily runs:")
            for r in con.execute("""select stage, count(*), round(median(duration_s), 1), round(max(duration_s), 1)
                                    from analytics_marts.rpt_pipeline_runs group by stage, stage_order
                                    order by stage_order""").fetchall():
                print(f"  {r[0]:<10} {r[1]:>3} runs  median {r[2]:>5}  max {r[3]:>5}")
        # the dashboard the last run refreshed
        page = work / "dashboard" / "index.html"
        if page.exists():
            from dashboard.browser import check_page, chromium

            print(f"dashboard: {page} ({page.stat().st_size / 1024:.0f} KiB)")
            if chromium():
                res = check_page(page, screenshot=work / "dashboard.png")
                print(
                    f"  headless chromium: status {res.status}, {len(res.console)} console messages, "
                    f"load {res.load_seconds:.2f} s (browser start to scripts done), charts drawn {res.drawn}, "
                    f"screenshot {res.screenshot}"
                )
        # re-run one day: every business mart identical
        replay = start + timedelta(days=args.days - 1)
        sim.as_of = replay
        before = checksums(db)
        t0 = time.perf_counter()
        rc = subprocess.run(
            ["bash", str(REPO / "run_daily.sh"), "--as-of", str(replay)], env=env, capture_output=True, text=True
        ).returncode
        after = checksums(db)
        changed = [t for t in MARTS if after[t] != before[t]]
        print(
            f"re-run of {replay}: exit {rc}, {time.perf_counter() - t0:.1f} s, business marts identical: {not changed}"
            + (f" (changed: {', '.join(f'{t} {before[t]} → {after[t]}' for t in changed)})" if changed else "")
        )
        # two at once
        a = subprocess.Popen(
            ["bash", str(REPO / "run_daily.sh"), "--as-of", str(replay), "--skip-forecast"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(2)
        b = subprocess.run(
            ["bash", str(REPO / "run_daily.sh"), "--as-of", str(replay)], env=env, capture_output=True, text=True
        )
        print(
            f"two runs at once: first exit {a.wait()}, second exit {b.returncode} "
            f"({'refused: ' + b.stderr.strip().splitlines()[-1] if b.returncode == 10 else 'NOT refused'})"
        )
    print(f"work folder: {work}")


if __name__ == "__main__":
    main()
