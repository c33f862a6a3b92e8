"""`python -m ingest daily|backfill …`: land TEPCO, Open-Meteo and holiday data in `raw`.

Exit status: 0 loaded (months not yet published are listed in the summary); 1 partial: some
upstream kept failing, or something was set aside (a file or rows quarantined; everything else
was loaded); 2 nothing could be loaded (every upstream unreachable, or nothing arrived); 3 the
warehouse could not be written (locked by another process, disk full, bad credentials, a
corrupted file); 64 bad arguments (including an --as-of a live upstream cannot serve).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date

EXIT_OK, EXIT_PARTIAL, EXIT_NOTHING, EXIT_WAREHOUSE, EXIT_USAGE = 0, 1, 2, 3, 64


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (dlt wraps the destination's error several times)."""
    seen = set()
    while id(exc) not in seen and (exc.__cause__ or exc.__context__) is not None:
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return exc


def explain(exc: BaseException) -> str:
    """One line a user can act on, for the failures that happen in real operation.

    The whole message and the root of the exception chain are searched, not only the first line:
    dlt puts advice about credentials first and the destination's real reason (a lock, a corrupted
    file, a full disk) further down.
    """
    root = root_cause(exc)
    text = f"{type(exc).__name__}: {exc}"
    full = f"{text}\n{type(root).__name__}: {root}"
    low = full.lower()
    reason = " ".join(f"{type(root).__name__}: {root}".split())[:240]
    if "lock" in low and "conflicting" in low:
        return ("the DuckDB warehouse is locked by another process (a BI tool, `dbt docs serve`, a stuck run?): "
                f"close it and run again ({reason})")
    if "no space left" in low:
        return f"the disk is full: free space under ENERGY_DATA_DIR and run again ({reason})"
    if any(k in low for k in ("not a valid duckdb database", "corrupt", "invalid input error: file",
                              "is not a duckdb", "serialization error", "checksum")):
        return (f"the DuckDB warehouse file cannot be read (corrupted, or not a DuckDB file): move it aside "
                f"(ENERGY_DUCKDB_PATH); the next run's bootstrap rebuilds the history, or replay the raw-file "
                f"archive with `python -m ingest backfill --from-archive` ({reason})")
    if root is not exc:
        first = " ".join(text.splitlines()[0].split())[:160]
        return f"{first} — cause: {reason}"
    return " ".join(text.split())[:300]


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
    daily.add_argument("--no-bootstrap", action="store_true",
                       help="do not backfill missing history first (ENERGY_BOOTSTRAP_START, default 2016-04-01)")
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

    from ingest.commands import LiveDateError, run_backfill, run_daily
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
            report = run_daily(settings, args.as_of, bootstrap=not args.no_bootstrap)
        else:
            report = run_backfill(settings, args.start, args.end, weather=not args.no_weather,
                                  from_archive=args.from_archive, archive_date=args.archive_date)
    except LiveDateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a clear line instead of a traceback, and a distinct code
        print(f"error: nothing was loaded: {explain(exc)}", file=sys.stderr)
        return EXIT_WAREHOUSE
    print(report.summary(), flush=True)
    rc = exit_code(report)
    if rc == EXIT_NOTHING and report.unreachable:
        print(f"error: {report.outage_line()}", file=sys.stderr)
    return rc


def exit_code(report: "RunReport") -> int:  # noqa: F821 - imported lazily to keep --help fast
    """0 loaded, 1 partial (an upstream kept failing or something was set aside), 2 nothing arrived."""
    if report.nothing_loaded:
        return EXIT_NOTHING
    if report.errors or report.unreachable or report.newly_set_aside:
        return EXIT_PARTIAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
