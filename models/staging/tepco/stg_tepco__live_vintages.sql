-- One row per area, vintage of TEPCO's live same-day file and hour of its day: what TEPCO showed
-- at `published_at` (the file's own UPDATE stamp, UTC): the provisional actual of each hour
-- already measured, and TEPCO's forecast of the others, in MW.
with

source as (
    select * from {{ source('tepco', 'tepco_live_hourly') }}
),

renamed as (
    select
        ---------- ids
        area,
        file_updated_at as published_at,
        hour_start_at,
        ---------- local time labels (hour start, JST)
        date_jst,
        hour_jst,
        ---------- measures, MW
        cast(demand_man_kw * 10 as {{ type_double() }}) as provisional_demand_mw,
        cast(forecast_man_kw * 10 as {{ type_double() }}) as tepco_forecast_mw,
        cast(supply_man_kw * 10 as {{ type_double() }}) as supply_capacity_mw,
        ---------- provenance
        captured_at,
        source_file,
        loaded_at
    from source
)

select * from renamed
