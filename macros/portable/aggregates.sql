{#- median as an aggregate. BigQuery has no exact median aggregate; approx_quantiles is close
    enough for robust statistics (it is what BigQuery recommends). -#}
{% macro median_agg(x) %}{{ return(adapter.dispatch('median_agg', 'energy_forecast')(x)) }}{% endmacro %}
{% macro default__median_agg(x) %}median({{ x }}){% endmacro %}
{% macro bigquery__median_agg(x) %}approx_quantiles({{ x }}, 100)[offset(50)]{% endmacro %}

{#- the as-of date of this run: var('as_of'), else the environment's ENERGY_AS_OF (what run_daily
    sets: unlike --vars, a changed env var re-parses only the files that read it, so dbt's partial
    parsing stays valid from one day to the next), else today (JST). -#}
{% macro run_as_of_date() -%}
{%- set as_of = var('as_of', none) or env_var('ENERGY_AS_OF', '') -%}
{%- if as_of -%}
{%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', as_of | string) -%}
{{ exceptions.raise_compiler_error("as_of must look like 2024-06-01, got '" ~ as_of ~ "'") }}
{%- endif -%}
cast('{{ as_of }}' as date)
{%- else -%}{{ jst_date(now_instant()) }}{%- endif -%}
{%- endmacro %}

{#- the pipeline run this build belongs to: var('run_id'), else ENERGY_RUN_ID (run_daily), else dbt's
    own invocation id -#}
{% macro pipeline_run_id() -%}
{{ return((var('run_id', none) or env_var('ENERGY_RUN_ID', invocation_id)) | string | replace("'", "")) }}
{%- endmacro %}

{#- mean and sum that do not depend on the order the engine adds rows in. Floating-point addition is
    not associative and both engines sum in parallel, so avg()/sum() of doubles can differ in the last
    bits from one build to the next, and a metric rounded to 6 decimals then flips now and then (a
    re-run of bench-operation changed one interval score, 14612.344622 → …621). Each value is cast to
    fixed point (6 decimals; BigQuery NUMERIC keeps 9) and summed exactly; the result is a double. -#}
{% macro exact_avg(x) %}{{ return(adapter.dispatch('exact_avg', 'energy_forecast')(x)) }}{% endmacro %}
{% macro default__exact_avg(x) %}cast(avg(cast({{ x }} as decimal(28, 6))) as double){% endmacro %}
{% macro bigquery__exact_avg(x) %}cast(avg(cast({{ x }} as numeric)) as float64){% endmacro %}

{% macro exact_sum(x) %}{{ return(adapter.dispatch('exact_sum', 'energy_forecast')(x)) }}{% endmacro %}
{% macro default__exact_sum(x) %}cast(sum(cast({{ x }} as decimal(28, 6))) as double){% endmacro %}
{% macro bigquery__exact_sum(x) %}cast(sum(cast({{ x }} as numeric)) as float64){% endmacro %}
