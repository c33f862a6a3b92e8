"""`python -m ingest check`: is this machine ready to run the pipeline? Prints what to fix.

Checks configuration, credentials files (present, not world-readable), warehouse connectivity
(`dbt debug`), upstream reachability (one cheap request each, no retries), free disk and the
raw-file archive (writable, or its bucket reachable).
"""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

from core import settings as config
from core.settings import REPO_ROOT, Settings
from core.time import JST

MIN_FREE_GB = 2.0


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str = ""


def _world_readable(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IROTH)


def check_config(settings: Settings) -> list[Check]:
    out = []
    if settings.target not in ("dev", "prod", "bq_emu"):
        out.append(Check("target", "fail", f"ENERGY_TARGET={settings.target!r}", "use dev (DuckDB) or prod (BigQuery)"))
    else:
        out.append(Check("target", "ok", settings.target))
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        probe = settings.data_dir / ".write_probe"
        probe.write_text("x")
        probe.unlink()
        out.append(Check("data dir", "ok", str(settings.data_dir)))
    except OSError as exc:
        out.append(
            Check(
                "data dir", "fail", f"{settings.data_dir}: {exc.strerror}", "set ENERGY_DATA_DIR to a writable folder"
            )
        )
    profiles = REPO_ROOT / "profiles.yml"
    out.append(
        Check(
            "dbt profile",
            "ok" if profiles.exists() else "warn",
            str(profiles) if profiles.exists() else "profiles.yml missing",
            "" if profiles.exists() else "cp profiles.yml.example profiles.yml (run_daily.sh does it)",
        )
    )
    return out


def check_credentials(settings: Settings) -> list[Check]:
    out = []
    for path in (REPO_ROOT / ".env", REPO_ROOT / ".dlt" / "secrets.toml"):
        if path.exists():
            if _world_readable(path):
                out.append(
                    Check(f"secrets file {path.name}", "fail", f"{path} is readable by every user", f"chmod 600 {path}")
                )
            else:
                out.append(Check(f"secrets file {path.name}", "ok", "present, not world-readable"))
    if settings.target == "prod":
        key = config.get("GOOGLE_APPLICATION_CREDENTIALS")
        if not key:
            out.append(
                Check(
                    "BigQuery credentials",
                    "fail",
                    "GOOGLE_APPLICATION_CREDENTIALS is not set",
                    "point it at a service-account key file (outside the repository) in .env",
                )
            )
        elif not Path(key).exists():
            out.append(Check("BigQuery credentials", "fail", f"{key} does not exist", "fix the path in .env"))
        elif _world_readable(Path(key)):
            out.append(Check("BigQuery credentials", "fail", f"{key} is readable by every user", f"chmod 600 {key}"))
        else:
            out.append(Check("BigQuery credentials", "ok", "key file present, not world-readable"))
    return out


def check_warehouse(settings: Settings) -> list[Check]:
    dbt = Path(sys.executable).with_name("dbt")
    env = config.child_env(ENERGY_DUCKDB_PATH=str(settings.duckdb_path))
    proc = subprocess.run(
        [
            str(dbt),
            "debug",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT),
            "--target",
            settings.target,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    if proc.returncode == 0:
        return [Check("warehouse (dbt debug)", "ok", "connection test passed")]
    last = [line for line in proc.stdout.splitlines() if "ERROR" in line or "Error" in line][-1:]
    return [
        Check(
            "warehouse (dbt debug)",
            "fail",
            (last[0] if last else f"dbt debug exit {proc.returncode}")[:160],
            "check profiles.yml / credentials; DuckDB: is another process holding the file?",
        )
    ]


def check_upstreams(settings: Settings) -> list[Check]:
    out = []
    headers = {"User-Agent": settings.http.user_agent}
    month = datetime.now(JST).strftime("%Y%m")
    probes = [
        ("TEPCO", f"{settings.tepco_base_url}/{month}_power_usage.zip", None),
        (
            "Open-Meteo forecast",
            settings.open_meteo_forecast_url,
            {"latitude": 35.68, "longitude": 139.69, "hourly": "temperature_2m", "forecast_days": 1},
        ),
        (
            "Open-Meteo archive",
            settings.open_meteo_archive_url,
            {
                "latitude": 35.68,
                "longitude": 139.69,
                "hourly": "temperature_2m",
                "start_date": "2024-01-01",
                "end_date": "2024-01-01",
            },
        ),
    ]
    for name, url, params in probes:
        try:
            resp = requests.get(url, params=params, headers=headers, timeout=10)
            ok = resp.status_code in (200, 404) if name == "TEPCO" else resp.status_code == 200
            out.append(
                Check(
                    f"upstream {name}",
                    "ok" if ok else "warn",
                    f"HTTP {resp.status_code} from {url}",
                    "" if ok else "the service answered but not as expected; retry later",
                )
            )
        except requests.RequestException as exc:
            out.append(
                Check(
                    f"upstream {name}",
                    "warn",
                    f"{type(exc).__name__} for {url}",
                    "no network or a firewall: the daily job will fail at ingest",
                )
            )
    return out


def check_disk(settings: Settings) -> list[Check]:
    free_gb = shutil.disk_usage(settings.data_dir if settings.data_dir.exists() else REPO_ROOT).free / 1e9
    if free_gb < MIN_FREE_GB:
        return [Check("free disk", "warn", f"{free_gb:.1f} GB free", f"keep at least {MIN_FREE_GB} GB free")]
    return [Check("free disk", "ok", f"{free_gb:.1f} GB free")]


def check_archive(settings: Settings) -> list[Check]:
    """The raw-file archive can be written (a local folder), or its bucket listed (GCS)."""
    from ingest import archive

    if not archive.enabled():
        return [
            Check(
                "raw-file archive",
                "warn",
                "off (ENERGY_ARCHIVE=0)",
                "without it, data upstream revises or deletes cannot be replayed",
            )
        ]
    try:
        store = archive.store_from_env(settings)
        if isinstance(store, archive.LocalStore):
            store.root.mkdir(parents=True, exist_ok=True)
            probe = store.root / ".write_probe"
            probe.write_bytes(b"")
            probe.unlink()
            where = str(store.root)
        else:
            store.dates()
            where = config.archive_url()
    except Exception as exc:  # noqa: BLE001 - report any failure to reach or write the archive
        return [
            Check(
                "raw-file archive",
                "fail",
                f"{type(exc).__name__}: {str(exc)[:120]}",
                "fix ENERGY_ARCHIVE_DIR / ENERGY_ARCHIVE_URL and its permissions",
            )
        ]
    days = archive.retention_days()
    return [Check("raw-file archive", "ok", f"{where} (retention {days or 'forever'}{' d' if days else ''})")]


def run(settings: Settings | None = None) -> int:
    settings = settings or Settings()
    checks = check_config(settings) + check_credentials(settings) + check_disk(settings) + check_archive(settings)
    checks += check_warehouse(settings) + check_upstreams(settings)
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{c.status.upper():<4} {c.name:<{width}}  {c.detail}" + (f"\n     → {c.fix}" if c.fix else ""))
    failed = [c for c in checks if c.status == "fail"]
    print(f"\n{len(checks)} checks: {len(failed)} failed, {sum(c.status == 'warn' for c in checks)} warnings")
    return 1 if failed else 0
