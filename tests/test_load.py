"""The raw-table loader (core/load.py): only changed rows merge, and nothing is lost to a load an
earlier run left pending."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.load import LoadStats, load, prepare, spec
from core.outputs import ml_forecasts
from core.settings import Settings
from core.warehouse import Reader, make_pipeline
from ingest.quarantine import quarantine_events


def forecasts(run_id: str, value: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [run_id],
            "area": ["tokyo"],
            "model": ["xgboost"],
            "target_hour_start_at": [pd.Timestamp("2024-06-01 00:00", tz="UTC")],
            "predicted_mw": [value],
        }
    )


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    return Settings()


def rows(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        return con.execute("select run_id, predicted_mw from raw.ml_forecasts order by 1").fetchall()


def test_only_new_or_changed_rows_merge(settings: Settings) -> None:
    stats = LoadStats()
    load(make_pipeline(settings), [ml_forecasts(forecasts("a", 1.0))], stats)
    load(make_pipeline(settings), [ml_forecasts(forecasts("a", 1.0))], stats)
    assert stats.rows_fetched == {"ml_forecasts": 2} and stats.rows_loaded == {"ml_forecasts": 1}
    load(make_pipeline(settings), [ml_forecasts(forecasts("a", 2.0))], stats)
    assert stats.rows_loaded == {"ml_forecasts": 2} and rows(settings) == [("a", 2.0)]


@pytest.mark.parametrize("killed_after", ["extract", "normalize"])
def test_a_load_left_pending_is_finished_first_and_this_runs_rows_still_land(
    settings: Settings, killed_after: str
) -> None:
    load(make_pipeline(settings), [ml_forecasts(None)], LoadStats())  # the table exists
    pipe = make_pipeline(settings)
    # an earlier run got its rows this far, then was killed before its load step
    read = Reader(pipe)
    pipe.extract(prepare(ml_forecasts(forecasts("killed", 1.0)), pipe, read, LoadStats()))
    read.close()
    if killed_after == "normalize":
        pipe.normalize()
    assert pipe.has_pending_data
    stats = LoadStats()
    load(make_pipeline(settings), [ml_forecasts(forecasts("today", 2.0))], stats)
    assert rows(settings) == [("killed", 1.0), ("today", 2.0)]
    assert stats.rows_loaded == {"ml_forecasts": 1}


def test_the_key_keeps_the_order_the_resource_states() -> None:
    assert spec(quarantine_events).key == ["run_id", "source_name", "file_name", "line_number"]
    assert spec(ml_forecasts).key == ["run_id", "area", "model", "target_hour_start_at"]
