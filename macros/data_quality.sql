{#- The four columns every row of fct_data_quality_checks starts from, typed alike so that the
    checks can be unioned: the check's name, what it measured, and the thresholds above which it
    warns or errors (null: no threshold). -#}
{% macro dq_check(name, observed, warn, error) -%}
    '{{ name }}' as check_name,
    cast({{ observed }} as {{ type_double() }}) as observed_value,
    cast({{ warn }} as {{ type_double() }}) as warn_threshold,
    cast({{ error }} as {{ type_double() }}) as error_threshold
{%- endmacro %}
