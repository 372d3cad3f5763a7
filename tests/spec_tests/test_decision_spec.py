"""The optional costs: and decision: sections of the study spec."""

from __future__ import annotations

import pytest

from dataroi.exceptions import SpecError
from dataroi.spec import CostSpec, DecisionSpec, spec_from_dict
from tests.conftest import iris_spec

COSTS = {"price_per_label_usd": 0.1, "labels_per_item": 2, "adjudication_rate": 0.1,
         "fixed_cost_per_round_usd": 200, "labels_per_day": 500, "deadline_days": 30,
         "compute_price_per_hour_usd": 0.05, "retrains": 12,
         "engineering_cost_usd": {"logreg": 1000}, "value_per_point_usd": 5000,
         "point": 0.01, "periods": 4, "failure_penalty_usd": 20000,
         "unlabeled_items": 40000}
DECISION = {"metric": "accuracy", "target": 0.92, "risk": 0.1, "budget_usd": 20000,
            "rule": "target", "current_model": "logreg", "rounds": 3, "add": [5000, 1000],
            "guardrails": {"min_gain_per_1k": 0.001, "max_budget_usd": 15000,
                           "min_p_gain": 0.8}}


def test_full_sections_parse_and_do_not_change_the_spec_hash():
    plain = spec_from_dict(iris_spec())
    full = spec_from_dict(iris_spec(costs=COSTS, decision=DECISION))
    assert full.spec_hash == plain.spec_hash
    assert isinstance(full.costs, CostSpec) and isinstance(full.decision, DecisionSpec)
    assert full.costs.cost_per_item_usd == pytest.approx(0.21)
    assert full.costs.engineering_cost_usd == {"logreg": 1000.0}
    assert full.costs.unlabeled_items == 40000
    assert full.decision.add == (1000, 5000)
    assert full.decision.guardrails.min_p_gain == 0.8
    assert plain.costs is None and plain.decision is None


def test_every_problem_is_listed_with_its_field_path():
    with pytest.raises(SpecError) as info:
        spec_from_dict(iris_spec(
            costs={"price_per_lable_usd": 1, "value_per_point_usd": -5, "point": 0,
                   "retrains": 1.5, "engineering_cost_usd": {"logreg": -1},
                   "unlabeled_items": "lots"},
            decision={"rule": "expected", "current_model": "logrg", "risk": 0.9,
                      "metric": "roc_auc", "add": [0], "guardrails": {"min_p": 1}}))
    text = str(info.value)
    for expected in (
        "costs.price_per_lable_usd: unknown key (did you mean 'price_per_label_usd'?)",
        "costs.value_per_point_usd: must be a number >= 0, got -5",
        "costs.point: must be a number > 0, got 0",
        "costs.retrains: must be an integer >= 0, got 1.5",
        "costs.engineering_cost_usd.logreg: must be a number >= 0",
        "costs.unlabeled_items: must be an integer >= 0, got 'lots'",
        "decision.rule: must be one of expected_net, quantile10, target, got 'expected' "
        "(did you mean 'expected_net'?)",
        "decision.current_model: 'logrg' is not a model of the study (did you mean 'logreg'?)",
        "decision.risk: must be a number > 0 and <= 0.5, got 0.9",
        "decision.metric: 'roc_auc' is not one of the study's metrics",
        "decision.add: must be a list of positive integers",
        "decision.guardrails.min_p: unknown key (did you mean 'min_p_gain'?)",
    ):
        assert expected in text, expected


def test_rule_target_needs_a_target_and_sections_must_be_mappings():
    with pytest.raises(SpecError, match="decision.target: missing; rule 'target'"):
        spec_from_dict(iris_spec(decision={"rule": "target"}))
    with pytest.raises(SpecError, match="costs: must be a mapping"):
        spec_from_dict(iris_spec(costs=[1, 2]))


def test_costs_must_be_finite_in_range_and_name_real_models():
    with pytest.raises(SpecError) as info:
        spec_from_dict(iris_spec(
            costs={"price_per_label_usd": float("inf"), "value_per_point_usd": float("nan"),
                   "adjudication_rate": 3, "unlabeled_items": 2.5,
                   "engineering_cost_usd": {"logrg": 800, "tree": float("inf")}}))
    text = str(info.value)
    for expected in (
        "costs.price_per_label_usd: must be a number >= 0, got inf",
        "costs.value_per_point_usd: must be a number >= 0, got nan",
        "costs.adjudication_rate: must be a number >= 0 and <= 1, got 3",
        "costs.unlabeled_items: must be an integer >= 0, got 2.5",
        "costs.engineering_cost_usd.tree: must be a number >= 0, got inf",
    ):
        assert expected in text, expected
    with pytest.raises(SpecError) as info:
        spec_from_dict(iris_spec(costs={"engineering_cost_usd": {"logrg": 800}}))
    assert ("costs.engineering_cost_usd.logrg: not a model of the study (did you mean "
            "'logreg'?)") in str(info.value)
