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

{#- The first date an incremental model must re-read so that everything loaded since its last run
    reaches it: the earliest `date_column` among the rows of `inputs` whose `loaded_column` is at
    or after the newest `loaded_column` already in this table, and never later than
    max(`date_column`) − `days`. Driven by what was loaded, not by the calendar: a backfill of
    years (a first run that bootstrapped after a failed one) or a revision of a month-old value
    re-reads exactly the dates it touched. `columns`: the model's columns that an older build may
    lack; when the table misses one (on_schema_change appends it as NULL), everything is re-read,
    so an upgraded warehouse fills the new column on every row. Returned as a DATE literal, for
    BigQuery's partition pruning (see incremental_lower_bound). -#}
{% macro loaded_since_lower_bound(inputs, date_column, loaded_column, days, columns=[]) %}
    {%- if not execute -%}{{ return("cast('1900-01-01' as date)") }}{%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for column in columns -%}
        {%- if column | lower not in existing -%}{{ return("cast('1900-01-01' as date)") }}{%- endif -%}
    {%- endfor -%}
    {%- set calendar = incremental_lower_bound(date_column, days) -%}
    {#- collected in a list: a `set` inside the loop would not outlive it (Jinja scoping) -#}
    {%- set bounds = [modules.datetime.date.fromisoformat(calendar.split("'")[1])] -%}
    {%- for input in inputs -%}
        {%- set result = run_query(
            "select min(" ~ date_column ~ ") from " ~ input ~ " where " ~ loaded_column
            ~ " >= (select max(" ~ loaded_column ~ ") from " ~ this ~ ")") -%}
        {%- set earliest = result.columns[0].values()[0] if result and result.rows | length else none -%}
        {%- if earliest is not none -%}
            {%- do bounds.append(modules.datetime.date.fromisoformat((earliest | string)[:10])) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return("cast('" ~ (bounds | min).isoformat() ~ "' as date)") }}
{% endmacro %}
