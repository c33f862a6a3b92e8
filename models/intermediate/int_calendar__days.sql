-- One row per date: the Japanese calendar that drives electricity demand.
-- Day types follow what load forecasters use: New Year period (12/29–1/3), public holidays
-- (incl. 振替休日 and 国民の休日), Sundays, Saturdays, bridge days (a weekday between two days
-- off), Obon (8/13–16) and Golden Week (4/29–5/5) workdays, and plain workdays.
-- Neighbouring days are found by date arithmetic (joins on date ± 1), never by row position.
with

holidays as (
    select * from {{ ref('stg_calendar__holidays') }}
),

bounds as (
    -- the calendar runs to the last known holiday (two years ahead), or to `calendar_end`
    select
        cast('{{ var("calendar_start", "2016-01-01") }}' as date) as first_date,
        {% if var("calendar_end", none) -%}
        cast('{{ var("calendar_end") }}' as date)
        {%- else -%}
        (select max(holiday_date) from holidays)
        {%- endif %} as last_date
),

dates as (
    {{ date_series('(select first_date from bounds)', '(select last_date from bounds)') }}
),

flagged as (
    select
        dates.date_day,
        {{ iso_dow('dates.date_day') }} as iso_dow,
        extract(month from dates.date_day) as month_of_year,
        extract(day from dates.date_day) as day_of_month,
        holidays.holiday_date is not null as is_public_holiday,
        coalesce(holidays.is_substitute, false) as is_substitute_holiday,
        coalesce(holidays.is_citizens_holiday, false) as is_citizens_holiday,
        holidays.holiday_name_ja,
        holidays.holiday_name_en
    from dates
    left join holidays on holidays.holiday_date = dates.date_day
),

periods as (
    select
        *,
        iso_dow >= 6 as is_weekend,
        (month_of_year = 12 and day_of_month >= 29) or (month_of_year = 1 and day_of_month <= 3)
            as is_new_year_period,
        month_of_year = 8 and day_of_month between 13 and 16 as is_obon,
        (month_of_year = 4 and day_of_month >= 29) or (month_of_year = 5 and day_of_month <= 5)
            as is_golden_week
    from flagged
),

off_days as (
    select
        *,
        is_weekend or is_public_holiday or is_new_year_period as is_day_off
    from periods
),

with_neighbours as (
    select
        d.*,
        coalesce(prev_day.is_day_off, false) as is_previous_day_off,
        coalesce(next_day.is_day_off, false) as is_next_day_off
    from off_days as d
    left join off_days as prev_day on prev_day.date_day = {{ add_days('d.date_day', -1) }}
    left join off_days as next_day on next_day.date_day = {{ add_days('d.date_day', 1) }}
),

typed as (
    select
        *,
        not is_day_off and is_previous_day_off and is_next_day_off as is_bridge_day,
        case
            when is_new_year_period then 'new_year'
            when is_public_holiday then 'holiday'
            when iso_dow = 7 then 'sunday'
            when iso_dow = 6 then 'saturday'
            when is_previous_day_off and is_next_day_off then 'bridge_workday'
            when is_obon then 'obon_workday'
            when is_golden_week then 'golden_week_workday'
            else 'workday'
        end as day_type
    from with_neighbours
),

final as (
    select
        date_day,
        iso_dow,
        month_of_year,
        day_of_month,
        day_type,
        holiday_name_ja,
        holiday_name_en,
        is_weekend,
        is_public_holiday,
        is_substitute_holiday,
        is_citizens_holiday,
        is_new_year_period,
        is_obon,
        is_golden_week,
        is_bridge_day,
        is_day_off,
        is_previous_day_off,
        is_next_day_off,
        not is_day_off as is_business_day,
        -- running count of business days since the calendar start (a business-day index)
        sum(case when is_day_off then 0 else 1 end) over (order by date_day rows unbounded preceding)
            as business_day_index
    from typed
)

select * from final
