"""Learned stacking of curve families and a learned scale of the extrapolation error.

Which family extrapolates a given curve best varies a lot from curve to curve (on LCDB the
best family per curve has a third of the error of the best single family). A small *gate*
learned on many real curves turns features of the observed prefix into family weights::

    logit_k = b_k + a_k · standardise(shared) + d_k · own_k,     w = softmax(logit)

``shared`` describes the curve (level, log-log slopes at the start and the end, noise,
number and span of sizes, how much the families disagree at 4×, the best prefix-extrapolation
error); ``own_k`` describes family ``k`` (its predicted relative gain at 4× and 16×, its
prefix-extrapolation error and in-sample error relative to the best family). The weights
are constant in ``n``, so the ensemble is one coherent curve.

The *scale model* predicts ``log |truth - prediction|`` from the same curve features plus
the extrapolation ratio and the families' spread at ``n``; the calibration table then holds
quantiles of the residual divided by this scale (see :mod:`dataroi.curves._calibration`).
All inputs are divided by the curve's own loss unit (the largest mean loss), so the models
are free of the metric's scale.

Both models are learned by ``benchmarks/learn_curve_model.py`` on LCDB 1.0 curves of the
training half of the OpenML data sets only and shipped as small JSON files
(``stacker.json`` and the ``scale_model`` entry of ``calibration.json``), derived from
LCDB 1.0 (Mohr et al., 2022), MIT License, Copyright (c) 2021 Felix Mohr.

Example:
    >>> import numpy as np
    >>> feats = shared_features(np.array([16., 32., 64., 128.]),
    ...                         np.array([0.4, 0.3, 0.25, 0.22]), np.array([.01] * 4),
    ...                         spread4=0.01, perr_min=None)
    >>> feats.shape
    (10,)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = [
    "BEHAVIOUR_NAMES",
    "SCALE_NAMES_BEHAVIOUR",
    "SHARED_NAMES",
    "TRAIN_OWN_NAMES",
    "TRAIN_SHARED_NAMES",
    "Stacker",
    "behaviour_features",
    "load_stacker",
    "own_features",
    "scale_features",
    "shared_features",
    "train_features",
]

#: Names of the shared (per-curve) gate features, in order.
SHARED_NAMES: tuple[str, ...] = (
    "log_level", "slope_last", "slope_first", "log_rel_noise", "n_sizes", "log2_span",
    "log_spread4", "rel_last_drop", "log_perr_min", "has_perr",
)
#: Names of the per-family gate features, in order.
OWN_NAMES: tuple[str, ...] = ("rel_gain4", "rel_gain16", "rel_log_perr", "rel_log_rmse")
#: Shared features derived from the per-family ones (appended by :func:`expand`).
DERIVED_SHARED: tuple[str, ...] = ("median_gain4", "median_gain16", "iqr_gain4")
#: Per-family features derived by :func:`expand`.
DERIVED_OWN: tuple[str, ...] = (
    "gain4_vs_median", "abs_gain4_vs_median", "gain16_vs_median", "rel_log_perr_sq",
)
#: Shared features of the training-score gate (appended after the derived ones).
TRAIN_SHARED_NAMES: tuple[str, ...] = (
    "train_level", "rel_train_gap", "train_change_last3", "log_train_gap",
)
#: Per-family features of the training-score gate (appended after the derived ones).
TRAIN_OWN_NAMES: tuple[str, ...] = ("gain16_vs_gap", "gain16_over_gap")
#: Names of the scale-model features, in order.
SCALE_NAMES: tuple[str, ...] = (
    "one", "log2_ratio", "log2_ratio_sq", "log_spread", "log_disagree", "log_rel_gain",
    "log2_ratio_x_n_sizes", "log2_ratio_x_log2_span", "log2_ratio_x_log_level",
    *SHARED_NAMES,
)
#: How the observed curve behaves (see :func:`behaviour_features`), in order.
BEHAVIOUR_NAMES: tuple[str, ...] = ("log_misfit", "non_monotone")
#: Scale-model features of the tables that also read the curve's behaviour: the
#: features of :data:`SCALE_NAMES`, then :data:`BEHAVIOUR_NAMES` and their products with
#: the log2 ratio. A table's ``scale_coef`` length says which set it was learned on.
SCALE_NAMES_BEHAVIOUR: tuple[str, ...] = (
    *SCALE_NAMES, *BEHAVIOUR_NAMES, *(f"log2_ratio_x_{b}" for b in BEHAVIOUR_NAMES),
)

#: Shipped gate files by kind (see :func:`load_stacker`).
STACKER_FILES: dict[str, str] = {"test": "stacker.json", "train": "stacker_train.json"}

_E = 0.01  # floor of relative levels inside logs
_T = 1e-4  # floor of relative errors inside logs


def loss_unit(mean_loss: np.ndarray) -> float:
    """The curve's own loss unit: its largest mean loss (strictly positive)."""
    m = float(np.max(np.abs(mean_loss))) if len(mean_loss) else 1.0
    return m if m > 1e-12 else 1.0


def _slope(logn: np.ndarray, logy: np.ndarray) -> float:
    if len(logn) < 2 or np.ptp(logn) <= 0:
        return 0.0
    return float(np.clip(np.polyfit(logn, logy, 1)[0], -3.0, 1.0))


def shared_features(
    sizes: np.ndarray,
    mean_loss: np.ndarray,
    se_loss: np.ndarray,
    *,
    spread4: float,
    perr_min: float | None,
) -> np.ndarray:
    """Per-curve gate features (see :data:`SHARED_NAMES`), free of the metric's scale.

    Args:
        sizes: Distinct sizes, increasing.
        mean_loss: Mean loss at each size.
        se_loss: Standard error of the mean loss at each size.
        spread4: Standard deviation of the families' predictions at 4× the largest size.
        perr_min: Smallest prefix-extrapolation error over the families (``None``: none).

    Returns:
        Array of length ``len(SHARED_NAMES)``.
    """
    unit = loss_unit(mean_loss)
    y = np.asarray(mean_loss, float) / unit
    big_l = float(y[-1])
    logn = np.log(np.asarray(sizes, float))
    logy = np.log(np.maximum(y, 0.0) + _E)
    k = min(3, len(y))
    has = perr_min is not None and math.isfinite(perr_min)
    drop = (y[-2] - y[-1]) / (big_l + _E) if len(y) >= 2 else 0.0
    return np.array([
        math.log(max(big_l, 0.0) + _E),
        _slope(logn[-k:], logy[-k:]),
        _slope(logn[:k], logy[:k]),
        math.log(max(float(se_loss[-1]), 0.0) / unit + _T) - math.log(max(big_l, 0.0) + _E),
        float(np.clip(len(y), 2, 16)) / 10.0,
        float(np.clip(math.log2(sizes[-1] / sizes[0]), 0.0, 8.0)) / 5.0 if len(y) > 1 else 0.0,
        math.log(max(spread4, 0.0) / unit + _T),
        float(np.clip(drop, -1.0, 1.0)),
        math.log(float(perr_min) / unit + _T) if has else 0.0,
        1.0 if has else 0.0,
    ])


def own_features(
    mean_loss: np.ndarray,
    pred4: np.ndarray,
    pred16: np.ndarray,
    perr: np.ndarray,
    rmse: np.ndarray,
) -> np.ndarray:
    """Per-family gate features (see :data:`OWN_NAMES`), shape ``(n_families, 4)``.

    Args:
        mean_loss: Mean loss at each size.
        pred4: Each family's predicted loss at 4× the largest size.
        pred16: The same at 16×.
        perr: Each family's prefix-extrapolation error (NaN where not available).
        rmse: Each family's in-sample root mean squared error.
    """
    unit = loss_unit(mean_loss)
    big_l = float(mean_loss[-1]) / unit
    den = max(big_l, 0.0) + _E
    g4 = np.clip((big_l - np.asarray(pred4, float) / unit) / den, -1.0, 1.0)
    g16 = np.clip((big_l - np.asarray(pred16, float) / unit) / den, -1.0, 1.0)
    pe = np.log(np.asarray(perr, float) / unit + _T)
    if np.isfinite(pe).any():
        rel_pe = np.clip(np.nan_to_num(pe - np.nanmin(pe), nan=6.0), 0.0, 6.0)
    else:
        rel_pe = np.zeros(len(pe))
    lr = np.log(np.nan_to_num(np.asarray(rmse, float), nan=1.0) / unit + _T)
    rel_rm = np.clip(lr - np.min(lr), 0.0, 6.0)
    return np.column_stack([np.nan_to_num(g4), np.nan_to_num(g16), rel_pe, rel_rm])


def train_features(
    mean_loss: np.ndarray, train_loss: np.ndarray, own: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Features of the training-score gate: how far the test loss is above the loss on
    the training rows (the classic train-test gap of a learning curve), and how each
    family's predicted gain compares with that gap.

    Args:
        mean_loss: Mean test loss at each size.
        train_loss: Mean training loss at the same sizes (NaN where not recorded); the
            largest size must be finite.
        own: Output of :func:`own_features` (its second column is the relative gain at 16×).

    Returns:
        ``(shared, own)``: arrays of length ``len(TRAIN_SHARED_NAMES)`` and shape
        ``(n_families, len(TRAIN_OWN_NAMES))``.

    Example:
        >>> val = np.array([0.40, 0.30, 0.25, 0.22])
        >>> sh, ow = train_features(val, np.array([0.05, 0.08, 0.10, 0.12]), np.zeros((3, 4)))
        >>> round(float(sh[1]), 3)  # (0.22 - 0.12) / 0.22
        0.455
        >>> ow.shape
        (3, 2)
    """
    y = np.asarray(mean_loss, float)
    t = np.asarray(train_loss, float)
    unit = loss_unit(y)
    val = float(y[-1])
    seen = t[np.isfinite(t)]
    tr = float(t[-1]) if np.isfinite(t[-1]) else val
    gap = float(np.clip((val - tr) / max(val, 1e-6), -1.0, 1.0))
    last3 = seen[-3:] if seen.size else np.array([tr])
    shared = np.array([
        tr / unit,
        gap,
        float(np.clip((last3[-1] - last3[0]) / (unit + 1e-6), -1.0, 1.0)),
        math.log(max(val - tr, 0.0) / unit + 1e-3),
    ])
    excess = np.asarray(own, float)[:, 1] - gap
    return shared, np.column_stack([np.clip(excess, -1.0, 1.0), np.maximum(excess, 0.0)])


def behaviour_features(mean_loss: np.ndarray, fitted_loss: np.ndarray) -> np.ndarray:
    """How well-behaved the observed curve is (see :data:`BEHAVIOUR_NAMES`).

    * ``log_misfit``: log of the ensemble's root mean squared in-sample misfit relative
      to the curve's observed drop (from the smallest to the largest size, at least 1 %
      of the loss unit), clipped to [log 0.001, log 10];
    * ``non_monotone``: the rises of the mean loss from one size to the next, as a share
      of rises plus the observed drop (0: the mean loss never rose; 1: it only rose).

    On held-out LCDB curves cut to the shape of a study, the calibration learned with
    these features gives 7 % narrower intervals than the one learned without them, for
    about one point of coverage (90 % intervals: 88.0 against 88.9 %); they do not close
    the gap between smooth and jagged learners (``docs/curves.md``, the ablation).

    Args:
        mean_loss: Mean loss at each observed size, increasing sizes.
        fitted_loss: The ensemble's prediction at the same sizes.

    Example:
        >>> b = behaviour_features(np.array([0.4, 0.3, 0.32, 0.2]),
        ...                        np.array([0.39, 0.31, 0.29, 0.21]))
        >>> round(float(b[1]), 3)  # a rise of 0.02 against a drop of 0.2
        0.091
    """
    y = np.asarray(mean_loss, float)
    f = np.asarray(fitted_loss, float)
    unit = loss_unit(y)
    if len(y) < 2:
        return np.array([math.log(0.001), 0.0])
    drop = max(float(y[0] - y[-1]), 0.0)
    rises = float(np.maximum(np.diff(y), 0.0).sum())
    rms = float(np.sqrt(np.mean((f - y) ** 2)))
    misfit = rms / max(drop, 0.01 * unit)
    return np.array([
        math.log(float(np.clip(misfit, 1e-3, 10.0))),
        rises / (rises + drop) if rises + drop > 0 else 0.0,
    ])


def scale_features(
    shared: np.ndarray,
    ratio: np.ndarray,
    *,
    spread: np.ndarray,
    disagree: np.ndarray,
    gain: np.ndarray,
    unit: float,
    behaviour: np.ndarray | None = None,
) -> np.ndarray:
    """Scale-model features at each extrapolation ratio, shape ``(len(ratio), n)``.

    Args:
        shared: Output of :func:`shared_features`.
        ratio: ``n / n_max`` (values below 1 are treated as 1).
        spread: Standard deviation of the families' predictions at each ``n``.
        disagree: Weighted mean absolute deviation of the families from the ensemble.
        gain: Predicted change of the ensemble from the largest size to ``n``.
        unit: The curve's loss unit (:func:`loss_unit`).
        behaviour: Output of :func:`behaviour_features`; given, the columns of
            :data:`SCALE_NAMES_BEHAVIOUR` are returned, else those of :data:`SCALE_NAMES`.
    """
    lr = np.clip(np.log2(np.maximum(np.asarray(ratio, float), 1.0)), 0.0, 4.0)
    n = len(lr)
    shared = np.asarray(shared, float)
    cols = [
        np.ones(n), lr, lr**2,
        np.log(np.abs(np.asarray(spread, float)) / unit + _T),
        np.log(np.abs(np.asarray(disagree, float)) / unit + _T),
        np.log(np.abs(np.asarray(gain, float)) / unit + _T),
        lr * shared[4], lr * shared[5], lr * shared[0],
        np.tile(np.asarray(shared, float), (n, 1)),
    ]
    if behaviour is not None:
        b = np.asarray(behaviour, float)
        cols += [np.tile(b, (n, 1)), lr[:, None] * b[None, :]]
    return np.column_stack(cols)


def expand(shared: np.ndarray, own: np.ndarray, available: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Append the derived features (how each family stands against the others).

    Args:
        shared: Output of :func:`shared_features`.
        own: Output of :func:`own_features`.
        available: Which families were fitted.

    Returns:
        ``(shared + DERIVED_SHARED, own + DERIVED_OWN)``.
    """
    own = np.asarray(own, float)
    av = np.asarray(available, bool)
    pool = own[av] if av.any() else own
    m4, m16 = float(np.median(pool[:, 0])), float(np.median(pool[:, 1]))
    q = np.quantile(pool[:, 0], [0.25, 0.75])
    d4 = own[:, 0] - m4
    sx = np.concatenate([np.asarray(shared, float), [m4, m16, float(q[1] - q[0])]])
    ox = np.column_stack([own, d4, np.abs(d4), own[:, 1] - m16, own[:, 2] ** 2 / 6.0])
    return sx, ox


@dataclass(frozen=True)
class Stacker:
    """The learned gate: family weights from prefix features.

    Attributes:
        families: Families the gate knows, in order.
        mean: Mean of each (expanded) shared feature on the training curves.
        std: Standard deviation of each shared feature on the training curves.
        bias: Intercept per family, shape ``(K,)``.
        coef_shared: Coefficients of the standardised shared features, ``(K, n_shared)``.
        coef_own: Coefficients of the family's own features, ``(K, n_own)``.
        meta: Provenance (source, licence notice, training data sets...).
        uses_train: Whether the gate also takes the training-score features
            (:func:`train_features`, appended to the shared and own features).
    """

    families: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    bias: np.ndarray
    coef_shared: np.ndarray
    coef_own: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    uses_train: bool = False

    def logits(self, shared: np.ndarray, own: np.ndarray) -> np.ndarray:
        """Gate logits for one curve from *expanded* features (see :func:`expand`)."""
        zs = np.clip((np.asarray(shared, float) - self.mean) / self.std, -5.0, 5.0)
        return self.bias + self.coef_shared @ zs + np.sum(self.coef_own * own, axis=1)

    def weights(self, shared: np.ndarray, own: np.ndarray, available: np.ndarray,
                train: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """Softmax weights over the available families (0 for the others).

        ``train`` is the output of :func:`train_features`; a gate that
        :attr:`uses_train` needs it, the others ignore it.

        Example:
            >>> st = load_stacker()
            >>> k = len(st.families)
            >>> w = st.weights(np.zeros(len(SHARED_NAMES)), np.zeros((k, len(OWN_NAMES))),
            ...                np.ones(k, bool))
            >>> bool(abs(w.sum() - 1) < 1e-9)
            True
        """
        sx, ox = expand(shared, own, available)
        if self.uses_train:
            if train is None:
                raise UsageError("this gate needs the training-score features (train=...)")
            sx = np.concatenate([sx, np.asarray(train[0], float)])
            ox = np.column_stack([ox, np.asarray(train[1], float)])
        z = self.logits(sx, ox)
        z = np.where(available, z, -np.inf)
        if not np.isfinite(z).any():
            return np.where(available, 1.0, 0.0) / max(int(np.sum(available)), 1)
        e = np.exp(z - np.max(z))
        return e / e.sum()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "kind": "dataroi.curves.Stacker",
            "families": list(self.families),
            "shared_features": [*SHARED_NAMES, *DERIVED_SHARED,
                                *(TRAIN_SHARED_NAMES if self.uses_train else ())],
            "own_features": [*OWN_NAMES, *DERIVED_OWN,
                             *(TRAIN_OWN_NAMES if self.uses_train else ())],
            "uses_train": self.uses_train,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "bias": self.bias.tolist(),
            "coef_shared": self.coef_shared.tolist(),
            "coef_own": self.coef_own.tolist(),
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stacker:
        """Inverse of :meth:`to_dict`."""
        return cls(
            tuple(d["families"]),
            np.asarray(d["mean"], float),
            np.asarray(d["std"], float),
            np.asarray(d["bias"], float),
            np.asarray(d["coef_shared"], float),
            np.asarray(d["coef_own"], float),
            dict(d.get("meta", {})),
            bool(d.get("uses_train", False)),
        )


@lru_cache(maxsize=2)
def load_stacker(kind: str = "test") -> Stacker | None:
    """A gate shipped with dataroi, or ``None`` if it is missing.

    Args:
        kind: ``"test"``: the gate on the test-score curve alone (``stacker.json``);
            ``"train"``: the gate that also reads the training scores
            (``stacker_train.json``).

    Example:
        >>> st = load_stacker()
        >>> st is None or "pow3" in st.families
        True
        >>> tg = load_stacker("train")
        >>> tg is None or tg.uses_train
        True
    """
    if kind not in STACKER_FILES:
        raise UsageError(f"unknown gate kind {kind!r}; expected one of {sorted(STACKER_FILES)}")
    try:
        text = resources.files("dataroi.curves").joinpath(STACKER_FILES[kind]).read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    return Stacker.from_dict(json.loads(text))
