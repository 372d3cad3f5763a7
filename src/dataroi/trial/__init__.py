"""Trial values, the worker function and the perturbations workers apply to a trial's
training data (stress arms). Imports no ledger, analysis, plotting or report code.

The perturbations (:func:`flip_labels`, :func:`prior_subset`, ...) load on first use, so
``import dataroi.trial`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataroi._lazy import lazy_exports
from dataroi._random import derive_seed, estimator_seed, split_seed, subset_seed
from dataroi.trial._values import (
    TRAIN_PREFIX,
    TrialKey,
    TrialResult,
    TrialSnapshot,
    TrialState,
)

if TYPE_CHECKING:
    from dataroi.trial._checks import check_model_columns, check_models
    from dataroi.trial._estimators import build_estimator
    from dataroi.trial._perturb import (
        class_priors,
        flip_labels,
        hardness_scores,
        numeric_matrix,
        prior_subset,
        shift_weights,
        thinned_priors,
    )
    from dataroi.trial._tables import (
        TRIAL_COLUMNS,
        holdout_noise,
        mean_ci,
        summary_frame,
        trials_frame,
    )
    from dataroi.trial._worker import TrialPayload, ping, run_trial, train_indices, warm_worker

__all__ = [
    "TRAIN_PREFIX",
    "TRIAL_COLUMNS",
    "TrialKey",
    "TrialPayload",
    "TrialResult",
    "TrialSnapshot",
    "TrialState",
    "build_estimator",
    "check_model_columns",
    "check_models",
    "class_priors",
    "derive_seed",
    "estimator_seed",
    "flip_labels",
    "hardness_scores",
    "holdout_noise",
    "mean_ci",
    "numeric_matrix",
    "ping",
    "prior_subset",
    "run_trial",
    "shift_weights",
    "split_seed",
    "subset_seed",
    "summary_frame",
    "thinned_priors",
    "train_indices",
    "trials_frame",
    "warm_worker",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "check_models": "_checks", "check_model_columns": "_checks",
    "build_estimator": "_estimators",
    "TRIAL_COLUMNS": "_tables", "mean_ci": "_tables", "summary_frame": "_tables",
    "holdout_noise": "_tables", "trials_frame": "_tables",
    "TrialPayload": "_worker", "run_trial": "_worker", "train_indices": "_worker",
    "warm_worker": "_worker", "ping": "_worker",
    **{name: "_perturb" for name in ("class_priors", "flip_labels", "hardness_scores",
                                     "numeric_matrix", "prior_subset", "shift_weights",
                                     "thinned_priors")}}, globals())
