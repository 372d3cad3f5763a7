"""Agreement statistics against published worked examples and reference implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from dataroi.annotation import (
    alpha_from_counts,
    analyze_annotations,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
)
from dataroi.annotation._agreement import _fleiss_parts

# Wikipedia "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS_TABLE = np.array([
    [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
])

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: nominal
# data, 4 observers, 12 units, missing values; alpha = 0.743.
K_NOMINAL = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Krippendorff (2011), section A: binary data, two observers, ten units; alpha = 0.095.
K_BINARY = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def _long(reliability: list[list[object]]) -> pd.DataFrame:
    rows = [(u, f"coder{c}", v) for c, values in enumerate(reliability)
            for u, v in enumerate(values) if v is not None]
    return pd.DataFrame(rows, columns=["item", "annotator", "label"])


def test_fleiss_wikipedia_worked_example():
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(0.210, abs=5e-4)
    p_i, c, m = _fleiss_parts(FLEISS_TABLE.astype(float))
    assert p_i.mean() == pytest.approx(0.378, abs=5e-4)  # P-bar
    p_j = c.sum(axis=0) / m.sum()
    assert np.round(p_j, 3).tolist() == [0.143, 0.200, 0.279, 0.150, 0.229]
    assert (p_j**2).sum() == pytest.approx(0.213, abs=5e-4)  # P_e


def test_fleiss_matches_statsmodels():
    inter_rater = pytest.importorskip(
        "statsmodels.stats.inter_rater",
        reason="statsmodels is not installed (optional reference implementation; "
               "pip install statsmodels)")
    assert fleiss_kappa(FLEISS_TABLE) == pytest.approx(inter_rater.fleiss_kappa(FLEISS_TABLE))
    rng = np.random.default_rng(3)
    for _ in range(5):
        table = rng.multinomial(6, rng.dirichlet(np.ones(4)), size=40)
        assert fleiss_kappa(table) == pytest.approx(inter_rater.fleiss_kappa(table),
                                                    abs=1e-12)


def test_krippendorff_nominal_example_with_missing_values():
    assert krippendorff_alpha(K_NOMINAL) == pytest.approx(0.743, abs=5e-4)
    # unit 12 has one value only: not pairable, so dropping it changes nothing
    without = [row[:11] for row in K_NOMINAL]
    assert krippendorff_alpha(without) == pytest.approx(krippendorff_alpha(K_NOMINAL))


def test_krippendorff_binary_example():
    assert krippendorff_alpha(K_BINARY) == pytest.approx(0.095, abs=5e-4)


def test_report_reproduces_the_worked_examples_from_long_tables():
    report = analyze_annotations(_long(K_NOMINAL), n_boot=200, n_boot_dawid_skene=0)
    alpha = report.agreement_estimate("krippendorff_alpha")
    assert alpha.value == pytest.approx(0.743, abs=5e-4)
    assert alpha.n_items == 11  # unit 12 has one value
    assert alpha.ci_low <= alpha.value <= alpha.ci_high
    assert any("one label only" in n for n in report.notes)
    rows = [(i, f"r{r}", c) for i, row in enumerate(FLEISS_TABLE)
            for r, c in enumerate(np.repeat(np.arange(5), row))]
    frame = pd.DataFrame(rows, columns=["item", "annotator", "label"])
    fleiss = analyze_annotations(frame, n_boot=100, n_boot_dawid_skene=0)
    assert fleiss.agreement_estimate("fleiss_kappa").value == pytest.approx(0.210, abs=5e-4)


def test_alpha_from_counts_equals_reliability_layout():
    counts = [[3, 0, 0], [1, 2, 0], [0, 1, 1], [2, 0, 0]]
    reliability = [[0, 0, 1, 0], [0, 1, 2, 0], [0, 1, None, None]]
    assert alpha_from_counts(counts) == pytest.approx(krippendorff_alpha(reliability))


def test_cohen_kappa_matches_sklearn():
    rng = np.random.default_rng(0)
    for k in (2, 3, 5):
        a = rng.integers(0, k, size=200)
        b = np.where(rng.random(200) < 0.6, a, rng.integers(0, k, size=200))
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    a, b = ["cat", "dog", "dog", "cat", "bird"], ["cat", "dog", "cat", "cat", "dog"]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_report_cohen_kappa_two_annotators_equals_sklearn_and_missing_items_are_skipped():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, size=120)
    b = np.where(rng.random(120) < 0.7, a, rng.integers(0, 3, size=120))
    rows = [(i, "a", int(x)) for i, x in enumerate(a)] + \
           [(i, "b", int(y)) for i, y in enumerate(b) if i % 10]  # b skips 12 items
    report = analyze_annotations(pd.DataFrame(rows, columns=["item", "annotator", "label"]),
                                 n_boot=300, n_boot_dawid_skene=0)
    keep = np.arange(120) % 10 != 0
    est = report.agreement_estimate("cohen_kappa")
    assert est.value == pytest.approx(cohen_kappa_score(a[keep], b[keep]))
    assert est.n_items == keep.sum() and report.pairwise_kappa[0]["n_items"] == keep.sum()
    assert est.ci_low < est.value < est.ci_high and est.ci_high - est.ci_low < 0.4


def test_mean_pairwise_cohen_is_the_mean_of_the_pairs(sim):
    report = analyze_annotations(sim.frame, n_boot=50, n_boot_dawid_skene=0)
    pairs = report.to_frame("pairs")
    assert len(pairs) == 10
    assert report.agreement_estimate("cohen_kappa").value == pytest.approx(
        pairs["kappa"].mean())


def test_undefined_statistics_are_nan_not_errors():
    assert np.isnan(fleiss_kappa([[2, 0], [3, 0]]))  # one class only
    assert np.isnan(fleiss_kappa([[1, 0], [0, 1]]))  # no item rated twice
    assert np.isnan(krippendorff_alpha([[1, None], [None, 2]]))
    frame = pd.DataFrame({"item": [1, 2], "annotator": ["a", "b"], "label": [0, 1]})
    report = analyze_annotations(frame, n_boot=20, n_boot_dawid_skene=0)
    assert all(np.isnan(e.value) and e.n_items == 0 for e in report.agreement)
    assert report.to_dict()["agreement"][0]["value"] is None
