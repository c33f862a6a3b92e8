"""Runtime configuration shared by ingestion, dbt wrappers and the ML step.

Everything is read from environment variables (optionally from `.env`, which
`run_daily.sh` sources) so that cron, CI and a developer's shell configure the
pipeline the same way.  Paths are resolved to absolute paths here once, because
dbt-duckdb resolves a relative `path` against the working directory while dlt
resolves it against the pipeline folder: one absolute path keeps both on the same
file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Upstream endpoints (production defaults; the simulator prints overrides).
DEFAULT_TEPCO_BASE_URL = "https://www.tepco.co.jp/forecast/html/images"
DEFAULT_OPEN_METEO_ARCHIVE_URL = "https://archive-api.open-meteo.com/v1/archive"
DEFAULT_OPEN_METEO_FORECAST_URL = "https://api.open-meteo.com/v1/forecast"
#: The first day of TEPCO's yearly files, hence of the history a first run backfills.
DEFAULT_BOOTSTRAP_START = "2016-04-01"
#: TEPCO answers 403 to the default `python-requests/x.y` agent.
DEFAULT_USER_AGENT = "energy-forecast-jp/0.1 (+https://github.com/; demand forecasting research)"


#: Japan's ten supply areas, as the `area` column spells them. Every area a user names (ENERGY_AREA,
#: --area) is checked against this list before it goes anywhere near a query.
KNOWN_AREAS = ("hokkaido", "tohoku", "tokyo", "chubu", "hokuriku", "kansai", "chugoku", "shikoku", "kyushu",
               "okinawa")


def known_area(area: str) -> str:
    """`area` if it is one of `KNOWN_AREAS`, else ValueError naming them."""
    if area not in KNOWN_AREAS:
        raise ValueError(f"unknown area {area[:40]!r}: use one of {', '.join(KNOWN_AREAS)}")
    return area


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def data_dir() -> Path:
    """Folder for everything the pipeline writes locally (warehouse, logs, quarantine)."""
    return Path(_env("ENERGY_DATA_DIR", str(REPO_ROOT / "data"))).expanduser().resolve()


def duckdb_path() -> Path:
    """The DuckDB warehouse file: `ENERGY_DUCKDB_PATH`, default `<data dir>/warehouse.duckdb`."""
    return Path(_env("ENERGY_DUCKDB_PATH", str(data_dir() / "warehouse.duckdb"))).expanduser().resolve()


@dataclass(frozen=True)
class HttpSettings:
    """How we talk to upstream servers."""

    user_agent: str = field(default_factory=lambda: _env("ENERGY_USER_AGENT", DEFAULT_USER_AGENT))
    timeout_s: float = field(default_factory=lambda: float(_env("ENERGY_HTTP_TIMEOUT_S", "30")))
    #: A host that drops packets is bounded by this, much shorter than the read timeout.
    connect_timeout_s: float = field(default_factory=lambda: float(_env("ENERGY_HTTP_CONNECT_TIMEOUT_S", "5")))
    #: How often an unreachable host (DNS, refused, no route, connect timeout) is tried before it
    #: counts as down for the rest of the run, and the pause between the tries.
    connect_attempts: int = field(default_factory=lambda: int(_env("ENERGY_HTTP_CONNECT_ATTEMPTS", "2")))
    connect_pause_s: float = field(default_factory=lambda: float(_env("ENERGY_HTTP_CONNECT_PAUSE_S", "1")))
    #: Concurrent requests to one API (the per-point Open-Meteo calls); polite to the free tier.
    workers: int = field(default_factory=lambda: int(_env("ENERGY_HTTP_WORKERS", "4")))
    max_attempts: int = field(default_factory=lambda: int(_env("ENERGY_HTTP_MAX_ATTEMPTS", "5")))
    backoff_factor: float = field(default_factory=lambda: float(_env("ENERGY_HTTP_BACKOFF_S", "1")))
    backoff_max_s: float = field(default_factory=lambda: float(_env("ENERGY_HTTP_BACKOFF_MAX_S", "30")))


@dataclass(frozen=True)
class Settings:
    """All ingestion settings, resolved once per run."""

    tepco_base_url: str = field(default_factory=lambda: _env("TEPCO_BASE_URL", DEFAULT_TEPCO_BASE_URL).rstrip("/"))
    open_meteo_archive_url: str = field(
        default_factory=lambda: _env("OPEN_METEO_ARCHIVE_URL", DEFAULT_OPEN_METEO_ARCHIVE_URL)
    )
    open_meteo_forecast_url: str = field(
        default_factory=lambda: _env("OPEN_METEO_FORECAST_URL", DEFAULT_OPEN_METEO_FORECAST_URL)
    )
    area: str = field(default_factory=lambda: _env("ENERGY_AREA", "tokyo"))
    target: str = field(default_factory=lambda: _env("ENERGY_TARGET", "dev"))
    data_dir: Path = field(default_factory=data_dir)
    duckdb_path: Path = field(default_factory=duckdb_path)
    http: HttpSettings = field(default_factory=HttpSettings)
    #: Whether the daily run backfills missing history first (ENERGY_BOOTSTRAP=0: you manage it).
    bootstrap: bool = field(default_factory=lambda: _env("ENERGY_BOOTSTRAP", "1").lower() not in ("0", "false", "no"))
    #: Where a first run's history starts (the daily run backfills it when the warehouse lacks it).
    bootstrap_start: date = field(
        default_factory=lambda: date.fromisoformat(_env("ENERGY_BOOTSTRAP_START", DEFAULT_BOOTSTRAP_START)))

    @property
    def quarantine_dir(self) -> Path:
        return Path(_env("ENERGY_QUARANTINE_DIR", str(self.data_dir / "quarantine"))).resolve()

    @property
    def pipelines_dir(self) -> Path:
        """dlt's local working state; kept beside the warehouse, not in ~/.dlt."""
        return Path(_env("ENERGY_DLT_PIPELINES_DIR", str(self.data_dir / "dlt_pipelines"))).resolve()
