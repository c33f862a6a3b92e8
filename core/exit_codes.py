"""Every exit code the project's commands return, defined once.

`run_daily.sh --help` prints the daily table (this file is stdlib-only, so the system python3 can run
it before `.venv` exists), the daily runner returns these codes, and a test keeps the README's
tables equal to these.

    python3 core/exit_codes.py [daily|ingest|ml]     # print a table
    python3 core/exit_codes.py --stage-of RC         # the stage a run_daily.sh exit code belongs to
"""

from __future__ import annotations

import sys
from typing import NamedTuple


class ExitCode(NamedTuple):
    code: int
    stage: str
    meaning: str


#: `run_daily.sh` (and `python -m pipeline daily`): one code per failing stage; dbt's own 1/2 are
#: added to the stage's tens where they say more.
DAILY: tuple[ExitCode, ...] = (
    ExitCode(0, "", "every stage succeeded"),
    ExitCode(2, "setup", "bad arguments (also an --as-of after today against a live upstream)"),
    ExitCode(10, "setup", "another run holds the lock"),
    ExitCode(11, "setup", "environment setup failed"),
    ExitCode(
        21,
        "ingest",
        "ingest loaded only part (an upstream kept failing, or files/rows were set aside; later stages ran)",
    ),
    ExitCode(22, "ingest", "ingest loaded nothing or could not write the warehouse (later stages skipped)"),
    ExitCode(30, "freshness", "dbt source freshness: a source is stale (the build still ran; see the log)"),
    ExitCode(41, "build", "dbt build: a model or test failed"),
    ExitCode(42, "build", "dbt build: dbt itself errored"),
    ExitCode(50, "forecast", "forecast failed"),
    ExitCode(61, "accuracy", "accuracy marts: a model or test failed"),
    ExitCode(62, "accuracy", "accuracy marts: dbt itself errored"),
    ExitCode(71, "docs", "dbt docs generate: a node failed"),
    ExitCode(72, "docs", "dbt docs generate: dbt itself errored"),
    ExitCode(80, "train", "model training failed (run_daily.sh --train; the stored model stays in use)"),
)

#: `python -m ingest daily|backfill`
INGEST_OK, INGEST_PARTIAL, INGEST_NOTHING, INGEST_WAREHOUSE, USAGE = 0, 1, 2, 3, 64
INGEST: tuple[ExitCode, ...] = (
    ExitCode(INGEST_OK, "ingest", "loaded"),
    ExitCode(
        INGEST_PARTIAL,
        "ingest",
        "partial: some upstream kept failing, or something was set aside (everything else was loaded)",
    ),
    ExitCode(INGEST_NOTHING, "ingest", "nothing could be loaded (every upstream unreachable, or nothing arrived)"),
    ExitCode(
        INGEST_WAREHOUSE,
        "ingest",
        "the warehouse could not be written or read (locked, disk full, credentials, a corrupted file)",
    ),
    ExitCode(USAGE, "ingest", "bad arguments"),
)

#: `python -m ml forecast|backtest|report`
ML: tuple[ExitCode, ...] = (
    ExitCode(0, "forecast", "written"),
    ExitCode(1, "forecast", "failed (message on stderr)"),
    ExitCode(USAGE, "forecast", "bad arguments"),
)

TABLES = {"daily": DAILY, "ingest": INGEST, "ml": ML}


def daily_code(stage: str, dbt_code: int = 0) -> int:
    """The run_daily.sh code of a failing stage: its tens plus dbt's 1/2 where dbt ran."""
    codes = [c.code for c in DAILY if c.stage == stage and c.code]
    return codes[min(dbt_code, len(codes)) - 1] if dbt_code else codes[0]


def stage_of(code: int) -> str:
    """The stage a run_daily.sh exit code belongs to ("" for 0 and codes of no stage)."""
    if code > 128:
        return f"killed by signal {code - 128}"
    return next((c.stage for c in DAILY if c.code == code), "")


def table(name: str) -> str:
    return "\n".join(f"  {c.code:>3}  {c.meaning}" for c in TABLES[name])


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--stage-of"] and len(args) == 2:
        print(stage_of(int(args[1])))
    else:
        print(table(args[0] if args else "daily"))
