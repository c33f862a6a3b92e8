"""The one place that knows which warehouse we talk to (DuckDB dev, BigQuery prod), and the names
of the relations Python reads.

Ingestion, the ML step and the dashboard all go through `make_pipeline` / `read_df`, so the
`--target` knob switches dlt loads and pandas reads together. Reads use the dlt SQL client with
`iter_df` (not `cursor.df()`, which returns only the first chunk on BigQuery-like backends).

Relation names: raw tables are named on their dlt resources (`ingest/*`, `core/outputs.py`); the
marts Python reads are listed in `Marts` below, in the dataset dbt's `generate_schema_name` gives
them (`<target schema>_marts`, `analytics_marts` by default; `ENERGY_MARTS_DATASET`).
"""

from __future__ import annotations

from typing import Any

import dlt
import pandas as pd

from core import settings as config
from core.settings import Settings

RAW_DATASET = "raw"


class Marts:
    """The dbt marts Python reads (the ML step and the dashboard); dbt owns their SQL and schema."""

    FEATURES_HOURLY = "fct_features_hourly"
    FORECAST_WEATHER_INPUTS = "fct_forecast_weather_inputs"
    WEATHER_PREVIOUS_RUNS = "fct_weather_previous_runs"
    DEMAND_AT_ISSUE = "fct_demand_at_issue"
    DEMAND_HOURLY = "fct_demand_hourly"
    FORECASTS = "fct_forecasts"
    FORECAST_ERRORS = "fct_forecast_errors"
    ACCURACY_BY_HORIZON = "rpt_forecast_accuracy_by_horizon"
    ERROR_HOUR_BY_HORIZON = "rpt_forecast_error_hour_by_horizon"
    SYSTEM_STATUS = "rpt_system_status"
    PIPELINE_RUNS = "rpt_pipeline_runs"
    DATA_QUALITY_CHECKS = "fct_data_quality_checks"
    DEMAND_ANOMALIES = "fct_demand_anomalies"
    DEMAND_DAILY = "rpt_demand_daily"


def destination(settings: Settings) -> Any:
    """dlt destination for the target: `dev` = DuckDB file, `prod` = BigQuery."""
    if settings.target in ("dev", "duckdb", "test"):
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(str(settings.duckdb_path))
    if settings.target in ("prod", "bigquery", "bq"):
        bq = config.BigQuerySettings()
        kwargs: dict[str, Any] = {"location": bq.location}
        if bq.project:
            kwargs["project_id"] = bq.project
        return dlt.destinations.bigquery(**kwargs)
    if settings.target == "bq_emu":
        # the local BigQuery emulator (tests): a static token, the endpoint from BIGQUERY_EMULATOR_HOST,
        # which google-cloud-bigquery reads itself; the emulator wants uncompressed load files
        from google.oauth2.credentials import Credentials

        config.dlt_config_default("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
        bq = config.BigQuerySettings()
        location = bq.location if config.is_set("BQ_LOCATION") else "US"
        return dlt.destinations.bigquery(
            credentials=Credentials(token=bq.token), project_id=bq.project or "demo-project", location=location
        )
    raise ValueError(f"unknown target {settings.target!r}: use dev (DuckDB) or prod (BigQuery)")


def make_pipeline(settings: Settings, name: str = "energy_raw", dataset: str = RAW_DATASET) -> dlt.Pipeline:
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=name,
        destination=destination(settings),
        dataset_name=dataset,
        pipelines_dir=str(settings.pipelines_dir),
        progress="log" if config.dlt_progress() else None,
    )


def marts_pipeline(settings: Settings) -> dlt.Pipeline:
    """A pipeline whose dataset is the marts' (for `read_df` of a mart; it never loads)."""
    return make_pipeline(settings, name="energy_ml_read", dataset=config.marts_dataset())


def read_df(
    pipeline: dlt.Pipeline, sql_template: str, table: str | None = None, params: tuple[Any, ...] = ()
) -> pd.DataFrame:
    """Run a query on the pipeline's dataset; `{table}` in the template is qualified for us.

    Values go in `params`, bound by the driver at the `%s` placeholders (DuckDB and BigQuery alike):
    no value is ever formatted into the SQL text. `table` is one of our own relation names.
    """
    with pipeline.sql_client() as client:
        return _query_df(client, sql_template, table, params)


class Reader:
    """Many reads through one SQL client, opened on the first read and closed by `close()`.

    Why: opening dlt's SQL client resolves the destination's configuration and a connection each
    time (about 0.2 s); the load step reads the warehouse once or twice per raw batch, which made
    that overhead half of a daily ingest's wall time.
    """

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline
        self._cm: Any = None
        self._client: Any = None

    def df(self, sql_template: str, table: str | None = None, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        """`read_df` on the shared client."""
        if self._client is None:
            self._cm = self.pipeline.sql_client()
            self._client = self._cm.__enter__()
        return _query_df(self._client, sql_template, table, params)

    def close(self) -> None:
        if self._cm is not None:
            cm, self._cm, self._client = self._cm, None, None
            cm.__exit__(None, None, None)


def _query_df(client: Any, sql_template: str, table: str | None, params: tuple[Any, ...]) -> pd.DataFrame:
    sql = sql_template.format(table=client.make_qualified_table_name(table)) if table else sql_template
    with client.execute_query(sql, *params) as cur:
        chunks = list(cur.iter_df(chunk_size=100_000))
    if not chunks:
        return pd.DataFrame()
    return pd.concat(chunks, ignore_index=True)
