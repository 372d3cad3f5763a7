"""Tables of trials: the tidy long table and a per-(model, size) summary.

Example:
    >>> import numpy as np
    >>> mean_ci(np.array([0.8, 0.82, 0.84]))[0]
    0.82
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from dataroi.trial._values import TRAIN_PREFIX, TrialSnapshot, TrialState

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TRIAL_COLUMNS", "mean_ci", "summary_frame", "trials_frame"]

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


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean over repeats and a t-interval of the mean (NaN where undefined)."""
    from scipy.special import stdtrit  # Student-t quantile (lighter than scipy.stats)

    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return (np.nan, np.nan, np.nan)
    m = float(v.mean())
    if len(v) < 2:
        return (m, np.nan, np.nan)
    half = float(stdtrit(len(v) - 1, 0.5 + level / 2) * v.std(ddof=1) / np.sqrt(len(v)))
    return (m, m - half, m + half)


def summary_frame(trials: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per (model, n_train): mean, 95 % CI over repeats, repeats done, mean fit seconds."""
    import pandas as pd

    sub = trials[trials["metric"] == metric]
    rows = []
    for (model, n), g in sub.groupby(["model", "n_train"], sort=True):
        m, lo, hi = mean_ci(g["value"].to_numpy())
        rows.append({"model": model, "n_train": int(n), "mean": m, "ci_low": lo,
                     "ci_high": hi, "repeats": int(g["value"].notna().sum()),
                     "failed": int((g["state"] == "failed").sum()),
                     "fit_seconds": float(g["fit_seconds"].mean())})
    return pd.DataFrame(rows, columns=["model", "n_train", "mean", "ci_low", "ci_high",
                                       "repeats", "failed", "fit_seconds"])
