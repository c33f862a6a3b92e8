{#-
  Generic data tests written in-repo (dbt deps cannot reach the package hub here).
  Each returns the offending rows; zero rows = pass.
-#}

{#- unique_combination_of_columns: the grain of a model. NULLs count as a value (GROUP BY). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- accepted_range: min_value ≤ column ≤ max_value (either bound optional); NULLs pass. -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, where=none) %}
select {{ column_name }} as offending_value
from {{ model }}
where {{ column_name }} is not null
  and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
  )
  {% if where %} and ({{ where }}) {% endif %}
{% endtest %}

{#- expression_is_true: rows where the boolean expression is false. -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}

{#-
  hourly_completeness: an hourly series has every hour between its first and last one,
  per group, allowing `max_missing_hours` missing (documented tolerance: upstream outages
  happen; a single missing hour is a warning, not an error, in the models that use it).
  Counts instants, so it needs only arithmetic on epoch hours (portable).
-#}
{% test hourly_completeness(model, column_name, group_by=[], max_missing_hours=0) %}
with hours as (
    select
        {% for g in group_by %}{{ g }}, {% endfor %}
        {{ energy_forecast.hours_between(energy_forecast.instant_literal('1970-01-01 00:00:00+00'), column_name) }} as epoch_hour
    from {{ model }}
    where {{ column_name }} is not null
),
spans as (
    select
        {% for g in group_by %}{{ g }}, {% endfor %}
        max(epoch_hour) - min(epoch_hour) + 1 as expected_hours,
        count(distinct epoch_hour) as present_hours
    from hours
    {% if group_by %}group by {{ group_by | join(', ') }}{% endif %}
)
select *, expected_hours - present_hours as missing_hours
from spans
where expected_hours - present_hours > {{ max_missing_hours }}
{% endtest %}
