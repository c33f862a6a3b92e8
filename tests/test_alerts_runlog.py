"""Alerts (webhook + SMTP, with secrets redacted) and the run-log spool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from core import alerts, runlog
from core.settings import Settings
from tests.sinks import SmtpSink, WebhookSink

SECRET_HOOK = "/services/T0FAKE/B0FAKE/sEcReTwEbHoOk123"
FAKE_KEY = "sk-fake-key-0123456789"


def test_alert_goes_to_webhook_and_email_with_secrets_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    hook, smtp = WebhookSink(), SmtpSink()
    try:
        monkeypatch.setenv("ENERGY_ALERT_WEBHOOK_URL", hook.url(SECRET_HOOK))
        monkeypatch.setenv("BQ_API_KEY", FAKE_KEY)
        monkeypatch.setenv("ENERGY_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("ENERGY_SMTP_PORT", str(smtp.port))
        monkeypatch.setenv("ENERGY_ALERT_EMAIL_TO", "ops@example.org")
        body = f"stage build failed; connection string had key={FAKE_KEY} and hook {hook.url(SECRET_HOOK)}"
        results = alerts.send("run failed at build", body)
        assert results == ["webhook: HTTP 200", "email: sent to 1 recipient(s)"]
        text = hook.bodies[0]["json"]["text"]
        assert "run failed at build" in text and "stage build failed" in text
        assert FAKE_KEY not in text and "sEcReTwEbHoOk123" not in text and "***" in text
        assert len(smtp.messages) == 1
        assert "Subject: run failed at build" in smtp.messages[0]
        assert FAKE_KEY not in smtp.messages[0] and "sEcReTwEbHoOk123" not in smtp.messages[0]
    finally:
        hook.close()
        smtp.close()


def test_no_channel_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ENERGY_ALERT_WEBHOOK_URL", "ENERGY_SMTP_HOST", "ENERGY_ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    assert alerts.send("x", "y") == ["no alert channel configured"]


def test_unreachable_webhook_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENERGY_ALERT_WEBHOOK_URL", "http://127.0.0.1:9/hook" + SECRET_HOOK)
    monkeypatch.delenv("ENERGY_SMTP_HOST", raising=False)
    (result,) = alerts.send("x", "y")
    assert result.startswith("webhook: failed") and "sEcReT" not in result


def test_spool_survives_an_unwritable_warehouse_and_loads_later(warehouse_env: Path, monkeypatch) -> None:
    settings = Settings()
    rec = {
        "run_id": "r1",
        "stage": "ingest",
        "status": "success",
        "started_at": "2024-06-01T19:00:00Z",
        "finished_at": "2024-06-01T19:00:08Z",
        "rows_processed": 12,
        "exit_code": 0,
        "error_message": "",
        "as_of_date": "2024-06-02",
        "git_revision": "abc",
        "target": "dev",
        "log_file": "x.log",
    }
    runlog.append(settings, rec)
    runlog.append(settings, {**rec, "stage": "build", "status": "failed", "exit_code": 41, "error_message": "boom"})
    (runlog.spool_path(settings).parent).mkdir(parents=True, exist_ok=True)
    with open(runlog.spool_path(settings), "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    # the warehouse is held by another process (a BI tool, a stuck run): the flush fails, the spool stays
    settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(settings.duckdb_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(Exception, match="(?i)lock"):
            runlog.flush(settings)
        assert runlog.spool_path(settings).exists()
    finally:
        holder.kill()
        holder.wait()
    assert runlog.flush(settings) == 2
    assert not runlog.spool_path(settings).exists()
    assert "{not json" in runlog.spool_path(settings).with_name("rejected.jsonl").read_text()
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        rows = con.execute(
            "select stage, status, exit_code, duration_s from raw.pipeline_runs order by stage"
        ).fetchall()
    assert rows == [("build", "failed", 41, 8.0), ("ingest", "success", 0, 8.0)]
    # loading the same records again (a kill between load and truncate) does not duplicate them
    runlog.append(settings, rec)
    runlog.flush(settings)
    with duckdb.connect(str(settings.duckdb_path), read_only=True) as con:
        assert con.execute("select count(*) from raw.pipeline_runs").fetchone() == (2,)


def test_stage_names_in_code_seed_and_script_agree() -> None:
    repo = Path(__file__).resolve().parents[1]
    script = (repo / "run_daily.sh").read_text(encoding="utf-8")
    import re

    runner = (repo / "pipeline" / "daily.py").read_text(encoding="utf-8")
    # setup is recorded by the shell (before Python exists); every other stage by pipeline/daily.py
    in_code = set(re.findall(r"\brecord (\w+) (?:success|warning|failed)", script))
    in_code |= set(re.findall(r'self\.stage\("(\w+)"', runner))
    in_seed = {line.split(",")[0] for line in (repo / "seeds" / "pipeline_stages.csv").read_text().splitlines()[1:]}
    assert in_code == in_seed == set(runlog.STAGES)
