-- One row per Japanese public holiday. 振替休日 (substitute holiday) and 国民の休日 (a weekday
-- squeezed between two holidays) are flagged because the calendar treats them specially.
with

source as (
    select * from {{ source('calendar', 'jp_holidays') }}
),

renamed as (
    select
        holiday_date,
        name_ja as holiday_name_ja,
        name_en as holiday_name_en,
        is_substitute,
        name_ja = '国民の休日' as is_citizens_holiday
    from source
    where country = 'JP'
)

select * from renamed
