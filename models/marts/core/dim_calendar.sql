{{ config(materialized='table') }}
-- One row per date: the Japanese demand calendar (see int_calendar__days).
select * from {{ ref('int_calendar__days') }}
