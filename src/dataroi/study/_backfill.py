"""Score new metrics on finished trials from their stored predictions (no retraining).

Every complete trial keeps its test-set predictions in the artifact store. When a spec
gains a metric, ``run`` computes it for the finished trials from those predictions and
adds it to the ledger; values already recorded are never changed. Probabilities are
stored as float32, so a probability metric scored this way can differ from a fresh run's
in the seventh significant digit; label metrics are identical. That is why
:func:`score_stored_predictions` is the one way to score stored predictions:
``dataroi reproduce`` scores a re-run's predictions, cast to the stored dtypes, through it
too, and so compares a backfilled value with a value computed the same way.

Stored predictions are verified when read (:meth:`ArtifactStore.get`): a damaged file
skips its trial (reported, with what to do), and the values of all the readable ones are
written in one transaction (:meth:`BaseLedger.add_metrics_many`) — all or nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dataroi.exceptions import ArtifactError
from dataroi.metrics import get_metric
from dataroi.trial import TrialSnapshot, TrialState

if TYPE_CHECKING:
    from dataroi.artifacts import ArtifactStore
    from dataroi.data import PreparedData
    from dataroi.ledger import BaseLedger

__all__ = ["BackfillOutcome", "backfill_metrics", "score_stored_predictions"]


def _shift_mask(prep: PreparedData, variant: dict | None) -> np.ndarray | None:
    """The test rows a shift arm is scored on (its predictions cover every test row)."""
    if not variant or variant.get("kind") != "shift":
        return None
    col = prep.X[variant["column"]].iloc[np.asarray(prep.test_idx)].astype(str)
    shifted = col.isin(variant["values"]).to_numpy()
    return ~shifted if variant["view"] == "in" else shifted


@dataclass(frozen=True)
class BackfillOutcome:
    """What :func:`backfill_metrics` did.

    Attributes:
        updated: trials that gained values.
        missing: trials without stored predictions (their new metrics stay empty).
        damaged: per arm, the trials whose stored predictions cannot be read or no longer
            hash to their digest (skipped: nothing is computed from them).

    Example:
        >>> note = BackfillOutcome(damaged={"lr": 2}).damaged_note()
        >>> note[:60]
        '2 stored predictions are damaged or truncated (unreadable); '
        >>> note[-47:]
        'models again with `dataroi run SPEC --rerun lr`'
    """

    updated: int = 0
    missing: int = 0
    damaged: dict[str, int] = field(default_factory=dict)

    def damaged_note(self, bases: Mapping[str, str] | None = None) -> str:
        """One line: how many stored predictions were unreadable and what to do
        (``bases`` maps a stress arm to its model, the name ``--rerun`` takes)."""
        models = sorted({(bases or {}).get(arm, arm) for arm in self.damaged})
        n = sum(self.damaged.values())
        return (f"{n} stored prediction{'s are' if n != 1 else ' is'} damaged or truncated "
                "(unreadable); their trials get no value for the new metrics: run their "
                f"models again with `dataroi run SPEC --rerun {','.join(models)}`")


def score_stored_predictions(arrays: Mapping[str, np.ndarray], y_test: np.ndarray,
                             metrics: Sequence[str], *, n_classes: int | None,
                             mask: np.ndarray | None = None) -> dict[str, float]:
    """Score predictions as they are stored (labels, float32 class scores) on the test
    labels ``y_test`` (``mask``: the rows a shift arm is scored on); NaN where a metric
    needs class scores and there are none. The one path for a value computed from
    stored predictions, so that a re-run reproduces it bit for bit.

    Example:
        >>> score_stored_predictions({"pred": np.array([0, 1, 1])}, np.array([0, 1, 0]),
        ...                          ["accuracy", "log_loss"], n_classes=2)
        {'accuracy': 0.6666666666666666, 'log_loss': nan}
    """
    pred, proba = arrays.get("pred"), arrays.get("proba")
    if mask is not None:
        y_test, pred = y_test[mask], pred[mask]
        proba = None if proba is None else proba[mask]
    values: dict[str, float] = {}
    for name in metrics:
        metric = get_metric(name)
        if metric.needs != "pred" and proba is None:
            values[name] = math.nan
            continue
        values[name] = float(metric.score(
            y_test, pred=pred, proba=None if proba is None else proba.astype(float),
            n_classes=n_classes))
    return values


def backfill_metrics(ledger: BaseLedger, snaps: Sequence[TrialSnapshot],
                     metrics: Sequence[str], prep: PreparedData,
                     store: ArtifactStore,
                     variants: dict[str, dict] | None = None) -> BackfillOutcome:
    """Add missing ``metrics`` to complete trials from their stored predictions.

    ``variants`` maps arm names to their variant (a shift arm is scored on its view's
    test rows). Every readable artifact is scored first; then all the values are written
    in one transaction, so an error leaves the ledger as it was.
    """
    y_all = np.asarray(prep.y)[np.asarray(prep.test_idx)]
    masks = {m: _shift_mask(prep, v) for m, v in (variants or {}).items()}
    values: dict[int, dict[str, float]] = {}
    damaged: Counter[str] = Counter()
    missing = 0
    for snap in snaps:
        if snap.state is not TrialState.COMPLETE:
            continue
        wanted = [m for m in metrics if m not in snap.metrics]
        digest = snap.extra.get("predictions_digest")
        if not wanted:
            continue
        try:
            if not digest:
                raise FileNotFoundError(snap.trial_id)
            arrays = store.get(digest)
        except FileNotFoundError:
            missing += 1
            continue
        except (OSError, ArtifactError):
            damaged[snap.key.model] += 1
            continue
        values[snap.trial_id] = score_stored_predictions(
            arrays, y_all, wanted, n_classes=prep.n_classes, mask=masks.get(snap.key.model))
    updated = ledger.add_metrics_many(values) if values else 0
    return BackfillOutcome(updated=updated, missing=missing, damaged=dict(damaged))
