-- Warns when an error-level demand anomaly (|robust z| ≥ 6) happened in the two days before the
-- as-of date; run_daily.sh sends an alert for it.
{{ config(severity='warn') }}
select area, hour_start_at, actual_mw, expected_mw, robust_z
from {{ ref('fct_demand_anomalies') }}
where severity = 'error'
    and date_jst >= {{ add_days(run_as_of_date(), -2) }}
