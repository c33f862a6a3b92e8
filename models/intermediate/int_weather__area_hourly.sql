-- Service-area weather with the drivers that matter for load (macros/weather.sql), for
-- observed weather and every forecast vintage. Observed hours without Open-Meteo data are filled
-- from JMA after calibration (int_weather__jma_backfill; `temperature_source` says which).
with

open_meteo as (
    select *, 'open_meteo' as temperature_source from {{ ref('int_weather__points_weighted') }}
),

jma_backfill as (
    select * from {{ ref('int_weather__jma_backfill') }}
),

weighted as (
    select
        area, weather_kind, issued_at, valid_at, temperature_c, relative_humidity_pct, dew_point_c,
        apparent_temperature_c, precipitation_mm, snowfall_cm, cloud_cover_pct, shortwave_radiation_wm2,
        direct_radiation_wm2, wind_speed_kmh, n_points_with_temperature, lead_hours, lead_day, temperature_source
    from open_meteo
    union all
    select
        area, weather_kind, issued_at, valid_at, temperature_c, relative_humidity_pct, dew_point_c,
        apparent_temperature_c, precipitation_mm, snowfall_cm, cloud_cover_pct, shortwave_radiation_wm2,
        direct_radiation_wm2, wind_speed_kmh, n_points_with_temperature, lead_hours, lead_day, temperature_source
    from jma_backfill
),

derived as (
    select
        area,
        weather_kind,
        issued_at,
        valid_at,
        {{ to_jst('valid_at') }} as valid_at_jst,
        {{ jst_date('valid_at') }} as valid_date_jst,
        {{ jst_hour('valid_at') }} as valid_hour_jst,
        lead_hours,
        lead_day,
        temperature_c,
        relative_humidity_pct,
        dew_point_c,
        {{ apparent_temperature('temperature_c', 'relative_humidity_pct', 'apparent_temperature_c', 'wind_speed_kmh') }}
            as apparent_temperature_c,
        apparent_temperature_c is null as is_apparent_temperature_derived,
        precipitation_mm,
        snowfall_cm,
        cloud_cover_pct,
        shortwave_radiation_wm2,
        direct_radiation_wm2,
        wind_speed_kmh,
        {{ weather_drivers('temperature_c', 'relative_humidity_pct') }},
        n_points_with_temperature,
        temperature_source
    from weighted
)

select * from derived
