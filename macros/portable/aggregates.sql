{#- median as an aggregate. BigQuery has no exact median aggregate; approx_quantiles is close
    enough for robust statistics (it is what BigQuery recommends). -#}
{% macro median_agg(x) %}{{ return(adapter.dispatch('median_agg', 'energy_forecast')(x)) }}{% endmacro %}
{% macro default__median_agg(x) %}median({{ x }}){% endmacro %}
{% macro bigquery__median_agg(x) %}approx_quantiles({{ x }}, 100)[offset(50)]{% endmacro %}

{#- the as-of date of this run: var('as_of') when run_daily passes one, else today (JST) -#}
{% macro run_as_of_date() -%}
{%- if var('as_of', none) -%}cast('{{ var("as_of") }}' as date){%- else -%}{{ jst_date(now_instant()) }}{%- endif -%}
{%- endmacro %}
