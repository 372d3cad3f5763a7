"""Partial pooling of per-slice metrics: empirical-Bayes normal–normal shrinkage.

A slice with few test rows (or noisy repeats) gives a noisy raw mean. For every
``(model, n_train)`` the slices are treated as draws from one normal population; each
slice's estimate is shrunk towards the precision-weighted mean, more so the noisier it is
relative to the spread between slices (DerSimonian–Laird, 1986; Morris, 1983).

Example:
    >>> import pandas as pd
    >>> rows = [{"model": "m", "n_train": 100, "repeat": r, "slice": s, "n_test": n,
    ...          "value": v + 0.01 * r, "n_slice_train": 50}
    ...         for s, n, v in [("big", 500, 0.90), ("small", 20, 0.60)] for r in range(3)]
    >>> out = partial_pool(pd.DataFrame(rows))
    >>> small = out.set_index("slice").loc["small"]
    >>> bool(small.raw < small.pooled), bool(small.shrinkage > 0)
    (True, True)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import norm

from dataroi.exceptions import UsageError

__all__ = ["REQUIRED_COLUMNS", "SliceError", "dersimonian_laird", "partial_pool"]

#: Columns of the tidy per-slice table every function of :mod:`dataroi.slices` reads.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "model", "n_train", "repeat", "slice", "n_test", "value", "n_slice_train",
)

#: Output columns of :func:`partial_pool` (in order).
POOLED_COLUMNS: tuple[str, ...] = (
    "model", "n_train", "slice", "n_test", "raw", "raw_low", "raw_high", "pooled", "low",
    "high", "shrinkage", "tau", "n_slice_train", "repeats",
)


class SliceError(UsageError, ValueError):
    """Invalid input to :mod:`dataroi.slices` (a :class:`ValueError` and a dataroi error).

    Example:
        >>> issubclass(SliceError, ValueError)
        True
    """


def check_tidy(per_slice: pd.DataFrame) -> pd.DataFrame:
    """Validate the tidy per-slice table and return the rows with a finite value.

    Args:
        per_slice: Table with the columns :data:`REQUIRED_COLUMNS`.

    Returns:
        A copy restricted to rows with a finite ``value``.

    Raises:
        SliceError: If a column is missing, the table is empty, or ``n_test`` or
            ``n_slice_train`` is negative.

    Example:
        >>> try:
        ...     check_tidy(pd.DataFrame({"model": []}))
        ... except SliceError as err:
        ...     print(err)
        per_slice lacks columns: n_train, repeat, slice, n_test, value, n_slice_train
    """
    if not isinstance(per_slice, pd.DataFrame):
        raise SliceError(f"per_slice must be a pandas DataFrame, got {type(per_slice).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in per_slice.columns]
    if missing:
        raise SliceError(f"per_slice lacks columns: {', '.join(missing)}")
    df = per_slice.loc[:, list(REQUIRED_COLUMNS)].copy()
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    df = df[np.isfinite(df["value"].to_numpy())]
    if df.empty:
        raise SliceError("per_slice has no row with a finite value")
    for col in ("n_test", "n_slice_train", "n_train"):
        if (pd.to_numeric(df[col]) < 0).any():
            raise SliceError(f"per_slice column {col!r} has negative entries")
    return df


def dersimonian_laird(means: np.ndarray, variances: np.ndarray) -> float:
    """Between-slice variance τ² by the DerSimonian–Laird moment estimator.

    With ``w = 1/v``, ``μ_FE = Σ w m / Σ w``, ``Q = Σ w (m − μ_FE)²`` and
    ``C = Σ w − Σ w² / Σ w``: ``τ² = max(0, (Q − (S − 1)) / C)``.

    Args:
        means: Raw slice means ``m_s``.
        variances: Their sampling variances ``v_s`` (> 0).

    Returns:
        τ² (``nan`` for fewer than two slices).

    Example:
        >>> round(dersimonian_laird(np.array([1.1, 2.2, 3.0]), np.array([.01, .04, .01])), 4)
        1.3425
    """
    m = np.asarray(means, float)
    v = np.asarray(variances, float)
    if len(m) < 2:
        return math.nan
    w = 1.0 / v
    sw = float(w.sum())
    mu_fe = float(w @ m) / sw
    q = float(w @ (m - mu_fe) ** 2)
    c = sw - float(w @ w) / sw
    if c <= 0:
        return 0.0
    return max(0.0, (q - (len(m) - 1)) / c)


def _is_proportion(values: np.ndarray, proportion: bool | None) -> bool:
    if proportion is not None:
        return bool(proportion)
    return bool(np.all((values >= 0.0) & (values <= 1.0)))


def _pool_group(
    g: pd.DataFrame, *, proportion: bool, z: float
) -> list[dict[str, object]]:
    """Shrink the slices of one ``(model, n_train)`` group."""
    stats = []
    for s, gs in g.groupby("slice", sort=True):
        vals = gs["value"].to_numpy(float)
        k = len(vals)
        n_test = float(gs["n_test"].mean())
        stats.append({
            "slice": s, "k": k, "m": float(vals.mean()),
            "s2": float(vals.var(ddof=1)) if k > 1 else math.nan,
            "n_test": n_test, "n_slice_train": float(gs["n_slice_train"].mean()),
        })
    s2_known = [st["s2"] for st in stats if math.isfinite(st["s2"])]
    s2_fill = float(np.median(s2_known)) if s2_known else 0.0
    m = np.array([st["m"] for st in stats])
    v = np.empty(len(stats))
    for i, st in enumerate(stats):
        s2 = st["s2"] if math.isfinite(st["s2"]) else s2_fill
        var = s2 / st["k"]
        if proportion:
            n = max(st["n_test"], 1.0)
            p = (st["m"] * n + 0.5) / (n + 1.0)  # keeps the variance > 0 at 0 and 1
            var += p * (1.0 - p) / n
        v[i] = max(var, 1e-12)
    if len(stats) == 1:
        tau2 = math.nan
        b = np.ones(1)
        mu = m[0]
        sd = np.sqrt(v)
    else:
        tau2 = dersimonian_laird(m, v)
        w_star = 1.0 / (v + tau2)
        mu = float(w_star @ m) / float(w_star.sum())
        var_mu = 1.0 / float(w_star.sum())
        b = tau2 / (tau2 + v)
        sd = np.sqrt(b * v + (1.0 - b) ** 2 * var_mu)
    pooled = mu + b * (m - mu)
    raw_sd = np.sqrt(v)
    lo, hi = (0.0, 1.0) if proportion else (-math.inf, math.inf)
    out = []
    for i, st in enumerate(stats):
        out.append({
            "slice": st["slice"], "n_test": st["n_test"], "raw": m[i],
            "raw_low": max(lo, m[i] - z * raw_sd[i]), "raw_high": min(hi, m[i] + z * raw_sd[i]),
            "pooled": pooled[i],
            "low": max(lo, pooled[i] - z * sd[i]), "high": min(hi, pooled[i] + z * sd[i]),
            "shrinkage": float(1.0 - b[i]),
            "tau": math.nan if math.isnan(tau2) else math.sqrt(tau2),
            "n_slice_train": st["n_slice_train"], "repeats": st["k"],
        })
    return out


def partial_pool(
    per_slice: pd.DataFrame,
    *,
    higher_is_better: bool = True,
    level: float = 0.9,
    proportion: bool | None = None,
) -> pd.DataFrame:
    """Shrink each slice's mean metric towards the mean over slices (empirical Bayes).

    For every ``(model, n_train)`` and slice ``s``:

    * ``m_s`` — the raw mean of ``value`` over repeats;
    * ``v_s = s²_s / k_s + p̃(1 − p̃) / n_test`` — the sampling variance of ``m_s``: the
      between-repeat variance over the ``k_s`` repeats, plus, for proportion metrics
      (accuracy, error rate...; auto-detected as all values in [0, 1]), the binomial
      variance of scoring on only ``n_test`` rows. Repeats usually share their test rows,
      so this test-sampling noise does not average out over repeats; the binomial term
      keeps a tiny slice from being over-trusted when its repeats happen to agree.
      ``p̃ = (m n + ½)/(n + 1)`` keeps it positive at 0 and 1. A slice with a single
      repeat borrows the median between-repeat variance of the other slices;
    * ``τ²`` — between-slice variance by DerSimonian–Laird (:func:`dersimonian_laird`,
      clipped at 0);
    * ``μ = Σ w_s m_s / Σ w_s`` with ``w_s = 1/(v_s + τ²)``;
    * ``pooled = μ + B_s (m_s − μ)`` with ``B_s = τ²/(τ² + v_s)``; ``shrinkage = 1 − B_s``
      (0: raw kept, 1: fully pooled);
    * posterior sd ``sqrt(B_s v_s + (1 − B_s)² / Σ w)``: the normal–normal posterior
      variance plus the uncertainty of ``μ`` carried by the shrunk part (τ² is treated as
      known); ``low``/``high`` are the central ``level`` normal interval (clipped to
      [0, 1] for proportions). ``raw_low``/``raw_high`` are ``m_s ± z sqrt(v_s)``.

    A group with a single slice is not shrunk (``shrinkage = 0``, ``tau = nan``). The
    normal–normal model is symmetric, so ``higher_is_better`` does not change the numbers;
    it is accepted so that every function of :mod:`dataroi.slices` has the same signature.

    Args:
        per_slice: Tidy table with columns ``model, n_train, repeat, slice, n_test, value,
            n_slice_train`` (one row per trial and slice; NaN values are dropped).
        higher_is_better: Direction of the metric (does not affect the shrinkage).
        level: Coverage of the intervals, in (0, 1).
        proportion: Whether the metric is a proportion of test rows (adds the binomial
            term); ``None``: all values lie in [0, 1].

    Returns:
        One row per ``(model, n_train, slice)`` with columns ``model, n_train, slice,
        n_test, raw, raw_low, raw_high, pooled, low, high, shrinkage, tau`` and, for
        :func:`dataroi.slices.fit_slice_curves`, ``n_slice_train`` (mean over repeats)
        and ``repeats``.

    Raises:
        SliceError: For a malformed table or ``level`` outside (0, 1).

    Example:
        >>> rows = [{"model": "m", "n_train": 50, "repeat": 0, "slice": "only",
        ...          "n_test": 40, "value": 0.8, "n_slice_train": 50}]
        >>> partial_pool(pd.DataFrame(rows))[["raw", "pooled", "shrinkage"]].to_numpy().tolist()
        [[0.8, 0.8, 0.0]]
    """
    if not isinstance(higher_is_better, bool | np.bool_):
        raise SliceError(f"higher_is_better must be a bool, got {higher_is_better!r}")
    if not 0.0 < level < 1.0:
        raise SliceError(f"level must be in (0, 1), got {level}")
    df = check_tidy(per_slice)
    prop = _is_proportion(df["value"].to_numpy(float), proportion)
    z = float(norm.ppf(0.5 + level / 2.0))
    rows: list[dict[str, object]] = []
    for (model, n_train), g in df.groupby(["model", "n_train"], sort=True):
        for r in _pool_group(g, proportion=prop, z=z):
            rows.append({"model": model, "n_train": n_train, **r})
    return pd.DataFrame(rows, columns=list(POOLED_COLUMNS))
