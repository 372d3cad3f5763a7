"""Impact of a model change: value models, data contracts, paired CIs, segments, gates.

Answers "what will the candidate do to our numbers, for whom, and how sure are we?"
with paired statistics on the same rows. Heavy modules (pandas, pandera, matplotlib,
Jinja2) load only when used.

Example:
    >>> from dataroi.impact import load_value_model
    >>> vm = load_value_model({"expression": "3 * (pred == y) - 1", "terms": {}})
    >>> vm.kind
    'expression'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports

if TYPE_CHECKING:
    from dataroi._expr import Expression, compile_expression
    from dataroi.exceptions import ImpactSpecError
    from dataroi.impact._assess import (
        BreakEven,
        ImpactAssessment,
        ImpactResult,
        ModelSummary,
        PeriodResult,
        ScenarioResult,
        SegmentResult,
    )
    from dataroi.impact._before_after import BeforeAfter, before_after, newey_west
    from dataroi.impact._bootstrap import (
        Interval,
        bca_interval,
        benjamini_hochberg,
        paired_bootstrap,
    )
    from dataroi.impact._contract import Contract, ContractReport, load_contract
    from dataroi.impact._gate import Gate, GateResult, default_gate, load_gate
    from dataroi.impact._guardrails import (
        Guardrail,
        GuardrailResult,
        load_guardrails,
        parse_guardrails,
    )
    from dataroi.impact._history import (
        assessment_history,
        default_ledger_location,
        outlier_check,
        prediction_record,
        record_assessment,
        trend,
    )
    from dataroi.impact._inputs import PredictionSource, parse_source, resolve_predictions
    from dataroi.impact._observe import OBSERVATION_KIND, Effect, Observation, observe
    from dataroi.impact._report import render_html, render_markdown, to_json, write_report
    from dataroi.impact._spec import (
        SPEC_KIND,
        ImpactSpec,
        impact_spec_from_dict,
        load_impact_spec,
        registration_of,
    )
    from dataroi.impact._value import ValueModel, load_value_model

__all__ = [
    "OBSERVATION_KIND",
    "SPEC_KIND",
    "BeforeAfter",
    "BreakEven",
    "Contract",
    "ContractReport",
    "Effect",
    "Expression",
    "Gate",
    "GateResult",
    "Guardrail",
    "GuardrailResult",
    "ImpactAssessment",
    "ImpactResult",
    "ImpactSpec",
    "ImpactSpecError",
    "Interval",
    "ModelSummary",
    "Observation",
    "PeriodResult",
    "PredictionSource",
    "ScenarioResult",
    "SegmentResult",
    "ValueModel",
    "assessment_history",
    "bca_interval",
    "before_after",
    "benjamini_hochberg",
    "compile_expression",
    "default_gate",
    "default_ledger_location",
    "impact_spec_from_dict",
    "load_contract",
    "load_gate",
    "load_guardrails",
    "load_impact_spec",
    "load_value_model",
    "newey_west",
    "observe",
    "outlier_check",
    "paired_bootstrap",
    "parse_guardrails",
    "parse_source",
    "prediction_record",
    "record_assessment",
    "registration_of",
    "render_html",
    "render_markdown",
    "resolve_predictions",
    "to_json",
    "trend",
    "write_report",
]

_LAZY = {
    "BreakEven": "_assess", "ImpactAssessment": "_assess", "ImpactResult": "_assess",
    "ModelSummary": "_assess", "PeriodResult": "_assess", "ScenarioResult": "_assess",
    "SegmentResult": "_assess",
    "BeforeAfter": "_before_after", "before_after": "_before_after",
    "newey_west": "_before_after",
    "Interval": "_bootstrap", "bca_interval": "_bootstrap",
    "benjamini_hochberg": "_bootstrap", "paired_bootstrap": "_bootstrap",
    "Contract": "_contract", "ContractReport": "_contract", "load_contract": "_contract",
    "Effect": "_observe", "Observation": "_observe", "observe": "_observe",
    "OBSERVATION_KIND": "_observe",
    "Guardrail": "_guardrails", "GuardrailResult": "_guardrails",
    "load_guardrails": "_guardrails", "parse_guardrails": "_guardrails",
    "SPEC_KIND": "_spec", "ImpactSpec": "_spec", "impact_spec_from_dict": "_spec",
    "load_impact_spec": "_spec", "registration_of": "_spec",
    "ImpactSpecError": "dataroi.exceptions",
    "Expression": "dataroi._expr", "compile_expression": "dataroi._expr",
    "Gate": "_gate", "GateResult": "_gate", "default_gate": "_gate", "load_gate": "_gate",
    "assessment_history": "_history", "default_ledger_location": "_history",
    "record_assessment": "_history", "prediction_record": "_history",
    "outlier_check": "_history", "trend": "_history",
    "PredictionSource": "_inputs", "parse_source": "_inputs",
    "resolve_predictions": "_inputs",
    "render_html": "_report", "render_markdown": "_report", "write_report": "_report",
    "to_json": "_report",
    "ValueModel": "_value", "load_value_model": "_value",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
