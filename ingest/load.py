"""Load raw tables with dlt: merge on the business key, and only rows that changed.

Each raw row carries `content_hash` (a hash of its values, not of provenance
such as `loaded_at`).  Before loading we drop rows whose key already holds the
same hash, so:
- re-running a day leaves every raw table byte-for-byte identical;
- a revised upstream value replaces the old row (merge on the key) and its
  `loaded_at` tells when the revision arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dlt
import pandas as pd
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from ingest.report import RunReport, progress
from ingest.tables import PROVENANCE
from ingest.warehouse import read_df


@dataclass
class RawTable:
    """One raw table's batch: data plus its merge key and the column that bounds it."""

    name: str
    data: pa.Table
    key: list[str]
    range_column: str


def with_content_hash(t: RawTable) -> RawTable:
    """Deduplicate the batch on its key (last wins) and add `content_hash`."""
    df = t.data.to_pandas(types_mapper=None)
    df = df.drop_duplicates(subset=t.key, keep="last")
    content = [c for c in df.columns if c not in PROVENANCE and c not in t.key]
    hashed = pd.util.hash_pandas_object(_hashable(df[t.key + content]), index=False)
    df["content_hash"] = hashed.astype("uint64").astype("int64")
    schema = t.data.schema.append(pa.field("content_hash", pa.int64()))
    data = pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
    return RawTable(t.name, data, t.key, t.range_column)


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    """Dates and instants as integers, so the hash is stable and cheap to compute."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            out[col] = pd.to_datetime(s, utc=True).dt.as_unit("us").astype("int64")
        elif s.dtype == object and s.notna().any() and hasattr(s.dropna().iloc[0], "isoformat"):
            out[col] = pd.to_datetime(s).dt.as_unit("us").astype("int64")
    return out


def _norm_keys(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for k in key:
        s = df[k]
        if pd.api.types.is_datetime64_any_dtype(s) or s.dtype == object and len(s) and hasattr(s.iloc[0], "year"):
            s = pd.to_datetime(s, utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S")
        out[k] = s.astype("string")
    return out


def _literal(v: object) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def table_exists(pipeline: dlt.Pipeline, name: str) -> bool:
    try:
        read_df(pipeline, "select 1 as x from {table} where 1 = 0", table=name)
        return True
    except Exception:  # noqa: BLE001 - any "relation does not exist" flavour of any destination
        return False


def drop_unchanged(pipeline: dlt.Pipeline, t: RawTable) -> RawTable:
    """Keep only rows whose key is new or whose content hash differs in the warehouse."""
    if t.data.num_rows == 0:
        return t
    col = t.data.column(t.range_column)
    lo, hi = pa.compute.min(col).as_py(), pa.compute.max(col).as_py()
    cols = ", ".join(t.key + ["content_hash"])
    if pa.types.is_integer(col.type):
        bounds = f"{int(lo)} and {int(hi)}"
    else:
        cast = "timestamp" if pa.types.is_timestamp(col.type) else "date"
        lo_s = lo.isoformat(sep=" ") if hasattr(lo, "hour") else lo.isoformat()
        hi_s = hi.isoformat(sep=" ") if hasattr(hi, "hour") else hi.isoformat()
        bounds = f"cast({_literal(lo_s)} as {cast}) and cast({_literal(hi_s)} as {cast})"
    sql = f"select {cols} from {{table}} where {t.range_column} between {bounds}"
    try:
        existing = read_df(pipeline, sql, table=t.name)
    except DatabaseUndefinedRelation:
        return t
    except Exception as exc:  # table or column not there yet (first load, schema change)
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return t
        raise
    if existing.empty:
        return t
    new = t.data.to_pandas()
    left = _norm_keys(new, t.key)
    left["content_hash"] = new["content_hash"].astype("int64").to_numpy()
    right = _norm_keys(existing, t.key)
    right["content_hash"] = existing["content_hash"].astype("int64").to_numpy()
    merged = left.merge(right, on=t.key, how="left", suffixes=("", "_old"), indicator=False)
    keep = (merged["content_hash_old"].isna() | (merged["content_hash"] != merged["content_hash_old"])).to_numpy()
    return RawTable(t.name, t.data.filter(pa.array(keep)), t.key, t.range_column)


def _is_bigquery(pipeline: dlt.Pipeline) -> bool:
    return pipeline.destination.destination_name == "bigquery"


def bigquery_layout(resource: Any, t: RawTable) -> Any:
    """Partition a raw table by month of its range column and cluster it by its key.

    Monthly, not daily: a backfill of more than about 11 years would touch more than the 4,000
    partitions one BigQuery load job may write, and the raw tables are read by date ranges
    (`drop_unchanged`, the staging views) that a month prunes well enough at this size. The layout
    is set when dlt creates the table; existing tables keep theirs.
    """
    from dlt.destinations.adapters import bigquery_adapter
    from dlt.destinations.impl.bigquery.bigquery_adapter import PartitionTransformation

    col = t.data.schema.field(t.range_column)
    cluster = [k for k in t.key if k != t.range_column][:4]
    if pa.types.is_integer(col.type):  # a small table bounded by a number (quarantine events): clustered only
        return bigquery_adapter(resource, cluster=t.key[:4])
    trunc = "TIMESTAMP_TRUNC" if pa.types.is_timestamp(col.type) else "DATE_TRUNC"
    return bigquery_adapter(resource, partition=PartitionTransformation(f"{trunc}({{column_name}}, MONTH)", t.range_column),
                            cluster=cluster or None)


def load_tables(pipeline: dlt.Pipeline, tables: list[RawTable], report: RunReport) -> None:
    """Merge-load the changed rows of every table in one dlt run."""
    resources = []
    for t in tables:
        report.add_rows(t.name, t.data.num_rows)
        changed = drop_unchanged(pipeline, with_content_hash(t))
        report.rows_loaded[t.name] = report.rows_loaded.get(t.name, 0) + changed.data.num_rows
        # an empty batch still creates a missing table, so dbt sources always exist
        if changed.data.num_rows or not table_exists(pipeline, t.name):
            resource = dlt.resource(
                changed.data,
                name=t.name,
                table_name=t.name,
                write_disposition="merge",
                primary_key=t.key,
            )
            resources.append(bigquery_layout(resource, t) if _is_bigquery(pipeline) else resource)
    if not resources:
        progress("nothing new to load: every fetched row is already in the warehouse")
        return
    n = sum(report.rows_loaded.get(t.name, 0) for t in tables)
    progress(f"loading {n} new or changed rows into {len(resources)} raw tables with dlt …")
    info = pipeline.run(resources)
    info.raise_on_failed_jobs()
