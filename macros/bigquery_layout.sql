{#- BigQuery table layout for the facts: daily partitions on an instant column and clustering
    keys. Other adapters ignore both (return none), so models state their layout once. -#}

{% macro bq_partition_by_day(field, data_type='timestamp') %}
    {{ return({'field': field, 'data_type': data_type, 'granularity': 'day'} if target.type == 'bigquery' else none) }}
{% endmacro %}

{% macro bq_cluster_by(columns) %}
    {{ return(columns if target.type == 'bigquery' else none) }}
{% endmacro %}
