"""`python -m ingest daily|backfill …`: land TEPCO, Open-Meteo and holiday data in `raw`.

Exit status: 0 loaded (warnings such as quarantined files or months not yet
published are in the summary); 1 some upstream kept failing (everything else was
loaded); 2 nothing could be loaded; 64 bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2, 64


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2024-06-01") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", default=None, help="dev (DuckDB, default) or prod (BigQuery); env ENERGY_TARGET")
    sub = parser.add_subparsers(dest="command", required=True)
    daily = sub.add_parser("daily", help="last days of TEPCO data, 10 past + 16 forecast days of weather, holidays")
    daily.add_argument("--as-of", type=_date, default=None, help="run as if today were this date (JST)")
    backfill = sub.add_parser("backfill", help="history from yearly/monthly TEPCO files and the weather archive")
    backfill.add_argument("--start", type=_date, required=True)
    backfill.add_argument("--end", type=_date, required=True)
    backfill.add_argument("--no-weather", action="store_true", help="skip the Open-Meteo archive")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    if args.target:
        os.environ["ENERGY_TARGET"] = args.target
    logging.basicConfig(level=os.environ.get("ENERGY_LOG_LEVEL", "WARNING"))
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

    from ingest.commands import run_backfill, run_daily
    from ingest.config import Settings

    settings = Settings()
    if args.command == "daily":
        report = run_daily(settings, args.as_of)
    else:
        if args.end < args.start:
            print("error: --end is before --start", file=sys.stderr)
            return EXIT_USAGE
        report = run_backfill(settings, args.start, args.end, weather=not args.no_weather)
    print(report.summary(), flush=True)
    if report.nothing_loaded:
        return EXIT_NOTHING
    if report.errors:
        return EXIT_PARTIAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
