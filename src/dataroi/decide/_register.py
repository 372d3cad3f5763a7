"""Pre-registration: fix the decision rule before the results exist, and prove it.

The rule (the spec's ``decision:`` section: metric, target, risk, budget, guardrails,
risk rule) is hashed; :func:`register_decision_rule` stores the hash with a timestamp in
the ledger (a ``decision_rule`` document). :func:`registration_status` compares that time
with the first finished trial: was the rule registered before the results existed, after,
or was it changed after a first registration?

Example:
    >>> from dataroi.spec import DecisionSpec
    >>> a = rule_hash(DecisionSpec(target=0.9), metric="accuracy")
    >>> a == rule_hash(DecisionSpec(target=0.9, metric="accuracy"), metric="accuracy")
    True
    >>> a == rule_hash(DecisionSpec(target=0.91), metric="accuracy")
    False
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataroi.exceptions import LedgerError, UsageError
from dataroi.spec import CostSpec, DecisionSpec, canonical_hash

if TYPE_CHECKING:
    from dataroi.ledger import DocumentStore

__all__ = [
    "Registration",
    "first_result_at",
    "register_decision_rule",
    "registration_status",
    "rule_hash",
    "study_first_result_at",
]


def rule_dict(decision: DecisionSpec, *, metric: str) -> dict[str, Any]:
    """The rule as plain data, with the metric resolved."""
    d = decision.rule_dict()
    d["metric"] = decision.metric or metric
    return d


def rule_hash(decision: DecisionSpec, *, metric: str) -> str:
    """SHA-256 of the rule (the metric resolved, so an explicit default hashes the same)."""
    return canonical_hash(rule_dict(decision, metric=metric))


@dataclass(frozen=True)
class Registration:
    """Where a decision rule stands.

    Attributes:
        rule_hash: hash of the current rule.
        status: ``before_results`` (registered before the first trial finished),
            ``after_results``, ``not_registered`` or ``no_rule``.
        registered_at: when this rule was first registered (UTC), if it was.
        first_result_at: when the study's first trial finished (UTC), if any.
        changed: a different rule was registered earlier (the rule changed since).
        earlier: (hash, registered_at) of earlier, different rules.
        message: the above in plain words.
    """

    rule_hash: str | None
    status: str
    registered_at: dt.datetime | None
    first_result_at: dt.datetime | None
    changed: bool
    earlier: tuple[tuple[str, dt.datetime], ...]
    message: str
    costs_changed: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (ISO timestamps)."""
        def iso(t: dt.datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {"rule_hash": self.rule_hash, "status": self.status,
                "registered_at": iso(self.registered_at),
                "first_result_at": iso(self.first_result_at), "changed": self.changed,
                "earlier": [{"rule_hash": h, "registered_at": iso(t)} for h, t in self.earlier],
                "costs_changed": self.costs_changed, "message": self.message}


def _utc(t: Any) -> dt.datetime | None:
    if t is None:
        return None
    if isinstance(t, str):
        t = dt.datetime.fromisoformat(t)
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def first_result_at(snapshots: Sequence[Any]) -> dt.datetime | None:
    """When the first of ``snapshots`` (trial snapshots) finished, in UTC, if any."""
    times = [_utc(s.extra.get("finished_at")) for s in snapshots if s.state.is_finished]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def study_first_result_at(store: Any, study_id: int | None,
                          known: Mapping[int, Sequence[Any]] | None = None
                          ) -> dt.datetime | None:
    """When the study's first trial finished on any of its data versions (ledger
    contexts): a rule registered after version 1's results is not pre-registered for
    version 2. ``known``: snapshots already read, by context id (not read again).
    """
    if study_id is None:
        return None
    known = known or {}
    firsts = [first_result_at(known[c["context_id"]] if c["context_id"] in known
                              else store.get_trials(int(c["context_id"])))
              for c in store.list_contexts(int(study_id))]
    found = [t for t in firsts if t is not None]
    return min(found) if found else None


def register_decision_rule(store: DocumentStore, *, study: str, spec_hash: str,
                           spec_text: str, decision: DecisionSpec | None, metric: str,
                           costs: CostSpec | None = None,
                           first_result: dt.datetime | None = None) -> Registration:
    """Store the rule's hash with a timestamp in the ledger (once per rule).

    Run it before ``dataroi run`` (``dataroi register SPEC``) so that the report can show
    the rule came first. The registration keeps the ``costs:`` section too.

    Args:
        store: the ledger (a :class:`~dataroi.ledger.DocumentStore`).
        study, spec_hash, spec_text: the study's name and spec.
        decision: the rule.
        metric: the study's primary metric (the rule's default metric).
        costs: the costs in use.
        first_result: when the study's first trial finished (for the status returned).

    Returns:
        The :class:`Registration` after registering.

    Raises:
        UsageError: there is no rule to register.
    """
    if decision is None:
        raise UsageError("the spec has no decision: section to register (metric, target, "
                         "risk, budget_usd, rule, guardrails)")
    h = rule_hash(decision, metric=metric)
    study_id = store.upsert_study(study, spec_hash=spec_hash, spec_text=spec_text)
    if not store.list_documents("decision_rule", study_id=study_id, content_hash=h):
        cost_dict = costs.to_dict() if costs else None
        store.record_document(
            "decision_rule",
            {"rule": rule_dict(decision, metric=metric), "rule_hash": h,
             "spec_hash": spec_hash, "costs": cost_dict,
             "costs_hash": canonical_hash(cost_dict)},
            study_id=study_id, content_hash=h)
    return registration_status(store, study=study, decision=decision, metric=metric,
                               costs=costs, first_result=first_result)


def registration_status(store: DocumentStore | None, *, study: str,
                        decision: DecisionSpec | None, metric: str,
                        costs: CostSpec | None = None,
                        first_result: dt.datetime | None = None) -> Registration:
    """Whether the rule was registered before the results existed, after, or changed.

    The registration also stored the spec's ``costs:`` (prices and the value of a point
    drive the ``expected_net`` rule). When they differ now, ``costs_changed`` is set and
    the message says so: the same rule under other costs can choose differently.

    Args:
        store: the ledger (None: nothing was registered).
        study: the study's name.
        decision: the rule in use (None: no rule).
        metric: the study's primary metric.
        costs: the costs now in use.
        first_result: when the study's first trial finished (:func:`first_result_at`).

    Never writes.
    """
    first = _utc(first_result)
    if decision is None:
        return Registration(None, "no_rule", None, first, False, (),
                            "no decision rule in the spec (nothing pre-registered)")
    h = rule_hash(decision, metric=metric)
    docs: list[dict[str, Any]] = []
    if store is not None:
        try:
            sid = store.get_study_id(study)
            if sid is not None:
                docs = store.list_documents("decision_rule", study_id=sid)
        except LedgerError:
            docs = []
    mine = [d for d in docs if d["content_hash"] == h]
    registered = _utc(mine[0]["created_at"]) if mine else None
    cutoff = registered or dt.datetime.max.replace(tzinfo=dt.UTC)
    earlier = tuple((str(d["content_hash"]), _utc(d["created_at"])) for d in docs
                    if d["content_hash"] != h and _utc(d["created_at"]) < cutoff)
    changed = bool(earlier)
    now_hash = canonical_hash(costs.to_dict() if costs is not None else None)
    costs_changed = bool(mine) and mine[0]["payload"].get("costs_hash") not in (None,
                                                                                now_hash)
    if registered is None:
        status = "not_registered"
        msg = (f"decision rule {h[:12]} was not registered before this analysis "
               "(`dataroi register SPEC` before `dataroi run` pre-registers it)")
    elif first is None or registered < first:
        status = "before_results"
        msg = (f"decision rule {h[:12]} was registered at {registered:%Y-%m-%d %H:%M:%S} "
               "UTC, before any result existed"
               + (f" (first trial finished {first:%Y-%m-%d %H:%M:%S} UTC)" if first else ""))
    else:
        status = "after_results"
        msg = (f"decision rule {h[:12]} was registered at {registered:%Y-%m-%d %H:%M:%S} "
               f"UTC, AFTER results existed (first trial finished "
               f"{first:%Y-%m-%d %H:%M:%S} UTC): it is not a pre-registration")
    if changed:
        eh, et = earlier[0]
        before = first is not None and et is not None and et < first
        msg += (f"; the rule CHANGED: {eh[:12]} was registered first "
                f"({et:%Y-%m-%d %H:%M:%S} UTC"
                + (", before the results" if before else "") + ")")
    if costs_changed:
        msg += ("; the COSTS changed since the registration (costs: section hash "
                f"{mine[0]['payload']['costs_hash'][:12]} then, {now_hash[:12]} now): the "
                "same rule under other costs can choose differently")
    return Registration(h, status, registered, first, changed, earlier, msg, costs_changed)
