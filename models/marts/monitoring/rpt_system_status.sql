{{ config(materialized='table') }}
-- The latest status of every stage the pipeline has (from the `pipeline_stages` seed, so a stage
-- that never ran shows as `never_run` instead of silently missing).
with

stages as (
    select stage, stage_order, description from {{ ref('pipeline_stages') }}
),

runs as (
    select
        *,
        row_number() over (partition by stage order by started_at desc, run_id desc) as recency
    from {{ ref('stg_pipeline__runs') }}
),

history as (
    select
        stage,
        max(case when status = 'success' then finished_at end) as last_success_at,
        max(case when status = 'failed' then finished_at end) as last_failure_at,
        count(*) as n_runs,
        avg(duration_s) as mean_duration_s
    from runs
    group by 1
)

select
    stages.stage,
    stages.stage_order,
    stages.description,
    coalesce(latest.status, 'never_run') as latest_status,
    latest.run_id as latest_run_id,
    latest.started_at as latest_started_at,
    latest.finished_at as latest_finished_at,
    latest.duration_s as latest_duration_s,
    latest.rows_processed as latest_rows_processed,
    latest.error_message as latest_error_message,
    latest.as_of_date as latest_as_of_date,
    history.last_success_at,
    history.last_failure_at,
    coalesce(history.n_runs, 0) as n_runs,
    history.mean_duration_s
from stages
left join runs as latest on latest.stage = stages.stage and latest.recency = 1
left join history on history.stage = stages.stage
