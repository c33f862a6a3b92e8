{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['check_date', 'check_name'],
    )
}}
-- One row per data-quality check per daily run (keyed by the run's as-of date, so re-running a day
-- replaces its checks). status: pass | warn | error. The forecast runs even when a check warns;
-- run_daily.sh and the monitoring dashboard show the warnings.
--   missing_hours_30d        hours absent from fct_demand_hourly in the 30 days before the as-of date
--   duplicate_raw_keys       duplicated keys in raw.tepco_hourly (merge keys make this 0)
--   null_demand_30d          hours present but with NULL demand
--   demand_out_of_range_30d  demand outside 15,000–65,000 MW (physically implausible for TEPCO)
--   flatline_3h_30d          hours equal to both previous hours (a stuck meter / copied rows)
--   ramp_beyond_history_7d   hourly changes in the last 7 days larger than any before them
--   unit_jump_30d            raw values more than 5× the 30-day median (万kW vs MW or kW mix-up)
--   weather_forecast_completeness  hours with a temperature in the latest vintage, per point (16 × 24)
--   copied_days_30d          days whose 24 hours equal, hour for hour, a day of the year before them
--                            (a file re-published under another date)
--   newly_set_aside_this_run files and rows the ingestion of this run quarantined that no earlier
--                            run had (raw.quarantine_events.is_new; warns on any)
{% set as_of = run_as_of_date() %}
with

demand as (
    select * from {{ ref('fct_demand_hourly') }}
),

window_30d as (
    select * from demand
    where date_jst >= {{ add_days(as_of, -30) }} and date_jst < {{ as_of }}
),

missing as (
    select
        {{ dq_check('missing_hours_30d', '30 * 24 - count(distinct hour_start_at)', 0, 24) }}
    from window_30d
),

duplicates as (
    select
        {{ dq_check('duplicate_raw_keys', 'count(*)', 0, 0) }}
    from (
        select area, source_kind, date_jst, hour_jst
        from {{ source('tepco', 'tepco_hourly') }}
        group by area, source_kind, date_jst, hour_jst
        having count(*) > 1
    ) as dup
),

null_demand as (
    -- (not named `nulls`: NULLS is a reserved keyword in BigQuery)
    select
        {{ dq_check('null_demand_30d', 'sum(case when demand_mw is null then 1 else 0 end)', 0, 24) }}
    from window_30d
),

out_of_range as (
    select
        {{ dq_check('demand_out_of_range_30d',
                    'sum(case when demand_mw < 15000 or demand_mw > 65000 then 1 else 0 end)', 0, 0) }}
    from window_30d
),

flatlines as (
    select
        {{ dq_check('flatline_3h_30d', 'count(*)', 0, 6) }}
    from window_30d as h
    inner join demand as p1 on p1.area = h.area and p1.hour_start_at = {{ add_hours('h.hour_start_at', -1) }}
    inner join demand as p2 on p2.area = h.area and p2.hour_start_at = {{ add_hours('h.hour_start_at', -2) }}
    where h.demand_mw = p1.demand_mw and h.demand_mw = p2.demand_mw
),

ramps as (
    select
        h.date_jst >= {{ add_days(as_of, -7) }} as is_recent,
        abs(h.demand_mw - p.demand_mw) as ramp_mw
    from demand as h
    inner join demand as p on p.area = h.area and p.hour_start_at = {{ add_hours('h.hour_start_at', -1) }}
    where h.date_jst < {{ as_of }}
),

ramp_check as (
    select
        {{ dq_check('ramp_beyond_history_7d', 'coalesce(max(case when is_recent then ramp_mw end), 0)',
                    'max(case when not is_recent then ramp_mw end)',
                    '1.5 * max(case when not is_recent then ramp_mw end)') }}
    from ramps
),

raw_recent as (
    select demand_man_kw from {{ source('tepco', 'tepco_hourly') }}
    where date_jst >= {{ add_days(as_of, -30) }} and date_jst < {{ as_of }}
),

raw_recent_median as (
    select {{ median_agg('demand_man_kw') }} as m from raw_recent
),

unit_jump as (
    select
        {{ dq_check('unit_jump_30d',
                    'sum(case when demand_man_kw > 5 * med.m or demand_man_kw < med.m / 5 then 1 else 0 end)',
                    0, 0) }}
    from raw_recent
    cross join raw_recent_median as med
),

latest_vintage as (
    select max(issued_at) as issued_at from {{ ref('stg_open_meteo__weather_hourly') }}
    where weather_kind = 'forecast'
),

vintage_points as (
    select
        w.point_id,
        sum(case when w.temperature_c is not null and w.lead_day between 1 and 16 then 1 else 0 end) as n_hours
    from {{ ref('stg_open_meteo__weather_hourly') }} as w
    inner join latest_vintage on latest_vintage.issued_at = w.issued_at
    group by w.point_id
),

weather_completeness as (
    select
        -- hours short of 16 × 24 with a temperature, summed over the points of the latest vintage
        {{ dq_check('weather_forecast_completeness', 'coalesce(sum(384 - least(n_hours, 384)), 384)', 0, '9 * 48') }}
    from vintage_points
),

recent_days as (
    select area, date_jst, hour_jst, demand_mw
    from demand
    where date_jst >= {{ add_days(as_of, -30) }} and date_jst < {{ as_of }}
),

copied as (
    -- a pair (day, earlier day) that agrees on all 24 hours; exact equality, so real demand
    -- (which varies by tens of MW from hour to hour and day to day) never matches by chance
    select recent_days.area, recent_days.date_jst
    from recent_days
    inner join demand as earlier
        on earlier.area = recent_days.area
        and earlier.hour_jst = recent_days.hour_jst
        and earlier.demand_mw = recent_days.demand_mw
        and earlier.date_jst < recent_days.date_jst
        and earlier.date_jst >= {{ add_days(as_of, -400) }}
    group by recent_days.area, recent_days.date_jst, earlier.date_jst
    having count(*) = 24
),

copied_days as (
    select
        {{ dq_check('copied_days_30d', 'count(distinct date_jst)', 0, 0) }}
    from copied
),

set_aside as (
    select
        {{ dq_check('newly_set_aside_this_run', 'count(*)', 0, 'null') }}
    from {{ ref('stg_pipeline__quarantine_events') }}
    where run_id = '{{ pipeline_run_id() }}'
        and is_new
),

checks as (
    select * from missing
    union all
    select * from duplicates
    union all
    select * from null_demand
    union all
    select * from out_of_range
    union all
    select * from flatlines
    union all
    select * from ramp_check
    union all
    select * from unit_jump
    union all
    select * from weather_completeness
    union all
    select * from copied_days
    union all
    select * from set_aside
)

select
    {{ as_of }} as check_date,
    check_name,
    observed_value,
    warn_threshold,
    error_threshold,
    case
        when observed_value is null then 'pass'
        when error_threshold is not null and observed_value > error_threshold then 'error'
        when warn_threshold is not null and observed_value > warn_threshold then 'warn'
        else 'pass'
    end as status,
    '{{ pipeline_run_id() }}' as run_id,
    {{ now_instant() }} as checked_at
from checks
