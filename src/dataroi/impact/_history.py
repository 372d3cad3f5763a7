"""Assessments in the ledger: record, list, trend, and flag a change far outside the past.

Every assessment is stored as an immutable ledger document of kind
``impact_assessment`` holding the data fingerprint, the contract and value-model hashes,
both models' identifiers, the settings, the gate's verdict and the results.

"Deployed" changes are those whose gate passed (or, assessed without a gate, whose
verdict was "candidate better"). A new candidate is *flagged* when its value difference
per period lies more than 3 robust standard deviations (1.4826 × MAD) from the median of
the past changes of the same ``name`` (at least 3 past changes needed).

Example:
    >>> from dataroi.ledger import open_ledger
    >>> ledger = open_ledger("sqlite://")
    >>> for x in (1.0, 1.2, 0.9, 1.1):
    ...     _ = ledger.record_document("impact_assessment", {"name": "churn",
    ...         "metrics": {"value_diff_per_period": x}, "deployed": True})
    >>> outlier_check(ledger, "churn", 25.0)["flagged"]
    True
    >>> outlier_check(ledger, "churn", 1.05)["flagged"]
    False
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._money import amount

if TYPE_CHECKING:
    from dataroi.impact._assess import ImpactResult
    from dataroi.impact._gate import GateResult
    from dataroi.ledger import BaseLedger

__all__ = [
    "KIND",
    "assessment_history",
    "default_ledger_location",
    "outlier_check",
    "prediction_record",
    "record_assessment",
    "trend",
]

KIND = "impact_assessment"
_Z_LIMIT = 3.0


def default_ledger_location(option: str | None = None) -> str:
    """The ``--ledger`` option, else ``$DATAROI_LEDGER``, else ``.dataroi/ledger.db``.

    Example:
        >>> default_ledger_location("sqlite://")
        'sqlite://'
    """
    if option:
        return option
    env = os.environ.get("DATAROI_LEDGER")
    if env:
        return env
    path = Path(".dataroi") / "ledger.db"
    return str(path)


def _content_hash(result: ImpactResult, name: str) -> str:
    p = result.provenance
    key = {"name": name, "data": p["data_fingerprint"], "contract": p["contract_hash"],
           "value_model": p["value_model_hash"], "baseline": p["baseline_id"],
           "candidate": p["candidate_id"], "settings": result.settings}
    text = json.dumps(key, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def record_assessment(ledger: BaseLedger, result: ImpactResult, *, name: str = "default",
                      gate: GateResult | None = None,
                      check: dict[str, Any] | None = None,
                      spec: dict[str, Any] | None = None) -> int:
    """Store an assessment (one transaction) and return its document id.

    Args:
        ledger: an open ledger.
        result: the assessment.
        name: the series it belongs to (a product, a model slot).
        gate: the gate verdict, if a gate was applied.
        check: the :func:`outlier_check` made before recording, if any.
        spec: what the assessment says about its impact spec (hypothesis, expected
            effect against the estimate, pre-registration, rollback), if one was used.
    """
    p = result.provenance
    deployed = gate.passed if gate is not None else result.verdict == "candidate better"
    payload = {
        "name": name,
        "verdict": result.verdict,
        "deployed": bool(deployed),
        "data_fingerprint": p["data_fingerprint"],
        "contract_hash": p["contract_hash"],
        "value_model_hash": p["value_model_hash"],
        "baseline_id": p["baseline_id"],
        "candidate_id": p["candidate_id"],
        "metrics": result.flat_metrics(),
        "gate": gate.to_dict() if gate is not None else None,
        "outlier_check": check,
        "impact_spec": spec,
        "result": result.to_dict(),
    }
    return ledger.record_document(KIND, payload, content_hash=_content_hash(result, name))


def assessment_history(ledger: BaseLedger, *, name: str | None = None) -> list[dict[str, Any]]:
    """Past assessments (oldest first) as flat rows for tables and trends."""
    rows = []
    for doc in ledger.list_documents(KIND):
        pay = doc["payload"]
        if name is not None and pay.get("name") != name:
            continue
        m = pay.get("metrics") or {}
        gate = pay.get("gate")
        check = pay.get("outlier_check") or {}
        rows.append({
            "document_id": doc["document_id"],
            "created_at": doc["created_at"],
            "name": pay.get("name"),
            "baseline_id": pay.get("baseline_id"),
            "candidate_id": pay.get("candidate_id"),
            "verdict": pay.get("verdict"),
            "deployed": bool(pay.get("deployed")),
            "gate_passed": None if gate is None else bool(gate.get("passed")),
            "value_diff_per_row": m.get("value_diff"),
            "value_diff_ci_low": m.get("value_diff.ci_low"),
            "value_diff_ci_high": m.get("value_diff.ci_high"),
            "value_diff_per_period": m.get("value_diff_per_period"),
            "candidate_value_per_row": m.get("candidate.value_per_row"),
            "flagged": bool(check.get("flagged", False)),
            "data_fingerprint": pay.get("data_fingerprint"),
        })
    return rows


def outlier_check(ledger: BaseLedger, name: str, value_diff_per_period: float
                  ) -> dict[str, Any]:
    """Compare a new change with past ones of ``name``: robust z-score and a flag."""
    past = [r["value_diff_per_period"] for r in assessment_history(ledger, name=name)
            if r["value_diff_per_period"] is not None]
    out: dict[str, Any] = {"n_past": len(past), "z": None, "flagged": False, "median": None}
    if len(past) < 3 or not np.isfinite(value_diff_per_period):
        out["message"] = f"{len(past)} past assessment(s) of {name!r}: too few to compare"
        return out
    arr = np.asarray(past, dtype=float)
    med = float(np.median(arr))
    scale = 1.4826 * float(np.median(np.abs(arr - med)))
    if scale <= 0:
        scale = float(arr.std(ddof=1)) or max(abs(med), 1e-12) * 0.1
    z = (value_diff_per_period - med) / scale
    out.update(z=float(z), median=med, flagged=bool(abs(z) > _Z_LIMIT))
    out["message"] = (f"value difference per period {amount(value_diff_per_period)} vs median "
                      f"{amount(med)} of {len(past)} past changes: robust z = {z:+.1f}"
                      + (" — FAR OUTSIDE past changes; check the data and the value model"
                         if out["flagged"] else ""))
    return out


def trend(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Slope of the deployed candidates' value per row over successive deployments.

    Example:
        >>> trend([{"deployed": True, "candidate_value_per_row": v} for v in (1.0, 2.0, 3.0)])
        {'n_deployed': 3, 'slope_per_deployment': 1.0, 'first': 1.0, 'last': 3.0}
    """
    vals = [r["candidate_value_per_row"] for r in rows
            if r.get("deployed") and r.get("candidate_value_per_row") is not None]
    out: dict[str, Any] = {"n_deployed": len(vals), "slope_per_deployment": None,
                           "first": vals[0] if vals else None,
                           "last": vals[-1] if vals else None}
    if len(vals) >= 2:
        x = np.arange(len(vals), dtype=float)
        out["slope_per_deployment"] = round(float(np.polyfit(x, np.asarray(vals), 1)[0]), 12)
    return out


def prediction_record(ledger: BaseLedger, *, name: str | None = None) -> dict[str, Any]:
    """How the pre-ship predictions fared against the recorded outcomes
    (``impact observe --predicted ... --ledger``): how many were checked, how many of the
    predicted intervals covered the realized effect (with a 90 % Wilson interval of the
    rate), and the mean and mean absolute error of the predicted estimate.

    Example:
        >>> from dataroi.ledger import open_ledger
        >>> ledger = open_ledger("sqlite://")
        >>> for est in (1.0, 2.5):
        ...     _ = ledger.record_document("impact_observation", {"name": "churn",
        ...         "plain": {"estimate": est}, "cuped": None, "prediction_covers": est < 2,
        ...         "predicted": {"estimate": 1.2, "ci_low": 0.5, "ci_high": 1.9}})
        >>> r = prediction_record(ledger)
        >>> r["n"], r["covered"], round(r["mean_error"], 2)
        (2, 1, 0.55)
    """
    from scipy.stats import binomtest

    errors, covered = [], 0
    for doc in ledger.list_documents("impact_observation"):
        pay = doc["payload"]
        if (name is not None and pay.get("name") != name) or not pay.get("predicted"):
            continue
        eff = pay.get("cuped") or pay.get("plain") or {}
        if eff.get("estimate") is None:
            continue
        errors.append(float(eff["estimate"]) - float(pay["predicted"]["estimate"]))
        covered += bool(pay.get("prediction_covers"))
    n = len(errors)
    if n == 0:
        return {"n": 0, "covered": 0, "rate": None, "rate_ci": None, "mean_error": None,
                "mean_abs_error": None}
    ci = binomtest(covered, n).proportion_ci(confidence_level=0.9, method="wilson")
    return {"n": n, "covered": covered, "rate": covered / n,
            "rate_ci": [float(ci.low), float(ci.high)],
            "mean_error": float(np.mean(errors)),
            "mean_abs_error": float(np.mean(np.abs(errors)))}
