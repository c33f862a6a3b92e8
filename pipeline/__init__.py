"""The daily job in one process: ingest → freshness → dbt build → forecast → accuracy → report.

`run_daily.sh` (the cron entry point) keeps what belongs to the shell: `.env`, the lock, the log
file and its retention, the virtualenv, and the alert when the process dies. Everything else runs
here, in one Python process, because on a small machine most of a daily run used to be start-up:
each stage paid for importing pandas/dlt/dbt again (2–4 s each) and every dbt command re-parsed
the project. One process imports once and parses once.
"""
