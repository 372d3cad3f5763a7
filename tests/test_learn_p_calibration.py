"""benchmarks/learn_p_calibration.py (issue #19): the calibration of the staged plan's
and the one-shot option's P(net > 0) is learned on the default policy's outcomes,
leave-data-set-out per fold, monotone, the identity where it saw nothing, never certain,
and readable by dataroi."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dataroi.decide import load_p_calibration
from tests._benchmarks import benchmark_module


@pytest.fixture(scope="module")
def learner():
    yield from benchmark_module("learn_p_calibration")


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


def _one_shot(seed: int = 1) -> pd.DataFrame:
    """One-shot options taken at the default policy (``stages`` 0), over-confident: won
    less often than stated."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.65, 1.0, 120)
    won = rng.random(120) < p - 0.2
    return pd.DataFrame({"dataset": np.repeat(list("abcdef"), 20), "method": "dataroi@0.35",
                         "cost": 10.0, "p_net_positive": p, "stages": 0,
                         "net": np.where(won, 5.0, -5.0)})


@pytest.mark.parametrize("method", ["logistic", "isotonic"])
def test_one_shot_options_get_their_own_map_and_a_small_kind_none(learner, tmp_path,
                                                                  capsys, method):
    gain = tmp_path / "gain"
    gain.mkdir()
    (gain / "folds.json").write_text(json.dumps({d: f"fold-{i % 2}.json"
                                                 for i, d in enumerate("abcdef")}))
    both = tmp_path / "both.csv"
    pd.concat([_decisions(), _one_shot()]).to_csv(both, index=False)
    out = tmp_path / "p.json"
    assert learner.main(["--decisions", str(both), "--gain-folds", str(gain), "--folds-out",
                         str(tmp_path / "f"), "--out", str(out), "--method", method]) == 0
    cal = load_p_calibration(str(out))
    assert set(cal.maps) == {"staged", "option"}
    # the staged plans won more often than stated, the one-shot options less
    assert cal.apply("staged", 0.8) > 0.8 > cal.apply("option", 0.8)
    for kind in cal.maps:
        x, y = cal.maps[kind]
        assert list(x) == sorted(x) and list(y) == sorted(y) and max(y) <= 0.995
    printed = capsys.readouterr().out
    assert "held-out check (" in printed and "stated 0." in printed
    # a kind with too few decisions is left as the model states it
    few = tmp_path / "few.csv"
    pd.concat([_decisions(), _one_shot().head(learner.MIN_DECISIONS - 1)]).to_csv(
        few, index=False)
    out2 = tmp_path / "p2.json"  # (load_p_calibration caches by path)
    assert learner.main(["--decisions", str(few), "--gain-folds", str(gain), "--folds-out",
                         str(tmp_path / "g"), "--out", str(out2), "--method", method]) == 0
    assert set(load_p_calibration(str(out2)).maps) == {"staged"}
    assert f"fewer than {learner.MIN_DECISIONS}: no map" in capsys.readouterr().out
