"""Our day 1 against TEPCO's own forecast *as it stood when ours was issued*, on the same hours.

    python -m benchmarks.tepco_peer [--data ../shared/data] [--keep DIR] [--seed 2023]

1. backfill 2016-04 … 2023-03 through the simulator and the real ingestion;
2. `python -m ingest live-archive`: TEPCO's live chart at or before 04:00 JST of every archived day
   (249 days, 2022-07-26 … 2023-03-31) → `raw.tepco_live_hourly` → model `tepco_at_issue`;
3. noisy forecast vintages from the simulator (synthetic weather error: σ 1.0 °C on day 1, humidity
   noise, rain and cloud timing; README, "Upstream simulator") for every issue date of 2023-01-01 …
   2023-03-31 (the shared Open-Meteo archive starts in 2023);
4. backtests issued every day at 04:00 JST: oracle weather (observed standing in for the forecast;
   before 2023 that is the JMA Tokyo station, calibrated) over all 249 days, and the noisy vintages
   over 2023-01 … 2023-03; dbt build of the accuracy marts;
5. print, per weather source, day-1 MAPE of ours and of TEPCO at issue time on exactly the hours
   TEPCO's forecast covered (rpt_forecast_accuracy_by_horizon), the blend of the two
   (`blend_with_tepco`), and TEPCO's final intraday revision (the ceiling) for reference; then the
   same by period (2022 H2 apart from 2023, the tuning year) and by month (fct_forecast_errors).

Models are tuned on nothing here: the backtests use the production path as it stands.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from benchmarks.accuracy import land_noisy_vintages, run
from benchmarks.workspace import workspace
from simulator import SimulatorServer

REPO = Path(__file__).resolve().parents[1]
FIRST_PEER_DAY, LAST_PEER_DAY = date(2022, 7, 26), date(2023, 3, 31)
NOISY_FROM = date(2023, 1, 1)
LABEL = {
    "oracle_observed": "oracle weather (observed standing in for the forecast: optimistic; JMA station before 2023)",
    "forecast_vintage": "simulated weather error (synthetic noisy vintages, not real forecasts: temperature, humidity, rain and cloud timing)",
}


def report(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    peer_days = con.execute(
        "select count(distinct date_jst) from raw.tepco_live_hourly where forecast_man_kw is not null"
    ).fetchone()[0]
    print(f"\nTEPCO live vintages at or before 04:00 JST with a forecast: {peer_days} days")
    for source, label in LABEL.items():
        rows = con.execute(
            """
            select model, n_runs, n_hours, mape_pct, n_hours_with_tepco_at_issue,
                   mape_pct_on_tepco_at_issue_hours, skill_vs_tepco_at_issue, first_issue_date_jst, last_issue_date_jst
            from analytics_marts.rpt_forecast_accuracy_by_horizon
            where run_kind = 'backtest' and weather_source = ? and run_window = 'all_runs' and horizon_day = 1
            order by model""",
            [source],
        ).fetchall()
        if not rows:
            continue
        print(f"\n== day 1, {label}, backtests issued 04:00 JST {rows[0][7]} … {rows[0][8]}")
        print(
            f"{'model':<16} {'runs':>5} {'hours':>6} {'MAPE %':>7} {'peer hours':>10} {'MAPE % on peer hours':>21} {'skill vs peer':>13}"
        )
        for m, runs, hours, mape, ph, mp, sk in (r[:7] for r in rows):
            print(
                f"{m:<16} {runs:>5} {hours:>6} {mape:>7.2f} {ph:>10} "
                f"{'' if mp is None else f'{mp:.2f}':>21} {'' if sk is None else f'{sk:.3f}':>13}"
            )
        by_period(con, source)
    print(
        "\ntepco_at_issue = TEPCO's forecast as it stood at 04:00 JST (the peer), on the hours it still forecast; "
        "tepco = TEPCO's last intraday revision (about an hour ahead: a ceiling, not a peer); "
        "blend_with_tepco (blend %) = ours and tepco_at_issue averaged (dbt var tepco_blend_weight): "
        "it takes TEPCO's forecast as an input, so the head-to-head is xgboost against tepco_at_issue."
    )


def by_period(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """Ours against TEPCO at issue time on the hours both forecast, by half year and by month."""
    rows = con.execute(
        """
        with day1 as (
            select model, issue_date_jst, target_hour_start_at, abs_pct_error
            from analytics_marts.fct_forecast_errors
            where run_kind = 'backtest' and weather_source = ? and horizon_day = 1
              and model in ('xgboost', 'tepco_at_issue', 'blend_with_tepco') and abs_pct_error is not null
        ),

        paired as (
            select
                ours.issue_date_jst,
                ours.abs_pct_error as ours_ape,
                peer.abs_pct_error as peer_ape,
                blend.abs_pct_error as blend_ape
            from day1 as ours
            inner join day1 as peer
                on peer.issue_date_jst = ours.issue_date_jst and peer.target_hour_start_at = ours.target_hour_start_at
            left join day1 as blend
                on blend.issue_date_jst = ours.issue_date_jst and blend.target_hour_start_at = ours.target_hour_start_at
                and blend.model = 'blend_with_tepco'
            where ours.model = 'xgboost' and peer.model = 'tepco_at_issue'
        )

        select
            case when issue_date_jst < ? then '2022 H2' else '2023 Q1 (tuning year)' end,
            strftime(issue_date_jst, '%Y-%m'), count(distinct issue_date_jst), count(*), avg(ours_ape), avg(peer_ape),
            avg(blend_ape)
        from paired
        group by grouping sets ((1), (1, 2))
        order by 1, 2 nulls first""",
        [source, NOISY_FROM],  # the tuning year starts where the shared Open-Meteo archive does
    ).fetchall()
    print(
        f"  {'period':<22} {'month':<8} {'days':>5} {'hours':>6} {'ours %':>7} {'TEPCO at issue %':>17} {'blend %':>8}"
    )
    for period, month, days, hours, ours, peer, blend in rows:
        print(
            f"  {period:<22} {month or 'all':<8} {days:>5} {hours:>6} {ours:>7.2f} {peer:>17.2f} "
            f"{'' if blend is None else f'{blend:.2f}':>8}"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data"))
    ap.add_argument("--keep", default=None, help="work folder (reused: steps already done are skipped)")
    ap.add_argument("--seed", type=int, default=2023)
    args = ap.parse_args()
    t_start = time.perf_counter()
    ws = workspace(args.keep, "bench-peer-")
    print(ws.model_policy(), flush=True)
    db, env, dbt, common = ws.db, ws.env, ws.dbt, ws.common
    py = sys.executable
    charts = Path(args.data) / "tepco" / "intraday_forecast" / "electricity-tokyo_component-chart_history.tar.gz"
    noisy = [NOISY_FROM + timedelta(days=k) for k in range((LAST_PEER_DAY - NOISY_FROM).days + 1)]
    with SimulatorServer(args.data, "2023-04-01") as sim:
        env.update(sim.env())
        if not db.exists():
            run([py, "-m", "ingest", "backfill", "--start", "2016-04-01", "--end", "2023-03-31"], env, "backfill")
            run([py, "-m", "ingest", "live-archive", "--file", str(charts)], env, "TEPCO live vintages at 04:00")
        if not ws.noisy_vintages_current():  # merges replace the vintages of a reused folder in place
            print(f"… noisy forecast vintages for {len(noisy)} issue dates", flush=True)
            land_noisy_vintages(sim, args.seed, env, noisy)
            ws.mark_noisy_vintages()
        run(dbt + ["build", *common], env, "dbt build")
        seconds = {}
        for weather, start in (("oracle", FIRST_PEER_DAY), ("vintage", NOISY_FROM)):
            seconds[weather] = run(
                [
                    py,
                    "-m",
                    "ml",
                    "backtest",
                    "--start",
                    start.isoformat(),
                    "--end",
                    LAST_PEER_DAY.isoformat(),
                    "--every",
                    "1",
                    "--weather",
                    weather,
                    "--label",
                    f"peer-{weather}",
                ],
                env,
                f"backtests every day from {start}, {weather} weather",
            )
        run(dbt + ["build", "--select", "stg_ml__forecasts+", *common], env, "dbt build of the accuracy marts")
        report(db)
    print(
        f"\nbacktest wall time: oracle {seconds['oracle']:.0f} s, noisy {seconds['vintage']:.0f} s; "
        f"benchmark total {time.perf_counter() - t_start:.0f} s; warehouse {db}"
    )


if __name__ == "__main__":
    main()
