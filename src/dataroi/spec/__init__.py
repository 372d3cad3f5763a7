"""The study spec: dataclasses, YAML loading and validation with field paths."""

from dataroi.spec._contract import (
    Contract,
    ContractReport,
    contract_problems,
    parse_contract,
)
from dataroi.spec._load import load_spec, parse_costs, parse_decision, spec_from_dict
from dataroi.spec._model import (
    PREPROCESS_REVISION,
    AdaptiveSpec,
    CostSpec,
    DataSpec,
    DecisionSpec,
    GuardrailSpec,
    ModelSpec,
    PreprocessSpec,
    RelabelSpec,
    ScheduleSpec,
    SliceSpec,
    SplitSpec,
    StudySpec,
    VariantSpec,
    canonical_hash,
    is_arm_name,
)
from dataroi.spec._stress import NOISE_KINDS, STRATEGIES, is_annotation_source
from dataroi.spec._template import DEMO_SPEC, TEMPLATE, decision_sections, metric_choices

__all__ = [
    "DEMO_SPEC",
    "NOISE_KINDS",
    "PREPROCESS_REVISION",
    "STRATEGIES",
    "TEMPLATE",
    "AdaptiveSpec",
    "Contract",
    "ContractReport",
    "CostSpec",
    "DataSpec",
    "DecisionSpec",
    "GuardrailSpec",
    "ModelSpec",
    "PreprocessSpec",
    "RelabelSpec",
    "ScheduleSpec",
    "SliceSpec",
    "SplitSpec",
    "StudySpec",
    "VariantSpec",
    "canonical_hash",
    "contract_problems",
    "decision_sections",
    "is_annotation_source",
    "is_arm_name",
    "load_spec",
    "metric_choices",
    "parse_contract",
    "parse_costs",
    "parse_decision",
    "spec_from_dict",
]
