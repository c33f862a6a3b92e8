-- The hourly spine: one row per area and hour (hour start) over the whole calendar, with the
-- calendar of its JST date. Every hourly mart joins onto this, so gaps in data stay visible as
-- NULLs instead of shifting rows.
with

days as (
    select * from {{ ref('int_calendar__days') }}
),

areas as (
    select distinct area from {{ ref('weather_points') }}
),

hours_of_day as (
    {{ int_series(0, 23) }}
),

spine as (
    select
        areas.area,
        {{ jst_instant('days.date_day', 'hours_of_day.n') }} as hour_start_at,
        days.date_day as date_jst,
        hours_of_day.n as hour_jst,
        days.iso_dow,
        days.month_of_year,
        days.day_of_month,
        days.day_type,
        days.holiday_name_ja,
        days.is_weekend,
        days.is_public_holiday,
        days.is_substitute_holiday,
        days.is_new_year_period,
        days.is_obon,
        days.is_golden_week,
        days.is_bridge_day,
        days.is_day_off,
        days.is_previous_day_off,
        days.is_next_day_off,
        days.is_business_day,
        days.business_day_index
    from days
    cross join hours_of_day
    cross join areas
)

select * from spine
