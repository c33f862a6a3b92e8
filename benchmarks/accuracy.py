"""Forecast accuracy benchmark on the real data, reported from the accuracy marts.

    python -m benchmarks.accuracy [--data ../shared/data] [--keep DIR] [--seed 2024]

1. backfill 2016-04 … 2024-12 through the simulator and the real ingestion (TEPCO, Open-Meteo
   archive, JMA station history);
2. for 52 weekly issue dates of 2024 (Mondays 2024-01-01 … 2024-12-23) land a forecast vintage
   from the simulator with its seeded, lead-growing forecast error (σ 1.0 °C day 1 … 3.0 °C days
   8–16 on the temperatures, AR(1) in time, 90 % shared across points; humidity noise correlated
   with it; a timing error on precipitation and the weather code, so on cloud cover: README,
   "Upstream simulator"); the "simulated weather error" run;
3. land the Previous Runs archive (`ingest backfill --forecast-vintages`, synthetic values from the
   simulator with the same seed) over the backtests' horizons;
4. dbt build; `python -m ml backtest` three times over those dates: oracle weather (observed weather
   standing in for the forecast, optimistic), the noisy vintages, and the archived forecasts known
   by each issue time (`--weather previous_runs`); dbt build of the marts;
5. print per horizon day MAPE / RMSE / MAE / bias / skill, grouped targets, TEPCO's day-1 MAPE
   and the holiday weeks, all queried from rpt_forecast_accuracy_by_horizon and
   fct_forecast_errors; then time one full forecast step (read, train, predict, write).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import deque
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.workspace import workspace
from core.time import ISSUE_HOUR_JST
from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]
ISSUES = [date(2024, 1, 1) + timedelta(days=7 * k) for k in range(52)]
GROUPS = {"day 1": (1, 1), "days 2-7": (2, 7), "days 8-16": (8, 16), "days 1-16": (1, 16)}
WEATHER_LABEL = {
    "oracle_observed": "oracle weather (observed, optimistic)",
    "forecast_vintage": "simulated weather error (noisy vintages, synthetic: temperature and humidity noise, "
    "rain and cloud timing error)",
    "previous_runs": "archived forecasts (Previous Runs API, known by the issue time; SYNTHETIC here: the "
    "simulator's noise, same seed as the vintages; days beyond the archive's reach from the noisy vintage)",
}
#: Forecast vintages of the Previous Runs API for the backtests' horizons (days 1–7 of each issue) and
#: the validation weeks before the first issue (a model calibrates its interval on them: ml/model.py).
VINTAGES_FROM, VINTAGES_TO = ISSUES[0] - timedelta(days=70), ISSUES[-1] + timedelta(days=8)


#: A progress line of `python -m ml backtest` ("[12/52] run-id: …"): the benchmark echoes these, so an
#: hour of backtests shows how far it got, which model each issue used and whether it was trained.
PROGRESS_LINE = re.compile(r"^\[\d+/\d+\] ")


def run(cmd: list[str], env: dict[str, str], what: str) -> float:
    """Run a step of the benchmark; echo its progress lines as they come, and its output's tail if it fails."""
    print(f"… {what}", flush=True)
    t0 = time.perf_counter()
    tail: deque[str] = deque(maxlen=60)
    with subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail.append(line)
            if PROGRESS_LINE.match(line):
                print(f"    {line.rstrip()}", flush=True)
    if proc.returncode != 0:
        sys.exit(f"{what} failed ({proc.returncode}):\n{''.join(tail)[-6000:]}")
    return time.perf_counter() - t0


def land_noisy_vintages(sim: SimulatorServer, seed: int, env: dict[str, str], issues: list[date] = ISSUES) -> None:
    """The real ingestion code, one forecast vintage per issue date, loaded in one dlt run."""
    os.environ.update(env)
    import pandas as pd

    from core.load import load
    from core.settings import Settings
    from core.time import issue_time, utc_now
    from core.warehouse import make_pipeline
    from ingest import open_meteo
    from ingest.http import Fetcher, HttpClient
    from ingest.report import RunReport

    settings, report = Settings(), RunReport(command="bench vintages")
    fetcher = Fetcher(HttpClient(settings.http), report, settings.quarantine_dir, settings.http.workers)
    points, frames = open_meteo.load_points(), []
    sim.noise_seed = seed
    for d in issues:
        sim.as_of = d
        frames.append(open_meteo.fetch_forecast(fetcher, settings, points, issue_time(d), report))
    sim.noise_seed, sim.as_of = None, date(2025, 1, 1)
    load(
        make_pipeline(settings),
        [open_meteo.open_meteo_forecast(pd.concat(frames, ignore_index=True), utc_now())],
        report,
    )
    if report.errors:
        sys.exit("vintages failed: " + "; ".join(report.errors))


def has_previous_runs(db: Path) -> bool:
    if not db.exists():
        return False
    with duckdb.connect(str(db), read_only=True) as con:
        return bool(
            con.execute(
                "select count(*) from information_schema.tables where table_schema = 'raw' "
                "and table_name = 'open_meteo_previous_runs'"
            ).fetchone()[0]
        ) and bool(con.execute("select count(*) from raw.open_meteo_previous_runs").fetchone()[0])


def report(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    marts = "analytics_marts"
    for source, label in WEATHER_LABEL.items():
        print(
            f"\n== {label}: 52 weekly backtests issued 04:00 JST, 2024-01-01 … 2024-12-23 (rpt_forecast_accuracy_by_horizon)"
        )
        print(
            f"{'day':>4} {'MAPE %':>7} {'RMSE MW':>8} {'MAE MW':>7} {'bias MW':>8} {'skill':>6} {'naive MAPE':>10} {'cover90':>7} "
            f"{'width %':>7} {'pinball':>7} {'hours':>6}"
        )
        rows = con.execute(
            f"""
            select x.horizon_day, x.mape_pct, x.rmse_mw, x.mae_mw, x.bias_mw, x.skill_vs_seasonal_naive,
                   n.mape_pct, x.interval_coverage, x.mean_interval_width_pct, x.pinball_loss_mw, x.n_hours
            from {marts}.rpt_forecast_accuracy_by_horizon x
            join {marts}.rpt_forecast_accuracy_by_horizon n using (area, run_kind, weather_source, run_window, horizon_day)
            where x.model = 'xgboost' and n.model = 'seasonal_naive' and x.run_kind = 'backtest'
              and x.weather_source = ? and x.run_window = 'all_runs' order by 1""",
            [source],
        ).fetchall()
        for r in rows:
            print(
                f"{r[0]:>4} {r[1]:>7.2f} {r[2]:>8.0f} {r[3]:>7.0f} {r[4]:>8.0f} {r[5]:>6.3f} {r[6]:>10.2f} {r[7]:>7.3f} "
                f"{r[8]:>7.1f} {r[9]:>7.0f} {r[10]:>6}"
            )
        for name, (lo, hi) in GROUPS.items():
            m = con.execute(
                f"""
                select avg(e.abs_pct_error), 1 - sum(e.abs_error_mw) / sum(n.abs_error_mw), avg(n.abs_pct_error),
                       avg(case when e.is_within_interval then 1.0 else 0.0 end),
                       avg((e.upper_mw - e.lower_mw) / e.predicted_mw * 100), avg(e.pinball_loss_mw)
                from {marts}.fct_forecast_errors e
                join {marts}.fct_forecast_errors n on n.run_id = e.run_id and n.target_hour_start_at = e.target_hour_start_at
                 and n.model = 'seasonal_naive'
                where e.model = 'xgboost' and e.run_kind = 'backtest' and e.weather_source = ?
                  and e.horizon_day between ? and ?""",
                [source, lo, hi],
            ).fetchone()
            print(
                f"  {name:<10} MAPE {m[0]:.2f} %   skill vs seasonal naive {m[1]:.3f}   (seasonal naive {m[2]:.2f} %)   "
                f"90 % interval: coverage {m[3]:.3f}, mean width {m[4]:.1f} %, pinball {m[5]:.0f} MW"
            )
        ahead = con.execute(
            f"""
            select avg(e.abs_pct_error), 1 - sum(e.abs_error_mw) / sum(n.abs_error_mw), count(*)
            from {marts}.fct_forecast_errors e
            join {marts}.fct_forecast_errors n on n.run_id = e.run_id and n.target_hour_start_at = e.target_hour_start_at
             and n.model = 'seasonal_naive'
            where e.model = 'xgboost' and e.run_kind = 'backtest' and e.weather_source = ? and e.horizon_day = 1
              and e.target_hour_jst >= ?""",
            [source, ISSUE_HOUR_JST],
        ).fetchone()
        print(
            f"  day 1, hours still ahead at issue (04:00–23:00 JST): MAPE {ahead[0]:.2f} %   "
            f"skill vs seasonal naive {ahead[1]:.3f}   ({ahead[2]} h)"
        )
        t = con.execute(
            f"""
            select avg(e.abs_pct_error), avg(t.abs_pct_error) from {marts}.fct_forecast_errors e
            join {marts}.fct_forecast_errors t on t.run_id = e.run_id and t.target_hour_start_at = e.target_hour_start_at
             and t.model = 'tepco'
            where e.model = 'xgboost' and e.weather_source = ? and e.horizon_day = 1""",
            [source],
        ).fetchone()
        print(
            f"  day 1 on hours where TEPCO published: ours {t[0]:.2f} % vs TEPCO 予測値 {t[1]:.2f} % "
            "(TEPCO's is an intraday forecast about an hour ahead: a ceiling, not a day-ahead peer)"
        )
        hol = con.execute(
            f"""
            select case
                     when (month(target_date_jst) = 4 and day(target_date_jst) >= 27) or (month(target_date_jst) = 5 and day(target_date_jst) <= 6) then 'Golden Week (4/27–5/6)'
                     when month(target_date_jst) = 8 and day(target_date_jst) between 10 and 18 then 'Obon (8/10–8/18)'
                     when (month(target_date_jst) = 12 and day(target_date_jst) >= 28) or (month(target_date_jst) = 1 and day(target_date_jst) <= 4) then 'New Year (12/28–1/4)'
                     else 'normal weeks' end as period,
                   avg(abs_pct_error), count(*)
            from {marts}.fct_forecast_errors
            where model = 'xgboost' and run_kind = 'backtest' and weather_source = ? group by 1 order by 1""",
            [source],
        ).fetchall()
        print("  holiday weeks (all horizons): " + "; ".join(f"{p} {m:.2f} % ({n} h)" for p, m, n in hol))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--keep", default=None, help="work folder (reused: steps already done are skipped)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    t_start = time.perf_counter()
    ws = workspace(args.keep, "bench-accuracy-")
    print(ws.model_policy(), flush=True)
    db, env, dbt, common = ws.db, ws.env, ws.dbt, ws.common
    py = sys.executable
    first, last = ISSUES[0].isoformat(), ISSUES[-1].isoformat()
    with SimulatorServer(args.data, "2025-01-01") as sim:
        env.update(sim.env())
        if not db.exists():
            run([py, "-m", "ingest", "backfill", "--start", "2016-04-01", "--end", "2024-12-31"], env, "backfill")
        redraw = not ws.noisy_vintages_current()  # merges replace the vintages of a reused folder in place
        if redraw:
            print("… noisy forecast vintages for 52 issue dates", flush=True)
            land_noisy_vintages(sim, args.seed, env)
        if redraw or not has_previous_runs(db):
            sim.noise_seed = args.seed  # the archive's synthetic values: the same noise as the vintages
            argv = ["backfill", "--start", VINTAGES_FROM.isoformat(), "--end", VINTAGES_TO.isoformat()]
            run([py, "-m", "ingest", *argv, "--forecast-vintages"], env, "Previous Runs archive (synthetic)")
            sim.noise_seed = None
        ws.mark_noisy_vintages()
        run(dbt + ["build", *common], env, "dbt build")
        bt = {}
        for weather, label in (
            ("oracle", "bench-oracle"),
            ("vintage", "bench-noisy-weather"),
            ("previous_runs", "bench-previous-runs"),
        ):
            bt[weather] = run(
                [
                    py,
                    "-m",
                    "ml",
                    "backtest",
                    "--start",
                    first,
                    "--end",
                    last,
                    "--every",
                    "7",
                    "--weather",
                    weather,
                    "--label",
                    label,
                ],
                env,
                f"backtest, {weather} weather",
            )
        run(dbt + ["build", "--select", "stg_ml__forecasts+", *common], env, "dbt build of the accuracy marts")
        report(db)
        print(
            f"\nbacktest wall time: oracle {bt['oracle']:.0f} s (models trained), noisy {bt['vintage']:.0f} s, "
            f"archived forecasts {bt['previous_runs']:.0f} s (models reused: training never sees forecast weather)"
        )
        step = run(
            [py, "-m", "ml", "forecast", "--as-of", "2024-12-31", "--retrain"],
            env,
            "one daily forecast step with a fresh training (read, train, predict 384 h, write)",
        )
        print(f"forecast step with training on all history: {step:.1f} s wall (process start included)")
    print(f"benchmark total: {time.perf_counter() - t_start:.0f} s; warehouse {db}")


if __name__ == "__main__":
    main()
