-- Area-weighted weather per area, kind (observed | forecast), vintage and hour: the mean over the
-- area's points with the weights of the `weather_points` seed (population per prefecture;
-- macros/weather.sql: a point with a missing value drops out of that hour's mean). Cloud cover is
-- the source's where it has one, else a step function of the WMO weather code (the shared archive
-- has no cloud cover: macros/weather.sql, cloud_cover_from_weather_code).
with

weather as (
    select
        point_id, weather_kind, issued_at, valid_at, lead_hours, lead_day,
        temperature_c, relative_humidity_pct, dew_point_c, apparent_temperature_c, precipitation_mm,
        snowfall_cm, shortwave_radiation_wm2, direct_radiation_wm2, wind_speed_kmh,
        coalesce(cloud_cover_pct, {{ cloud_cover_from_weather_code('weather_code') }}) as cloud_cover_pct
    from {{ ref('stg_open_meteo__weather_hourly') }}
),

points as (
    select area, point_id, weight from {{ ref('weather_points') }}
),

weighted as (
    select
        points.area,
        weather.weather_kind,
        weather.issued_at,
        weather.valid_at,
        {% for col in ['temperature_c', 'relative_humidity_pct', 'dew_point_c', 'apparent_temperature_c',
                       'precipitation_mm', 'snowfall_cm', 'cloud_cover_pct', 'shortwave_radiation_wm2',
                       'direct_radiation_wm2', 'wind_speed_kmh'] %}
        {{ area_weighted_mean('weather.' ~ col, 'points.weight') }} as {{ col }},
        {% endfor %}
        count(weather.temperature_c) as n_points_with_temperature,
        min(weather.lead_hours) as lead_hours,
        min(weather.lead_day) as lead_day
    from weather
    inner join points on points.point_id = weather.point_id
    group by 1, 2, 3, 4
)

select * from weighted
