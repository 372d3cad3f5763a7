"""Guardrail metrics: what must not get worse beside the value, each with its direction
and margin, tested as their own declared family.

A guardrail is a per-row expression over the same names as a value model (``pred``,
``y``, ``score`` and the table's columns), e.g. the alert rate ``pred == 1`` (lower is
better: the alert desk's load) or a segment's recall. For each, the paired difference
candidate − baseline is bootstrapped on its own stream (keyed ``guardrail:<name>``, so
adding one changes no other interval) and judged by **non-inferiority at its margin**:
*held* when the interval rules out a worsening beyond the margin, *breached* when it
shows one, *not enough data* otherwise. The guardrails are one family, corrected
together by Bonferroni (each interval at confidence ``1 - (1 - confidence) / k``), and
kept apart from the segments' false-discovery search: a guardrail never spends the value
test's error budget, and a segment never a guardrail's.

Example:
    >>> [g.name for g in parse_guardrails({"alerts": {"expression": "pred == 1",
    ...     "direction": "lower", "margin": 0.02}})]
    ['alerts']
    >>> try:
    ...     parse_guardrails({"alerts": {"expression": "pred == 1", "direction": "down"}})
    ... except ImpactSpecError as exc:
    ...     print(*exc.problems, sep=chr(10))
    guardrails.alerts.direction: 'higher' or 'lower' (which way is better), got 'down'
    guardrails.alerts.margin: required (the worsening allowed, per row)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataroi.exceptions import ImpactSpecError
from dataroi.impact._bootstrap import Interval

__all__ = [
    "BREACHED",
    "HELD",
    "NOT_ENOUGH_DATA",
    "Guardrail",
    "GuardrailResult",
    "load_guardrails",
    "parse_guardrails",
]

HELD, BREACHED, NOT_ENOUGH_DATA = "held", "breached", "not enough data"


@dataclass(frozen=True)
class Guardrail:
    """One guardrail: ``expression`` per row, which ``direction`` is better, and the
    worsening ``margin`` allowed (per row, in the expression's units)."""

    name: str
    expression: str
    direction: str
    margin: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {"name": self.name, "expression": self.expression,
                "direction": self.direction, "margin": self.margin}


@dataclass(frozen=True)
class GuardrailResult:
    """A guardrail's verdict.

    Attributes:
        guardrail: the guardrail.
        baseline, candidate: its mean per row under each model.
        diff: candidate − baseline with its interval (Bonferroni over the family).
        confidence: the interval's confidence after the correction.
        verdict: :data:`HELD`, :data:`BREACHED` or :data:`NOT_ENOUGH_DATA`.
    """

    guardrail: Guardrail
    baseline: float
    candidate: float
    diff: Interval
    confidence: float
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        """Plain data."""
        return {**self.guardrail.to_dict(), "baseline": self.baseline,
                "candidate": self.candidate, "diff": self.diff.to_dict(),
                "confidence": self.confidence, "verdict": self.verdict}

    def sentence(self) -> str:
        """The verdict in words."""
        g, d = self.guardrail, self.diff
        worse = "higher" if g.direction == "lower" else "lower"
        return (f"guardrail {g.name} ({g.expression}; {g.direction} is better): "
                f"{self.baseline:.4g} -> {self.candidate:.4g}, difference {d.estimate:+.4g} "
                f"[{d.ci_low:+.4g}, {d.ci_high:+.4g}] at {self.confidence:.1%}: "
                f"{self.verdict.upper()} (margin {g.margin:g} {worse})")


def judge(diff: Interval, guardrail: Guardrail) -> str:
    """Non-inferiority of ``diff`` (candidate − baseline) at the guardrail's margin.

    Example:
        >>> iv = Interval(0.01, 0.004, 0.016, 0.003, 0.0, 1000)
        >>> judge(iv, Guardrail("alerts", "pred == 1", "lower", 0.02))
        'held'
        >>> judge(iv, Guardrail("alerts", "pred == 1", "lower", 0.002))
        'breached'
    """
    if guardrail.direction == "lower":  # worse = up
        if diff.ci_high < guardrail.margin:
            return HELD
        return BREACHED if diff.ci_low > guardrail.margin else NOT_ENOUGH_DATA
    if diff.ci_low > -guardrail.margin:
        return HELD
    return BREACHED if diff.ci_high < -guardrail.margin else NOT_ENOUGH_DATA


def parse_guardrails(raw: Any, *, source: str = "<mapping>") -> tuple[Guardrail, ...]:
    """Validate ``{name: {expression, direction, margin}}`` (every problem at once).

    Raises:
        ImpactSpecError: the problems, with their field paths.
    """
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise ImpactSpecError("guardrails: a mapping of name: {expression, direction, "
                              "margin}", what="guardrails", source=source)
    problems: list[str] = []
    out = []
    for name, g in raw.items():
        where = f"guardrails.{name}"
        if not isinstance(g, Mapping):
            problems.append(f"{where}: a mapping {{expression, direction, margin}}")
            continue
        unknown = set(g) - {"expression", "direction", "margin", "description"}
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        expr, direction, margin = g.get("expression"), g.get("direction"), g.get("margin")
        if not isinstance(expr, str) or not expr.strip():
            problems.append(f"{where}.expression: required (a per-row expression)")
        if direction not in ("higher", "lower"):
            problems.append(f"{where}.direction: 'higher' or 'lower' (which way is better), "
                            f"got {direction!r}")
        if margin is None:
            problems.append(f"{where}.margin: required (the worsening allowed, per row)")
        elif not (isinstance(margin, int | float) and not isinstance(margin, bool)
                  and math.isfinite(margin) and margin >= 0):
            problems.append(f"{where}.margin: a number >= 0, got {margin!r}")
        if not problems:
            out.append(Guardrail(str(name), str(expr), str(direction), float(margin)))
    if problems:
        raise ImpactSpecError(problems, what="guardrails", source=source)
    return tuple(out)


def load_guardrails(source: str | os.PathLike[str] | Mapping[str, Any]
                    ) -> tuple[Guardrail, ...]:
    """Read guardrails from a YAML file (``guardrails:`` at the top or the mapping
    itself) or a mapping.

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: the content is invalid.
    """
    from dataroi.impact._yaml import read_yaml_input

    raw, where = read_yaml_input(source, what="guardrails")
    if isinstance(raw, Mapping) and set(raw) == {"guardrails"}:
        raw = raw["guardrails"]
    return parse_guardrails(raw, source=where)
