{#- Column types that mean the same thing on DuckDB and BigQuery.
    dbt.type_float() is a 32-bit REAL on DuckDB and dbt.type_int() is 32-bit there: both traps. -#}

{% macro type_double() %}{{ return(adapter.dispatch('type_double', 'energy_forecast')()) }}{% endmacro %}
{% macro default__type_double() %}double{% endmacro %}
{% macro bigquery__type_double() %}float64{% endmacro %}

{% macro type_int() %}{{ return(adapter.dispatch('type_int', 'energy_forecast')()) }}{% endmacro %}
{% macro default__type_int() %}bigint{% endmacro %}
{% macro bigquery__type_int() %}int64{% endmacro %}

{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'energy_forecast')()) }}{% endmacro %}
{% macro default__type_string() %}varchar{% endmacro %}
{% macro bigquery__type_string() %}string{% endmacro %}

{#- An instant (UTC). DuckDB: timestamptz (session TimeZone is UTC); BigQuery: TIMESTAMP. -#}
{% macro type_instant() %}{{ return(adapter.dispatch('type_instant', 'energy_forecast')()) }}{% endmacro %}
{% macro default__type_instant() %}timestamptz{% endmacro %}
{% macro bigquery__type_instant() %}timestamp{% endmacro %}

{#- A wall-clock time without zone (JST labels). DuckDB: timestamp; BigQuery: DATETIME. -#}
{% macro type_local_datetime() %}{{ return(adapter.dispatch('type_local_datetime', 'energy_forecast')()) }}{% endmacro %}
{% macro default__type_local_datetime() %}timestamp{% endmacro %}
{% macro bigquery__type_local_datetime() %}datetime{% endmacro %}

{#- cast that gives NULL instead of failing (dbt.safe_cast raises on DuckDB). -#}
{% macro try_cast(expr, type) %}{{ return(adapter.dispatch('try_cast', 'energy_forecast')(expr, type)) }}{% endmacro %}
{% macro default__try_cast(expr, type) %}try_cast({{ expr }} as {{ type }}){% endmacro %}
{% macro bigquery__try_cast(expr, type) %}safe_cast({{ expr }} as {{ type }}){% endmacro %}
