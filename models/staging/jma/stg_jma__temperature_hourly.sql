-- JMA station temperature per hour. Quality codes: 8 = normal, 5 = quasi-normal (kept),
-- anything else (e.g. 1 = missing) is dropped.
with

source as (
    select * from {{ source('jma', 'jma_hourly_temperature') }}
),

renamed as (
    select
        station_id,
        valid_at,
        cast(temperature_c as {{ type_double() }}) as temperature_c,
        quality_code
    from source
    where temperature_c is not null
        and quality_code in (5, 8)
)

select * from renamed
