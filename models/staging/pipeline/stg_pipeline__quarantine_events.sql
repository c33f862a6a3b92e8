-- One row per run, source, file and line that ingestion set aside (line 0 = the whole file or a
-- block), with the reason.
with

events as (
    select * from {{ source('pipeline', 'quarantine_events') }}
),

renamed as (
    select
        ---------- ids
        run_id,
        source_name,
        file_name,
        line_number,
        ---------- what and why
        unit,
        reason,
        line_text,
        stored_path,
        is_new,
        ---------- provenance
        run_command,
        quarantined_at
    from events
)

select * from renamed
