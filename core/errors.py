"""Errors as a user reads them: one line they can act on, and dates parsed from arguments.

Every entry point (`python -m ingest`, `python -m ml`, `python -m pipeline`) prints failures
through `explain`, so the same failure reads the same wherever it happens.
"""

from __future__ import annotations

import argparse
from datetime import date


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
        return (
            "the DuckDB warehouse is locked by another process (a BI tool, `dbt docs serve`, a stuck run?): "
            f"close it and run again ({reason})"
        )
    if "no space left" in low:
        return f"the disk is full: free space under ENERGY_DATA_DIR and run again ({reason})"
    if any(
        k in low
        for k in (
            "not a valid duckdb database",
            "corrupt",
            "invalid input error: file",
            "is not a duckdb",
            "serialization error",
            "checksum",
        )
    ):
        return (
            f"the DuckDB warehouse file cannot be read (corrupted, or not a DuckDB file): move it aside "
            f"(ENERGY_DUCKDB_PATH); the next run's bootstrap rebuilds the history, or replay the raw-file "
            f"archive with `python -m ingest backfill --from-archive` ({reason})"
        )
    if root is not exc:
        first = " ".join(text.splitlines()[0].split())[:160]
        return f"{first} — cause: {reason}"
    return " ".join(text.split())[:300]


def parse_date(value: str) -> date:
    """An argparse type: a YYYY-MM-DD date, or a clear usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2024-06-01") from None
