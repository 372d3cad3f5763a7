"""Decisions under cost and risk: options, budget planner, LOC rounds, recommendation.

Typical use::

    rec = study.analyze().recommend(budget_usd=20000)   # the spec's costs: and decision:
    print(rec.text()); rec.to_dict()

or step by step on fitted curves (:func:`dataroi.value.fit_study_curves`)::

    opts = evaluate_options(curves, costs, target=0.92)
    plan = plan_budget(opts, rule="target", risk=0.1, budget_usd=20000)
    rounds = plan_rounds(curves, 0.92, costs, risk=0.1)

Example:
    >>> from dataroi.decide import RULES
    >>> RULES
    ('expected_net', 'quantile10', 'target')
"""

from __future__ import annotations

from dataroi.decide._calibration import PCalibration, load_p_calibration
from dataroi.decide._costs import CostModel
from dataroi.decide._followup import (
    MIN_CHECKS,
    FollowUp,
    ForecastCheck,
    TrackRecord,
    check_forecasts,
    forecast_quantiles,
    forecasts_at,
    ledger_track_record,
    measured_today,
    recalibrate_draws,
    track_record,
)
from dataroi.decide._options import Option, OptionSet, evaluate_options
from dataroi.decide._planner import RULES, BudgetPlan, plan_budget, scenarios
from dataroi.decide._recommend import Recommendation, check_target, decide
from dataroi.decide._register import (
    Registration,
    first_result_at,
    register_decision_rule,
    registration_status,
    rule_hash,
    study_first_result_at,
)
from dataroi.decide._rounds import RoundsPlan, plan_rounds, solve_rounds
from dataroi.decide._staged import StagedPlan, plan_staged

__all__ = [
    "MIN_CHECKS",
    "RULES",
    "BudgetPlan",
    "CostModel",
    "FollowUp",
    "ForecastCheck",
    "Option",
    "OptionSet",
    "PCalibration",
    "Recommendation",
    "Registration",
    "RoundsPlan",
    "StagedPlan",
    "TrackRecord",
    "check_forecasts",
    "check_target",
    "decide",
    "evaluate_options",
    "first_result_at",
    "forecast_quantiles",
    "forecasts_at",
    "ledger_track_record",
    "load_p_calibration",
    "measured_today",
    "plan_budget",
    "plan_rounds",
    "plan_staged",
    "recalibrate_draws",
    "register_decision_rule",
    "registration_status",
    "rule_hash",
    "scenarios",
    "solve_rounds",
    "study_first_result_at",
    "track_record",
]
