{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('date_jst', data_type='date'),
        cluster_by=bq_cluster_by(['area']),
    )
}}
-- One row per area and JST day: peak and mean demand, TEPCO's peak forecast, the tightest hour
-- of supply, observed temperature, and the day class. What the "Daily and monthly" dashboard
-- page reads (temperature against demand); small enough to chart years of it.
with

demand as (
    select * from {{ ref('fct_demand_hourly') }}
),

calendar as (
    select date_day as date_jst, day_type, is_day_off from {{ ref('dim_calendar') }}
),

demand_daily as (
    select
        area,
        date_jst,
        count(demand_mw) as n_hours,
        max(demand_mw) as peak_demand_mw,
        round(avg(demand_mw), 1) as mean_demand_mw,
        round(sum(demand_mw) / 1000, 3) as energy_gwh,
        max(tepco_forecast_mw) as tepco_peak_forecast_mw,
        max(usage_pct) as peak_usage_pct,
        min(reserve_mw) as min_reserve_mw
    from demand
    group by 1, 2
),

temperature_daily as (
    select
        area,
        valid_date_jst as date_jst,
        day_max_temperature_c as max_temperature_c,
        day_min_temperature_c as min_temperature_c,
        round(day_mean_temperature_c, 2) as mean_temperature_c
    from {{ ref('int_weather__area_daily_observed') }}
)

select
    demand_daily.area,
    demand_daily.date_jst,
    {{ month_start('demand_daily.date_jst') }} as month_jst,
    calendar.day_type,
    calendar.is_day_off,
    demand_daily.n_hours,
    demand_daily.peak_demand_mw,
    demand_daily.mean_demand_mw,
    demand_daily.energy_gwh,
    demand_daily.tepco_peak_forecast_mw,
    demand_daily.peak_usage_pct,
    demand_daily.min_reserve_mw,
    temperature_daily.max_temperature_c,
    temperature_daily.min_temperature_c,
    temperature_daily.mean_temperature_c
from demand_daily
left join calendar
    on calendar.date_jst = demand_daily.date_jst
left join temperature_daily
    on temperature_daily.area = demand_daily.area
    and temperature_daily.date_jst = demand_daily.date_jst
