"""``schedule.adaptive``: ``true`` or a mapping of settings, checked with field paths;
absent, the spec (and its hash) is as before."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError, UsageError
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


def test_the_steady_stop_is_read_and_checked() -> None:
    on = _spec({"steady_looks": 4, "steady_target": 0.9}).schedule.adaptive
    assert on is not None and (on.steady_looks, on.steady_target) == (4, 0.9)
    assert _spec({"steady_looks": 0}).schedule.adaptive.steady_looks == 0
    with pytest.raises(SpecError) as err:
        _spec({"steady_looks": -1, "steady_target": 0})
    text = str(err.value)
    assert "schedule.adaptive.steady_looks" in text
    assert "schedule.adaptive.steady_target" in text


def test_the_learned_stop_is_asked_for() -> None:
    assert not _spec(True).schedule.adaptive.learned_stop  # the steady stop by default
    on = _spec({"learned_stop": True}).schedule.adaptive
    assert on is not None and on.learned_stop
    assert _spec({"learned_stop": False, "steady_looks": 4}).schedule.adaptive == (
        AdaptiveSpec(steady_looks=4))
    with pytest.raises(UsageError, match="leave out one or the other"):
        AdaptiveSpec(learned_stop=True, steady_looks=4)


@pytest.mark.parametrize(("adaptive", "message"), [
    ({"learned_stop": "yes"}, "schedule.adaptive.learned_stop: must be true or false"),
    ({"learned_stop": True, "steady_looks": 4},
     "schedule.adaptive: steady_looks and steady_target set the steady stop, which "
     "learned_stop: true replaces; leave out one or the other"),
])
def test_the_learned_stop_refuses_what_it_cannot_mean(adaptive, message) -> None:
    with pytest.raises(SpecError, match=message.replace(".", r"\.")):
        _spec(adaptive)


# -- the stopping rule is pre-registered with the decision rule -------------------------

def _decided(adaptive=None, **decision):
    sched = {"sizes": [20, 40, 80], "repeats": 3}
    if adaptive is not None:
        sched["adaptive"] = adaptive
    return spec_from_dict(BASE | {"schedule": sched,
                                  "decision": {"add": [80, 160]} | decision})


def test_the_stopping_rule_is_part_of_the_rule_hash_only_when_adaptive() -> None:
    from dataroi.decide import rule_hash
    from dataroi.spec import DecisionSpec

    plain, on = _decided(), _decided({"target": 0.9, "budget_cpu_seconds": 600})
    assert plain.decision is not None and plain.decision.adaptive is None
    assert "adaptive" not in plain.decision.rule_dict()
    # a rule without an adaptive schedule keeps the hash it had before the field existed
    assert rule_hash(plain.decision, metric="accuracy") == rule_hash(
        DecisionSpec(add=(80, 160)), metric="accuracy")
    assert on.decision is not None and on.decision.adaptive == on.schedule.adaptive
    assert on.decision.rule_dict()["adaptive"] == {
        "target": 0.9, "budget_cpu_seconds": 600, "initial_sizes": 2,
        "initial_repeats": 3, "batch_size": 3, "steady_looks": 3, "steady_target": 0.8}
    # the learned stop is its own rule (the steady settings it replaces are left out)
    learned = _decided({"target": 0.9, "budget_cpu_seconds": 600, "learned_stop": True})
    assert learned.decision is not None and learned.decision.rule_dict()["adaptive"] == {
        "target": 0.9, "budget_cpu_seconds": 600, "initial_sizes": 2,
        "initial_repeats": 3, "batch_size": 3, "learned_stop": True}
    # the old defaults, pinned, are their own rule, and read as it was registered before
    # the steady stop existed (its settings are left out while it is off)
    old = _decided({"target": 0.9, "budget_cpu_seconds": 600, "initial_sizes": 3,
                    "steady_looks": 0})
    assert old.decision is not None and old.decision.rule_dict()["adaptive"] == {
        "target": 0.9, "budget_cpu_seconds": 600, "initial_sizes": 3,
        "initial_repeats": 3, "batch_size": 3}
    hashes = {rule_hash(s.decision, metric="accuracy") for s in (
        plain, on, _decided({"target": 0.8, "budget_cpu_seconds": 600}), _decided(True),
        old, _decided({"target": 0.9, "budget_cpu_seconds": 600, "steady_looks": 4}),
        learned)}
    assert len(hashes) == 7  # each stopping rule is its own rule
    # the same rule written differently is the same rule
    assert rule_hash(on.decision, metric="accuracy") == rule_hash(
        _decided({"target": 0.9, "budget_cpu_seconds": 600.0}).decision, metric="accuracy")


def test_the_stopping_rule_survives_parse_decision() -> None:
    from dataroi.spec import parse_decision

    on = _decided({"target": 0.9})
    again = parse_decision(on.decision)
    assert again == on.decision and again.adaptive == AdaptiveSpec(target=0.9)
    with pytest.raises(SpecError, match="decision.adaptive: unknown key"):
        parse_decision({"adaptive": {"target": 0.9}})  # set by schedule.adaptive only


def test_without_a_decision_section_there_is_no_rule_to_hash() -> None:
    assert _spec(True).decision is None


def test_changing_the_stopping_rule_after_registering_reads_as_changed(tmp_path) -> None:
    """Registered in a real ledger, then the spec's ``schedule.adaptive.target`` edited:
    the registration says the rule changed."""
    import dataroi

    text = """\
name: iris-rule
data: {source: "sklearn:iris", target: target}
models:
  lr: {estimator: sklearn.linear_model.LogisticRegression}
schedule:
  sizes: [20, 40, 80]
  repeats: 3
  adaptive: {target: TARGET}
costs: {price_per_label_usd: 1.0, value_per_point_usd: 500}
decision: {add: [80]}
"""
    path = tmp_path / "study.yaml"
    path.write_text(text.replace("TARGET", "0.95"), encoding="utf-8")
    first = dataroi.load_study(path, build_models=False).register()
    assert first.status == "before_results" and not first.changed
    path.write_text(text.replace("TARGET", "0.8"), encoding="utf-8")
    edited = dataroi.load_study(path, build_models=False)
    reg = edited.register()
    assert reg.changed and reg.rule_hash != first.rule_hash
    assert "CHANGED" in reg.message
