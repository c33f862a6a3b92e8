"""Raw tables the project writes itself (not an upstream): the ML forecasts and the run log.

dbt reads both as sources, so the first ingestion creates them empty (`ingest.commands`) before a
forecast or a run record exists. Each table is stated once, on its resource. Their arguments are required (an argument left out
would be filled by dlt from its configuration): pass None for an empty batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import dlt
import pandas as pd

from core.load import columns


@dlt.resource(
    name="ml_forecasts",
    primary_key=("run_id", "area", "model", "target_hour_start_at"),
    write_disposition="merge",
    columns=columns(
        "target_hour_start_at",
        run_id="text",
        area="text",
        model="text",
        model_version="text",
        run_kind="text",
        weather_source="text",
        issued_at="timestamp",
        target_hour_start_at="timestamp",
        predicted_mw="double",
        lower_mw="double",
        upper_mw="double",
        interval_level="double",
        created_at="timestamp",
    ),
)
def ml_forecasts(rows: pd.DataFrame | None) -> Iterator[pd.DataFrame]:
    """Forecasts written by `python -m ml forecast|backtest` (a re-run of a run id replaces it)."""
    yield pd.DataFrame() if rows is None else rows


@dlt.resource(
    name="pipeline_runs",
    primary_key=("run_id", "stage"),
    write_disposition="merge",
    columns=columns(
        "started_at",
        run_id="text",
        stage="text",
        status="text",
        started_at="timestamp",
        finished_at="timestamp",
        duration_s="double",
        rows_processed="bigint",
        exit_code="bigint",
        error_message="text",
        as_of_date="date",
        git_revision="text",
        target="text",
        log_file="text",
        loaded_at="timestamp",
    ),
)
def pipeline_runs(records: pd.DataFrame | None) -> Iterator[pd.DataFrame]:
    """One row per daily run and stage (run_daily.sh → spool → `core.runlog.flush`)."""
    yield pd.DataFrame() if records is None else records
