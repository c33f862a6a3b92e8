-- Archived weather forecasts from Open-Meteo's Previous Runs API, per point, model, lead day and
-- hour: what the model said `lead_day` days (24·lead h) before the hour. `known_at` (set at
-- ingestion from core/time.py) is the first moment a backtest may use the value.
with

source as (
    select * from {{ source('open_meteo', 'open_meteo_previous_runs') }}
),

renamed as (
    select
        ---------- ids
        point_id,
        model,
        lead_day,
        valid_at,
        ---------- local time labels
        {{ to_jst('valid_at') }} as valid_at_jst,
        {{ jst_date('valid_at') }} as valid_date_jst,
        ---------- when the value could first be used
        known_at,
        ---------- weather
        cast(temperature_2m as {{ type_double() }}) as temperature_c,
        cast(relative_humidity_2m as {{ type_double() }}) as relative_humidity_pct,
        cast(apparent_temperature as {{ type_double() }}) as apparent_temperature_c,
        cast(precipitation as {{ type_double() }}) as precipitation_mm,
        cast(cloud_cover as {{ type_double() }}) as cloud_cover_pct,
        cast(shortwave_radiation as {{ type_double() }}) as shortwave_radiation_wm2,
        ---------- provenance
        loaded_at
    from source
)

select * from renamed
