"""The day-1 nowcast correction (ml.model.nowcast_factor, nowcast_rows): fast, no warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.features import TODAY_KNOWN_HOURS
from ml.model import NOWCAST_GAIN, NOWCAST_MAX_ERROR, NOWCAST_TAU_HOURS, nowcast_factor, nowcast_rows


def test_the_first_hours_error_carries_forward_and_fades() -> None:
    assert TODAY_KNOWN_HOURS == 3  # 04:00 JST issue: hours 0, 1, 2 are published
    predicted = np.full(384, 30_000.0)
    known = np.array([30_600.0, 30_600.0, 30_600.0])  # 2 % above the model
    factor, e = nowcast_factor(predicted, known)
    assert e is not None and abs(e - 0.02) < 1e-12
    np.testing.assert_allclose(factor[:3], 1.02)  # the known hours: matched
    np.testing.assert_allclose(factor[3], 1 + 0.02 * NOWCAST_GAIN * np.exp(-1 / NOWCAST_TAU_HOURS))
    assert np.all(np.diff(factor[3:]) < 0) and factor[-1] - 1 < 0.02 * 0.01  # fades to nothing by day 16


def test_no_published_hour_means_no_correction_and_a_partial_morning_still_counts() -> None:
    predicted = np.linspace(25_000, 35_000, 384)
    factor, e = nowcast_factor(predicted, np.full(3, np.nan))
    assert e is None and np.all(factor == 1)
    factor, e = nowcast_factor(predicted, np.array([predicted[0] * 0.99, np.nan, np.nan]))  # TEPCO late
    assert e is not None and abs(e + 0.01) < 1e-12 and factor[10] < 1


def test_a_wild_provisional_value_is_capped() -> None:
    predicted = np.full(384, 30_000.0)
    _, e = nowcast_factor(predicted, np.array([90_000.0, 30_000.0, 30_000.0]))
    assert e == NOWCAST_MAX_ERROR


def test_validation_rows_get_the_correction_each_issue_would_have_had() -> None:
    """The interval's residuals are of the forecast as issued: `nowcast_rows` over two issues' rows
    gives, for each, exactly `nowcast_factor` on its 384 hours with its day-1 first hours as known."""
    rng = np.random.default_rng(7)
    frames, preds, expected = [], [], []
    for issue, bias in ((100, 0.03), (105, -0.2)):  # the second's error is capped
        horizon = np.repeat(np.arange(1, 17), 24)
        hour = np.tile(np.arange(24), 16)
        pred = rng.uniform(25_000, 35_000, 384)
        demand = pred * (1 + bias + rng.normal(0, 0.01, 384))
        frames.append(
            pd.DataFrame({"issue_day_index": issue, "horizon_day": horizon, "hour": hour, "demand_mw": demand})
        )
        preds.append(pred)
        expected.append(nowcast_factor(pred, demand[:TODAY_KNOWN_HOURS])[0])
    frame, pred = pd.concat(frames, ignore_index=True), np.concatenate(preds)
    np.testing.assert_allclose(nowcast_rows(frame, pred), np.concatenate(expected), rtol=1e-12)
    # an issue whose first hours are unknown is left as it is
    frame.loc[(frame["issue_day_index"] == 105) & (frame["hour"] < TODAY_KNOWN_HOURS), "demand_mw"] = np.nan
    assert np.all(nowcast_rows(frame, pred)[384:] == 1)
