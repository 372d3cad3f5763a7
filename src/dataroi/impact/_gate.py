"""Gates: pass/fail conditions on an assessment, for a CI/CD step.

A gate file lists conditions; each compares one number of the result with a constant::

    margin: 2.5                                   # USD per row a segment may lose (optional)
    conditions:
      - value_diff.ci_low > 0                     # the candidate adds value, surely
      - no segment harmed beyond the margin       # evidence of no harm, per segment
      - accuracy_diff.ci_low > -0.01              # non-inferiority on accuracy
      - condition: p_candidate_worse < 0.05
        description: at most a 5 % chance the candidate is worse

Names are those of :meth:`ImpactResult.flat_metrics` (``value_diff`` alone means its
estimate). ``no segment harmed beyond the margin`` means
``segments.n_harm_not_ruled_out == 0``: every tested segment's lower confidence bound lies
above ``-margin`` (evidence of no harm, not absence of evidence of harm).
``no segment significantly worse`` means ``segments.n_significantly_worse == 0`` (the
older, weaker condition: a segment with too few rows to find harm passes it).
``margin`` is in value units per row (``auto``, the default: the candidate's average
gain per row); it is applied when the assessment runs (``ImpactAssessment(margin=...)``,
which the command line does from the gate file).

When no gate file is given, :func:`default_gate` applies: the value difference's lower
bound above 0 and no segment harmed beyond the margin.

Example:
    >>> gate = load_gate({"conditions": ["value_diff.ci_low > 0",
    ...                                  "no segment significantly worse"]})
    >>> res = gate.evaluate({"value_diff.ci_low": 0.4, "segments.n_significantly_worse": 1})
    >>> res.passed, [c.passed for c in res.conditions]
    (False, [True, False])
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dataroi._money import amount
from dataroi.exceptions import ImpactSpecError
from dataroi.impact._yaml import read_yaml_input

__all__ = ["Condition", "ConditionResult", "Gate", "GateResult", "default_gate", "load_gate"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
    "==": operator.eq, "!=": operator.ne,
}
_PATTERN = re.compile(
    r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*(>=|<=|==|!=|>|<)\s*"
    r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:\((.*)\))?\s*$")
_NO_WORSE = re.compile(r"^\s*no[ _]segments?[ _](significantly[ _])?worse\s*$", re.I)
_NO_HARM = re.compile(r"^\s*(no[ _]segments?[ _]harmed([ _]beyond[ _]the[ _]margin)?"
                      r"|no[ _]harm[ _]beyond[ _]the[ _]margin)\s*$", re.I)
HARM_NAME = "segments.n_harm_not_ruled_out"
_GUARDRAILS = re.compile(r"^\s*(every|all)[ _]guardrails?[ _]held\s*$", re.I)
GUARDRAIL_NAME = "guardrails.n_not_held"

#: Names every result has (more appear with scores: roc_auc_diff, candidate.roc_auc ...).
KNOWN_NAMES = (
    "value_diff", "value_diff.estimate", "value_diff.ci_low", "value_diff.ci_high",
    "value_diff.se", "value_diff.p_below_zero",
    "value_diff_per_period", "value_diff_per_period.ci_low", "value_diff_per_period.ci_high",
    "value_diff_total", "value_diff_total.ci_low", "value_diff_total.ci_high",
    "accuracy_diff", "accuracy_diff.ci_low", "accuracy_diff.ci_high",
    "p_candidate_worse", "var_per_period", "cvar_per_period",
    "segments.n_significantly_worse", "segments.n_harm_not_ruled_out",
    "segments.n_harm_found", "segments.n_not_enough_data", "segments.n_not_judged",
    "segments.n_tested", "margin", "roc_auc_diff",
    "baseline.value_per_row", "candidate.value_per_row", "baseline.accuracy",
    "candidate.accuracy", "baseline.roc_auc", "candidate.roc_auc", "baseline.brier",
    "candidate.brier", "baseline.ece", "candidate.ece", "baseline.value_total",
    "candidate.value_total",
)
_PREFIXES = ("value_diff", "value_diff_per_period", "value_diff_total", "accuracy_diff")
_FIELDS = ("estimate", "ci_low", "ci_high", "se", "p_below_zero")


def _known(name: str) -> bool:
    if name in KNOWN_NAMES:
        return True
    head, _, tail = name.partition(".")
    return head in _PREFIXES and tail in _FIELDS


@dataclass(frozen=True)
class Condition:
    """One condition: ``name op threshold`` and the text it came from."""

    text: str
    name: str
    op: str
    threshold: float
    description: str = ""


@dataclass(frozen=True)
class ConditionResult:
    """A condition with the observed value and whether it held."""

    condition: Condition
    observed: float | None
    passed: bool
    detail: str = ""

    def line(self) -> str:
        """One line for the terminal: PASS/FAIL, the condition and what was observed."""
        obs = "missing" if self.observed is None else f"{self.observed:.6g}"
        mark = "PASS" if self.passed else "FAIL"
        desc = f" — {self.condition.description}" if self.condition.description else ""
        detail = f": {self.detail}" if self.detail else ""
        return (f"{mark}  {self.condition.text}  (observed {self.condition.name} = {obs})"
                f"{desc}{detail}")


@dataclass(frozen=True)
class GateResult:
    """The verdict of a gate: passed only when every condition held."""

    passed: bool
    conditions: tuple[ConditionResult, ...]
    source: str = "<mapping>"
    margin: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"passed": self.passed, "source": self.source, "margin": self.margin,
                "conditions": [{"condition": c.condition.text, "name": c.condition.name,
                                "observed": c.observed, "passed": c.passed,
                                "description": c.condition.description,
                                "detail": c.detail}
                               for c in self.conditions]}


@dataclass(frozen=True)
class Gate:
    """A validated gate (frozen). Build it with :func:`load_gate` or :func:`default_gate`.

    Attributes:
        conditions: the conditions, all of which must hold.
        source: where the gate came from (a path, ``<mapping>``, ``<default gate>``).
        margin: the harm a segment may show (value units per row); None: ``auto``.
    """

    conditions: tuple[Condition, ...]
    source: str = "<mapping>"
    margin: float | None = None

    @property
    def hash(self) -> str:
        """SHA-256 of the conditions and the margin."""
        text = json.dumps([[c.name, c.op, c.threshold] for c in self.conditions]
                          + ([["margin", self.margin]] if self.margin is not None else []))
        return hashlib.sha256(text.encode()).hexdigest()

    def evaluate(self, metrics: Mapping[str, float] | Any) -> GateResult:
        """Check every condition against a result (or its ``flat_metrics()`` mapping).

        A number that the result does not have (e.g. ``roc_auc_diff`` for labels only)
        or that is NaN fails its condition.

        Raises:
            ImpactSpecError: the gate sets a margin and the result was assessed with
                another one (pass ``margin=`` to :class:`ImpactAssessment`).
        """
        result = None if isinstance(metrics, Mapping) else metrics
        if result is not None and self.margin is not None:
            used = result.settings.get("margin")
            if used != self.margin:
                raise ImpactSpecError(
                    f"margin: the gate sets {self.margin:g} but the assessment used "
                    f"{used!r}; pass margin={self.margin:g} to ImpactAssessment",
                    what="gate", source=self.source)
        flat = metrics if result is None else result.flat_metrics()
        out = []
        for c in self.conditions:
            v = flat.get(c.name)
            ok = v is not None and v == v and _OPS[c.op](float(v), c.threshold)
            detail = _harm_detail(result) if result is not None and c.name == HARM_NAME \
                else ""
            out.append(ConditionResult(c, None if v is None else float(v), bool(ok),
                                       detail))
        margin = flat.get("margin")
        return GateResult(passed=all(r.passed for r in out), conditions=tuple(out),
                          source=self.source,
                          margin=None if margin is None else float(margin))


def _harm_detail(result: Any) -> str:
    """Which segments keep the harm condition from holding, and the margin."""
    from dataroi.impact._segments import HARM, NOT_ENOUGH, NOT_JUDGED

    cur = result.settings.get("currency", "")
    found = [s.name for s in result.segments if s.harm == HARM]
    open_ = [s.name for s in result.segments if s.harm == NOT_ENOUGH]
    skipped = sum(s.harm == NOT_JUDGED for s in result.segments)
    parts = [f"margin {amount(result.margin)} {cur}/row"
             + (" (auto: the average gain per row)"
                if result.settings.get("margin") == "auto" else ""),
             f"{result.n_tested} segments tested"]
    if found:
        parts.append(f"harm found in {', '.join(found)}")
    if open_:
        parts.append(f"not enough data to rule out harm in {', '.join(open_)}")
    if skipped:
        parts.append(f"{skipped} not judged (too few disagreeing rows)")
    return "; ".join(parts)


def default_gate(margin: float | None = None) -> Gate:
    """The gate used when none is given: evidence of value and of no harm.

    Conditions: ``value_diff.ci_low > 0``, ``no segment harmed beyond the margin`` and
    ``every guardrail held`` (true when there are none).

    Example:
        >>> [c.name for c in default_gate().conditions]
        ['value_diff.ci_low', 'segments.n_harm_not_ruled_out', 'guardrails.n_not_held']
    """
    return Gate((
        Condition("value_diff.ci_low > 0", "value_diff.ci_low", ">", 0.0,
                  "the candidate adds value, with the interval's confidence"),
        Condition("no segment harmed beyond the margin", HARM_NAME, "==", 0.0,
                  "every tested segment's lower bound above -margin"),
        Condition("every guardrail held", GUARDRAIL_NAME, "==", 0.0,
                  "every guardrail's interval rules out a worsening beyond its margin"),
    ), source="<default gate>", margin=margin)


def _parse(text: str, path: str) -> Condition | str:
    if _NO_WORSE.match(text):
        return Condition(text.strip(), "segments.n_significantly_worse", "==", 0.0)
    if _NO_HARM.match(text):
        return Condition(text.strip(), HARM_NAME, "==", 0.0)
    if _GUARDRAILS.match(text):
        return Condition(text.strip(), GUARDRAIL_NAME, "==", 0.0,
                         "every guardrail's interval rules out a worsening beyond its margin")
    m = _PATTERN.match(text)
    if not m:
        return (f"{path}: cannot read {text!r}; write NAME OP NUMBER (e.g. value_diff.ci_low "
                "> 0), 'no segment harmed beyond the margin', 'every guardrail held' or 'no "
                "segment significantly worse'")
    name, op, num, note = m.groups()
    if not _known(name):
        return (f"{path}: unknown name {name!r}; known: {', '.join(KNOWN_NAMES[:12])} ... "
                "(see docs/impact.md)")
    return Condition(text.strip(), name, op, float(num), (note or "").strip())


def load_gate(source: str | os.PathLike[str] | Mapping[str, Any]) -> Gate:
    """Load and validate a gate from a YAML file or a mapping (every problem at once).

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: a condition cannot be read or names an unknown number.
    """

    raw, where = read_yaml_input(source, what="gate")
    if isinstance(raw, list):
        raw = {"conditions": raw}
    if not isinstance(raw, Mapping) or not isinstance(raw.get("conditions"), list) or \
            not raw["conditions"]:
        raise ImpactSpecError("conditions: must be a non-empty list", what="gate",
                              source=where)
    problems: list[str] = []
    for key in raw:
        if key not in ("conditions", "description", "margin"):
            problems.append(f"{key}: unknown field; allowed: conditions, description, margin")
    margin = raw.get("margin", "auto")
    if margin == "auto" or margin is None:
        margin = None
    elif isinstance(margin, bool) or not isinstance(margin, int | float) or \
            not math.isfinite(margin) or margin < 0:
        problems.append(f"margin: must be a number >= 0 (value per row) or 'auto', got "
                        f"{margin!r}")
        margin = None
    else:
        margin = float(margin)
    conditions: list[Condition] = []
    for i, item in enumerate(raw["conditions"]):
        path = f"conditions[{i}]"
        desc = ""
        if isinstance(item, Mapping):
            desc = str(item.get("description", ""))
            item = item.get("condition")
        if not isinstance(item, str):
            problems.append(f"{path}: must be a text like 'value_diff.ci_low > 0'")
            continue
        parsed = _parse(item, path)
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            if desc:
                parsed = Condition(parsed.text, parsed.name, parsed.op, parsed.threshold, desc)
            conditions.append(parsed)
    if problems:
        raise ImpactSpecError(problems, what="gate", source=where)
    return Gate(tuple(conditions), source=where, margin=margin)
