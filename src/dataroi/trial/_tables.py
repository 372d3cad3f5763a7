"""Tables of trials: the tidy long table and a per-(model, size) summary.

Example:
    >>> import numpy as np
    >>> mean_ci(np.array([0.8, 0.82, 0.84]))[0]
    0.82
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from dataroi.trial._values import TRAIN_PREFIX, TrialSnapshot, TrialState

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRIAL_COLUMNS", "holdout_noise", "mean_ci", "summary_frame", "trials_frame"]

TRIAL_COLUMNS = ["model", "n_train", "repeat", "seed", "state", "metric", "value",
                 "train_value", "fit_seconds", "predict_seconds", "cpu_seconds", "peak_rss_bytes",
                 "model_bytes", "n_predicted", "error_type", "trial_id", "predictions_digest"]


def trials_frame(snaps: Sequence[TrialSnapshot], metrics: Sequence[str]) -> pd.DataFrame:
    """One row per (finished trial, metric); failed trials carry NaN values.

    ``value`` is the metric on the test set; ``train_value`` the same metric on the rows
    the model was trained on (NaN for trials recorded before dataroi kept it).
    ``model_bytes`` is the fitted model's pickled size and ``n_predicted`` the test rows
    predicted in ``predict_seconds``; each is missing (None, or NaN in a column that has
    numbers) when unknown: a model that cannot be pickled, a trial that failed before,
    or one recorded before dataroi kept them. Inference latency per 1,000 rows is
    ``predict_seconds / n_predicted * 1e6`` milliseconds.
    """
    import pandas as pd

    rows = []
    for s in snaps:
        if not s.state.is_finished:
            continue
        base = {
            "model": s.key.model, "n_train": s.key.n_train, "repeat": s.key.repeat,
            "seed": s.seed, "state": s.state.value,
            "fit_seconds": s.extra.get("fit_seconds"),
            "predict_seconds": s.extra.get("predict_seconds"),
            "cpu_seconds": s.extra.get("cpu_seconds"),
            "peak_rss_bytes": s.extra.get("peak_rss_bytes"),
            "model_bytes": s.extra.get("model_bytes"),
            "n_predicted": s.extra.get("n_predicted"),
            "error_type": s.extra.get("error_type"), "trial_id": s.trial_id,
            "predictions_digest": s.extra.get("predictions_digest"),
        }
        done = s.state is TrialState.COMPLETE
        for m in metrics:
            value = s.metrics.get(m, np.nan) if done else np.nan
            train = s.metrics.get(TRAIN_PREFIX + m, np.nan) if done else np.nan
            rows.append(base | {"metric": m, "value": float(value),
                                "train_value": float(train)})
    frame = pd.DataFrame(rows, columns=TRIAL_COLUMNS)
    return frame.astype({"n_train": "int64", "repeat": "int64", "seed": "int64",
                         "value": "float64", "train_value": "float64"}) if len(frame) else frame


def mean_ci(values: np.ndarray, level: float = 0.95, test_se: float | None = None
            ) -> tuple[float, float, float]:
    """Mean over repeats and an interval of the mean (NaN where undefined).

    The repeats share one test set, so its sampling noise is not averaged away by more
    repeats: ``test_se`` (the standard error of the score due to the test rows, see
    :func:`holdout_noise`) adds to the repeats' standard error in quadrature. Without it
    the interval covers only the repeats' spread — zero-wide at the full pool, where
    every repeat trains on the same rows.

    Example:
        >>> m, lo, hi = mean_ci(np.array([0.92, 0.92, 0.92]))
        >>> round(hi - lo, 6)
        0.0
        >>> m, lo, hi = mean_ci(np.array([0.92, 0.92, 0.92]), test_se=0.01)
        >>> round(lo, 3), round(hi, 3)
        (0.9, 0.94)

    The degrees of freedom of the t quantile are Welch-Satterthwaite's (the test-set
    part is known from the test rows: infinite degrees of freedom), so identical repeats
    give a normal interval of the test-set noise alone.
    """
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    extra = float(test_se) ** 2 if test_se is not None and np.isfinite(test_se) else None
    if len(v) < 2:
        if extra is None:
            return (m, np.nan, np.nan)
        half = float(stdtrit(1e6, 0.5 + level / 2) * np.sqrt(extra))
        return (m, m - half, m + half)
    rep = v.var(ddof=1) / len(v)
    var = rep + (extra or 0.0)
    # Welch-Satterthwaite: the test-set part is known (infinite degrees of freedom)
    df = (len(v) - 1) * var ** 2 / rep ** 2 if rep > 0 else 1e6
    half = float(stdtrit(min(df, 1e6), 0.5 + level / 2) * np.sqrt(var))
    return (m, m - half, m + half)


def holdout_noise(trials: pd.DataFrame, metric: str,
               boot: Mapping[str, np.ndarray] | None = None) -> dict[tuple[str, int], float]:
    """The standard error of each (model, size)'s score due to the test set's rows.

    For accuracy, the binomial ``sqrt(p (1 − p) / n_test)`` with the rows each trial
    predicted (``n_predicted``); for other metrics, the spread of the model's score on
    bootstrap resamples of the test rows (``boot``: model → scores, e.g.
    :attr:`dataroi.value.StudyCurves.test_boot`, measured at today's size and used at
    every size). Missing where neither is known.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"model": ["a", "a"], "n_train": [100, 100], "repeat": [0, 1],
        ...                   "metric": "accuracy", "value": [0.9, 0.9],
        ...                   "n_predicted": [400, 400]})
        >>> round(holdout_noise(t, "accuracy")[("a", 100)], 4)
        0.015
    """
    sub = trials[trials["metric"] == metric]
    out: dict[tuple[str, int], float] = {}
    has_rows = "n_predicted" in sub.columns
    for (model, n), g in sub.groupby(["model", "n_train"], sort=True):
        key = (str(model), int(n))
        vals = g["value"].to_numpy(dtype=float)
        vals = vals[np.isfinite(vals)]
        if not len(vals):
            continue
        rows = g["n_predicted"].astype(float).median() if has_rows else np.nan
        if metric == "accuracy" and np.isfinite(rows) and rows > 0:
            p = float(np.clip(vals.mean(), 0.0, 1.0))
            out[key] = float(np.sqrt(p * (1.0 - p) / rows))
        elif boot is not None and str(model) in boot:
            b = np.asarray(boot[str(model)], dtype=float)
            b = b[np.isfinite(b)]
            if len(b) >= 2:
                out[key] = float(b.std(ddof=1))
    return out


def summary_frame(trials: pd.DataFrame, metric: str,
                  boot: Mapping[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Per (model, n_train): mean, 95 % CI (the repeats' spread and the test set's
    sampling noise, :func:`holdout_noise`; within the metric's range of values), repeats
    done, mean fit seconds."""
    import pandas as pd

    sub = trials[trials["metric"] == metric]
    noise = holdout_noise(trials, metric, boot)
    try:  # an interval never leaves the values the metric can take (accuracy <= 1)
        from dataroi.metrics import get_metric

        low, high = get_metric(metric).value_range
    except KeyError:
        low, high = -np.inf, np.inf
    rows = []
    for (model, n), g in sub.groupby(["model", "n_train"], sort=True):
        m, lo, hi = mean_ci(g["value"].to_numpy(), test_se=noise.get((str(model), int(n))))
        lo, hi = max(lo, low), min(hi, high)
        rows.append({"model": model, "n_train": int(n), "mean": m, "ci_low": lo,
                     "ci_high": hi, "repeats": int(g["value"].notna().sum()),
                     "failed": int((g["state"] == "failed").sum()),
                     "fit_seconds": float(g["fit_seconds"].mean())})
    return pd.DataFrame(rows, columns=["model", "n_train", "mean", "ci_low", "ci_high",
                                       "repeats", "failed", "fit_seconds"])
