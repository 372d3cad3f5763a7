"""benchmarks/learn_p_calibration.py (issue #19): the calibration of the staged plan's
P(net > 0) is learned on the default policy's outcomes, leave-data-set-out per fold,
monotone, the identity where it saw nothing, never certain, and readable by dataroi."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dataroi.decide import load_p_calibration

LEARNER = Path(__file__).resolve().parents[1] / "benchmarks" / "learn_p_calibration.py"


@pytest.fixture(scope="module")
def learner():
    spec = importlib.util.spec_from_file_location("learn_p_calibration", LEARNER)
    module = importlib.util.module_from_spec(spec)
    sys.modules["learn_p_calibration"] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("learn_p_calibration", None)


def _decisions(seed: int = 0) -> pd.DataFrame:
    """Six data sets' staged decisions at the default policy: stated p from 0.65, won
    more often than stated; data set "f" wins every time (its fold must not see it)."""
    rng = np.random.default_rng(seed)
    rows = []
    for ds in "abcdef":
        for _ in range(60):
            p = rng.uniform(0.65, 1.0)
            won = True if ds == "f" else rng.random() < min(1.0, p + 0.12)
            for method in ("dataroi@0.35", "dataroi@1.0"):
                rows.append({"dataset": ds, "method": method, "cost": 100.0,
                             "p_net_positive": p, "stages": 1,
                             "net": 50.0 if won or method == "dataroi@1.0" else -50.0})
        rows.append({"dataset": ds, "method": "dataroi@0.35", "cost": 0.0,
                     "p_net_positive": None, "stages": 0, "net": 0.0})  # stays: no spend
    return pd.DataFrame(rows)


def test_maps_are_learned_per_fold_without_the_held_out_data_sets(learner, tmp_path):
    dec = tmp_path / "decisions.csv"
    _decisions().to_csv(dec, index=False)
    gain = tmp_path / "gain"
    gain.mkdir()
    (gain / "folds.json").write_text(json.dumps(
        {"a": "fold-0.json", "b": "fold-0.json", "c": "fold-1.json", "d": "fold-1.json",
         "e": "fold-2.json", "f": "fold-2.json"}))
    out, folds = tmp_path / "p_calibration.json", tmp_path / "pcal"
    assert learner.main(["--decisions", str(dec), "--gain-folds", str(gain),
                         "--folds-out", str(folds), "--out", str(out)]) == 0
    assert learner.SOURCE_METHOD == "dataroi@0.35"  # the default policy's outcomes
    shipped = load_p_calibration(str(out))
    _, y = shipped.maps["staged"]
    assert list(y) == sorted(y) and max(y) <= learner.MAX_REALIZED  # never certain
    # below what it saw (0.65), the identity; above, the realized rate (higher here)
    assert shipped.apply("staged", 0.3) == pytest.approx(0.3)
    assert shipped.apply("staged", 0.7) > 0.75
    index = json.loads((folds / "folds.json").read_text())
    assert index == {"a": "fold-0.json", "b": "fold-0.json", "c": "fold-1.json",
                     "d": "fold-1.json", "e": "fold-2.json", "f": "fold-2.json"}
    # "f" always wins: the map of its own fold never saw it, the others did
    own = load_p_calibration(str(folds / "fold-2.json"))
    other = load_p_calibration(str(folds / "fold-0.json"))
    assert "4 data sets" in own.source and "without fold-2" in own.source
    assert own.apply("staged", 0.7) < other.apply("staged", 0.7)
