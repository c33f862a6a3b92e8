"""Load raw tables with dlt: merge on the business key, and only rows that changed.

Every raw table is a dlt resource (`ingest/<source>/__init__.py`, `core/outputs.py`) whose decorator
states, once, its name, primary key, write disposition and columns (`columns(...)` below, which also
marks the column a batch is bounded by). This module attaches the project's load contract to any
such resource, in one place, as dlt map steps (`prepare`):

1. the batch (a DataFrame of the resource's rows) is cast to the declared columns;
2. deduplicated on the key (last wins) and given `content_hash`, a hash of its values, not of
   provenance such as `loaded_at`;
3. rows whose key already holds the same hash in the warehouse are dropped.

So re-running a day leaves every raw table byte-for-byte identical, and a revised upstream value
replaces the old row (merge on the key) with a `loaded_at` that says when the revision arrived. An
empty batch still creates a missing table, so every dbt source exists from the first run on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import dlt
import pandas as pd
import pyarrow as pa
from dlt.destinations.exceptions import DatabaseUndefinedRelation
from dlt.extract import DltResource, DltSource

from core.warehouse import Reader

#: The column hint that marks the column a batch is bounded by (`drop_unchanged` reads only the
#: warehouse rows in the batch's range of it; BigQuery partitions by its month).
RANGE_HINT = "x-range"

#: Columns that describe provenance, not content: excluded from `content_hash`, so that
#: re-downloading unchanged values is a no-op.
PROVENANCE = (
    "source_file",
    "file_updated_at",
    "captured_at",
    "loaded_at",
    "content_hash",
    "created_at",
    "run_command",
    "quarantined_at",
)

_ARROW = {
    "text": pa.string(),
    "double": pa.float64(),
    "bigint": pa.int64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "bool": pa.bool_(),
}


def columns(range_column: str, **types: str) -> dict[str, dict[str, Any]]:
    """A raw table's columns as dlt column hints, in order: `name="text" | "double" | "bigint" |
    "date" | "timestamp" (UTC, microseconds) | "bool"`; `range_column` bounds a batch."""
    if range_column not in types:
        raise ValueError(f"range column {range_column!r} is not a column")
    out: dict[str, dict[str, Any]] = {}
    for name, data_type in types.items():
        hint: dict[str, Any] = {"data_type": data_type}
        if data_type == "timestamp":
            hint["precision"] = 6
        if name == range_column:
            hint[RANGE_HINT] = True
        out[name] = hint
    return out


@dataclass(frozen=True)
class TableSpec:
    """What a raw resource's decorator states, read back from it (never written a second time)."""

    name: str
    key: list[str]
    range_column: str
    schema: pa.Schema
    write_disposition: str


def spec(resource: DltResource) -> TableSpec:
    table = resource.compute_table_schema()
    cols = table["columns"]
    # the key in the order the decorator states it (dlt's table schema keeps only column order): it
    # orders the dedup and BigQuery's clustering
    declared = (getattr(resource, "_hints", None) or {}).get("primary_key") or ()
    declared = [declared] if isinstance(declared, str) else list(declared)
    key = [c for c in declared if c in cols] or [c for c, h in cols.items() if h.get("primary_key")]
    ranged = [c for c, h in cols.items() if h.get(RANGE_HINT)]
    if not key or len(ranged) != 1:
        raise ValueError(f"raw resource {resource.name}: needs a primary key and one range column")
    fields = [pa.field(c, _ARROW[h["data_type"]], nullable=c not in key) for c, h in cols.items()]
    return TableSpec(table["name"], key, ranged[0], pa.schema(fields), table.get("write_disposition", "merge"))


class LoadCounts(Protocol):
    """What a command counts per table (ingest's RunReport, the ML step's LoadStats)."""

    rows_fetched: dict[str, int]
    rows_loaded: dict[str, int]


@dataclass
class LoadStats:
    rows_fetched: dict[str, int] = field(default_factory=dict)
    rows_loaded: dict[str, int] = field(default_factory=dict)


def table_from_frame(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Cast a DataFrame to a raw schema (missing columns become typed nulls)."""
    df = df.copy()
    for f in schema:
        if f.name not in df.columns:
            df[f.name] = None
        elif pa.types.is_timestamp(f.type):
            df[f.name] = pd.to_datetime(df[f.name], utc=True) if len(df) else pd.Series(dtype="datetime64[us, UTC]")
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)


def with_content_hash(data: pa.Table, key: list[str]) -> pa.Table:
    """Deduplicate the batch on its key (last wins) and add `content_hash`."""
    df = data.to_pandas(types_mapper=None)
    df = df.drop_duplicates(subset=key, keep="last")
    content = [c for c in df.columns if c not in PROVENANCE and c not in key]
    hashed = pd.util.hash_pandas_object(_hashable(df[key + content]), index=False)
    df["content_hash"] = hashed.astype("uint64").astype("int64")
    schema = data.schema.append(pa.field("content_hash", pa.int64()))
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)


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


def table_exists(read: Reader, name: str) -> bool:
    try:
        read.df("select 1 as x from {table} where 1 = 0", table=name)
        return True
    except Exception:  # noqa: BLE001 - any "relation does not exist" flavour of any destination
        return False


def drop_unchanged(read: Reader, data: pa.Table, t: TableSpec) -> pa.Table:
    """Keep only rows whose key is new or whose content hash differs in the warehouse."""
    if data.num_rows == 0:
        return data
    col = data.column(t.range_column)
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
        existing = read.df(sql, table=t.name)
    except DatabaseUndefinedRelation:
        return data
    except Exception as exc:  # table or column not there yet (first load, schema change)
        if "does not exist" in str(exc) or "not found" in str(exc).lower():
            return data
        raise
    if existing.empty:
        return data
    new = data.to_pandas()
    left = _norm_keys(new, t.key)
    left["content_hash"] = new["content_hash"].astype("int64").to_numpy()
    right = _norm_keys(existing, t.key)
    right["content_hash"] = existing["content_hash"].astype("int64").to_numpy()
    merged = left.merge(right, on=t.key, how="left", suffixes=("", "_old"), indicator=False)
    keep = (merged["content_hash_old"].isna() | (merged["content_hash"] != merged["content_hash_old"])).to_numpy()
    return data.filter(pa.array(keep))


def _is_bigquery(pipeline: dlt.Pipeline) -> bool:
    return pipeline.destination.destination_name == "bigquery"


def bigquery_layout(resource: DltResource, t: TableSpec) -> DltResource:
    """Partition a raw table by month of its range column and cluster it by its key.

    Monthly, not daily: a backfill of more than about 11 years would touch more than the 4,000
    partitions one BigQuery load job may write, and the raw tables are read by date ranges
    (`drop_unchanged`, the staging views) that a month prunes well enough at this size. The layout
    is set when dlt creates the table; existing tables keep theirs.
    """
    from dlt.destinations.adapters import bigquery_adapter
    from dlt.destinations.impl.bigquery.bigquery_adapter import PartitionTransformation

    col = t.schema.field(t.range_column)
    cluster = [k for k in t.key if k != t.range_column][:4]
    if pa.types.is_integer(col.type):  # a small table bounded by a number (quarantine events): clustered only
        return bigquery_adapter(resource, cluster=t.key[:4])
    trunc = "TIMESTAMP_TRUNC" if pa.types.is_timestamp(col.type) else "DATE_TRUNC"
    return bigquery_adapter(
        resource,
        partition=PartitionTransformation(f"{trunc}({{column_name}}, MONTH)", t.range_column),
        cluster=cluster or None,
    )


def prepare(resource: DltResource, pipeline: dlt.Pipeline, read: Reader, counts: LoadCounts) -> DltResource:
    """Attach the load contract (cast, content hash, drop unchanged, count) to one raw resource."""
    t = spec(resource)
    exists: list[bool] = []

    def changed_rows(batch: pd.DataFrame | pa.Table) -> pa.Table | None:
        data = batch if isinstance(batch, pa.Table) else table_from_frame(batch, t.schema)
        counts.rows_fetched[t.name] = counts.rows_fetched.get(t.name, 0) + data.num_rows
        changed = drop_unchanged(read, with_content_hash(data, t.key), t)
        counts.rows_loaded[t.name] = counts.rows_loaded.get(t.name, 0) + changed.num_rows
        if changed.num_rows == 0:
            if not exists:
                exists.append(table_exists(read, t.name))
            if exists[0]:
                return None  # nothing to merge into a table that is there
        return changed

    resource.add_map(changed_rows)
    return bigquery_layout(resource, t) if _is_bigquery(pipeline) else resource


def raw_resources(items: Iterable[DltSource | DltResource]) -> list[DltResource]:
    out: list[DltResource] = []
    for item in items:
        out += list(item.selected_resources.values()) if isinstance(item, DltSource) else [item]
    return out


def load(pipeline: dlt.Pipeline, items: Iterable[DltSource | DltResource], counts: LoadCounts) -> None:
    """Merge-load the changed rows of every resource of `items` (sources or resources) in one dlt run."""
    items = list(items)
    if pipeline.has_pending_data:
        # a load an earlier run could not finish (killed, warehouse locked): dlt would load only that
        # and skip this run's data, so finish it first (it raises if it still cannot be loaded)
        print("loading what an earlier run left pending …", file=sys.stderr, flush=True)
        if pipeline.list_extracted_load_packages():
            pipeline.normalize()
        if pipeline.list_normalized_load_packages():
            pipeline.load().raise_on_failed_jobs()
    resources = raw_resources(items)
    before = dict(counts.rows_loaded)
    read = Reader(pipeline)  # one SQL client for every batch's comparison with the warehouse
    try:
        for resource in resources:
            prepare(resource, pipeline, read, counts)
        info = pipeline.run(items)
    finally:
        read.close()
    info.raise_on_failed_jobs()
    new = {t: n - before.get(t, 0) for t, n in counts.rows_loaded.items() if n > before.get(t, 0)}
    n = sum(new.values())
    print(
        f"loaded {n} new or changed rows into {len(new)} raw tables with dlt"
        if n
        else "nothing new to load: every fetched row is already in the warehouse",
        file=sys.stderr,
        flush=True,
    )
