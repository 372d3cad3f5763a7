"""What a follow-up needs beyond the forecasts: the test sets' sampling noise.

A forecast made on one data version predicts a model's score on *that* version's test
set; the follow-up measures it on the new version's test set, drawn afresh. The two
scores differ by the test sets' sampling noise even when the curve is exactly right, so
the forecast's intervals are widened by it before they are checked
(:func:`dataroi.decide.check_forecasts`, ``test_sd``).

Example:
    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...                        "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> now = SimpleNamespace(models=("lr",), test_boot={"lr": np.array([.80, .82, .84])})
    >>> then = SimpleNamespace(models=("lr",), test_boot={})  # its predictions unread
    >>> sd, note = sampling_noise(spec, then, now, {"description": {"test_size": 100}},
    ...                       {"description": {"test_size": 400}})
    >>> round(sd["lr"], 4)   # today's 0.02, the earlier 4x fewer rows' 0.04
    0.0447
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dataroi.spec import StudySpec

__all__ = ["class_shift", "sampling_noise"]

#: Class shares of two test sets that a chi-square test puts apart at this level or
#: below are "moved" (a note of the follow-up).
SHIFT_P = 0.001


def sampling_noise(spec: StudySpec, curves_then: Any, curves_now: Any,
                   context_then: Mapping[str, Any], context_now: Mapping[str, Any]
                   ) -> tuple[dict[str, float], str]:
    """Each model's spread of the difference between its score on the test set a
    forecast was made on and on today's (a new data version draws a new test set), and
    a note for the follow-up.

    Each test set's spread is the standard deviation of the model's score over the
    test-set bootstrap (``StudyCurves.test_boot``); where the earlier one's predictions
    cannot be read, it is today's scaled by the square root of the test sizes' ratio (a
    score's sampling noise shrinks as one over the root of the rows). The two test sets
    are taken as independent (a new random split shares about a fifth of the old test
    rows, so this errs a little wide). A study whose test file stays the test set has no
    such noise; none is added without any bootstrap.
    """
    if spec.split.test_file:
        return {}, ""

    def size(context: Mapping[str, Any]) -> float:
        return float((context.get("description") or {}).get("test_size") or 0)

    n_then, n_now = size(context_then), size(context_now)
    out: dict[str, float] = {}
    for m in curves_now.models:
        now = np.asarray(curves_now.test_boot.get(m, ()), float)
        then = np.asarray(curves_then.test_boot.get(m, ()), float)
        sd_now = float(np.nanstd(now, ddof=1)) if now.size > 1 else math.nan
        sd_then = float(np.nanstd(then, ddof=1)) if then.size > 1 else math.nan
        if not math.isfinite(sd_then) and math.isfinite(sd_now) and n_then > 0 and n_now > 0:
            sd_then = sd_now * math.sqrt(n_now / n_then)
        if math.isfinite(sd_now) and math.isfinite(sd_then):
            out[m] = math.hypot(sd_now, sd_then)
    if not out:
        return {}, ("the forecasts' intervals leave out the test sets' sampling noise (no "
                    "test-set bootstrap here): a new data version draws a new test set, so "
                    "they are narrower than the measurement's spread")
    shown = ", ".join(f"{m} ±{sd:.4f}" for m, sd in out.items())
    return out, (f"the intervals include the sampling noise of the two test sets (the "
                 f"forecast's, {int(n_then):,} rows, and today's, {int(n_now):,}): one "
                 f"standard deviation {shown}")


def class_shift(classes_then: Sequence[Any], y_then: np.ndarray, classes_now: Sequence[Any],
                y_now: np.ndarray, *, shown: int = 3) -> str:
    """A note when the class shares of the test set a forecast was made on and of today's
    differ beyond their sampling noise (a chi-square test of the two sets' counts, p <=
    0.001): the forecast extrapolated the old rows' curve, so it says nothing of new
    rows that are not like them. Empty otherwise.

    Args:
        classes_then, classes_now: each version's class names (the codes' order).
        y_then, y_now: each test set's class codes.
        shown: the classes named, those whose share moved most.

    Example:
        >>> import numpy as np
        >>> then = np.repeat([0, 1], [800, 200])
        >>> now = np.repeat([0, 1, 2], [1500, 900, 100])
        >>> print(class_shift(["a", "b"], then, ["a", "b", "c"], now))
        ... # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        the class shares moved between the two test sets (chi-square p < 0.001; total
        variation 0.20): a 80.0 % → 60.0 %, b 20.0 % → 36.0 %, c 0.0 % → 4.0 %; ...
    """
    from scipy.stats import chi2_contingency

    names = sorted({*map(str, classes_then), *map(str, classes_now)})
    index = {n: i for i, n in enumerate(names)}

    def counts(classes: Sequence[Any], y: np.ndarray) -> np.ndarray:
        out = np.zeros(len(names))
        codes, k = np.unique(np.asarray(y, dtype=int), return_counts=True)
        for c, n in zip(codes, k, strict=True):
            out[index[str(classes[c])]] += n
        return out

    full = np.vstack([counts(classes_then, y_then), counts(classes_now, y_now)])
    seen = full.sum(axis=0) > 0
    table, kept = full[:, seen], [n for n, k in zip(names, seen, strict=True) if k]
    if table.shape[1] < 2 or table[0].sum() == 0 or table[1].sum() == 0:
        return ""
    if float(chi2_contingency(table).pvalue) > SHIFT_P:
        return ""
    share = table / table.sum(axis=1, keepdims=True)
    moved = np.argsort(-np.abs(share[1] - share[0]), kind="stable")[:shown]
    said = ", ".join(f"{kept[j]} {100 * share[0, j]:.1f} % → {100 * share[1, j]:.1f} %"
                     for j in moved)
    tv = 0.5 * float(np.abs(share[1] - share[0]).sum())
    return (f"the class shares moved between the two test sets (chi-square p < 0.001; total "
            f"variation {tv:.2f}): {said}; the forecasts followed the earlier rows' curve, "
            "so new rows unlike them can miss it by more than the intervals")
