"""Arrow schemas of the raw tables and the helpers that build them.

Building Arrow tables ourselves (instead of yielding dicts) keeps dlt on its fast
parquet path and fixes each column's type even when a whole batch is null (an
Open-Meteo variable the upstream did not return must still land, as null).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")
F64 = pa.float64()
I64 = pa.int64()
STR = pa.string()

#: Columns that describe provenance, not content: excluded from `content_hash`
#: so that re-downloading unchanged values is a no-op.
PROVENANCE = ("source_file", "file_updated_at", "loaded_at", "content_hash", "created_at", "run_command",
              "quarantined_at")

TEPCO_HOURLY = pa.schema(
    [
        ("area", STR),
        ("source_kind", STR),
        ("date_jst", pa.date32()),
        ("hour_jst", I64),
        ("hour_start_at", TS),
        ("demand_man_kw", F64),
        ("forecast_man_kw", F64),
        ("usage_pct", F64),
        ("supply_man_kw", F64),
        ("source_file", STR),
        ("file_updated_at", TS),
        ("loaded_at", TS),
    ]
)
TEPCO_HOURLY_KEY = ["area", "source_kind", "date_jst", "hour_jst"]

TEPCO_FIVE_MINUTE = pa.schema(
    [
        ("area", STR),
        ("date_jst", pa.date32()),
        ("minute_of_day", I64),
        ("interval_start_at", TS),
        ("demand_man_kw", F64),
        ("solar_man_kw", F64),
        ("solar_share_pct", F64),
        ("source_file", STR),
        ("file_updated_at", TS),
        ("loaded_at", TS),
    ]
)
TEPCO_FIVE_MINUTE_KEY = ["area", "date_jst", "minute_of_day"]

TEPCO_DAILY_SUMMARY = pa.schema(
    [
        ("area", STR),
        ("report_date", pa.date32()),
        ("horizon", STR),
        ("target_date", pa.date32()),
        ("peak_supply_man_kw", F64),
        ("peak_band", STR),
        ("peak_band_start_hour", I64),
        ("peak_supply_updated_at", TS),
        ("peak_reserve_pct", F64),
        ("peak_usage_pct", F64),
        ("forecast_peak_man_kw", F64),
        ("forecast_peak_band", STR),
        ("forecast_peak_band_start_hour", I64),
        ("forecast_peak_updated_at", TS),
        ("usage_peak_supply_man_kw", F64),
        ("usage_peak_band", STR),
        ("usage_peak_band_start_hour", I64),
        ("usage_peak_supply_updated_at", TS),
        ("usage_peak_reserve_pct", F64),
        ("usage_peak_usage_pct", F64),
        ("usage_peak_demand_man_kw", F64),
        ("usage_peak_demand_updated_at", TS),
        ("max_usage_pct", F64),
        ("max_usage_band_start_hour", I64),
        ("source_file", STR),
        ("file_updated_at", TS),
        ("loaded_at", TS),
    ]
)
TEPCO_DAILY_SUMMARY_KEY = ["area", "report_date", "horizon"]

#: Open-Meteo hourly variables we request. The stored archive files hold only the
#: first four; the rest land as null there (and must not break anything downstream).
WEATHER_VARIABLES = [
    "temperature_2m",
    "relative_humidity_2m",
    "precipitation",
    "weather_code",
    "apparent_temperature",
    "dew_point_2m",
    "cloud_cover",
    "shortwave_radiation",
    "direct_radiation",
    "wind_speed_10m",
    "snowfall",
]

_WEATHER_COMMON = [
    ("point_id", STR),
    ("latitude", F64),
    ("longitude", F64),
    ("elevation_m", F64),
    ("valid_at", TS),
] + [(v, F64) for v in WEATHER_VARIABLES]

OPEN_METEO_OBSERVED = pa.schema(_WEATHER_COMMON + [("source_file", STR), ("loaded_at", TS)])
OPEN_METEO_OBSERVED_KEY = ["point_id", "valid_at"]
OPEN_METEO_FORECAST = pa.schema(
    _WEATHER_COMMON[:4] + [("issued_at", TS)] + _WEATHER_COMMON[4:] + [("source_file", STR), ("loaded_at", TS)]
)
OPEN_METEO_FORECAST_KEY = ["point_id", "issued_at", "valid_at"]

JP_HOLIDAYS = pa.schema(
    [
        ("country", STR),
        ("holiday_date", pa.date32()),
        ("name_ja", STR),
        ("name_en", STR),
        ("is_substitute", pa.bool_()),
        ("loaded_at", TS),
    ]
)
JP_HOLIDAYS_KEY = ["country", "holiday_date"]


JMA_HOURLY_TEMPERATURE = pa.schema(
    [
        ("station_id", STR),
        ("valid_at", TS),
        ("temperature_c", F64),
        ("quality_code", I64),
        ("homogeneity_code", I64),
        ("loaded_at", TS),
    ]
)
JMA_HOURLY_TEMPERATURE_KEY = ["station_id", "valid_at"]

#: One row per pipeline run and stage (run_daily.sh → spool → ingest.runlog.flush).
PIPELINE_RUNS = pa.schema(
    [
        ("run_id", STR),
        ("stage", STR),
        ("status", STR),
        ("started_at", TS),
        ("finished_at", TS),
        ("duration_s", F64),
        ("rows_processed", I64),
        ("exit_code", I64),
        ("error_message", STR),
        ("as_of_date", pa.date32()),
        ("git_revision", STR),
        ("target", STR),
        ("log_file", STR),
        ("loaded_at", TS),
    ]
)
PIPELINE_RUNS_KEY = ["run_id", "stage"]

#: Written by the ML step (`python -m ml forecast|backtest`); created empty by ingestion so that
#: the dbt source exists before the first forecast.
ML_FORECASTS = pa.schema(
    [
        ("run_id", STR),
        ("area", STR),
        ("model", STR),
        ("model_version", STR),
        ("run_kind", STR),
        ("weather_source", STR),
        ("issued_at", TS),
        ("target_hour_start_at", TS),
        ("predicted_mw", F64),
        ("lower_mw", F64),
        ("upper_mw", F64),
        ("interval_level", F64),
        ("created_at", TS),
    ]
)
ML_FORECASTS_KEY = ["run_id", "area", "model", "target_hour_start_at"]


#: What ingestion set aside (`ingest.quarantine`): one row per run, source, file and line (0 = the
#: whole file or a block). Like the run log, each run records what it met; a load repeated within
#: one run (the same run id) adds nothing.
QUARANTINE_EVENTS = pa.schema(
    [
        ("source_name", STR),  # not `source`: a column named like a CTE or table reads as the whole row in BigQuery
        ("file_name", STR),
        ("line_number", I64),
        ("unit", STR),
        ("reason", STR),
        ("line_text", STR),
        ("stored_path", STR),
        ("is_new", pa.bool_()),  # no earlier run had set aside this file and line for this reason
        ("run_id", STR),
        ("run_command", STR),
        ("quarantined_at", TS),
        ("loaded_at", TS),
    ]
)
QUARANTINE_EVENTS_KEY = ["run_id", "source_name", "file_name", "line_number"]


def _keyed(schema: pa.Schema, key: list[str]) -> pa.Schema:
    """Key columns are NOT NULL, as dlt's primary-key hint makes them in the warehouse."""
    for name in key:
        i = schema.get_field_index(name)
        schema = schema.set(i, schema.field(i).with_nullable(False))
    return schema


for _name, _key in [
    ("TEPCO_HOURLY", TEPCO_HOURLY_KEY),
    ("TEPCO_FIVE_MINUTE", TEPCO_FIVE_MINUTE_KEY),
    ("TEPCO_DAILY_SUMMARY", TEPCO_DAILY_SUMMARY_KEY),
    ("OPEN_METEO_OBSERVED", OPEN_METEO_OBSERVED_KEY),
    ("OPEN_METEO_FORECAST", OPEN_METEO_FORECAST_KEY),
    ("JP_HOLIDAYS", JP_HOLIDAYS_KEY),
    ("ML_FORECASTS", ML_FORECASTS_KEY),
    ("JMA_HOURLY_TEMPERATURE", JMA_HOURLY_TEMPERATURE_KEY),
    ("PIPELINE_RUNS", PIPELINE_RUNS_KEY),
    ("QUARANTINE_EVENTS", QUARANTINE_EVENTS_KEY),
]:
    globals()[_name] = _keyed(globals()[_name], _key)


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def jst_to_utc(dates: list[date] | pd.Series, minutes: list[int] | pd.Series) -> pd.Series:
    """Local JST date + minutes after midnight → UTC instants (JST has no DST)."""
    local = pd.to_datetime(pd.Series(dates)) + pd.to_timedelta(pd.Series(minutes), unit="min")
    return local.dt.tz_localize("Asia/Tokyo").dt.tz_convert("UTC")


def table_from_frame(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Cast a DataFrame to the raw schema (missing columns become typed nulls)."""
    for name in schema.names:
        if name not in df.columns:
            df[name] = None
    return pa.Table.from_pandas(df[schema.names], schema=schema, preserve_index=False)
