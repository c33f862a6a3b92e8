{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('target_hour_start_at'),
        cluster_by=bq_cluster_by(['area', 'model', 'run_kind']),
    )
}}
-- One row per forecast run, target hour and model: the ML model's forecasts plus the baselines,
-- computed here for every run so that they are scored on exactly the same hours.
--   horizon_day: 1 = the issue date itself (00:00–23:00 JST; the run is issued at 04:00 JST, so its
--                first hours are a nowcast), 16 = the last day of the 384-hour horizon.
--   horizon_hours: whole hours from the issue time to the target hour's start (−4 … 379).
-- Baselines:
--   seasonal_naive: the same hour on the latest same weekday whose demand was known at the issue
--                   time (actuals are known through the day before the issue date).
--   tepco_at_issue: TEPCO's forecast as it stood when ours was issued: the latest vintage of its live
--          same-day file published at or before the issue time (stg_tepco__live_vintages), horizon
--          day 1 only, for the hours it still forecast (those not yet measured: 03:00/04:00–23:00 JST).
--          This is the honest peer of our day 1.
--   blend_with_tepco: day 1 only, on the hours tepco_at_issue covers: our forecast and TEPCO's at
--          the issue time averaged with fixed weights (var tepco_blend_weight = TEPCO's share). Both are
--          known at the issue time, so it is a forecast a user could have had; but it takes TEPCO's
--          forecast as an input, so the head-to-head with the peer is `xgboost`, not this row.
--   tepco: TEPCO's last published forecast (予測値 of the daily file) for that hour, horizon day 1
--          only. It is an intraday revision issued about an hour ahead, so it is a ceiling no
--          day-ahead forecast can reach, not a peer.
with

model_rows as (
    select * from {{ ref('stg_ml__forecasts') }}
),

runs as (
    select distinct run_id, area, run_kind, weather_source, issued_at, issue_date_jst
    from model_rows
),

run_hours as (
    select distinct run_id, area, target_hour_start_at, target_date_jst, target_hour_jst
    from model_rows
),

actuals as (
    select area, date_jst, hour_jst, case when is_demand_plausible then demand_mw end as demand_mw, tepco_forecast_mw
    from {{ ref('fct_demand_hourly') }}
),

naive as (
    -- latest same weekday on or before the day before issue: target − 7 · ceil(days_ahead / 7)
    select
        run_hours.run_id,
        run_hours.area,
        run_hours.target_hour_start_at,
        {{ add_days('run_hours.target_date_jst',
                    '-7 * cast(ceil('
                    ~ days_between(add_days('runs.issue_date_jst', -1), 'run_hours.target_date_jst')
                    ~ ' / 7.0) as ' ~ type_int() ~ ')') }}
            as reference_date_jst,
        run_hours.target_hour_jst
    from run_hours
    inner join runs on runs.run_id = run_hours.run_id and runs.area = run_hours.area
),

seasonal_naive as (
    select
        naive.run_id,
        naive.area,
        'seasonal_naive' as model,
        'sql-baseline-1' as model_version,
        naive.target_hour_start_at,
        actuals.demand_mw as predicted_mw,
        cast(null as {{ type_double() }}) as lower_mw,
        cast(null as {{ type_double() }}) as upper_mw,
        cast(null as {{ type_double() }}) as interval_level,
        naive.reference_date_jst
    from naive
    left join actuals
        on actuals.area = naive.area
        and actuals.date_jst = naive.reference_date_jst
        and actuals.hour_jst = naive.target_hour_jst
),

tepco as (
    select
        run_hours.run_id,
        run_hours.area,
        'tepco' as model,
        'tepco-intraday' as model_version,
        run_hours.target_hour_start_at,
        actuals.tepco_forecast_mw as predicted_mw,
        cast(null as {{ type_double() }}) as lower_mw,
        cast(null as {{ type_double() }}) as upper_mw,
        cast(null as {{ type_double() }}) as interval_level,
        cast(null as date) as reference_date_jst
    from run_hours
    inner join runs on runs.run_id = run_hours.run_id and runs.area = run_hours.area
    inner join actuals
        on actuals.area = run_hours.area
        and actuals.date_jst = run_hours.target_date_jst
        and actuals.hour_jst = run_hours.target_hour_jst
    where run_hours.target_date_jst = runs.issue_date_jst
        and actuals.tepco_forecast_mw is not null
),

live as (
    select * from {{ ref('stg_tepco__live_vintages') }}
),

vintage_at_issue as (
    -- per run: the latest vintage of the issue date's live file published at or before the issue time
    select runs.run_id, runs.area, runs.issue_date_jst, max(live.published_at) as published_at
    from runs
    inner join live
        on live.area = runs.area
        and live.date_jst = runs.issue_date_jst
        and live.published_at <= runs.issued_at
    group by 1, 2, 3
),

tepco_at_issue as (
    select
        vintage_at_issue.run_id,
        vintage_at_issue.area,
        'tepco_at_issue' as model,
        'tepco-live' as model_version,
        live.hour_start_at as target_hour_start_at,
        live.tepco_forecast_mw as predicted_mw,
        cast(null as {{ type_double() }}) as lower_mw,
        cast(null as {{ type_double() }}) as upper_mw,
        cast(null as {{ type_double() }}) as interval_level,
        cast(null as date) as reference_date_jst
    from vintage_at_issue
    inner join live
        on live.area = vintage_at_issue.area
        and live.published_at = vintage_at_issue.published_at
        and live.date_jst = vintage_at_issue.issue_date_jst
    where live.tepco_forecast_mw is not null
),

ml as (
    select
        run_id, area, model, model_version, target_hour_start_at, predicted_mw, lower_mw, upper_mw,
        interval_level,
        cast(null as date) as reference_date_jst
    from model_rows
),

blend_with_tepco as (
    select
        ours.run_id,
        ours.area,
        'blend_with_tepco' as model,
        'blend-' || ours.model_version as model_version,
        ours.target_hour_start_at,
        (1 - {{ var('tepco_blend_weight') }}) * ours.predicted_mw
        + {{ var('tepco_blend_weight') }} * tepco_at_issue.predicted_mw as predicted_mw,
        cast(null as {{ type_double() }}) as lower_mw,
        cast(null as {{ type_double() }}) as upper_mw,
        cast(null as {{ type_double() }}) as interval_level,
        cast(null as date) as reference_date_jst
    from ml as ours  -- aliased: the BigQuery emulator takes `ml.<column>` for a BigQuery ML function
    inner join tepco_at_issue
        on tepco_at_issue.run_id = ours.run_id
        and tepco_at_issue.area = ours.area
        and tepco_at_issue.target_hour_start_at = ours.target_hour_start_at
    where ours.model = 'xgboost'
),

all_models as (
    select * from ml
    union all
    select * from seasonal_naive
    where predicted_mw is not null
    union all
    select * from tepco
    union all
    select * from tepco_at_issue
    union all
    select * from blend_with_tepco
),

final as (
    select
        ---------- ids
        all_models.run_id,
        all_models.area,
        all_models.model,
        all_models.model_version,
        runs.run_kind,
        runs.weather_source,
        ---------- times
        runs.issued_at,
        runs.issue_date_jst,
        all_models.target_hour_start_at,
        {{ to_jst('all_models.target_hour_start_at') }} as target_hour_start_jst,
        {{ jst_date('all_models.target_hour_start_at') }} as target_date_jst,
        {{ jst_hour('all_models.target_hour_start_at') }} as target_hour_jst,
        {{ hours_between('runs.issued_at', 'all_models.target_hour_start_at') }} as horizon_hours,
        {{ days_between('runs.issue_date_jst', jst_date('all_models.target_hour_start_at')) }} + 1 as horizon_day,
        ---------- prediction, MW
        all_models.predicted_mw,
        all_models.lower_mw,
        all_models.upper_mw,
        all_models.interval_level,
        all_models.reference_date_jst
    from all_models
    inner join runs on runs.run_id = all_models.run_id and runs.area = all_models.area
)

select * from final
