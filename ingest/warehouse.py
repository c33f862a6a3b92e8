"""The one place that knows which warehouse we talk to (DuckDB dev, BigQuery prod).

Ingestion and the ML step both go through `make_pipeline` / `read_df`, so the
`--target` knob switches dlt loads and pandas reads together.  Reads use the
dlt SQL client with `iter_df` (not `cursor.df()`, which returns only the first
chunk on BigQuery-like backends).
"""

from __future__ import annotations

import os
from typing import Any

import dlt
import pandas as pd

from ingest.config import Settings

RAW_DATASET = "raw"


def destination(settings: Settings) -> Any:
    """dlt destination for the target: `dev` = DuckDB file, `prod` = BigQuery."""
    if settings.target in ("dev", "duckdb", "test"):
        settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        return dlt.destinations.duckdb(str(settings.duckdb_path))
    if settings.target in ("prod", "bigquery", "bq"):
        kwargs: dict[str, Any] = {"location": os.environ.get("BQ_LOCATION", "asia-northeast1")}
        if os.environ.get("BQ_PROJECT"):
            kwargs["project_id"] = os.environ["BQ_PROJECT"]
        return dlt.destinations.bigquery(**kwargs)
    if settings.target == "bq_emu":
        # the local BigQuery emulator (tests): a static token, the endpoint from BIGQUERY_EMULATOR_HOST,
        # which google-cloud-bigquery reads itself; the emulator wants uncompressed load files
        from google.oauth2.credentials import Credentials

        os.environ.setdefault("NORMALIZE__DATA_WRITER__DISABLE_COMPRESSION", "true")
        return dlt.destinations.bigquery(
            credentials=Credentials(token=os.environ.get("BQ_TOKEN", "emulator")),
            project_id=os.environ.get("BQ_PROJECT", "demo-project"), location=os.environ.get("BQ_LOCATION", "US"))
    raise ValueError(f"unknown target {settings.target!r}: use dev (DuckDB) or prod (BigQuery)")


def make_pipeline(settings: Settings, name: str = "energy_raw", dataset: str = RAW_DATASET) -> dlt.Pipeline:
    settings.pipelines_dir.mkdir(parents=True, exist_ok=True)
    return dlt.pipeline(
        pipeline_name=name,
        destination=destination(settings),
        dataset_name=dataset,
        pipelines_dir=str(settings.pipelines_dir),
        progress="log" if os.environ.get("ENERGY_DLT_PROGRESS") else None,
    )


def read_df(pipeline: dlt.Pipeline, sql_template: str, table: str | None = None,
            params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """Run a query on the pipeline's dataset; `{table}` in the template is qualified for us.

    Values go in `params`, bound by the driver at the `%s` placeholders (DuckDB and BigQuery alike):
    no value is ever formatted into the SQL text. `table` is one of our own relation names.
    """
    with pipeline.sql_client() as client:
        sql = sql_template.format(table=client.make_qualified_table_name(table)) if table else sql_template
        with client.execute_query(sql, *params) as cur:
            chunks = list(cur.iter_df(chunk_size=100_000))
    if not chunks:
        return pd.DataFrame()
    return pd.concat(chunks, ignore_index=True)
