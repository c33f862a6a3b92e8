"""`python -m ml forecast|backtest|report`: 16-day hourly demand forecasts, and the local dashboard.

    python -m ml forecast [--as-of YYYY-MM-DD] [--retrain]
    python -m ml backtest --start D1 --end D2 [--every N] [--weather auto|vintage|oracle|previous_runs]
    python -m ml report [--out PATH]      (the static HTML dashboard, see dashboard/)

Exit status: `core/exit_codes.py` (`ML`), printed by `--help`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core import settings as config
from core.errors import parse_date
from core.exit_codes import table as exit_table
from core.settings import KNOWN_AREAS


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ml",
        description="16-day hourly demand forecasts (XGBoost)",
        epilog="exit status:\n" + exit_table("ml"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--target", default=None, help="dev (DuckDB) or prod (BigQuery); env ENERGY_TARGET")
    p.add_argument("--area", default=config.area(), choices=KNOWN_AREAS, help="supply area (env ENERGY_AREA)")
    sub = p.add_subparsers(dest="command", required=True)
    f = sub.add_parser("forecast", help="the daily forecast (run kind daily)")
    f.add_argument("--as-of", type=parse_date, default=None, help="issue date (JST), default today")
    f.add_argument("--retrain", action="store_true", help="train a new model even if a stored one is usable")
    f.add_argument(
        "--retrain-days",
        type=int,
        default=None,
        help="reuse a stored model at most this old (days; default ENERGY_MODEL_MAX_AGE_DAYS, 14)",
    )
    t = sub.add_parser(
        "train",
        help="fit and store the model the daily forecasts reuse (the weekly step: run_daily.sh --train)",
    )
    t.add_argument("--as-of", type=parse_date, default=None, help="train on everything before this date (JST)")
    b = sub.add_parser("backtest", help="forecasts issued on past dates (run kind backtest)")
    b.add_argument("--start", type=parse_date, required=True)
    b.add_argument("--end", type=parse_date, required=True)
    b.add_argument("--every", type=int, default=1, help="days between issue dates")
    b.add_argument(
        "--weather",
        choices=["auto", "vintage", "oracle", "previous_runs"],
        default="auto",
        help="auto: the vintage available at issue time if the warehouse has one, else observed "
        "weather labelled oracle_observed; previous_runs: archived forecasts (ingest backfill "
        "--forecast-vintages) known by the issue time, the hours beyond their 7-day reach from the "
        "daily vintage if stored, else a climatological normal (ml/weather.py)",
    )
    b.add_argument(
        "--retrain-days",
        type=int,
        default=None,
        help="refit when the model is older than this (days; default ENERGY_MODEL_MAX_AGE_DAYS, 14: a backtest "
        "accepts no older model than the daily run does)",
    )
    b.add_argument("--label", default=None, help="run id prefix (default backtest-<weather source>)")
    r = sub.add_parser("report", help="write the local HTML dashboard from the marts (opens offline)")
    r.add_argument("--out", default=None, help="default <data dir>/dashboard/index.html")
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return 64 if exc.code else 0
    if args.target:
        config.export("ENERGY_TARGET", args.target)
    if args.command == "backtest" and (args.end < args.start or args.every < 1):
        print("error: need --start ≤ --end and --every ≥ 1", file=sys.stderr)
        return 64

    from core.errors import explain
    from core.settings import Settings
    from core.time import today_jst

    settings = Settings()
    if args.command == "report":
        import dashboard

        t0 = time.perf_counter()
        out = dashboard.write(settings, Path(args.out) if args.out else None, args.area)
        print(f"dashboard: {out} ({out.stat().st_size / 1024:.0f} KiB) in {time.perf_counter() - t0:.1f} s")
        return 0
    from ml import commands

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    try:
        if args.command == "train":
            version, seconds = commands.train_model(settings, args.area, args.as_of or today_jst(), log)
            print(f"train: {version} stored in {seconds:.1f} s")
        elif args.command == "forecast":
            commands.daily_forecast(
                settings,
                args.area,
                args.as_of or today_jst(),
                retrain=args.retrain,
                retrain_days=args.retrain_days,
                log=log,
            )
        else:
            commands.backtest(
                settings, args.area, args.start, args.end, args.every, args.weather, args.retrain_days, args.label, log
            )
        return 0
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        print(f"error: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
