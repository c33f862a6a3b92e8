"""One forecast run: pick or train the model, build the issue's features, predict 384 hours.

Used by `python -m ml forecast` (run kind `daily`) and `python -m ml backtest` (run kind
`backtest`), so a backtest goes through exactly the production path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from core.time import JST_NAME, issue_time
from ml.features import HORIZON_DAYS, TODAY_KNOWN_HOURS, DayGrid, build_features
from ml.model import (
    TrainedModel,
    interval_quantiles,
    load_usable,
    nowcast_factor,
    predict,
    recent_day1_mape,
    save,
    train,
)
from ml.weather import damp

DRIFT_FACTOR = 2.0


@dataclass
class RunResult:
    run_id: str
    issue: date
    weather_source: str
    model: TrainedModel
    trained: bool
    reason: str
    rows: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)
    #: the model's relative error on the issue date's published first hours (None: none published)
    nowcast_error: float | None = None
    #: where the interval's quantiles came from
    interval_source: str = ""


def choose_model(
    grid: DayGrid,
    issue: date,
    models_dir: Path,
    retrain_days: int,
    force: bool,
    log=print,
    drift_retrains: bool = True,
    archive: Callable[[], pd.DataFrame] | None = None,
    vintages: Callable[[], pd.DataFrame] | None = None,
) -> tuple[TrainedModel, bool, str]:
    """Reuse a stored model when the policy allows; train (and store) one otherwise.

    With `drift_retrains` off (the daily forecast: training is the weekly step's job, so the daily
    run stays short) drift is reported and the stored model is still used."""
    if not force:
        model = load_usable(models_dir, issue, retrain_days)
        if model is not None:
            recent = recent_day1_mape(model, grid, issue)
            limit = DRIFT_FACTOR * model.meta["validation"]["mape_day1"]
            if recent is None or recent <= limit:
                return (
                    model,
                    False,
                    f"reused (age {(issue - model.trained_through).days} d"
                    + (f", recent day-1 MAPE {recent:.2f} % ≤ {limit:.2f} %)" if recent is not None else ")"),
                )
            if not drift_retrains:
                log(
                    f"WARN drift: recent day-1 MAPE {recent:.2f} % > {limit:.2f} %; the stored model is used "
                    "today, `run_daily.sh --train` (or `python -m ml train`) refits it"
                )
                return model, False, f"reused despite drift (recent day-1 MAPE {recent:.2f} % > {limit:.2f} %)"
            log(f"drift: recent day-1 MAPE {recent:.2f} % > {limit:.2f} %: retraining")
            reason = "retrained: drift"
        else:
            reason = f"trained: no stored model younger than {retrain_days} d and trained before {issue}"
    else:
        reason = "trained: --retrain"
    model = train(
        grid,
        issue,
        log=log,
        archive=archive() if archive is not None else None,
        vintages=vintages() if vintages is not None else None,
    )
    save(model, models_dir)
    return model, True, reason


def forecast_issue(
    grid: DayGrid,
    issue: date,
    area: str,
    run_kind: str,
    weather: pd.DataFrame | None,
    models_dir: Path,
    retrain_days: int = 7,
    force_retrain: bool = False,
    run_label: str | None = None,
    log=print,
    drift_retrains: bool = True,
    today: dict[int, float] | None = None,
    weather_label: str | None = None,
    archive: Callable[[], pd.DataFrame] | None = None,
    scored: Callable[[], pd.DataFrame] | None = None,
    vintages: Callable[[], pd.DataFrame] | None = None,
) -> RunResult:
    """Forecast issue date 00:00 … day 16 23:00 JST.

    `weather`: the forecast vintage available at the issue time (fct_forecast_weather_inputs), or
    None for "oracle" weather (observed values standing in for a forecast, labelled as such).
    `archive`: reads the archived weather forecasts (fct_weather_previous_runs) a model trained here
    calibrates its interval on (`ml.model.train`); called only when a model is trained.
    `weather_label`: the weather source to record for a `weather` that is not the daily vintage
    (`previous_runs`, ml/weather.py).
    `today`: the issue date's hours TEPCO's live file showed at the issue time (fct_demand_at_issue),
    or None to read the final values of the same hours from the grid (backtests before the live
    file was captured).
    `vintages`: reads the project's own daily weather vintages before the issue (fct_forecast_weather_inputs)
    a model trained here measures the forecasts' error by lead on (`ml.weather.fit_damping`).
    `scored`: reads the project's own scored daily forecasts before the issue (the daily forecast): the
    interval's quantiles come from them per horizon day once there are enough (`interval_quantiles`).
    """
    t0 = time.perf_counter()
    if grid.index(issue) >= len(grid.days) - HORIZON_DAYS + 1:
        raise RuntimeError(
            f"the calendar in fct_features_hourly ends before {issue} + 16 days: load holidays "
            "further ahead (ingest daily) and rebuild dbt"
        )
    model, trained, reason = choose_model(
        grid, issue, models_dir, retrain_days, force_retrain, log, drift_retrains, archive, vintages
    )
    t1 = time.perf_counter()
    if weather is None:
        weather_source, issue_grid = "oracle_observed", grid
    else:
        weather_source = weather_label or ("forecast_vintage" if not weather.empty else "missing")
        # toward the normal by lead, by the factors the model measured (None: as given)
        issue_grid = grid.with_weather(issue, damp(weather, grid, issue, model.meta.get("weather_damping")))
    if today is not None:
        issue_grid = issue_grid.with_today(issue, today)
    frame = build_features(issue_grid, [issue])
    quantiles, own = interval_quantiles(model, scored() if scored is not None else None)
    calibrated_on = model.meta.get("interval_calibrated_on", "observed_weather")
    interval_source = (
        f"own scored daily forecasts on {own} of {HORIZON_DAYS} horizon days, validation ({calibrated_on}) elsewhere"
        if own
        else f"validation weeks ({calibrated_on})"
    )
    preds = predict(model, frame, quantiles)
    # the nowcast: the model's own error on the hours of the issue date published by the issue time
    known = issue_grid.demand[issue_grid.index(issue), :TODAY_KNOWN_HOURS]
    factor, nowcast_error = nowcast_factor(preds["predicted_mw"].to_numpy(), known)
    preds = preds.mul(factor, axis=0)
    hours = pd.date_range(pd.Timestamp(issue).tz_localize(JST_NAME), periods=HORIZON_DAYS * 24, freq="h")
    label = run_label or ("daily" if run_kind == "daily" else f"backtest-{weather_source}")
    run_id = f"{label}-{area}-{issue.isoformat()}"
    rows = pd.DataFrame(
        {
            "run_id": run_id,
            "area": area,
            "model": "xgboost",
            "model_version": model.version,
            "run_kind": run_kind,
            "weather_source": weather_source,
            "issued_at": issue_time(issue),
            "target_hour_start_at": hours.tz_convert("UTC"),
            "predicted_mw": preds["predicted_mw"].to_numpy(),
            "lower_mw": preds["lower_mw"].to_numpy(),
            "upper_mw": preds["upper_mw"].to_numpy(),
            "interval_level": model.meta["interval_level"],
        }
    )
    if rows["predicted_mw"].isna().any():
        raise RuntimeError(
            f"{int(rows['predicted_mw'].isna().sum())} predictions are NaN (no demand history "
            f"in the week before {issue}?)"
        )
    return RunResult(
        run_id,
        issue,
        weather_source,
        model,
        trained,
        reason,
        rows,
        {"model": t1 - t0, "predict": time.perf_counter() - t1},
        nowcast_error,
        interval_source,
    )
