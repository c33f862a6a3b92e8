-- One row per area and hour: actual demand, TEPCO's own forecast, usage and supply, in MW.
-- The daily files (`power_usage`) and the yearly files (`juyo`) overlap from 2022-04; the daily
-- file wins because it carries every column and is where TEPCO publishes revisions.
with

source as (
    select * from {{ source('tepco', 'tepco_hourly') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by area, date_jst, hour_jst
            order by case when source_kind = 'power_usage' then 0 else 1 end, loaded_at desc
        ) as source_rank
    from source
),

renamed as (
    select
        ---------- ids
        area,
        hour_start_at,
        ---------- local time labels (hour start, JST)
        {{ to_jst('hour_start_at') }} as hour_start_jst,
        date_jst,
        hour_jst,
        ---------- measures, MW
        cast(demand_man_kw * 10 as {{ type_double() }}) as demand_mw,
        cast(forecast_man_kw * 10 as {{ type_double() }}) as tepco_forecast_mw,
        cast(supply_man_kw * 10 as {{ type_double() }}) as supply_capacity_mw,
        cast(usage_pct as {{ type_double() }}) as usage_pct,
        ---------- provenance
        source_kind as demand_source,
        source_file,
        file_updated_at,
        loaded_at
    from ranked
    where source_rank = 1
)

select * from renamed
