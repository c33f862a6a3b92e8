-- Observed area temperature for hours that Open-Meteo does not cover, from the JMA station of the
-- area (station_id = area), mapped onto the area mean by a linear fit per JST hour of day on the
-- hours both have: area_T ≈ intercept_h + slope_h · station_T. Never used where Open-Meteo has a
-- value, never for forecasts. Needs at least 60 overlapping hours per hour of day.
with

area_observed as (
    select area, valid_at, temperature_c
    from {{ ref('int_weather__points_weighted') }}
    where weather_kind = 'observed' and temperature_c is not null
),

station as (
    select station_id as area, valid_at, temperature_c
    from {{ ref('stg_jma__temperature_hourly') }}
),

pairs as (
    select
        area_observed.area,
        {{ jst_hour('area_observed.valid_at') }} as hour_jst,
        area_observed.temperature_c as y,
        station.temperature_c as x
    from area_observed
    inner join station on station.area = area_observed.area and station.valid_at = area_observed.valid_at
),

fit as (
    select
        area,
        hour_jst,
        round(covar_pop(y, x) / nullif(var_pop(x), 0), 6) as slope,
        round(avg(y) - covar_pop(y, x) / nullif(var_pop(x), 0) * avg(x), 6) as intercept,
        count(*) as n_pairs
    from pairs
    group by 1, 2
    having count(*) >= 60
),

gaps as (
    select station.*
    from station
    left join area_observed on area_observed.area = station.area and area_observed.valid_at = station.valid_at
    where area_observed.valid_at is null
),

calibrated as (
    select
        gaps.area,
        'observed' as weather_kind,
        cast(null as {{ type_instant() }}) as issued_at,
        gaps.valid_at,
        round(fit.intercept + fit.slope * gaps.temperature_c, 4) as temperature_c,
        cast(null as {{ type_double() }}) as relative_humidity_pct,
        cast(null as {{ type_double() }}) as dew_point_c,
        cast(null as {{ type_double() }}) as apparent_temperature_c,
        cast(null as {{ type_double() }}) as precipitation_mm,
        cast(null as {{ type_double() }}) as snowfall_cm,
        cast(null as {{ type_double() }}) as cloud_cover_pct,
        cast(null as {{ type_double() }}) as shortwave_radiation_wm2,
        cast(null as {{ type_double() }}) as direct_radiation_wm2,
        cast(null as {{ type_double() }}) as wind_speed_kmh,
        cast(0 as {{ type_int() }}) as n_points_with_temperature,
        cast(null as {{ type_int() }}) as lead_hours,
        cast(null as {{ type_int() }}) as lead_day,
        'jma_calibrated' as temperature_source
    from gaps
    inner join fit on fit.area = gaps.area and fit.hour_jst = {{ jst_hour('gaps.valid_at') }}
)

select * from calibrated
