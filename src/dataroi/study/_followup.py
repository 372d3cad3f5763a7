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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from dataroi.spec import StudySpec

__all__ = ["sampling_noise"]


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
