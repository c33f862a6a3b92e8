"""The stages of the daily run, defined once: the dbt seed `seeds/pipeline_stages.csv`.

dbt loads the seed for the monitoring marts (`rpt_system_status` lists every stage in order);
Python reads the same file, so the runner, the run log and the marts cannot disagree.
"""

from __future__ import annotations

import csv
from functools import cache

from core.settings import REPO_ROOT

STAGES_SEED = REPO_ROOT / "seeds" / "pipeline_stages.csv"


@cache
def stages() -> tuple[str, ...]:
    """Stage names in run order (setup, ingest, freshness, build, forecast, accuracy, docs, report)."""
    with open(STAGES_SEED, encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: int(r["stage_order"]))
    return tuple(r["stage"] for r in rows)


STAGES = stages()
