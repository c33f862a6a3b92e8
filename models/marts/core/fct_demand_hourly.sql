{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['area', 'hour_start_at'],
        on_schema_change='append_new_columns',
        partition_by=bq_partition_by_day('hour_start_at'),
        cluster_by=bq_cluster_by(['area']),
    )
}}
-- One row per area and hour (hour start): actual demand, TEPCO's forecast, supply and usage,
-- solar output, all in MW. Incremental merge driven by what was loaded: every run re-reads the
-- dates of the raw rows loaded since the newest `loaded_at` it holds (and at least the last
-- `lookback_days` days), so a backfill of years or a value TEPCO revised a month later reaches it.
{%- set reread_from = loaded_since_lower_bound(
    [ref('stg_tepco__demand_hourly'), ref('stg_tepco__demand_five_minute')],
    'date_jst', 'loaded_at', var('lookback_days'), columns=['is_demand_plausible']) if is_incremental() else none %}
with

demand as (
    select * from {{ ref('stg_tepco__demand_hourly') }}
    {% if is_incremental() %}
    where date_jst >= {{ reread_from }}
    {% endif %}
),

solar as (
    select
        area,
        date_jst,
        hour_jst,
        round(avg(solar_mw), 4) as solar_mw,
        round(avg(solar_share_pct), 4) as solar_share_pct,
        count(*) as n_five_minute_intervals
    from {{ ref('stg_tepco__demand_five_minute') }}
    {% if is_incremental() %}
    where date_jst >= {{ reread_from }}
    {% endif %}
    group by 1, 2, 3
),

joined as (
    select
        ---------- ids
        demand.area,
        demand.hour_start_at,
        ---------- JST labels
        demand.hour_start_jst,
        demand.date_jst,
        demand.hour_jst,
        ---------- measures, MW
        demand.demand_mw,
        -- physically possible for the area (10–70 GW for TEPCO): a negative, zero or ×10 hour is
        -- kept here and reported (fct_data_quality_checks), but never used as a feature or target
        coalesce(demand.demand_mw between 10000 and 70000, false) as is_demand_plausible,
        demand.tepco_forecast_mw,
        demand.supply_capacity_mw,
        demand.supply_capacity_mw - demand.demand_mw as reserve_mw,
        demand.usage_pct,
        solar.solar_mw,
        solar.solar_share_pct,
        ---------- provenance
        demand.demand_source,
        demand.loaded_at
    from demand
    left join solar
        on solar.area = demand.area
        and solar.date_jst = demand.date_jst
        and solar.hour_jst = demand.hour_jst
)

select * from joined
