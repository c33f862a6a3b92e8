"""The ML step: forecast and backtest through the warehouse, leakage, determinism, feature parity."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.settings import Settings
from core.time import PREVIOUS_RUNS_LEAD_DAYS, issue_time, previous_run_known_at
from ingest.__main__ import main as ingest_main
from ml import io
from ml import model as model_module
from ml.__main__ import main as ml_main
from ml.features import (
    CALENDAR_FLAGS,
    TODAY_KNOWN_HOURS,
    WEATHER_COLUMNS,
    build_features,
    build_grid,
    last_feature_day,
)
from ml.model import TrainedModel, predict, train
from ml.run import forecast_issue
from simulator import SimulatorServer
from tests.dbt_helpers import dbt

ISSUE = date(2024, 2, 20)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def wh(ml_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the ML warehouse, with the environment pointing at it."""
    data = tmp_path / "data"
    data.mkdir()
    db = data / "warehouse.duckdb"
    shutil.copy(ml_warehouse, db)
    monkeypatch.setenv("ENERGY_DATA_DIR", str(data))
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(db))
    return db


def q(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_forecast_writes_384_hours_and_a_rerun_changes_nothing(wh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ml_main(["forecast", "--as-of", ISSUE.isoformat()]) == 0
    first_out = capsys.readouterr().out
    assert "weather forecast_vintage" in first_out and "trained:" in first_out
    rows = q(
        wh,
        """select count(*), min(target_hour_start_at)::varchar, max(target_hour_start_at)::varchar,
                    count(distinct model_version), bool_and(lower_mw < predicted_mw and predicted_mw < upper_mw)
                    from raw.ml_forecasts where run_id = 'daily-tokyo-2024-02-20'""",
    )
    assert rows == [(384, "2024-02-19 15:00:00+00", "2024-03-06 14:00:00+00", 1, True)]
    before = q(wh, "select count(*), sum(hash(t::varchar)::hugeint) from raw.ml_forecasts t")
    # same inputs → same forecast; the stored model is reused and the run id is replaced, not duplicated
    assert ml_main(["forecast", "--as-of", ISSUE.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "reused" in out and "0 rows new or changed" in out
    assert q(wh, "select count(*), sum(hash(t::varchar)::hugeint) from raw.ml_forecasts t") == before


def test_the_weekly_step_trains_and_the_daily_forecast_reuses_its_model(wh: Path, capsys, monkeypatch) -> None:
    """`run_daily.sh --train` (here `python -m pipeline daily --train`) stores a model; a daily forecast
    up to ENERGY_MODEL_MAX_AGE_DAYS (14) later reuses it instead of training for a minute."""
    from pipeline.__main__ import main as pipeline_main

    for name in ("ENERGY_TARGET", "ENERGY_RUN_ID", "ENERGY_AS_OF"):  # the runner exports them: restored after
        monkeypatch.setenv(name, "dev" if name == "ENERGY_TARGET" else "")
    assert pipeline_main(["daily", "--run-id", "weekly-train", "--train", "--as-of", "2024-02-07"]) == 0
    out = capsys.readouterr().out
    assert "stage train: success" in out and "stage report: success" in out
    stored = sorted(p.name for p in (wh.parent / "models").iterdir())
    assert stored == [next(s for s in stored if s.startswith("ens-20240206-"))]
    # the train stage's record is loaded by the run's own report stage (whose record, as in every run, the next loads)
    assert q(wh, "select stage, status from raw.pipeline_runs where run_id = 'weekly-train'") == [("train", "success")]
    assert ml_main(["forecast", "--as-of", ISSUE.isoformat()]) == 0  # 14 days after the model's last day
    out = capsys.readouterr().out
    assert f"model {stored[0]} (reused (age 14 d" in out
    assert sorted(p.name for p in (wh.parent / "models").iterdir()) == stored  # nothing trained


def test_archived_forecasts_damp_the_weather_and_widen_the_interval_deterministic_and_leak_free(
    wh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With an archive of weather forecasts (observed temperature plus an error growing with the lead, as
    the Previous Runs API would give), a model measures by lead how far a forecast is off (its damping
    factors) and calibrates its interval on the errors made with that weather: wider from day 2 on
    than a model that only knew observed weather; its trees are the same (trained on observed weather).
    Scrambling every archived value published after the issue time changes nothing (and trains the same
    model twice: deterministic). Training rows on archived weather (TRAINING_WEATHER "previous_runs")
    carry the lead they were forecast at."""
    view = io.read_features(Settings(), "tokyo")
    grid = build_grid(view)
    rng = np.random.default_rng(3)
    observed = view[view["temperature_c"].notna()][["hour_start_at", *WEATHER_COLUMNS]]
    observed = observed.rename(columns={"hour_start_at": "valid_at"})
    # the hours after the observations end: the issue's vintage stands in for what later runs forecast
    vintage = io.read_forecast_weather(Settings(), "tokyo", ISSUE)
    hours = pd.concat([observed, vintage[~vintage["valid_at"].isin(observed["valid_at"])][observed.columns]])
    leads = []
    for n in PREVIOUS_RUNS_LEAD_DAYS:
        lead = hours.assign(lead_day=n)
        for col in ("temperature_c", "apparent_temperature_c"):
            lead[col] = lead[col] + rng.normal(0, 1.0 + 0.4 * n, len(lead))
        lead["known_at"] = previous_run_known_at(lead["valid_at"], n)
        leads.append(lead)
    archive = pd.concat(leads, ignore_index=True)
    late = archive["known_at"] > issue_time(ISSUE)
    assert late.sum() > 1000
    scrambled = archive.copy()
    scrambled.loc[late, WEATHER_COLUMNS] = rng.uniform(-40, 40, (int(late.sum()), len(WEATHER_COLUMNS)))
    a = train(grid, ISSUE, log=lambda m: None)
    b = train(grid, ISSUE, log=lambda m: None, archive=archive)
    c = train(grid, ISSUE, log=lambda m: None, archive=scrambled)
    assert (a.meta["interval_calibrated_on"], b.meta["interval_calibrated_on"]) == ("observed_weather", "previous_runs")
    frame = build_features(grid.with_weather(ISSUE, vintage), [ISSUE])
    np.testing.assert_array_equal(predict(a, frame)["predicted_mw"], predict(b, frame)["predicted_mw"])
    np.testing.assert_array_equal(predict(b, frame)["predicted_mw"], predict(c, frame)["predicted_mw"])
    assert (b.meta["conformal_quantiles"], b.meta["weather_damping"]) == (
        c.meta["conformal_quantiles"],
        c.meta["weather_damping"],
    )
    # nothing measured: as given up to day 7, halfway to the normal beyond (two months of history hold no
    # normal from an earlier year, so no factor is measured here: test_issue_weather.py checks the arithmetic)
    assert (
        a.meta["weather_damping"]["7"]["temperature_c"] == 1.0
        and a.meta["weather_damping"]["8"]["temperature_c"] == 0.5
    )

    def width(model: TrainedModel, days: range) -> float:
        return float(np.mean([np.diff(model.meta["conformal_quantiles"][str(h)])[0] for h in days]))

    assert width(b, range(2, 8)) > width(a, range(2, 8)) * 1.1, (width(a, range(2, 8)), width(b, range(2, 8)))

    monkeypatch.setattr(model_module, "TRAINING_WEATHER", "previous_runs")
    rows, by_weather = model_module.training_frame(grid, ISSUE, archive)
    assert by_weather["previous_runs"] >= 10, by_weather
    on_archive = rows[rows["weather_lead_days"] > 0]
    assert set(on_archive["weather_lead_days"].unique()) == set(PREVIOUS_RUNS_LEAD_DAYS)
    assert rows["issue_day_index"].is_monotonic_increasing


def test_no_leakage_from_after_the_issue_time(wh: Path, tmp_path: Path) -> None:
    """Scramble every value a forecast issued at 04:00 JST could not have had: demand from the issue
    date's hour TODAY_KNOWN_HOURS (3) on, and every weather observation from the issue date on
    (the forecast uses the vintage): same forecast, training included. The nowcast's inputs (the
    issue date's hours 0–2) are used: changing them changes the forecast; and the daily path reads
    them from the live file (`today`), never from the grid's final values."""
    view = io.read_features(Settings(), "tokyo")
    weather = io.read_forecast_weather(Settings(), "tokyo", ISSUE)
    assert len(weather) == 384
    dates = pd.to_datetime(view["date_jst"])
    on_or_after = dates >= pd.Timestamp(ISSUE)
    unknown = (dates > pd.Timestamp(ISSUE)) | ((dates == pd.Timestamp(ISSUE)) & (view["hour_jst"] >= TODAY_KNOWN_HOURS))
    assert unknown.sum() >= 16 * 24  # the view reaches past the issue date (calendar of the coming days)
    rng = np.random.default_rng(0)
    scrambled = view.copy()
    scrambled.loc[unknown, "demand_mw"] = rng.uniform(0, 50_000, unknown.sum())
    scrambled.loc[on_or_after, "solar_mw"] = rng.uniform(0, 15_000, on_or_after.sum())  # measured like demand
    for col in ("temperature_c", "relative_humidity_pct", "cooling_degree_c", "heating_degree_c"):
        scrambled.loc[on_or_after, col] = rng.uniform(0, 40, on_or_after.sum())

    def forecast(frame: pd.DataFrame, models: str, today: dict[int, float] | None = None) -> np.ndarray:
        res = forecast_issue(
            build_grid(frame), ISSUE, "tokyo", "backtest", weather, tmp_path / models, log=lambda m: None, today=today
        )
        return res.rows["predicted_mw"].to_numpy()

    base, other = forecast(view, "m0"), forecast(scrambled, "m1")  # each trains its own model
    np.testing.assert_array_equal(base, other)
    # and the scrambling did reach the grid (the test would prove nothing otherwise), and the solar
    # features read the days before (the simulator's files carry solar output)
    assert not np.array_equal(build_grid(view).demand, build_grid(scrambled).demand, equal_nan=True)
    assert not np.array_equal(build_grid(view).solar, build_grid(scrambled).solar, equal_nan=True)
    rows = build_features(build_grid(view), [ISSUE])
    assert rows["solar_share_yesterday"].max() > 0.05 and rows["solar_peak_ratio"].notna().all()

    # the nowcast: this warehouse was loaded at 04:00 on the issue date, so its live file showed hours 0–2
    live = io.read_demand_at_issue(Settings(), "tokyo", ISSUE)
    assert sorted(live) == list(range(TODAY_KNOWN_HOURS))
    np.testing.assert_array_equal(forecast(view, "m0", today={}), base)  # nothing published: no correction
    early = (dates == pd.Timestamp(ISSUE)) & (view["hour_jst"] < TODAY_KNOWN_HOURS)
    known = view.copy()
    known.loc[early, "demand_mw"] = [live[int(h)] * 1.03 for h in view.loc[early, "hour_jst"]]
    nowcast = forecast(known, "m0")  # a backtest: the grid's values of those hours (m0's model is reused)
    assert not np.array_equal(nowcast[:24], base[:24])  # they move day 1
    # the daily path: the live file's values replace the grid's own, whatever those are
    daily = forecast(scrambled, "m0", today={h: mw * 1.03 for h, mw in live.items()})
    np.testing.assert_array_equal(daily, nowcast)


def test_features_read_through_the_horizon_give_the_same_rows(wh: Path) -> None:
    """A forecast reads the feature mart only up to `last_feature_day` (the calendar runs years ahead):
    its forecast rows and its training rows are those of the whole mart."""
    full = io.read_features(Settings(), "tokyo")
    cut = io.read_features(Settings(), "tokyo", through=last_feature_day(ISSUE))
    assert cut["date_jst"].max() == last_feature_day(ISSUE) < full["date_jst"].max()
    assert len(cut) < len(full)
    vintage = io.read_forecast_weather(Settings(), "tokyo", ISSUE)
    grids = [build_grid(full), build_grid(cut)]
    forecast_rows = [build_features(g.with_weather(ISSUE, vintage), [ISSUE]) for g in grids]
    pd.testing.assert_frame_equal(*forecast_rows)
    training_rows = [model_module.training_frame(g, ISSUE, None)[0] for g in grids]
    pd.testing.assert_frame_equal(*training_rows)


def test_weekend_and_holiday_features_identical_in_training_and_forecasting(wh: Path) -> None:
    """A Saturday and the 振替休日 2024-02-12: the calendar features of a training row (built
    among many past issues) equal those of the forecast row for the same hour."""
    grid = build_grid(io.read_features(Settings(), "tokyo"))
    issue = date(2024, 2, 9)  # targets include Sat 2/10, Sun 2/11 (holiday), Mon 2/12 (substitute)
    training = build_features(grid, [date(2024, 1, 30), date(2024, 2, 4), issue])
    training = training[training["issue_day_index"] == grid.index(issue)]
    vintage = io.read_forecast_weather(Settings(), "tokyo", ISSUE)  # any weather: calendar must not care
    forecasting = build_features(grid.with_weather(issue, vintage), [issue])
    cols = [*CALENDAR_FLAGS, "iso_dow", "day_class", "day_type_code", "days_to_jan1", "horizon_day", "hour"]
    pd.testing.assert_frame_equal(training[cols].reset_index(drop=True), forecasting[cols].reset_index(drop=True))
    sub = forecasting.assign(d=forecasting["target_day_index"] - grid.index(issue))
    sat, sun, mon = (sub[sub["d"] == k].iloc[0] for k in (1, 2, 3))
    assert sat["iso_dow"] == 6 and sat["is_day_off"] == 1 and sat["is_public_holiday"] == 0
    assert sun["is_public_holiday"] == 1
    assert mon["is_substitute_holiday"] == 1 and mon["is_day_off"] == 1


def test_backtest_reaches_the_accuracy_marts(
    wh: Path, ml_warehouse: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oracle weather on three issue dates, and archived forecasts (`--weather previous_runs`) on one:
    its vintages backfilled through the simulator for two points, the hours beyond the archive's
    reach from the climatological normal (this issue date has no daily vintage of its own)."""
    assert (
        ml_main(["backtest", "--start", "2024-02-01", "--end", "2024-02-05", "--every", "2", "--weather", "oracle"])
        == 0
    )
    out, err = capsys.readouterr()
    assert "backtest: 3 issue dates" in out
    # a backtest accepts no model older than the daily run does (ENERGY_MODEL_MAX_AGE_DAYS, 14)
    assert "(trained: no stored model younger than 14 d and trained before 2024-02-01)" in err
    assert "(reused (age 3 d" in err and "(reused (age 5 d" in err  # trained through 2024-01-31
    assert q(wh, "select distinct run_kind, weather_source from raw.ml_forecasts") == [("backtest", "oracle_observed")]
    seed = (REPO / "seeds" / "weather_points.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "points.csv").write_text("\n".join(seed[:3]) + "\n", encoding="utf-8")
    monkeypatch.setenv("ENERGY_WEATHER_POINTS_FILE", str(tmp_path / "points.csv"))
    monkeypatch.setenv("ENERGY_BOOTSTRAP", "0")
    with SimulatorServer(ml_warehouse.parents[1] / "upstream", "2024-02-29", noise_seed=5) as sim:
        for key, value in sim.env().items():
            monkeypatch.setenv(key, value)
        argv = ["backfill", "--start", "2024-01-29", "--end", "2024-02-21", "--forecast-vintages"]
        assert ingest_main(argv) == 0
    dbt("build", "--select", "stg_open_meteo__previous_runs+", db=wh, target_dir=wh.parent / "t")
    assert ml_main(["backtest", "--start", "2024-02-05", "--end", "2024-02-05", "--weather", "previous_runs"]) == 0
    assert "weather hours by source {'previous_runs': 167, 'climatology': 217}" in capsys.readouterr().err
    dbt("build", "--select", "stg_ml__forecasts+", "--exclude", "test_type:data", db=wh, target_dir=wh.parent / "t")
    sources = q(
        wh,
        "select distinct weather_source from analytics_marts.rpt_forecast_accuracy_by_horizon "
        "where model = 'xgboost' order by 1",
    )
    assert sources == [("oracle_observed",), ("previous_runs_climatology",)]
    rows = q(
        wh,
        """select model, count(*), min(horizon_day), max(horizon_day) from analytics_marts.rpt_forecast_accuracy_by_horizon
                    where run_window = 'all_runs' and weather_source = 'oracle_observed' group by 1 order by 1""",
    )
    models = {r[0]: r[1:] for r in rows}
    assert set(models) == {"xgboost", "seasonal_naive", "tepco"}
    assert models["tepco"] == (1, 1, 1)  # TEPCO's intraday forecast is scored on day 1 only
    skill = q(
        wh,
        """select min(skill_vs_seasonal_naive) from analytics_marts.rpt_forecast_accuracy_by_horizon
                     where model = 'seasonal_naive'""",
    )
    assert skill == [(0.0,)]


def test_forecast_on_an_empty_warehouse_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ENERGY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENERGY_DUCKDB_PATH", str(tmp_path / "empty.duckdb"))
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert ml_main(["forecast", "--as-of", "2024-02-20"]) == 1
    assert "fct_features_hourly" in capsys.readouterr().err
