"""The study spec: dataclasses, YAML loading and validation with field paths."""

from dataroi.spec._load import check_models, load_spec, spec_from_dict
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

__all__ = [
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
    "check_models",
    "load_spec",
    "spec_from_dict",
]
