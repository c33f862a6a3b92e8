"""Every model compiles for BigQuery (against the local emulator) and parses as BigQuery SQL.

The emulator is more lenient than BigQuery (it accepts TIMESTAMP = DATETIME), so besides the
parse we check that no DuckDB-only construct leaks into the BigQuery SQL: dialect differences
must live in the dispatched macros.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot

from tests.dbt_helpers import REPO, dbt

DUCKDB_ONLY = [
    r"\bto_hours\(",
    r"\bto_days\(",
    r"\bepoch\(",
    r"\bisodow\(",
    r"\bgenerate_series\(",
    r"\btry_cast\(",
    r"::",
    r"\btimezone\(",
    r"\bmedian\(",
    r"\btimestamptz\b",
    r"\bdouble\b",
    r'"[a-z_]+"\."[a-z_]+"',
]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    endpoint = os.environ.get("BQ_API_ENDPOINT")
    if not endpoint:
        pytest.skip("BQ_API_ENDPOINT is not set: scripts/test.sh starts the BigQuery emulator (scripts/bq_emulator.sh)")
    target = tmp_path_factory.mktemp("bq_target")
    proc = dbt("compile", "--target", "bq_emu", db=target / "unused.duckdb", target_dir=target, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return target / "compiled" / "energy_forecast"


def test_every_model_compiles_and_parses_as_bigquery(compiled: Path) -> None:
    models = sorted((compiled / "models").rglob("*.sql"))
    expected = {p.stem for p in (REPO / "models").rglob("*.sql")}
    assert {p.stem for p in models if p.parent.suffix != ".yml"} >= expected
    for path in sorted(compiled.rglob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        sqlglot.parse(sql, read="bigquery", error_level=sqlglot.ErrorLevel.RAISE)
        for pattern in DUCKDB_ONLY:
            assert not re.search(pattern, sql, flags=re.IGNORECASE), f"{path.name}: DuckDB-only {pattern!r}"


def test_the_bigquery_sql_parses_with_sqlfluff(compiled: Path) -> None:
    """The BigQuery syntax gate: sqlfluff's BigQuery parser on the compiled SQL (parse errors only,
    e.g. a reserved word used as a name, which the emulator accepts). Its style is what the DuckDB
    lint (scripts/lint_sql.sh) checks: the compiled SQL keeps the macros' whitespace."""
    sqlfluff = Path(sys.executable).with_name("sqlfluff")
    if not sqlfluff.exists():
        pytest.skip("sqlfluff is not installed (the `lint` extra: scripts/bootstrap.sh lint)")
    proc = subprocess.run(
        [str(sqlfluff), "lint", str(compiled), "--templater", "raw", "--dialect", "bigquery"]
        + ["--ignore-local-config", "--exclude-rules", "all", "--processes", "0"],
        capture_output=True,
        text=True,
        cwd=compiled,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]  # every finding is a parse error


# -- TIMESTAMP versus DATETIME ------------------------------------------------------------------
# BigQuery refuses to compare a TIMESTAMP (an instant: our *_at columns) with a DATETIME (a wall
# clock: our *_jst hours); the emulator and DuckDB accept it. So: give sqlglot the column types of
# every relation (from a DuckDB build of the same project: TIMESTAMPTZ ↔ BigQuery TIMESTAMP,
# naive TIMESTAMP ↔ DATETIME), let it infer the type of every expression in the BigQuery SQL, and
# flag any comparison, IN, BETWEEN or COALESCE that mixes the two.
DUCKDB_TO_BIGQUERY = {
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
    "TIMESTAMP": "DATETIME",
    "DATE": "DATE",
    "VARCHAR": "STRING",
    "BIGINT": "INT64",
    "INTEGER": "INT64",
    "HUGEINT": "INT64",
    "SMALLINT": "INT64",
    "DOUBLE": "FLOAT64",
    "FLOAT": "FLOAT64",
    "BOOLEAN": "BOOL",
    "DECIMAL": "NUMERIC",
}


def bigquery_schema(db: Path, project: str = "demo-project") -> dict:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        ).fetchall()
    schema: dict = {project: {}}
    for dataset, table, column, dtype in rows:
        schema[project].setdefault(dataset, {}).setdefault(table, {})[column] = DUCKDB_TO_BIGQUERY.get(
            dtype.split("(")[0], "STRING"
        )
    return schema


def mixed_time_types(sql: str, schema: dict) -> list[str]:
    """Expressions of `sql` (BigQuery) that mix a TIMESTAMP with a DATETIME."""
    from sqlglot import exp
    from sqlglot.optimizer.annotate_types import annotate_types
    from sqlglot.optimizer.qualify import qualify

    tree = qualify(
        sqlglot.parse_one(sql, read="bigquery"), schema=schema, dialect="bigquery", validate_qualify_columns=False
    )
    tree = annotate_types(tree, schema=schema, dialect="bigquery")
    zoned = {exp.DataType.Type.TIMESTAMPTZ, exp.DataType.Type.TIMESTAMPLTZ}
    naive = {exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME}

    def kinds(*nodes: exp.Expression) -> set[str]:
        out = set()
        for n in nodes:
            t = n.type.this if n.type is not None else None
            out |= {"zoned"} if t in zoned else {"naive"} if t in naive else set()
        return out

    found = []
    for node in tree.find_all(exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.In, exp.Between, exp.Coalesce):
        if isinstance(node, exp.In):
            parts = [node.this, *node.expressions]
        elif isinstance(node, exp.Between):
            parts = [node.this, node.args["low"], node.args["high"]]
        elif isinstance(node, exp.Coalesce):
            parts = [node.this, *node.expressions]
        else:
            parts = [node.left, node.right]
        if kinds(*parts) == {"zoned", "naive"}:
            found.append(node.sql("bigquery")[:160])
    return found


@pytest.fixture(scope="module")
def schema(ml_warehouse: Path) -> dict:
    return bigquery_schema(ml_warehouse)


def test_the_type_check_sees_a_mix(schema: dict) -> None:
    fq = "`demo-project`.`analytics_marts`.`fct_forecasts`"
    assert mixed_time_types(f"select 1 from {fq} where target_hour_start_at = target_hour_start_jst", schema)
    assert mixed_time_types(
        f"with x as (select datetime(issued_at, 'Asia/Tokyo') as a, issued_at as b from {fq}) "
        "select 1 from x where a < b",
        schema,
    )
    assert not mixed_time_types(
        f"select 1 from {fq} where target_hour_start_at >= timestamp_add(issued_at, interval 1 hour)", schema
    )


def test_no_model_mixes_timestamp_and_datetime(compiled: Path, schema: dict) -> None:
    checked, mixed = 0, []
    for path in sorted(compiled.rglob("*.sql")):
        found = mixed_time_types(path.read_text(encoding="utf-8"), schema)
        checked += 1
        mixed += [f"{path.name}: {f}" for f in found]
    assert checked > 100
    assert mixed == []
