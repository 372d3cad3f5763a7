"""Fitting learning curves: families, extrapolation-weighted ensemble, bootstrap, calibration.

The entry point is :func:`fit_curve`; it returns a :class:`CurveFit`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dataroi.curves._calibration import Calibration, load_calibration, uncertainty_scale
from dataroi.curves._families import AUTO_FAMILIES, FAMILIES, CurveFamily, DataStats, get_family
from dataroi.curves._stack import (
    SCALE_NAMES,
    SCALE_NAMES_BEHAVIOUR,
    Stacker,
    behaviour_features,
    load_stacker,
    loss_unit,
    own_features,
    scale_features,
    shared_features,
    train_features,
)
from dataroi.exceptions import DataError, UsageError

__all__ = ["Component", "CurveFit", "NToReach", "fit_curve"]

_FORMAT_VERSION = 1
#: Revision of the fitting procedure. Bump it when a change alters the fit of the same
#: inputs (transform, families' bounds, diagnostics...): caches of fits keyed by it (the
#: ledger's ``curve_fit`` documents) then refit, even under the same version string.
FIT_REVISION = 2


@dataclass(frozen=True)
class Component:
    """One fitted family inside a :class:`CurveFit`.

    Attributes:
        family: Family name.
        params: Fitted parameters on all data (in scaled ``x = n / n_ref`` units).
        weight: Ensemble weight (the weights of a fit sum to 1).
        prefix_error: Mean absolute error when fitted on the curve's prefix and
            extrapolated to its later sizes (``None`` when too few sizes).
        rmse: In-sample root mean squared error of the mean loss.
    """

    family: str
    params: tuple[float, ...]
    weight: float
    prefix_error: float | None
    rmse: float


@dataclass(frozen=True)
class NToReach:
    """Labels needed to reach a target score (from the calibrated predictive distribution).

    Attributes:
        target: The target score, in the metric's own units.
        confidence: The requested probability of reaching the target.
        n: Smallest size at which the target is reached with probability ``confidence``
            (``math.inf`` if not within ``max_n``).
        n_median: Size at which the target is reached with probability 0.5 (a point
            estimate; ``math.inf`` if not within ``max_n``).
        p_never: Probability that the target is not reached at any size up to ``max_n``.
        already_reached: Whether the prediction at the largest observed size already
            meets the target.
        max_n: Largest size searched.
    """

    target: float
    confidence: float
    n: float
    n_median: float
    p_never: float
    already_reached: bool
    max_n: float

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (``inf`` written as ``None``)."""
        return {
            k: (None if isinstance(v, float) and math.isinf(v) else v)
            for k, v in self.__dict__.items()
        }


# --------------------------------------------------------------------------------------
# input handling


def _as_inputs(sizes: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        s = np.asarray(sizes, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"sizes must be numeric: {exc}") from None
    if s.ndim != 1:
        raise UsageError(f"sizes must be 1-D (one size per row of scores), got shape {s.shape}")
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise UsageError(f"sizes must be finite and > 0, got {s.tolist()}")
    return s, _as_matrix(scores, len(s), "scores")


def _as_matrix(values: Any, n_sizes: int, name: str) -> np.ndarray:
    """``values`` as a float ``(n_sizes, n_repeats)`` matrix (a 1-D input is one repeat);
    NaN marks a missing value, inf is an error."""
    try:
        y = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{name} must be numeric (NaN where missing): {exc}") from None
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n_sizes:
        raise UsageError(
            f"{name} must have shape (n_sizes, n_repeats) with n_sizes={n_sizes}, "
            f"got {y.shape}"
        )
    if np.any(np.isinf(y)):
        raise DataError(f"{name} contain inf; use NaN for failed or missing trials")
    return y


def _merge_sizes(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct increasing sizes and the finite values observed at each."""
    uniq = np.unique(s)
    vals = []
    for u in uniq:
        v = y[s == u].ravel()
        vals.append(v[np.isfinite(v)])
    keep = [i for i, v in enumerate(vals) if len(v) > 0]
    return uniq[keep], [vals[i] for i in keep]


@dataclass(frozen=True)
class _Transform:
    """score <-> loss: loss = sign * (ref - score) for higher-is-better, score - ref else."""

    higher_is_better: bool
    ref: float
    bounded: bool
    #: Largest possible loss (a score in [0, 1] cannot fall below 0), or None.
    max_loss: float | None = None

    def to_loss(self, v: np.ndarray) -> np.ndarray:
        return self.ref - v if self.higher_is_better else v - self.ref

    def to_score(self, v: np.ndarray) -> np.ndarray:
        return self.ref - v if self.higher_is_better else v + self.ref


def _make_transform(values: np.ndarray, higher_is_better: bool, best: float | None) -> _Transform:
    vmin, vmax = float(np.min(values)), float(np.max(values))
    if best is not None:
        return _Transform(higher_is_better, float(best), True)
    if higher_is_better:
        if vmax <= 0.0:  # a negated loss (scikit-learn's neg_log_loss, neg_*_error)
            return _Transform(True, 0.0, True)
        if vmax <= 1.0:  # accuracy, AUC, F1...: never above 1, and never below 0 either
            return _Transform(True, 1.0, True, 1.0 if vmin >= 0.0 else None)
        return _Transform(True, vmax + max(vmax - vmin, abs(vmax) * 0.1, 1e-9), False)
    if vmin >= 0.0:
        return _Transform(False, 0.0, True)
    return _Transform(False, vmin - max(vmax - vmin, abs(vmin) * 0.1, 1e-9), False)


# --------------------------------------------------------------------------------------
# fitting one family


def loss_weights(vals: list[np.ndarray], tr: _Transform
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean loss per size, its standard error, the least-squares sigma and the counts.

    sigma adds a floor (half the median standard error, or a small share of the loss
    span) so one size with near-identical repeats cannot dominate the fit.
    """
    mean_score = np.array([v.mean() for v in vals])
    counts = np.array([len(v) for v in vals])
    sd = np.array([v.std(ddof=1) if len(v) > 1 else np.nan for v in vals])
    y = tr.to_loss(mean_score)
    se = sd / np.sqrt(counts)
    finite_se = se[np.isfinite(se)]
    span = float(max(np.ptp(y), 1e-12)) if len(y) > 1 else 1e-12
    if finite_se.size:
        med = float(np.median(finite_se))
        se = np.where(np.isfinite(se), se, np.max(finite_se))
    else:
        med = 0.0
        se = np.zeros_like(y)
    tau = max(0.5 * med, 1e-3 * span, 1e-9 * (1 + float(np.max(np.abs(y)))))
    return y, se, np.sqrt(se**2 + tau**2), counts


def _fit_family(
    fam: CurveFamily,
    x: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    stats: DataStats,
    starts: list[np.ndarray] | None = None,
    max_nfev: int = 200,
    tol: float = 1e-8,
) -> tuple[np.ndarray, float] | None:
    """Weighted bounded least squares from several starts; returns (params, cost)."""
    if fam.fixed:
        p = np.array([float(y[-1])])
        return p, float(np.sum(((y - p[0]) / sigma) ** 2))
    lo, hi = fam.bounds(stats)
    best: tuple[np.ndarray, float] | None = None
    log_ref = stats.log_ref

    def resid(p: np.ndarray) -> np.ndarray:
        r = (fam.f(x, p, log_ref) - y) / sigma
        if not np.isfinite(r).all():
            r = np.nan_to_num(r, nan=1e6, posinf=1e6, neginf=-1e6)
        return r

    jac: Any = "2-point"
    if fam.jac is not None:
        fj = fam.jac

        def jac(p: np.ndarray) -> np.ndarray:
            j = fj(x, p, log_ref) / sigma[:, None]
            if not np.isfinite(j).all():
                j = np.nan_to_num(j, nan=0.0, posinf=0.0, neginf=0.0)
            return j

    from scipy.optimize import least_squares  # imported when fitting: a cached fit needs none

    width = hi - lo
    for p0 in starts if starts is not None else fam.starts(stats):
        p0 = np.asarray(p0, float)
        pad = np.where(np.isfinite(width), 1e-6 * width, 1e-8 * (1 + np.abs(p0)))
        p0 = np.clip(np.nan_to_num(p0, nan=0.0), lo + pad, hi - pad)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                res = least_squares(resid, p0, jac=jac, bounds=(lo, hi), method="trf",
                                    x_scale="jac", max_nfev=max_nfev, ftol=tol, xtol=tol,
                                    gtol=tol)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            continue
        if np.all(np.isfinite(res.x)) and (best is None or res.cost < best[1]):
            best = (res.x, float(res.cost))
    return best


# --------------------------------------------------------------------------------------
# the fit object


class CurveFit:
    """A fitted learning curve: an ensemble of families with calibrated uncertainty.

    Built by :func:`fit_curve`; do not construct directly. All methods take sizes in
    rows (``n``) and return values in the metric's own units.

    ``gate`` says what weighed the families: ``"train"`` (the learned gate that also
    reads the training scores), ``"test"`` (the learned gate on the test scores alone)
    or ``"prefix"`` (no learned gate applies: weights from the prefix-extrapolation
    errors). ``train_loss`` holds the mean training loss per size (``None``: no training
    scores were given).

    Example:
        >>> import numpy as np
        >>> from dataroi.curves import fit_curve
        >>> n = np.array([100, 200, 400, 800, 1600])
        >>> acc = 0.9 - 0.5 * n ** -0.5
        >>> fit = fit_curve(n, np.column_stack([acc, acc + 0.002, acc - 0.002]),
        ...                 random_state=0)
        >>> bool(abs(fit.predict(6400)[0] - (0.9 - 0.5 * 6400 ** -0.5)) < 0.01)
        True
        >>> low, high = fit.interval([6400], level=0.9)
        >>> bool(low[0] <= fit.predict(6400)[0] <= high[0])
        True
    """

    def __init__(
        self,
        *,
        sizes: np.ndarray,
        mean_loss: np.ndarray,
        se_loss: np.ndarray,
        counts: np.ndarray,
        transform: _Transform,
        components: list[Component],
        boot_family: list[str],
        boot_params: list[np.ndarray],
        diagnostics: dict[str, str],
        seed: int,
        calibration: Calibration | None,
        calibrated: bool,
        train_loss: np.ndarray | None = None,
        gate: str = "prefix",
    ) -> None:
        self.sizes = sizes
        self.mean_loss = mean_loss
        self.se_loss = se_loss
        self.counts = counts
        self._t = transform
        self.components = components
        self._boot_family = boot_family
        self._boot_params = boot_params
        self.diagnostics = diagnostics
        self.seed = seed
        self._cal = calibration
        self.calibrated = calibrated
        self.train_loss = train_loss
        self.gate = gate
        self.n_ref = float(sizes[-1])
        self._log_ref = math.log(self.n_ref)
        self._shared_cache: np.ndarray | None = None

    # ---------------------------------------------------------------- properties
    @property
    def higher_is_better(self) -> bool:
        """Whether larger metric values are better."""
        return self._t.higher_is_better

    @property
    def families(self) -> list[str]:
        """Names of the families in the ensemble."""
        return [c.family for c in self.components]

    @property
    def best_value(self) -> float | None:
        """The metric's best possible value the fit assumed (1 for accuracy, 0 for an
        error rate or a negated loss), or ``None`` for an unbounded metric."""
        return float(self._t.ref) if self._t.bounded else None

    def plausible_range(self) -> tuple[float, float]:
        """``(low, high)`` metric values a re-measurement of this model can plausibly take:
        no better than the metric's best value (unbounded metrics: no limit on that side)
        and no worse than the worst observed mean by more than twice the largest standard
        error of a size's mean (the noise of a re-measurement; on held-out LCDB fits a
        bound at the worst mean itself cut 90 % coverage by 2–3 points).

        Example:
            >>> fit = fit_curve([100, 200, 400, 800], [[0.70, 0.72], [0.76, 0.75],
            ...                 [0.80, 0.79], [0.82, 0.83]], random_state=0)
            >>> lo, hi = fit.plausible_range()
            >>> bool(0.65 < lo < 0.71), hi
            (True, 1.0)
        """
        se = self.se_loss[np.isfinite(self.se_loss)]
        noise = 2.0 * float(se.max()) if se.size else 0.0
        worst = float(self._t.to_score(np.array([float(np.max(self.mean_loss)) + noise]))[0])
        best = self.best_value
        if best is None:
            best = math.inf if self.higher_is_better else -math.inf
        return (worst, best) if self.higher_is_better else (best, worst)

    @property
    def weights(self) -> dict[str, float]:
        """Ensemble weight of each family."""
        return {c.family: c.weight for c in self.components}

    # ---------------------------------------------------------------- internals
    def _x(self, n: Any) -> np.ndarray:
        if np.asarray(n).dtype.kind not in "iuf":
            raise UsageError(f"sizes n must be numbers, got {n!r}")
        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        if n_arr.ndim != 1 or np.any(~np.isfinite(n_arr)) or np.any(n_arr <= 0):
            raise UsageError(f"sizes n must be finite and > 0 (1-D), got {n!r}")
        return n_arr / self.n_ref

    def _clip(self, v: np.ndarray) -> np.ndarray:
        if self._t.bounded:
            v = np.maximum(v, 0.0)
        return v if self._t.max_loss is None else np.minimum(v, self._t.max_loss)

    def _component_loss(self, x: np.ndarray) -> np.ndarray:
        out = np.empty((len(self.components), len(x)))
        for i, c in enumerate(self.components):
            fam = FAMILIES[c.family]
            with np.errstate(all="ignore"):
                out[i] = fam.f(x, np.asarray(c.params), self._log_ref)
        return self._clip(np.nan_to_num(out, nan=self.mean_loss[-1]))

    def _pred_loss(self, x: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x))
        for c in self.components:
            if c.weight > 0:
                with np.errstate(all="ignore"):
                    v = FAMILIES[c.family].f(x, np.asarray(c.params), self._log_ref)
                out += c.weight * self._clip(np.nan_to_num(v, nan=float(self.mean_loss[-1])))
        return self._clip(out)

    def _boot_loss(self, x: np.ndarray) -> np.ndarray:
        """Raw (uncalibrated) bootstrap curves at x, shape (n_boot, len(x))."""
        out = np.empty((len(self._boot_params), len(x)))
        for i, (name, p) in enumerate(zip(self._boot_family, self._boot_params, strict=True)):
            with np.errstate(all="ignore"):
                out[i] = FAMILIES[name].f(x, p, self._log_ref)
        # keep the prediction's level: draws are deviations around the ensemble
        return self._clip(np.nan_to_num(out, nan=float(self.mean_loss[-1])))

    def _shared(self) -> np.ndarray:
        """Per-curve features of the learned models (cached)."""
        if self._shared_cache is None:
            self._shared_cache = _gate_inputs(self, tuple(self.families))[0]
        return self._shared_cache

    def stack_inputs(self, families: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Inputs of the learned gate for ``families``: (shared, own, available).

        Used to learn the gate (``benchmarks/learn_curve_model.py``); see
        :mod:`dataroi.curves._stack`.
        """
        return _gate_inputs(self, tuple(families))

    def train_inputs(self, families: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
        """Training-score inputs of the gate for ``families`` (see
        :func:`dataroi.curves._stack.train_features`), or ``None`` when the fit has no
        usable training scores (none recorded, none at the largest size, or an unbounded
        metric, whose loss has no natural zero to measure a gap from)."""
        if not _train_usable(self.train_loss, self._t):
            return None
        assert self.train_loss is not None
        own = _gate_inputs(self, tuple(families))[1]
        return train_features(self.mean_loss, self.train_loss, own)

    def _scale(self, x: np.ndarray, boot: np.ndarray, pred: np.ndarray) -> np.ndarray:
        y_last = float(self.mean_loss[-1])
        coef = None if self._cal is None else self._cal.scale_coef
        # the coefficient count says which features the table was learned with
        if coef is None or len(coef) not in (len(SCALE_NAMES), len(SCALE_NAMES_BEHAVIOUR)):
            sd = boot.std(axis=0) if len(boot) > 1 else np.zeros(len(x))
            return uncertainty_scale(sd, pred, y_last, float(self.se_loss[-1]))
        comp = self._component_loss(x)
        w = np.array([c.weight for c in self.components])
        spread = comp.std(axis=0) if len(comp) > 1 else np.zeros(len(x))
        disagree = w @ np.abs(comp - pred[None, :])
        unit = loss_unit(self.mean_loss)
        behaviour = None
        if len(coef) == len(SCALE_NAMES_BEHAVIOUR):
            behaviour = behaviour_features(self.mean_loss, self._pred_loss(self._x(self.sizes)))
        psi = scale_features(self._shared(), x, spread=spread, disagree=disagree,
                             gain=pred - y_last, unit=unit, behaviour=behaviour)
        s = unit * np.exp(np.clip(psi @ coef, -30.0, 5.0))
        return np.maximum(s, 1e-9 * (1.0 + abs(y_last)))

    def _pred_and_scale(self, n: Any) -> tuple[np.ndarray, np.ndarray]:
        """Point prediction and uncertainty scale, both in loss units (for calibration)."""
        x = self._x(n)
        pred = self._pred_loss(x)
        return pred, self._scale(x, self._boot_loss(x), pred)

    def _ratio(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 1.0)

    @property
    def _log2_span(self) -> float:
        """Doublings observed: ``log2(largest / smallest size)`` (picks the calibration)."""
        if len(self.sizes) < 2 or self.sizes[0] <= 0:
            return 0.0
        return float(np.log2(self.sizes[-1] / self.sizes[0]))

    # ---------------------------------------------------------------- public API
    def predict(self, n: Any) -> np.ndarray:
        """Point prediction of the metric at sizes ``n``.

        Args:
            n: A size or a 1-D array of sizes (rows).

        Returns:
            Array of predicted metric values, one per size.

        Example:
            >>> fit = fit_curve([10, 20, 40, 80], [0.5, 0.6, 0.65, 0.68], random_state=0)
            >>> fit.predict([80, 320]).shape
            (2,)
        """
        x = self._x(n)
        return self._t.to_score(self._pred_loss(x))

    def _calibrated_marginal(self, x: np.ndarray, u: float) -> np.ndarray:
        """Loss at quantile level ``u`` of the (calibrated) marginal at each x."""
        pred = self._pred_loss(x)
        boot = self._boot_loss(x)
        if not self.calibrated or self._cal is None:
            if len(boot) == 0:
                return pred
            centred = boot - boot.mean(axis=0) + pred
            return self._clip(np.quantile(centred, float(np.clip(u, 0, 1)), axis=0))
        scale = self._scale(x, boot, pred)
        q = self._cal.quantile(np.full(len(x), u), self._ratio(x), self._log2_span)
        return self._clip(pred + q * scale)

    def interval(self, n: Any, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated central interval of the metric at sizes ``n``.

        Args:
            n: A size or a 1-D array of sizes.
            level: Nominal coverage in (0, 1).

        Returns:
            ``(low, high)`` arrays in metric units (``low <= high``).

        Example:
            >>> fit = fit_curve([10, 20, 40, 80], [0.5, 0.6, 0.65, 0.68], random_state=0)
            >>> lo, hi = fit.interval(320, level=0.8)
            >>> bool(lo[0] < hi[0])
            True
        """
        _check_probability(level, "level")
        x = self._x(n)
        a = self._calibrated_marginal(x, (1 - level) / 2)
        b = self._calibrated_marginal(x, (1 + level) / 2)
        sa, sb = self._t.to_score(a), self._t.to_score(b)
        return np.minimum(sa, sb), np.maximum(sa, sb)

    def sample(self, n: Any, size: int = 100, *, random_state: Any = None) -> np.ndarray:
        """Joint draws of the whole curve, evaluated at sizes ``n``.

        Each draw is one bootstrap curve (over repeats and families); its values are
        mapped through the calibrated marginal at each size by rank, so one draw is a
        coherent curve (evaluate it at several sizes, or pair draws of two models drawn
        with the same ``random_state``) and its quantiles match :meth:`interval`.

        Args:
            n: A size or a 1-D array of sizes.
            size: Number of draws ``k``.
            random_state: Seed for the draws; ``None`` uses the fit's own seed, so
                repeated calls give the same draws.

        Returns:
            Array of shape ``(k, len(n))`` in metric units.

        Example:
            >>> fit = fit_curve([10, 20, 40, 80], [[0.5, 0.52], [0.6, 0.61], [0.65, 0.64],
            ...                 [0.68, 0.69]], random_state=0)
            >>> fit.sample([160, 320], size=5).shape
            (5, 2)
        """
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise UsageError(f"size must be an integer >= 1, got {size!r}")
        x = self._x(n)
        rng = np.random.default_rng(
            np.random.SeedSequence([self.seed, 7]) if random_state is None else random_state
        )
        boot = self._boot_loss(x)
        k = int(size)
        if len(boot) == 0:
            return np.tile(self.predict(n), (k, 1))
        pick = rng.integers(0, len(boot), size=k)
        jitter = rng.random(k)
        if not self.calibrated or self._cal is None:
            draws = boot[pick]
            return self._t.to_score(draws)
        # rank of each bootstrap curve at each size (ties broken by index: stable sort)
        ranks = np.argsort(np.argsort(boot, axis=0, kind="stable"), axis=0, kind="stable")
        u = (ranks[pick] + jitter[:, None]) / len(boot)
        pred = self._pred_loss(x)
        scale = self._scale(x, boot, pred)
        q = self._cal.quantile(u, np.broadcast_to(self._ratio(x), u.shape), self._log2_span)
        return self._t.to_score(self._clip(pred + q * scale))

    def n_to_reach(
        self,
        target: float,
        confidence: float = 0.9,
        *,
        max_n: float | None = None,
        n_draws: int = 1000,
    ) -> NToReach:
        """Labels needed to reach ``target``, with the probability it is never reached.

        For a calibrated fit, ``P(metric(n) reaches target)`` is read from the calibrated
        predictive distribution at each size of a log grid (the learned, ratio-specific
        residual quantiles; inside the observed range the fitted curve decides), and made
        non-decreasing in ``n`` (more data does not undo progress). ``n`` is the first size
        where it reaches ``confidence``, ``n_median`` where it reaches 0.5 (the point
        estimate), ``p_never = 1 - P`` at ``max_n``. Uncalibrated fits use the first
        crossings of the raw joint draws instead.

        Args:
            target: Target metric value (in the metric's units and direction).
            confidence: Required probability of reaching the target.
            max_n: Largest size considered (default ``1000 * largest observed size``).
            n_draws: Number of joint draws used (uncalibrated fits only).

        Returns:
            An :class:`NToReach`.

        Example:
            >>> n = np.array([100, 200, 400, 800, 1600])
            >>> fit = fit_curve(n, 0.9 - 0.5 * n ** -0.5, random_state=0)
            >>> res = fit.n_to_reach(0.89, confidence=0.5)
            >>> bool(1600 < res.n_median < 1e6)
            True
        """
        _check_probability(confidence, "confidence")
        if not isinstance(target, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(target)):
            raise UsageError(f"target must be a finite number, got {target!r}")
        if self._t.bounded and float(self._t.to_loss(np.array([float(target)]))[0]) < 0:
            raise UsageError(f"target {target:g} is beyond the metric's best possible value "
                             f"({self._t.ref:g})")
        max_n = float(max_n) if max_n is not None else 1000.0 * self.n_ref
        if not math.isfinite(max_n) or max_n <= self.n_ref:
            raise UsageError(f"max_n must be a number above the largest observed size "
                             f"({self.n_ref:g}), got {max_n!r}")
        lo_n = float(self.sizes[0])
        grid = np.unique(np.geomspace(lo_n, max(max_n, lo_n * 1.01), 240).round())
        t_loss = float(self._t.to_loss(np.array([target]))[0])
        if self.calibrated and self._cal is not None:
            # P(loss(n) <= target) from the calibrated marginal at each n; a learning
            # curve does not get worse with more data, so the probability of having
            # reached the target by n is its running maximum.
            x = grid / self.n_ref
            pred = self._pred_loss(x)
            scale = self._scale(x, self._boot_loss(x), pred)
            if self._t.bounded and t_loss < 0:
                p = np.zeros(len(grid))
            else:
                p = self._cal.cdf((t_loss - pred) / scale, self._ratio(x), self._log2_span)
            # inside the observed range the fitted curve itself decides
            p = np.where(x <= 1.0, (pred <= t_loss).astype(float), p)
            p = np.maximum.accumulate(p)

            def first(level: float) -> float:
                hit = np.nonzero(p >= level)[0]
                return float(grid[hit[0]]) if hit.size else math.inf

            n_conf, n_med, p_never = first(confidence), first(0.5), float(1.0 - p[-1])
        else:
            draws = self._t.to_loss(self.sample(grid, size=n_draws))  # (k, g) loss
            hit = draws <= t_loss
            reached = hit.any(axis=1)
            first_n = np.sort(np.where(reached, grid[np.argmax(hit, axis=1)], np.inf))
            p_never = float(1.0 - reached.mean())

            def quant(q: float) -> float:
                k = math.ceil(q * len(first_n)) - 1
                return float(first_n[min(max(k, 0), len(first_n) - 1)])

            n_conf, n_med = quant(confidence), quant(0.5)

        already = bool(self._pred_loss(np.array([1.0]))[0] <= t_loss)
        return NToReach(
            target=float(target),
            confidence=float(confidence),
            n=n_conf,
            n_median=n_med,
            p_never=p_never,
            already_reached=already,
            max_n=max_n,
        )

    def summary(self) -> dict[str, Any]:
        """Families, weights, parameters, diagnostics and a few predictions.

        Returns:
            A JSON-compatible dictionary.

        Example:
            >>> fit = fit_curve([10, 20, 40, 80], [0.5, 0.6, 0.65, 0.68], random_state=0)
            >>> sorted(fit.summary())[:3]
            ['calibrated', 'components', 'diagnostics']
        """
        probe = self.n_ref * np.array([1.0, 2.0, 4.0, 16.0])
        lo, hi = self.interval(probe, 0.9)
        return {
            "higher_is_better": self.higher_is_better,
            "n_sizes": len(self.sizes),
            "largest_size": self.n_ref,
            "components": [
                {
                    "family": c.family,
                    "weight": c.weight,
                    "params": dict(zip(get_family(c.family).param_names, c.params,
                                       strict=True)),
                    "prefix_error": c.prefix_error,
                    "rmse": c.rmse,
                }
                for c in sorted(self.components, key=lambda c: -c.weight)
            ],
            "diagnostics": dict(self.diagnostics),
            "calibrated": self.calibrated,
            "gate": self.gate,
            "train_score_at_largest": (
                None if self.train_loss is None or not np.isfinite(self.train_loss[-1])
                else float(self._t.to_score(self.train_loss[-1:])[0])),
            "predictions": [
                {"n": float(n), "predict": float(p), "low90": float(a), "high90": float(b)}
                for n, p, a, b in zip(probe, self.predict(probe), lo, hi, strict=True)
            ],
            "note": "family parameters are in x = n / largest_size units, loss space",
        }

    def __repr__(self) -> str:
        top = ", ".join(
            f"{c.family}={c.weight:.2f}"
            for c in sorted(self.components, key=lambda c: -c.weight)[:4]
        )
        return (f"CurveFit(n_sizes={len(self.sizes)}, largest_size={self.n_ref:g}, "
                f"weights={{{top}}}, diagnostics={sorted(self.diagnostics)})")

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, enough to rebuild the fit exactly with :meth:`from_dict`.

        Example:
            >>> fit = fit_curve([10, 20, 40, 80], [0.5, 0.6, 0.65, 0.68], random_state=0)
            >>> again = CurveFit.from_dict(fit.to_dict())
            >>> bool(np.allclose(again.interval(500)[0], fit.interval(500)[0]))
            True
        """
        return {
            "format_version": _FORMAT_VERSION,
            "kind": "dataroi.curves.CurveFit",
            "sizes": self.sizes.tolist(),
            "mean_loss": self.mean_loss.tolist(),
            "se_loss": self.se_loss.tolist(),
            "counts": self.counts.tolist(),
            "transform": {
                "higher_is_better": self._t.higher_is_better,
                "ref": self._t.ref,
                "bounded": self._t.bounded,
                "max_loss": self._t.max_loss,
            },
            "components": [
                {
                    "family": c.family,
                    "params": list(c.params),
                    "weight": c.weight,
                    "prefix_error": c.prefix_error,
                    "rmse": c.rmse,
                }
                for c in self.components
            ],
            "bootstrap": {
                "family": list(self._boot_family),
                "params": [p.tolist() for p in self._boot_params],
            },
            "diagnostics": dict(self.diagnostics),
            "seed": self.seed,
            "calibrated": self.calibrated,
            "calibration": None if self._cal is None else self._cal.to_dict(),
            "train_loss": None if self.train_loss is None else [
                None if not np.isfinite(v) else float(v) for v in self.train_loss],
            "gate": self.gate,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurveFit:
        """Rebuild a fit from :meth:`to_dict` output.

        Raises:
            dataroi.exceptions.UsageError: If the dictionary is not a serialised fit.
        """
        if d.get("kind") != "dataroi.curves.CurveFit":
            raise UsageError("not a serialised CurveFit (missing kind='dataroi.curves.CurveFit')")
        if int(d.get("format_version", 0)) > _FORMAT_VERSION:
            raise UsageError(
                f"CurveFit format_version {d['format_version']} is newer than this dataroi "
                f"supports ({_FORMAT_VERSION}); upgrade dataroi"
            )
        t = d["transform"]
        cal = d.get("calibration")
        tl = d.get("train_loss")
        return cls(
            sizes=np.asarray(d["sizes"], float),
            mean_loss=np.asarray(d["mean_loss"], float),
            se_loss=np.asarray(d["se_loss"], float),
            counts=np.asarray(d["counts"], int),
            transform=_Transform(bool(t["higher_is_better"]), float(t["ref"]),
                                 bool(t["bounded"]),
                                 None if t.get("max_loss") is None else float(t["max_loss"])),
            components=[
                Component(c["family"], tuple(float(v) for v in c["params"]),
                          float(c["weight"]), c["prefix_error"], float(c["rmse"]))
                for c in d["components"]
            ],
            boot_family=list(d["bootstrap"]["family"]),
            boot_params=[np.asarray(p, float) for p in d["bootstrap"]["params"]],
            diagnostics=dict(d["diagnostics"]),
            seed=int(d["seed"]),
            calibration=None if cal is None else Calibration.from_dict(cal),
            calibrated=bool(d["calibrated"]),
            train_loss=None if tl is None else np.array(
                [np.nan if v is None else v for v in tl], float),
            gate=str(d.get("gate", "prefix")),
        )


# --------------------------------------------------------------------------------------
# fit_curve


def _resolve_families(families: str | Sequence[str], n_sizes: int) -> list[CurveFamily]:
    if isinstance(families, str):
        names = list(AUTO_FAMILIES) if families == "auto" else [families]
    else:
        names = list(families)
        if not names:
            raise UsageError("families must name at least one family (or be 'auto')")
    if families == "auto":
        st = load_stacker()
        if st is not None:  # the learned gate knows (and weighs) these families
            names = [nm for nm in st.families if nm in FAMILIES]
    fams = [get_family(nm) for nm in names]
    usable = [f for f in fams if f.fixed or f.n_params <= max(n_sizes, 1)]
    if not usable:
        usable = [FAMILIES["last1"]]
    return usable


def _gate_inputs(
    fit: CurveFit, families: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shared, own, available) features of the learned gate for ``families``."""
    by = {c.family: c for c in fit.components}
    k = len(families)
    p4, p16 = np.full(k, np.nan), np.full(k, np.nan)
    perr, rmse = np.full(k, np.nan), np.full(k, np.nan)
    avail = np.zeros(k, bool)
    for i, nm in enumerate(families):
        c = by.get(nm)
        if c is None:
            continue
        with np.errstate(all="ignore"):
            v = FAMILIES[nm].f(np.array([4.0, 16.0]), np.asarray(c.params), fit._log_ref)
        v = fit._clip(np.asarray(v, float))
        if not np.all(np.isfinite(v)):
            continue
        avail[i] = True
        p4[i], p16[i] = v
        perr[i] = np.nan if c.prefix_error is None else c.prefix_error
        rmse[i] = c.rmse
    y = fit.mean_loss
    spread4 = float(np.std(p4[avail])) if avail.sum() > 1 else 0.0
    pe = perr[avail & np.isfinite(perr)]
    shared = shared_features(fit.sizes, y, fit.se_loss, spread4=spread4,
                             perr_min=float(pe.min()) if pe.size else None)
    fill = float(y[-1])
    own = own_features(y, np.where(avail, p4, fill), np.where(avail, p16, fill),
                       np.where(avail, perr, np.nan), np.where(avail, rmse, np.nan))
    return shared, own, avail


def _prefix_errors(
    fams: list[CurveFamily], x: np.ndarray, y: np.ndarray, sigma: np.ndarray, bounded: bool,
    log_ref: float,
) -> dict[str, float]:
    """Fit on the first anchors, score (mean abs. error) on the later ones."""
    m = len(x)
    if m < 5:
        return {}
    h = max(1, round(m / 3))
    xp, yp, sp = x[: m - h], y[: m - h], sigma[: m - h]
    # rescale the prefix so that its last size is 1 (the families' convention)
    xr = xp[-1]
    stats = DataStats(xp / xr, yp, log_ref + math.log(xr), bounded)
    out: dict[str, float] = {}
    for fam in fams:
        if not fam.fixed and fam.n_params > len(xp) - 1:
            continue
        res = _fit_family(fam, xp / xr, yp, sp, stats, max_nfev=150, tol=1e-6)
        if res is None:
            continue
        with np.errstate(all="ignore"):
            pred = fam.f(x[m - h:] / xr, res[0], stats.log_ref)
        if bounded:
            pred = np.maximum(pred, 0.0)
        err = float(np.mean(np.abs(pred - y[m - h:])))
        if np.isfinite(err):
            out[fam.name] = err
    return out


def _train_usable(train_loss: np.ndarray | None, tr: _Transform) -> bool:
    """Whether the training scores can feed the gate: a bounded metric (its loss has a
    natural zero) and a finite training loss at the largest size."""
    return (train_loss is not None and tr.bounded and len(train_loss) > 0
            and bool(np.isfinite(train_loss[-1])))


def _choose_gate(names: list[str], train_usable: bool) -> Stacker | None:
    """The learned gate for the fitted families ``names``: the training-score gate when
    the training scores are usable, else the test-score gate; ``None`` when only one
    family was fitted or no shipped gate knows them all."""
    if len(names) < 2:
        return None
    for kind in ("train", "test") if train_usable else ("test",):
        st = load_stacker(kind)
        if st is not None and set(names) <= set(st.families):
            return st
    return None


def _train_loss(s: np.ndarray, train_scores: Any, uniq: np.ndarray, tr: _Transform
                ) -> np.ndarray:
    """Mean training loss at each distinct size ``uniq`` (NaN where none is finite)."""
    t_sizes, t_vals = _merge_sizes(s, _as_matrix(train_scores, len(s), "train_scores"))
    means = {float(u): float(v.mean()) for u, v in zip(t_sizes, t_vals, strict=True)}
    return tr.to_loss(np.array([means.get(float(u), np.nan) for u in uniq]))


def fit_curve(
    sizes: Any,
    scores: Any,
    *,
    higher_is_better: bool = True,
    families: str | Sequence[str] = "auto",
    random_state: int | np.random.SeedSequence | None = None,
    best_value: float | None = None,
    n_bootstrap: int = 24,
    calibrate: bool = True,
    train_scores: Any = None,
) -> CurveFit:
    """Fit a learning curve and extrapolate it with calibrated uncertainty.

    Each family is fitted by weighted bounded least squares (several starts), weights
    being the inverse variance of the mean at each size across repeats. Families are
    weighted by how well they *extrapolate* the curve's own prefix (fit on the first
    two thirds of the sizes, score on the rest), not by in-sample fit. Joint draws come
    from a bootstrap over repeats and families; intervals are calibrated with a table
    learned on real LCDB curves (see :mod:`dataroi.curves._calibration`).

    Args:
        sizes: Training-set sizes, shape ``(n_sizes,)``; repeated sizes are merged.
        scores: Metric values, shape ``(n_sizes, n_repeats)`` or ``(n_sizes,)``; NaN marks
            a failed trial.
        higher_is_better: ``True`` for accuracy/AUC/R², ``False`` for error or loss.
        families: ``"auto"``, one family name, or a list of names (see
            :data:`dataroi.curves.FAMILIES`).
        random_state: Seed of the bootstrap (``None``: fresh entropy, stored in the fit).
        best_value: Best achievable metric value (1 for accuracy, 0 for an error rate);
            default: 0 if higher is better and all scores are ≤ 0 (a negated loss such as
            scikit-learn's ``neg_log_loss``), 1 if higher is better and all scores are
            ≤ 1 (then, if all are ≥ 0, predictions and intervals also stay ≥ 0), 0 if
            lower is better and all scores are ≥ 0, else unbounded.
        n_bootstrap: Number of bootstrap refits (joint draws are resampled from them; with
            the learned scale model they shape the joint structure of the draws, not the
            width of the intervals).
        calibrate: Apply the learned interval calibration (``False``: raw bootstrap).
        train_scores: The same metric scored on each trial's *training* rows (what
            scikit-learn's ``learning_curve`` returns as ``train_scores``), one row per
            size like ``scores``; NaN where missing. With a bounded metric and a training
            score at the largest size, a second learned gate also weighs the families by
            the train-test gap (on held-out LCDB curves its error at 4× is about 5 %
            lower for curves observed up to 128 labels; see ``docs/curves.md``).

    Returns:
        A :class:`CurveFit`.

    Raises:
        dataroi.exceptions.UsageError: For malformed inputs (shapes, sizes ≤ 0).
        dataroi.exceptions.DataError: If no finite score is left.

    Example:
        >>> import numpy as np
        >>> n = np.array([16, 32, 64, 128, 256])
        >>> rng = np.random.default_rng(0)
        >>> err = 0.05 + 0.8 * n[:, None] ** -0.4 + rng.normal(0, 0.005, (5, 10))
        >>> fit = fit_curve(n, err, higher_is_better=False, random_state=0)
        >>> bool(fit.predict(1024)[0] < fit.predict(256)[0])
        True
    """
    if not isinstance(higher_is_better, (bool, np.bool_)):
        raise UsageError(f"higher_is_better must be True or False, got {higher_is_better!r}")
    s, raw = _as_inputs(sizes, scores)
    diagnostics: dict[str, str] = {}
    all_nan_rows = int(np.sum(~np.isfinite(raw).any(axis=1)))
    if all_nan_rows:
        diagnostics["failed_sizes"] = f"{all_nan_rows} size(s) had no finite score; ignored"
    uniq, vals = _merge_sizes(s, raw)
    if not vals:
        raise DataError("no finite score to fit: every trial failed (all scores are NaN)")
    finite_all = np.concatenate(vals)
    tr = _make_transform(finite_all, higher_is_better, best_value)

    y, se, sigma, counts = loss_weights(vals, tr)
    span = float(max(np.ptp(y), 1e-12)) if len(y) > 1 else 1e-12
    train_loss = None if train_scores is None else _train_loss(s, train_scores, uniq, tr)

    m = len(uniq)
    if m < 3:
        diagnostics["too_few_sizes"] = (
            f"only {m} distinct size(s) with finite scores; at least 3 (better 5+) are "
            "needed for a trustworthy extrapolation"
        )
    n_ref = float(uniq[-1])
    x = uniq / n_ref
    log_ref = math.log(n_ref)
    stats = DataStats(x, y, log_ref, tr.bounded)
    fams = _resolve_families(families, m)
    components = _fitted_components(fams, x, y, sigma, stats, tr, log_ref)
    components, gate = _weighted_components(components, uniq, y, se, counts, tr,
                                            train_loss, span)

    # bootstrap over repeats (or residuals) and families
    seed = _root_seed(random_state)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    boot_family, boot_params = _bootstrap(
        components, vals, tr, x, y, sigma, stats, int(n_bootstrap), rng
    )

    cal = None
    if calibrate:
        cal = load_calibration("train") if gate == "train" else load_calibration()
    fit = CurveFit(
        sizes=uniq, mean_loss=y, se_loss=se, counts=counts, transform=tr,
        components=components, boot_family=boot_family, boot_params=boot_params,
        diagnostics=diagnostics, seed=seed, calibration=cal, calibrated=calibrate,
        train_loss=train_loss, gate=gate,
    )
    from dataroi.curves._diagnostics import add_diagnostics

    add_diagnostics(fit)
    return fit


def _fitted_components(fams: list[CurveFamily], x: np.ndarray, y: np.ndarray,
                       sigma: np.ndarray, stats: DataStats, tr: _Transform,
                       log_ref: float) -> list[Component]:
    """Stage 1 of :func:`fit_curve`: every family fitted to the whole curve, with its
    in-sample RMSE and its error extrapolating the curve's own prefix (weights 0)."""
    fitted: dict[str, tuple[np.ndarray, float]] = {}
    for fam in fams:
        res = _fit_family(fam, x, y, sigma, stats)
        if res is not None:
            fitted[fam.name] = res
    if not fitted:
        fitted["last1"] = (np.array([float(y[-1])]), 0.0)
    perr = _prefix_errors([f for f in fams if f.name in fitted], x, y, sigma, tr.bounded,
                          log_ref)
    components = []
    for nm, (p, _cost) in fitted.items():
        with np.errstate(all="ignore"):
            fy = FAMILIES[nm].f(x, p, log_ref)
        rmse = float(np.sqrt(np.mean((fy - y) ** 2)))
        components.append(Component(nm, tuple(float(v) for v in p), 0.0, perr.get(nm), rmse))
    return components


def _weighted_components(components: list[Component], uniq: np.ndarray, y: np.ndarray,
                         se: np.ndarray, counts: np.ndarray, tr: _Transform,
                         train_loss: np.ndarray | None, span: float
                         ) -> tuple[list[Component], str]:
    """Stage 2 of :func:`fit_curve`: the families' weights, from a learned gate (on the
    test scores, or on the test and training scores) when one applies, else from their
    prefix errors; returns the weighted components and the gate used."""
    names = [c.family for c in components]
    perr = {c.family: c.prefix_error for c in components if c.prefix_error is not None}
    gate = "prefix"
    st = _choose_gate(names, _train_usable(train_loss, tr))
    if st is not None:
        probe = CurveFit(
            sizes=uniq, mean_loss=y, se_loss=se, counts=counts, transform=tr,
            components=components, boot_family=[], boot_params=[], diagnostics={}, seed=0,
            calibration=None, calibrated=False, train_loss=train_loss,
        )
        weights = _gate_weights(probe, st)
        gate = "train" if st.uses_train else "test"
    else:
        weights = _weights(names, perr, span=span)
    return [Component(c.family, c.params, weights[c.family], c.prefix_error, c.rmse)
            for c in components], gate


def _check_probability(value: Any, name: str) -> None:
    """A single number strictly between 0 and 1, or a UsageError naming ``name``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) \
        and not isinstance(value, bool) and 0.0 < float(value) < 1.0
    if not ok:
        raise UsageError(f"{name} must be a number in (0, 1), got {value!r}")


def _root_seed(random_state: Any) -> int:
    if isinstance(random_state, np.random.SeedSequence):
        return int(random_state.generate_state(1, dtype=np.uint32)[0])
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint32)[0])
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise UsageError(f"random_state must be >= 0, got {random_state}")
        return int(random_state)
    raise UsageError(f"random_state must be an int, a SeedSequence or None, got {random_state!r}")


#: Families whose weight is below this share of the largest are dropped.
_MIN_REL_WEIGHT = 0.005


def _weights(names: list[str], perr: dict[str, float], *, span: float) -> dict[str, float]:
    """Fallback weights (no learned gate): ∝ 1 / (prefix extrapolation error + eps)^0.5."""
    if not perr:
        raw = dict.fromkeys(names, 1.0)
    else:
        eps = max(1e-3 * span, 1e-12)
        raw = {nm: (1.0 / (perr[nm] + eps) ** 0.5 if nm in perr else 0.0) for nm in names}
    return _normalise(raw, names)


def _normalise(raw: dict[str, float], names: list[str]) -> dict[str, float]:
    if sum(raw.values()) <= 0 or not np.isfinite(sum(raw.values())):
        raw = dict.fromkeys(names, 1.0)
    top = max(raw.values())
    raw = {k: (v if v >= _MIN_REL_WEIGHT * top else 0.0) for k, v in raw.items()}
    total = sum(raw.values())
    return {k: v / total for k, v in raw.items()}


def _gate_weights(fit: CurveFit, st: Stacker) -> dict[str, float]:
    """Weights of the learned gate (families unknown to it get none)."""
    shared, own, avail = _gate_inputs(fit, st.families)
    train = None
    if st.uses_train and fit.train_loss is not None:  # _choose_gate checked it is usable
        train = train_features(fit.mean_loss, fit.train_loss, own)
    w = st.weights(shared, own, avail, train=train)
    raw = {c.family: 0.0 for c in fit.components}
    for nm, wk in zip(st.families, w, strict=True):
        if nm in raw:
            raw[nm] = float(wk)
    return _normalise(raw, list(raw))


def _bootstrap(
    components: list[Component],
    vals: list[np.ndarray],
    tr: _Transform,
    x: np.ndarray,
    y: np.ndarray,
    sigma: np.ndarray,
    stats: DataStats,
    n_boot: int,
    rng: np.random.Generator,
) -> tuple[list[str], list[np.ndarray]]:
    if n_boot <= 0 or not components:
        return [], []
    w = np.array([c.weight for c in components])
    picks = rng.choice(len(components), size=n_boot, p=w / w.sum())
    max_rep = max(len(v) for v in vals)
    fam_out: list[str] = []
    par_out: list[np.ndarray] = []
    for b in range(n_boot):
        comp = components[picks[b]]
        fam = FAMILIES[comp.family]
        p_hat = np.asarray(comp.params)
        if max_rep >= 2:
            yb = np.array([
                tr.to_loss(np.array([v[rng.integers(0, len(v), len(v))].mean()]))[0]
                if len(v) > 1 else tr.to_loss(v[:1])[0]
                for v in vals
            ])
        else:  # one repeat: wild bootstrap of the residuals
            with np.errstate(all="ignore"):
                fy = fam.f(x, p_hat, stats.log_ref)
            resid = np.nan_to_num(y - fy)
            yb = fy + resid * rng.choice([-1.0, 1.0], size=len(y))
        bstats = DataStats(x, yb, stats.log_ref, stats.bounded)
        res = _fit_family(fam, x, yb, sigma, bstats, starts=[p_hat], max_nfev=40,
                          tol=1e-5)
        if res is None:
            continue
        fam_out.append(comp.family)
        par_out.append(res[0])
    return fam_out, par_out
