{{ config(materialized='table') }}
-- Accuracy per model and horizon day 1–16, over all runs and over the 5 latest runs.
-- One row per area, run kind, weather source, run window, model and horizon day.
--   mape_pct = mean(|e| / actual) · 100     rmse_mw = sqrt(mean(e²))     mae_mw = mean(|e|)
--   bias_mw = mean(e), e = predicted − actual (positive = over-forecast)
--   interval_coverage, mean_interval_width_pct (width / predicted · 100), pinball_loss_mw and
--   interval_score_mw (fct_forecast_errors): how honest and how sharp the 90 % interval is
--   skill_vs_seasonal_naive = 1 − Σ|e_model| / Σ|e_naive|, summed over exactly the hours both
--   scored, so a model is never compared with the baseline on different hours.
--   skill_vs_tepco_at_issue and mape_pct_on_tepco_at_issue_hours: the same, against TEPCO's forecast as
--   it stood at our issue time (day 1 only), over exactly the hours that forecast covered: the
--   head-to-head with the honest peer.
--   last_5_runs: per horizon day, the 5 latest runs (by issue time) that have actuals for that day,
--   i.e. "each horizon day averaged over the 5 latest runs".
with

errors as (
    select * from {{ ref('fct_forecast_errors') }}
),

naive as (
    select run_id, area, target_hour_start_at, abs_error_mw as naive_abs_error_mw
    from errors
    where model = 'seasonal_naive'
),

peer as (
    select run_id, area, target_hour_start_at, abs_error_mw as peer_abs_error_mw
    from errors
    where model = 'tepco_at_issue'
),

paired as (
    select
        errors.*,
        naive.naive_abs_error_mw,
        peer.peer_abs_error_mw
    from errors
    left join naive
        on naive.run_id = errors.run_id
        and naive.area = errors.area
        and naive.target_hour_start_at = errors.target_hour_start_at
    left join peer
        on peer.run_id = errors.run_id
        and peer.area = errors.area
        and peer.target_hour_start_at = errors.target_hour_start_at
),

run_ranks as (
    select
        area, run_kind, weather_source, horizon_day, run_id,
        dense_rank() over (
            partition by area, run_kind, weather_source, horizon_day
            order by issued_at desc, run_id desc
        ) as run_recency
    from (select distinct area, run_kind, weather_source, horizon_day, run_id, issued_at from errors) as scored_runs
),

windowed as (
    select paired.*, 'all_runs' as run_window from paired
    union all
    select paired.*, 'last_5_runs' as run_window
    from paired
    inner join run_ranks
        on run_ranks.run_id = paired.run_id
        and run_ranks.area = paired.area
        and run_ranks.horizon_day = paired.horizon_day
        and run_ranks.run_kind = paired.run_kind
        and run_ranks.weather_source = paired.weather_source
    where run_ranks.run_recency <= 5
),

metrics as (
    select
        area,
        run_kind,
        weather_source,
        run_window,
        model,
        horizon_day,
        count(distinct run_id) as n_runs,
        count(*) as n_hours,
        round({{ exact_avg('abs_pct_error') }}, 6) as mape_pct,
        round(sqrt({{ exact_avg('squared_error_mw2') }}), 6) as rmse_mw,
        round({{ exact_avg('abs_error_mw') }}, 6) as mae_mw,
        round({{ exact_avg('error_mw') }}, 6) as bias_mw,
        round({{ exact_avg('pct_error') }}, 6) as bias_pct,
        round(
            {{ exact_avg('case when is_within_interval then 1.0 when is_within_interval is not null then 0.0 end') }},
            6
        ) as interval_coverage,
        round({{ exact_avg('interval_width_mw / nullif(predicted_mw, 0) * 100') }}, 6) as mean_interval_width_pct,
        round({{ exact_avg('pinball_loss_mw') }}, 6) as pinball_loss_mw,
        round({{ exact_avg('interval_score_mw') }}, 6) as interval_score_mw,
        -- exact sums (macros/portable/aggregates.sql), rounded: a rebuild gives the same figures
        round(
            1 - {{ exact_sum('case when naive_abs_error_mw is not null then abs_error_mw end') }}
            / nullif({{ exact_sum('naive_abs_error_mw') }}, 0),
            6
        ) as skill_vs_seasonal_naive,
        count(peer_abs_error_mw) as n_hours_with_tepco_at_issue,
        round({{ exact_avg('case when peer_abs_error_mw is not null then abs_pct_error end') }}, 6)
            as mape_pct_on_tepco_at_issue_hours,
        round(
            1 - {{ exact_sum('case when peer_abs_error_mw is not null then abs_error_mw end') }}
            / nullif({{ exact_sum('peer_abs_error_mw') }}, 0),
            6
        ) as skill_vs_tepco_at_issue,
        min(issue_date_jst) as first_issue_date_jst,
        max(issue_date_jst) as last_issue_date_jst
    from windowed
    group by 1, 2, 3, 4, 5, 6
)

select * from metrics
