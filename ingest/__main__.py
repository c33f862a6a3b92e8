"""`python -m ingest daily|backfill …`: land TEPCO, Open-Meteo and holiday data in `raw`.

Exit status: 0 loaded (warnings such as quarantined files or months not yet
published are in the summary); 1 some upstream kept failing (everything else was
loaded); 2 nothing could be loaded; 3 the warehouse could not be written (locked by
another process, disk full, bad credentials); 64 bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING, EXIT_WAREHOUSE, EXIT_USAGE = 0, 1, 2, 3, 64


def explain(exc: BaseException) -> str:
    """One line a user can act on, for the failures that happen in real operation."""
    text = f"{type(exc).__name__}: {exc}"
    if "lock" in text.lower() and "conflicting" in text.lower():
        return ("the DuckDB warehouse is locked by another process (a BI tool, `dbt docs serve`, a stuck run?): "
                f"close it and run again ({text.splitlines()[0][:200]})")
    if "No space left" in text:
        return f"the disk is full: free space under ENERGY_DATA_DIR and run again ({text[:200]})"
    return text.splitlines()[0][:300]


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
    backfill.add_argument("--from-archive", action="store_true",
                          help="replay: read every file from the raw-file archive (ENERGY_ARCHIVE_DIR / "
                               "ENERGY_ARCHIVE_URL) instead of upstream")
    backfill.add_argument("--archive-date", type=_date, default=None,
                          help="with --from-archive: use the copies fetched on or before this date")
    rl = sub.add_parser("runlog", help="load the pipeline run-log spool into raw.pipeline_runs")
    rl.add_argument("action", choices=["flush"])
    sub.add_parser("check", help="doctor: configuration, credentials, warehouse, upstreams, disk")
    al = sub.add_parser("alert", help="send an alert (webhook / e-mail from .env); secrets are redacted")
    al.add_argument("--subject", required=True)
    al.add_argument("--body-file", default=None, help="file with the message body (default: stdin)")
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
    if args.command == "check":
        from ingest import doctor

        return doctor.run(settings)
    if args.command == "alert":
        from ingest import alerts

        body = open(args.body_file, encoding="utf-8", errors="replace").read() if args.body_file else sys.stdin.read()
        for line in alerts.send(args.subject, body):
            print(f"alert {line}")
        return EXIT_OK
    if args.command == "runlog":
        from ingest import runlog

        try:
            n = runlog.flush(settings)
        except Exception as exc:  # noqa: BLE001 - the spool stays; the next run loads it
            print(f"run log not loaded ({type(exc).__name__}: {exc}); records stay in "
                  f"{runlog.spool_path(settings)} for the next run", file=sys.stderr)
            return EXIT_PARTIAL
        print(f"run log: {n} stage records loaded into raw.pipeline_runs")
        return EXIT_OK
    if args.command == "backfill" and args.end < args.start:
        print("error: --end is before --start", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "daily":
            report = run_daily(settings, args.as_of)
        else:
            report = run_backfill(settings, args.start, args.end, weather=not args.no_weather,
                                  from_archive=args.from_archive, archive_date=args.archive_date)
    except Exception as exc:  # noqa: BLE001 - a clear line instead of a traceback, and a distinct code
        print(f"error: nothing was loaded: {explain(exc)}", file=sys.stderr)
        return EXIT_WAREHOUSE
    print(report.summary(), flush=True)
    return exit_code(report)


def exit_code(report: "RunReport") -> int:  # noqa: F821 - imported lazily to keep --help fast
    """0 loaded, 1 partial (an upstream kept failing), 2 nothing arrived from upstream."""
    if report.nothing_loaded:
        return EXIT_NOTHING
    if report.errors:
        return EXIT_PARTIAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
