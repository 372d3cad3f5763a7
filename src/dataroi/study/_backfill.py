"""Score new metrics on finished trials from their stored predictions (no retraining).

Every complete trial keeps its test-set predictions in the artifact store. When a spec
gains a metric, ``run`` computes it for the finished trials from those predictions and
adds it to the ledger; values already recorded are never changed. Probabilities are
stored as float32, so a probability metric scored this way can differ from a fresh run's
in the seventh significant digit; label metrics are identical.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dataroi.metrics import get_metric
from dataroi.trial import TrialSnapshot, TrialState

if TYPE_CHECKING:
    from dataroi.artifacts import ArtifactStore
    from dataroi.data import PreparedData
    from dataroi.ledger import BaseLedger

__all__ = ["backfill_metrics"]


def _shift_mask(prep: PreparedData, variant: dict | None) -> np.ndarray | None:
    """The test rows a shift arm is scored on (its predictions cover every test row)."""
    if not variant or variant.get("kind") != "shift":
        return None
    col = prep.X[variant["column"]].iloc[np.asarray(prep.test_idx)].astype(str)
    shifted = col.isin(variant["values"]).to_numpy()
    return ~shifted if variant["view"] == "in" else shifted


def backfill_metrics(ledger: BaseLedger, snaps: Sequence[TrialSnapshot],
                     metrics: Sequence[str], prep: PreparedData,
                     store: ArtifactStore,
                     variants: dict[str, dict] | None = None) -> tuple[int, int]:
    """Add missing ``metrics`` to complete trials; return (trials updated, missing
    artifacts). ``variants`` maps arm names to their variant (a shift arm is scored on
    its view's test rows)."""
    y_all = np.asarray(prep.y)[np.asarray(prep.test_idx)]
    masks = {m: _shift_mask(prep, v) for m, v in (variants or {}).items()}
    updated = missing = 0
    for snap in snaps:
        if snap.state is not TrialState.COMPLETE:
            continue
        wanted = [m for m in metrics if m not in snap.metrics]
        digest = snap.extra.get("predictions_digest")
        if not wanted:
            continue
        if not digest or digest not in store:
            missing += 1
            continue
        arrays = store.get(digest)
        pred, proba = arrays.get("pred"), arrays.get("proba")
        y_test, mask = y_all, masks.get(snap.key.model)
        if mask is not None:
            y_test, pred = y_all[mask], pred[mask]
            proba = None if proba is None else proba[mask]
        values = {}
        for name in wanted:
            metric = get_metric(name)
            if metric.needs != "pred" and proba is None:
                values[name] = math.nan
                continue
            values[name] = metric.score(y_test, pred=pred,
                                        proba=None if proba is None else proba.astype(float),
                                        n_classes=prep.n_classes)
        if ledger.add_metrics(snap.trial_id, values):
            updated += 1
    return updated, missing
