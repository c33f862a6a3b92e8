-- The model's forecasts, one row per run, area, model and target hour, with JST labels.
with

source as (
    select * from {{ source('ml', 'ml_forecasts') }}
),

renamed as (
    select
        ---------- ids
        run_id,
        area,
        model,
        model_version,
        run_kind,
        weather_source,
        ---------- times
        issued_at,
        {{ jst_date('issued_at') }} as issue_date_jst,
        target_hour_start_at,
        {{ jst_date('target_hour_start_at') }} as target_date_jst,
        {{ jst_hour('target_hour_start_at') }} as target_hour_jst,
        ---------- prediction, MW
        cast(predicted_mw as {{ type_double() }}) as predicted_mw,
        cast(lower_mw as {{ type_double() }}) as lower_mw,
        cast(upper_mw as {{ type_double() }}) as upper_mw,
        cast(interval_level as {{ type_double() }}) as interval_level,
        created_at
    from source
)

select * from renamed
