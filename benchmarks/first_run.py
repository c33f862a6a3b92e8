"""A new user's first run, measured: empty warehouse → 16-day forecast, against the simulator on ../shared/data.

    python -m benchmarks.first_run [--data ../shared/data] [--as-of 2024-06-15] [--keep DIR]

Prints, for `./run_daily.sh --as-of D` from an empty warehouse (`.venv` already set up):
1. exit code, wall time and its parts (bootstrap backfill, day ingest, freshness, build, forecast
   with its training, accuracy, report), forecast rows, and whether fct_demand_hourly holds every
   hour 2016-04-01 → D−1;
2. the same command again: exit code, wall time, and that it did not backfill again;
3. a warehouse that holds today's failing first run (no bootstrap: exit 50) recovered by the next run;
4. a bootstrap killed after its third year, run again: the years already landed are not fetched
   again (the simulator's request log).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]


def _env(data: Path, sim: SimulatorServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENERGY_", "TEPCO_", "OPEN_METEO_", "JMA_"))}
    env.update(sim.env())
    env.update({"ENERGY_DATA_DIR": str(data), "ENERGY_DUCKDB_PATH": str(data / "warehouse.duckdb")})
    env.update(extra)
    return env


def _run(env: dict[str, str], as_of: str) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["bash", str(REPO / "run_daily.sh"), "--as-of", as_of], env=env, capture_output=True, text=True, cwd="/"
    )
    return proc.returncode, time.perf_counter() - t0, proc.stdout + proc.stderr


def _stage_seconds(out: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r"stage (\w+): \w+ \(exit \d+\) after ([\d.]+) s", out)}


def _coverage(db: Path, start: date, end: date) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        n, lo, hi = con.execute(
            "select count(distinct hour_start_at), min(date_jst), max(date_jst) from analytics_marts.fct_demand_hourly"
        ).fetchone()
    expected = ((end - start).days + 1) * 24
    return f"{n} of {expected} hours {start} → {end} ({lo} … {hi}){' — complete' if n == expected else ' — GAPS'}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.first_run", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    p.add_argument("--as-of", default="2024-06-15")
    p.add_argument("--keep", type=Path, default=None, help="keep the work folder here")
    args = p.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="first_run_"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    as_of = date.fromisoformat(args.as_of)
    history = (date(2016, 4, 1), as_of - timedelta(days=1))

    with SimulatorServer(args.data, args.as_of) as sim:
        print(f"== 1. ./run_daily.sh --as-of {args.as_of}, empty warehouse (simulator on {args.data})")
        data = work / "fresh"
        rc, secs, out = _run(_env(data, sim), args.as_of)
        stages = _stage_seconds(out)
        boot = re.findall(r"bootstrap (\d+)/(\d+): .* (\d+) s elapsed", out)
        train = re.search(r"timings: read ([\d.]+) s, model ([\d.]+) s", out)
        print(f"exit {rc}, wall {secs:.1f} s")
        print(
            "  parts: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items())
            + (f"; of ingest, the bootstrap backfill took ~{boot[-1][2]} s for {boot[-1][1]} years" if boot else "")
            + (f"; of forecast, training {train[2]} s" if train else "")
        )
        with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
            (rows,) = con.execute("select count(*) from raw.ml_forecasts where model = 'xgboost'").fetchone()
        print(f"  forecast rows: {rows}; fct_demand_hourly: {_coverage(data / 'warehouse.duckdb', *history)}")
        if rc:
            print(out[-4000:])

        print("== 2. the same command again")
        sim.reset_request_counts()
        rc2, secs2, out2 = _run(_env(data, sim), args.as_of)
        print(
            f"exit {rc2}, wall {secs2:.1f} s, backfilled again: {'bootstrap' in out2}, "
            f"yearly files fetched: {sim.request_counts()['tepco_juyo']}"
        )

        print("== 3. a warehouse holding today's failing first run (no bootstrap), then the next run")
        data3 = work / "failed_first"
        rc_a, secs_a, _ = _run(_env(data3, sim, ENERGY_BOOTSTRAP="0"), args.as_of)
        rc_b, secs_b, _ = _run(_env(data3, sim), args.as_of)
        print(
            f"failing first run: exit {rc_a} ({secs_a:.1f} s); next run: exit {rc_b} ({secs_b:.1f} s); "
            f"fct_demand_hourly: {_coverage(data3 / 'warehouse.duckdb', *history)}"
        )

        print("== 4. a bootstrap killed after its third year, then run again")
        data4 = work / "killed"
        env4 = _env(data4, sim)
        sim.reset_request_counts()
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingest", "daily", "--as-of", args.as_of],
            cwd=REPO,
            env=env4,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.startswith("bootstrap 3/"):
                proc.send_signal(signal.SIGKILL)
                break
        proc.wait()
        first = sim.request_paths()
        sim.reset_request_counts()
        rc4, secs4, _ = _run(env4, args.as_of)
        second = sim.request_paths()
        landed = sorted({p.rsplit("/", 1)[-1] for p in first if "juyo-" in p})
        again = sorted({p.rsplit("/", 1)[-1] for p in second if "juyo-" in p})
        print(f"killed after year 3 (exit {proc.returncode}); its requests: {len(first)}, yearly files: {landed}")
        print(
            f"next run: exit {rc4} ({secs4:.1f} s); yearly files fetched: {again}; "
            f"fetched again of those landed before the kill: {sorted(set(landed[:3]) & set(again))}; "
            f"fct_demand_hourly: {_coverage(data4 / 'warehouse.duckdb', *history)}"
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if rc == 0 and rc2 == 0 and rc_b == 0 and rc4 == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
