"""dataroi.trial._perturb: exact label noise, nested prior subsets, shift weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from dataroi.trial import (
    class_priors,
    flip_labels,
    hardness_scores,
    numeric_matrix,
    prior_subset,
    shift_weights,
    thinned_priors,
)
from dataroi.trial._perturb import _largest_remainder


@pytest.fixture(scope="module")
def cancer() -> tuple[np.ndarray, np.ndarray]:
    X, y = load_breast_cancer(return_X_y=True)
    return X, y.astype(np.int64)


@pytest.fixture(scope="module")
def cancer_hardness(cancer) -> np.ndarray:
    X, y = cancer
    return hardness_scores(X, y, n_classes=2, seed=0)


# --------------------------------------------------------------------------- symmetric


def test_twenty_percent_of_thousand_flips_exactly_200():
    y = np.random.default_rng(0).integers(0, 4, size=1000)
    noisy = flip_labels(y, 0.2, n_classes=4, seed=7)
    assert int((noisy != y).sum()) == 200


@pytest.mark.parametrize("n", [1, 7, 100, 1000])
@pytest.mark.parametrize("rate", [0.0, 0.05, 0.2, 0.37, 0.5, 0.99])
def test_symmetric_exact_count_over_seeds(n, rate):
    y = np.random.default_rng(n).integers(0, 3, size=n)
    expected = min(round(rate * n), n)
    for seed in range(20):
        noisy = flip_labels(y, rate, n_classes=3, seed=seed)
        # every chosen position changes class, so "differs" counts the flips exactly
        assert int((noisy != y).sum()) == expected
        assert noisy.min() >= 0 and noisy.max() <= 2
        assert noisy.dtype == y.dtype


def test_symmetric_flips_to_every_other_class_uniformly():
    y = np.zeros(30_000, dtype=np.int64)
    noisy = flip_labels(y, 0.5, n_classes=4, seed=3)
    counts = np.bincount(noisy[noisy != y], minlength=4)
    assert counts[0] == 0
    assert np.allclose(counts[1:] / counts[1:].sum(), 1 / 3, atol=0.02)


def test_symmetric_keeps_small_integer_dtype():
    y = np.array([0, 1, 2, 1, 0, 2, 1, 0, 2, 1], dtype=np.int8)
    noisy = flip_labels(y, 0.5, n_classes=3, seed=0)
    assert noisy.dtype == np.int8
    assert int((noisy != y).sum()) == 5


# --------------------------------------------------------------------------- class-conditional

T3 = np.array([
    [0.7, 0.2, 0.1],
    [0.1, 0.8, 0.1],
    [0.25, 0.25, 0.5],
])


def test_class_conditional_exact_per_class_counts_and_allocation():
    y = np.r_[np.zeros(100), np.ones(55), np.full(40, 2)].astype(np.int64)
    y = np.random.default_rng(1).permutation(y)
    for seed in range(10):
        noisy = flip_labels(y, None, n_classes=3, seed=seed, kind="class_conditional",
                            matrix=T3)
        confusion = np.zeros((3, 3), dtype=int)
        np.add.at(confusion, (y, noisy), 1)
        # class 0: 30 flips, split 20/10; class 1: 11 flips, 5.5/5.5 -> 6 to class 0
        # (tie to the lower code), 5 to class 2; class 2: 20 flips, 10/10.
        assert confusion.tolist() == [[70, 20, 10], [6, 44, 5], [10, 10, 20]]


def test_class_conditional_rate_is_ignored_and_identity_changes_nothing():
    y = np.arange(60) % 3
    same = flip_labels(y, 0.9, n_classes=3, seed=0, kind="class_conditional",
                       matrix=np.eye(3))
    assert np.array_equal(same, y)


def test_class_conditional_positions_are_random():
    y = np.repeat([0, 1], 500)
    T = [[0.9, 0.1], [0.1, 0.9]]
    a = flip_labels(y, None, n_classes=2, seed=0, kind="class_conditional", matrix=T)
    b = flip_labels(y, None, n_classes=2, seed=1, kind="class_conditional", matrix=T)
    assert (a != y).sum() == (b != y).sum() == 100
    assert not np.array_equal(a, b)


def test_largest_remainder_sums_exactly_and_breaks_ties_low():
    assert _largest_remainder(11, np.array([0.1, 0.1])).tolist() == [6, 5]
    assert _largest_remainder(0, np.array([0.3, 0.7])).tolist() == [0, 0]
    counts = _largest_remainder(97, np.array([0.2, 0.5, 0.3, 0.0]))
    assert counts.sum() == 97 and counts[3] == 0


# --------------------------------------------------------------------------- hard


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.1, 0.33, 0.9])
def test_hard_exact_count(rate, cancer, cancer_hardness):
    _, y = cancer
    for seed in range(10):
        noisy = flip_labels(y, rate, n_classes=2, seed=seed, kind="hard",
                            hardness=cancer_hardness)
        assert int((noisy != y).sum()) == round(rate * len(y))


def test_hard_noise_concentrates_on_hard_rows(cancer, cancer_hardness):
    _, y = cancer
    h = cancer_hardness
    for seed in range(5):
        noisy = flip_labels(y, 0.1, n_classes=2, seed=seed, kind="hard", hardness=h)
        flipped = noisy != y
        assert h[flipped].mean() > 3 * h.mean()
    sym = flip_labels(y, 0.1, n_classes=2, seed=0)
    assert h[sym != y].mean() < h[flipped].mean()


def test_hard_falls_back_when_few_rows_are_hard():
    y = np.zeros(100, dtype=np.int64)
    h = np.zeros(100)
    h[[3, 14, 15, 92, 65]] = 1.0
    noisy = flip_labels(y, 0.5, n_classes=2, seed=0, kind="hard", hardness=h)
    flipped = np.flatnonzero(noisy != y)
    assert len(flipped) == 50
    assert {3, 14, 15, 92, 65} <= set(flipped.tolist())
    zero = flip_labels(y, 0.2, n_classes=2, seed=0, kind="hard", hardness=np.zeros(100))
    assert int((zero != y).sum()) == 20


# --------------------------------------------------------------------------- determinism, inputs


@pytest.mark.parametrize("kind", ["symmetric", "class_conditional", "hard"])
def test_deterministic_and_inputs_unmodified(kind):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    h = rng.random(300)
    T = T3.copy()
    y0, h0, T0 = y.copy(), h.copy(), T.copy()
    kw = {"n_classes": 3, "kind": kind, "matrix": T, "hardness": h}
    a = flip_labels(y, 0.3, seed=5, **kw)
    b = flip_labels(y, 0.3, seed=5, **kw)
    c = flip_labels(y, 0.3, seed=6, **kw)
    g = flip_labels(y, 0.3, seed=np.random.default_rng(5), **kw)
    assert np.array_equal(a, b)
    assert np.array_equal(a, g)
    assert not np.array_equal(a, c)
    assert a is not y
    assert np.array_equal(y, y0) and np.array_equal(h, h0) and np.array_equal(T, T0)


def test_flip_labels_accepts_a_list():
    noisy = flip_labels([0, 1, 0, 1], 0.5, n_classes=2, seed=0)
    assert isinstance(noisy, np.ndarray) and int((noisy != [0, 1, 0, 1]).sum()) == 2


# --------------------------------------------------------------------------- hardness scores


def test_hardness_scores_deterministic_in_range(cancer, cancer_hardness):
    X, y = cancer
    X0 = X.copy()
    again = hardness_scores(X, y, n_classes=2, seed=0)
    assert np.array_equal(again, cancer_hardness)
    assert np.array_equal(X, X0)
    assert cancer_hardness.shape == y.shape
    assert cancer_hardness.min() >= 0 and cancer_hardness.max() <= 1
    # a linear model finds most of breast cancer easy
    assert np.median(cancer_hardness) < 0.05


def test_hardness_scores_reduces_folds_and_gives_up_gracefully(cancer):
    X, _ = cancer
    X = X[:40]
    y = np.r_[np.zeros(37), np.ones(3)].astype(np.int64)  # 3 rows < 5 folds
    h = hardness_scores(X, y, n_classes=2, seed=0)
    assert h.shape == (40,) and np.all((h >= 0) & (h <= 1)) and h.max() > 0
    single = np.r_[np.zeros(39), np.ones(1)].astype(np.int64)
    assert np.array_equal(hardness_scores(X, single, n_classes=2, seed=0), np.zeros(40))
    one_class = np.zeros(40, dtype=np.int64)
    assert np.array_equal(hardness_scores(X, one_class, n_classes=3, seed=0), np.zeros(40))


def test_hardness_scores_with_absent_class_and_generator_seed():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(np.int64) * 2  # codes 0 and 2, class 1 absent
    a = hardness_scores(X, y, n_classes=3, seed=np.random.default_rng(4))
    b = hardness_scores(X, y, n_classes=3, seed=np.random.default_rng(4))
    assert np.array_equal(a, b) and a.mean() < 0.3


# --------------------------------------------------------------------------- prior subsets


def test_prior_subset_exact_counts_in_order():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=600)
    order = rng.permutation(600)
    chosen = prior_subset(order, y, 100, priors={0: 0.3, 1: 0.7})
    assert len(chosen) == 100 and len(set(chosen.tolist())) == 100
    assert np.bincount(y[chosen], minlength=3).tolist() == [30, 70, 0]
    rank = {int(p): i for i, p in enumerate(order)}
    ranks = [rank[int(p)] for p in chosen]
    assert ranks == sorted(ranks)
    # per class, the first rows of that class in order
    first_ones = [int(p) for p in order if y[p] == 1][:70]
    assert sorted(first_ones) == sorted(int(p) for p in chosen if y[p] == 1)


@pytest.mark.parametrize("priors", [
    {0: 0.47, 1: 0.33, 2: 0.2},          # largest remainder decreases class 2 at n=8
    {0: 0.52, 1: 0.31, 2: 0.17},
    {0: 1 / 3, 1: 1 / 3, 2: 1 / 3},
    {0: 0.05, 1: 0.15, 2: 0.3, 3: 0.5},
    {1: 0.999, 3: 0.001},
    {0: 1.0},
])
def test_prior_subset_nested_and_within_quota_for_every_n(priors):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, size=2400)
    order = rng.permutation(2400)
    previous: set[int] = set()
    for n in range(0, 401):
        chosen = prior_subset(order, y, n, priors=priors)
        current = set(chosen.tolist())
        assert len(chosen) == len(current) == n
        assert previous <= current, f"not nested at n={n}"
        counts = np.bincount(y[chosen], minlength=4)
        for cls in range(4):
            quota = n * priors.get(cls, 0.0)
            assert math.floor(quota + 1e-9) <= counts[cls] <= math.ceil(quota - 1e-9)
        previous = current


def test_largest_remainder_would_not_be_nested_but_prior_subset_is():
    p = np.array([0.47, 0.33, 0.2])
    assert _largest_remainder(7, p).tolist() == [3, 2, 2]
    assert _largest_remainder(8, p).tolist() == [4, 3, 1]  # the Alabama paradox
    y = np.repeat([0, 1, 2], 10)
    order = np.arange(30)
    small = set(prior_subset(order, y, 7, priors={0: 0.47, 1: 0.33, 2: 0.2}).tolist())
    large = set(prior_subset(order, y, 8, priors={0: 0.47, 1: 0.33, 2: 0.2}).tolist())
    assert small <= large


def test_prior_subset_on_a_subset_of_positions_and_zero():
    y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    order = np.array([7, 2, 5, 0])
    assert prior_subset(order, y, 2, priors={0: 0.5, 1: 0.5}).tolist() == [7, 2]
    assert prior_subset(order, y, 0, priors={0: 0.5, 1: 0.5}).tolist() == []


def test_prior_subset_too_few_rows():
    y = np.r_[np.zeros(20), np.ones(5)].astype(np.int64)
    order = np.arange(25)
    with pytest.raises(ValueError, match=r"class 1 needs 8 rows for n=16 .* only 5 exist"):
        prior_subset(order, y, 16, priors={0: 0.5, 1: 0.5})
    with pytest.raises(ValueError, match=r"class 2 needs 1 rows .* only 0 exist"):
        prior_subset(order, y, 10, priors={0: 0.5, 1: 0.4, 2: 0.1})


def test_prior_subset_inputs_unmodified():
    y = np.array([0, 1, 0, 1, 0, 1])
    order = np.array([5, 4, 3, 2, 1, 0])
    y0, o0 = y.copy(), order.copy()
    prior_subset(order, y, 4, priors={0: 0.5, 1: 0.5})
    assert np.array_equal(y, y0) and np.array_equal(order, o0)


# --------------------------------------------------------------------------- priors


def test_class_priors():
    assert class_priors(np.array([0, 1, 1, 1]), 3) == {0: 0.25, 1: 0.75, 2: 0.0}


def test_thinned_priors():
    out = thinned_priors({0: 0.5, 1: 0.3, 2: 0.2}, {0: 0.5, 2: 0.0})
    assert out.keys() == {0, 1, 2}
    assert out[0] == pytest.approx(0.25 / 0.75)
    assert out[1] == pytest.approx(0.3 / 0.75)
    assert out[2] == pytest.approx(0.2 / 0.75)
    assert sum(out.values()) == pytest.approx(1.0)
    assert thinned_priors({0: 0.6, 1: 0.4}, {}) == {0: 0.6, 1: 0.4}


def test_thinned_priors_feed_prior_subset():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=1000)
    priors = thinned_priors(class_priors(y, 2), {1: 0.5})
    chosen = prior_subset(rng.permutation(1000), y, 300, priors=priors)
    share = float(np.mean(y[chosen] == 1))
    assert share == pytest.approx(priors[1], abs=1 / 300)


# --------------------------------------------------------------------------- shift weights


def test_shift_weights_favour_rows_like_the_target(cancer):
    X, _ = cancer
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(X))
    train_rows, other = perm[:285], perm[285:]
    radius = X[:, 0]
    threshold = np.quantile(radius, 0.75)
    target_rows = other[radius[other] > threshold]
    X_train, X_target = X[train_rows], X[target_rows]
    copies = X_train.copy(), X_target.copy()
    w = shift_weights(X_train, X_target, seed=0)
    assert w.shape == (285,)
    assert w.mean() == pytest.approx(1.0)
    assert np.all(w > 0)
    r = radius[train_rows]
    assert w[r > threshold].mean() > 10 * w[r < np.median(radius)].mean()
    assert np.array_equal(w, shift_weights(X_train, X_target, seed=0))
    assert np.array_equal(X_train, copies[0]) and np.array_equal(X_target, copies[1])


def test_shift_weights_clip_bounds_the_spread(cancer):
    X, _ = cancer
    radius = X[:, 0]
    X_train, X_target = X[radius < 13], X[radius > 17]
    w = shift_weights(X_train, X_target, seed=1, clip=4.0)
    assert w.mean() == pytest.approx(1.0)
    assert w.max() / w.min() <= 16.0 + 1e-9


def test_shift_weights_same_distribution_near_one():
    rng = np.random.default_rng(0)
    w = shift_weights(rng.normal(size=(400, 3)), rng.normal(size=(400, 3)), seed=0)
    assert np.median(np.abs(w - 1)) < 0.25


# --------------------------------------------------------------------------- numeric matrix


def test_numeric_matrix_mixed_frame():
    df = pd.DataFrame({
        "num": [1.0, np.nan, 3.0, 10.0, np.inf],
        "cat": pd.Categorical(["b", None, "a", "b", "b"]),
        "obj": ["x", "y", None, "y", "y"],
        "flag": [True, False, True, True, False],
        "empty": [np.nan] * 5,
        "nullable": pd.array([1, None, 3, 4, 5], dtype="Int64"),
    })
    before = df.copy()
    m = numeric_matrix(df)
    assert m.dtype == np.float64 and m.shape == (5, 6)
    assert not np.isnan(m).any()
    assert m[:, 0].tolist() == [1.0, 3.0, 3.0, 10.0, 3.0]   # median of 1, 3, 10
    assert m[:, 1].tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]    # codes a=0, b=1; NaN -> b
    assert m[:, 2].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0]    # None -> most frequent y
    assert m[:, 3].tolist() == [1.0, 0.0, 1.0, 1.0, 0.0]
    assert m[:, 4].tolist() == [0.0] * 5
    assert m[:, 5].tolist() == [1.0, 3.5, 3.0, 4.0, 5.0]
    pd.testing.assert_frame_equal(df, before)


def test_numeric_matrix_feeds_auxiliary_models():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=80),
                       "c": pd.Categorical(rng.choice(["u", "v", None], size=80))})
    y = (df["a"] > 0).astype(np.int64).to_numpy()
    h = hardness_scores(numeric_matrix(df), y, n_classes=2, seed=0)
    assert h.shape == (80,)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"rate": 1.0}, r"rate must be a finite number in \[0, 1\), got 1.0"),
    ({"rate": -0.1}, r"rate must be a finite number in \[0, 1\)"),
    ({"rate": float("nan")}, r"rate must be a finite number in \[0, 1\)"),
    ({"rate": float("inf")}, r"rate must be a finite number in \[0, 1\)"),
    ({"rate": None}, r"rate must be a number in \[0, 1\), got None"),
    ({"rate": "0.1"}, r"rate must be a number"),
    ({"n_classes": 1}, r"n_classes must be >= 2, got 1"),
    ({"n_classes": 2.0}, r"n_classes must be an integer >= 2"),
    ({"kind": "asymmetric"}, r"kind must be one of symmetric, class_conditional, hard"),
    ({"y": np.array([0.0, 1.0])}, r"y must hold integer class codes, got dtype float64"),
    ({"y": np.array([[0, 1]])}, r"y must be 1-D"),
    ({"y": np.array([0, 3])}, r"class codes in 0..2, found values in 0..3"),
    ({"y": np.array([-1, 1])}, r"class codes in 0..2"),
    ({"kind": "hard"}, r"kind='hard' needs per-row hardness scores"),
    ({"kind": "hard", "hardness": [0.1, 0.2]}, r"hardness must have one value per label \(4\)"),
    ({"kind": "hard", "hardness": [0.1, -0.2, 0, 0]}, r"hardness must be finite and >= 0"),
    ({"kind": "hard", "hardness": [0.1, np.nan, 0, 0]}, r"hardness must be finite and >= 0"),
    ({"kind": "class_conditional"}, r"needs a \(k, k\) transition matrix"),
    ({"kind": "class_conditional", "matrix": np.eye(2)},
     r"matrix must be square \(3, 3\) for n_classes=3, got shape \(2, 2\)"),
    ({"kind": "class_conditional", "matrix": np.ones((3, 4)) / 4},
     r"matrix must be square \(3, 3\)"),
    ({"kind": "class_conditional",
      "matrix": [[1.2, -0.2, 0], [0, 1, 0], [0, 0, 1]]}, r"matrix must be non-negative"),
    ({"kind": "class_conditional",
      "matrix": [[0.9, 0.2, 0], [0, 1, 0], [0, 0, 1]]}, r"row 0 sums to 1.1"),
    ({"kind": "class_conditional",
      "matrix": [[1, 0, 0], [0, 1, 0], [0, np.nan, 1]]}, r"matrix must be finite"),
])
def test_flip_labels_errors(kwargs, match):
    args = {"y": np.array([0, 1, 2, 1]), "rate": 0.25, "n_classes": 3, "seed": 0}
    args.update(kwargs)
    y, rate = args.pop("y"), args.pop("rate")
    with pytest.raises(ValueError, match=match):
        flip_labels(y, rate, **args)


def test_class_conditional_matrix_row_sum_tolerance():
    ok = [[0.9, 0.1 + 5e-7], [0.0, 1.0]]
    flip_labels([0, 1], None, n_classes=2, seed=0, kind="class_conditional", matrix=ok)


def test_hardness_scores_errors():
    X = np.zeros((4, 2))
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X has 3 rows but y has 4 labels"):
        hardness_scores(X[:3], y, n_classes=2, seed=0)
    with pytest.raises(ValueError, match=r"X must be a 2-D numeric array, got shape \(4,\)"):
        hardness_scores(X[:, 0], y, n_classes=2, seed=0)
    with pytest.raises(ValueError, match=r"X must be finite"):
        hardness_scores(np.full((4, 2), np.nan), y, n_classes=2, seed=0)
    with pytest.raises(ValueError, match=r"folds must be an integer >= 2, got 1"):
        hardness_scores(X, y, n_classes=2, seed=0, folds=1)
    with pytest.raises(ValueError, match=r"n_classes must be >= 2"):
        hardness_scores(X, y, n_classes=0, seed=0)


@pytest.mark.parametrize(("priors", "match"), [
    ({0: 0.5, 1: 0.6}, r"priors must sum to 1, got 1.1"),
    ({0: 1.2, 1: -0.2}, r"priors\[1\] must be a finite share >= 0, got -0.2"),
    ({0: float("nan"), 1: 1.0}, r"priors\[0\] must be a finite share >= 0"),
    ({"a": 1.0}, r"priors keys must be integer class codes, got 'a'"),
    ({}, r"priors must be a non-empty dict"),
    ([0.5, 0.5], r"priors must be a non-empty dict"),
])
def test_prior_subset_prior_errors(priors, match):
    with pytest.raises(ValueError, match=match):
        prior_subset(np.arange(4), np.array([0, 1, 0, 1]), 2, priors=priors)


def test_prior_subset_argument_errors():
    y = np.array([0, 1, 0, 1])
    pri = {0: 0.5, 1: 0.5}
    with pytest.raises(ValueError, match=r"n must be an integer >= 0, got -1"):
        prior_subset(np.arange(4), y, -1, priors=pri)
    with pytest.raises(ValueError, match=r"order holds positions outside 0..3"):
        prior_subset(np.array([0, 4]), y, 1, priors=pri)
    with pytest.raises(ValueError, match=r"order must be a 1-D array of integer row positions"):
        prior_subset(np.array([0.0, 1.0]), y, 1, priors=pri)
    with pytest.raises(ValueError, match=r"y must be 1-D"):
        prior_subset(np.arange(4), y[None, :], 1, priors=pri)


def test_prior_sum_tolerance_accepted():
    chosen = prior_subset(np.arange(4), np.array([0, 1, 0, 1]), 2,
                          priors={0: 0.5, 1: 0.5 + 5e-7})
    assert len(chosen) == 2


def test_thinned_priors_errors():
    base = {0: 0.5, 1: 0.5}
    with pytest.raises(ValueError, match=r"thin names unknown class 2; known classes: \[0, 1\]"):
        thinned_priors(base, {2: 0.1})
    with pytest.raises(ValueError, match=r"thin rate for class 1 must be .* \[0, 1\), got 1.0"):
        thinned_priors(base, {1: 1.0})
    with pytest.raises(ValueError, match=r"thin rate for class 0 .* got nan"):
        thinned_priors(base, {0: float("nan")})
    with pytest.raises(ValueError, match=r"base_priors must sum to 1"):
        thinned_priors({0: 0.5}, {0: 0.1})
    with pytest.raises(ValueError, match=r"thin must be a dict"):
        thinned_priors(base, [0.1])


def test_class_priors_errors():
    with pytest.raises(ValueError, match=r"y is empty"):
        class_priors(np.array([], dtype=np.int64), 2)
    with pytest.raises(ValueError, match=r"class codes in 0..1, found values in 0..2"):
        class_priors([0, 2], 2)


def test_shift_weights_errors():
    a = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"X_train has 2 columns but X_target has 3"):
        shift_weights(a, np.zeros((10, 3)), seed=0)
    with pytest.raises(ValueError, match=r"clip must be a finite number > 1, got 1.0"):
        shift_weights(a, a, seed=0, clip=1.0)
    with pytest.raises(ValueError, match=r"at least 2 training and 2 target rows, got 10 and 1"):
        shift_weights(a, a[:1], seed=0)
    with pytest.raises(ValueError, match=r"X_target must be finite"):
        shift_weights(a, np.full((4, 2), np.nan), seed=0)
    with pytest.raises(ValueError, match=r"X_train must be a 2-D numeric array"):
        shift_weights(np.zeros(5), a, seed=0)


def test_numeric_matrix_errors():
    with pytest.raises(ValueError, match=r"needs a pandas DataFrame, got ndarray"):
        numeric_matrix(np.zeros((2, 2)))  # type: ignore[arg-type]
