-- One row per area and five-minute interval (interval start, JST): demand and solar output in MW.
with

source as (
    select * from {{ source('tepco', 'tepco_five_minute') }}
),

renamed as (
    select
        ---------- ids
        area,
        interval_start_at,
        ---------- local time labels
        date_jst,
        minute_of_day,
        cast(floor(minute_of_day / 60) as {{ type_int() }}) as hour_jst,
        ---------- measures, MW and %
        cast(demand_man_kw * 10 as {{ type_double() }}) as demand_mw,
        cast(solar_man_kw * 10 as {{ type_double() }}) as solar_mw,
        cast(solar_share_pct as {{ type_double() }}) as solar_share_pct,
        ---------- provenance
        source_file,
        loaded_at
    from source
)

select * from renamed
