"""dataroi.curves._gain: the learned gain forecast (shipped model, features, quantiles)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from dataroi.curves import GainModel, context_of, curve_state, load_gain_model
from dataroi.curves._gain import (
    FACTORS,
    FEATURES,
    _trees_from,
    export_trees,
    feature_matrix,
)
from dataroi.exceptions import UsageError

SIZES = [64, 128, 256, 512, 1024]


@pytest.fixture(scope="module")
def model() -> GainModel:
    m = load_gain_model()
    assert m is not None, "gain_model.json is package data"
    return m


def test_the_shipped_model_names_what_it_was_learned_on(model):
    assert len(model.digest) == 64
    text = model.describe()
    assert text.startswith(f"learned gain forecast {model.digest[:12]}")
    assert "data sets of the curve corpus" in text
    assert model.meta["factors"] == list(FACTORS)


def test_exported_trees_predict_what_scikit_learn_predicts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    X[rng.random(X.shape) < 0.05] = np.nan  # missing values take the learned side
    y = np.nan_to_num(X[:, 0]) * 2 + np.nan_to_num(X[:, 1]) ** 2 + rng.normal(0, 0.1, 500)
    hgb = HistGradientBoostingRegressor(max_iter=30, max_leaf_nodes=7).fit(X, y)
    trees = _trees_from(json.loads(json.dumps(export_trees(hgb))))
    np.testing.assert_allclose(trees.predict(X), hgb.predict(X), atol=1e-12)


def test_the_shipped_trees_walked_at_once_sum_to_the_last_bit_of_one_at_a_time(model):
    """predict walks every tree at once; the sum is the tree-by-tree walk's, bit for bit
    (what the shipped forecasts and their recorded hashes rest on)."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, len(model.ridge_mu))) * model.ridge_sd + model.ridge_mu
    X[rng.random(X.shape) < 0.1] = np.nan
    t = model.trees
    expected = []
    for row in X:
        total = t.baseline
        for f, thr, lft, rgt, v, leaf, nl in zip(t.feature, t.threshold, t.left, t.right,
                                                 t.value, t.leaf, t.nan_left, strict=True):
            node = 0
            while not leaf[node]:
                x = row[f[node]]
                node = lft[node] if (nl[node] if np.isnan(x) else x <= thr[node]) \
                    else rgt[node]
            total += v[node]
        expected.append(total)
    assert t.predict(X).tolist() == expected


def test_a_rising_curve_gains_more_than_a_flat_one(model):
    rising = curve_state(SIZES, [0.60, 0.66, 0.71, 0.75, 0.78], se=0.003)
    flat = curve_state(SIZES, [0.90, 0.905, 0.907, 0.908, 0.908], se=0.003)
    ctx = context_of({"rising": rising, "flat": flat})
    g_rise, g_flat = model.predict(rising, ctx), model.predict(flat, ctx)
    assert g_rise.shape == (len(FACTORS),)
    assert np.all(g_rise > g_flat)
    assert g_rise[-1] > g_rise[0] > 0  # more labels, more gain
    assert abs(g_flat[-1]) < 0.02  # a curve at its ceiling stays near it


def test_features_have_no_gaps_even_for_two_sizes_without_training_scores():
    st = curve_state([100, 200], [0.7, 0.72])
    X = feature_matrix(st, context_of({"a": st}))
    assert X.shape == (len(FACTORS), len(FEATURES)) and np.isfinite(X).all()
    with_train = curve_state(SIZES, [0.6, 0.66, 0.71, 0.75, 0.78], train_sizes=SIZES,
                             train_means=[1.0, 0.98, 0.95, 0.93, 0.9])
    X2 = feature_matrix(with_train, context_of({"a": with_train}))
    assert X2[0, FEATURES.index("gap")] == pytest.approx(0.9 - 0.78)


def test_curve_state_refuses_fewer_than_two_sizes():
    with pytest.raises(UsageError, match="two or more increasing sizes"):
        curve_state([100], [0.8])
    with pytest.raises(UsageError):
        curve_state([200, 100], [0.8, 0.7])


def test_quantiles_rise_with_u_start_at_zero_and_never_fall_beyond_16x(model):
    st = curve_state(SIZES, [0.60, 0.66, 0.71, 0.75, 0.78], se=0.003)
    fc = model.forecast(st, context_of({"a": st}))
    n = st.n0 * np.array([1, 1.5, 2, 3, 4, 8, 16, 32, 64, 1000])
    u = np.linspace(0.01, 0.99, 41)[:, None]
    q = fc.gain_quantile(u, n[None, :])
    assert np.all(q[:, 0] == 0.0)  # no labels, no gain
    assert np.all(np.diff(q, axis=0) >= -1e-12)  # quantiles are ordered
    beyond = n >= 16 * st.n0
    assert np.all(np.diff(q[:, beyond], axis=1) >= -1e-12)
    # the median at the factors is near the mean forecast; the 90 % band widens with k
    med = fc.gain_quantile(0.5, st.n0 * np.asarray(FACTORS, float))
    assert np.allclose(med, fc.mean, atol=2 * fc.scale.max())
    width = fc.gain_quantile(0.95, n[2:7]) - fc.gain_quantile(0.05, n[2:7])
    assert np.all(np.diff(width) > 0)


def test_another_model_file_is_read_and_a_wrong_one_refused(tmp_path, model):
    missing = tmp_path / "none.json"
    with pytest.raises(UsageError, match="not found"):
        load_gain_model(str(missing))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"features": ["x"], "ridge": {}}))
    with pytest.raises(UsageError, match="learned on other features"):
        load_gain_model(str(bad))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(UsageError, match="not a dataroi gain model"):
        load_gain_model(str(broken))


@pytest.mark.slow
def test_the_learned_forecast_beats_a_power_law_on_held_out_corpus_rows():
    """The figure the model's docstring rests on, recomputed from the committed corpus:
    a model learned without a tenth of the corpus's data sets, tested on them."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "benchmarks"
    sys.path[:0] = [str(root), str(root / "corpus")]
    try:
        import learn_gain_model as L
    finally:
        del sys.path[:2]
    rows = L.build_rows(str(root / "corpus" / "curves.parquet"), None, jobs=1,
                        metrics=("accuracy",))
    held = rows["group"].isin(sorted(rows["group"].unique())[::10])
    m = L._model({**L.fit_point(rows[~held]), "residual": L._flat_residual()})
    X = rows.loc[held, list(FEATURES)].to_numpy(float)
    y = rows.loc[held, "target"].to_numpy(float)
    ours = np.abs(m.predict_matrix(X) - y).mean()
    pow3 = np.abs(rows.loc[held, "pow3"].to_numpy(float) - y).mean()
    assert math.isfinite(ours) and ours < pow3


def test_the_learner_can_leave_the_shipped_model_alone():
    """``--keep-shipped`` makes only a benchmark's fold models; alone it would write
    nothing and is refused before any work."""
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "benchmarks"
    sys.path[:0] = [str(root), str(root / "corpus")]
    try:
        import learn_gain_model as L
    finally:
        del sys.path[:2]
    with pytest.raises(SystemExit) as exc:
        L.main(["--keep-shipped"])
    assert exc.value.code == 2
