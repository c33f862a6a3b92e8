{#- The first date an incremental model re-reads: max(<column>) of the existing table minus
    `days`, as a DATE literal. A literal, not a subquery, because BigQuery prunes partitions only
    for constant filters: with `where d >= (select max(d) … )` a daily run would scan the whole
    history of its inputs. Evaluated when the model runs (one small query on the target). -#}
{% macro incremental_lower_bound(column, days) %}
    {%- if not execute -%}{{ return("cast('1900-01-01' as date)") }}{%- endif -%}
    {%- set result = run_query("select max(" ~ column ~ ") from " ~ this) -%}
    {%- set latest = result.columns[0].values()[0] if result and result.rows | length else none -%}
    {%- if latest is none -%}{{ return("cast('1900-01-01' as date)") }}{%- endif -%}
    {%- set latest_text = latest | string -%}
    {%- set latest_date = modules.datetime.date.fromisoformat(latest_text[:10]) -%}
    {%- set bound = latest_date - modules.datetime.timedelta(days=days) -%}
    {{ return("cast('" ~ bound.isoformat() ~ "' as date)") }}
{% endmacro %}
