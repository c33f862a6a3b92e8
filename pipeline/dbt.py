"""dbt in-process: parse the project once, then run every dbt command of the run on that manifest.

dbt supports sequential programmatic invocations in one process (never concurrent ones). The
exit codes follow the dbt CLI: 0 success, 1 a model or test failed, 2 dbt itself errored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class DbtOutcome:
    """What one dbt command did: its CLI-equivalent exit code, the warned nodes, the rows it wrote."""

    exit_code: int
    warned: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    rows: int | None = None
    error: str = ""


class Dbt:
    """One dbt project and target, parsed once per process."""

    def __init__(self, project_dir: Path, target: str) -> None:
        from dbt.cli.main import dbtRunner  # ~4 s of imports: only when a dbt stage runs

        self._runner_cls = dbtRunner
        self.common = ["--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--target", target]
        self.runner = dbtRunner()
        self.parsed = False

    def parse(self) -> DbtOutcome:
        """Parse (partially, when dbt's saved state allows) and keep the manifest for later commands."""
        res = self.runner.invoke(["--no-use-colors", "parse", *self.common])
        if res.success and res.result is not None:
            self.runner = self._runner_cls(manifest=res.result)
            self.parsed = True
            return DbtOutcome(0)
        return DbtOutcome(2, error=_error_text(res))

    def invoke(self, *args: str) -> DbtOutcome:
        if not self.parsed:
            parsed = self.parse()
            if parsed.exit_code:
                return parsed
        res = self.runner.invoke(["--no-use-colors", *args, *self.common])
        if res.exception is not None:
            return DbtOutcome(2, error=_error_text(res))
        results = list(getattr(res.result, "results", None) or [])
        warned = [_name(r) for r in results if str(getattr(r, "status", "")) == "warn"]
        failed = [_name(r) for r in results if str(getattr(r, "status", "")) in ("error", "fail", "runtime error")]
        return DbtOutcome(
            0 if res.success else 1, warned=sorted(warned), failed=sorted(failed), rows=_rows_written(results)
        )


def _name(result: Any) -> str:
    node = getattr(result, "node", None)
    return getattr(node, "name", None) or str(getattr(result, "unique_id", "?"))


def _rows_written(results: list[Any]) -> int | None:
    """Rows the models wrote, as the adapter reports them (None when it reports none)."""
    counts = [
        getattr(r, "adapter_response", {}).get("rows_affected")
        for r in results
        if getattr(getattr(r, "node", None), "resource_type", None) in ("model", "seed")
    ]
    counts = [c for c in counts if isinstance(c, int) and c >= 0]
    return sum(counts) if counts else None


def _error_text(res: Any) -> str:
    exc = getattr(res, "exception", None)
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300] if exc is not None else "dbt failed"
