"""Check a spec's models before anything runs: build each once, unfitted.

Building a model imports its code (``estimator:`` and ``factory:`` name any Python), so
only the commands that run a study call this, never the reading ones (house rule: reading
runs no code of the spec's).

Example:
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...     "models": {"lr": {"sklearn.linear_model.LogisticRegression": {"C": -1}}}})
    >>> try:
    ...     check_models(spec, task="classification")
    ... except SpecError as exc:
    ...     print(exc.problems[0][:40])
    models.lr.params: The 'C' parameter of L
"""

from __future__ import annotations

from dataroi.exceptions import SpecError
from dataroi.metrics import get_metric
from dataroi.spec import StudySpec
from dataroi.trial._estimators import build_estimator, validate_estimator_params

__all__ = ["check_models"]


def check_models(spec: StudySpec, *, task: str | None, source: str | None = None) -> None:
    """Build every model once (unfitted) to catch bad import paths and params early.

    With ``task`` known, also check that every metric fits it and that each model can
    produce what the metrics need (``predict_proba`` for log loss, ...).

    Raises:
        SpecError: listing every problem.
    """
    problems: list[str] = []
    for m in spec.models:
        where = f"models.{m.name}"
        try:
            est = build_estimator(m.to_dict())
            validate_estimator_params(est)
        except ImportError as exc:
            problems.append(f"{where}: {exc}")
            continue
        except Exception as exc:  # bad params: TypeError, InvalidParameterError, ValueError
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            problems.append(f"{where}.params: {msg}")
            continue
        if task is None:
            continue
        if task == "classification" and not hasattr(est, "predict_proba"):
            needs_proba = [n for n in spec.metrics if get_metric(n).needs == "proba"]
            if needs_proba:
                problems.append(
                    f"{where}: metrics {', '.join(needs_proba)} need predict_proba, which "
                    f"{type(est).__name__} does not offer with these params"
                    + (" (set probability: true)" if type(est).__name__ == "SVC" else "")
                )
            elif any(get_metric(n).needs == "score" for n in spec.metrics) and not hasattr(
                est, "decision_function"
            ):
                problems.append(f"{where}: roc_auc needs predict_proba or decision_function")
    if task is not None:
        for i, n in enumerate(spec.metrics):
            if get_metric(n).task != task:
                problems.append(f"metrics[{i}]: '{n}' is a {get_metric(n).task} metric but "
                                f"the task is {task}")
    if problems:
        raise SpecError(problems, source=source)
