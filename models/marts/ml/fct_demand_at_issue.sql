{{
    config(
        materialized='table',
        cluster_by=bq_cluster_by(['area', 'issue_date_jst']),
    )
}}
-- The issue date's own demand as a forecast issued on it (04:00 JST) could know it: the provisional
-- actual of every hour shown by the latest vintage of TEPCO's live same-day file published at or
-- before the issue time (hours 0–2 when TEPCO is on time). The daily forecast's nowcast reads it
-- (ml/features.py, DayGrid.with_today). Backtests use the final values of the same hours instead:
-- no vintage was kept before the live file became a source.
with

live as (
    select * from {{ ref('stg_tepco__live_vintages') }}
),

vintage_at_issue as (
    select
        area,
        date_jst as issue_date_jst,
        max(published_at) as published_at
    from live
    where published_at <= {{ jst_instant('date_jst', 4) }}
    group by 1, 2
),

final as (
    select
        ---------- ids
        vintage_at_issue.area,
        vintage_at_issue.issue_date_jst,
        live.hour_start_at,
        ---------- local time label (hour start, JST)
        live.hour_jst,
        ---------- measure, MW
        live.provisional_demand_mw,
        ---------- provenance
        vintage_at_issue.published_at
    from vintage_at_issue
    inner join live
        on live.area = vintage_at_issue.area
        and live.date_jst = vintage_at_issue.issue_date_jst
        and live.published_at = vintage_at_issue.published_at
    where live.provisional_demand_mw is not null
)

select * from final
