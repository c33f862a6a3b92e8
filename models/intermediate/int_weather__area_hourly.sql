-- Service-area weather with the drivers that matter for load, for observed weather and every
-- forecast vintage. Observed hours without Open-Meteo data are filled from JMA after calibration
-- (int_weather__jma_backfill; `temperature_source` says which).
--   cooling_degree_c = max(T − 22 °C, 0), heating_degree_c = max(14 °C − T, 0)
--   discomfort_index = 0.81·T + 0.01·RH·(0.99·T − 14.3) + 46.3   (不快指数)
--   apparent_temperature_c: Open-Meteo's where it has one, else Steadman's
--   AT = T + 0.33·e − 0.70·wind(m/s) − 4.0 with e = RH/100 · 6.105 · exp(17.27·T / (237.7 + T))
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
        coalesce(
            apparent_temperature_c,
            temperature_c
            + 0.33 * (relative_humidity_pct / 100 * 6.105 * exp(17.27 * temperature_c / (237.7 + temperature_c)))
            - 0.70 * coalesce(wind_speed_kmh / 3.6, 0)
            - 4.0
        ) as apparent_temperature_c,
        apparent_temperature_c is null as is_apparent_temperature_derived,
        precipitation_mm,
        snowfall_cm,
        cloud_cover_pct,
        shortwave_radiation_wm2,
        direct_radiation_wm2,
        wind_speed_kmh,
        greatest(temperature_c - 22, 0) as cooling_degree_c,
        greatest(14 - temperature_c, 0) as heating_degree_c,
        0.81 * temperature_c + 0.01 * relative_humidity_pct * (0.99 * temperature_c - 14.3) + 46.3
            as discomfort_index,
        n_points_with_temperature,
        temperature_source
    from weighted
)

select * from derived
