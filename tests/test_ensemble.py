"""The ensemble's members, the averaged ratio and a stored model's round trip (ml.model): fast, no warehouse."""

from __future__ import annotations

import pickle
from datetime import date

import numpy as np
import pytest
import xgboost as xgb

from ml.model import (
    FEATURES,
    MEMBERS,
    HistGBMember,
    MemberSpec,
    TrainedModel,
    XGBoostMember,
    fit_before_validation,
    fit_member,
    fixed_iterations,
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


def test_a_fixed_iteration_count_is_kept_whatever_the_validation_weeks_would_choose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Early stopping on the last weeks swung the members' counts from 30 to over 1000 between refits;
    a member with a fixed count (MemberSpec.iterations, as every member of MEMBERS has) keeps it."""
    monkeypatch.setenv("ENERGY_MODEL_ITERATION_SCALE", "1")  # the suite's 0.1 (conftest) is tested below
    x, y = _rows(1000, 3)
    val = _rows(300, 4)
    params = {"max_depth": 3, "nthread": 1, "seed": 1, "learning_rate": 0.3}
    chosen = fit_before_validation(MemberSpec("xgboost", params), x, y, val)
    assert chosen.iterations < 1000  # early stopping on these rows stops well before MAX_ROUNDS
    fixed = fit_before_validation(MemberSpec("xgboost", params, iterations=chosen.iterations + 37), x, y, val)
    assert fixed.iterations == chosen.iterations + 37 and fixed.booster.num_boosted_rounds() == fixed.iterations
    # HistGB's choice needs HGB_MAX_ITER stages (test_the_validation_weeks_choose_the_iterations…)
    histgb = fit_before_validation(MemberSpec("histgb", {"random_state": 1}, iterations=40), x, y, val)
    assert histgb.iterations == 40 and histgb.regressor.n_iter_ == 40
    assert all(spec.iterations for spec in MEMBERS.values())


def test_the_iteration_scale_shrinks_every_fixed_count_and_is_part_of_the_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tests train with a tenth of the counts (ENERGY_MODEL_ITERATION_SCALE): a model trained so is
    another spec, never reused by a run with the full counts; a scale that is no number fails loudly."""
    monkeypatch.setenv("ENERGY_MODEL_ITERATION_SCALE", "1")
    full, full_spec = {n: fixed_iterations(s) for n, s in MEMBERS.items()}, spec_hash()
    assert full == {n: s.iterations for n, s in MEMBERS.items()}
    monkeypatch.setenv("ENERGY_MODEL_ITERATION_SCALE", "0.1")
    assert {n: fixed_iterations(s) for n, s in MEMBERS.items()} == {n: round(c / 10) for n, c in full.items()}
    assert spec_hash() != full_spec
    assert fixed_iterations(MemberSpec("xgboost", {})) is None  # no fixed count: chosen on the validation weeks
    for bad in ("0", "-1", "ten", "nan"):
        monkeypatch.setenv("ENERGY_MODEL_ITERATION_SCALE", bad)
        with pytest.raises(ValueError, match="ENERGY_MODEL_ITERATION_SCALE"):
            fixed_iterations(MEMBERS["xgboost"])


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
