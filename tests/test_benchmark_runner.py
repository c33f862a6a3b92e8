"""The benchmarks' step runner and report header: an hour of backtests shows its progress as it goes,
a failed step shows why, and the header says which model age the figures were measured with."""

from __future__ import annotations

import sys

import pytest

from benchmarks.accuracy import run
from benchmarks.workspace import workspace
from ml.model import spec_hash

STEP = """
import sys
print("dbt noise that the benchmark keeps to itself")
print("[1/2] bench-tokyo-2024-01-01: oracle_observed, model ens-x (trained)", file=sys.stderr, flush=True)
print("[2/2] bench-tokyo-2024-01-08: oracle_observed, model ens-x (reused)", file=sys.stderr, flush=True)
sys.exit(int(sys.argv[1]))
"""


def test_a_step_echoes_its_progress_lines_and_nothing_else(capsys: pytest.CaptureFixture[str]) -> None:
    seconds = run([sys.executable, "-c", STEP, "0"], {}, "two backtests")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "… two backtests",
        "    [1/2] bench-tokyo-2024-01-01: oracle_observed, model ens-x (trained)",
        "    [2/2] bench-tokyo-2024-01-08: oracle_observed, model ens-x (reused)",
    ]
    assert seconds > 0


def test_a_failed_step_stops_the_benchmark_with_its_output() -> None:
    with pytest.raises(SystemExit) as stop:
        run([sys.executable, "-c", STEP + "\nprint('Traceback: the real reason', file=sys.stderr)", "3"], {}, "a step")
    message = str(stop.value)
    assert message.startswith("a step failed (3):")
    assert "dbt noise that the benchmark keeps to itself" in message  # the whole tail, stdout and stderr


def test_the_header_names_the_model_age_and_the_models_already_stored(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENERGY_MODEL_MAX_AGE_DAYS", "28")
    ws = workspace(str(tmp_path), "unused-")
    assert "older than 28 days" in ws.model_policy()
    assert ", 0 already stored" in ws.model_policy()
    for name in (f"ens-20240107-{spec_hash()}", f"ens-20240121-{spec_hash()}", "ens-20240107-0ldspec0"):
        (tmp_path / "models" / name).mkdir(parents=True)
    assert f"spec {spec_hash()}, 2 already stored" in ws.model_policy()
