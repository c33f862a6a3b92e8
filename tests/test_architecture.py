"""The architecture's promises, checked: one owner per concept (settings, time, stages, exit codes,
raw-table definitions), dlt-native sources, and every command the README shows answering --help."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from dlt.extract import DltResource

from core import exit_codes, settings
from core.load import spec
from core.stages import STAGES

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "ingest", "ml", "pipeline", "dashboard", "simulator"]


def python_files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (REPO / pkg).rglob("*.py"))


def raw_resources() -> list[DltResource]:
    """Every raw table's resource: the upstream sources' and the project's own outputs."""
    from core import outputs
    from ingest import calendar, jma, open_meteo, quarantine, tepco

    found = {}
    for module in (tepco, open_meteo, jma, calendar, quarantine, outputs):
        for value in vars(module).values():
            if isinstance(value, DltResource):
                found[value.name] = value
    return list(found.values())


def test_only_the_settings_module_reads_the_environment() -> None:
    offenders = [
        f"{p.relative_to(REPO)}:{n}"
        for p in python_files(*PACKAGES)
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"os\.environ|os\.getenv|getenv\(", line) and p != REPO / "core" / "settings.py"
    ]
    assert offenders == []


def test_every_setting_read_anywhere_is_registered_and_the_readme_shows_them_all() -> None:
    names: set[str] = set()
    for p in python_files(*PACKAGES):
        names |= set(re.findall(r"config\.(?:get|is_set|flag|export)\(\"([A-Z_0-9]+)\"", p.read_text(encoding="utf-8")))
    shell = [REPO / "run_daily.sh", *sorted((REPO / "scripts").glob("*.sh")), REPO / "profiles.yml.example"]
    for p in shell:
        text = p.read_text(encoding="utf-8")
        names |= set(re.findall(r"\$\{?((?:ENERGY|BQ|JMA|TEPCO|OPEN_METEO)_[A-Z_0-9]+)", text))
        names |= set(re.findall(r"env_var\('([A-Z_0-9]+)'", text))
    registered = {s.name for s in settings.SETTINGS}
    assert names - registered == set(), "read but not registered in core/settings.py"
    assert len(registered) == len(settings.SETTINGS), "a setting is registered twice"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0].strip()
    assert block == settings.markdown_table(), "README settings table is stale: python -m core.settings --markdown"


def test_an_unknown_setting_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(KeyError):
        settings.get("ENERGY_NO_SUCH_SETTING")


def test_time_conventions_and_stage_list_are_defined_once() -> None:
    jst = [
        p
        for p in python_files(*PACKAGES)
        if re.search(r"timezone\(timedelta\(hours=9\)\)|\"Asia/Tokyo\"", p.read_text(encoding="utf-8"))
    ]
    sim = {p for p in jst if p.is_relative_to(REPO / "simulator")}  # the simulator speaks the upstreams' formats
    assert [p.relative_to(REPO).as_posix() for p in jst if p not in sim] == ["core/time.py"]
    issue = [p for p in python_files(*PACKAGES) if "ISSUE_HOUR_JST = " in p.read_text(encoding="utf-8")]
    assert [p.relative_to(REPO).as_posix() for p in issue] == ["core/time.py"]
    tuples = [p for p in python_files(*PACKAGES) if '"setup", "ingest", "freshness"' in p.read_text(encoding="utf-8")]
    assert tuples == [], "the stage list is the seed seeds/pipeline_stages.csv, read by core.stages"
    assert STAGES == ("setup", "ingest", "freshness", "build", "forecast", "accuracy", "docs", "report", "train")
    daily = (REPO / "pipeline" / "daily.py").read_text(encoding="utf-8")
    run = set(re.findall(r'self\.stage\("([a-z]+)"', daily)) | {"setup"}
    assert run == set(STAGES)


def test_exit_codes_in_the_readme_are_the_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("daily", "ingest"):
        block = readme.split(f"<!-- exit-codes:{name}:start -->")[1].split(f"<!-- exit-codes:{name}:end -->")[0]
        shown = {int(c) for c in re.findall(r"^\| `(\d+)` \|", block, flags=re.M)}
        assert shown == {c.code for c in exit_codes.TABLES[name]}, name
    assert exit_codes.stage_of(42) == "build" and exit_codes.daily_code("accuracy", 2) == 62


def test_each_source_is_a_dlt_source_and_each_raw_table_is_stated_once() -> None:
    from datetime import date, datetime

    from dlt.extract import DltSource

    from core.settings import Settings
    from ingest.jma import jma
    from ingest.open_meteo import open_meteo
    from ingest.report import RunReport
    from ingest.tepco import tepco

    class Offline:  # an upstream that answers nothing: the sources still declare their tables
        def get(self, request: object) -> None:
            return None

        def get_many(self, requests: list[object]) -> list[None]:
            return [None] * len(requests)

    s, r, now, day = Settings(), RunReport(command="test"), datetime.now(UTC), date(2024, 6, 1)
    made = {
        "tepco": tepco(Offline(), s, day, day, r, now, yearly=True, live=True),
        "open_meteo": open_meteo(Offline(), s, r, now, observed=(day, day), issued_at=now, points=None),
        "jma": jma(Offline(), s, r, now, days=(day, day)),
    }
    assert {k: (type(v), sorted(v.resources)) for k, v in made.items()} == {
        "tepco": (DltSource, ["tepco_daily_summary", "tepco_five_minute", "tepco_hourly", "tepco_live_hourly"]),
        "open_meteo": (DltSource, ["open_meteo_forecast", "open_meteo_observed", "open_meteo_previous_runs"]),
        "jma": (DltSource, ["jma_hourly_temperature"]),
    }
    resources = raw_resources()
    names = sorted(r.name for r in resources)
    assert names == sorted(
        [
            "tepco_hourly",
            "tepco_five_minute",
            "tepco_daily_summary",
            "tepco_live_hourly",
            "open_meteo_observed",
            "open_meteo_forecast",
            "open_meteo_previous_runs",
            "jp_holidays",
            "jma_hourly_temperature",
            "quarantine_events",
            "pipeline_runs",
            "ml_forecasts",
        ]
    )
    for r in resources:
        t = spec(r)
        assert t.write_disposition == "merge" and t.key, r.name
        # the name appears as a literal in exactly one Python place: its resource's decorator
        places = [
            f"{p.relative_to(REPO)}:{n}"
            for p in python_files("core", "ingest", "ml", "pipeline", "dashboard")
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
            if re.search(rf"[\"']{r.name}[\"']", line)
        ]
        assert len(places) == 1, (r.name, places)


def test_dlt_never_fills_a_source_argument_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """dlt resolves an argument a caller leaves out from its configuration (env `YEARLY`, `DAYS`,
    `FIRST_YEAR`, …): every argument is required, so such variables change nothing."""
    from datetime import date, datetime

    from core.settings import Settings
    from ingest.calendar import FIRST_YEAR, jp_holidays
    from ingest.jma import jma
    from ingest.report import RunReport
    from ingest.tepco import tepco

    for name, value in {
        "YEARLY": "true",
        "DAYS": "not a tuple",
        "FIRST_YEAR": "2023",
        "ROWS": "x",
        "SOURCES__TEPCO__YEARLY": "true",
        "JMA_BASE_URL": "http://jma.invalid",
    }.items():
        monkeypatch.setenv(name, value)
    asked: list[str] = []

    class Recording:
        def get(self, request: object) -> None:
            asked.append(request.url)  # type: ignore[attr-defined]

        def get_many(self, requests: list[object]) -> list[None]:
            return [self.get(r) for r in requests]

    s, r, now, day = Settings(), RunReport(command="test"), datetime.now(UTC), date(2024, 6, 1)
    tepco(Recording(), s, day, day, r, now, yearly=False, live=True)
    jma(Recording(), s, r, now, days=None)
    assert asked == [f"{s.tepco_base_url}/202406_power_usage.zip", f"{s.tepco_base_url}/juyo-d1-j.csv"]
    holidays = next(iter(jp_holidays(2025, now, first_year=FIRST_YEAR)))
    assert min(holidays["holiday_date"]).year == FIRST_YEAR == 2016
    for resource in raw_resources():
        params = inspect.signature(resource._pipe.gen).parameters.values()
        assert all(p.default is inspect.Parameter.empty for p in params), resource.name


def test_each_source_yaml_grain_test_is_its_resources_primary_key() -> None:
    keys = {r.name: sorted(spec(r).key) for r in raw_resources()}
    checked = 0
    for yml in sorted((REPO / "models" / "staging").glob("*/_*__sources.yml")):
        for source in yaml.safe_load(yml.read_text(encoding="utf-8"))["sources"]:
            assert source["schema"] == "raw", yml.name
            for table in source.get("tables", []):
                grains = [
                    t["unique_combination_of_columns"]["arguments"]["combination_of_columns"]
                    for t in table.get("data_tests", [])
                    if isinstance(t, dict) and "unique_combination_of_columns" in t
                ]
                assert grains, f"{yml.name}: {table['name']} has no grain test"
                assert sorted(grains[0]) == keys[table.get("identifier", table["name"])], (yml.name, table["name"])
                checked += 1
    assert checked == len(keys)


@pytest.mark.parametrize(
    "command",
    [
        ["./run_daily.sh", "--help"],
        [sys.executable, "-m", "ingest", "--help"],
        [sys.executable, "-m", "ingest", "daily", "--help"],
        [sys.executable, "-m", "ingest", "backfill", "--help"],
        [sys.executable, "-m", "ml", "--help"],
        [sys.executable, "-m", "ml", "backtest", "--help"],
        [sys.executable, "-m", "pipeline", "--help"],
        [sys.executable, "-m", "dashboard", "--help"],
        [sys.executable, "-m", "simulator", "--help"],
        [sys.executable, "-m", "ingest.simulator", "--help"],
        [sys.executable, "-m", "simulator.generate", "--help"],
        [sys.executable, "-m", "core.settings", "--markdown"],
        [sys.executable, "-m", "benchmarks.table_checksums", "--help"],
    ],
)
def test_every_command_the_readme_shows_answers_help(command: list[str]) -> None:
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()
    if command[-1] == "--help" and "run_daily" in command[0]:
        assert "62  accuracy marts" in proc.stdout


def test_accuracy_marts_average_with_exact_sums() -> None:
    """A float avg()/sum() depends on the order the engine adds rows in, so a rebuild could flip a
    rounded metric (bench-operation's re-run once changed an interval score in its 6th decimal):
    the accuracy marts aggregate through `exact_avg` / `exact_sum` (macros/portable/aggregates.sql)."""
    marts = sorted((REPO / "models" / "marts" / "accuracy").glob("rpt_*.sql"))
    assert marts
    for path in marts:
        sql = re.sub(r"--[^\n]*", "", path.read_text())
        assert not re.findall(r"\b(avg|sum)\s*\(", sql), f"{path.name}: a float avg()/sum(); use exact_avg/exact_sum"
