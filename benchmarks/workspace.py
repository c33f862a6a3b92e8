"""The work folder a benchmark builds its warehouse in, and the dbt command line pointed at it."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Workspace:
    work: Path
    db: Path
    env: dict[str, str]  # the environment of the benchmark's commands (simulator URLs added later)
    dbt: list[str]  # `dbt --no-use-colors`
    common: list[str]  # --project-dir, --profiles-dir, --target-path

    @property
    def target(self) -> Path:
        return self.work / "target"

    def noisy_vintages_current(self) -> bool:
        """Whether the noisy vintages in this folder were drawn by the simulator's current error model."""
        from simulator.open_meteo import ERROR_MODEL

        marker = self.work / "simulated_error_model.txt"
        return self.db.exists() and marker.exists() and marker.read_text(encoding="utf-8") == ERROR_MODEL

    def model_policy(self) -> str:
        """What the backtests will train or reuse, for the report's header: the figures depend on the
        model age limit, and a reused folder already holds models of the current spec."""
        from core.settings import Settings
        from ml.model import spec_hash

        settings = Settings()
        spec = spec_hash()
        stored = list((self.work / "models").glob(f"*-{spec}")) if (self.work / "models").is_dir() else []
        return (
            f"models: retrained when older than {settings.model_max_age_days} days (ENERGY_MODEL_MAX_AGE_DAYS); "
            f"spec {spec}, {len(stored)} already stored in {self.work / 'models'} (reused where that age allows)"
        )

    def mark_noisy_vintages(self) -> None:
        from simulator.open_meteo import ERROR_MODEL

        (self.work / "simulated_error_model.txt").write_text(ERROR_MODEL, encoding="utf-8")


def workspace(keep: str | None, prefix: str) -> Workspace:
    """`keep` (reused: a benchmark skips the steps already done there) or a fresh temporary folder."""
    work = Path(keep or tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    # dbt's parse cache holds absolute paths of the checkout that wrote it: a folder reused from another
    # checkout (a removed worktree) would fail to build, so every benchmark run parses afresh
    (work / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
    db = work / "warehouse.duckdb"
    env = {
        **os.environ,
        "ENERGY_DATA_DIR": str(work),
        "ENERGY_DUCKDB_PATH": str(db),
        "DBT_LOG_PATH": str(work / "dbt_logs"),
    }
    if not (REPO / "profiles.yml").exists():
        shutil.copy(REPO / "profiles.yml.example", REPO / "profiles.yml")
    dbt = [str(REPO / ".venv" / "bin" / "dbt"), "--no-use-colors"]
    common = ["--project-dir", str(REPO), "--profiles-dir", str(REPO), "--target-path", str(work / "target")]
    return Workspace(work, db, env, dbt, common)
