"""`python -m ml forecast|backtest|report`: 16-day hourly demand forecasts, and the local dashboard.

    python -m ml forecast [--as-of YYYY-MM-DD] [--retrain]
    python -m ml backtest --start D1 --end D2 [--every N] [--weather auto|vintage|oracle]
    python -m ml report [--out PATH]      (the static HTML dashboard, see ml/report.py)

Exit status: 0 written, 1 failed (message on stderr), 64 bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta, timezone

from ingest.__main__ import _date
from ingest.config import KNOWN_AREAS

JST = timezone(timedelta(hours=9))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ml", description="16-day hourly demand forecasts (XGBoost)")
    p.add_argument("--target", default=None, help="dev (DuckDB) or prod (BigQuery); env ENERGY_TARGET")
    p.add_argument("--area", default=os.environ.get("ENERGY_AREA", "tokyo"), choices=KNOWN_AREAS,
                   help="supply area (env ENERGY_AREA)")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("forecast", help="the daily forecast (run kind daily)")
    f.add_argument("--as-of", type=_date, default=None, help="issue date (JST), default today")
    f.add_argument("--retrain", action="store_true", help="train a new model even if a stored one is usable")
    f.add_argument("--retrain-days", type=int, default=7, help="reuse a stored model at most this old (days)")
    b = sub.add_parser("backtest", help="forecasts issued on past dates (run kind backtest)")
    b.add_argument("--start", type=_date, required=True)
    b.add_argument("--end", type=_date, required=True)
    b.add_argument("--every", type=int, default=1, help="days between issue dates")
    b.add_argument("--weather", choices=["auto", "vintage", "oracle"], default="auto",
                   help="auto: the vintage available at issue time if the warehouse has one, else observed "
                        "weather labelled oracle_observed")
    b.add_argument("--retrain-days", type=int, default=28, help="refit when the model is older than this")
    b.add_argument("--label", default=None, help="run id prefix (default backtest-<weather source>)")
    r = sub.add_parser("report", help="write the local HTML dashboard from the marts (opens offline)")
    r.add_argument("--out", default=None, help="default <data dir>/dashboard/index.html")
    return p


def daily_forecast(settings, area: str, issue, *, grid=None, retrain: bool = False,  # noqa: ANN001
                   retrain_days: int = 7, log=None, t_read: float | None = None) -> tuple[int, str]:
    """The daily forecast for one issue date: read features, pick or train the model, predict 384
    hours, merge them into raw.ml_forecasts. Returns (hours forecast, weather source). Shared by
    `python -m ml forecast` and the daily runner (`python -m pipeline daily`)."""
    from ml import io
    from ml.features import build_grid
    from ml.run import forecast_issue

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    models_dir = settings.data_dir / "models"
    t0 = time.perf_counter()
    if grid is None:
        grid = build_grid(io.read_features(settings, area))
        t_read = time.perf_counter() - t0
    weather = io.read_forecast_weather(settings, area, issue)
    res = forecast_issue(grid, issue, area, "daily", weather, models_dir,
                         retrain_days=retrain_days, force_retrain=retrain, log=log)
    t_w = time.perf_counter()
    report = io.write_forecasts(settings, res.rows, datetime.now(timezone.utc).replace(microsecond=0))
    written = report.rows_loaded.get("ml_forecasts", 0)
    print(f"forecast {res.run_id}: model {res.model.version} ({res.reason}); weather {res.weather_source}; "
          f"{len(res.rows)} hours {res.rows['target_hour_start_at'].min():%Y-%m-%d %H:%M} … "
          f"{res.rows['target_hour_start_at'].max():%Y-%m-%d %H:%M} UTC; {written} rows new or changed", flush=True)
    print(f"timings: read {t_read or 0:.1f} s, model {res.seconds['model']:.1f} s, predict "
          f"{res.seconds['predict']:.2f} s, write {time.perf_counter() - t_w:.1f} s", flush=True)
    return len(res.rows), res.weather_source


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return 64 if exc.code else 0
    if args.target:
        os.environ["ENERGY_TARGET"] = args.target
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    if args.command == "backtest" and (args.end < args.start or args.every < 1):
        print("error: need --start ≤ --end and --every ≥ 1", file=sys.stderr)
        return 64

    from ingest.config import Settings
    from ml import io
    from ml.features import build_grid
    from ml.run import forecast_issue

    settings = Settings()
    if args.command == "report":
        from pathlib import Path

        from ml import report as dashboard

        t0 = time.perf_counter()
        out = dashboard.write(settings, Path(args.out) if args.out else None, args.area)
        print(f"dashboard: {out} ({out.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - t0:.1f} s")
        return 0
    models_dir = settings.data_dir / "models"
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    try:
        grid = build_grid(io.read_features(settings, args.area))
        t_read = time.perf_counter() - t0
        if args.command == "forecast":
            daily_forecast(settings, args.area, args.as_of or datetime.now(JST).date(), grid=grid,
                           retrain=args.retrain, retrain_days=args.retrain_days, log=log, t_read=t_read)
            return 0
        issues = []
        d = args.start
        while d <= args.end:
            issues.append(d)
            d += timedelta(days=args.every)
        written = 0
        for n, issue in enumerate(issues, 1):
            weather = None if args.weather == "oracle" else io.read_forecast_weather(settings, args.area, issue)
            if args.weather == "auto" and weather is not None and weather.empty:
                weather = None
            res = forecast_issue(grid, issue, args.area, "backtest", weather, models_dir,
                                 retrain_days=args.retrain_days, run_label=args.label and f"{args.label}", log=log)
            report = io.write_forecasts(settings, res.rows, datetime.now(timezone.utc).replace(microsecond=0))
            written += report.rows_loaded.get("ml_forecasts", 0)
            log(f"[{n}/{len(issues)}] {res.run_id}: {res.weather_source}, model {res.model.version} "
                f"({'trained' if res.trained else 'reused'}), {time.perf_counter() - t0:.0f} s elapsed")
        print(f"backtest: {len(issues)} issue dates {issues[0]} … {issues[-1]}, {written} rows new or changed, "
              f"{time.perf_counter() - t0:.1f} s")
        return 0
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from ingest.__main__ import explain

        print(f"error: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
