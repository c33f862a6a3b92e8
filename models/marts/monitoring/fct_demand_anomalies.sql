{{ config(materialized='table') }}
-- 異常検知: hours of the 365 days before the run's as-of date whose demand departs from what was expected.
--   expected_mw: the model's day-1 forecast for that hour when one exists (latest run), else the
--                same hour one week before (the seasonal profile).
--   residual_pct = (actual − expected) / expected · 100
--   robust z = (residual − median) / (1.4826 · MAD), median and MAD over the 365 days per expected
--              source, so a holiday week that the profile misses does not drown the rest.
-- Kept: |z| ≥ 4 (severity `warning`) and |z| ≥ 6 (severity `error`, sent as an alert).
with

demand as (
    select * from {{ ref('fct_features_hourly') }}
    where demand_mw is not null
        and date_jst >= {{ add_days(run_as_of_date(), -365) }}
        and date_jst < {{ run_as_of_date() }}
),

model_day1 as (
    select area, target_hour_start_at, predicted_mw
    from (
        select
            *,
            row_number() over (partition by area, target_hour_start_at order by issued_at desc, run_id desc) as recency
        from {{ ref('fct_forecasts') }}
        where model = 'xgboost' and horizon_day = 1
    ) as ranked
    where recency = 1
),

expected as (
    select
        demand.area,
        demand.hour_start_at,
        demand.date_jst,
        demand.hour_jst,
        demand.day_type,
        demand.demand_mw as actual_mw,
        coalesce(model_day1.predicted_mw, demand.demand_lag_168h_mw) as expected_mw,
        case when model_day1.predicted_mw is not null then 'model_day1' else 'same_hour_last_week' end
            as expected_source
    from demand
    left join model_day1
        on model_day1.area = demand.area and model_day1.target_hour_start_at = demand.hour_start_at
),

residuals as (
    select *, (actual_mw - expected_mw) / expected_mw * 100 as residual_pct
    from expected
    where expected_mw is not null and expected_mw > 0
),

centre as (
    select area, expected_source, {{ median_agg('residual_pct') }} as median_pct
    from residuals
    group by 1, 2
),

spread as (
    select r.area, r.expected_source, {{ median_agg('abs(r.residual_pct - c.median_pct)') }} as mad_pct
    from residuals as r
    inner join centre as c on c.area = r.area and c.expected_source = r.expected_source
    group by 1, 2
),

scored as (
    select
        r.*,
        (r.residual_pct - c.median_pct) / nullif(1.4826 * s.mad_pct, 0) as robust_z
    from residuals as r
    inner join centre as c on c.area = r.area and c.expected_source = r.expected_source
    inner join spread as s on s.area = r.area and s.expected_source = r.expected_source
)

select
    area,
    hour_start_at,
    date_jst,
    hour_jst,
    day_type,
    actual_mw,
    expected_mw,
    expected_source,
    residual_pct,
    robust_z,
    case when abs(robust_z) >= 6 then 'error' else 'warning' end as severity
from scored
where abs(robust_z) >= 4
