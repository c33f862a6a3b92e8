"""Every model compiles for BigQuery (against the local emulator) and parses as BigQuery SQL.

The emulator is more lenient than BigQuery (it accepts TIMESTAMP = DATETIME), so besides the
parse we check that no DuckDB-only construct leaks into the BigQuery SQL: dialect differences
must live in the dispatched macros.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlglot

from tests.dbt_helpers import REPO, dbt

DUCKDB_ONLY = [r"\bto_hours\(", r"\bto_days\(", r"\bepoch\(", r"\bisodow\(", r"\bgenerate_series\(",
               r"\btry_cast\(", r"::", r"\btimezone\(", r"\bmedian\(", r"\btimestamptz\b", r"\bdouble\b",
               r'"[a-z_]+"\."[a-z_]+"']


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
