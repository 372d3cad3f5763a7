"""Trials from outside a study: the table ``dataroi trials`` writes, or scikit-learn's
``learning_curve`` arrays.

A user who already ran :func:`sklearn.model_selection.learning_curve` in a notebook
gets the decision too: each fold is a repeat (scikit-learn's folds train on prefixes of
one shuffled training fold, so the sizes of a fold are nested, as a study's are).

Example:
    >>> import numpy as np
    >>> sizes = np.array([50, 100, 200])
    >>> test = np.array([[0.80, 0.82], [0.85, 0.86], [0.88, 0.89]])
    >>> frame = trials_from_learning_curve((sizes, test + 0.05, test), model="svm",
    ...                                    metric="accuracy")
    >>> len(frame), frame["n_train"].tolist()[:3], frame["repeat"].tolist()[:3]
    (6, [50, 50, 100], [0, 1, 0])
    >>> float(frame["value"].iloc[0]), round(float(frame["train_value"].iloc[0]), 2)
    (0.8, 0.85)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_trials", "trials_from_learning_curve"]

#: The columns a table of trials needs (``dataroi trials`` writes them and more).
_COLUMNS = ("model", "n_train", "metric", "value")


def trials_from_learning_curve(result: Sequence[Any], *, model: str = "model",
                               metric: str = "score") -> pd.DataFrame:
    """A tidy trials frame from what ``sklearn.model_selection.learning_curve`` returns.

    Args:
        result: ``(train_sizes, train_scores, test_scores)``, optionally followed by
            ``fit_times`` and ``score_times`` (``return_times=True``); scores of shape
            ``(n_sizes, n_folds)``.
        model: the model's name.
        metric: the scorer's name (``accuracy``, ``roc_auc``...; scikit-learn's scorers
            are higher-is-better, so a loss comes as ``neg_log_loss``).

    Raises:
        UsageError: arrays of the wrong shapes.
    """
    import pandas as pd

    if not isinstance(result, (tuple, list)) or len(result) not in (3, 5):
        raise UsageError("pass what learning_curve returns: (train_sizes, train_scores, "
                         "test_scores[, fit_times, score_times])")
    sizes = np.asarray(result[0])
    train, test = np.asarray(result[1], dtype=float), np.asarray(result[2], dtype=float)
    fit = np.asarray(result[3], dtype=float) if len(result) == 5 else None
    if sizes.ndim != 1 or test.ndim != 2 or test.shape[0] != len(sizes) \
            or train.shape != test.shape or (fit is not None and fit.shape != test.shape):
        raise UsageError(f"learning_curve arrays of shapes {sizes.shape}, {train.shape}, "
                         f"{test.shape}: the scores must be (n_sizes, n_folds) with one row "
                         "per training size")
    rows = [{"model": model, "n_train": int(n), "repeat": r, "metric": metric,
             "value": float(test[i, r]), "train_value": float(train[i, r]),
             "fit_seconds": None if fit is None else float(fit[i, r]), "state": "complete"}
            for i, n in enumerate(sizes) for r in range(test.shape[1])]
    return pd.DataFrame(rows)


def load_trials(source: Any, *, metric: str | None = None) -> pd.DataFrame:
    """A tidy trials frame from a frame, a file or ``learning_curve`` results.

    Args:
        source: a DataFrame (as ``Study.trials()`` returns); the path of a CSV, JSON or
            Parquet file (``dataroi trials SPEC --format csv -o trials.csv``); or a
            mapping model name → ``learning_curve`` result.
        metric: the metric name for ``learning_curve`` results.

    Raises:
        UsageError: a missing or unreadable file, or a source of another kind.
    """
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, Mapping):
        if not source:
            raise UsageError("no learning curves given")
        return pd.concat([trials_from_learning_curve(v, model=str(k),
                                                     metric=metric or "score")
                          for k, v in source.items()], ignore_index=True)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise UsageError(f"trials file not found: {path}")
        suffix = path.suffix.lower()
        try:
            if suffix == ".json":
                frame = pd.read_json(path, orient="records")
            elif suffix in (".parquet", ".pq"):
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the trials file {path}: "
                             f"{str(exc).splitlines()[0] if str(exc) else exc}") from None
        lacking = [c for c in _COLUMNS if c not in frame.columns]
        if lacking:
            raise UsageError(f"{path} is not a table of trials: it lacks the column"
                             f"{'s' * (len(lacking) > 1)} {', '.join(lacking)} (write one "
                             "with `dataroi trials SPEC -o trials.csv`)")
        return frame
    raise UsageError(f"trials must be a DataFrame, a file path or a mapping model → "
                     f"learning_curve result; got {type(source).__name__}")
