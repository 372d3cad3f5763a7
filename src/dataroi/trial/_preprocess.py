"""Preprocessing fitted inside each trial, in front of the user's model.

A real table has text, categories, missing and infinite values; most scikit-learn models
take none of them. With ``preprocess: {mode: auto}`` (the default) a trial whose table
needs it builds

    ``Pipeline([("preprocess", TableEncoder(...)), ("model", <the user's model>)])``

and ``fit`` learns the encoder on *the trial's training rows only*; the test rows are
only transformed. Which column gets which encoding is the *plan*
(:func:`dataroi.data.plan_preprocessing`), read from the whole table so that it is the
same for every trial of a study (a learning curve never mixes encodings); what is
*fitted* — levels, vocabularies, means, medians, target encodings — comes from the
training rows, so nothing of the test rows reaches a trial, and a level seen only in the
test rows is handled (one-hot: zeros; target encoding: the training mean). The
encodings are in :mod:`dataroi.trial._table_encoder`.

The model is wrapped only when the table needs it (a column that is not a complete
number) and the spec did not switch it off (``preprocess: {mode: none}``). A model that
brings its own column handling — a pipeline starting with a ``ColumnTransformer``, a
``FunctionTransformer``, an encoder, an imputer, a text vectorizer, or a skrub /
category_encoders / feature_engine transformer — is left as it is.

Why our own encoder and not skrub's ``TableVectorizer``: ``benchmarks/bench_preprocess.py``
ran both (skrub's ``tabular_pipeline``, its recommended per-model setup) in the same run
on 8 corpus tables with mixed columns, with logistic regression, histogram gradient
boosting and a random forest at 3 training sizes × 3 repeats; ``docs/preprocess.md``
has the figures. Scores were on par or better for ours (clearly better for logistic
regression on tables with many-level columns), its preprocessing was several times
faster — and a trial of a small model on a small training set is milliseconds, so the
preprocessing must not dominate it — it adds no dependency (skrub is not one of
dataroi's, and would bring requests, pydot, cloudpickle), and it does not move with a
0.x library's defaults: a change of preprocessing must change every model's identity
(:data:`dataroi.spec.PREPROCESS_REVISION`), which a dependency's release cannot do.

Example:
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from dataroi.data import plan_preprocessing, profile_frame
    >>> X = pd.DataFrame({"student": pd.Categorical(["No", "Yes", "No", "Yes"]),
    ...                   "balance": [729.5, np.inf, 1073.5, np.nan]})
    >>> plan = plan_preprocessing(profile_frame(X), None, task="classification")
    >>> est = wrap(LogisticRegression(), plan)
    >>> [name for name, _ in est.steps]
    ['preprocess', 'model']
    >>> est.fit(X, [0, 1, 0, 1]).predict(X).tolist()
    [0, 1, 0, 1]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataroi.data import PreprocessPlan, plan_preprocessing, profile_arrays
from dataroi.trial._estimators import build_estimator
from dataroi.trial._table_encoder import make_preprocessor, native_categories

if TYPE_CHECKING:
    from dataroi.data import WorkerData

__all__ = ["TrialModel", "build_trial_model", "own_preprocessing", "store_plan", "wrap"]

#: First steps that show a model handles its own columns (classes and their subclasses).
_OWN_STEPS = frozenset({
    "ColumnTransformer", "FeatureUnion", "FunctionTransformer", "OneHotEncoder",
    "OrdinalEncoder", "TargetEncoder", "SimpleImputer", "KNNImputer", "IterativeImputer",
    "MissingIndicator", "CountVectorizer", "TfidfVectorizer", "HashingVectorizer",
    "DictVectorizer", "FeatureHasher",
})
_OWN_PACKAGES = frozenset({"skrub", "category_encoders", "feature_engine"})

_PLANS: dict[tuple[str, str], PreprocessPlan] = {}


def store_plan(data: WorkerData, config: Mapping[str, Any] | None) -> PreprocessPlan:
    """The plan for a worker's data store (made once per process, data and config).

    It equals :meth:`dataroi.data.PreparedData.preprocess_plan` of the data the store was
    written from.
    """
    cfg = dict(config or {})
    key = (data.path, json.dumps(cfg, sort_keys=True, default=str))
    plan = _PLANS.get(key)
    if plan is None:
        forced = set(cfg.get("categorical_columns") or ())
        values = {c["name"]: arr for c, arr in zip(data.columns, data.arrays, strict=True)
                  if c["name"] in forced and c["kind"] != "category"}
        plan = plan_preprocessing(profile_arrays(data.columns, data.arrays), cfg,
                                  task=data.task, values=values)
        if len(_PLANS) > 32:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def _first_step(est: Any) -> Any:
    while hasattr(est, "steps"):
        steps = [s for _, s in est.steps if s is not None and not isinstance(s, str)]
        if not steps:
            return None
        est = steps[0]
    return est


def own_preprocessing(est: Any) -> str | None:
    """The class name of the step with which ``est`` handles its own columns (the first
    step of a pipeline, when it is a column transformer, an encoder, an imputer, a text
    vectorizer or from a preprocessing library), else None.

    Example:
        >>> from sklearn.linear_model import LogisticRegression
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
        >>> own_preprocessing(make_pipeline(OneHotEncoder(), LogisticRegression()))
        'OneHotEncoder'
        >>> own_preprocessing(make_pipeline(StandardScaler(), LogisticRegression())) is None
        True
    """
    if not hasattr(est, "steps"):
        return None
    first = _first_step(est)
    if first is None:
        return None
    names = {c.__name__ for c in type(first).__mro__}
    package = type(first).__module__.split(".")[0]
    if names & _OWN_STEPS or package in _OWN_PACKAGES:
        return type(first).__name__
    return None


def accepts_sparse(est: Any) -> bool:
    """Whether ``est`` takes sparse input (scikit-learn's ``input_tags.sparse``; False
    for an estimator without tags).

    Example:
        >>> from sklearn.ensemble import HistGradientBoostingClassifier
        >>> from sklearn.linear_model import LogisticRegression
        >>> accepts_sparse(LogisticRegression()), accepts_sparse(HistGradientBoostingClassifier())
        (True, False)
    """
    try:
        from sklearn.utils import get_tags

        return bool(get_tags(est).input_tags.sparse)
    except Exception:  # not a scikit-learn estimator: dense is the safe side
        return False


def wrap(est: Any, plan: PreprocessPlan) -> Any:
    """``Pipeline([("preprocess", TableEncoder(...)), ("model", est)])``: text stays
    sparse for a model that takes sparse input, categories stay categories for one that
    takes them natively."""
    from sklearn.pipeline import Pipeline

    encoder = make_preprocessor(plan, sparse=accepts_sparse(est),
                                native=native_categories(est))
    return Pipeline([("preprocess", encoder), ("model", est)])


@dataclass(frozen=True)
class TrialModel:
    """The estimator a trial fits, and what preprocessing did to it.

    Attributes:
        estimator: the estimator (wrapped or not), unfitted and unseeded.
        preprocess: ``applied``, ``not needed`` (the table is complete numbers), ``off``
            (``mode: none``, or no ``preprocess`` entry in the model) or ``own`` (the
            model handles its own columns).
        plan: the table's plan (None when off).
        own_step: the class name of the model's own first step (for ``own``).
    """

    estimator: Any
    preprocess: str
    plan: PreprocessPlan | None = None
    own_step: str | None = None


def build_trial_model(model: Mapping[str, Any], data: WorkerData) -> TrialModel:
    """Build the model spec dictionary's estimator and wrap it when the table needs it.

    The dictionary's ``preprocess`` entry is the study's ``preprocess:`` section as
    plain data (absent: off, as for payloads made before preprocessing existed).
    """
    est = build_estimator(dict(model))
    config = model.get("preprocess")
    if config is None or config.get("mode") == "none":
        return TrialModel(est, "off")
    plan = store_plan(data, config)
    if not plan.needed:
        return TrialModel(est, "not needed", plan)
    own = own_preprocessing(est)
    if own is not None:
        return TrialModel(est, "own", plan, own_step=own)
    return TrialModel(wrap(est, plan), "applied", plan)
