{#
    Schema (BigQuery dataset) of every node: the target's schema, or `<target.schema>_<custom>` when
    the node sets a custom schema (dbt_project.yml: staging, intermediate, marts, reference). With the
    profiles' `analytics` that gives analytics, analytics_staging, analytics_intermediate,
    analytics_marts and analytics_reference.

    This is dbt's own default (default__generate_schema_name in dbt-core), written out on purpose:
    these names are a contract. The Python side (the ML step, the dashboard, the run log) reads the
    marts by relation name, and users and the Looker Studio dashboards (models/exposures.yml) query
    analytics_marts.* directly. Keeping the macro in the project pins that naming against a change
    of dbt's default or an adapter or package override. Change it only together with every reader.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}

    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}

        {{ default_schema }}

    {%- else -%}

        {{ default_schema }}_{{ custom_schema_name | trim }}

    {%- endif -%}

{%- endmacro %}
