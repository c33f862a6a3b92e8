{#- Row generators. Each returns a full SELECT with one column. -#}

{#- one row per date in [start, end] (date expressions), column `date_day` -#}
{% macro date_series(start, end) %}{{ return(adapter.dispatch('date_series', 'energy_forecast')(start, end)) }}{% endmacro %}
{% macro default__date_series(start, end) -%}
select cast(unnest(generate_series(cast({{ start }} as date), cast({{ end }} as date), interval 1 day)) as date) as date_day
{%- endmacro %}
{% macro bigquery__date_series(start, end) -%}
select date_day from unnest(generate_date_array({{ start }}, {{ end }}, interval 1 day)) as date_day
{%- endmacro %}

{#- one row per integer in [lo, hi], column `n` -#}
{% macro int_series(lo, hi) %}{{ return(adapter.dispatch('int_series', 'energy_forecast')(lo, hi)) }}{% endmacro %}
{% macro default__int_series(lo, hi) -%}
select cast(unnest(generate_series({{ lo }}, {{ hi }})) as bigint) as n
{%- endmacro %}
{% macro bigquery__int_series(lo, hi) -%}
select n from unnest(generate_array({{ lo }}, {{ hi }})) as n
{%- endmacro %}
