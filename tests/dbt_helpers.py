"""Run dbt the way the wrappers do: a subprocess with the project's profiles and an absolute DuckDB path."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DBT = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "dbt")


def ensure_profiles() -> None:
    if not (REPO / "profiles.yml").exists():
        shutil.copy(REPO / "profiles.yml.example", REPO / "profiles.yml")


def dbt(*args: str, db: Path, target_dir: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """`dbt <args>` on the DuckDB file `db`; output captured; raises with the log tail on failure."""
    ensure_profiles()
    env = {**os.environ, "ENERGY_DUCKDB_PATH": str(db), "ENERGY_TARGET": "dev"}
    cmd = [
        DBT if Path(DBT).exists() else "dbt",
        "--no-use-colors",
        *args,
        "--project-dir",
        str(REPO),
        "--profiles-dir",
        str(REPO),
    ]
    if target_dir is not None:
        cmd += ["--target-path", str(target_dir)]
        env["DBT_LOG_PATH"] = str(target_dir / "logs")
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}")
    return proc
