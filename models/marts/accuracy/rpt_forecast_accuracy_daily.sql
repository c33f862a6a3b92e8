{{ config(materialized='table') }}
-- Per run, model and target day: the daily accuracy behind the dashboards (error by horizon day,
-- actual versus forecast daily peak). One row per run, area, model and target date.
with

errors as (
    select * from {{ ref('fct_forecast_errors') }}
),

daily as (
    select
        run_id,
        area,
        model,
        run_kind,
        weather_source,
        issue_date_jst,
        target_date_jst,
        min(horizon_day) as horizon_day,
        count(*) as n_hours,
        round({{ exact_avg('abs_pct_error') }}, 6) as mape_pct,
        round({{ exact_avg('abs_error_mw') }}, 6) as mae_mw,
        round(sqrt({{ exact_avg('squared_error_mw2') }}), 6) as rmse_mw,
        round({{ exact_avg('error_mw') }}, 6) as bias_mw,
        max(actual_mw) as actual_peak_mw,
        max(predicted_mw) as predicted_peak_mw
    from errors
    group by 1, 2, 3, 4, 5, 6, 7
)

select
    *,
    (predicted_peak_mw - actual_peak_mw) / actual_peak_mw * 100 as peak_pct_error
from daily
