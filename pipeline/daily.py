"""The stages of the daily run, their run-log records and their exit codes.

The stage names are the seed `seeds/pipeline_stages.csv` (`core.stages`; a test keeps `run()` to
them); the exit codes are `core/exit_codes.py` (`DAILY`), which `run_daily.sh --help` prints. What dbt builds in each stage
is a named selector in `selectors.yml`, so anyone can run the same selection by hand:

    dbt source freshness --selector freshness      # stage freshness
    dbt build --selector daily_build               # stage build
    dbt build --selector accuracy                  # stage accuracy

A failed ingest (nothing loaded) or build skips the stages after it; a partial ingest, a stale
source or a failed report are warnings. Every stage appends one record to the run-log spool before
the next starts, so a run that is killed part-way still leaves the records of the stages it finished.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from core import runlog
from core import settings as config
from core.alerts import redact
from core.exit_codes import daily_code
from core.settings import Settings
from core.time import today_jst

REPO = Path(__file__).resolve().parents[1]
#: dbt selectors (selectors.yml) the stages build
SELECTOR = {"freshness": "freshness", "build": "daily_build", "accuracy": "accuracy"}


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


@dataclass
class DailyOptions:
    run_id: str
    as_of: date | None = None
    target: str = "dev"
    skip_ingest: bool = False
    skip_forecast: bool = False
    docs: bool = False
    train: bool = False
    area: str = "tokyo"
    git_revision: str = "unknown"
    log_file: str = ""


@dataclass
class StageResult:
    status: str  # success | warning | failed
    exit_code: int = 0
    message: str = ""
    rows: int | None = None


@dataclass
class DailyRun:
    """Runs the stages in order; `run()` returns the process exit code."""

    options: DailyOptions
    settings: Settings = field(default_factory=Settings)
    final: int = 0
    _dbt: object | None = None

    # -- bookkeeping --------------------------------------------------------------------------
    def record(self, stage: str, started: datetime, result: StageResult) -> None:
        finished = datetime.now(UTC)
        rec = {
            "run_id": self.options.run_id,
            "stage": stage,
            "status": result.status,
            "started_at": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "finished_at": finished.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "duration_s": round((finished - started).total_seconds(), 3),
            "rows_processed": result.rows,
            "exit_code": result.exit_code,
            "error_message": redact(result.message) if result.message else None,
            "as_of_date": self.options.as_of.isoformat() if self.options.as_of else None,
            "git_revision": self.options.git_revision,
            "target": self.options.target,
            "log_file": self.options.log_file,
        }
        try:
            runlog.append(self.settings, rec)
        except OSError as exc:
            log(f"WARN cannot append to the run-log spool ({exc})")

    def stage(self, name: str, body: Callable[[], StageResult], label: str = "") -> StageResult:
        started = datetime.now(UTC)
        t0 = time.perf_counter()
        log(f"stage {name}: {label or name}")
        try:
            result = body()
        except Exception as exc:  # noqa: BLE001 - one clear line in the log and the run log
            from core.errors import explain

            result = StageResult("failed", 1, explain(exc))
        log(
            f"stage {name}: {result.status} (exit {result.exit_code}) after {time.perf_counter() - t0:.1f} s"
            + (f": {result.message}" if result.message else "")
        )
        self.record(name, started, result)
        return result

    @property
    def dbt(self):
        if self._dbt is None:
            from pipeline.dbt import Dbt

            self._dbt = Dbt(REPO, self.options.target)
        return self._dbt

    # -- stages ---------------------------------------------------------------------------------
    def ingest(self) -> StageResult:
        from core.errors import explain
        from ingest.commands import run_daily

        try:
            report = run_daily(self.settings, self.options.as_of)
        except Exception as exc:  # noqa: BLE001
            print(f"error: nothing was loaded: {explain(exc)}", flush=True)
            return StageResult("failed", 3, f"ingest loaded nothing: {explain(exc)}")
        print(report.summary(), flush=True)
        rc, rows = report.exit_code(), sum(report.rows_loaded.values())
        if rc >= 2:
            why = report.outage_line() or "no upstream data arrived"
            print(f"error: ingest loaded nothing: {why}", flush=True)
            return StageResult("failed", rc, f"ingest loaded nothing: {why}", rows)
        if rc == 1:
            parts = []
            if report.newly_set_aside:
                parts.append(
                    f"newly set aside: {len(report.newly_set_aside)} file(s) or row(s); in all "
                    f"{len(report.files_set_aside)} file(s) and {len(report.rows_set_aside)} row(s) "
                    "(raw.quarantine_events, data/quarantine/)"
                )
            if report.errors or report.unreachable:
                parts.append(report.outage_line() or f"{len(report.errors)} upstream error(s)")
            message = "partial load: " + "; ".join(parts)  # run_daily.sh alerts on the 21 this becomes
            return StageResult("warning", 1, message, rows)
        return StageResult("success", 0, "", rows)

    def freshness(self) -> StageResult:
        out = self.dbt.invoke("source", "freshness", "--selector", SELECTOR["freshness"])
        if out.exit_code:
            return StageResult(
                "warning", out.exit_code, f"a source is stale (dbt exit {out.exit_code}); building anyway"
            )
        return StageResult("success")

    def build(self) -> StageResult:
        out = self.dbt.invoke("build", "--selector", SELECTOR["build"])
        if out.exit_code:
            what = f"failed: {', '.join(out.failed[:10])}" if out.failed else out.error
            return StageResult(
                "failed", out.exit_code, f"dbt build failed (dbt exit {out.exit_code}) {what}".strip(), out.rows
            )
        if out.warned:
            if "no_recent_error_anomalies" in out.warned:
                self.alert(
                    "energy-forecast: error-level demand anomaly",
                    f"Error-level demand anomaly in the last 2 days (see fct_demand_anomalies). "
                    f"Run {self.options.run_id}, log {self.options.log_file}",
                )
            return StageResult("warning", 0, f"tests warned: {' '.join(out.warned)}", out.rows)
        return StageResult("success", 0, "", out.rows)

    def forecast(self) -> StageResult:
        from ml.commands import daily_forecast

        issue = self.options.as_of or today_jst()
        rows, weather_source = daily_forecast(self.settings, self.options.area, issue)
        if weather_source == "missing":
            return StageResult(
                "warning",
                0,
                f"no weather forecast vintage for {issue}: forecast made without "
                "horizon weather (weather_source = missing)",
                rows,
            )
        return StageResult("success", 0, "", rows)

    def train(self) -> StageResult:
        from ml.commands import train_model

        issue = self.options.as_of or today_jst()
        version, seconds = train_model(self.settings, self.options.area, issue, log)
        return StageResult("success", 0, f"{version} in {seconds:.0f} s")

    def accuracy(self) -> StageResult:
        out = self.dbt.invoke("build", "--selector", SELECTOR["accuracy"])
        if out.exit_code:
            return StageResult(
                "failed", out.exit_code, f"accuracy marts failed (dbt exit {out.exit_code}) {out.error}", out.rows
            )
        return StageResult("success", 0, "", out.rows)

    def docs(self) -> StageResult:
        out = self.dbt.invoke("docs", "generate")
        if out.exit_code:
            return StageResult("failed", out.exit_code, f"dbt docs generate failed (dbt exit {out.exit_code})")
        return StageResult("success")

    def flush_run_log(self) -> StageResult:
        try:
            n = runlog.flush(self.settings)
        except Exception as exc:  # noqa: BLE001 - the spool stays; the next run loads it
            return StageResult("warning", 1, f"run log kept in the spool for the next run ({type(exc).__name__})")
        return StageResult("success", 0, "", n)

    def report(self) -> StageResult:
        """Load the run log, then refresh the local dashboard (data/dashboard/index.html)."""
        flushed = self.flush_run_log()
        try:
            import dashboard

            out = dashboard.write(self.settings, area=self.options.area)
            log(f"dashboard refreshed: {out}")
        except Exception as exc:  # noqa: BLE001 - a stale page is a warning, not a failed run
            from core.errors import explain

            return StageResult("warning", 1, f"dashboard not refreshed: {explain(exc)}", flushed.rows)
        return flushed

    def alert(self, subject: str, body: str) -> None:
        try:
            from core import alerts

            for line in alerts.send(subject, body):
                log(f"alert {line}")
        except Exception as exc:  # noqa: BLE001 - an alert must never fail the run
            log(f"WARN alert not sent ({type(exc).__name__})")

    # -- the run ----------------------------------------------------------------------------------
    def run(self) -> int:
        o = self.options
        if o.train:  # the weekly step, on its own: the daily forecasts reuse what it stores
            res = self.stage("train", self.train, "python -m ml train")
            self.stage("report", self.flush_run_log, "load the run log into raw.pipeline_runs")
            if res.status == "failed":
                log(f"FAILED train: {res.message}")
                return daily_code("train")
            return 0
        if not o.skip_ingest:
            res = self.stage("ingest", self.ingest, f"python -m ingest daily{f' --as-of {o.as_of}' if o.as_of else ''}")
            if res.status == "failed":
                log(f"FAILED ingest: nothing loaded (exit {res.exit_code}); later stages skipped")
                return daily_code("ingest", 2)
            if res.status == "warning":
                log("WARN ingest: partial load (see the summary above); continuing")
                self.final = daily_code("ingest", 1)

        res = self.stage("freshness", self.freshness, f"dbt source freshness --selector {SELECTOR['freshness']}")
        if res.status != "success":
            log(f"WARN freshness: a source is stale (dbt exit {res.exit_code}); building anyway")
            if self.final == 0:
                self.final = daily_code("freshness")

        res = self.stage("build", self.build, f"dbt build --selector {SELECTOR['build']}")
        if res.status == "failed":
            log(f"FAILED dbt build (dbt exit {res.exit_code}); later stages skipped")
            return daily_code("build", min(res.exit_code, 2))
        if res.status == "warning":
            log(f"WARN build: {res.message} (the forecast still runs)")

        if not o.skip_forecast:
            res = self.stage("forecast", self.forecast, f"forecast {o.area}")
            if res.status == "failed":
                log(f"FAILED forecast: {res.message}")
                return daily_code("forecast")
            # load the run log so far, so the monitoring marts built next show this run
            flushed = self.flush_run_log()
            if flushed.status != "success":
                log(f"WARN {flushed.message}")
            res = self.stage("accuracy", self.accuracy, f"dbt build --selector {SELECTOR['accuracy']}")
            if res.status == "failed":
                log(f"FAILED accuracy marts (dbt exit {res.exit_code})")
                return daily_code("accuracy", min(res.exit_code, 2))

        if o.docs:
            res = self.stage("docs", self.docs, "dbt docs generate")
            if res.status == "failed":
                log(f"FAILED docs (dbt exit {res.exit_code})")
                return daily_code("docs", min(res.exit_code, 2))

        self.stage("report", self.report, "load the run log into raw.pipeline_runs, refresh the dashboard")
        return self.final


def git_revision() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main_daily(options: DailyOptions) -> int:
    """Entry for `python -m pipeline daily`: set the env dbt reads, run, report the outcome."""
    config.export("ENERGY_TARGET", options.target)
    config.export("ENERGY_RUN_ID", options.run_id)
    config.export("ENERGY_AS_OF", options.as_of.isoformat() if options.as_of else "")
    run = DailyRun(options)
    rc = run.run()
    log(f"daily stages done: exit {rc}")
    sys.stdout.flush()
    return rc
