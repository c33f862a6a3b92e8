"""The ML step's commands: the daily forecast and the backtests, shared by `python -m ml` and the
daily runner (`python -m pipeline daily`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from core.settings import Settings


def daily_forecast(
    settings: Settings,
    area: str,
    issue: date,
    *,
    grid: object = None,
    retrain: bool = False,
    retrain_days: int | None = None,
    log: Callable[[str], None] | None = None,
    t_read: float | None = None,
) -> tuple[int, str]:
    """The daily forecast for one issue date: read features, pick the model, predict 384 hours,
    merge them into raw.ml_forecasts. Returns (hours forecast, weather source). Shared by
    `python -m ml forecast` and the daily runner (`python -m pipeline daily`).

    It trains only when no stored model is younger than `retrain_days` (default
    ENERGY_MODEL_MAX_AGE_DAYS, 14): refitting is the weekly step's job (`train_model`), so a daily
    run stays within its minute."""
    from ml import io
    from ml.features import build_grid, last_feature_day
    from ml.run import forecast_issue

    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    models_dir = settings.data_dir / "models"
    t0 = time.perf_counter()
    if grid is None:
        grid = build_grid(io.read_features(settings, area, through=last_feature_day(issue)))
        t_read = time.perf_counter() - t0
    weather = io.read_forecast_weather(settings, area, issue)
    today = io.read_demand_at_issue(settings, area, issue)  # the morning's live file, never final values
    res = forecast_issue(
        grid,
        issue,
        area,
        "daily",
        weather,
        models_dir,
        retrain_days=settings.model_max_age_days if retrain_days is None else retrain_days,
        force_retrain=retrain,
        log=log,
        drift_retrains=False,
        today=today,
        archive=lambda: io.read_previous_runs(settings, area),
        vintages=lambda: io.read_vintages(settings, area, issue),
        scored=lambda: io.read_scored_daily(settings, area, issue),
    )
    t_w = time.perf_counter()
    report = io.write_forecasts(settings, res.rows, datetime.now(UTC).replace(microsecond=0))
    written = sum(report.rows_loaded.values())
    print(
        f"forecast {res.run_id}: model {res.model.version} ({res.reason}); weather {res.weather_source}; "
        f"interval from {res.interval_source}; "
        + (
            f"nowcast: {len(today)} hour(s) of the live file, {res.nowcast_error:+.1%} against the model; "
            if res.nowcast_error is not None
            else "nowcast: no hour of the live file published by the issue time; "
        )
        + f"{len(res.rows)} hours {res.rows['target_hour_start_at'].min():%Y-%m-%d %H:%M} … "
        f"{res.rows['target_hour_start_at'].max():%Y-%m-%d %H:%M} UTC; {written} rows new or changed",
        flush=True,
    )
    print(
        f"timings: read {t_read or 0:.1f} s, model {res.seconds['model']:.1f} s, predict "
        f"{res.seconds['predict']:.2f} s, write {time.perf_counter() - t_w:.1f} s",
        flush=True,
    )
    return len(res.rows), res.weather_source


def train_model(settings: Settings, area: str, issue: date, log: Callable[[str], None]) -> tuple[str, float]:
    """The weekly step: fit a model on everything before `issue` and store it for the daily
    forecasts of the next ENERGY_MODEL_MAX_AGE_DAYS days. Returns (model version, seconds)."""
    from ml import io
    from ml.features import build_grid, last_feature_day
    from ml.model import save, train

    t0 = time.perf_counter()
    grid = build_grid(io.read_features(settings, area, through=last_feature_day(issue)))
    model = train(
        grid,
        issue,
        log=log,
        archive=io.read_previous_runs(settings, area),
        vintages=io.read_vintages(settings, area, issue),
    )
    save(model, settings.data_dir / "models")
    return model.version, time.perf_counter() - t0


def backtest(
    settings: Settings,
    area: str,
    start: date,
    end: date,
    every: int,
    weather_mode: str,
    retrain_days: int | None,
    label: str | None,
    log: Callable[[str], None],
) -> None:
    """Forecasts issued on the dates start, start + every, … ≤ end (run kind backtest), through the
    same path as the daily forecast; each issue uses only what was known at its issue time, and no
    model older than the daily run would accept (`retrain_days`, default ENERGY_MODEL_MAX_AGE_DAYS)."""
    from ml import io
    from ml.features import build_grid, last_feature_day
    from ml.run import forecast_issue
    from ml.weather import previous_runs_weather

    models_dir = settings.data_dir / "models"
    retrain_days = settings.model_max_age_days if retrain_days is None else retrain_days
    t0 = time.perf_counter()
    grid = build_grid(io.read_features(settings, area, through=last_feature_day(end)))
    issues = []
    d = start
    while d <= end:
        issues.append(d)
        d += timedelta(days=every)
    written = 0
    archive = io.read_previous_runs(settings, area)  # also what a model trained here calibrates on
    runs = archive if weather_mode == "previous_runs" else None
    if runs is not None and runs.empty:
        raise RuntimeError(
            "--weather previous_runs: fct_weather_previous_runs is empty for this area and model: run "
            "`python -m ingest backfill --start … --end … --forecast-vintages` and `dbt build` first"
        )
    for n, issue in enumerate(issues, 1):
        weather = None if weather_mode == "oracle" else io.read_forecast_weather(settings, area, issue)
        if weather_mode == "auto" and weather is not None and weather.empty:
            weather = None
        weather_label = None
        if runs is not None:
            built = previous_runs_weather(runs, issue, grid, weather)
            weather, weather_label = built.frame, built.label
            log(f"  {issue}: weather hours by source {built.hours}")
        # the live file as it stood at the issue time where it was captured, else the same hours' final values
        today = io.read_demand_at_issue(settings, area, issue) or None
        res = forecast_issue(
            grid,
            issue,
            area,
            "backtest",
            weather,
            models_dir,
            retrain_days=retrain_days,
            run_label=label and f"{label}",
            log=log,
            today=today,
            weather_label=weather_label,
            archive=lambda: archive,
            vintages=lambda issue=issue: io.read_vintages(settings, area, issue),
        )
        report = io.write_forecasts(settings, res.rows, datetime.now(UTC).replace(microsecond=0))
        written += sum(report.rows_loaded.values())
        log(
            f"[{n}/{len(issues)}] {res.run_id}: {res.weather_source}, model {res.model.version} "
            f"({res.reason}), {time.perf_counter() - t0:.0f} s elapsed"
        )
    print(
        f"backtest: {len(issues)} issue dates {issues[0]} … {issues[-1]}, {written} rows new or changed, "
        f"{time.perf_counter() - t0:.1f} s"
    )
