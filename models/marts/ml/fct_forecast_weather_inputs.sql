{{
    config(
        materialized='table',
        cluster_by=bq_cluster_by(['area', 'issue_date_jst']),
    )
}}
-- The weather a forecast issued on a given date may use: for every issue date that has a
-- forecast vintage, and each of its 384 target hours (issue date 00:00 … day 16 23:00 JST), the
-- values of the LATEST vintage issued at or before the cut-off. The cut-off is the issue time
-- (04:00 JST) plus `vintage_grace_minutes` (default 120): the daily job fetches the weather a few
-- minutes after 04:00 and issues its forecast right after. Never anything issued later.
with

vintages as (
    select * from {{ ref('int_weather__area_hourly') }}
    where weather_kind = 'forecast'
),

issue_dates as (
    select distinct
        area,
        {{ jst_date('issued_at') }} as issue_date_jst
    from vintages
),

cutoffs as (
    select
        area,
        issue_date_jst,
        {{ jst_instant('issue_date_jst', 4) }} as issued_at,
        {{ add_hours(jst_instant('issue_date_jst', 4), (var('vintage_grace_minutes', 120) / 60) | int) }} as cutoff_at,
        {{ jst_instant('issue_date_jst', 0) }} as horizon_start_at,
        {{ jst_instant(add_days('issue_date_jst', 16), 0) }} as horizon_end_at
    from issue_dates
),

candidates as (
    select
        cutoffs.area,
        cutoffs.issue_date_jst,
        cutoffs.issued_at,
        vintages.issued_at as vintage_issued_at,
        vintages.valid_at,
        vintages.temperature_c,
        vintages.relative_humidity_pct,
        vintages.apparent_temperature_c,
        vintages.precipitation_mm,
        vintages.cloud_cover_pct,
        vintages.shortwave_radiation_wm2,
        vintages.cooling_degree_c,
        vintages.heating_degree_c,
        vintages.discomfort_index,
        row_number() over (
            partition by cutoffs.area, cutoffs.issue_date_jst, vintages.valid_at
            order by vintages.issued_at desc
        ) as vintage_rank
    from cutoffs
    inner join vintages
        on vintages.area = cutoffs.area
        and vintages.issued_at <= cutoffs.cutoff_at
        -- a vintage older than 3 days is not a forecast for this issue any more
        and vintages.issued_at > {{ add_hours('cutoffs.cutoff_at', -72) }}
        and vintages.valid_at >= cutoffs.horizon_start_at
        and vintages.valid_at < cutoffs.horizon_end_at
),

latest as (
    select
        area,
        issue_date_jst,
        issued_at,
        valid_at,
        {{ to_jst('valid_at') }} as valid_at_jst,
        vintage_issued_at,
        {{ hours_between('vintage_issued_at', 'valid_at') }} as vintage_lead_hours,
        temperature_c,
        relative_humidity_pct,
        apparent_temperature_c,
        precipitation_mm,
        cloud_cover_pct,
        shortwave_radiation_wm2,
        cooling_degree_c,
        heating_degree_c,
        discomfort_index
    from candidates
    where vintage_rank = 1
)

select * from latest
