"""The ensemble's members, the averaged ratio and a stored model's round trip (ml.model): fast, no warehouse."""

from __future__ import annotations

import pickle
from datetime import date

import numpy as np
import xgboost as xgb

from ml.model import (
    FEATURES,
    MEMBERS,
    HistGBMember,
    TrainedModel,
    XGBoostMember,
    fit_member,
    load_usable,
    member_file,
    predict_ratio,
    save,
    spec_hash,
)


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
    np.testing.assert_array_equal(predict_ratio({"xgboost": XGBoostMember(booster)}, x), alone)
    both = predict_ratio({"xgboost": XGBoostMember(booster), "histgb": member}, x)
    np.testing.assert_allclose(both, (alone + member.predict(x)) / 2, rtol=1e-6)
    first10 = booster.predict(xgb.DMatrix(x, feature_names=FEATURES), iteration_range=(0, 10))
    np.testing.assert_array_equal(XGBoostMember(booster, iterations=10).predict(x), first10)


def test_a_member_on_the_change_from_a_base_feature_adds_it_back() -> None:
    """`xgboost_change` fits the ratio minus last week's profile: its trees see that difference and
    its forecast is the base plus their sum, so it reaches ratios beyond those it was trained on."""
    x, y = _rows(3000, 6)
    base = 3  # the informative normal column stands in for the base feature
    x_train, y_train = x[x[:, base] < 1], (1 + x[:, base])[x[:, base] < 1]  # the target is base + 1
    member = XGBoostMember.fit({"max_depth": 3, "nthread": 1, "seed": 1}, base, x_train, y_train, rounds=50)
    assert member.base == base and member.iterations == 50
    x_far = x[x[:, base] > 2]  # beyond every training row's base
    np.testing.assert_allclose(member.predict(x_far), 1 + x_far[:, base], atol=0.01)
    ratio_only = XGBoostMember.fit({"max_depth": 3, "nthread": 1, "seed": 1}, None, x_train, y_train, rounds=50)
    assert np.all(ratio_only.predict(x_far) < 2.0)  # trees on the ratio itself stop at what they saw


def test_a_stored_model_predicts_exactly_as_the_one_trained(tmp_path) -> None:
    """Every member is saved beside meta.json and comes back with its base column (load_usable)."""
    x, y = _rows(2000, 7)
    val = _rows(500, 8)
    members = {name: fit_member(spec, x, y, val=val) for name, spec in MEMBERS.items()}
    members = {name: fit_member(MEMBERS[name], x, y, iterations=m.iterations) for name, m in members.items()}
    meta = {
        "version": f"ens-20240101-{spec_hash()}",
        "spec": spec_hash(),
        "trained_through": "2024-01-01",
        "members": {name: vars(spec) for name, spec in MEMBERS.items()},
    }
    save(TrainedModel(members, meta), tmp_path)
    assert sorted(p.name for p in (tmp_path / meta["version"]).iterdir()) == sorted(
        ["meta.json", *(member_file(n, s.learner) for n, s in MEMBERS.items())]
    )
    loaded = load_usable(tmp_path, date(2024, 1, 5), retrain_days=14)
    assert loaded is not None and list(loaded.members) == list(MEMBERS)
    np.testing.assert_array_equal(predict_ratio(loaded.members, val[0]), predict_ratio(members, val[0]))
