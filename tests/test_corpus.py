"""The committed curve corpus (benchmarks/corpus) is whole: what the manifest lists is in
the curves, every curve has its repeats at doubling sizes, and the loader gives trials
frames dataroi analyses."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "corpus"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("corpus_load", CORPUS / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_and_curves_agree(load):
    frame, manifest = load.load_curves(), load.load_manifest()
    assert len(manifest) >= 40 and set(manifest["dataset"]) == set(frame["dataset"])
    assert {"text", "tabular", "image"} == set(manifest["kind"])
    assert frame.groupby(["dataset", "learner"]).ngroups >= 180
    for row in manifest.itertuples():
        sub = frame[(frame["dataset"] == row.dataset) & (frame["metric"] == "accuracy")]
        sizes = sorted(sub["n_train"].unique())
        assert sizes[0] == 64 and sizes[-1] == row.max_n_train
        assert all(b == 2 * a for a, b in itertools.pairwise(sizes))
        assert (sub.groupby(["learner", "n_train"])["repeat"].nunique() == 5).all()
        assert sub["value"].between(0, 1).all() and np.isfinite(sub["train_value"]).all()


@pytest.mark.slow
def test_a_corpus_data_set_is_a_trials_frame_dataroi_analyses(load):
    import dataroi

    frame = load.load_curves()
    trials = load.trials(frame, "digits", max_n=512)
    a = dataroi.analyze(trials, metric="accuracy", n_draws=200,
                        costs={"price_per_label_usd": 1.0, "value_per_point_usd": 500})
    assert a.curves.current_n == 512 and set(a.models) == {"hgb", "knn", "logreg", "rf"}
    assert a.recommend().chosen.label
