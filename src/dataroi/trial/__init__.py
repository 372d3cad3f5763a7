"""Trial values and the worker function (imports no ledger, plotting or report code)."""

from dataroi.trial._seeds import derive_seed, estimator_seed, split_seed, subset_seed
from dataroi.trial._values import (
    TRAIN_PREFIX,
    TrialKey,
    TrialResult,
    TrialSnapshot,
    TrialState,
)

__all__ = [
    "TRAIN_PREFIX",
    "TrialKey",
    "TrialResult",
    "TrialSnapshot",
    "TrialState",
    "derive_seed",
    "estimator_seed",
    "split_seed",
    "subset_seed",
]
