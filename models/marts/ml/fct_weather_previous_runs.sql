{{
    config(
        materialized='table',
        cluster_by=bq_cluster_by(['area', 'lead_day']),
    )
}}
-- Archived weather forecasts (Open-Meteo's Previous Runs API) per area, model, lead day and hour:
-- the area-weighted mean over the area's points and the derived load drivers, as for the other
-- weather (macros/weather.sql). `known_at` is when a backtest may first use a row;
-- `python -m ml backtest --weather previous_runs` picks, for each target hour, the smallest lead
-- known by the issue time. Empty until `ingest backfill --forecast-vintages` has run.
with

previous_runs as (
    select * from {{ ref('stg_open_meteo__previous_runs') }}
),

points as (
    select area, point_id, weight from {{ ref('weather_points') }}
),

weighted as (
    select
        points.area,
        previous_runs.model,
        previous_runs.lead_day,
        previous_runs.valid_at,
        max(previous_runs.known_at) as known_at,
        {% for col in ['temperature_c', 'relative_humidity_pct', 'apparent_temperature_c',
                       'precipitation_mm', 'cloud_cover_pct', 'shortwave_radiation_wm2'] %}
        {{ area_weighted_mean('previous_runs.' ~ col, 'points.weight') }} as {{ col }},
        {% endfor %}
        count(previous_runs.temperature_c) as n_points_with_temperature
    from previous_runs
    inner join points on points.point_id = previous_runs.point_id
    group by 1, 2, 3, 4
),

with_drivers as (
    select
        area,
        model,
        lead_day,
        valid_at,
        {{ to_jst('valid_at') }} as valid_at_jst,
        known_at,
        temperature_c,
        relative_humidity_pct,
        {{ apparent_temperature('temperature_c', 'relative_humidity_pct', 'apparent_temperature_c', 'null') }}
            as apparent_temperature_c,
        precipitation_mm,
        cloud_cover_pct,
        shortwave_radiation_wm2,
        {{ weather_drivers('temperature_c', 'relative_humidity_pct') }},
        n_points_with_temperature
    from weighted
)

select * from with_drivers
