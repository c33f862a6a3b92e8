"""Faults in operation, through the whole daily run: repeats, kill -9, overlapping runs, unwritable
folders, a locked warehouse, secrets (helpers and the base state: tests/faults.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.faults import BASE_DAY, NEXT_DAY, REPO, base, case, env_for, no_duplicates, run_daily, snapshot
from tests.sinks import WebhookSink

__all__ = ["base", "case"]  # the fixtures, used by name


def test_the_same_day_twice_changes_nothing(case) -> None:
    # the base state is the first run of BASE_DAY: this is its second
    data, sim = case(as_of=BASE_DAY)
    first = snapshot(data / "warehouse.duckdb")
    rc, out = run_daily(env_for(data, sim), "--as-of", BASE_DAY)
    assert rc == 0, out[-3000:]
    assert "stage forecast: success" in out, out[-3000:]
    assert snapshot(data / "warehouse.duckdb") == first


def test_runs_killed_at_each_stage_then_the_next_run_completes(case) -> None:
    """kill -9 (the whole process group, as a crash or an OOM kill would) during ingest, then during
    the build, then during the forecast: each run leaves what it wrote half done; the next complete
    run must still land everything once."""
    data, sim = case()
    env = env_for(data, sim)
    for stage in ("ingest", "build", "forecast"):
        proc = subprocess.Popen(
            ["bash", str(REPO / "run_daily.sh"), "--as-of", NEXT_DAY],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        marker = f"stage {stage}: "
        deadline = time.time() + 300
        assert proc.stdout is not None
        seen: list[str] = []
        for line in proc.stdout:
            seen.append(line)
            if marker in line and "exit" not in line:
                time.sleep(1.5)
                break
            assert time.time() < deadline
        else:
            raise AssertionError(
                f"the run ended (exit {proc.wait()}) before stage {stage} started:\n{''.join(seen)[-3000:]}"
            )
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        gone_by = time.time() + 15  # the stage process outlives bash by a moment while the kernel tears it down
        while time.time() < gone_by:  # (a zombie nobody reaps still counts, but has released the lock)
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
    rc, out = run_daily(env, "--as-of", NEXT_DAY)
    assert rc == 0, out[-3000:]
    no_duplicates(data / "warehouse.duckdb")
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "select count(*) from raw.ml_forecasts where run_id = ?", [f"daily-tokyo-{NEXT_DAY}"]
        ).fetchone() == (384,)
        assert con.execute("select count(*) from raw.tepco_hourly where date_jst = '2024-03-10'").fetchone() == (24,)
        # each killed run left its run-log records (the stage it was in never finished): none lost
        (started,) = con.execute(
            "select count(distinct run_id) from raw.pipeline_runs where stage = 'setup'"
        ).fetchone()
    assert started >= 5  # the base run, three killed runs, this one


def test_a_locked_warehouse_then_overlapping_runs(case) -> None:
    """Other processes in the way, in one sequence (each daily run costs 40–50 s here): a run finds
    the warehouse locked by another process and fails cleanly; then, while the next run is under way,
    a third is refused by the run lock; the run under way completes and loads the failed run's
    spooled stage records."""
    data, sim = case()
    db = data / "warehouse.duckdb"
    env = env_for(data, sim)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        rc, out = run_daily(env, "--as-of", NEXT_DAY, "--skip-forecast")
        assert rc == 22 and "locked by another process" in out, out[-3000:]
    finally:
        holder.kill()
        holder.wait()
    first = subprocess.Popen(
        ["bash", str(REPO / "run_daily.sh"), "--as-of", NEXT_DAY, "--skip-forecast"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert first.stdout is not None
    for line in first.stdout:
        if "stage ingest: " in line:
            break
    rc, out = run_daily(env, "--as-of", NEXT_DAY)
    assert rc == 10 and "another run holds" in out
    rest = first.stdout.read()
    assert first.wait() == 0, rest[-3000:]
    # the locked run's stage records were spooled and loaded by the run that completed: none lost
    with duckdb.connect(str(db), read_only=True) as con:
        statuses = con.execute("select stage, status from raw.pipeline_runs where status = 'failed'").fetchall()
    assert ("ingest", "failed") in statuses
    no_duplicates(db)


def test_unwritable_data_or_log_folder(case, tmp_path: Path) -> None:
    data, sim = case()
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    rc, out = run_daily(env_for(data, sim, ENERGY_DATA_DIR=str(blocker / "data")), "--as-of", NEXT_DAY)
    assert rc == 11 and "cannot write" in out
    rc, out = run_daily(env_for(data, sim, ENERGY_LOG_DIR=str(blocker / "logs")), "--as-of", NEXT_DAY)
    assert rc == 11 and "cannot write" in out


def test_secrets_never_reach_the_log_or_the_alert(case) -> None:
    data, sim = case("http500")
    hook = WebhookSink()
    secret_path, key = "/services/T00/B00/topSECRETwebhookPATH", "sk-live-FAKE-KEY-987654321"
    try:
        env = env_for(data, sim, ENERGY_ALERT_WEBHOOK_URL=hook.url(secret_path), BQ_SERVICE_KEY=key)
        rc, out = run_daily(env, "--as-of", NEXT_DAY)
        assert rc == 22, out[-3000:]
        assert len(hook.bodies) == 1
        alert = hook.bodies[0]["json"]["text"]
        assert "failed at ingest (exit 22)" in alert
        logs = "".join(p.read_text(errors="replace") for p in (data / "logs").glob("*.log"))
        for text in (out, logs, alert):
            assert "topSECRETwebhookPATH" not in text and key not in text
    finally:
        hook.close()
