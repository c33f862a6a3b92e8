"""The local dashboard: made by the daily run from the marts, self-contained, drawn in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dashboard import page as report
from dashboard.browser import check_page, chromium

REPO = Path(__file__).resolve().parents[1]
CHARTS = {"chart-forecast", "chart-accuracy", "chart-heatmap", "chart-runs", "chart-temperature"}


@pytest.fixture(scope="module")
def operated(ml_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the ML warehouse after one daily run (no ingest) as of 2024-02-12: one daily forecast,
    8 of its days scored against actuals, the run log, the monitoring marts, and the dashboard."""
    data = tmp_path_factory.mktemp("dash") / "data"
    data.mkdir()
    shutil.copy(ml_warehouse, data / "warehouse.duckdb")
    env = {
        **os.environ,
        "ENERGY_DATA_DIR": str(data),
        "ENERGY_DUCKDB_PATH": str(data / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(data / "target"),
        "DBT_LOG_PATH": str(data / "target" / "logs"),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "daily", "--run-id", "dash-test", "--as-of", "2024-02-12", "--skip-ingest"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode in (0, 30), proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "dashboard refreshed" in proc.stdout
    return data


def test_the_daily_run_writes_a_self_contained_page(operated: Path) -> None:
    page = (operated / "dashboard" / "index.html").read_text(encoding="utf-8")
    # nothing fetched from anywhere: no external script, stylesheet, image or font
    assert not re.search(r"""<(script|link|img|iframe)[^>]+(src|href)=""", page)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    data = report._data_block(page)
    assert data["forecast"]["run_id"] == "daily-tokyo-2024-02-12"
    assert len(data["forecast"]["forecast"]) == 384
    assert {r["model"] for r in data["accuracy"]} >= {"xgboost", "seasonal_naive"}
    assert {r["horizon_day"] for r in data["accuracy"] if r["model"] == "xgboost"} == set(range(1, 9))
    assert {r["stage"] for r in data["status"]} >= {"ingest", "build", "forecast", "report"}
    # every complete day of ml_warehouse's history, 2023-07-01 … 2024-02-19 (the page keeps up to 365)
    assert len(data["temperature"]) == (date(2024, 2, 19) - date(2023, 7, 1)).days + 1


def test_data_cannot_break_out_of_the_page() -> None:
    data = report.DashboardData(
        "tokyo",
        "now",
        {
            "forecast": {
                "run_id": "</script><script>alert(1)</script>",
                "issue_date": None,
                "forecast": [],
                "actual": [],
            },
            "accuracy": [],
            "heatmap": [],
            "status": [],
            "runs": [],
            "quality": [],
            "anomalies": [],
            "temperature": [],
        },
    )
    page = report.render(data)
    assert page.count("</script>") == 2  # the data block's and the code's own
    assert report._data_block(page)["forecast"]["run_id"].startswith("</script>")


@pytest.mark.skipif(
    chromium() is None and not os.environ.get("ENERGY_REQUIRE_CHROMIUM"),
    reason="chromium not installed (apt-get install chromium); .ci/run installs it",
)
def test_every_chart_draws_data_in_headless_chromium(operated: Path, tmp_path: Path) -> None:
    shot = tmp_path / "dashboard.png"
    result = check_page(operated / "dashboard" / "index.html", screenshot=shot)
    assert result.status == "ok", result.status
    assert result.console == []
    assert set(result.drawn) == CHARTS
    assert all(n > 0 for n in result.drawn.values()), result.drawn
    assert shot.stat().st_size > 20_000
