"""benchmarks/bench_relabel.py (issue #26): with ``--p-calibration-folds`` the stated
P(net > 0) is what dataroi's ``decide`` states — an option that only buys labels mapped
by the option calibration of its data set's fold, a relabel option left as the draws say."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests._benchmarks import benchmark_module


@pytest.fixture(scope="module")
def bench():
    yield from benchmark_module("bench_relabel")


def test_stated_probabilities_are_calibrated_per_fold_except_relabeling(bench, tmp_path):
    for fold, mid, top in (("fold-0", 0.8, 0.9), ("fold-1", 0.5, 0.6)):  # 0.8 → 0.85, 0.55
        (tmp_path / f"{fold}.json").write_text(json.dumps({"source": fold, "maps": {
            "option": {"stated": [0.0, 0.6, 1.0], "realized": [0.0, mid, top]},
            "staged": {"stated": [0.0, 1.0], "realized": [0.0, 0.1]}}}))
    (tmp_path / "folds.json").write_text(json.dumps({"a": "fold-0.json", "b": "fold-1.json"}))
    dec = pd.DataFrame({"dataset": ["a", "a", "b", "b", "c"],
                        "relabel": [False, True, False, False, False],
                        "p_net_positive": [0.8, 0.8, 0.8, np.nan, 0.8]})
    out = bench.calibrate_stated(dec, tmp_path)
    assert out["p_net_positive"].tolist()[:3] == pytest.approx([0.85, 0.8, 0.55])
    assert np.isnan(out["p_net_positive"][3])  # stays: nothing stated
    assert out["p_net_positive"][4] == 0.8     # a data set outside the folds: as stated
    assert dec["p_net_positive"].tolist()[:3] == [0.8, 0.8, 0.8]  # the input is kept
