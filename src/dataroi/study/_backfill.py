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


def backfill_metrics(ledger: BaseLedger, snaps: Sequence[TrialSnapshot],
                     metrics: Sequence[str], prep: PreparedData,
                     store: ArtifactStore) -> tuple[int, int]:
    """Add missing ``metrics`` to complete trials; return (trials updated, missing
    artifacts)."""
    y_test = np.asarray(prep.y)[np.asarray(prep.test_idx)]
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
