-- Observed and forecast weather per point and hour, one row per (point, kind, vintage, hour).
-- Forecast rows keep the vintage they came from (`issued_at`) and their lead time; observed rows
-- have no vintage. Lead day 1 is the JST date of issue (as for forecast horizons).
with

observed as (
    select
        point_id,
        'observed' as weather_kind,
        cast(null as {{ type_instant() }}) as issued_at,
        valid_at,
        temperature_2m, relative_humidity_2m, dew_point_2m, apparent_temperature, precipitation,
        snowfall, weather_code, cloud_cover, shortwave_radiation, direct_radiation, wind_speed_10m,
        loaded_at
    from {{ source('open_meteo', 'open_meteo_observed') }}
),

forecast as (
    select
        point_id,
        'forecast' as weather_kind,
        issued_at,
        valid_at,
        temperature_2m, relative_humidity_2m, dew_point_2m, apparent_temperature, precipitation,
        snowfall, weather_code, cloud_cover, shortwave_radiation, direct_radiation, wind_speed_10m,
        loaded_at
    from {{ source('open_meteo', 'open_meteo_forecast') }}
),

unioned as (
    select * from observed
    union all
    select * from forecast
),

renamed as (
    select
        ---------- ids
        point_id,
        weather_kind,
        issued_at,
        valid_at,
        ---------- local time labels
        {{ to_jst('valid_at') }} as valid_at_jst,
        {{ jst_date('valid_at') }} as valid_date_jst,
        ---------- lead time (forecast rows only; negative = the vintage's past days)
        case when issued_at is not null then {{ hours_between('issued_at', 'valid_at') }} end as lead_hours,
        case
            when issued_at is not null
                then {{ days_between(jst_date('issued_at'), jst_date('valid_at')) }} + 1
        end as lead_day,
        ---------- weather
        cast(temperature_2m as {{ type_double() }}) as temperature_c,
        cast(relative_humidity_2m as {{ type_double() }}) as relative_humidity_pct,
        cast(dew_point_2m as {{ type_double() }}) as dew_point_c,
        cast(apparent_temperature as {{ type_double() }}) as apparent_temperature_c,
        cast(precipitation as {{ type_double() }}) as precipitation_mm,
        cast(snowfall as {{ type_double() }}) as snowfall_cm,
        cast(weather_code as {{ type_int() }}) as weather_code,
        cast(cloud_cover as {{ type_double() }}) as cloud_cover_pct,
        cast(shortwave_radiation as {{ type_double() }}) as shortwave_radiation_wm2,
        cast(direct_radiation as {{ type_double() }}) as direct_radiation_wm2,
        cast(wind_speed_10m as {{ type_double() }}) as wind_speed_kmh,
        ---------- provenance
        loaded_at
    from unioned
)

select * from renamed
