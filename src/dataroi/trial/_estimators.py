"""Build unfitted estimators from model specs (plain dictionaries), and seed them.

Used both by spec validation (to catch bad import paths and params before anything runs)
and by the worker (to build a fresh estimator per trial). Import paths resolve through
:func:`dataroi._imports.import_object`, with the spec's folder (the dictionary's
``spec_dir``) first on ``sys.path``.

Example:
    >>> est = build_estimator({"estimator": "sklearn.linear_model.LogisticRegression",
    ...                        "params": {"C": 0.5}})
    >>> est.C
    0.5
    >>> seed_estimator(est, 7) is est
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataroi._imports import import_object, imported_digest
from dataroi.exceptions import UsageError

__all__ = ["build_estimator", "import_object", "seed_estimator", "validate_estimator_params"]


def build_estimator(model: Mapping[str, Any]) -> Any:
    """Return a new unfitted estimator for a model spec dictionary.

    The dictionary has ``estimator`` (import path) + ``params``, or ``pipeline`` (a list
    of such dictionaries, made into :func:`sklearn.pipeline.make_pipeline`), or
    ``factory`` (``module:function`` called with ``params`` as keyword arguments).
    ``spec_dir`` (the spec's folder) makes the modules next to the spec importable;
    ``sources`` (module → SHA-256, the code the trial was planned with) is checked
    against the code imported, so a trial never runs code other than its identity says.

    Raises:
        ImportError: an import path that does not resolve (with ``did you mean``).
        UsageError: a factory that is not callable or returns no estimator; a module
            whose file changed since the trial was planned.
    """
    folder = model.get("spec_dir")
    est = _build(model, folder)
    for module_name, digest in (model.get("sources") or {}).items():
        now = imported_digest(module_name)
        if now is not None and now != digest:
            raise UsageError(f"the code of module '{module_name}' changed since this run "
                             "planned its trials; run again to plan them for the new code")
    return est


def _build(model: Mapping[str, Any], folder: str | None) -> Any:
    params = dict(model.get("params") or {})
    if model.get("pipeline") is not None:
        from sklearn.pipeline import make_pipeline

        steps = [_build(step, folder) for step in model["pipeline"]]
        pipe = make_pipeline(*steps)
        if params:
            pipe.set_params(**params)
        return pipe
    if model.get("factory"):
        factory = import_object(model["factory"], search_path=folder)
        if not callable(factory):
            raise UsageError(f"factory '{model['factory']}' is not callable")
        est = factory(**params)
        if not hasattr(est, "fit"):
            raise UsageError(f"factory '{model['factory']}' returned {type(est).__name__}, "
                             "which has no fit()")
        return est
    cls = import_object(model["estimator"], search_path=folder)
    if not callable(cls) or not hasattr(cls, "fit"):
        raise UsageError(f"'{model['estimator']}' is not an estimator class (no fit method)")
    return cls(**params)


def validate_estimator_params(est: Any) -> None:
    """Run scikit-learn's own parameter validation without fitting (where available)."""
    from sklearn.base import BaseEstimator
    from sklearn.pipeline import Pipeline

    if isinstance(est, Pipeline):
        for _, step in est.steps:
            if step is not None and step != "passthrough":
                validate_estimator_params(step)
        return
    validate = getattr(est, "_validate_params", None)
    if isinstance(est, BaseEstimator) and callable(validate):
        validate()


def seed_estimator(est: Any, seed: int) -> Any:
    """Set every ``random_state`` parameter (also nested ones) that the user left unset.

    A plain int is passed (house rule 4). Parameters the user fixed explicitly are kept.
    """
    if not hasattr(est, "get_params"):
        return est
    updates = {
        name: int(seed)
        for name, value in est.get_params(deep=True).items()
        if (name == "random_state" or name.endswith("__random_state")) and value is None
    }
    if updates:
        est.set_params(**updates)
    return est
