-- One row per pipeline run and stage, as recorded by run_daily.sh.
with

source as (
    select * from {{ source('pipeline', 'pipeline_runs') }}
),

renamed as (
    select
        run_id,
        stage,
        status,
        started_at,
        finished_at,
        cast(duration_s as {{ type_double() }}) as duration_s,
        rows_processed,
        exit_code,
        error_message,
        as_of_date,
        git_revision,
        target,
        log_file
    from source
)

select * from renamed
