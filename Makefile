# Convenience targets; the README's two commands work without make as well.
.DEFAULT_GOAL := help
SHELL := /bin/bash

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup:  ## create/refresh .venv from pyproject.toml
	bash scripts/bootstrap.sh

daily:  ## run the daily job on DuckDB (real upstreams)
	./run_daily.sh

test:  ## the whole test suite (what CI runs): linters, pytest, the BigQuery loop
	bash scripts/test.sh

test-fast:  ## the fast tier (parsers, formats, loader, CLI, architecture; no warehouse builds)
	bash scripts/test.sh --fast

lint:  ## ruff check + ruff format --check + sqlfluff (scripts/lint.sh; `scripts/lint.sh --fix` fixes Python)
	bash scripts/lint.sh

demo:  ## offline demo: synthetic upstream + simulator + the daily job
	bash scripts/demo.sh

bench-warehouse:  ## dbt build wall time on the full history (full and incremental)
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.warehouse

bench-accuracy:  ## 52 weekly 2024 backtests (oracle, noisy and archived-forecast weather) on ../shared/data; prints the accuracy table
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.accuracy

bench-peer:  ## our day 1 against TEPCO's forecast as it stood at 04:00 JST, every day 2022-07-26..2023-03-31; prints by period and month
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.tepco_peer

bench-operation:  ## 30 consecutive simulated days of run_daily.sh on ../shared/data; prints wall times and checks
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.operation

bench-scale:  ## ten years × one area vs ten areas: dbt build wall time and peak memory (needs GNU time)
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.scale

bench-first-run:  ## a new user's first run from an empty warehouse (bootstrap → forecast), resumed and recovered runs
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.first_run

bench-ingest:  ## backfill 2016-04..2024-12 from ../shared/data through the simulator; prints figures
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.ingest

bench-vintages:  ## the Previous Runs backfill 2023-2024 through the simulator, twice: wall time, calls, rows per lead, checksums
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.vintages

dashboard:  ## write data/dashboard/index.html from the marts (self-contained, opens offline)
	bash scripts/bootstrap.sh && .venv/bin/python -m dashboard

doctor:  ## check configuration, credentials, warehouse, upstreams and disk
	bash scripts/bootstrap.sh && .venv/bin/python -m ingest check

clean:  ## remove dbt build output (not the warehouse)
	rm -rf target dbt_packages

.PHONY: help setup daily test test-fast lint demo dashboard doctor bench-accuracy bench-peer bench-operation bench-ingest bench-vintages bench-first-run bench-scale bench-warehouse clean
