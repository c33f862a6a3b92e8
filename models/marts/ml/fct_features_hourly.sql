{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('hour_start_at'),
        cluster_by=bq_cluster_by(['area']),
    )
}}
-- The training feature view: one row per area and hour (hour start, JST) from the start of the
-- demand history to the end of the holiday calendar (so the next 16 days are already here),
-- with the calendar, observed area weather, the target and the features known at that hour.
-- Lags are joins on time (hour − 24 h, hour − 168 h), never row offsets: a missing hour leaves a
-- NULL where it is missing and shifts nothing.
with

spine as (
    select * from {{ ref('int_calendar__hours') }}
    where date_jst >= cast('{{ var("history_start", "2016-04-01") }}' as date)
),

demand as (
    -- an implausible hour is missing demand here: no target, no lag, no level built on it
    select
        area,
        hour_start_at,
        case when is_demand_plausible then demand_mw end as demand_mw,
        tepco_forecast_mw,
        solar_mw
    from {{ ref('fct_demand_hourly') }}
),

observed as (
    select * from {{ ref('int_weather__area_hourly') }}
    where weather_kind = 'observed'
),

observed_daily as (
    select * from {{ ref('int_weather__area_daily_observed') }}
),

joined as (
    select
        ---------- ids
        spine.area,
        spine.hour_start_at,
        ---------- JST labels and calendar
        {{ to_jst('spine.hour_start_at') }} as hour_start_jst,
        spine.date_jst,
        spine.hour_jst,
        spine.iso_dow,
        spine.month_of_year,
        spine.day_type,
        spine.is_weekend,
        spine.is_public_holiday,
        spine.is_substitute_holiday,
        spine.is_new_year_period,
        spine.is_obon,
        spine.is_golden_week,
        spine.is_bridge_day,
        spine.is_day_off,
        spine.is_previous_day_off,
        spine.is_next_day_off,
        spine.business_day_index,
        ---------- target and TEPCO's forecast, MW
        demand.demand_mw,
        demand.tepco_forecast_mw,
        ---------- TEPCO's measured solar output, MW: like demand, known once the hour is over
        demand.solar_mw,
        ---------- demand known at this hour, by time
        lag_24h.demand_mw as demand_lag_24h_mw,
        lag_168h.demand_mw as demand_lag_168h_mw,
        ---------- observed area weather at this hour
        observed.temperature_c,
        observed.relative_humidity_pct,
        observed.apparent_temperature_c,
        observed.precipitation_mm,
        observed.cloud_cover_pct,
        observed.shortwave_radiation_wm2,
        observed.cooling_degree_c,
        observed.heating_degree_c,
        observed.discomfort_index,
        observed.temperature_source,
        observed_daily.day_max_temperature_c,
        observed_daily.day_min_temperature_c,
        observed_daily.day_mean_temperature_c
    from spine
    left join demand
        on demand.area = spine.area and demand.hour_start_at = spine.hour_start_at
    left join demand as lag_24h
        on lag_24h.area = spine.area and lag_24h.hour_start_at = {{ add_hours('spine.hour_start_at', -24) }}
    left join demand as lag_168h
        on lag_168h.area = spine.area and lag_168h.hour_start_at = {{ add_hours('spine.hour_start_at', -168) }}
    left join observed
        on observed.area = spine.area and observed.valid_at = spine.hour_start_at
    left join observed_daily
        on observed_daily.area = spine.area and observed_daily.valid_date_jst = spine.date_jst
)

select * from joined
