"""`python -m ingest daily|backfill …`: land TEPCO, Open-Meteo and holiday data in `raw`.

Exit status: `core/exit_codes.py` (`INGEST`), printed by `--help`.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core import settings as config
from core.errors import explain, parse_date
from core.exit_codes import INGEST_NOTHING as EXIT_NOTHING
from core.exit_codes import INGEST_OK as EXIT_OK
from core.exit_codes import INGEST_PARTIAL as EXIT_PARTIAL
from core.exit_codes import INGEST_WAREHOUSE as EXIT_WAREHOUSE
from core.exit_codes import USAGE as EXIT_USAGE
from core.exit_codes import table as exit_table
from core.time import ISSUE_HOUR_JST

#: Where the archive of TEPCO's live chart sits beside a checkout (../shared/data, see its README).
SHARED_CHART_ARCHIVE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "tepco"
    / "intraday_forecast"
    / "electricity-tokyo_component-chart_history.tar.gz"
)


def _hh_mm(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(p) for p in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants HH:MM, got {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise argparse.ArgumentTypeError(f"wants HH:MM, got {text!r}")
    return hour, minute


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description=__doc__.split("\n\n")[0],
        epilog="exit status:\n" + exit_table("ingest"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", default=None, help="dev (DuckDB, default) or prod (BigQuery); env ENERGY_TARGET")
    sub = parser.add_subparsers(dest="command", required=True)
    daily = sub.add_parser("daily", help="last days of TEPCO data, 10 past + 16 forecast days of weather, holidays")
    daily.add_argument("--as-of", type=parse_date, default=None, help="run as if today were this date (JST)")
    daily.add_argument(
        "--no-bootstrap",
        action="store_true",
        help="do not backfill missing history first (ENERGY_BOOTSTRAP_START, default 2016-04-01)",
    )
    backfill = sub.add_parser("backfill", help="history from yearly/monthly TEPCO files and the weather archive")
    backfill.add_argument("--start", type=parse_date, required=True)
    backfill.add_argument("--end", type=parse_date, required=True)
    backfill.add_argument("--no-weather", action="store_true", help="skip the Open-Meteo archive")
    backfill.add_argument(
        "--from-archive",
        action="store_true",
        help="replay: read every file from the raw-file archive (ENERGY_ARCHIVE_DIR / "
        "ENERGY_ARCHIVE_URL) instead of upstream",
    )
    backfill.add_argument(
        "--forecast-vintages",
        action="store_true",
        help="only the archived weather forecasts of Open-Meteo's Previous Runs API for those days "
        "(every point, lead days 1–7, model OPEN_METEO_PREVIOUS_RUNS_MODEL), paced to the free tier's "
        "limits; TEPCO and observed weather are not fetched",
    )
    backfill.add_argument(
        "--archive-date",
        type=parse_date,
        default=None,
        help="with --from-archive: use the copies fetched on or before this date",
    )
    live = sub.add_parser(
        "live-archive",
        help="land TEPCO's forecast as it stood each morning, from the archive of TEPCO's live chart",
        description="One vintage of TEPCO's live same-day file per archived day: the latest snapshot at or "
        "before --at (JST) of that day. Default: the issue time, 04:00, so the accuracy marts can score "
        "TEPCO's forecast as known when ours was issued (model tepco_at_issue).",
    )
    live.add_argument(
        "--file",
        type=Path,
        default=SHARED_CHART_ARCHIVE,
        help="the snapshot archive (tar.gz or folder; default ../shared/data/tepco/intraday_forecast/…)",
    )
    live.add_argument("--at", type=_hh_mm, default=(ISSUE_HOUR_JST, 0), help="HH:MM JST (default 04:00)")
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
        config.export("ENERGY_TARGET", args.target)
    logging.basicConfig(level=config.log_level())

    from core.settings import Settings
    from ingest.commands import LiveDateError, run_backfill, run_daily, run_live_archive

    settings = Settings()
    if args.command == "check":
        from ingest import doctor

        return doctor.run(settings)
    if args.command == "alert":
        from core import alerts

        body = open(args.body_file, encoding="utf-8", errors="replace").read() if args.body_file else sys.stdin.read()
        for line in alerts.send(args.subject, body):
            print(f"alert {line}")
        return EXIT_OK
    if args.command == "runlog":
        from core import runlog

        try:
            n = runlog.flush(settings)
        except Exception as exc:  # noqa: BLE001 - the spool stays; the next run loads it
            print(
                f"run log not loaded ({type(exc).__name__}: {exc}); records stay in "
                f"{runlog.spool_path(settings)} for the next run",
                file=sys.stderr,
            )
            return EXIT_PARTIAL
        print(f"run log: {n} stage records loaded into raw.pipeline_runs")
        return EXIT_OK
    if args.command == "backfill" and args.end < args.start:
        print("error: --end is before --start", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "live-archive" and not args.file.exists():
        print(f"error: {args.file} does not exist (--file)", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "daily":
            report = run_daily(settings, args.as_of, bootstrap=not args.no_bootstrap)
        elif args.command == "live-archive":
            report = run_live_archive(settings, args.file, *args.at)
        else:
            report = run_backfill(
                settings,
                args.start,
                args.end,
                weather=not args.no_weather,
                from_archive=args.from_archive,
                archive_date=args.archive_date,
                forecast_vintages=args.forecast_vintages,
            )
    except LiveDateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a clear line instead of a traceback, and a distinct code
        print(f"error: nothing was loaded: {explain(exc)}", file=sys.stderr)
        return EXIT_WAREHOUSE
    print(report.summary(), flush=True)
    rc = report.exit_code()
    if rc == EXIT_NOTHING and report.unreachable:
        print(f"error: {report.outage_line()}", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
