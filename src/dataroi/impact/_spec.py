"""The impact spec (``impact.yaml``): a model change's assessment written down, and
registered, before its results exist.

One file holds what ``dataroi impact run`` would otherwise take as options — the
baseline and candidate, the target, the value model, the contract, the segments, the
margin and the gate — together with what a pre-registration needs: the **hypothesis**,
the **expected** value difference per row with its interval (the anticipated impact), and
the **rollback cost** (what undoing the change would cost). ``dataroi impact register
impact.yaml`` stores its hash with a timestamp in the ledger (an ``impact_spec``
document); ``dataroi impact run TABLE --spec impact.yaml`` then says whether the spec was
registered before any assessment of its series existed, whether it changed since, and
whether the estimate fell inside the expected interval.

The hash covers the spec and the content of the files it names (value model, contract,
gate), so editing the value model after the registration reads as a change.

Example:
    >>> spec = impact_spec_from_dict({
    ...     "name": "delays", "hypothesis": "fewer missed delays",
    ...     "expected": {"estimate": 0.5, "low": 0.1, "high": 0.9},
    ...     "baseline": "col:p_old", "candidate": "col:p_new",
    ...     "value": {"payoff": {"tp": 10, "fp": -2, "fn": -10, "tn": 0}},
    ...     "rollback_cost_usd": 2000})
    >>> spec.name, spec.expected, spec.segments
    ('delays', (0.5, 0.1, 0.9), ())
    >>> try:
    ...     impact_spec_from_dict({"name": "x", "hypothesis": "h", "baseline": "col:a",
    ...                            "candidate": "col:b", "value": "v.yaml", "segmnts": []})
    ... except ImpactSpecError as exc:
    ...     print(exc.problems[0])
    segmnts: unknown field (did you mean 'segments'?)
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataroi._names import did_you_mean
from dataroi.exceptions import ImpactSpecError

__all__ = ["SPEC_KIND", "ImpactSpec", "impact_spec_from_dict", "load_impact_spec",
           "registration_of"]

#: the ledger document kind of a registered impact spec
SPEC_KIND = "impact_spec"

_FIELDS = {"name", "hypothesis", "expected", "baseline", "candidate", "target", "id",
           "value", "contract", "segments", "margin", "gate", "rollback_cost_usd",
           "description", "guardrails", "task"}


@dataclass(frozen=True)
class ImpactSpec:
    """A validated impact spec.

    Attributes:
        name: the assessment series (``impact run --name``).
        hypothesis: what the change is expected to do, in words.
        expected: the anticipated value difference per row (estimate, low, high), or
            None.
        baseline, candidate: prediction sources (``col:NAME``, ``file:PATH[:COLUMN]``,
            ``model:PATH``; a relative path is relative to the spec's folder).
        target, id: the ground-truth and row-id columns.
        value: the value model (a path, resolved, or an inline mapping).
        contract: the data contract (a path or a mapping), or None.
        segments: segment columns.
        margin: the harm a segment may show (value per row) or ``"auto"``.
        gate: a gate file or mapping; ``"default"`` (the built-in gate) or ``"none"``.
        rollback_cost_usd: what undoing the change would cost, or None.
        task: ``classification`` or ``regression`` (a number predicted).
        guardrails: the guardrail metrics (:func:`~dataroi.impact.parse_guardrails`'s
            mapping), or None.
        source: the spec file, or ``<mapping>``.
        digest: SHA-256 of the spec and the content of the files it names.
    """

    name: str
    hypothesis: str
    expected: tuple[float, float, float] | None
    baseline: str
    candidate: str
    target: str = "y"
    id: str = "id"
    value: str | Mapping[str, Any] = ""
    contract: str | Mapping[str, Any] | None = None
    segments: tuple[str, ...] = ()
    margin: float | str = "auto"
    gate: str | Mapping[str, Any] = "default"
    rollback_cost_usd: float | None = None
    description: str = ""
    guardrails: Mapping[str, Any] | None = None
    task: str = "classification"
    source: str = "<mapping>"
    digest: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what a registration stores)."""
        return {"name": self.name, "hypothesis": self.hypothesis,
                "expected": None if self.expected is None else dict(
                    zip(("estimate", "low", "high"), self.expected, strict=True)),
                "baseline": self.baseline, "candidate": self.candidate,
                "target": self.target, "id": self.id, "segments": list(self.segments),
                "margin": self.margin, "rollback_cost_usd": self.rollback_cost_usd,
                "description": self.description, "digest": self.digest,
                "guardrails": None if self.guardrails is None else dict(self.guardrails),
                "task": self.task}


def _resolve(value: Any, base: Path | None) -> Any:
    if isinstance(value, str) and base is not None and not Path(value).is_absolute():
        return str(base / value)
    return value


def _source(text: str, base: Path | None) -> str:
    """A prediction source with a relative file/model path made relative to ``base``."""
    kind, sep, rest = text.partition(":")
    if sep and kind in ("file", "model") and base is not None and rest \
            and not Path(rest.split(":")[0]).is_absolute():
        return f"{kind}:{base / rest}"
    return text


def _content(value: Any) -> Any:
    """What the digest covers for a file field: the file's bytes' SHA-256, or the
    mapping itself."""
    if isinstance(value, str) and value not in ("default", "none", "auto"):
        p = Path(value)
        if p.is_file():
            return hashlib.sha256(p.read_bytes()).hexdigest()
    return value


def impact_spec_from_dict(raw: Mapping[str, Any], *, source: str = "<mapping>",
                          base: str | os.PathLike[str] | None = None) -> ImpactSpec:
    """Validate an impact spec given as a mapping (every problem at once).

    Args:
        raw: the spec.
        source: where it came from (for messages).
        base: the folder relative paths are resolved against.

    Raises:
        ImpactSpecError: the problems, each with its field path.
    """
    folder = Path(base) if base is not None else None
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise ImpactSpecError("must be a mapping (name, hypothesis, baseline, candidate, "
                              "value, ...)", what="impact spec", source=source)
    for key in raw:
        if key not in _FIELDS:
            problems.append(f"{key}: unknown field{did_you_mean(str(key), sorted(_FIELDS))}")
    for key in ("name", "hypothesis", "baseline", "candidate", "value"):
        if key not in raw or raw[key] in (None, ""):
            problems.append(f"{key}: required")
    for key in ("name", "hypothesis", "baseline", "candidate", "target", "id",
                "description"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            problems.append(f"{key}: must be text, got {raw[key]!r}")
    expected = None
    exp = raw.get("expected")
    if exp is not None:
        if not isinstance(exp, Mapping) or set(exp) - {"estimate", "low", "high"} \
                or not {"estimate", "low", "high"} <= set(exp):
            problems.append("expected: must be {estimate, low, high} (the anticipated value "
                            "difference per row and its interval)")
        else:
            vals = [exp[k] for k in ("estimate", "low", "high")]
            if not all(isinstance(v, int | float) and not isinstance(v, bool)
                       and math.isfinite(v) for v in vals):
                problems.append(f"expected: estimate, low and high must be finite numbers, "
                                f"got {dict(exp)}")
            elif not vals[1] <= vals[0] <= vals[2]:
                problems.append(f"expected: needs low <= estimate <= high, got {dict(exp)}")
            else:
                expected = (float(vals[0]), float(vals[1]), float(vals[2]))
    segments = raw.get("segments") or []
    if isinstance(segments, str):
        segments = [s.strip() for s in segments.split(",") if s.strip()]
    if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
        problems.append(f"segments: must be a list of column names, got {segments!r}")
        segments = []
    margin = raw.get("margin", "auto")
    if margin != "auto" and not (isinstance(margin, int | float) and not isinstance(
            margin, bool) and math.isfinite(margin) and margin >= 0):
        problems.append(f"margin: must be a number >= 0 (value per row) or 'auto', got "
                        f"{margin!r}")
    rollback = raw.get("rollback_cost_usd")
    if rollback is not None and not (isinstance(rollback, int | float) and not isinstance(
            rollback, bool) and math.isfinite(rollback) and rollback >= 0):
        problems.append(f"rollback_cost_usd: must be a number >= 0, got {rollback!r}")
    gate = raw.get("gate", "default")
    if isinstance(gate, list):
        gate = {"conditions": gate}
    if not isinstance(gate, str | Mapping):
        problems.append(f"gate: a gate file, a mapping of conditions, 'default' or 'none'; "
                        f"got {gate!r}")
    value, contract = raw.get("value"), raw.get("contract")
    for key, v in (("value", value), ("contract", contract)):
        if v is not None and not isinstance(v, str | Mapping):
            problems.append(f"{key}: a file or a mapping, got {v!r}")
        elif isinstance(v, str) and v and not Path(_resolve(v, folder)).is_file():
            problems.append(f"{key}: file not found: {_resolve(v, folder)}")
    if isinstance(gate, str) and gate not in ("default", "none") \
            and not Path(_resolve(gate, folder)).is_file():
        problems.append(f"gate: file not found: {_resolve(gate, folder)}")
    task = raw.get("task", "classification")
    if task not in ("classification", "regression"):
        problems.append(f"task: 'classification' or 'regression', got {task!r}")
    guards = raw.get("guardrails")
    if guards is not None:
        from dataroi.impact._guardrails import parse_guardrails

        try:
            parse_guardrails(guards)
        except ImpactSpecError as exc:
            problems += list(exc.problems)
    if problems:
        raise ImpactSpecError(problems, what="impact spec", source=source)
    spec = ImpactSpec(
        name=raw["name"], hypothesis=raw["hypothesis"], expected=expected,
        baseline=_source(raw["baseline"], folder), candidate=_source(raw["candidate"], folder),
        target=raw.get("target") or "y", id=raw.get("id") or "id",
        value=_resolve(value, folder), contract=_resolve(contract, folder),
        segments=tuple(segments), margin=margin if margin == "auto" else float(margin),
        gate=gate if not isinstance(gate, str) or gate in ("default", "none")
        else _resolve(gate, folder),
        rollback_cost_usd=None if rollback is None else float(rollback),
        description=raw.get("description") or "",
        guardrails=None if guards is None else dict(guards), task=task, source=source)
    key = {**spec.to_dict(), "value": _content(spec.value),
           "contract": _content(spec.contract), "gate": _content(spec.gate)}
    key.pop("digest")
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()
    return ImpactSpec(**{**spec.__dict__, "digest": digest})


def load_impact_spec(path: str | os.PathLike[str]) -> ImpactSpec:
    """Read and validate ``impact.yaml`` (relative paths are relative to its folder).

    Raises:
        UsageError: the file does not exist.
        ImpactSpecError: the content is invalid (every problem, with its field path).
    """
    from dataroi.impact._yaml import read_yaml_input

    raw, where = read_yaml_input(str(path), what="impact spec")
    return impact_spec_from_dict(raw, source=where, base=Path(path).resolve().parent)


def registration_of(ledger: Any, spec: ImpactSpec) -> dict[str, Any]:
    """Where ``spec`` stands in ``ledger``: registered before any assessment of its
    series existed (``before_results``), after (``after_results``), not registered
    (``not_registered``); ``changed`` when another version of the spec of this series was
    registered first. Never writes.
    """
    regs = [d for d in ledger.list_documents(SPEC_KIND)
            if d["payload"].get("name") == spec.name]
    mine = [d for d in regs if d["content_hash"] == spec.digest]
    earlier = [d for d in regs if d["content_hash"] != spec.digest
               and (not mine or d["created_at"] < mine[0]["created_at"])]
    assessed = [d["created_at"] for d in ledger.list_documents("impact_assessment")
                if d["payload"].get("name") == spec.name]
    at = mine[0]["created_at"] if mine else None
    if at is None:
        status = "not_registered"
        msg = (f"impact spec {spec.digest[:12]} was not registered before this assessment "
               "(`dataroi impact register SPEC` first)")
    elif not assessed or at < min(assessed):
        status = "before_results"
        msg = (f"impact spec {spec.digest[:12]} was registered at {at:%Y-%m-%d %H:%M:%S} "
               f"UTC, before any assessment of '{spec.name}'")
    else:
        status = "after_results"
        msg = (f"impact spec {spec.digest[:12]} was registered at {at:%Y-%m-%d %H:%M:%S} "
               f"UTC, AFTER an assessment of '{spec.name}' existed: not a pre-registration")
    if earlier:
        msg += (f"; the spec CHANGED: {earlier[0]['content_hash'][:12]} was registered "
                f"first ({earlier[0]['created_at']:%Y-%m-%d %H:%M:%S} UTC)")
    return {"status": status, "digest": spec.digest,
            "registered_at": None if at is None else at.isoformat(),
            "changed": bool(earlier), "message": msg}
