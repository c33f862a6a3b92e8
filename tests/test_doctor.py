"""`python -m ingest check`: each check says what is wrong and what to do about it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.settings import Settings
from ingest import doctor
from ingest.__main__ import main as ingest_main


def test_a_world_readable_bigquery_key_fails_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "sa.json"
    key.write_text("{}")
    key.chmod(0o644)
    monkeypatch.setenv("ENERGY_TARGET", "prod")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key))
    (check,) = [c for c in doctor.check_credentials(Settings()) if c.name == "BigQuery credentials"]
    assert check.status == "fail" and check.fix == f"chmod 600 {key}"
    key.chmod(0o600)
    (check,) = [c for c in doctor.check_credentials(Settings()) if c.name == "BigQuery credentials"]
    assert check.status == "ok"
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    (check,) = [c for c in doctor.check_credentials(Settings()) if c.name == "BigQuery credentials"]
    assert check.status == "fail" and "does not exist" in check.detail


def test_an_unwritable_archive_or_data_folder_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ENERGY_ARCHIVE_DIR", str(blocker / "archive"))
    (check,) = doctor.check_archive(Settings())
    assert check.status == "fail" and "ENERGY_ARCHIVE_DIR" in check.fix
    monkeypatch.setenv("ENERGY_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("ENERGY_ARCHIVE_RETENTION_DAYS", "400")
    (check,) = doctor.check_archive(Settings())
    assert check.status == "ok" and "retention 400 d" in check.detail
    monkeypatch.setenv("ENERGY_DATA_DIR", str(blocker / "data"))
    (check,) = [c for c in doctor.check_config(Settings()) if c.name == "data dir"]
    assert check.status == "fail" and "ENERGY_DATA_DIR" in check.fix


def test_the_whole_check_exits_1_on_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("ENERGY_TARGET", "staging")  # not a target
    monkeypatch.setattr(doctor, "check_upstreams", lambda settings: [])  # no network here
    monkeypatch.setattr(doctor, "check_warehouse", lambda settings: [])  # dbt debug: slow, not the point here
    assert ingest_main(["check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL target" in out and "use dev (DuckDB) or prod (BigQuery)" in out
    assert os.path.isdir(tmp_path / "data")
