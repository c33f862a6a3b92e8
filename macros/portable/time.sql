{#- Time arithmetic and time zones. Instants are UTC (timestamptz / TIMESTAMP); JST wall-clock
    values are naive (timestamp / DATETIME) and named *_jst. Never compare the two kinds. -#}

{#- instant + n hours → instant -#}
{% macro add_hours(ts, n) %}{{ return(adapter.dispatch('add_hours', 'energy_forecast')(ts, n)) }}{% endmacro %}
{% macro default__add_hours(ts, n) %}({{ ts }} + to_hours(cast({{ n }} as bigint))){% endmacro %}
{% macro bigquery__add_hours(ts, n) %}timestamp_add({{ ts }}, interval cast({{ n }} as int64) hour){% endmacro %}

{#- date + n days → date -#}
{% macro add_days(d, n) %}{{ return(adapter.dispatch('add_days', 'energy_forecast')(d, n)) }}{% endmacro %}
{% macro default__add_days(d, n) %}cast({{ d }} + to_days(cast({{ n }} as integer)) as date){% endmacro %}
{% macro bigquery__add_days(d, n) %}date_add({{ d }}, interval cast({{ n }} as int64) day){% endmacro %}

{#- whole hours from instant a to instant b (b − a) -#}
{% macro hours_between(a, b) %}{{ return(adapter.dispatch('hours_between', 'energy_forecast')(a, b)) }}{% endmacro %}
{% macro default__hours_between(a, b) %}cast(floor((epoch({{ b }}) - epoch({{ a }})) / 3600) as bigint){% endmacro %}
{% macro bigquery__hours_between(a, b) %}cast(floor(timestamp_diff({{ b }}, {{ a }}, second) / 3600) as int64){% endmacro %}

{#- days from date a to date b (b − a) -#}
{% macro days_between(a, b) %}{{ return(adapter.dispatch('days_between', 'energy_forecast')(a, b)) }}{% endmacro %}
{% macro default__days_between(a, b) %}cast(({{ b }} - {{ a }}) as bigint){% endmacro %}
{% macro bigquery__days_between(a, b) %}date_diff({{ b }}, {{ a }}, day){% endmacro %}

{#- instant → JST wall clock (naive) -#}
{% macro to_jst(ts) %}{{ return(adapter.dispatch('to_jst', 'energy_forecast')(ts)) }}{% endmacro %}
{% macro default__to_jst(ts) %}timezone('{{ var("local_time_zone") }}', {{ ts }}){% endmacro %}
{% macro bigquery__to_jst(ts) %}datetime({{ ts }}, '{{ var("local_time_zone") }}'){% endmacro %}

{#- instant → JST calendar date -#}
{% macro jst_date(ts) %}{{ return(adapter.dispatch('jst_date', 'energy_forecast')(ts)) }}{% endmacro %}
{% macro default__jst_date(ts) %}cast(timezone('{{ var("local_time_zone") }}', {{ ts }}) as date){% endmacro %}
{% macro bigquery__jst_date(ts) %}date({{ ts }}, '{{ var("local_time_zone") }}'){% endmacro %}

{#- instant → JST hour of day 0–23 -#}
{% macro jst_hour(ts) %}{{ return(adapter.dispatch('jst_hour', 'energy_forecast')(ts)) }}{% endmacro %}
{% macro default__jst_hour(ts) %}cast(extract(hour from timezone('{{ var("local_time_zone") }}', {{ ts }})) as bigint){% endmacro %}
{% macro bigquery__jst_hour(ts) %}extract(hour from {{ ts }} at time zone '{{ var("local_time_zone") }}'){% endmacro %}

{#- JST date + hour → instant (JST has no DST, so this is exact) -#}
{% macro jst_instant(d, hour) %}{{ return(adapter.dispatch('jst_instant', 'energy_forecast')(d, hour)) }}{% endmacro %}
{% macro default__jst_instant(d, hour) %}timezone('{{ var("local_time_zone") }}', cast({{ d }} as timestamp) + to_hours(cast({{ hour }} as bigint))){% endmacro %}
{% macro bigquery__jst_instant(d, hour) %}timestamp_add(timestamp({{ d }}, '{{ var("local_time_zone") }}'), interval cast({{ hour }} as int64) hour){% endmacro %}

{#- ISO day of week of a date: 1 = Monday … 7 = Sunday -#}
{% macro iso_dow(d) %}{{ return(adapter.dispatch('iso_dow', 'energy_forecast')(d)) }}{% endmacro %}
{% macro default__iso_dow(d) %}cast(isodow({{ d }}) as bigint){% endmacro %}
{% macro bigquery__iso_dow(d) %}mod(extract(dayofweek from {{ d }}) + 5, 7) + 1{% endmacro %}

{#- a literal instant from an ISO string (UTC) -#}
{% macro instant_literal(s) %}{{ return(adapter.dispatch('instant_literal', 'energy_forecast')(s)) }}{% endmacro %}
{% macro default__instant_literal(s) %}cast('{{ s }}' as timestamptz){% endmacro %}
{% macro bigquery__instant_literal(s) %}timestamp('{{ s }}'){% endmacro %}

{#- now, as an instant -#}
{% macro now_instant() %}{{ return(adapter.dispatch('now_instant', 'energy_forecast')()) }}{% endmacro %}
{% macro default__now_instant() %}current_timestamp{% endmacro %}
{% macro bigquery__now_instant() %}current_timestamp(){% endmacro %}

{#- first day of the month of a DATE, as a DATE (dbt.date_trunc would give BigQuery a TIMESTAMP) -#}
{% macro month_start(d) %}{{ return(adapter.dispatch('month_start', 'energy_forecast')(d)) }}{% endmacro %}
{% macro default__month_start(d) %}cast(date_trunc('month', {{ d }}) as date){% endmacro %}
{% macro bigquery__month_start(d) %}date_trunc({{ d }}, month){% endmacro %}
