"""``decision.relabel``: the noise rate of today's labels and how they would be relabeled,
checked with field paths; part of the rule's hash only when given."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError
from dataroi.spec import DecisionSpec, RelabelSpec, parse_decision, spec_from_dict

BASE = {"data": "sklearn:iris",
        "models": {"lr": "sklearn.linear_model.LogisticRegression",
                   "tree": "sklearn.tree.DecisionTreeClassifier"},
        "schedule": {"sizes": [20, 40, 80], "repeats": 3}}


def _decided(relabel=None):
    decision = {"add": [80]} | ({} if relabel is None else {"relabel": relabel})
    return spec_from_dict(BASE | {"decision": decision})


def test_a_mapping_sets_each_field_with_defaults() -> None:
    d = _decided({"rate_now": 0.1}).decision
    assert d is not None and d.relabel == RelabelSpec(rate_now=0.1)
    assert d.relabel.rate_after is None and d.relabel.opinions == 2
    full = _decided({"rate_now": 0.2, "rate_after": 0.05, "opinions": 1, "model": "lr",
                     "cleaner": "lr[noise=0.05]"}).decision
    assert full is not None and full.relabel == RelabelSpec(0.2, 0.05, 1, "lr[noise=0.05]",
                                                            "lr")


@pytest.mark.parametrize(("relabel", "message"), [
    ({}, "decision.relabel.rate_now: missing"),
    ({"rate_now": 1.0}, "decision.relabel.rate_now: must be below 1"),
    ({"rate_now": -0.1}, "decision.relabel.rate_now: must be a number >= 0"),
    ({"rate_now": 0.1, "rate_after": 0.2}, "decision.relabel.rate_after: must be <= rate_now"),
    ({"rate_now": 0.1, "opinions": 0}, "decision.relabel.opinions: must be an integer >= 1"),
    ({"rate_now": 0.1, "opinions": 2.5}, "decision.relabel.opinions: must be an integer"),
    ({"rate_now": 0.1, "model": "svm"}, "decision.relabel.model: 'svm' is not a model"),
    ({"rate_now": 0.1, "cleaner": 3}, "decision.relabel.cleaner: must be a model name"),
    ({"rate_now": 0.1, "rate": 0.2}, "decision.relabel.rate: unknown key .did you mean .rate_now"),
    (0.1, "decision.relabel: must be a mapping"),
])
def test_bad_settings_name_the_field(relabel, message) -> None:
    with pytest.raises(SpecError, match=message):
        _decided(relabel)


def test_relabel_is_part_of_the_rule_hash_only_when_given() -> None:
    from dataroi.decide import rule_hash

    plain, on = _decided(), _decided({"rate_now": 0.1})
    assert plain.decision is not None and "relabel" not in plain.decision.rule_dict()
    # a rule without relabel options keeps the hash it had before the field existed
    assert rule_hash(plain.decision, metric="accuracy") == rule_hash(
        DecisionSpec(add=(80,)), metric="accuracy")
    assert on.decision is not None and on.decision.rule_dict()["relabel"] == {
        "rate_now": 0.1, "rate_after": None, "opinions": 2, "cleaner": None, "model": None}
    hashes = {rule_hash(s.decision, metric="accuracy") for s in (
        plain, on, _decided({"rate_now": 0.2}), _decided({"rate_now": 0.1, "opinions": 1}))}
    assert len(hashes) == 4
    # parse_decision of a DecisionSpec built in Python keeps it
    assert parse_decision(on.decision) == on.decision
