"""The ensemble's HistGB member and the averaged ratio (ml.model): fast, no warehouse."""

from __future__ import annotations

import pickle

import numpy as np
import xgboost as xgb

from ml.model import FEATURES, HistGBMember, predict_ratio


def _rows(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows with one informative column, one constant and one never known; ratio targets."""
    rng = np.random.default_rng(seed)
    x = np.full((n, len(FEATURES)), np.nan, dtype=np.float32)
    x[:, 0] = rng.uniform(0, 10, n)
    x[:, 1] = 3.0
    x[:, 3] = rng.normal(size=n)
    y = 1 + 0.05 * np.sin(x[:, 0]) + 0.01 * x[:, 3] + rng.normal(0, 0.005, n)
    return x, y


def test_histgb_reads_only_columns_it_can_split_and_predicts_after_a_pickle() -> None:
    x, y = _rows(3000, 1)
    member = HistGBMember.fit(x, y, max_iter=60)
    assert member.columns == [0, 3]  # the constant and the never-known columns are left out
    x_new, y_new = _rows(500, 2)
    pred = member.predict(x_new)
    assert np.mean(np.abs(pred - y_new)) < 0.01  # it learned the shape (the noise is 0.005)
    again = pickle.loads(pickle.dumps(member))  # how a stored model comes back (ml.model.load_usable)
    np.testing.assert_array_equal(again.predict(x_new), pred)


def test_the_validation_weeks_choose_the_iterations_and_a_truncated_member_predicts_with_that_many() -> None:
    x, y = _rows(3000, 3)
    member = HistGBMember.fit(x, y, max_iter=200)
    x_val, y_val = _rows(800, 4)
    best = member.best_iterations(x_val, y_val)
    staged = list(member.regressor.staged_predict(x_val[:, member.columns]))
    maes = [np.mean(np.abs(p - y_val)) for p in staged]
    assert best < 200 and maes[best - 1] == min(maes)  # these seeded rows stop improving before 200
    member.iterations = best
    np.testing.assert_array_equal(member.predict(x_val), staged[best - 1])
    member.iterations = None
    np.testing.assert_array_equal(member.predict(x_val), staged[-1])


def test_the_ensemble_averages_its_members_ratios() -> None:
    x, y = _rows(2000, 5)
    booster = xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(x, label=y, feature_names=FEATURES), 30)
    member = HistGBMember.fit(x, y, max_iter=30)
    alone = booster.predict(xgb.DMatrix(x, feature_names=FEATURES))
    np.testing.assert_array_equal(predict_ratio(booster, None, x), alone)
    np.testing.assert_allclose(predict_ratio(booster, member, x), (alone + member.predict(x)) / 2, rtol=1e-6)
    first10 = booster.predict(xgb.DMatrix(x, feature_names=FEATURES), iteration_range=(0, 10))
    np.testing.assert_array_equal(predict_ratio(booster, None, x, rounds=10), first10)
