"""The metric registry: every metric a study can score, with what it needs.

A metric declares the task it fits (classification or regression), what it reads from
the model (hard labels, probabilities, or a score), whether higher is better and the
range of its values. Scoring works on *full-width* probabilities (one column per class of
the whole data set, in label-code order), so a model trained on a subset that lacks a
class still scores. A binary metric of "the positive class" (average precision, Brier)
reads code 1: the label that sorts last (1, True, "Yes"). A metric that is undefined on
the test set at hand (a single class in it) scores NaN.

Example:
    >>> import numpy as np
    >>> m = get_metric("accuracy")
    >>> m.higher_is_better, m.needs
    (True, 'pred')
    >>> float(m.score(np.array([0, 1, 1]), pred=np.array([0, 1, 0]), proba=None, n_classes=2))
    0.6666666666666666
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dataroi._names import did_you_mean
from dataroi.exceptions import UnknownNameError, UsageError

__all__ = ["METRICS", "Metric", "expected_calibration_error", "get_metric", "metric_names"]

Needs = Literal["pred", "proba", "score"]
Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class Metric:
    """One registered metric.

    Attributes:
        name: registry name used in specs.
        task: the task it applies to.
        needs: ``"pred"`` (hard labels / values), ``"proba"`` (class probabilities) or
            ``"score"`` (probabilities if available, else ``decision_function``).
        higher_is_better: direction of improvement.
        description: one line for ``dataroi init`` and error messages.
        value_range: ``(low, high)``, the values it can take (``±inf`` where unbounded).
    """

    name: str
    task: Task
    needs: Needs
    higher_is_better: bool
    description: str
    _fn: Callable[..., float]
    value_range: tuple[float, float] = (-math.inf, math.inf)

    @property
    def best_value(self) -> float:
        """The best value the metric can take (1 for accuracy and MCC, 0 for an error).

        Example:
            >>> get_metric("mcc").best_value, get_metric("log_loss").best_value
            (1.0, 0.0)
        """
        low, high = self.value_range
        return float(high if self.higher_is_better else low)

    @property
    def unit_interval(self) -> bool:
        """Whether the values lie in [0, 1] with higher better (accuracy, ROC AUC,
        average precision; not MCC, which reaches -1): the scale that curve forecasts
        learned on such metrics assume.

        Example:
            >>> get_metric("average_precision").unit_interval, get_metric("mcc").unit_interval
            (True, False)
        """
        return self.higher_is_better and self.value_range == (0.0, 1.0)

    def score(
        self,
        y_true: np.ndarray,
        *,
        pred: np.ndarray | None,
        proba: np.ndarray | None,
        n_classes: int | None,
    ) -> float:
        """Score one prediction set; return NaN where the metric is undefined.

        Args:
            y_true: true labels (codes 0..n_classes-1) or true values.
            pred: predicted labels or values.
            proba: (n_rows, n_classes) probabilities or scores, full width; None if absent.
            n_classes: number of classes of the whole data set (None for regression).
        """
        try:
            with warnings.catch_warnings():
                # a resampled test set or a slice lacks a class the model predicts, or
                # holds one class: the score is over the classes present; not news
                warnings.filterwarnings("ignore", "y_pred contains classes not in y_true",
                                        UserWarning)
                warnings.filterwarnings("ignore", "A single label was found in 'y_true' "
                                        "and 'y_pred'", UserWarning)
                value = float(self._fn(y_true, pred=pred, proba=proba, n_classes=n_classes))
        except ValueError:
            # e.g. ROC AUC when the test set holds a single class: undefined, not a crash
            return math.nan
        return value


def expected_calibration_error(
    y_true: np.ndarray, proba: np.ndarray, *, n_bins: int = 15
) -> float:
    """Top-label expected calibration error with equal-width confidence bins.

    ECE = Σ_b (|B_b| / n) · |accuracy(B_b) − confidence(B_b)| over bins of the predicted
    class's probability (Guo et al., 2017).

    Example:
        >>> import numpy as np
        >>> y = np.array([0, 1, 1, 0])
        >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
        >>> round(expected_calibration_error(y, p), 4)
        0.25
    """
    proba = np.asarray(proba, dtype=float)
    conf = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == np.asarray(y_true)).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    total = 0.0
    n = len(conf)
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            total += mask.sum() / n * abs(correct[mask].mean() - conf[mask].mean())
    return float(total)


def _labels(n_classes: int | None) -> np.ndarray:
    assert n_classes is not None
    return np.arange(n_classes)


def _roc_auc(y, *, pred, proba, n_classes):
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if n_classes == 2:
        return roc_auc_score(y, proba[:, 1])
    # one-vs-rest, macro average over the classes present in the test set (as sklearn's
    # multi_class="ovr"), computed per class so that missing classes do not break it
    aucs = [roc_auc_score(y == c, proba[:, c]) for c in np.unique(y)]
    if len(aucs) < 2:
        raise UsageError("a single class in the test set")
    return float(np.mean(aucs))


def _classes_present(y: np.ndarray) -> np.ndarray:
    """The classes in ``y``; a ValueError (NaN score) when there is only one."""
    present = np.unique(np.asarray(y))
    if len(present) < 2:
        raise UsageError("a single class in the test set")
    return present


def _average_precision(y, *, pred, proba, n_classes):
    from sklearn.metrics import average_precision_score

    y = np.asarray(y)
    present = _classes_present(y)
    if n_classes == 2:  # the positive class: code 1, the label that sorts last
        return average_precision_score(y == 1, proba[:, 1])
    # one-vs-rest, macro average over the classes present in the test set (sklearn's
    # average="macro" on a label-binarised target when every class is present)
    return float(np.mean([average_precision_score(y == c, proba[:, c]) for c in present]))


def _mcc(y, *, pred, proba, n_classes):
    from sklearn.metrics import matthews_corrcoef

    _classes_present(y)
    return matthews_corrcoef(y, pred)


def _log_loss(y, *, pred, proba, n_classes):
    from sklearn.metrics import log_loss

    # rows renormalised: float32 probabilities sum to 1 only to ~1e-7, which sklearn
    # warns about (it checks to ~1e-8)
    p = np.clip(np.asarray(proba, dtype=float), 1e-15, 1.0)
    return log_loss(y, p / p.sum(axis=1, keepdims=True), labels=_labels(n_classes))


def _brier(y, *, pred, proba, n_classes):
    onehot = np.zeros_like(proba, dtype=float)
    onehot[np.arange(len(y)), np.asarray(y, dtype=int)] = 1.0
    if n_classes == 2:  # the usual binary Brier score (sklearn's brier_score_loss)
        return float(np.mean((proba[:, 1] - onehot[:, 1]) ** 2))
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def _sk(name: str, **kw) -> Callable[..., float]:
    def fn(y, *, pred, proba, n_classes):
        import sklearn.metrics as skm

        return getattr(skm, name)(y, pred, **kw)

    fn.__name__ = name
    return fn


def _f1_macro(y, *, pred, proba, n_classes):
    from sklearn.metrics import f1_score

    return f1_score(y, pred, average="macro", labels=_labels(n_classes), zero_division=0)


def _rmse(y, *, pred, proba, n_classes):
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(pred, float)) ** 2)))


_UNIT = (0.0, 1.0)
_NON_NEGATIVE = (0.0, math.inf)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "classification", "pred", True, "share of correct labels",
               _sk("accuracy_score"), _UNIT),
        Metric("balanced_accuracy", "classification", "pred", True,
               "mean recall over classes", _sk("balanced_accuracy_score"), _UNIT),
        Metric("f1_macro", "classification", "pred", True, "unweighted mean F1 over classes",
               _f1_macro, _UNIT),
        Metric("roc_auc", "classification", "score", True,
               "ROC AUC (binary; one-vs-rest macro for several classes)", _roc_auc, _UNIT),
        Metric("average_precision", "classification", "score", True,
               "PR AUC: average precision (binary; one-vs-rest macro for several classes)",
               _average_precision, _UNIT),
        Metric("mcc", "classification", "pred", True,
               "Matthews correlation coefficient of the labels, -1 to 1 (0: chance)",
               _mcc, (-1.0, 1.0)),
        Metric("log_loss", "classification", "proba", False, "cross-entropy of probabilities",
               _log_loss, _NON_NEGATIVE),
        Metric("brier", "classification", "proba", False,
               "Brier score (binary: of the positive class; else summed over classes)",
               _brier, (0.0, 2.0)),
        Metric("ece", "classification", "proba", False,
               "expected calibration error, top label, 15 bins",
               lambda y, *, pred, proba, n_classes: expected_calibration_error(y, proba),
               _UNIT),
        Metric("r2", "regression", "pred", True, "coefficient of determination",
               _sk("r2_score"), (-math.inf, 1.0)),
        Metric("rmse", "regression", "pred", False, "root mean squared error", _rmse,
               _NON_NEGATIVE),
        Metric("mae", "regression", "pred", False, "mean absolute error",
               _sk("mean_absolute_error"), _NON_NEGATIVE),
    ]
}

_ALIASES = {"f1": "f1_macro", "auc": "roc_auc", "brier_score": "brier", "logloss": "log_loss",
            "pr_auc": "average_precision", "ap": "average_precision",
            "matthews_corrcoef": "mcc"}


def metric_names(task: Task | None = None) -> list[str]:
    """Names of the registered metrics, optionally only those fitting ``task``."""
    return [n for n, m in METRICS.items() if task is None or m.task == task]


def get_metric(name: str) -> Metric:
    """Return a metric by name (or alias); raise KeyError with a suggestion otherwise."""
    name = _ALIASES.get(name, name)
    if name in METRICS:
        return METRICS[name]
    hint = did_you_mean(name, list(METRICS))
    raise UnknownNameError(f"unknown metric '{name}'{hint}; known: {', '.join(METRICS)}")
