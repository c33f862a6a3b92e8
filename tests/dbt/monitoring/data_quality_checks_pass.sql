-- Warns (never fails the build) when a data-quality check of this run's as-of date is not `pass`;
-- run_daily.sh then records the build stage as `warning` and the forecast still runs.
{{ config(severity='warn') }}
select check_name, status, observed_value, warn_threshold, error_threshold
from {{ ref('fct_data_quality_checks') }}
where check_date = {{ run_as_of_date() }}
    and status <> 'pass'
