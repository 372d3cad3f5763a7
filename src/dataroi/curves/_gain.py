"""A learned forecast of the gain of more labels: what the corpus of real studies taught.

Curve families extrapolated one at a time were no better at choosing than a plain power
law on data dataroi never saw (``benchmarks/bench_decisions.py``). This model instead
*learns* how curves continue: from the observed curve of a model at the sizes up to
today's ``N`` (its last gains, its log-log slope, its train-test gap, how far it is
behind the best model today, three parametric extrapolations) it predicts the gain of
the mean score at ``k × N`` for ``k`` in 2, 4, 8, 16, with the spread of its own errors
on held-out data sets. It is learned on the curve corpus (``benchmarks/corpus``: 58 real
data sets built by dataroi) and LCDB's curves cut to study shapes, and evaluated by
leave-data-set-out cross-validation (``benchmarks/learn_gain_model.py``).

The model is a stack, per factor, of a ridge regression (features and their interactions
with ``log2 k``), gradient-boosted trees (scikit-learn's ``HistGradientBoostingRegressor``,
absolute loss) and two rules (the last-gain rule and the pow3 extrapolation): non-negative
weights per factor (:data:`BLEND_PARTS`), learned by least absolute deviations on held-out
predictions. The ridge and the trees ship as plain numbers in ``gain_model.json``: a
pickled estimator would tie dataroi to the scikit-learn version it was learned with, so
the trees are evaluated here from their node arrays (a dozen lines, checked against
scikit-learn's own predictions when the file is written).

It applies to metrics bounded in [0, 1] where higher is better (accuracy, balanced
accuracy, ROC AUC, F1): the features are in units of that scale.

Example:
    >>> import numpy as np
    >>> model = load_gain_model()
    >>> st = curve_state([64, 128, 256, 512], [0.70, 0.76, 0.80, 0.83], se=0.004)
    >>> g = model.predict(st, context_of({"a": st}))
    >>> g.shape, bool(0 < g[0] < g[-1] < 0.17)
    ((4,), True)
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = ["FACTORS", "FEATURES", "CurveState", "GainForecast", "GainModel", "context_of",
           "curve_state", "export_trees", "feature_matrix", "gain_model_from_dict",
           "load_gain_model", "parametric_gains"]

#: Factors of today's labels the model forecasts (others are interpolated in log2 k).
FACTORS: tuple[int, ...] = (2, 4, 8, 16)

#: The parts a model's forecast blends, in the order of its weights per factor (``blend``):
#: the ridge, the trees, and the features ``lastgain`` and ``pow3`` (the rules).
BLEND_PARTS: tuple[str, ...] = ("ridge", "trees", "lastgain", "pow3")

#: The features, in the order of the model's columns.
FEATURES: tuple[str, ...] = (
    "lk", "today", "pow3", "vap3", "pow2", "L1", "L2", "se", "gap", "dgap", "sl1", "sl2",
    "behind", "headroom", "ln0", "lastgain", "ds_L1", "best_L1", "relL1", "slk")

_ERR_FLOOR = 1e-4


@dataclass(frozen=True)
class CurveState:
    """One model's observed curve up to today, as the features need it.

    Attributes:
        n0: today's size (the largest observed).
        sizes, means: the observed sizes (ascending, up to ``n0``) and mean scores.
        se: standard error of today's mean (over repeats); NaN when unknown.
        train_now, train_half: the mean score on the training rows today and at
            ``n0 / 2`` (interpolated); NaN when the trials did not record it.
        half, quarter: the mean score at ``n0 / 2`` and ``n0 / 4`` (interpolated in
            log2 size; NaN below the smallest size).
    """

    n0: float
    sizes: np.ndarray
    means: np.ndarray
    se: float
    train_now: float
    train_half: float
    half: float
    quarter: float

    @property
    def today(self) -> float:
        return float(self.means[-1])

    @property
    def last_gain(self) -> float:
        """The gain of the last doubling (NaN without a size at ``n0 / 2``)."""
        return self.today - self.half


def _interp_log(sizes: np.ndarray, values: np.ndarray, at: float) -> float:
    if not len(sizes) or at < sizes[0] * (1 - 1e-9):
        return math.nan
    return float(np.interp(math.log2(at), np.log2(sizes), values))


def curve_state(sizes: Sequence[float], means: Sequence[float], *, se: float = math.nan,
                train_sizes: Sequence[float] | None = None,
                train_means: Sequence[float] | None = None) -> CurveState:
    """The state of one observed curve (means at ascending sizes; scores in [0, 1],
    higher is better).

    Raises:
        UsageError: fewer than two sizes, or sizes not increasing.
    """
    s = np.asarray(sizes, dtype=float)
    m = np.asarray(means, dtype=float)
    ok = np.isfinite(m)
    s, m = s[ok], m[ok]
    if len(s) < 2 or np.any(np.diff(s) <= 0):
        raise UsageError("a gain forecast needs the means at two or more increasing sizes")
    n0 = float(s[-1])
    tr_now = tr_half = math.nan
    if train_sizes is not None and train_means is not None:
        ts = np.asarray(train_sizes, dtype=float)
        tm = np.asarray(train_means, dtype=float)
        good = np.isfinite(tm)
        if good.any():
            tr_now = _interp_log(ts[good], tm[good], n0)
            tr_half = _interp_log(ts[good], tm[good], n0 / 2)
    return CurveState(n0=n0, sizes=s, means=m, se=float(se), train_now=tr_now,
                      train_half=tr_half, half=_interp_log(s, m, n0 / 2),
                      quarter=_interp_log(s, m, n0 / 4))


def context_of(states: Mapping[str, CurveState]) -> dict[str, float]:
    """What the other models of the same study say: the best score today, the mean last
    gain over the models, and the best model's last gain."""
    if not states:
        return {"best_today": math.nan, "ds_L1": math.nan, "best_L1": math.nan}
    best = max(states.values(), key=lambda st: st.today)
    gains = [st.last_gain for st in states.values() if math.isfinite(st.last_gain)]
    return {"best_today": best.today,
            "ds_L1": float(np.mean(gains)) if gains else math.nan,
            "best_L1": best.last_gain}


def parametric_gains(st: CurveState, factors: Sequence[float] = FACTORS
                     ) -> dict[str, np.ndarray]:
    """The three parametric features of :func:`feature_matrix` at ``factors`` × today's
    size: the slow part of a forecast (three small least-squares fits), exposed so that a
    caller can keep it (``dataroi.value.FitCache``) and pass it back as ``par``.

    Example:
        >>> st = curve_state(np.array([100.0, 200, 400, 800]),
        ...                  np.array([0.70, 0.76, 0.80, 0.83]))
        >>> sorted(parametric_gains(st)), parametric_gains(st)["pow2"].shape
        (['pow2', 'pow3', 'vap3'], (4,))
    """
    return _parametric_gains(st, st.n0 * np.asarray(factors, dtype=float))


def _parametric_gains(st: CurveState, totals: np.ndarray) -> dict[str, np.ndarray]:
    """pow3 (``a - b n^-c``), vap3 (LCDB's ``exp(a + b/n + c log n)`` on the error) and
    pow2 (a line in log error against log n), fitted to the means and anchored at today:
    the predicted gain from ``n0`` to each total. NaN where a fit fails."""
    from scipy.optimize import curve_fit

    s, m = st.sizes, st.means
    out = {k: np.full(len(totals), np.nan) for k in ("pow3", "vap3", "pow2")}
    if len(s) < 3:
        return out
    err = np.clip(1.0 - m, _ERR_FLOOR, 1.0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            def pow3(n: Any, a: float, b: float, c: float) -> Any:
                return a - b * np.power(n, -c)

            p, _ = curve_fit(pow3, s, m, p0=(min(1.0, m[-1] + 0.05), 1.0, 0.5),
                             bounds=([0, 0, 0], [1.5, np.inf, 3]), maxfev=5000)
            out["pow3"] = pow3(totals, *p) - pow3(st.n0, *p)
        except (RuntimeError, ValueError):
            pass
        try:
            def vap3(n: Any, a: float, b: float, c: float) -> Any:
                return a + b / n + c * np.log(n)

            p, _ = curve_fit(vap3, s, np.log(err), p0=(0.0, 0.0, -0.2), maxfev=5000)
            out["vap3"] = np.exp(vap3(st.n0, *p)) - np.exp(vap3(totals, *p))
        except (RuntimeError, ValueError):
            pass
        b, a = np.polyfit(np.log(s), np.log(err), 1)
        out["pow2"] = np.exp(a + b * math.log(st.n0)) - np.exp(a + b * np.log(totals))
    return out


def feature_matrix(st: CurveState, ctx: Mapping[str, float],
                   factors: Sequence[float] = FACTORS, *,
                   par: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """One row of :data:`FEATURES` per factor (missing values filled: the model never
    sees NaN); ``par``: :func:`parametric_gains` at ``factors``, when already known."""
    if par is None:
        par = _parametric_gains(st, st.n0 * np.asarray(factors, dtype=float))
    today = st.today
    l1 = st.last_gain
    l2 = st.half - st.quarter
    if not math.isfinite(l1):
        l1 = 0.0
    if not math.isfinite(l2):
        l2 = l1
    err = lambda v: max(1.0 - v, _ERR_FLOOR)  # noqa: E731
    sl1 = math.log2(err(st.half) / err(today)) if math.isfinite(st.half) else 0.0
    sl2 = math.log2(err(st.quarter) / err(st.half)) if math.isfinite(st.quarter) else sl1
    gap = st.train_now - today if math.isfinite(st.train_now) else 0.0
    gap_half = st.train_half - st.half if math.isfinite(st.train_half) \
        and math.isfinite(st.half) else gap
    best = ctx.get("best_today", today)
    rows = []
    for j, k in enumerate(factors):
        lk = math.log2(k)
        last_rule = l1 * (2.0 - 2.0 ** (1.0 - lk))
        fill = {name: (v[j] if math.isfinite(v[j]) else last_rule) for name, v in par.items()}
        feats = {
            "lk": lk, "today": today, "pow3": fill["pow3"], "vap3": fill["vap3"],
            "pow2": fill["pow2"], "L1": l1, "L2": l2,
            "se": st.se if math.isfinite(st.se) else 0.0, "gap": gap, "dgap": gap - gap_half,
            "sl1": sl1, "sl2": sl2,
            "behind": (best - today) if math.isfinite(best) else 0.0,
            "headroom": 1.0 - today, "ln0": math.log2(st.n0),
            "lastgain": last_rule,
            "ds_L1": ctx.get("ds_L1", l1) if math.isfinite(ctx.get("ds_L1", math.nan))
            else l1,
            "best_L1": ctx.get("best_L1", l1)
            if math.isfinite(ctx.get("best_L1", math.nan)) else l1,
            "relL1": l1 / max(1.0 - today, 1e-3), "slk": sl1 * lk,
        }
        rows.append([float(feats[f]) for f in FEATURES])
    return np.asarray(rows, dtype=float)


@dataclass(frozen=True)
class _Trees:
    """Gradient-boosted regression trees as node arrays (scikit-learn's
    ``HistGradientBoostingRegressor``, exported by ``benchmarks/learn_gain_model.py``)."""

    baseline: float
    feature: list[np.ndarray]
    threshold: list[np.ndarray]
    left: list[np.ndarray]
    right: list[np.ndarray]
    value: list[np.ndarray]
    leaf: list[np.ndarray]
    nan_left: list[np.ndarray]

    @cached_property
    def _packed(self) -> tuple[np.ndarray, ...]:
        """The trees' node arrays stacked into ``(trees, most nodes)`` matrices, a shorter
        tree padded with leaves, so that :meth:`predict` walks every tree at once."""
        width = max(len(f) for f in self.feature)

        def pad(parts: list[np.ndarray], fill: Any) -> np.ndarray:
            out = np.full((len(parts), width), fill, dtype=parts[0].dtype)
            for i, p in enumerate(parts):
                out[i, :len(p)] = p
            return out

        return (pad(self.feature, 0), pad(self.threshold, 0.0), pad(self.left, 0),
                pad(self.right, 0), pad(self.value, 0.0), pad(self.leaf, True),
                pad(self.nan_left, False))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The trees' sum for each row of ``X``: every tree walked at once, one level a
        step (400 trees one at a time were most of a look's gain forecast), the leaves'
        values added tree by tree in the trees' order, as scikit-learn does, so that the
        sum is the same to the last bit.

        Example:
            >>> t = _Trees(baseline=0.5, feature=[np.array([0, 0, 0])],
            ...            threshold=[np.array([1.0, 0.0, 0.0])], left=[np.array([1, 0, 0])],
            ...            right=[np.array([2, 0, 0])], value=[np.array([0.0, -1.0, 1.0])],
            ...            leaf=[np.array([False, True, True])],
            ...            nan_left=[np.array([True, False, False])])
            >>> t.predict(np.array([[0.0], [2.0], [np.nan]])).tolist()
            [-0.5, 1.5, -0.5]
        """
        feature, threshold, left, right, value, leaf, nan_left = self._packed
        trees = np.arange(len(feature))[:, None]
        rows = np.arange(len(X))[None, :]
        node = np.zeros((len(feature), len(X)), dtype=np.int64)
        while True:
            active = ~leaf[trees, node]
            if not active.any():
                break
            x = X[rows, feature[trees, node]]
            go_left = np.where(np.isnan(x), nan_left[trees, node], x <= threshold[trees, node])
            nxt = np.where(go_left, left[trees, node], right[trees, node])
            node = np.where(active, nxt, node)
        out = np.full(len(X), self.baseline, dtype=float)
        for leaves in value[trees, node]:
            out += leaves
        return out


@dataclass(frozen=True)
class GainModel:
    """The learned gain forecast (see the module doc). ``predict`` gives the mean gain at
    :data:`FACTORS`; ``quantile`` its spread."""

    ridge_mu: np.ndarray
    ridge_sd: np.ndarray
    ridge_coef: np.ndarray
    ridge_intercept: float
    trees: _Trees
    #: the weights of :data:`BLEND_PARTS` per factor: ``(len(FACTORS), len(BLEND_PARTS))``
    blend: np.ndarray
    u: np.ndarray
    resid_q: np.ndarray
    scale_coef: np.ndarray
    meta: dict[str, Any]
    corr: np.ndarray = field(default_factory=lambda: np.ones((len(FACTORS), len(FACTORS))))
    #: the correlation of two models' errors at 2x on the same data set and cut (normal
    #: scores; learned on held-out corpus rows; 0 in a model learned before it was kept)
    model_corr: float = 0.0
    #: the ridge's and the trees' predictions are clipped to [0, headroom] before the
    #: stack blends them (False in a model learned before the stack)
    clip_parts: bool = False
    #: gains at the factors of earlier :meth:`sample` calls, by (size, seed): a plan asks
    #: for the same model's draws at several sizes, and the draws are the same each time
    _drawn: dict[Any, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def digest(self) -> str:
        """SHA-256 of the model's file (what a decision's hash records)."""
        return str(self.meta.get("digest", ""))

    def describe(self) -> str:
        """One line naming the model, e.g. ``learned gain forecast 1a2b3c4d5e6f (58 data
        sets of the curve corpus and 215 of LCDB)``."""
        corpus = self.meta.get("corpus_data_sets")
        others = int(self.meta.get("data_sets", 0)) - int(corpus or 0)
        learned = (f" ({corpus} data sets of the curve corpus" +
                   (f" and {others} of LCDB)" if others > 0 else ")")) if corpus else ""
        return f"learned gain forecast {self.digest[:12]}{learned}".rstrip()

    def _ridge(self, X: np.ndarray) -> np.ndarray:
        z = (X - self.ridge_mu) / self.ridge_sd
        design = np.column_stack([z, z * z[:, :1]])
        return design @ self.ridge_coef + self.ridge_intercept

    def predict_matrix(self, X: np.ndarray) -> np.ndarray:
        """The mean gain for rows of :data:`FEATURES`, kept between 0 and the headroom
        to the metric's best value (a mean that falls with more labels, or rises past 1,
        erred more on held-out data sets than the clipped one)."""
        top = np.maximum(X[:, FEATURES.index("headroom")], 0.0)
        parts = np.column_stack([self._ridge(X), self.trees.predict(X),
                                 X[:, FEATURES.index("lastgain")],
                                 X[:, FEATURES.index("pow3")]])
        if self.clip_parts:
            parts[:, :2] = np.clip(parts[:, :2], 0.0, top[:, None])
        raw = (parts * self.blend_weights(X)).sum(axis=1)
        return np.clip(raw, 0.0, top)

    def blend_weights(self, X: np.ndarray) -> np.ndarray:
        """The weights of :data:`BLEND_PARTS` for each row (the factor's, interpolated in
        ``log2 k`` between the factors)."""
        lk = X[:, FEATURES.index("lk")]
        return np.array([np.interp(lk, np.log2(FACTORS), self.blend[:, i])
                         for i in range(self.blend.shape[1])]).T

    def scale(self, X: np.ndarray, pred: np.ndarray) -> np.ndarray:
        """The spread of the error for each row (``c0 + c1 |pred| + c2 |L1| + c3 se``,
        per factor column ``lk``, learned on held-out errors)."""
        lk = X[:, FEATURES.index("lk")]
        c = self.scale_coef
        feats = np.column_stack([np.ones(len(X)), np.abs(pred),
                                 np.abs(X[:, FEATURES.index("L1")]),
                                 X[:, FEATURES.index("se")]])
        per_k = np.array([np.interp(lk, np.log2(FACTORS), c[:, i])
                          for i in range(c.shape[1])]).T
        return np.maximum((feats * per_k).sum(axis=1), 1e-4)

    def predict(self, st: CurveState, ctx: Mapping[str, float]) -> np.ndarray:
        """The mean gain from today's size to each of :data:`FACTORS` × today's size."""
        return self.predict_matrix(feature_matrix(st, ctx))

    def forecast(self, st: CurveState, ctx: Mapping[str, float], *,
                 par: Mapping[str, np.ndarray] | None = None) -> GainForecast:
        """Mean gains and error scales at :data:`FACTORS` (see :class:`GainForecast`);
        ``par``: :func:`parametric_gains` of ``st``, when already known (a cache)."""
        X = feature_matrix(st, ctx, par=par)
        mean = self.predict_matrix(X)
        return self.forecast_from(st, mean, self.scale(X, mean))

    def forecast_from(self, st: CurveState, mean: np.ndarray,
                      scale: np.ndarray) -> GainForecast:
        """The forecast of ``st`` from its mean gains and error scales at :data:`FACTORS`
        as :meth:`forecast` computed them (kept by a cache: the trees are the slow part)."""
        return GainForecast(n0=st.n0, today=st.today, mean=np.asarray(mean, dtype=float),
                            scale=np.asarray(scale, dtype=float), u=self.u,
                            resid_q=self.resid_q, corr=self.corr,
                            model_corr=self.model_corr)


def _seed_key(random_state: Any) -> Any:
    """A hashable key of a seed that always draws the same numbers (an int or a
    ``SeedSequence``), or None (a generator, or no seed: nothing to reuse).

    Example:
        >>> _seed_key(3), _seed_key(np.random.SeedSequence(5, spawn_key=(1,)))
        (3, (5, (1,)))
        >>> _seed_key(np.random.SeedSequence([5, 7]))
        ((5, 7), ())
        >>> _seed_key(None) is None and _seed_key(np.random.default_rng(0)) is None
        True
    """
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        entropy = random_state.entropy
        if isinstance(entropy, (list, tuple, np.ndarray)):
            entropy = tuple(int(e) for e in entropy)
        return (entropy, tuple(random_state.spawn_key))
    return None


@dataclass(frozen=True)
class GainForecast:
    """One model's forecast: mean gain and error scale at :data:`FACTORS`, the
    normalised error quantiles per factor (``resid_q``: factor × ``u``) and the
    correlation of the errors across factors (``corr``, of their normal scores: a
    Gaussian copula; all ones: one probability level for every factor).

    Example:
        >>> f = GainForecast(n0=100.0, today=0.8, mean=np.array([0.01, .02, .03, .04]),
        ...                  scale=np.full(4, 0.01), u=np.array([0.05, 0.5, 0.95]),
        ...                  resid_q=np.tile([-1.6, 0.0, 1.6], (4, 1)))
        >>> [round(float(v), 3) for v in f.gain_quantile(0.5, [100.0, 200.0, 283.0])]
        [0.0, 0.01, 0.015]
        >>> f.sample([200.0, 1600.0], size=1000, random_state=0).shape
        (1000, 2)
    """

    n0: float
    today: float
    mean: np.ndarray
    scale: np.ndarray
    u: np.ndarray
    resid_q: np.ndarray
    corr: np.ndarray = field(default_factory=lambda: np.ones((len(FACTORS), len(FACTORS))))
    #: the correlation of this forecast's error at 2x with another model's on the same
    #: data (:attr:`GainModel.model_corr`)
    model_corr: float = 0.0
    #: gains at the factors of earlier :meth:`sample` calls, by (size, seed): a plan asks
    #: for the same model's draws at several sizes, and the draws are the same each time
    _drawn: dict[Any, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def at_factors(self, u: np.ndarray) -> np.ndarray:
        """The gain at each factor for probability levels ``u``: shape ``(len(FACTORS),
        m)`` for ``u`` of shape ``(len(FACTORS), m)`` (one level per factor) or ``(m,)``
        (the same level at every factor)."""
        u = np.asarray(u, dtype=float)
        if u.ndim == 1:
            u = np.broadcast_to(u, (len(FACTORS), len(u)))
        u = np.clip(u, self.u[0], self.u[-1])
        z = np.array([np.interp(u[i], self.u, row) for i, row in enumerate(self.resid_q)])
        return self.mean[:, None] + self.scale[:, None] * z

    def _path(self, at_k: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Gains at sizes ``n`` (one per column of ``at_k``) from the gains at the
        factors: linear in ``log2 k`` from 0 at today's size; beyond 16x the column's own
        last doubling continues, halving with each further doubling (the last-gain
        rule's tail), never negative."""
        lk = np.log2(np.maximum(n / self.n0, 1.0))
        full = np.vstack([np.zeros(at_k.shape[1]), at_k])
        grid = np.concatenate([[0.0], np.log2(FACTORS)])
        j = np.clip(np.searchsorted(grid, lk, side="right") - 1, 0, len(grid) - 2)
        w = np.clip((lk - grid[j]) / (grid[j + 1] - grid[j]), 0.0, 1.0)
        idx = np.arange(at_k.shape[1])
        out = (1 - w) * full[j, idx] + w * full[j + 1, idx]
        extra = np.maximum(lk - grid[-1], 0.0)
        step = np.maximum(full[-1] - full[-2], 0.0)
        return np.where(extra > 0, full[-1] + step * (2.0 - 2.0 ** (1.0 - extra)), out)

    def gain_quantile(self, u: Any, n: Any) -> np.ndarray:
        """The gain at sizes ``n`` (>= ``n0``) at probability level ``u`` (broadcast; the
        same level at every factor)."""
        u_arr, n_arr = np.broadcast_arrays(np.asarray(u, float), np.asarray(n, float))
        at_k = self.at_factors(u_arr.ravel())
        return self._path(at_k, n_arr.ravel()).reshape(u_arr.shape)

    def sample(self, n: Any, size: int, random_state: Any = None) -> np.ndarray:
        """Joint draws of the gain at sizes ``n``: ``(size, len(n))``; the factors' errors
        drawn from the Gaussian copula ``corr``."""
        from scipy.special import ndtr  # the normal cdf (scipy.stats costs 0.6 s)

        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        key = _seed_key(random_state)
        at_k = self._drawn.get((int(size), key)) if key is not None else None
        if at_k is None:
            rng = np.random.default_rng(random_state)
            x = rng.standard_normal((int(size), len(FACTORS))) @ _chol(self.corr).T
            at_k = self.at_factors(ndtr(x).T)  # (factors, size)
            if key is not None:
                self._drawn[(int(size), key)] = at_k
        return self._paths(at_k, n_arr)

    def _paths(self, at_k: np.ndarray, n: np.ndarray) -> np.ndarray:
        """:meth:`_path` of every column of ``at_k`` at every size of ``n`` at once:
        ``(at_k.shape[1], len(n))``, the same numbers as one :meth:`_path` per size.

        Example:
            >>> f = GainForecast(n0=100.0, today=0.8, mean=np.array([.01, .02, .03, .04]),
            ...                  scale=np.full(4, 0.01), u=np.array([0.05, 0.5, 0.95]),
            ...                  resid_q=np.tile([-1.6, 0.0, 1.6], (4, 1)))
            >>> at_k = f.at_factors(np.array([0.1, 0.5, 0.9]))
            >>> n = np.array([150.0, 400.0, 5000.0])
            >>> one = np.column_stack([f._path(at_k, np.full(3, v)) for v in n])
            >>> bool(np.array_equal(f._paths(at_k, n), one))
            True
        """
        lk = np.log2(np.maximum(n / self.n0, 1.0))
        full = np.vstack([np.zeros(at_k.shape[1]), at_k])
        grid = np.concatenate([[0.0], np.log2(FACTORS)])
        j = np.clip(np.searchsorted(grid, lk, side="right") - 1, 0, len(grid) - 2)
        w = np.clip((lk - grid[j]) / (grid[j + 1] - grid[j]), 0.0, 1.0)
        out = (1 - w)[None, :] * full[j].T + w[None, :] * full[j + 1].T
        extra = np.maximum(lk - grid[-1], 0.0)
        step = np.maximum(full[-1] - full[-2], 0.0)
        tail = full[-1][:, None] + step[:, None] * (2.0 - 2.0 ** (1.0 - extra))[None, :]
        return np.where(extra[None, :] > 0, tail, out)

    def expected_given_first(self, x_first: Any, n: Any, nodes: int = 24) -> np.ndarray:
        """The expected gain at sizes ``n`` given the normal score ``x_first`` of the
        error at the first factor (2x), by Gauss-Hermite quadrature over the others:
        ``(len(x_first), len(n))``. What re-measuring at 2x would tell."""
        from scipy.special import ndtr  # the normal cdf (scipy.stats costs 0.6 s)

        x1 = np.atleast_1d(np.asarray(x_first, dtype=float))
        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        t, wt = np.polynomial.hermite_e.hermegauss(nodes)
        wt = wt / wt.sum()
        rho = np.clip(self.corr[0], -0.999999, 0.999999)
        rho[0] = 1.0
        sd = np.sqrt(np.maximum(1.0 - rho ** 2, 0.0))
        out = np.zeros((len(x1), len(n_arr)))
        for tk, wk in zip(t, wt, strict=True):
            # one shared innovation: the later factors stay correlated with each other
            x = rho[:, None] * x1[None, :] + sd[:, None] * tk
            at_k = self.at_factors(ndtr(x))
            for j, nj in enumerate(n_arr):
                out[:, j] += wk * self._path(at_k, np.full(len(x1), nj))
        return out

    def sample_given_first(self, x_first: Any, n: Any, random_state: Any = None
                           ) -> np.ndarray:
        """One draw of the gain at sizes ``n`` for each normal score ``x_first`` of the
        error at 2x (the conditional of :meth:`expected_given_first`):
        ``(len(x_first), len(n))``."""
        from scipy.special import ndtr  # the normal cdf (scipy.stats costs 0.6 s)

        x1 = np.atleast_1d(np.asarray(x_first, dtype=float))
        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        rho = np.clip(self.corr[0], -0.999999, 0.999999)
        rho[0] = 1.0
        t = np.random.default_rng(random_state).standard_normal(len(x1))
        x = rho[:, None] * x1[None, :] + np.sqrt(np.maximum(1.0 - rho ** 2, 0.0))[:, None] * t
        at_k = self.at_factors(ndtr(x))
        return np.column_stack([self._path(at_k, np.full(len(x1), nj)) for nj in n_arr])


def _chol(corr: np.ndarray) -> np.ndarray:
    """A Cholesky factor of a correlation matrix (all ones: rank one, one column)."""
    try:
        return np.linalg.cholesky(corr + 1e-9 * np.eye(len(corr)))
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(corr)
        return v * np.sqrt(np.maximum(w, 0.0))


def export_trees(hgb: Any) -> dict[str, Any]:
    """A fitted scikit-learn ``HistGradientBoostingRegressor`` as plain node arrays (the
    ``hgb`` part of ``gain_model.json``).

    Example:
        >>> import numpy as np
        >>> from sklearn.ensemble import HistGradientBoostingRegressor
        >>> X = np.random.default_rng(0).normal(size=(200, 3))
        >>> hgb = HistGradientBoostingRegressor(max_iter=5).fit(X, X[:, 0])
        >>> trees = _trees_from(export_trees(hgb))
        >>> bool(np.allclose(trees.predict(X), hgb.predict(X)))
        True
    """
    trees = []
    for (tree,) in hgb._predictors:
        nodes = tree.nodes
        trees.append({"feature": nodes["feature_idx"].tolist(),
                      "threshold": nodes["num_threshold"].tolist(),
                      "left": nodes["left"].tolist(), "right": nodes["right"].tolist(),
                      "value": nodes["value"].tolist(),
                      "leaf": nodes["is_leaf"].astype(bool).tolist(),
                      "nan_left": nodes["missing_go_to_left"].astype(bool).tolist()})
    return {"baseline": float(np.ravel(hgb._baseline_prediction)[0]), "trees": trees}


def _trees_from(d: Mapping[str, Any]) -> _Trees:
    arr = lambda key, dt: [np.asarray(t[key], dtype=dt) for t in d["trees"]]  # noqa: E731
    return _Trees(baseline=float(d["baseline"]), feature=arr("feature", np.int64),
                  threshold=arr("threshold", float), left=arr("left", np.int64),
                  right=arr("right", np.int64), value=arr("value", float),
                  leaf=arr("leaf", bool), nan_left=arr("nan_left", bool))


def _blend_from(blend: Any) -> np.ndarray:
    """The weights of :data:`BLEND_PARTS` per factor from a model file: a matrix, or one
    number (a file learned before the stack: that share of the ridge, the rest trees).

    Example:
        >>> _blend_from(0.5)[0].tolist()
        [0.5, 0.5, 0.0, 0.0]
    """
    if np.ndim(blend) == 0:
        b = float(blend)
        return np.tile([b, 1.0 - b, 0.0, 0.0], (len(FACTORS), 1))
    w = np.asarray(blend, dtype=float)
    if w.shape != (len(FACTORS), len(BLEND_PARTS)):
        raise UsageError(f"the gain model's blend has shape {w.shape}, not "
                         f"{(len(FACTORS), len(BLEND_PARTS))}; relearn it "
                         "(benchmarks/learn_gain_model.py)")
    return w


def gain_model_from_dict(d: Mapping[str, Any], digest: str = "") -> GainModel:
    """A :class:`GainModel` from its JSON form (see ``gain_model.json``); ``digest``
    identifies the file it was read from."""
    if tuple(d["features"]) != FEATURES:
        raise UsageError("this gain model was learned on other features; relearn it "
                         "(benchmarks/learn_gain_model.py)")
    r = d["ridge"]
    return GainModel(ridge_mu=np.asarray(r["mu"], float), ridge_sd=np.asarray(r["sd"], float),
                     ridge_coef=np.asarray(r["coef"], float),
                     ridge_intercept=float(r["intercept"]), trees=_trees_from(d["hgb"]),
                     blend=_blend_from(d["blend"]), u=np.asarray(d["residual"]["u"], float),
                     resid_q=np.asarray(d["residual"]["q"], float),
                     scale_coef=np.asarray(d["residual"]["scale_coef"], float),
                     meta={**d.get("meta", {}), "digest": digest},
                     corr=np.asarray(d["residual"].get(
                         "corr", np.ones((len(FACTORS), len(FACTORS)))), float),
                     model_corr=float(d["residual"].get("model_corr", 0.0)),
                     clip_parts=bool(d.get("clip_parts", False)))


#: The shipped model (package data).
GAIN_MODEL_FILE = "gain_model.json"


@lru_cache(maxsize=8)
def load_gain_model(path: str | None = None) -> GainModel | None:
    """The shipped gain model, or the one at ``path`` (None when none is shipped).

    Raises:
        UsageError: no file at ``path``, or a file that is not a gain model.
    """
    try:
        text = (Path(path).read_text(encoding="utf-8") if path is not None else
                files("dataroi.curves").joinpath(GAIN_MODEL_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        if path is not None:
            raise UsageError(f"gain model file not found: {path}") from None
        return None
    try:
        return gain_model_from_dict(json.loads(text),
                                    digest=hashlib.sha256(text.encode()).hexdigest())
    except (ValueError, KeyError, TypeError) as exc:
        where = path or GAIN_MODEL_FILE
        raise UsageError(f"{where} is not a dataroi gain model ({type(exc).__name__}: "
                         f"{exc})") from None
