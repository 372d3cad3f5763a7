"""The study spec: dataclasses, YAML loading and validation with field paths."""

from dataroi.spec._load import load_spec, parse_costs, parse_decision, spec_from_dict
from dataroi.spec._model import (
    CostSpec,
    DataSpec,
    DecisionSpec,
    GuardrailSpec,
    ModelSpec,
    ScheduleSpec,
    SliceSpec,
    SplitSpec,
    StudySpec,
    VariantSpec,
    canonical_hash,
)
from dataroi.spec._stress import NOISE_KINDS, STRATEGIES, is_annotation_source
from dataroi.spec._template import DEMO_SPEC, TEMPLATE

__all__ = [
    "DEMO_SPEC",
    "NOISE_KINDS",
    "STRATEGIES",
    "TEMPLATE",
    "CostSpec",
    "DataSpec",
    "DecisionSpec",
    "GuardrailSpec",
    "ModelSpec",
    "ScheduleSpec",
    "SliceSpec",
    "SplitSpec",
    "StudySpec",
    "VariantSpec",
    "canonical_hash",
    "is_annotation_source",
    "load_spec",
    "parse_costs",
    "parse_decision",
    "spec_from_dict",
]
