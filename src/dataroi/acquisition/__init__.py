"""Simulated pool-based active learning on scikit-learn models (no active-learning library).

:func:`acquisition_order` returns the order in which a strategy (:data:`STRATEGIES`) would
label the rows of a repeat's training pool, so that the first ``n`` positions are the ``n``
labels that strategy picks; :func:`make_fit_proba` builds the selector callback from an
estimator factory.

Example:
    >>> import numpy as np
    >>> from dataroi.acquisition import acquisition_order
    >>> y = np.array([0, 1, 2] * 10)
    >>> res = acquisition_order(9, n_pool=30, strategy="random", batch_size=3, initial=3,
    ...                         seed=0, y=y)
    >>> len(set(res.order.tolist())), sorted(y[res.order[:3]].tolist()), res.rounds
    (9, [0, 1, 2], 2)
"""

from __future__ import annotations

from dataroi.acquisition._loop import (
    AcquisitionResult,
    FitProba,
    acquisition_order,
    make_fit_proba,
)
from dataroi.acquisition._strategies import (
    MODEL_STRATEGIES,
    STRATEGIES,
    diverse_batch,
    entropy_priority,
    least_confidence_priority,
    margin_priority,
    rank_candidates,
)

__all__ = [
    "MODEL_STRATEGIES",
    "STRATEGIES",
    "AcquisitionResult",
    "FitProba",
    "acquisition_order",
    "diverse_batch",
    "entropy_priority",
    "least_confidence_priority",
    "make_fit_proba",
    "margin_priority",
    "rank_candidates",
]
