{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('target_hour_start_at'),
        cluster_by=bq_cluster_by(['area', 'model', 'run_kind']),
    )
}}
-- Forecast versus actual, one row per run, target hour and model, for hours whose actual is known.
--   error_mw = predicted − actual (positive = over-forecast), pct_error = error / actual · 100.
with

forecasts as (
    select * from {{ ref('fct_forecasts') }}
),

actuals as (
    -- an implausible actual (fct_data_quality_checks reports it) is not scored against
    select area, hour_start_at, demand_mw from {{ ref('fct_demand_hourly') }}
    where is_demand_plausible
),

scored as (
    select
        forecasts.run_id,
        forecasts.area,
        forecasts.model,
        forecasts.model_version,
        forecasts.run_kind,
        forecasts.weather_source,
        forecasts.issued_at,
        forecasts.issue_date_jst,
        forecasts.target_hour_start_at,
        forecasts.target_date_jst,
        forecasts.target_hour_jst,
        forecasts.horizon_hours,
        forecasts.horizon_day,
        forecasts.predicted_mw,
        forecasts.lower_mw,
        forecasts.upper_mw,
        actuals.demand_mw as actual_mw,
        forecasts.predicted_mw - actuals.demand_mw as error_mw,
        abs(forecasts.predicted_mw - actuals.demand_mw) as abs_error_mw,
        (forecasts.predicted_mw - actuals.demand_mw) * (forecasts.predicted_mw - actuals.demand_mw)
            as squared_error_mw2,
        (forecasts.predicted_mw - actuals.demand_mw) / actuals.demand_mw * 100 as pct_error,
        abs(forecasts.predicted_mw - actuals.demand_mw) / actuals.demand_mw * 100 as abs_pct_error,
        case
            when forecasts.lower_mw is null or forecasts.upper_mw is null then null
            else actuals.demand_mw between forecasts.lower_mw and forecasts.upper_mw
        end as is_within_interval
    from forecasts
    inner join actuals
        on actuals.area = forecasts.area
        and actuals.hour_start_at = forecasts.target_hour_start_at
)

select * from scored
