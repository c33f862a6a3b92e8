{{ config(materialized='table') }}
-- Run history: one row per run and stage, with the run's overall outcome beside each stage.
with

stages as (
    select * from {{ ref('stg_pipeline__runs') }}
),

order_of_stages as (
    select stage, stage_order from {{ ref('pipeline_stages') }}
),

runs as (
    select
        run_id,
        min(started_at) as run_started_at,
        max(finished_at) as run_finished_at,
        max(case when status = 'failed' then 1 else 0 end) as has_failed_stage,
        max(case when status = 'warning' then 1 else 0 end) as has_warning_stage
    from stages
    group by 1
)

select
    stages.run_id,
    stages.stage,
    order_of_stages.stage_order,
    stages.status,
    stages.started_at,
    stages.finished_at,
    stages.duration_s,
    stages.rows_processed,
    stages.exit_code,
    stages.error_message,
    stages.as_of_date,
    stages.git_revision,
    stages.target,
    stages.log_file,
    runs.run_started_at,
    case when runs.has_failed_stage = 1 then 'failed' when runs.has_warning_stage = 1 then 'warning' else 'success' end
        as run_status
from stages
inner join runs on runs.run_id = stages.run_id
left join order_of_stages on order_of_stages.stage = stages.stage
