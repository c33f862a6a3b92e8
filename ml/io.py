"""Warehouse I/O for the ML step, through dlt so DuckDB and BigQuery share one code path.

Reads go to the dbt marts dataset (`<schema>_marts`, e.g. `analytics_marts`); forecasts are merged
into `raw.ml_forecasts` with the same loader as the ingestion (only changed rows are written, so a
re-run of a run id replaces it and never duplicates).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from core.load import LoadStats, load
from core.outputs import ml_forecasts
from core.settings import Settings, known_area
from core.warehouse import Marts, make_pipeline, marts_pipeline, read_df


def _ts(x: pd.Series) -> pd.Series:
    return pd.to_datetime(x, utc=True)


def read_features(settings: Settings, area: str, through: date | None = None) -> pd.DataFrame:
    """The hourly feature view (history + calendar of the coming days), sorted by hour; with `through`,
    only its days up to that JST date.

    Why `through`: the mart's calendar runs to the last known holiday, years ahead, so a forecast
    that needs 16 days past its issue date would otherwise read years of empty future rows (most of
    the read on a short history; on BigQuery, bytes billed)."""
    area = known_area(area)
    sql, params = "select * from {table} where area = %s", (area,)
    if through is not None:
        sql, params = sql + " and date_jst <= %s", (area, through)
    try:
        df = read_df(marts_pipeline(settings), sql, table=Marts.FEATURES_HOURLY, params=params)
    except Exception as exc:
        raise RuntimeError(
            f"cannot read fct_features_hourly ({type(exc).__name__}): run the ingestion and `dbt build` first"
        ) from exc
    if df.empty:
        raise RuntimeError("fct_features_hourly is empty: run the ingestion and `dbt build` first")
    df["hour_start_at"] = _ts(df["hour_start_at"])
    df["date_jst"] = pd.to_datetime(df["date_jst"]).dt.date
    return df.sort_values("hour_start_at").reset_index(drop=True)


def _issue_rows(settings: Settings, table: str, columns: str, area: str, issue_date: date) -> pd.DataFrame:
    """`columns` of a mart's rows for one area and issue date; empty when the mart does not exist yet
    (a warehouse built before it was added, or before its first dbt build)."""
    try:
        return read_df(
            marts_pipeline(settings),
            f"select {columns} from {{table}} where area = %s and issue_date_jst = %s",
            table=table,
            params=(known_area(area), issue_date),
        )
    except Exception as exc:
        if "not exist" in str(exc) or "not found" in str(exc).lower():
            return pd.DataFrame()
        raise


def read_forecast_weather(settings: Settings, area: str, issue_date: date) -> pd.DataFrame:
    """The weather vintage available at the issue time of `issue_date` (empty if none)."""
    df = _issue_rows(settings, Marts.FORECAST_WEATHER_INPUTS, "*", area, issue_date)
    if not df.empty:
        df["valid_at"] = _ts(df["valid_at"])
        df["vintage_issued_at"] = _ts(df["vintage_issued_at"])
    return df


def _read_mart_or_empty(
    settings: Settings, sql: str, table: str, params: tuple, timestamps: tuple[str, ...] = ()
) -> pd.DataFrame:
    """`read_df` on a mart that may not be built yet (a first run, a backfill never run): empty then."""
    try:
        df = read_df(marts_pipeline(settings), sql, table=table, params=params)
    except Exception as exc:
        if "not exist" in str(exc) or "not found" in str(exc).lower():
            return pd.DataFrame()
        raise
    for col in timestamps:
        if not df.empty:
            df[col] = _ts(df[col])
    return df


def read_previous_runs(settings: Settings, area: str) -> pd.DataFrame:
    """The area's archived weather forecasts (fct_weather_previous_runs) of the configured model, every
    lead and hour with `known_at`; empty when `ingest backfill --forecast-vintages` never ran."""
    return _read_mart_or_empty(
        settings,
        "select * from {table} where area = %s and model = %s",
        Marts.WEATHER_PREVIOUS_RUNS,
        (known_area(area), settings.open_meteo_previous_runs_model),
        timestamps=("valid_at", "known_at"),
    )


def read_vintages(settings: Settings, area: str, issue_date: date) -> pd.DataFrame:
    """The daily weather vintages of the issue dates in the year before `issue_date`
    (fct_forecast_weather_inputs: issue_date_jst, valid_at and the weather columns); a model trained for
    `issue_date` measures on them how far a forecast of each lead was off (`ml.weather.fit_damping`)."""
    from ml.weather import ANOMALY_DAYS

    return _read_mart_or_empty(
        settings,
        "select * from {table} where area = %s and issue_date_jst >= %s and issue_date_jst < %s",
        Marts.FORECAST_WEATHER_INPUTS,
        (known_area(area), issue_date - timedelta(days=ANOMALY_DAYS + 16), issue_date),
        timestamps=("valid_at",),
    )


def read_scored_daily(settings: Settings, area: str, issue_date: date) -> pd.DataFrame:
    """The project's own daily forecasts scored before `issue_date` (fct_forecast_errors: the XGBoost
    rows of daily runs on forecast weather, issued within OWN_SCORES_WINDOW_DAYS, targets before the
    issue date): horizon_day, actual_mw, predicted_mw; empty when none or the mart is not built."""
    from ml.model import OWN_SCORES_WINDOW_DAYS

    return _read_mart_or_empty(
        settings,
        "select horizon_day, actual_mw, predicted_mw from {table} where area = %s and run_kind = 'daily' "
        "and model = 'xgboost' and weather_source = 'forecast_vintage' and issue_date_jst >= %s "
        "and target_date_jst < %s",
        Marts.FORECAST_ERRORS,
        (known_area(area), issue_date - timedelta(days=OWN_SCORES_WINDOW_DAYS), issue_date),
    )


def read_demand_at_issue(settings: Settings, area: str, issue_date: date) -> dict[int, float]:
    """The issue date's hours TEPCO's live file showed at the issue time: JST hour → provisional MW
    (empty when no vintage was captured by then)."""
    df = _issue_rows(settings, Marts.DEMAND_AT_ISSUE, "hour_jst, provisional_demand_mw", area, issue_date)
    if df.empty:
        return {}
    return {int(h): float(mw) for h, mw in zip(df["hour_jst"], df["provisional_demand_mw"], strict=True)}


def write_forecasts(settings: Settings, frame: pd.DataFrame, created_at: datetime) -> LoadStats:
    """Merge forecasts into raw.ml_forecasts (key: run, area, model, target hour)."""
    df = frame.copy()
    df["created_at"] = created_at
    stats = LoadStats()
    load(make_pipeline(settings), [ml_forecasts(df)], stats)
    return stats
