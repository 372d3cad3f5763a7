"""Every study of a ledger at a glance: what it recommends, what was spent, what it gained.

:func:`read_portfolio` reads a ledger with a fixed number of queries
(:meth:`~dataroi.ledger.BaseLedger.overview` plus one per document kind), whatever the
number of studies and trials, and never loads a trial: 100 studies with 100,000 trials
are read in a fraction of a second (``benchmarks/bench_portfolio.py``).

Per study (:class:`StudyRow`): the data versions, trials by state, CPU time and its price,
the best model on the latest data and how far it moved since the first, the latest
recommendation, the decisions checked by ``dataroi followup`` (labels added, their cost,
the forecasts' track record) and the cost per point gained. The ledger's impact
assessments are listed beside the studies. :func:`differences` is the comparison of two
studies that shows only what differs.

Example:
    >>> from dataroi.ledger import open_ledger
    >>> ledger = open_ledger("sqlite://")
    >>> _ = ledger.upsert_study("churn", spec_hash="h",
    ...                         spec_text="name: churn\\nmetrics: [accuracy]")
    >>> p = read_portfolio(ledger)
    >>> [(s.name, s.metric, s.trials_complete) for s in p.studies]
    [('churn', 'accuracy', 0)]
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from dataroi._json import json_safe
from dataroi.decide import track_record
from dataroi.spec import is_arm_name

if TYPE_CHECKING:
    from dataroi.ledger import BaseLedger

__all__ = ["Portfolio", "StudyRow", "differences", "flatten", "read_portfolio"]


@dataclass(frozen=True)
class StudyRow:
    """One study in the portfolio (None where the ledger does not say).

    Attributes:
        name, study_id, created_at: the study.
        updated_at: when its last trial finished.
        versions: data versions (ledger contexts) it ran on; ``rows`` the latest one's.
        models: the models measured on the latest data.
        metric, higher_is_better: the primary metric.
        trials_complete, trials_failed, trials_waiting: trials of every version.
        cpu_hours: CPU time of its finished trials; ``compute_usd`` priced at the
            spec's ``costs.compute_price_per_hour_usd`` (None without a price).
        best_model, best_score, best_n: the best model on the latest data at its largest
            size measured by every model, its mean score and that size.
        first_best_score: the same on the first data version; ``improvement`` the move
            since (direction applied; None with one version).
        recommendation: the latest saved recommendation (headline, first step,
            P(net > 0), expected net value, when), or None; ``recommendations`` counted.
        decisions_checked: follow-ups recorded; ``labels_added`` by them and
            ``labels_usd`` their price (the spec's ``costs``).
        cost_per_point_usd: (labels + compute) / points gained (None without a gain).
        forecasts, coverage90: forecasts checked by follow-ups and the share inside
            their 90 % interval.
        spec: the latest spec as a nested mapping (for comparisons).
    """

    name: str
    study_id: int
    created_at: str
    updated_at: str | None
    versions: int
    rows: int | None
    models: tuple[str, ...]
    metric: str | None
    higher_is_better: bool
    trials_complete: int
    trials_failed: int
    trials_waiting: int
    cpu_hours: float
    compute_usd: float | None
    best_model: str | None
    best_score: float | None
    best_n: int | None
    first_best_score: float | None
    improvement: float | None
    recommendation: Mapping[str, Any] | None
    recommendations: int
    decisions_checked: int
    labels_added: int
    labels_usd: float | None
    cost_per_point_usd: float | None
    forecasts: int
    coverage90: float | None
    spec: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe(asdict(self))


@dataclass(frozen=True)
class Portfolio:
    """The studies of one ledger, its impact assessments and its forecasts' record.

    Attributes:
        ledger_url: where it was read from (credentials masked by the caller).
        studies: one :class:`StudyRow` per study, most recently updated first.
        impact: the impact assessments (name, when, verdict, deployed, value difference
            per row and its interval), oldest first, each with the outcome observed after
            it (``impact observe --ledger``: the realized effect per row, CUPED where a
            pre-period was given, and whether the pre-ship interval covered it), or None.
        track_record: :func:`~dataroi.decide.ledger_track_record`'s record as a dict.
        curves: study → its latest data's learning curves of the primary metric
            (``models``, ``sizes``, ``cells`` by (model, size): the mean over repeats).
        followups: study → its ``followup`` documents' payloads, oldest first.
        spec_texts: study → its latest spec as written.
    """

    ledger_url: str
    studies: tuple[StudyRow, ...]
    impact: tuple[Mapping[str, Any], ...] = ()
    track_record: Mapping[str, Any] = field(default_factory=dict)
    curves: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    followups: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=dict,
                                                                  repr=False)
    spec_texts: Mapping[str, str] = field(default_factory=dict, repr=False)

    def study(self, name: str) -> StudyRow:
        """The row of the study ``name``.

        Raises:
            UnknownNameError: no such study (a ``KeyError`` too), with "did you mean".
        """
        from dataroi._names import did_you_mean
        from dataroi.exceptions import UnknownNameError

        for s in self.studies:
            if s.name == name:
                return s
        raise UnknownNameError(f"no study {name!r} in the ledger"
                               f"{did_you_mean(name, [s.name for s in self.studies])}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_safe({"ledger": self.ledger_url,
                          "studies": [s.to_dict() for s in self.studies],
                          "impact": list(self.impact), "track_record": self.track_record})


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"a.b.c": leaf}`` (lists are leaves).

    Example:
        >>> flatten({"a": {"b": 1, "c": [1, 2]}, "d": None})
        {'a.b': 1, 'a.c': [1, 2], 'd': None}
    """
    if not isinstance(value, Mapping):
        return {prefix: value}
    out: dict[str, Any] = {}
    for k, v in value.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def differences(a: StudyRow, b: StudyRow) -> list[tuple[str, Any, Any]]:
    """What differs between two studies: ``(field, a's value, b's value)`` for the
    portfolio's figures and every spec field, sorted by field; equal ones left out.

    Example:
        >>> import dataclasses
        >>> base = StudyRow("a", 1, "", None, 1, 100, ("lr",), "accuracy", True, 3, 0, 0,
        ...                 0.0, None, "lr", 0.8, 64, 0.8, None, None, 0, 0, 0, None, None,
        ...                 0, None, {"schedule": {"repeats": 3}})
        >>> other = dataclasses.replace(base, name="b", spec={"schedule": {"repeats": 5}})
        >>> differences(base, other)
        [('name', 'a', 'b'), ('spec.schedule.repeats', 3, 5)]
    """
    skip = {"spec", "study_id", "created_at", "updated_at", "recommendation"}
    da = {k: v for k, v in a.to_dict().items() if k not in skip}
    db = {k: v for k, v in b.to_dict().items() if k not in skip}
    da |= {f"spec.{k}": v for k, v in flatten(a.spec).items()}
    db |= {f"spec.{k}": v for k, v in flatten(b.spec).items()}
    ra, rb = (x.recommendation or {} for x in (a, b))
    for k in ("first_step", "p_net_positive"):
        da[f"recommendation.{k}"], db[f"recommendation.{k}"] = ra.get(k), rb.get(k)
    out = []
    for k in sorted(set(da) | set(db)):
        va, vb = da.get(k), db.get(k)
        if va != vb and not (_nan(va) and _nan(vb)):
            out.append((k, va, vb))
    return out


def _nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)


def _iso(t: Any) -> str | None:
    return None if t is None else (t.isoformat() if hasattr(t, "isoformat") else str(t))


def _spec(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    from dataroi._yaml import parse_yaml
    from dataroi.exceptions import DataroiError

    try:
        d = parse_yaml(text, source="the ledger's spec")
    except DataroiError:
        return {}
    return d if isinstance(d, dict) else {}


def _costs(raw: Mapping[str, Any]) -> Any:
    """The spec's ``costs:`` as a validated CostSpec, or None (absent or invalid)."""
    from dataroi.exceptions import DataroiError
    from dataroi.spec import parse_costs

    try:
        return parse_costs(raw) if raw else None
    except DataroiError:
        return None


def _direction(metric: str | None) -> bool:
    from dataroi.metrics import get_metric

    try:
        return bool(get_metric(metric).higher_is_better) if metric else True
    except (KeyError, ValueError):
        return True


def _best(cells: Iterable[Mapping[str, Any]], metric: str | None,
          higher: bool) -> tuple[str | None, float | None, int | None, tuple[str, ...]]:
    """The best model at the largest size every model measured (mean over repeats)."""
    by: dict[str, dict[int, float]] = defaultdict(dict)
    for c in cells:
        if c["metric"] == metric and c["mean"] is not None and math.isfinite(c["mean"]):
            by[c["model"]][c["n_train"]] = c["mean"]
    if not by:
        return None, None, None, ()
    common = set.intersection(*(set(v) for v in by.values()))
    n = max(common) if common else None
    scores = {m: (v[n] if n is not None else v[max(v)]) for m, v in by.items()}
    best = (max if higher else min)(scores, key=lambda m: scores[m])
    return best, scores[best], n if n is not None else max(by[best]), tuple(sorted(by))


def read_portfolio(ledger: BaseLedger, *, ledger_url: str = "") -> Portfolio:
    """Read every study of ``ledger`` into a :class:`Portfolio` (never writes)."""
    o = ledger.overview()
    contexts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in o["contexts"]:
        contexts[c["study_id"]].append(c)
    cells: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in o["cells"]:
        if not is_arm_name(c["model"]):  # a stress arm is not a model to rank or draw
            cells[c["context_id"]].append(c)
    recs: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in ledger.list_documents("recommendation"):
        if d["study_id"] is not None:
            recs[d["study_id"]].append(d)
    follow: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in ledger.list_documents("followup"):
        if d["study_id"] is not None:
            follow[d["study_id"]].append(d)
    rows = []
    curves: dict[str, dict[str, Any]] = {}
    for s in o["studies"]:
        sid = s["study_id"]
        spec = _spec(s["spec_text"])
        ctxs = contexts.get(sid, [])
        metrics = spec.get("metrics") if isinstance(spec.get("metrics"), list) else None
        decision = spec.get("decision") if isinstance(spec.get("decision"), dict) else {}
        metric = (decision or {}).get("metric") or (metrics[0] if metrics else None)
        if metric is None and ctxs and cells.get(ctxs[-1]["context_id"]):
            metric = cells[ctxs[-1]["context_id"]][0]["metric"]
        higher = _direction(metric)
        costs = spec.get("costs") if isinstance(spec.get("costs"), dict) else {}
        counts: dict[str, int] = defaultdict(int)
        cpu = 0.0
        for c in ctxs:
            for k, v in c["counts"].items():
                counts[k] += v
            cpu += c["cpu_seconds"]
        last = [c["last_finished_at"] for c in ctxs if c["last_finished_at"] is not None]
        best = first = (None, None, None, ())
        if ctxs:
            mine = [c for c in cells.get(ctxs[-1]["context_id"], ())
                    if c["metric"] == metric and c["mean"] is not None]
            curves[s["name"]] = {
                "models": sorted({c["model"] for c in mine}),
                "sizes": sorted({c["n_train"] for c in mine}),
                "cells": {(c["model"], c["n_train"]): c["mean"] for c in mine}}
            best = _best(cells.get(ctxs[-1]["context_id"], ()), metric, higher)
            first = _best(cells.get(ctxs[0]["context_id"], ()), metric, higher)
        improvement = None
        if len(ctxs) > 1 and best[1] is not None and first[1] is not None:
            improvement = (best[1] - first[1]) * (1.0 if higher else -1.0)
        price = costs.get("compute_price_per_hour_usd")
        compute_usd = cpu / 3600.0 * float(price) if isinstance(price, int | float) else None
        fus = follow.get(sid, [])
        rounds = [max(int(d["payload"].get("n_now", 0)) - int(d["payload"].get("n_then", 0)),
                      0) for d in fus]  # labels added by each decision followed up
        added = sum(rounds)
        cost_spec = _costs(costs)
        labels_usd = None
        if cost_spec is not None and cost_spec.price_per_label_usd is not None:
            from dataroi.decide import CostModel

            cm = CostModel(cost_spec)
            labels_usd = sum(cm.labeling_usd(n) for n in rounds)
        point = cost_spec.point if cost_spec is not None else 0.01
        spent = (labels_usd or 0.0) + (compute_usd or 0.0)
        cpp = (spent / (improvement / point)) if improvement and improvement > 0 else None
        checks = [c for d in fus for c in d["payload"].get("checks", ())]
        rec = None
        if recs.get(sid):
            d = recs[sid][-1]
            p = d["payload"]
            chosen = p.get("chosen") or {}
            rec = {"headline": p.get("headline"), "first_step": p.get("first_step"),
                   "p_net_positive": chosen.get("p_net_positive"),
                   "net_mean_usd": chosen.get("net_mean_usd"), "created_at": _iso(
                       d["created_at"]), "current_n": p.get("current_n")}
        rows.append(StudyRow(
            name=s["name"], study_id=sid, created_at=_iso(s["created_at"]) or "",
            updated_at=_iso(max(last)) if last else None, versions=len(ctxs),
            rows=ctxs[-1]["n_rows"] if ctxs else None, models=best[3], metric=metric,
            higher_is_better=higher, trials_complete=counts["complete"],
            trials_failed=counts["failed"],
            trials_waiting=counts["waiting"] + counts["running"], cpu_hours=cpu / 3600.0,
            compute_usd=compute_usd, best_model=best[0], best_score=best[1],
            best_n=best[2], first_best_score=first[1], improvement=improvement,
            recommendation=rec, recommendations=len(recs.get(sid, ())),
            decisions_checked=len(fus), labels_added=added, labels_usd=labels_usd,
            cost_per_point_usd=cpp, forecasts=len(checks),
            coverage90=(sum(bool(c.get("inside90")) for c in checks) / len(checks)
                        if checks else None),
            spec=spec))
    rows.sort(key=lambda r: r.updated_at or r.created_at, reverse=True)
    observed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in ledger.list_documents("impact_observation"):
        observed[str(d["payload"].get("name"))].append(d)
    impact = []
    assessments = ledger.list_documents("impact_assessment")
    for i, d in enumerate(assessments):
        p = d["payload"]
        m = p.get("metrics") or {}
        # the observations of this series made after it and before the next assessment
        nxt = next((a["created_at"] for a in assessments[i + 1:]
                    if a["payload"].get("name") == p.get("name")), None)
        obs = [o for o in observed.get(str(p.get("name")), ())
               if o["created_at"] >= d["created_at"]
               and (nxt is None or o["created_at"] < nxt)]
        seen = None
        if obs:
            last = obs[-1]["payload"]
            eff = last.get("cuped") or last.get("plain") or {}
            lo, hi = m.get("value_diff.ci_low"), m.get("value_diff.ci_high")
            est = eff.get("estimate")
            seen = {"estimate": est, "ci_low": eff.get("ci_low"),
                    "ci_high": eff.get("ci_high"), "srm_ok": last.get("srm_ok"),
                    "covered": (None if None in (lo, hi, est) else bool(lo <= est <= hi)),
                    "created_at": _iso(obs[-1]["created_at"])}
        impact.append({"name": p.get("name"), "created_at": _iso(d["created_at"]),
                       "baseline": p.get("baseline_id"), "candidate": p.get("candidate_id"),
                       "verdict": p.get("verdict"), "deployed": bool(p.get("deployed")),
                       "value_diff_per_row": m.get("value_diff"),
                       "ci_low": m.get("value_diff.ci_low"),
                       "ci_high": m.get("value_diff.ci_high"),
                       "observed": seen})
    record = track_record([{**c, "study": d["payload"].get("study", "")}
                           for ds in follow.values() for d in ds
                           for c in d["payload"].get("checks", ())])
    names = {s["study_id"]: s["name"] for s in o["studies"]}
    return Portfolio(
        ledger_url=ledger_url, studies=tuple(rows), impact=tuple(impact),
        track_record=record.to_dict(), curves=curves,
        followups={names[sid]: tuple(d["payload"] for d in ds)
                   for sid, ds in follow.items() if sid in names},
        spec_texts={s["name"]: s["spec_text"] or "" for s in o["studies"]})
