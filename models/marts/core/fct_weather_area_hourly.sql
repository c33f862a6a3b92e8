{{
    config(
        materialized='table',
        partition_by=bq_partition_by_day('valid_at'),
        cluster_by=bq_cluster_by(['area', 'weather_kind']),
    )
}}
-- One row per area, weather kind (observed | forecast), vintage and hour: the area-weighted
-- weather and its load drivers. Observed rows have no vintage (`issued_at` null).
select * from {{ ref('int_weather__area_hourly') }}
