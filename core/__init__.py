"""What every part of the pipeline shares: settings, time conventions, the warehouse and its
relation names, the raw-table loader, the run log and its stages, exit codes, alerts and errors.

`ingest/`, `ml/`, `pipeline/` and `dashboard/` import from here; nothing here imports from them.
"""
