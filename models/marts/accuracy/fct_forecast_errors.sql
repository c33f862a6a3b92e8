{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('target_hour_start_at'),
        cluster_by=bq_cluster_by(['area', 'model', 'run_kind']),
    )
}}
-- Forecast versus actual, one row per run, target hour and model, for hours whose actual is known.
--   error_mw = predicted − actual (positive = over-forecast), pct_error = error / actual · 100.
-- Scores of the prediction interval [lower, upper] at level 1 − a (a = 0.10 for the 90 % interval),
-- null without one; both are proper scores (lower is better), in MW:
--   pinball_loss_mw: the quantile loss L_t(q, y) = (y − q)(t − 1[y < q]) averaged over the three
--     quantiles a forecast states: lower at t = a/2, predicted at t = 0.5, upper at t = 1 − a/2. Twice
--     the average pinball loss over all quantile levels is the CRPS; over these three it is a coarse
--     stand-in for it.
--   interval_score_mw: (upper − lower) + 2/a · (lower − y) if y < lower, + 2/a · (y − upper) if y > upper
--     (Gneiting & Raftery 2007): a width paid always, a miss paid in proportion to its distance.
with

forecasts as (
    select * from {{ ref('fct_forecasts') }}
),

actuals as (
    -- an implausible actual (fct_data_quality_checks reports it) is not scored against
    select area, hour_start_at, demand_mw from {{ ref('fct_demand_hourly') }}
    where is_demand_plausible
),

scored as (
    select
        forecasts.run_id,
        forecasts.area,
        forecasts.model,
        forecasts.model_version,
        forecasts.run_kind,
        forecasts.weather_source,
        forecasts.issued_at,
        forecasts.issue_date_jst,
        forecasts.target_hour_start_at,
        forecasts.target_date_jst,
        forecasts.target_hour_jst,
        forecasts.horizon_hours,
        forecasts.horizon_day,
        forecasts.predicted_mw,
        forecasts.lower_mw,
        forecasts.upper_mw,
        forecasts.interval_level,
        actuals.demand_mw as actual_mw,
        forecasts.predicted_mw - actuals.demand_mw as error_mw,
        abs(forecasts.predicted_mw - actuals.demand_mw) as abs_error_mw,
        (forecasts.predicted_mw - actuals.demand_mw) * (forecasts.predicted_mw - actuals.demand_mw)
            as squared_error_mw2,
        (forecasts.predicted_mw - actuals.demand_mw) / actuals.demand_mw * 100 as pct_error,
        abs(forecasts.predicted_mw - actuals.demand_mw) / actuals.demand_mw * 100 as abs_pct_error,
        case
            when forecasts.lower_mw is null or forecasts.upper_mw is null then null
            else actuals.demand_mw between forecasts.lower_mw and forecasts.upper_mw
        end as is_within_interval
    from forecasts
    inner join actuals
        on actuals.area = forecasts.area
        and actuals.hour_start_at = forecasts.target_hour_start_at
),

interval_scored as (
    select
        *,
        upper_mw - lower_mw as interval_width_mw,
        -- rounded: float noise (1 − 0.9 is not 0.1) must not reach the marts' sums
        round((
            (actual_mw - lower_mw) * ((1 - interval_level) / 2 - case when actual_mw < lower_mw then 1 else 0 end)
            + (actual_mw - predicted_mw) * (0.5 - case when actual_mw < predicted_mw then 1 else 0 end)
            + (actual_mw - upper_mw) * ((1 + interval_level) / 2 - case when actual_mw < upper_mw then 1 else 0 end)
        ) / 3, 6) as pinball_loss_mw,
        round(
            upper_mw - lower_mw
            + 2 / (1 - interval_level) * case when actual_mw < lower_mw then lower_mw - actual_mw else 0 end
            + 2 / (1 - interval_level) * case when actual_mw > upper_mw then actual_mw - upper_mw else 0 end,
            6
        ) as interval_score_mw
    from scored
)

select * from interval_scored
