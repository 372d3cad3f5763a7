"""Majority vote and Dawid–Skene on simulated annotators of known quality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.annotation import DawidSkene, majority_vote
from dataroi.exceptions import UsageError

from .conftest import simulate


def _aligned(ds: DawidSkene, sim):
    order = [int(a[3:]) for a in ds.annotators_]
    items = [int(i[4:]) for i in ds.items_]
    return sim.confusion[order], sim.truth[items]


def test_dawid_skene_recovers_known_confusion_matrices():
    sim = simulate(n_items=2500, per_item=3, seed=11)
    ds = DawidSkene().fit(sim.frame)
    true_conf, truth = _aligned(ds, sim)
    assert ds.converged_ and ds.n_iter_ < 100
    assert np.allclose(ds.confusion_.sum(axis=2), 1.0)
    assert np.abs(ds.confusion_ - true_conf).max() < 0.08
    assert np.abs(ds.class_priors_ - sim.priors).max() < 0.03
    true_acc = np.diagonal(true_conf, axis1=1, axis2=2) @ sim.priors
    assert np.abs(ds.annotator_accuracy() - true_acc).max() < 0.03
    assert np.allclose(ds.posterior_.sum(axis=1), 1.0)
    assert ds.posterior_.shape == (2500, 3) and ds.labels_.shape == (2500,)
    assert (ds.labels_ == truth).mean() > 0.88


def test_dawid_skene_beats_majority_vote_when_annotators_differ(sim):
    ds = DawidSkene().fit(sim.frame)
    _, truth = _aligned(ds, sim)
    mv = majority_vote(ds.table_.counts(), random_state=0)
    ds_acc, mv_acc = (ds.labels_ == truth).mean(), (mv == truth).mean()
    assert ds_acc > mv_acc + 0.02, (ds_acc, mv_acc)


def test_dawid_skene_is_deterministic_and_guards_iterations(sim):
    a, b = DawidSkene().fit(sim.frame), DawidSkene().fit(sim.frame)
    assert np.array_equal(a.posterior_, b.posterior_)
    with pytest.warns(RuntimeWarning, match="did not converge in 2 iterations"):
        short = DawidSkene(max_iter=2).fit(sim.frame)
    assert not short.converged_ and short.n_iter_ == 2
    with pytest.raises(UsageError, match="max_iter must be an integer >= 1"):
        DawidSkene(max_iter=0).fit(sim.frame)
    with pytest.raises(UsageError, match="smoothing must be > 0"):
        DawidSkene(smoothing=0).fit(sim.frame)


def test_dawid_skene_accepts_custom_columns():
    frame = pd.DataFrame({"doc": [1, 1, 2, 2], "who": list("abab"), "y": [0, 0, 1, 1]})
    ds = DawidSkene().fit(frame, item="doc", annotator="who", label="y")
    assert ds.labels_.tolist() == [0, 1] and ds.classes_ == (0, 1)


def test_majority_vote_ties_are_seeded_and_fair():
    counts = np.tile([[2, 2, 1]], (4000, 1))
    first = majority_vote(counts, random_state=5)
    assert np.array_equal(first, majority_vote(counts, random_state=5))
    assert not np.array_equal(first, majority_vote(counts, random_state=6))
    assert set(first.tolist()) == {0, 1}  # never the minority class
    assert abs(first.mean() - 0.5) < 0.05
    assert majority_vote([[0, 3, 1]], random_state=0).tolist() == [1]
