{#-
    The load drivers derived from area weather, defined once for every model that needs them
    (observed and forecast weather in int_weather__area_hourly, archived forecasts in
    fct_weather_previous_runs):
      cooling_degree_c = max(T − 22 °C, 0), heating_degree_c = max(14 °C − T, 0)
      discomfort_index = 0.81·T + 0.01·RH·(0.99·T − 14.3) + 46.3   (不快指数)
      apparent_temperature_c: Open-Meteo's where it has one, else Steadman's
      AT = T + 0.33·e − 0.70·wind(m/s) − 4.0 with e = RH/100 · 6.105 · exp(17.27·T / (237.7 + T))
    Arguments are column expressions; `wind_kmh` may be 'null' (no wind: taken as calm).
-#}
{% macro apparent_temperature(t, rh, at, wind_kmh) -%}
    coalesce(
        {{ at }},
        {{ t }}
        + 0.33 * ({{ rh }} / 100 * 6.105 * exp(17.27 * {{ t }} / (237.7 + {{ t }})))
        - 0.70 * coalesce({{ wind_kmh }} / 3.6, 0)
        - 4.0
    )
{%- endmacro %}

{% macro weather_drivers(t, rh) -%}
    greatest({{ t }} - 22, 0) as cooling_degree_c,
    greatest(14 - {{ t }}, 0) as heating_degree_c,
    0.81 * {{ t }} + 0.01 * {{ rh }} * (0.99 * {{ t }} - 14.3) + 46.3 as discomfort_index
{%- endmacro %}

{#-
    The area mean of a point variable, weighted by the points' weights (the `weather_points` seed):
    a point with a missing value drops out of that hour's mean (weights renormalised over the
    others). Rounded: a float sum's last bits depend on the order threads add it in, and the marts
    must be identical when rebuilt from the same data.
-#}
{% macro area_weighted_mean(value, weight) -%}
    round(sum({{ weight }} * {{ value }}) / nullif(sum(case when {{ value }} is not null then {{ weight }} end), 0), 4)
{%- endmacro %}

{#-
    A coarse cloud cover (%) from the WMO weather code, for sources that do not carry cloud cover
    (the shared Open-Meteo archive was fetched with temperature, humidity, precipitation and
    weather_code only): 0 clear → 0, 1 mainly clear → 25, 2 partly cloudy → 60, 3 overcast, fog,
    drizzle, rain, snow, showers, thunder → 100. Open-Meteo derives codes 0–3 from its own cloud
    cover, so this is a step function of it; a real `cloud_cover` always wins.
-#}
{% macro cloud_cover_from_weather_code(code) -%}
    case
        when {{ code }} is null then null
        when {{ code }} = 0 then 0
        when {{ code }} = 1 then 25
        when {{ code }} = 2 then 60
        else 100
    end
{%- endmacro %}
