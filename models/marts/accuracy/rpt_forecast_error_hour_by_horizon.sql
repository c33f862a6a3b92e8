{{ config(materialized='table') }}
-- The hour × horizon heat map: MAPE and bias per target hour of day (JST) and horizon day.
-- One row per area, run kind, weather source, model, horizon day and target hour.
select
    area,
    run_kind,
    weather_source,
    model,
    horizon_day,
    target_hour_jst,
    count(*) as n_hours,
    round({{ exact_avg('abs_pct_error') }}, 6) as mape_pct,
    round({{ exact_avg('pct_error') }}, 6) as bias_pct,
    round({{ exact_avg('abs_error_mw') }}, 6) as mae_mw
from {{ ref('fct_forecast_errors') }}
group by 1, 2, 3, 4, 5, 6
