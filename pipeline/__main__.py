"""`python -m pipeline daily`: the stages of the daily job in one process (run_daily.sh calls it).

    python -m pipeline daily --run-id ID [--as-of YYYY-MM-DD] [--target dev|prod]
                             [--skip-ingest] [--skip-forecast] [--docs] [--train]

Use `run_daily.sh` rather than this directly: it adds the lock, the log file and the alerts.
Exit codes: core/exit_codes.py (`DAILY`; 64 = bad arguments).
"""

from __future__ import annotations

import argparse
import sys

from core import settings as config
from core.errors import parse_date
from core.settings import KNOWN_AREAS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline", description="the daily job's stages")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("daily")
    d.add_argument("--run-id", required=True)
    d.add_argument("--as-of", type=parse_date, default=None)
    d.add_argument("--target", default=config.target())
    d.add_argument("--area", default=config.area(), choices=KNOWN_AREAS, help="supply area (env ENERGY_AREA)")
    d.add_argument("--skip-ingest", action="store_true")
    d.add_argument("--skip-forecast", action="store_true")
    d.add_argument("--docs", action="store_true")
    d.add_argument("--train", action="store_true", help="only refit the model (the weekly step)")
    d.add_argument("--git-revision", default=None)
    d.add_argument("--log-file", default="")
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:
        return 64 if exc.code else 0
    from ingest.commands import LiveDateError, check_as_of

    try:
        check_as_of(args.as_of)
    except LiveDateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2  # run_daily.sh: bad arguments
    from pipeline.daily import DailyOptions, git_revision, main_daily

    return main_daily(
        DailyOptions(
            run_id=args.run_id,
            as_of=args.as_of,
            target=args.target,
            skip_ingest=args.skip_ingest,
            skip_forecast=args.skip_forecast,
            docs=args.docs,
            train=args.train,
            area=args.area,
            git_revision=args.git_revision or git_revision(),
            log_file=args.log_file,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
