"""``schedule.adaptive``: ``true`` or a mapping of settings, checked with field paths;
absent, the spec (and its hash) is as before."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError
from dataroi.spec import AdaptiveSpec, spec_from_dict

BASE = {"data": "sklearn:iris",
        "models": {"lr": "sklearn.linear_model.LogisticRegression"}}


def _spec(adaptive=None, **schedule):
    sched = {"sizes": [20, 40, 80], "repeats": 3} | schedule
    if adaptive is not None:
        sched["adaptive"] = adaptive
    return spec_from_dict(BASE | {"schedule": sched})


def test_absent_or_false_is_the_full_grid_and_keeps_the_hash() -> None:
    plain = _spec()
    assert plain.schedule.adaptive is None
    assert "adaptive" not in plain.to_dict()["schedule"]
    off = _spec(False)
    assert off.schedule.adaptive is None
    assert off.to_dict() == plain.to_dict()


def test_true_takes_the_defaults() -> None:
    spec = _spec(True)
    assert spec.schedule.adaptive == AdaptiveSpec()
    assert spec.to_dict()["schedule"]["adaptive"]["target"] == 0.95
    assert spec.to_dict() != _spec().to_dict()


def test_a_mapping_sets_each_field() -> None:
    spec = _spec({"target": 0.9, "budget_cpu_seconds": 120, "initial_sizes": 2,
                  "initial_repeats": 2, "batch_size": 4})
    assert spec.schedule.adaptive == AdaptiveSpec(target=0.9, budget_cpu_seconds=120.0,
                                                  initial_sizes=2, initial_repeats=2,
                                                  batch_size=4)


@pytest.mark.parametrize(("adaptive", "message"), [
    ("yes", "schedule.adaptive: must be true, false or a mapping"),
    ({"target": 1.5}, "schedule.adaptive.target: must be a number > 0 and <= 1, got 1.5"),
    ({"target": 0}, "schedule.adaptive.target: must be a number > 0"),
    ({"budget_cpu_seconds": -1}, "schedule.adaptive.budget_cpu_seconds: must be a number > 0"),
    ({"initial_sizes": 0}, "schedule.adaptive.initial_sizes: must be an integer >= 1"),
    ({"initial_repeats": 4}, "schedule.adaptive.initial_repeats: at most schedule.repeats (3)"),
    ({"batch_size": 1.5}, "schedule.adaptive.batch_size: must be an integer"),
    ({"batchsize": 2}, "schedule.adaptive.batchsize: unknown key (did you mean 'batch_size'?)"),
])
def test_bad_settings_name_the_field(adaptive, message) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?").replace(".", r"\.")):
        _spec(adaptive)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SpecError) as err:
        _spec({"target": 2, "initial_repeats": 9, "colour": "red"}, repeats=0)
    text = str(err.value)
    for field in ("schedule.repeats", "schedule.adaptive.target",
                  "schedule.adaptive.colour"):
        assert field in text
