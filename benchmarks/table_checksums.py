"""Row counts and checksums of the raw tables and business marts of a DuckDB warehouse.

    python -m benchmarks.table_checksums WAREHOUSE.duckdb [--json OUT] [--compare OTHER.json]

Proves a refactor kept behaviour: run `make bench-operation` (or any fixed sequence of runs) before
and after, then compare. Each table's checksum is the sum of a hash of every row over its keys and
values, leaving out the columns that differ on every run by design (`VOLATILE`): load times, dlt's
bookkeeping, run ids, wall-clock stamps and durations, the git revision. Tables whose every row is
one run's record (`raw.pipeline_runs`) are compared on their stable columns only, without the
`content_hash` that hashes the left-out ones.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import duckdb

# columns that differ on every run by design (matched against the column name)
VOLATILE = re.compile(
    r"^_dlt_|loaded_at|run_id$|^run_started|^started_at|^finished_at|^ended_at|^created_at|"
    r"trained_at|duration|wall_|^git_|^revision|^host|^pid$|^generated_at|^log_path|^error$|"
    r"^archive_path|^quarantine_path|^model_path|^model_version|^model_id|^log_file"
)
MARTS = [
    "fct_demand_hourly",
    "fct_features_hourly",
    "fct_forecasts",
    "fct_forecast_errors",
    "rpt_forecast_accuracy_by_horizon",
    "rpt_forecast_accuracy_daily",
    "dim_calendar",
    "fct_weather_area_hourly",
]


def table_checksums(db: Path) -> dict[str, dict]:
    out: dict[str, dict] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        rels = con.execute("""select table_schema, table_name from information_schema.tables
                              where table_schema = 'raw' and table_name not like '_dlt%'
                              order by 1, 2""").fetchall()
        rels += [
            (s, t)
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables where table_schema like '%marts'"
            ).fetchall()
            if t in MARTS
        ]
        for schema, table in sorted(rels):
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by column_name",
                    [schema, table],
                ).fetchall()
            ]
            kept = [c for c in cols if not VOLATILE.search(c)]
            # content_hash hashes a row's key and values: where those include a column left out
            # (run ids, a run's wall-clock times), leave it out too
            if any(c not in ("loaded_at", "created_at") and not c.startswith("_dlt_") for c in set(cols) - set(kept)):
                kept = [c for c in kept if c != "content_hash"]
            row = ", ".join(f'"{c}"' for c in kept)
            n, s = con.execute(
                f"select count(*), coalesce(sum(hash(row({row})::varchar)::hugeint), 0)::varchar "
                f'from "{schema}"."{table}"'
            ).fetchone()
            out[f"{schema}.{table}"] = {"rows": n, "checksum": s, "left_out": [c for c in cols if c not in kept]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("--json", type=Path, help="write the figures here")
    ap.add_argument("--compare", type=Path, help="an earlier --json to compare with")
    args = ap.parse_args()
    sums = table_checksums(args.db)
    if args.json:
        args.json.write_text(json.dumps(sums, indent=1))
    other = json.loads(args.compare.read_text()) if args.compare else {}
    differ = 0
    for name, v in sums.items():
        verdict = ""
        if other:
            o = other.get(name)
            same = o is not None and (o["rows"], o["checksum"]) == (v["rows"], v["checksum"])
            differ += not same
            verdict = "same" if same else f"DIFFERS (was {o and o['rows']} rows, {o and o['checksum']})"
        print(f"{name:<52} {v['rows']:>9} rows  {v['checksum']:>24}  {verdict}  left out: {','.join(v['left_out'])}")
    for name in sorted(set(other) - set(sums)):
        differ += 1
        print(f"{name:<52} MISSING now")
    if other:
        print(f"{len(sums)} tables, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
