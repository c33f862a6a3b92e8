-- Observed area temperature per area and JST day: highest, lowest and mean of the hours.
-- Shared by the feature view (day-level weather features) and rpt_demand_daily.
with

observed as (
    select * from {{ ref('int_weather__area_hourly') }}
    where weather_kind = 'observed'
)

select
    area,
    valid_date_jst,
    count(temperature_c) as n_hours_with_temperature,
    max(temperature_c) as day_max_temperature_c,
    min(temperature_c) as day_min_temperature_c,
    -- mean of 4-decimal values, summed as integers: a float sum depends on the order the threads
    -- add in, and a mean of 24 such values often lands exactly on a rounding tie
    round(
        sum(cast(round(temperature_c * 10000) as {{ dbt.type_bigint() }}))
        / count(temperature_c) / 10000,
        4
    ) as day_mean_temperature_c
from observed
group by 1, 2
