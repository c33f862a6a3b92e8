"""Every setting of the project, in one place: its environment variable, default and meaning.

Settings come from the environment (cron, CI and a developer's shell configure the pipeline the same
way), or from `.env` in the repository root, which `run_daily.sh` loads and git ignores. This module
is the only Python code that reads the environment for them (a test checks it); the README's
settings table is generated from `SETTINGS` (`python -m core.settings --markdown`) and a test keeps
the two equal, so no setting goes undocumented.

Paths are resolved to absolute paths here once: dbt-duckdb resolves a relative `path` against the
working directory while dlt resolves it against the pipeline folder; one absolute path keeps both on
the same file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default ("" = unset) and what it means, for the README."""

    name: str
    default: str
    help: str
    #: who reads it besides Python (`run_daily.sh`, `profiles.yml`, `scripts/test.sh`); empty = Python
    read_by: str = ""


#: The project's settings, grouped as the README shows them. Names users already set never change.
SETTINGS: tuple[Setting, ...] = (
    # where things go
    Setting(
        "ENERGY_TARGET", "dev", "`dev` = DuckDB, `prod` = BigQuery (same as `--target`)", "run_daily.sh, profiles.yml"
    ),
    Setting(
        "ENERGY_DATA_DIR",
        "./data",
        "everything the pipeline writes locally (warehouse, logs, quarantine, archive, models)",
        "run_daily.sh",
    ),
    Setting(
        "ENERGY_DUCKDB_PATH",
        "<data dir>/warehouse.duckdb",
        "the DuckDB warehouse (resolved to an absolute path; dlt, dbt and the ML step all use it)",
        "run_daily.sh, profiles.yml",
    ),
    Setting("ENERGY_QUARANTINE_DIR", "<data dir>/quarantine", "bad upstream files, with a `.reason.txt` beside each"),
    Setting("ENERGY_LOG_DIR", "<data dir>/logs", "one log per `run_daily.sh` run", "run_daily.sh"),
    Setting("ENERGY_LOG_RETENTION_DAYS", "30", "days a run log is kept", "run_daily.sh"),
    Setting("ENERGY_LOG_LEVEL", "WARNING", "Python log level of the ingestion"),
    Setting("ENERGY_DLT_PIPELINES_DIR", "<data dir>/dlt_pipelines", "dlt's local working state"),
    Setting("ENERGY_DLT_PROGRESS", "", "set to anything: dlt logs its progress"),
    Setting(
        "ENERGY_RUN_LOG_SPOOL",
        "<data dir>/run_log/pending.jsonl",
        "where stage records wait until they are merged into `raw.pipeline_runs`",
    ),
    Setting(
        "ENERGY_MARTS_DATASET",
        "analytics_marts",
        "the dataset (schema) the ML step and the dashboard read the marts from",
    ),
    Setting("ENERGY_ARCHIVE", "1", "`0` turns the raw-file archive off"),
    Setting(
        "ENERGY_ARCHIVE_DIR", "<data dir>/archive", "the raw-file archive, gzip, under the date each file was fetched"
    ),
    Setting("ENERGY_ARCHIVE_URL", "", "`gs://bucket/prefix`: keep the raw-file archive in Cloud Storage instead"),
    Setting(
        "ENERGY_ARCHIVE_RETENTION_DAYS",
        "",
        "prune dated archive folders older than this (never a file's newest copy); unset = keep forever",
    ),
    # upstreams
    Setting(
        "TEPCO_BASE_URL",
        "https://www.tepco.co.jp/forecast/html/images",
        "where `YYYYMM_power_usage.zip` and `juyo-YYYY.csv` live",
    ),
    Setting(
        "OPEN_METEO_ARCHIVE_URL", "https://archive-api.open-meteo.com/v1/archive", "Open-Meteo's observed-weather API"
    ),
    Setting("OPEN_METEO_FORECAST_URL", "https://api.open-meteo.com/v1/forecast", "Open-Meteo's forecast API"),
    Setting(
        "OPEN_METEO_PREVIOUS_RUNS_URL",
        "https://previous-runs-api.open-meteo.com/v1/forecast",
        "Open-Meteo's Previous Runs API: archived forecasts 1–7 days ahead (`backfill --forecast-vintages`)",
    ),
    Setting(
        "OPEN_METEO_PREVIOUS_RUNS_MODEL",
        "jma_gsm",
        "the one model asked of the Previous Runs API: JMA's GSM, archived from 2018 and reaching all 7 lead days",
    ),
    Setting(
        "OPEN_METEO_CALL_LIMIT_SCALE",
        "1",
        "multiplies the free tier's call limits (600/min, 5,000/h, 10,000/day) the Previous Runs backfill paces "
        "itself to: raise it for a self-hosted Open-Meteo or the simulator, never for the public API",
    ),
    Setting(
        "JMA_DIR",
        "",
        "a folder of JMA station files `temperature-YYYY.csv` (history before Open-Meteo); unset = skipped",
    ),
    Setting("JMA_BASE_URL", "", "a server with the same JMA files (the simulator serves them); unset = skipped"),
    Setting(
        "ENERGY_SIMULATOR_URL",
        "",
        "set by the simulator (`python -m simulator`): replays of past days may store forecast vintages",
    ),
    Setting("ENERGY_WEATHER_POINTS_FILE", "seeds/weather_points.csv", "weather points and their service-area weights"),
    Setting("ENERGY_AREA", "tokyo", "supply area; checked against Japan's ten areas"),
    Setting(
        "ENERGY_USER_AGENT",
        "energy-forecast-jp/0.1 (+https://github.com/; demand forecasting research)",
        "HTTP user agent (TEPCO refuses the default `python-requests`)",
    ),
    Setting("ENERGY_HTTP_TIMEOUT_S", "30", "read timeout of one request (s)"),
    Setting(
        "ENERGY_HTTP_MAX_ATTEMPTS",
        "5",
        "tries of one request on 429/5xx/read timeouts/broken transfers (`Retry-After` is honoured)",
    ),
    Setting("ENERGY_HTTP_BACKOFF_S", "1", "first pause of the exponential backoff (s)"),
    Setting("ENERGY_HTTP_BACKOFF_MAX_S", "30", "longest pause of the backoff (s)"),
    Setting("ENERGY_HTTP_CONNECT_TIMEOUT_S", "5", "connect timeout (s): a host that drops packets is bounded by this"),
    Setting(
        "ENERGY_HTTP_CONNECT_ATTEMPTS",
        "2",
        "tries of an unreachable host before it counts as down for the rest of the run",
    ),
    Setting("ENERGY_HTTP_CONNECT_PAUSE_S", "1", "pause between those tries (s)"),
    Setting("ENERGY_HTTP_WORKERS", "4", "concurrent requests to one API (the per-point Open-Meteo calls)"),
    Setting(
        "ENERGY_BOOTSTRAP",
        "1",
        "the daily run backfills missing history first (`0`: never; you manage history with `backfill`)",
    ),
    Setting(
        "ENERGY_BOOTSTRAP_START", "2016-04-01", "where that history starts (the first day of TEPCO's yearly files)"
    ),
    Setting(
        "ENERGY_MODEL_MAX_AGE_DAYS",
        "14",
        "the daily forecast reuses the newest stored model up to this many days old (`run_daily.sh --train`, "
        "weekly, refits it); with none that young it trains first, about 3 minutes",
        "ml",
    ),
    Setting(
        "ENERGY_MODEL_ITERATION_SCALE",
        "1",
        "multiplies the ensemble's fixed iteration counts (the tests train with `0.1`: fast, but not the "
        "benchmarked model)",
    ),
    # set by the daily runner for the processes it starts
    Setting("ENERGY_RUN_ID", "", "the run id events are recorded under (set by `run_daily.sh`; else one per command)"),
    Setting("ENERGY_AS_OF", "", "the as-of date of the current daily run (set by the runner)"),
    # BigQuery
    Setting("BQ_PROJECT", "", "Google Cloud project of the BigQuery warehouse", "profiles.yml"),
    Setting("BQ_LOCATION", "asia-northeast1", "BigQuery location", "profiles.yml"),
    Setting("BQ_AUTH_METHOD", "service-account", "dbt-bigquery's auth method", "profiles.yml"),
    Setting(
        "GOOGLE_APPLICATION_CREDENTIALS",
        "",
        "service-account key file (outside the repository, mode 600)",
        "profiles.yml",
    ),
    Setting("BQ_MAXIMUM_BYTES_BILLED", "10000000000", "dbt refuses a query that would bill more", "profiles.yml"),
    Setting("BQ_TOKEN", "emulator", "static token for the BigQuery emulator (tests)", "profiles.yml"),
    Setting("BQ_API_ENDPOINT", "http://127.0.0.1:9050", "the BigQuery emulator's endpoint (tests)", "profiles.yml"),
    # alerts
    Setting(
        "ENERGY_ALERT_WEBHOOK_URL", "", 'POST `{"text": …}` here on a failed stage (Slack incoming-webhook format)'
    ),
    Setting("ENERGY_SMTP_HOST", "", "SMTP server for e-mail alerts"),
    Setting("ENERGY_SMTP_PORT", "25", "its port"),
    Setting("ENERGY_SMTP_USER", "", "its user (optional)"),
    Setting("ENERGY_SMTP_PASSWORD", "", "its password"),
    Setting("ENERGY_SMTP_STARTTLS", "0", "`1`: STARTTLS"),
    Setting("ENERGY_ALERT_EMAIL_FROM", "energy-forecast@localhost", "sender of e-mail alerts"),
    Setting("ENERGY_ALERT_EMAIL_TO", "", "recipients of e-mail alerts, comma-separated"),
    # tests
    Setting(
        "ENERGY_SKIP_BQ_EMULATOR", "0", "`1`: `scripts/test.sh` does not start the BigQuery emulator", "scripts/test.sh"
    ),
    Setting(
        "ENERGY_REQUIRE_CHROMIUM", "", "set: the dashboard's browser test fails instead of skipping without chromium"
    ),
    Setting("ENERGY_REQUIRE_BQ_EMULATOR", "", "set: the BigQuery loop fails instead of skipping without the emulator"),
    Setting(
        "ENERGY_CHROMIUM_INSTALL_STATUS",
        "",
        "a file a background chromium install writes its exit status to (.ci/run): the browser test waits for it",
    ),
)
_BY_NAME = {s.name: s for s in SETTINGS}

#: dlt reads `.dlt/config.toml` (telemetry off, no load ids in parquet) from its project folder, the
#: working directory by default: point it at the repository once, so every entry point gets it.
os.environ.setdefault("DLT_PROJECT_DIR", str(REPO_ROOT))


def get(name: str) -> str:
    """The value of a registered setting: the environment's (stripped), else its default.

    Defaults that depend on another setting (`<data dir>/…`) come back as "" here: their accessor
    below resolves them."""
    value = os.environ.get(name, "").strip()
    if value:
        return value
    default = _BY_NAME[name].default
    return "" if default.startswith("<") or default.startswith("./") else default


def is_set(name: str) -> bool:
    return bool(os.environ.get(_BY_NAME[name].name, "").strip())


def flag(name: str) -> bool:
    return get(name).lower() not in ("", "0", "false", "no", "off")


def export(name: str, value: str) -> None:
    """Set a setting for this process and the ones it starts (dbt reads `env_var()` from them)."""
    os.environ[_BY_NAME[name].name] = value


def dlt_config_default(name: str, value: str) -> None:
    """Give a dlt configuration key (dlt reads its config from the environment too) a default."""
    os.environ.setdefault(name, value)


def secret_values(min_length: int = 6) -> list[str]:
    """Values of every environment variable whose name looks secret, longest first (for `redact`)."""
    from core.alerts import SECRET_NAME

    return sorted(
        (v for k, v in os.environ.items() if SECRET_NAME.search(k) and v and len(v) >= min_length),
        key=len,
        reverse=True,
    )


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a subprocess (dbt, a browser), with overrides."""
    return {**os.environ, **overrides}


#: Japan's ten supply areas, as the `area` column spells them. Every area a user names (ENERGY_AREA,
#: --area) is checked against this list before it goes anywhere near a query.
KNOWN_AREAS = ("hokkaido", "tohoku", "tokyo", "chubu", "hokuriku", "kansai", "chugoku", "shikoku", "kyushu", "okinawa")


def known_area(area: str) -> str:
    """`area` if it is one of `KNOWN_AREAS`, else ValueError naming them."""
    if area not in KNOWN_AREAS:
        raise ValueError(f"unknown area {area[:40]!r}: use one of {', '.join(KNOWN_AREAS)}")
    return area


def _path(name: str, default: Path) -> Path:
    return Path(get(name) or str(default)).expanduser().resolve()


def data_dir() -> Path:
    """Folder for everything the pipeline writes locally (warehouse, logs, quarantine)."""
    return _path("ENERGY_DATA_DIR", REPO_ROOT / "data")


def duckdb_path() -> Path:
    """The DuckDB warehouse file: `ENERGY_DUCKDB_PATH`, default `<data dir>/warehouse.duckdb`."""
    return _path("ENERGY_DUCKDB_PATH", data_dir() / "warehouse.duckdb")


def target() -> str:
    return get("ENERGY_TARGET")


def area() -> str:
    return get("ENERGY_AREA")


def run_id() -> str:
    return get("ENERGY_RUN_ID")


def simulated() -> bool:
    """The upstreams are the simulator, which serves any past day as it stood (replays may store vintages)."""
    return is_set("ENERGY_SIMULATOR_URL")


def marts_dataset() -> str:
    return get("ENERGY_MARTS_DATASET")


def weather_points_file() -> Path:
    value = get("ENERGY_WEATHER_POINTS_FILE")
    return Path(value) if Path(value).is_absolute() else REPO_ROOT / value


def jma_dir() -> str:
    return get("JMA_DIR")


def jma_base_url() -> str | None:
    """`JMA_BASE_URL` when the JMA history comes from a server (None for a folder or not at all)."""
    return get("JMA_BASE_URL").rstrip("/") or None


def archive_enabled() -> bool:
    return flag("ENERGY_ARCHIVE")


def archive_url() -> str:
    return get("ENERGY_ARCHIVE_URL")


def archive_dir() -> Path:
    return _path("ENERGY_ARCHIVE_DIR", data_dir() / "archive")


def archive_retention_days() -> int:
    return int(get("ENERGY_ARCHIVE_RETENTION_DAYS") or 0)


def run_log_spool() -> Path:
    return Path(get("ENERGY_RUN_LOG_SPOOL") or str(data_dir() / "run_log" / "pending.jsonl"))


def log_level() -> str:
    return get("ENERGY_LOG_LEVEL")


def dlt_progress() -> bool:
    return is_set("ENERGY_DLT_PROGRESS")


@dataclass(frozen=True)
class HttpSettings:
    """How we talk to upstream servers."""

    user_agent: str = field(default_factory=lambda: get("ENERGY_USER_AGENT"))
    timeout_s: float = field(default_factory=lambda: float(get("ENERGY_HTTP_TIMEOUT_S")))
    #: A host that drops packets is bounded by this, much shorter than the read timeout.
    connect_timeout_s: float = field(default_factory=lambda: float(get("ENERGY_HTTP_CONNECT_TIMEOUT_S")))
    #: How often an unreachable host (DNS, refused, no route, connect timeout) is tried before it
    #: counts as down for the rest of the run, and the pause between the tries.
    connect_attempts: int = field(default_factory=lambda: int(get("ENERGY_HTTP_CONNECT_ATTEMPTS")))
    connect_pause_s: float = field(default_factory=lambda: float(get("ENERGY_HTTP_CONNECT_PAUSE_S")))
    #: Concurrent requests to one API (the per-point Open-Meteo calls); polite to the free tier.
    workers: int = field(default_factory=lambda: int(get("ENERGY_HTTP_WORKERS")))
    max_attempts: int = field(default_factory=lambda: int(get("ENERGY_HTTP_MAX_ATTEMPTS")))
    backoff_factor: float = field(default_factory=lambda: float(get("ENERGY_HTTP_BACKOFF_S")))
    backoff_max_s: float = field(default_factory=lambda: float(get("ENERGY_HTTP_BACKOFF_MAX_S")))


@dataclass(frozen=True)
class BigQuerySettings:
    project: str = field(default_factory=lambda: get("BQ_PROJECT"))
    location: str = field(default_factory=lambda: get("BQ_LOCATION"))
    token: str = field(default_factory=lambda: get("BQ_TOKEN"))
    credentials_file: str = field(default_factory=lambda: get("GOOGLE_APPLICATION_CREDENTIALS"))


@dataclass(frozen=True)
class AlertSettings:
    webhook_url: str = field(default_factory=lambda: get("ENERGY_ALERT_WEBHOOK_URL"))
    smtp_host: str = field(default_factory=lambda: get("ENERGY_SMTP_HOST"))
    smtp_port: str = field(default_factory=lambda: get("ENERGY_SMTP_PORT"))  # parsed where it is used
    smtp_user: str = field(default_factory=lambda: get("ENERGY_SMTP_USER"))
    smtp_password: str = field(default_factory=lambda: get("ENERGY_SMTP_PASSWORD"))
    smtp_starttls: bool = field(default_factory=lambda: get("ENERGY_SMTP_STARTTLS") == "1")
    email_from: str = field(default_factory=lambda: get("ENERGY_ALERT_EMAIL_FROM"))
    email_to: str = field(default_factory=lambda: get("ENERGY_ALERT_EMAIL_TO"))


@dataclass(frozen=True)
class Settings:
    """The settings of one run, resolved once when it starts."""

    tepco_base_url: str = field(default_factory=lambda: get("TEPCO_BASE_URL").rstrip("/"))
    open_meteo_archive_url: str = field(default_factory=lambda: get("OPEN_METEO_ARCHIVE_URL"))
    open_meteo_forecast_url: str = field(default_factory=lambda: get("OPEN_METEO_FORECAST_URL"))
    open_meteo_previous_runs_url: str = field(default_factory=lambda: get("OPEN_METEO_PREVIOUS_RUNS_URL"))
    open_meteo_previous_runs_model: str = field(default_factory=lambda: get("OPEN_METEO_PREVIOUS_RUNS_MODEL"))
    open_meteo_call_limit_scale: float = field(default_factory=lambda: float(get("OPEN_METEO_CALL_LIMIT_SCALE")))
    area: str = field(default_factory=area)
    target: str = field(default_factory=target)
    data_dir: Path = field(default_factory=data_dir)
    duckdb_path: Path = field(default_factory=duckdb_path)
    http: HttpSettings = field(default_factory=HttpSettings)
    #: Whether the daily run backfills missing history first (ENERGY_BOOTSTRAP=0: you manage it).
    bootstrap: bool = field(default_factory=lambda: flag("ENERGY_BOOTSTRAP"))
    #: Where a first run's history starts (the daily run backfills it when the warehouse lacks it).
    bootstrap_start: date = field(default_factory=lambda: date.fromisoformat(get("ENERGY_BOOTSTRAP_START")))
    #: The oldest stored model the daily forecast reuses (days); training is the weekly step's job.
    model_max_age_days: int = field(default_factory=lambda: int(get("ENERGY_MODEL_MAX_AGE_DAYS")))

    @property
    def quarantine_dir(self) -> Path:
        return Path(get("ENERGY_QUARANTINE_DIR") or str(self.data_dir / "quarantine")).resolve()

    @property
    def pipelines_dir(self) -> Path:
        """dlt's local working state; kept beside the warehouse, not in ~/.dlt."""
        return Path(get("ENERGY_DLT_PIPELINES_DIR") or str(self.data_dir / "dlt_pipelines")).resolve()


def markdown_table() -> str:
    """The README's settings table (a test keeps the README equal to it)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "unset"
        also = f" (also read by {s.read_by})" if s.read_by else ""
        lines.append(f"| `{s.name}` | {default} | {s.help}{also} |")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] == ["--markdown"]:
        print(markdown_table())
    else:
        for s in SETTINGS:
            print(f"{s.name}={get(s.name) if is_set(s.name) else ''}\t# default {s.default or 'unset'}: {s.help}")
