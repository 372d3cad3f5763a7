"""Build unfitted estimators from model specs (plain dictionaries), and seed them.

Used both by spec validation (to catch bad import paths and params before anything runs)
and by the worker (to build a fresh estimator per trial).

Example:
    >>> est = build_estimator({"estimator": "sklearn.linear_model.LogisticRegression",
    ...                        "params": {"C": 0.5}})
    >>> est.C
    0.5
    >>> seed_estimator(est, 7) is est
    True
"""

from __future__ import annotations

import importlib
from typing import Any

from dataroi.exceptions import UsageError

__all__ = ["build_estimator", "import_object", "seed_estimator", "validate_estimator_params"]


def import_object(path: str) -> Any:
    """Import ``package.module.Name`` or ``package.module:function``.

    Raises:
        ImportError: with a message naming what could not be found.
    """
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"'{path}' is not an import path like 'package.module.Name'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import module '{module_name}': {exc}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImportError(f"module '{module_name}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    return obj


def build_estimator(model: dict[str, Any]) -> Any:
    """Return a new unfitted estimator for a model spec dictionary.

    The dictionary has ``estimator`` (import path) + ``params``, or ``pipeline`` (a list
    of such dictionaries, made into :func:`sklearn.pipeline.make_pipeline`), or
    ``factory`` (``module:function`` called with ``params`` as keyword arguments).
    """
    params = dict(model.get("params") or {})
    if model.get("pipeline") is not None:
        from sklearn.pipeline import make_pipeline

        steps = [build_estimator(step) for step in model["pipeline"]]
        pipe = make_pipeline(*steps)
        if params:
            pipe.set_params(**params)
        return pipe
    if model.get("factory"):
        factory = import_object(model["factory"])
        if not callable(factory):
            raise UsageError(f"factory '{model['factory']}' is not callable")
        est = factory(**params)
        if not hasattr(est, "fit"):
            raise UsageError(f"factory '{model['factory']}' returned {type(est).__name__}, "
                            "which has no fit()")
        return est
    cls = import_object(model["estimator"])
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
