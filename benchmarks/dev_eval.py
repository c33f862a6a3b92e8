"""Development evaluation on 2023 (NOT the 2024 benchmark): used to choose features and parameters
without looking at the benchmark year. Reads the feature view of an existing warehouse, backtests
in memory with oracle weather and prints MAPE by horizon group.

    ENERGY_DUCKDB_PATH=… python -m benchmarks.dev_eval [--start 2023-01-09 --end 2023-12-25 --every 14]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from core.settings import Settings
from core.time import ISSUE_HOUR_JST
from ml import io
from ml.features import TODAY_KNOWN_HOURS, build_features, build_grid
from ml.model import nowcast_factor, predict
from ml.run import choose_model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--start", default="2023-01-09")
    ap.add_argument("--end", default="2023-12-25")
    ap.add_argument("--every", type=int, default=14)
    ap.add_argument("--retrain-days", type=int, default=56)
    ap.add_argument("--no-nowcast", action="store_true", help="leave out the day-1 nowcast correction")
    args = ap.parse_args()
    grid = build_grid(io.read_features(Settings(), "tokyo"))
    models = Path(tempfile.mkdtemp(prefix="dev-models-"))
    t0 = time.perf_counter()
    errs: dict[int, list[float]] = {}
    d, end = date.fromisoformat(args.start), date.fromisoformat(args.end)
    while d <= end:
        model, _, _ = choose_model(grid, d, models, args.retrain_days, False, log=lambda m: None)
        frame = build_features(grid, [d])
        pred = predict(model, frame)["predicted_mw"].to_numpy()
        if not args.no_nowcast:  # the same correction as ml.run.forecast_issue
            pred = pred * nowcast_factor(pred, grid.demand[grid.index(d), :TODAY_KNOWN_HOURS])[0]
        known = frame["demand_mw"].notna().to_numpy()
        frame, pred = frame[known], pred[known]
        ape = np.abs(pred - frame["demand_mw"].to_numpy()) / frame["demand_mw"].to_numpy() * 100
        for h, hour, e in zip(frame["horizon_day"].astype(int), frame["hour"].astype(int), ape):
            errs.setdefault(h, []).append(e)
            if h == 1 and hour >= ISSUE_HOUR_JST:  # the hours still ahead at the issue time (TEPCO's peer too)
                errs.setdefault(0, []).append(e)
        d += timedelta(days=args.every)
    groups = {
        "day 1": [1],
        "day 1 04-23h": [0],
        "days 2-7": range(2, 8),
        "days 8-16": range(8, 17),
        "all": range(1, 17),
    }
    print(
        "  ".join(f"{g}: {np.mean([e for h in hs for e in errs.get(h, [])]):.2f} %" for g, hs in groups.items()),
        f"({time.perf_counter() - t0:.0f} s)",
    )


if __name__ == "__main__":
    main()
