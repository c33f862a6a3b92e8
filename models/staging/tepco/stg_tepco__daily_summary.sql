-- One row per area, report date and horizon (`today` = the report date, `next_day` = the day
-- after): the peak blocks of the daily file, in MW. `next_day` rows are TEPCO's day-ahead view.
with

source as (
    select * from {{ source('tepco', 'tepco_daily_summary') }}
),

renamed as (
    select
        ---------- ids
        area,
        report_date,
        horizon,
        target_date,
        ---------- peak supply
        cast(peak_supply_man_kw * 10 as {{ type_double() }}) as peak_supply_mw,
        peak_band_start_hour,
        cast(peak_reserve_pct as {{ type_double() }}) as peak_reserve_pct,
        cast(peak_usage_pct as {{ type_double() }}) as peak_usage_pct,
        ---------- forecast peak demand
        cast(forecast_peak_man_kw * 10 as {{ type_double() }}) as forecast_peak_mw,
        forecast_peak_band_start_hour,
        forecast_peak_updated_at,
        ---------- usage-peak (tightest hour)
        cast(usage_peak_supply_man_kw * 10 as {{ type_double() }}) as usage_peak_supply_mw,
        cast(usage_peak_demand_man_kw * 10 as {{ type_double() }}) as usage_peak_demand_mw,
        usage_peak_band_start_hour,
        cast(usage_peak_reserve_pct as {{ type_double() }}) as usage_peak_reserve_pct,
        cast(usage_peak_usage_pct as {{ type_double() }}) as usage_peak_usage_pct,
        cast(max_usage_pct as {{ type_double() }}) as max_usage_pct,
        max_usage_band_start_hour,
        ---------- provenance
        source_file,
        file_updated_at,
        loaded_at
    from source
)

select * from renamed
