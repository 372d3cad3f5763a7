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

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dataroi.exceptions import SpecError
from dataroi.metrics import get_metric
from dataroi.spec import StudySpec
from dataroi.trial._estimators import build_estimator, validate_estimator_params

if TYPE_CHECKING:
    from dataroi.data import DataCheck, PreparedData

__all__ = ["check_model_columns", "check_models"]

#: Rows of the pool a model is fitted on to see whether it takes a column (the first
#: rows of the first repeat's stratified permutation: every class is there).
PROBE_ROWS = 100


def check_models(spec: StudySpec, *, task: str | None, source: str | None = None) -> None:
    """Build every model once (unfitted) to catch bad import paths and params early.

    Modules next to the spec (``spec.base_dir``) are importable; a misspelt path is
    reported with the closest name that exists (``did you mean ...?``).

    With ``task`` known, also check that every metric fits it and that each model can
    produce what the metrics need (``predict_proba`` for log loss, ...).

    Raises:
        SpecError: listing every problem.
    """
    problems: list[str] = []
    for m in spec.models:
        where = f"models.{m.name}"
        try:
            est = build_estimator(m.to_dict() | {"spec_dir": spec.base_dir})
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


def _probe_fit(spec: StudySpec, model: Any, X: Any, y: Any, task: str) -> str | None:
    """Fit ``model`` as a trial would (behind the study's preprocessing when the table
    needs it and the model has none of its own) on a few rows; None, or the error."""
    import warnings

    from dataroi.data import plan_preprocessing, profile_frame
    from dataroi.trial._preprocess import own_preprocessing, wrap

    try:
        est = build_estimator(model.to_dict() | {"spec_dir": spec.base_dir})
        if spec.preprocess.enabled:
            plan = plan_preprocessing(profile_frame(X), spec.preprocess, task=task)
            if plan.needed and own_preprocessing(est) is None:
                est = wrap(est, plan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except Exception as exc:
        lines = str(exc).strip().splitlines()
        return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:160]
    return None


def _dense_text(spec: StudySpec, prep: PreparedData) -> list[DataCheck]:
    """A warning per linear model that takes no sparse input while the table has text:
    its text reaches it as the few LSA components of character n-grams meant for trees,
    not as words' TF-IDF (:mod:`dataroi.trial._table_encoder`) — on 20 newsgroups a
    ``StandardScaler`` + logistic regression scored 0.717 at 4,000 labels this way and
    0.859 with ``with_mean: false``, which keeps the input sparse."""
    from dataroi.data import DataCheck
    from dataroi.trial._preprocess import accepts_sparse, own_preprocessing

    if not spec.preprocess.enabled:
        return []
    text = prep.preprocess_plan(spec).text
    if not text:
        return []
    out = []
    for m in spec.models:
        try:
            est = build_estimator(m.to_dict() | {"spec_dir": spec.base_dir})
        except Exception:  # check_models reports it
            continue
        final = est.steps[-1][1] if hasattr(est, "steps") else est
        linear = type(final).__module__.startswith("sklearn.linear_model")
        if own_preprocessing(est) is not None or accepts_sparse(est) or not linear:
            continue
        cols = ", ".join(repr(c) for c in text[:3]) + (" ..." if len(text) > 3 else "")
        out.append(DataCheck(
            "dense_text",
            f"model '{m.name}' is linear but takes no sparse input, so its text column"
            f"{' ' + cols + ' reaches' if len(text) == 1 else 's ' + cols + ' reach'} it "
            "as a few LSA components of "
            "character n-grams (meant for trees) instead of words' TF-IDF, which a linear "
            "model reads far better; a StandardScaler in its pipeline centres the data: "
            "give it params: {with_mean: false} (or drop it)", tuple(text)))
    return out


#: The kinds of column a model may refuse, as the messages name them: the empty and
#: non-finite columns of :func:`dataroi.data.check_columns`, and the suspects of
#: :func:`_suspect_columns`.
_WHAT = {"empty": "empty", "not_finite": "no finite value",
         "some_infinite": "infinite values", "some_missing": "missing values", "text": "text"}


def _suspect_columns(prep: PreparedData) -> list[DataCheck]:
    """Columns that some models cannot take although they carry information: some (not
    all) values infinite or missing, or text. Severity ``suspect``: a finding only when a
    model refuses them in the probe (its trials that draw such rows would fail)."""
    from dataroi.data import DataCheck, profile_frame

    n = len(prep.X)
    kinds: dict[str, list[str]] = {"some_infinite": [], "some_missing": [], "text": []}
    for p in profile_frame(prep.X):
        if p.infinite and p.infinite + p.missing < n:
            kinds["some_infinite"].append(p.name)
        elif p.missing and p.missing < n:
            kinds["some_missing"].append(p.name)
        if p.stored == "category" and p.missing < n:
            kinds["text"].append(p.name)
    return [DataCheck(kind, f"column{'s' * (len(cols) > 1)} "
                            f"{', '.join(repr(c) for c in cols)} ({_WHAT[kind]})",
                      tuple(cols), severity="suspect")
            for kind, cols in kinds.items() if cols]


def check_model_columns(spec: StudySpec, prep: PreparedData,
                        checks: Sequence[DataCheck]) -> list[DataCheck]:
    """Whether the spec's models take the empty and non-finite columns of
    :func:`dataroi.data.check_columns`: each model is fitted, as a trial would fit it
    (behind the study's preprocessing), on a few rows of the pool holding one such column
    beside a column of random numbers. The check's warning names the models that fail
    (their trials would all fail) — a model that fails on these few rows with random
    numbers in the column's place too is not counted: it fails for another reason —
    and when no model takes the column it becomes an error.

    Returns:
        ``checks``, with those checks completed (nothing is raised here; see
        :func:`dataroi.data.raise_for_errors`).

    Example:
        >>> import numpy as np
        >>> from dataroi.data import DataCheck, prepare_data
        >>> from dataroi.spec import spec_from_dict
        >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
        ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"},
        ...     "preprocess": "none"})
        >>> prep = prepare_data(spec)
        >>> prep.X["petal width (cm)"] = np.nan
        >>> found = DataCheck("empty", "column 'petal width (cm)' is empty",
        ...                   ("petal width (cm)",))
        >>> out = check_model_columns(spec, prep, [found])[0]
        >>> print(out.severity, out.message)  # doctest: +ELLIPSIS
        error column 'petal width (cm)' (empty): no model of the spec takes it: lr \
(ValueError: Input X contains NaN...); remove preprocess: mode none (dataroi then fills \
it), or leave it out with data.features
    """
    import numpy as np
    import pandas as pd

    from dataroi._random import subset_seed
    from dataroi.data import nested_permutation

    checks = [*checks, *_suspect_columns(prep), *_dense_text(spec, prep)]
    todo = [c for c in checks if c.check in _WHAT]
    if not todo or not spec.models:
        return [c for c in checks if c.severity != "suspect"]
    pool_y = prep.y[prep.pool_idx]
    perm = nested_permutation(pool_y if prep.task == "classification" else None,
                              subset_seed(spec.schedule.seed, 0), n=len(pool_y))
    rows = prep.pool_idx[perm[:PROBE_ROWS]]
    y = prep.y[rows]
    noise = np.random.default_rng(0).normal(size=(2, len(rows)))
    fits: dict[str, bool] = {}  # the model fits the same rows with a good column there
    refusals: dict[tuple[str, str], dict[str, str]] = {}
    out = []
    for check in checks:
        if check not in todo:
            out.append(check)
            continue
        failing: dict[str, dict[str, str]] = {}
        for column in check.columns:
            values = prep.X[column].iloc[rows].reset_index(drop=True)
            if check.check in ("some_infinite", "some_missing"):  # put the bad values in
                whole = prep.X[column]
                flags = whole.isna() if check.check == "some_missing" else np.isinf(
                    whole.to_numpy(dtype="float64", na_value=0.0))
                values.iloc[:max(1, len(values) // 10)] = whole[np.asarray(flags)].iloc[0]
            stored = "category" if isinstance(values.dtype, pd.CategoricalDtype) else "number"
            key = (check.check, stored)  # columns of one kind behave alike: probe once
            if key not in refusals:
                X = pd.DataFrame({"__dataroi_probe__": noise[0], column: values})
                refusals[key] = {}
                for m in spec.models:
                    err = _probe_fit(spec, m, X, y, prep.task)
                    if err and m.name not in fits:
                        good = pd.DataFrame({"__dataroi_probe__": noise[0], column: noise[1]})
                        fits[m.name] = _probe_fit(spec, m, good, y, prep.task) is None
                    if err and fits[m.name]:  # else: it fails for another reason here
                        refusals[key][m.name] = err
            failing[column] = refusals[key]
        blocked = [c for c in check.columns if len(failing[c]) == len(spec.models)]
        if blocked:  # no model takes these columns: nothing can run
            one, why = len(blocked) == 1, failing[blocked[0]]
            it = "it" if one else "them"
            verb = "encodes" if check.check == "text" else "fills"
            hint = (f"remove preprocess: mode none (dataroi then {verb} {it}), or leave {it} "
                    "out with data.features" if not spec.preprocess.enabled
                    else f"leave {it} out with data.features")
            out.append(dataclasses.replace(
                check, severity="error", columns=tuple(blocked),
                message=f"column{'' if one else 's'} {', '.join(repr(c) for c in blocked)} "
                        f"({_WHAT[check.check]}): no "
                        f"model of the spec takes {it}: "
                        f"{', '.join(f'{m} ({e})' for m, e in why.items())}; {hint}"))
            if len(blocked) == len(check.columns):
                continue
        bad = {m: e for c in check.columns if c not in blocked for m, e in failing[c].items()}
        if not bad:
            if check.severity != "suspect":  # a suspicion every model takes is no finding
                out.append(check)
            continue
        if check.severity == "suspect":
            check = dataclasses.replace(check, severity="warning")
        names = ", ".join(f"'{m}'" for m in bad)
        one_model = len(bad) == 1
        out.append(dataclasses.replace(
            check, message=f"{check.message}; model{'' if one_model else 's'} {names} "
                           f"cannot take {'it' if len(check.columns) == 1 else 'them'} "
                           f"({next(iter(bad.values()))}): {'its' if one_model else 'their'} "
                           "trials will fail"))
    return out
