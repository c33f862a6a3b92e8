-- Service-area weather: the weighted mean over the area's points (weights: the
-- `weather_points` seed, population per prefecture), for observed weather and for every
-- forecast vintage, plus the drivers that matter for load. A point with a missing value drops
-- out of that hour's mean (weights renormalised over the points that have one).
--   cooling_degree_c = max(T − 22 °C, 0), heating_degree_c = max(14 °C − T, 0)
--   discomfort_index = 0.81·T + 0.01·RH·(0.99·T − 14.3) + 46.3   (不快指数)
--   apparent_temperature_c: Open-Meteo's where it has one, else Steadman's
--   AT = T + 0.33·e − 0.70·wind(m/s) − 4.0 with e = RH/100 · 6.105 · exp(17.27·T / (237.7 + T))
with

weather as (
    select * from {{ ref('stg_open_meteo__weather_hourly') }}
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
        sum(points.weight * weather.{{ col }})
            / nullif(sum(case when weather.{{ col }} is not null then points.weight end), 0) as {{ col }},
        {% endfor %}
        count(weather.temperature_c) as n_points_with_temperature,
        min(weather.lead_hours) as lead_hours,
        min(weather.lead_day) as lead_day
    from weather
    inner join points on points.point_id = weather.point_id
    group by 1, 2, 3, 4
),

derived as (
    select
        area,
        weather_kind,
        issued_at,
        valid_at,
        {{ to_jst('valid_at') }} as valid_at_jst,
        {{ jst_date('valid_at') }} as valid_date_jst,
        {{ jst_hour('valid_at') }} as valid_hour_jst,
        lead_hours,
        lead_day,
        temperature_c,
        relative_humidity_pct,
        dew_point_c,
        coalesce(
            apparent_temperature_c,
            temperature_c
            + 0.33 * (relative_humidity_pct / 100 * 6.105 * exp(17.27 * temperature_c / (237.7 + temperature_c)))
            - 0.70 * coalesce(wind_speed_kmh / 3.6, 0)
            - 4.0
        ) as apparent_temperature_c,
        apparent_temperature_c is null as is_apparent_temperature_derived,
        precipitation_mm,
        snowfall_cm,
        cloud_cover_pct,
        shortwave_radiation_wm2,
        direct_radiation_wm2,
        wind_speed_kmh,
        greatest(temperature_c - 22, 0) as cooling_degree_c,
        greatest(14 - temperature_c, 0) as heating_degree_c,
        0.81 * temperature_c + 0.01 * relative_humidity_pct * (0.99 * temperature_c - 14.3) + 46.3
            as discomfort_index,
        n_points_with_temperature
    from weighted
)

select * from derived
