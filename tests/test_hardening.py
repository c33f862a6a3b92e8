"""Abuse that real operation meets: crafted area names, a corrupted warehouse file, partial days."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
CRAFTED = "tokyo'; drop table raw.tepco_hourly; --"


def test_a_crafted_area_never_reaches_sql(ml_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import page as report
    from ml import io

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(ml_warehouse, db)
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(db))
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path))
    settings = Settings()
    with duckdb.connect(str(db), read_only=True) as con:
        (before,) = con.execute("select count(*) from raw.tepco_hourly").fetchone()
    for call in (
        lambda: io.read_features(settings, CRAFTED),
        lambda: io.read_forecast_weather(settings, CRAFTED, __import__("datetime").date(2024, 2, 20)),
        lambda: report.load(settings, CRAFTED),
    ):
        with pytest.raises(ValueError, match="unknown area"):
            call()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from raw.tepco_hourly").fetchone() == (before,)
    # the real area still reads, through bound parameters
    assert len(io.read_features(settings, "tokyo")) > 0


@pytest.mark.parametrize(
    "argv",
    [["-m", "ml", "--area", CRAFTED, "forecast"], ["-m", "pipeline", "daily", "--run-id", "x", "--area", CRAFTED]],
)
def test_the_command_lines_refuse_an_unknown_area(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 64 and "invalid choice" in proc.stderr


def test_a_corrupted_warehouse_says_so(tmp_path: Path, simulator, generated_data: Path) -> None:
    simulator(generated_data, "2024-02-20")
    db = tmp_path / "data" / "warehouse.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(os.urandom(20000))
    proc = subprocess.run(
        [sys.executable, "-m", "ingest", "daily", "--as-of", "2024-02-20"],
        cwd=REPO,
        env={**os.environ, "ENERGY_DUCKDB_PATH": str(db)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 3
    assert "the DuckDB warehouse file cannot be read (corrupted" in proc.stderr
    assert "not a valid DuckDB database file" in proc.stderr  # the real reason, not advice about credentials
