{{
    config(
        materialized='table',
        partition_by=({'field': 'valid_at', 'data_type': 'timestamp', 'granularity': 'day'}
                      if target.type == 'bigquery' else none),
        cluster_by=(['area', 'weather_kind'] if target.type == 'bigquery' else none),
    )
}}
-- One row per area, weather kind (observed | forecast), vintage and hour: the area-weighted
-- weather and its load drivers. Observed rows have no vintage (`issued_at` null).
select * from {{ ref('int_weather__area_hourly') }}
