"""The adaptive schedule's learned stop: the shipped map, read and applied."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dataroi.exceptions import UsageError
from dataroi.study._stop import StopModel, buys_labels, load_stop_model, looks_held


def test_the_shipped_map_loads_with_its_digest() -> None:
    m = load_stop_model()
    assert len(m.digest) == 64 and int(m.digest, 16) >= 0
    assert 0.5 < m.threshold < 1 and m.looks_cap >= 3
    assert "curve corpus" in m.source
    assert StopModel.from_text(json.dumps(m.to_dict())).to_dict() == m.to_dict()


def test_the_shipped_map_reads_a_look_as_the_corpus_did() -> None:
    """What the replay taught it: a higher stated P(same) and a recommendation held
    longer are right more often; one that buys labels less often."""
    m = load_stop_model()
    grid = np.linspace(0.0, 1.0, 11)
    for held in range(1, 9):
        chances = [m.chance(p, held=held, buys_labels=False) for p in grid]
        assert np.all(np.diff(chances) > 0)
    for p in grid:
        by_held = [m.chance(p, held=h, buys_labels=False) for h in range(1, 9)]
        assert np.all(np.diff(by_held) > 0)
        assert m.chance(p, held=3, buys_labels=True) < m.chance(p, held=3, buys_labels=False)
    # held beyond the cap counts as the cap
    assert m.chance(0.7, held=50, buys_labels=False) == m.chance(0.7, held=m.looks_cap,
                                                                 buys_labels=False)
    # a first look needs a stated P(same) near the target to stop on its own
    assert not m.stops("svm+0", [], 0.8)


def test_what_a_look_knows() -> None:
    assert looks_held("a+0", ["a+0", "b+0", "a+0"]) == 2
    assert looks_held("a+0", ["b+0"]) == 1
    assert [buys_labels(o) for o in ("a+0", "a+1600", "a+0@relabel", "a+800@relabel",
                                     "odd")] == [False, True, False, True, False]


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "stop model: not a stop model file"),
    ('{"weights": [1, 2, 3, 4], "threshold": 0.9}', "stop model: not a stop model file"),
    ('{"intercept": 0, "weights": [1, 2], "threshold": 0.9}', "four finite weights"),
    ('{"intercept": 0, "weights": [1, 2, 3, 4], "threshold": 1.5}', "threshold must be"),
])
def test_a_bad_map_is_refused_in_one_line(text, message) -> None:
    with pytest.raises(UsageError, match=message) as err:
        StopModel.from_text(text)
    assert "\n" not in str(err.value)
