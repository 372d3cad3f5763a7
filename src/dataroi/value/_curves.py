"""One fitted learning curve per model of a study, with today's paired per-repeat scores.

:class:`StudyCurves` is what every value and decision computation reads: the curve fits
(``dataroi.curves``), the compute-cost fits, the per-repeat scores at today's size (all
models share the same subsets and test rows per repeat, so differences are paired) and
a hash of the inputs.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": base - 2.0 / n ** 0.5 + 0.002 * r, "fit_seconds": 1e-4 * n}
    ...         for m, base in (("a", 0.9), ("b", 0.95)) for n in (25, 50, 100, 200, 400)
    ...         for r in range(3)]
    >>> curves = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
    >>> curves.current_n, curves.models
    (400, ('a', 'b'))
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from dataroi._names import did_you_mean
from dataroi._random import seed_sequence
from dataroi.exceptions import DataError, UsageError
from dataroi.value._cache import FitCache

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.curves import CurveFit, GainForecast, GainModel

#: Today's paired differences with fewer degrees of freedom (repeats - 1) than this are
#: pooled with the sizes just below (:meth:`StudyCurves.paired_spread`): a Student-t of
#: one degree of freedom has no mean. On the corpus cut to 2 repeats (held out) the
#: policy's regret is $239 pooled against $865 not (docs/decisions.md, "A study of 2
#: repeats"). (Pooling at two too, whose t has no variance, cost the adaptive replay's
#: quick subset 0.6 points of CPU for the same decisions: 3 repeats keep their own
#: spread.)
MIN_PAIRED_DF = 2
#: ... at most this many sizes below, none smaller than a sixteenth of today's.
_BELOW_SIZES = 2
#: The repeats of the studies the learned forecast's spread was learned on (the curve
#: corpus, LCDB's seeds). With at most :data:`FEW_REPEATS` at today's size its intervals
#: cover less than they state (the corpus cut to 2 repeats: docs/decisions.md, "A study
#: of 2 repeats"; 3 and 4 were not measured), the P(net > 0) of a one-shot option
#: (calibrated by the map learned on 5-repeat runs) stated 0.86 where 0.44 was realized,
#: and the analysis says so. (Maps learned on 2-repeat runs state it honestly but raised
#: the policy's held-out regret, $254 against $243: not shipped.)
CALIBRATED_REPEATS = 5
FEW_REPEATS = 2

__all__ = ["MIN_PAIRED_DF", "REQUIRED_TRIAL_COLUMNS", "Serving", "StudyCurves", "TestPredictions",
           "fit_study_curves", "study_trials"]


@dataclass(frozen=True)
class Serving:
    """What a model costs to serve, measured by the trials: the median prediction time
    per 1,000 rows (ms) and the median pickled size (MB) at each training size, and
    their values at other sizes on a line in log-log (a k-nearest-neighbours model or a
    forest grows with its training rows; a linear model does not).

    Example:
        >>> s = Serving(sizes=np.array([100.0, 200.0, 400.0]),
        ...             predict_ms_per_1k=np.array([1.0, 2.0, 4.0]),
        ...             model_mb=np.array([0.01, 0.01, 0.01]))
        >>> [round(float(v), 2) for v in s.at(800)]
        [8.0, 0.01]
    """

    sizes: np.ndarray
    predict_ms_per_1k: np.ndarray
    model_mb: np.ndarray

    def at(self, n: float) -> tuple[float | None, float | None]:
        """(ms per 1,000 rows, MB) at training size ``n`` (None where not measured)."""
        return _loglog(self.sizes, self.predict_ms_per_1k, n), \
            _loglog(self.sizes, self.model_mb, n)


def _loglog(sizes: np.ndarray, values: np.ndarray, n: float) -> float | None:
    """``values`` at ``n``: interpolated in log-log inside the measured sizes; beyond
    them, the least-squares line through the largest three sizes (slope 0 to 1.5)."""
    ok = np.isfinite(values) & (values > 0)
    if not ok.any():
        return None
    x, y = np.log(sizes[ok]), np.log(values[ok])
    ln = math.log(n)
    if ok.sum() == 1 or ln <= x[-1]:
        return float(np.exp(np.interp(ln, x, y)))
    slope = float(np.clip(np.polyfit(x[-3:], y[-3:], 1)[0], 0.0, 1.5))
    return float(np.exp(y[-1] + slope * (ln - x[-1])))


def _serving(ms: pd.DataFrame) -> Serving | None:
    """A model's :class:`Serving` from its trials (None without the columns)."""
    has_time = {"predict_seconds", "n_predicted"} <= set(ms.columns)
    has_size = "model_bytes" in ms.columns
    if not has_time and not has_size:
        return None
    frame = ms.assign(
        ms1k=(ms["predict_seconds"].astype(float) / ms["n_predicted"].astype(float) * 1e6)
        if has_time else np.nan,
        mb=ms["model_bytes"].astype(float) / 2 ** 20 if has_size else np.nan)
    med = frame.groupby("n_train")[["ms1k", "mb"]].median().sort_index()
    if not np.isfinite(med.to_numpy()).any():
        return None
    return Serving(sizes=med.index.to_numpy(float), predict_ms_per_1k=med["ms1k"].to_numpy(),
                   model_mb=med["mb"].to_numpy())


@dataclass(frozen=True)
class StudyCurves:
    """Fitted curves of every model of a study for one metric.

    Attributes:
        metric: the metric's name.
        higher_is_better: the metric's direction.
        current_n: today's number of labels: the largest training size every model ran.
        models: model names, in study order.
        fits: model → :class:`~dataroi.curves.CurveFit` of the metric.
        cost_fits: model → fit of training seconds against size (None if not measured):
            a point fit (no bootstrap refits, so its ``interval`` is the point), as the
            study reads only its predicted seconds (:meth:`training_seconds`).
        today: model → {repeat: metric value at ``current_n``} (paired across models).
        random_state: root seed of every draw.
        input_hash: SHA-256 of the trial values the fits were made from.
        bounds: model → (low, high) plausible metric range for draws
            (``CurveFit.plausible_range``: the worst observed mean less twice the largest
            standard error of a size's mean, and the metric's best value).
        test_boot: model → the metric at ``current_n`` (mean over repeats) on shared
            bootstrap resamples of the test rows (from the stored predictions), so that
            today's paired differences include test-set sampling noise; empty when the
            predictions are not available.
        notes: what the user should know about the fits.
        train_today: model → the metric on its training rows at ``current_n`` (mean over
            repeats; the trials' ``train_value``); absent for trials recorded without it.
        forecasts: model → the learned gain forecast beyond ``current_n``
            (:class:`~dataroi.curves.GainForecast`); empty when the learned model does
            not apply (a metric not bounded in [0, 1] with higher better) or is turned
            off. Where present, :meth:`draws` beyond ``current_n`` come from it.
        gain_model: the learned gain model's identity (its file's digest), or ``""``.
        serving: model → its measured serving cost (:class:`Serving`: prediction time
            per 1,000 rows and model size against the training size); absent for trials
            recorded without them.
        interval_scale: the draws beyond ``current_n`` are stretched by this factor
            around their median at each size (a ledger's forecast track record,
            :attr:`dataroi.decide.TrackRecord.interval_scale`); None: as fitted.
        below: model → {size: {repeat: metric value}} at the (at most two) sizes just
            below ``current_n`` and no smaller than a sixteenth of it: where today's
            paired differences have too few repeats to say their own spread, theirs
            help (:meth:`paired_today_draws`).
    """

    metric: str
    higher_is_better: bool
    current_n: int
    models: tuple[str, ...]
    fits: Mapping[str, CurveFit]
    cost_fits: Mapping[str, CurveFit | None]
    today: Mapping[str, Mapping[int, float]]
    random_state: int = 0
    input_hash: str = ""
    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    test_boot: Mapping[str, np.ndarray] = field(default_factory=dict)
    notes: tuple[str, ...] = field(default=())
    train_today: Mapping[str, float] = field(default_factory=dict)
    forecasts: Mapping[str, GainForecast] = field(default_factory=dict)
    gain_model: str = ""
    serving: Mapping[str, Serving] = field(default_factory=dict)
    interval_scale: float | None = None
    below: Mapping[str, Mapping[int, Mapping[int, float]]] = field(default_factory=dict)

    @property
    def curve_source(self) -> str:
        """How the curves are extrapolated beyond today, in words."""
        if self.forecasts:
            return (f"beyond today's size, the {self.gain_model}; at and below it, the "
                    "fitted curve families")
        return "the fitted curve families"

    @property
    def sign(self) -> float:
        """+1 when higher is better, else -1: ``sign * (new - old)`` is an improvement."""
        return 1.0 if self.higher_is_better else -1.0

    def check_model(self, model: str) -> str:
        """Return ``model`` if the study has it, else raise a :class:`UsageError`."""
        if model not in self.fits:

            hint = did_you_mean(model, list(self.models))
            raise UsageError(f"unknown model '{model}'{hint}; models: {', '.join(self.models)}")
        return model

    def observed_today(self, model: str) -> float:
        """Mean metric of ``model`` over repeats at ``current_n``."""
        vals = [v for v in self.today[self.check_model(model)].values() if math.isfinite(v)]
        return float(np.mean(vals)) if vals else float("nan")

    def best_today(self) -> str:
        """The model with the best mean metric at ``current_n``."""
        means = {m: self.observed_today(m) for m in self.models}
        finite = {m: v for m, v in means.items() if math.isfinite(v)}
        if not finite:
            return self.models[0]
        return (max if self.higher_is_better else min)(finite, key=lambda m: finite[m])

    def draws(self, model: str, n: Any, n_draws: int = 2000) -> np.ndarray:
        """Joint curve draws of ``model`` at sizes ``n``: shape ``(n_draws, len(n))``.

        Beyond ``current_n``, a model with a learned forecast (``forecasts``) draws
        today's observed mean plus the forecast gain (its errors at 2x-16x correlated as
        they were on held-out data sets: a draw is one plausible continuation); at and
        below ``current_n``, and without a forecast, the fitted curve's draws. The draws
        are keyed by (root seed, model), so they are the same on every call.
        """
        fit = self.fits[self.check_model(model)]
        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        rs = int(seed_sequence(self.random_state, model, "draws").generate_state(1)[0])
        forecast = self.forecasts.get(model)
        ahead = (n_arr > self.current_n) if forecast is not None else \
            np.zeros(len(n_arr), dtype=bool)
        out = np.empty((int(n_draws), len(n_arr)))
        if (~ahead).any():
            out[:, ~ahead] = fit.sample(n_arr[~ahead], size=int(n_draws), random_state=rs)
        if ahead.any():
            assert forecast is not None
            out[:, ahead] = self.observed_today(model) + self.sign * forecast.sample(
                n_arr[ahead], int(n_draws), seed_sequence(self.random_state, model, "gain"))
        if self.interval_scale is not None:
            beyond = n_arr > self.current_n
            if beyond.any():
                med = np.nanmedian(out[:, beyond], axis=0)
                out[:, beyond] = med + self.interval_scale * (out[:, beyond] - med)
        lo, hi = self.bounds.get(model, (-np.inf, np.inf))
        return np.clip(np.nan_to_num(out, nan=self.observed_today(model)), lo, hi)

    def gain_draws(self, model: str, deltas: Any, n_draws: int = 2000) -> np.ndarray:
        """Improvement of ``model`` over its observed score today when ``deltas`` labels
        are added: ``sign * (score(current_n + delta) - observed_today)``, shape
        ``(n_draws, len(deltas))``; consistent across ``deltas`` (one curve per draw);
        exactly 0 where ``delta`` is 0.

        The gain is measured from today's *observed* mean, as a re-measurement with the
        study's own repeats would measure it, not from each draw's own level at today's
        size: on held-out LCDB curves the in-sample residual at today's size hardly
        predicts the error later (rank correlation 0.07–0.17), so subtracting a draw's
        level today cancelled uncertainty that is really there (docs/decisions.md).
        """
        d = np.asarray(deltas, dtype=float)
        n = self.current_n + np.maximum(d, 0.0)
        dr = self.draws(model, n, n_draws)
        gain = self.sign * (dr - self.observed_today(model))
        gain[:, d <= 0] = 0.0
        return gain

    def clip(self, model: str, values: Any) -> np.ndarray:
        """Clip metric values of ``model`` into its plausible range (see ``bounds``)."""
        lo, hi = self.bounds.get(model, (-np.inf, np.inf))
        return np.clip(np.asarray(values, dtype=float), lo, hi)

    def paired_today(self, a: str, b: str) -> np.ndarray:
        """Per-repeat differences ``sign * (a - b)`` at ``current_n`` (shared repeats)."""
        ta, tb = self.today[self.check_model(a)], self.today[self.check_model(b)]
        common = sorted(set(ta) & set(tb))
        d = np.array([ta[r] - tb[r] for r in common], dtype=float)
        return self.sign * d[np.isfinite(d)]

    def paired_spread(self, a: str, b: str) -> tuple[float, int]:
        """The variance of one repeat's paired difference ``a - b`` today, and its
        degrees of freedom: from today's repeats, pooled with the sizes just below
        (:attr:`below`) when today's alone have fewer than :data:`MIN_PAIRED_DF`.

        Two repeats give a variance of one degree of freedom, and a Student-t of one
        degree of freedom (a Cauchy) has no mean: a plan's expected net value then
        followed a few extreme draws (a study of 2 repeats recommended switching to a
        model 0.002 behind today, "expected" 0.04 ahead). The sizes below hold the same
        pair on the same kind of subsets, a little noisier (smaller): pooling them is on
        the cautious side. ``(nan, 0)`` with fewer than two paired repeats today.

        Example:
            >>> import pandas as pd
            >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
            ...          "value": top - 1.0 / n + 0.01 * ((r * 7 + n + len(m)) % 3)}
            ...         for m, top in (("a", 0.9), ("b", 0.8)) for n in (100, 200, 400)
            ...         for r in range(2)]
            >>> c = fit_study_curves(pd.DataFrame(rows), metric="accuracy")
            >>> var, df = c.paired_spread("a", "b")
            >>> df  # one of today's, two of the sizes below
            3
        """
        d = self.paired_today(a, b)
        if len(d) < 2:
            return math.nan, 0
        total, df = float(d.var(ddof=1)) * (len(d) - 1), len(d) - 1
        if df < MIN_PAIRED_DF:
            ba, bb = self.below.get(a, {}), self.below.get(b, {})
            for n in sorted(set(ba) & set(bb)):
                common = sorted(set(ba[n]) & set(bb[n]))
                dn = np.array([ba[n][r] - bb[n][r] for r in common], dtype=float)
                dn = dn[np.isfinite(dn)]
                if len(dn) >= 2:
                    total += float(dn.var(ddof=1)) * (len(dn) - 1)
                    df += len(dn) - 1
        return total / df, df

    def paired_today_draws(self, a: str, b: str, n_draws: int = 2000) -> np.ndarray:
        """Draws of today's difference ``sign * (a - b)`` from the paired repeats.

        Mean difference plus its standard error times a Student-t variate (the spread
        and degrees of freedom of :meth:`paired_spread`: today's repeats, with the sizes
        just below where today's are too few). With one repeat the curves' own draws at
        ``current_n`` are used instead (unpaired, wider).
        """
        if a == b:
            return np.zeros(int(n_draws))
        d = self.paired_today(a, b)
        rng = np.random.default_rng(seed_sequence(self.random_state, a, b, "paired"))
        holdout_noise = np.zeros(int(n_draws))
        if a in self.test_boot and b in self.test_boot:
            bd = self.sign * (self.test_boot[a] - self.test_boot[b])
            bd = bd[np.isfinite(bd)]
            if len(bd):
                holdout_noise = rng.choice(bd - bd.mean(), size=int(n_draws))
        if len(d) >= 2:
            var, df = self.paired_spread(a, b)
            se = math.sqrt(var / len(d))
            return (float(d.mean()) + se * rng.standard_t(df, size=int(n_draws))
                    + holdout_noise)
        if len(d) == 1 and a in self.test_boot and b in self.test_boot:
            return float(d[0]) + holdout_noise
        da = self.draws(a, [self.current_n], n_draws)[:, 0]
        db = self.draws(b, [self.current_n], n_draws)[:, 0]
        return self.sign * (da - rng.permutation(db))

    def training_seconds(self, model: str, n: Any) -> np.ndarray:
        """Predicted training seconds of ``model`` at sizes ``n`` (NaN if not measured)."""
        fit = self.cost_fits.get(self.check_model(model))
        n_arr = np.atleast_1d(np.asarray(n, dtype=float))
        if fit is None:
            return np.full(len(n_arr), np.nan)
        return np.maximum(fit.predict(n_arr), 0.0)


def _matrix(sub: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``column`` laid out as a (size × repeat) matrix: the mean of the rows of each cell,
    NaN where a cell has no finite value; sizes ascending (a pivot table, in numpy: this
    runs for every curve of every analysis)."""
    import pandas as pd

    sizes, si = np.unique(sub["n_train"].to_numpy(dtype=float), return_inverse=True)
    _, ri = np.unique(sub["repeat"].to_numpy(), return_inverse=True)
    values = pd.to_numeric(sub[column], errors="coerce").to_numpy(dtype=float)
    total = np.zeros((len(sizes), int(ri.max()) + 1 if len(ri) else 0))
    count = np.zeros_like(total)
    ok = np.isfinite(values)
    np.add.at(total, (si[ok], ri[ok]), values[ok])
    np.add.at(count, (si[ok], ri[ok]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sizes, np.where(count > 0, total / np.maximum(count, 1.0), np.nan)


def _train_matrix(sub: pd.DataFrame, sizes: np.ndarray) -> np.ndarray | None:
    """Training scores laid out like :func:`_matrix`'s ``value`` matrix (rows ``sizes``),
    or ``None`` when the trials recorded none (older ledgers, frames without the column)."""
    if "train_value" not in sub or not sub["train_value"].notna().any():
        return None
    got, matrix = _matrix(sub, "train_value")
    assert np.array_equal(got, sizes)  # the same rows as the value matrix
    return matrix


#: Columns a trials frame needs (``Study.trials()`` has them and more).
REQUIRED_TRIAL_COLUMNS: tuple[str, ...] = ("model", "n_train", "repeat", "metric", "value")


@runtime_checkable
class TestPredictions(Protocol):
    """The stored test-set predictions of a study's trials (what the test-set bootstrap
    of today's differences needs): the test labels and the arrays of a trial by its
    ``predictions_digest``."""

    y_test: np.ndarray
    n_classes: int | None

    def load(self, digest: str) -> Mapping[str, np.ndarray] | None:
        """The ``pred`` (and ``proba``) arrays stored under ``digest``, or None."""


def study_trials(
    trials: pd.DataFrame | None,
    *,
    metric: str | None = None,
    purpose: str = "fit",
) -> tuple[pd.DataFrame, str]:
    """The finished trials of one metric from a tidy trials frame.

    Args:
        trials: a frame as ``Study.trials()`` returns (or ``dataroi trials`` writes).
        metric: the metric (default: the frame's only one).
        purpose: what the trials are for, in the error messages ("fit", "backtest").

    Returns:
        ``(trials of the metric with a finite value, the metric)``.

    Raises:
        UsageError: no finished trial, a frame without the columns of
            :data:`REQUIRED_TRIAL_COLUMNS` or with non-numeric sizes or values, or an
            unknown or unnamed metric.
        DataError: every trial of the metric failed.
    """
    frame = trials
    if frame is None or len(frame) == 0:
        raise UsageError(f"no finished trials to {purpose}; run the study first "
                         "(`dataroi run SPEC`)")
    missing = [c for c in REQUIRED_TRIAL_COLUMNS if c not in frame.columns]
    if missing:
        need = ", ".join(REQUIRED_TRIAL_COLUMNS)
        raise UsageError(f"the trials frame lacks the column(s) {', '.join(missing)} (a tidy "
                         f"frame as Study.trials() returns has {need})")
    for col in ("n_train", "value"):
        try:
            frame[col].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise UsageError(f"the trials frame's column '{col}' must hold numbers, got "
                             f"{frame[col].dtype} values such as {frame[col].iloc[0]!r}"
                             ) from None
    metrics_present = list(dict.fromkeys(frame["metric"]))
    if metric is None:
        if len(metrics_present) != 1:
            raise UsageError(f"name the metric: the trials hold {', '.join(metrics_present)}")
        metric = metrics_present[0]
    if metric not in metrics_present:
        raise UsageError(f"metric '{metric}' is not in the trials "
                         f"({', '.join(metrics_present)})")
    sub = frame[(frame["metric"] == metric)]
    sub = sub[np.isfinite(sub["value"].to_numpy(dtype=float))]
    if sub.empty:
        raise DataError(f"every trial failed for metric '{metric}': nothing to {purpose}")
    return sub, metric


def fit_study_curves(
    trials: pd.DataFrame,
    *,
    metric: str | None = None,
    higher_is_better: bool | None = None,
    current_n: int | None = None,
    random_state: int = 0,
    families: str | tuple[str, ...] = "auto",
    models: Sequence[str] | None = None,
    use_train_scores: bool = True,
    cache: FitCache | None = None,
    test_predictions: TestPredictions | None = None,
    gain_model: GainModel | str | None = "auto",
) -> StudyCurves:
    """Fit one learning curve (and one training-time curve) per model.

    Args:
        trials: a tidy trials frame (``Study.trials()``, ``dataroi trials``, or
            :func:`dataroi.analysis.trials_from_learning_curve`).
        metric: the metric (required for a frame holding several metrics).
        higher_is_better: the metric's direction (default: from the metric registry).
        current_n: today's number of labels (default: the largest size every model ran).
        random_state: root seed of the fits and of every draw.
        families: curve families (see :func:`dataroi.curves.fit_curve`).
        models: the models (or stress arms, e.g. ``"lr[noise=0.1]"``) to fit, in this
            order (default: every model of the frame, in order of appearance); a model
            asked for without a finished trial is left out with a note.
        use_train_scores: pass the trials' training scores (``train_value``) to
            :func:`~dataroi.curves.fit_curve`, so the training-score gate weighs the
            curve families. The stress analyses turn it off: under label noise, shift or
            active selection the training score measures the fit to altered training
            rows, which the gate never saw, and the arms of one comparison must share a
            gate. ``train_today`` is filled either way.
        cache: a :class:`~dataroi.value.FitCache` of earlier fits (none by default).
        test_predictions: the stored test-set predictions; with them today's paired
            differences include the test set's sampling noise (``test_boot``).
        gain_model: how to extrapolate beyond ``current_n``: ``"auto"`` (the learned
            gain forecast shipped with dataroi, :func:`~dataroi.curves.load_gain_model`,
            where it applies: a metric bounded in [0, 1] with higher better), the path
            of another model file or a :class:`~dataroi.curves.GainModel`, or ``None``
            (the fitted curve families only).

    Returns:
        A :class:`StudyCurves`.

    Raises:
        UsageError: no finished trial, or an unknown metric.
    """
    from dataroi.curves import fit_cost_curve, fit_curve
    from dataroi.metrics import get_metric
    from dataroi.spec import canonical_hash

    sub, metric = study_trials(trials, metric=metric, purpose="fit")
    if higher_is_better is None:
        try:
            higher_is_better = get_metric(metric).higher_is_better
        except KeyError:
            higher_is_better = True
    try:  # the learned forecast speaks a [0, 1] metric's units: not MCC's [-1, 1], not R²
        if not get_metric(metric).unit_interval:
            gain_model = None
    except KeyError:  # a metric of a plain table: _forecasts judges it by its values
        pass
    present = set(sub["model"])
    asked = list(models) if models is not None else list(dict.fromkeys(sub["model"]))
    models = [m for m in asked if m in present]
    notes: list[str] = []
    missing = [m for m in asked if m not in present]
    if missing:
        notes.append(f"no finished trial for {', '.join(missing)}: left out")
    if not models:
        raise UsageError(f"no finished trial of {', '.join(asked)} for metric '{metric}'")
    sub = sub[sub["model"].isin(models)]
    common = set.intersection(*(set(sub.loc[sub["model"] == m, "n_train"]) for m in models))
    if current_n is None:
        if not common:
            raise DataError("the models share no training size with a finished trial")
        current_n = int(max(common))
    cache = cache or FitCache(None)
    fits: dict[str, Any] = {}
    cost_fits: dict[str, Any] = {}
    today: dict[str, dict[int, float]] = {}
    below: dict[str, dict[int, dict[int, float]]] = {}
    near = [n for n in sorted(common, reverse=True)
            if current_n / 16 <= n < current_n][:_BELOW_SIZES]
    bounds: dict[str, tuple[float, float]] = {}
    train_today: dict[str, float] = {}
    serving: dict[str, Serving] = {}
    for m in models:
        ms = sub[sub["model"] == m]
        fits[m] = _fit_one(ms, m, higher_is_better=bool(higher_is_better), families=families,
                           random_state=random_state, use_train_scores=use_train_scores,
                           cache=cache, fit_curve=fit_curve)
        cost_fits[m] = _cost_fit(ms, m, random_state, cache, fit_cost_curve)
        serve = _serving(ms)
        if serve is not None:
            serving[m] = serve
        bounds[m] = fits[m].plausible_range()
        at = ms[ms["n_train"] == current_n]
        today[m] = {int(r): float(v) for r, v in zip(at["repeat"], at["value"], strict=True)}
        below[m] = {int(n): {int(r): float(v) for r, v in zip(
            ms.loc[ms["n_train"] == n, "repeat"], ms.loc[ms["n_train"] == n, "value"],
            strict=True)} for n in near}
        if "train_value" in at and at["train_value"].notna().any():
            train_today[m] = float(at["train_value"].astype(float).mean())
        if not today[m]:
            today[m] = {0: float(fits[m].predict(current_n)[0])}
            notes.append(f"{m} has no trial at n={current_n}: today's score is its curve's "
                         "prediction")
    forecasts, gain_id = _forecasts(sub, models, fits, current_n, gain_model,
                                    bool(higher_is_better), cache)
    test_boot: dict[str, np.ndarray] = {}
    if test_predictions is not None and "predictions_digest" in sub:
        try:
            test_boot = _test_bootstrap(test_predictions, sub[sub["n_train"] == current_n],
                                        metric, models, random_state)
        except Exception as exc:  # missing artifacts or an unscorable metric
            notes.append(f"test-set bootstrap skipped ({type(exc).__name__}: {exc}); "
                         "today's differences carry only the repeats' noise")
    fewest = min(len(today[m]) for m in models)
    if forecasts and fewest <= FEW_REPEATS:
        notes.append(f"today's size has {fewest} repeat{'s' if fewest > 1 else ''}: the "
                     f"curves' intervals, learned on studies of {CALIBRATED_REPEATS}, cover "
                     "less than they state, and so does the P(net > 0) of an option taken "
                     "at once (docs/decisions.md, 'A study of 2 repeats'); more repeats at "
                     "today's size make them honest")
    cols = [c for c in ("model", "n_train", "repeat", "value") if c in sub]
    rows = sorted(map(tuple, sub[cols].astype(str).to_numpy().tolist()))
    input_hash = canonical_hash({"metric": metric, "rows": rows, "current_n": current_n,
                                 "random_state": random_state, "gain_model": gain_id})
    return StudyCurves(metric=metric, higher_is_better=bool(higher_is_better),
                       current_n=int(current_n), models=tuple(models), fits=fits,
                       cost_fits=cost_fits, today=today, random_state=int(random_state),
                       input_hash=input_hash, bounds=bounds, test_boot=test_boot,
                       notes=tuple(notes), train_today=train_today, forecasts=forecasts,
                       gain_model=gain_id, serving=serving, below=below)


def _forecasts(sub: pd.DataFrame, models: Sequence[str], fits: Mapping[str, Any],
               current_n: int, gain_model: Any, higher_is_better: bool,
               cache: FitCache | None = None) -> tuple[dict[str, Any], str]:
    """The learned gain forecast of every model (``({}, "")`` where it does not apply:
    a metric not bounded in [0, 1] with higher better, or a model with fewer than two
    sizes up to ``current_n``). The parametric features, the slow part, come from
    ``cache`` when the same curve was forecast before."""
    from dataroi.curves import (
        GainModel,
        context_of,
        curve_state,
        feature_matrix,
        load_gain_model,
        parametric_gains,
    )

    if gain_model is None or not higher_is_better:
        return {}, ""
    if any(fits[m].best_value != 1.0 for m in models):
        return {}, ""
    model = gain_model if isinstance(gain_model, GainModel) else \
        load_gain_model(None if gain_model == "auto" else str(gain_model))
    if model is None:
        return {}, ""
    states = {}
    for m in models:
        ms = sub[sub["model"] == m]
        sizes, scores = _matrix(ms, "value")
        keep = sizes <= current_n
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            means = np.nanmean(scores, axis=1)
            counts = np.isfinite(scores).sum(axis=1)
            sds = np.nanstd(scores, axis=1, ddof=1)
        if keep.sum() < 2 or sizes[keep][-1] != current_n:
            continue
        if np.any((means[keep] < 0) | (means[keep] > 1)):
            return {}, ""
        j = int(np.flatnonzero(keep)[-1])
        se = float(sds[j] / math.sqrt(counts[j])) if counts[j] >= 2 else math.nan
        train = _train_matrix(ms, sizes)
        train_means = None
        if train is not None and np.isfinite(train[keep]).any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a size without one
                train_means = np.nanmean(train[keep], axis=1)
        states[m] = curve_state(sizes[keep], means[keep], se=se, train_sizes=sizes[keep],
                                train_means=train_means)
    ctx = context_of(states)
    cache = cache or FitCache(None)
    out = {}
    for m, st in states.items():
        key = cache.key_of("gain-features", st.sizes, st.means)
        par = cache.get_arrays(key)
        if par is None:
            par = parametric_gains(st)
            cache.put_arrays(key, par)
        X = feature_matrix(st, ctx, par=par)
        key = cache.key_of(f"gain-forecast {model.digest}", X)
        known = cache.get_arrays(key)
        if known is None or set(known) != {"mean", "scale"}:
            mean = model.predict_matrix(X)
            known = {"mean": mean, "scale": model.scale(X, mean)}
            cache.put_arrays(key, known)
        out[m] = model.forecast_from(st, known["mean"], known["scale"])
    return out, model.describe()


def _fit_one(ms: pd.DataFrame, model: str, *, higher_is_better: bool, families: Any,
             random_state: int, use_train_scores: bool, cache: FitCache,
             fit_curve: Any) -> Any:
    """One model's learning curve, from the cache when its inputs were fitted before."""
    sizes, scores = _matrix(ms, "value")
    train = _train_matrix(ms, sizes) if use_train_scores else None
    seed = seed_sequence(random_state, model, "fit")
    key = (cache.key("curve", model, sizes, scores, higher_is_better, families, seed)
           if train is None else
           cache.key("curve+train", model, sizes, np.hstack([scores, train]),
                     higher_is_better, families, seed))
    fit = cache.get(key)
    if fit is None:
        fit = fit_curve(sizes, scores, higher_is_better=higher_is_better, families=families,
                        random_state=seed, train_scores=train)
        cache.put(key, fit)
    return fit


def _cost_fit(ms: pd.DataFrame, model: str, random_state: int, cache: FitCache,
              fit_cost_curve: Any) -> Any:
    """Training seconds against size (None when fewer than two sizes were timed).

    A point fit: :meth:`StudyCurves.training_seconds`, the only reader, asks for its
    prediction, which the bootstrap refits do not move; the 64 refits
    :func:`~dataroi.curves.fit_cost_curve` makes by default cost 30 times the fit itself
    and were a third of an adaptive run's look (``benchmarks/bench_adaptive.py``).
    """
    if "fit_seconds" not in ms or ms["fit_seconds"].notna().sum() < 2:
        return None
    cs, secs = _matrix(ms.assign(fit_seconds=ms["fit_seconds"].astype(float)), "fit_seconds")
    if not np.isfinite(secs).any() or len(cs) < 2:
        return None
    cost_seed = int(seed_sequence(random_state, model, "cost").generate_state(1)[0])
    key = cache.key("cost-point", model, cs, secs, None, None, cost_seed)
    fit = cache.get(key)
    if fit is None:
        try:
            fit = fit_cost_curve(cs, np.where(secs > 0, secs, np.nan), random_state=cost_seed,
                                 n_bootstrap=0)
        except (UsageError, DataError):
            return None
        cache.put(key, fit)
    return fit


def _test_bootstrap(preds: TestPredictions, at: pd.DataFrame, metric: str,
                    models: Sequence[str], random_state: int, n_boot: int = 100
                    ) -> dict[str, np.ndarray]:
    """The metric of each model on shared bootstrap resamples of the test rows.

    For each resample (the same rows for every model and repeat), the metric of every
    repeat's stored predictions is computed and averaged over repeats. Accuracy, log
    loss and the Brier score are computed for all resamples at once (numpy); other
    metrics one resample at a time. A classification study's test rows are resampled
    within each class (:func:`_resample_rows`).
    """
    from dataroi.metrics import get_metric

    y_test = np.asarray(preds.y_test)
    met = get_metric(metric)
    rows = _resample_rows(y_test, n_boot, random_state,
                          by_class=preds.n_classes is not None)
    out: dict[str, np.ndarray] = {}
    for m in models:
        digests = [d for d in at.loc[at["model"] == m, "predictions_digest"] if d]
        per_rep = []
        for dg in dict.fromkeys(digests):
            arrays = preds.load(str(dg))
            if arrays is None:
                raise FileNotFoundError(f"no stored predictions {str(dg)[:12]}")
            per_rep.append(_resampled_scores(met, y_test, arrays, rows, preds.n_classes))
        if per_rep:
            out[m] = np.nanmean(np.asarray(per_rep, dtype=float), axis=0)
    return out


def _resample_rows(y: np.ndarray, n_boot: int, random_state: int, *, by_class: bool
                   ) -> np.ndarray:
    """``n_boot`` bootstrap resamples of the test rows' indices, shape ``(n_boot, n)``;
    with ``by_class``, each class's rows are resampled among themselves.

    A classification study's held-out test set is drawn stratified by class by default,
    so its class counts are fixed by design (with a test file, a group or a time split
    they are not, and the intervals are then conditional on the test set's class counts,
    as a stratified bootstrap is); a plain bootstrap would vary them, and a resample that
    misses a rare class changes what a macro metric averages over (balanced accuracy's
    mean recall over 6 classes instead of 7, with a scikit-learn warning per resample).

    Example:
        >>> y = np.array([0] * 8 + [1] * 2)
        >>> rows = _resample_rows(y, 50, 0, by_class=True)
        >>> rows.shape, bool(np.all((y[rows] == 1).sum(axis=1) == 2))
        ((50, 10), True)
        >>> bool(np.all((y[_resample_rows(y, 50, 0, by_class=False)] == 1).sum(axis=1) == 2))
        False
    """
    n = len(y)
    rng = np.random.default_rng(seed_sequence(random_state, "test-bootstrap", n))
    if not by_class:
        return rng.integers(0, n, size=(n_boot, n))
    rows = np.empty((n_boot, n), dtype=np.int64)
    start = 0
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rows[:, start:start + len(idx)] = idx[rng.integers(0, len(idx),
                                                            size=(n_boot, len(idx)))]
        start += len(idx)
    return rows


def _resampled_scores(met: Any, y: np.ndarray, arrays: Mapping[str, np.ndarray],
                      rows: np.ndarray, n_classes: int | None) -> np.ndarray:
    """The metric on each resample ``rows[i]`` of the test rows."""
    pred, proba = arrays.get("pred"), arrays.get("proba")
    if met.name == "accuracy" and pred is not None:
        return (np.asarray(pred)[rows] == y[rows]).mean(axis=1)
    if met.name in ("log_loss", "brier") and proba is not None and n_classes:
        p = np.asarray(proba, dtype=float)
        yi = np.asarray(y, dtype=int)
        if met.name == "log_loss":
            p = np.clip(p, 1e-15, 1.0)
            per_row = -np.log(p[np.arange(len(yi)), yi] / p.sum(axis=1))
        elif n_classes == 2:
            per_row = (p[:, 1] - (yi == 1)) ** 2
        else:
            onehot = np.eye(p.shape[1])[yi]
            per_row = np.sum((p - onehot) ** 2, axis=1)
        return per_row[rows].mean(axis=1)
    return np.array([
        met.score(y[r], pred=None if pred is None else pred[r],
                  proba=None if proba is None else proba[r], n_classes=n_classes)
        for r in rows], dtype=float)
