# Convenience targets; the README's two commands work without make as well.
.DEFAULT_GOAL := help
SHELL := /bin/bash

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

setup:  ## create/refresh .venv from pyproject.toml
	bash scripts/bootstrap.sh

daily:  ## run the daily job on DuckDB (real upstreams)
	./run_daily.sh

test:  ## the whole test suite (what CI runs)
	bash scripts/test.sh

demo:  ## offline demo: synthetic upstream + simulator + the daily job
	bash scripts/demo.sh

bench-warehouse:  ## dbt build wall time on the full history (full and incremental)
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.warehouse

bench-ingest:  ## backfill 2016-04..2024-12 from ../shared/data through the simulator; prints figures
	bash scripts/bootstrap.sh && .venv/bin/python -m benchmarks.ingest

clean:  ## remove dbt build output (not the warehouse)
	rm -rf target dbt_packages

.PHONY: help setup daily test demo bench-ingest bench-warehouse clean
