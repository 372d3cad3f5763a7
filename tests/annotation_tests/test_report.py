"""The full report: noise rates and their coverage, determinism, outputs, items to redo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dataroi.annotation import AnnotationAnalysis, AnnotationReport, analyze_annotations


def _true_single_rate(sim) -> float:
    items = sim.frame["item"].str[4:].astype(int).to_numpy()
    return float((sim.frame["label"].to_numpy() != sim.truth[items]).mean())


@pytest.fixture(scope="module")
def report(sim) -> AnnotationReport:
    return analyze_annotations(sim.frame, n_boot=300, n_boot_dawid_skene=100)


def test_model_based_noise_rate_covers_the_simulated_rate(sim, report):
    nr = report.noise_rate
    assert nr.source == "dawid_skene" and nr.target == "single_annotation"
    assert nr.n == len(sim.frame)
    true = _true_single_rate(sim)
    assert nr.ci_low <= true <= nr.ci_high, (nr, true)
    assert nr.ci_high - nr.ci_low < 0.1
    expected = np.mean([1 - 0.92, 1 - 0.85, 1 - 0.75, 1 - 0.6, 1 - 0.5])
    assert abs(nr.rate - expected) < 0.03
    cons = report.consensus_noise_rate
    assert cons.target == "dawid_skene" and cons.rate < nr.rate


def test_gold_noise_rate_covers_the_simulated_rate(sim):
    items = sim.frame["item"].str[4:].astype(int).to_numpy()
    frame = sim.frame.assign(gold=sim.truth[items])
    frame.loc[frame["item"].str[4:].astype(int) % 3 == 0, "gold"] = np.nan  # 2/3 with gold
    report = analyze_annotations(frame, gold="gold", n_boot=300, n_boot_dawid_skene=0)
    assert report.n_gold_items == 400
    nr = report.noise_rate
    assert nr.source == "gold" and nr.n == int(frame["gold"].notna().sum())
    on_gold = frame[frame["gold"].notna()]
    true = float((on_gold["label"] != on_gold["gold"]).mean())
    assert nr.rate == pytest.approx(true)
    assert nr.ci_low <= _true_single_rate(sim) <= nr.ci_high
    assert report.noise_confusion_source == "gold"
    assert np.allclose(report.noise_confusion.sum(axis=1), 1.0)
    stats = report.to_frame("annotators").set_index("annotator")
    # the best simulated annotator (ann0, 92 %) is the most accurate against gold
    assert stats["accuracy_gold"].idxmax() == "ann0"
    assert (stats["gold_ci_low"] <= stats["accuracy_gold"]).all()
    assert (stats["n_gold"] <= stats["n_annotations"]).all()
    # gold given as a mapping gives the same numbers
    gold_map = frame.dropna(subset=["gold"]).drop_duplicates("item").set_index("item")["gold"]
    again = analyze_annotations(sim.frame, gold=gold_map.astype(int).to_dict(), n_boot=300,
                                n_boot_dawid_skene=0)
    assert again.noise_rate == nr


def test_annotator_accuracy_orders_the_simulated_annotators(report):
    stats = report.to_frame("annotators").set_index("annotator").sort_index()
    assert stats["accuracy_dawid_skene"].is_monotonic_decreasing
    assert stats["accuracy_consensus"].iloc[0] > stats["accuracy_consensus"].iloc[-1]
    assert (stats["n_consensus"] == stats["n_annotations"]).all()


def test_same_seed_same_report_other_seed_other_intervals(sim):
    small = sim.frame[sim.frame["item"].isin([f"item{i}" for i in range(150)])]
    a = analyze_annotations(small, n_boot=200, n_boot_dawid_skene=20, random_state=4)
    b = analyze_annotations(small, n_boot=200, n_boot_dawid_skene=20, random_state=4)
    c = analyze_annotations(small, n_boot=200, n_boot_dawid_skene=20, random_state=5)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert a.agreement == b.agreement and a.noise == b.noise
    assert a.agreement[1].value == c.agreement[1].value
    assert a.agreement[1].ci_low != c.agreement[1].ci_low


def test_outputs_are_frozen_and_json_able(report):
    d = report.to_dict()
    text = json.dumps(d)
    assert json.loads(text)["n_items"] == 600 and len(d["items"]) == 600
    assert "items" not in report.to_dict(include_items=False)
    items = report.to_frame("items")
    assert {"item", "majority_label", "dawid_skene_label", "confidence", "p_0", "p_2"} <= set(
        items.columns)
    for what in ("agreement", "noise", "pairs", "low_agreement"):
        assert isinstance(report.to_frame(what), pd.DataFrame)
    with pytest.raises(Exception, match="use one of"):
        report.to_frame("nope")
    with pytest.raises(AttributeError):
        report.notes = ()  # type: ignore[misc]
    with pytest.raises(ValueError):
        report.posterior[0, 0] = 1.0


def test_low_agreement_items_are_the_disputed_ones(report):
    low = report.to_frame("low_agreement")
    assert len(low) > 0
    assert low["confidence"].is_monotonic_increasing
    items = report.to_frame("items").set_index("item")
    unanimous = items.index[items["observed_agreement"] == 1.0]
    disputed = items.index[items["observed_agreement"] == 0.0]
    assert set(disputed) <= set(low["item"])
    assert len(set(unanimous) & set(low["item"])) < 0.05 * len(unanimous)


def test_fit_sets_trailing_underscore_state(sim):
    small = sim.frame.head(60)
    analysis = AnnotationAnalysis(n_boot=10, n_boot_dawid_skene=0)
    assert not hasattr(analysis, "report_")
    analysis.fit(small)
    assert analysis.table_.n_annotations == 60
    assert analysis.dawid_skene_.converged_
    assert analysis.report_.n_annotations == 60


def test_single_item_with_one_annotation_is_handled():
    frame = pd.DataFrame({"item": [1, 1, 2], "annotator": ["a", "b", "a"],
                          "label": ["x", "y", "y"]})
    report = analyze_annotations(frame, n_boot=20, n_boot_dawid_skene=5)
    assert report.n_items == 2 and report.n_annotations_per_item.tolist() == [2, 1]
    assert np.isnan(report.observed_agreement[1])
    assert report.agreement_estimate("fleiss_kappa").n_items == 1
