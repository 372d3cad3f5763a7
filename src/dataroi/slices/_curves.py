"""Per-slice learning curves: one :class:`~dataroi.curves.CurveFit` per model and slice.

The x-axis of a slice's curve is the number of *its own* training rows
(``n_slice_train``, averaged over repeats at each ``n_train``), so the curve answers "what
happens if this slice gets more labels". The values are the per-repeat values moved by the
partial-pooling correction of their size (:func:`dataroi.slices.partial_pool`), so the
curve runs through the pooled means but keeps the spread between repeats.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": "m", "n_train": n, "repeat": r, "slice": s, "n_test": 300,
    ...          "value": top - 2.0 / n ** 0.5 + 0.004 * r, "n_slice_train": n // 2}
    ...         for n in (50, 100, 200, 400) for r in range(3)
    ...         for s, top in (("a", 0.95), ("b", 0.90))]
    >>> curves = fit_slice_curves(pd.DataFrame(rows))
    >>> sorted(curves.fits), curves.shares
    ([('m', 'a'), ('m', 'b')], {'a': 0.5, 'b': 0.5})
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dataroi._random import seed_sequence
from dataroi.curves import CurveFit, fit_curve
from dataroi.slices._pooling import SliceError, check_tidy, partial_pool

__all__ = ["MIN_SIZES", "SliceCurves", "fit_slice_curves"]

#: Fewest distinct training sizes (with at least one row of the slice) a curve needs.
MIN_SIZES = 3


@dataclass(frozen=True)
class SliceCurves:
    """Fitted per-slice learning curves.

    Attributes:
        fits: ``(model, slice) -> CurveFit``; sizes are the slice's own training rows.
        skipped: ``(model, slice) -> reason`` for slices without a curve.
        shares: Share of each slice in the training pool (mean ``n_slice_train / n_train``
            at the largest ``n_train``).
        test_shares: Share of each slice in the test rows (sums to 1).

    Example:
        >>> SliceCurves({}, {("m", "a"): "too few sizes"}, {"a": 1.0}, {"a": 1.0}).models
        ['m']
    """

    fits: dict[tuple[Hashable, Hashable], CurveFit]
    skipped: dict[tuple[Hashable, Hashable], str]
    shares: dict[Hashable, float]
    test_shares: dict[Hashable, float]

    @property
    def models(self) -> list[Hashable]:
        """Models with at least one slice (fitted or skipped), in first-seen order."""
        seen: dict[Hashable, None] = {}
        for m, _ in [*self.fits, *self.skipped]:
            seen.setdefault(m, None)
        return list(seen)

    def fitted_slices(self, model: Hashable) -> list[Hashable]:
        """Slices of ``model`` that have a curve."""
        return [s for m, s in self.fits if m == model]

    def slices(self, model: Hashable) -> list[Hashable]:
        """All slices of ``model`` (fitted first, then skipped)."""
        return [*self.fitted_slices(model), *(s for m, s in self.skipped if m == model)]


def _seed(
    random_state: int | None, model: Hashable, slice_: Hashable
) -> np.random.SeedSequence | None:
    """A per-curve seed that does not depend on which other curves are fitted."""
    if random_state is None:
        return None
    return seed_sequence(int(random_state), f"{model!r}\x00{slice_!r}")


def _points_from_tidy(
    tidy: pd.DataFrame, higher_is_better: bool
) -> pd.DataFrame:
    """Per-repeat values shifted by the pooling correction of their size."""
    pooled = partial_pool(tidy, higher_is_better=higher_is_better)
    shift = pooled.assign(shift=pooled["pooled"] - pooled["raw"])
    out = tidy.merge(shift[["model", "n_train", "slice", "shift"]],
                     on=["model", "n_train", "slice"], how="left")
    vals = out["value"].to_numpy(float) + out["shift"].fillna(0.0).to_numpy(float)
    raw = tidy["value"].to_numpy(float)
    if np.all((raw >= 0.0) & (raw <= 1.0)):  # a proportion stays a proportion
        vals = np.clip(vals, 0.0, 1.0)
    return out.assign(y=vals)


def _points_from_pooled(pooled: pd.DataFrame) -> pd.DataFrame:
    need = ["model", "n_train", "slice", "n_test", "pooled", "n_slice_train"]
    missing = [c for c in need if c not in pooled.columns]
    if missing:
        raise SliceError(
            f"a pooled table needs columns {', '.join(need)}; lacks {', '.join(missing)}"
        )
    out = pooled.loc[:, need].copy()
    out["y"] = pd.to_numeric(out["pooled"], errors="coerce").astype(float)
    out = out[np.isfinite(out["y"].to_numpy())]
    if out.empty:
        raise SliceError("the pooled table has no finite 'pooled' value")
    return out.assign(repeat=0)


def _shares(points: pd.DataFrame) -> tuple[dict[Hashable, float], dict[Hashable, float]]:
    top = points[points["n_train"] == points["n_train"].max()]
    train = (top["n_slice_train"] / top["n_train"]).groupby(top["slice"], sort=True).mean()
    test = top.groupby("slice", sort=True)["n_test"].mean()
    total = float(test.sum())
    test_sh = {s: (float(v) / total if total > 0 else 1.0 / len(test)) for s, v in test.items()}
    return {s: float(v) for s, v in train.items()}, test_sh


def fit_slice_curves(
    pooled_or_tidy: pd.DataFrame,
    *,
    higher_is_better: bool = True,
    random_state: int | None = 0,
) -> SliceCurves:
    """Fit a learning curve per model and slice (see the module docstring).

    Args:
        pooled_or_tidy: Either the tidy per-slice table (columns ``model, n_train, repeat,
            slice, n_test, value, n_slice_train``; pooled here with
            :func:`dataroi.slices.partial_pool`, and each repeat's value moved by
            ``pooled − raw`` of its size), or the output of ``partial_pool`` (then the
            curve is fitted on the pooled means alone, one value per size).
        higher_is_better: ``False`` for error rates and losses.
        random_state: Base seed; each curve gets its own seed derived from it and its
            ``(model, slice)`` (``None``: fresh entropy).

    Returns:
        A :class:`SliceCurves`. Slices with fewer than :data:`MIN_SIZES` distinct sizes
        (sizes where the slice has no training row are dropped) are listed in ``skipped``.

    Raises:
        SliceError: For a malformed table.

    Example:
        >>> rows = [{"model": "m", "n_train": n, "repeat": 0, "slice": "a", "n_test": 50,
        ...          "value": 0.9 - 1 / n ** 0.5, "n_slice_train": n} for n in (20, 40)]
        >>> fit_slice_curves(pd.DataFrame(rows)).skipped
        {('m', 'a'): 'only 2 distinct training size(s) with rows of the slice; need 3'}
    """
    if not isinstance(pooled_or_tidy, pd.DataFrame):
        raise SliceError(
            f"expected a pandas DataFrame, got {type(pooled_or_tidy).__name__}"
        )
    if "pooled" in pooled_or_tidy.columns and "repeat" not in pooled_or_tidy.columns:
        points = _points_from_pooled(pooled_or_tidy)
    else:
        points = _points_from_tidy(check_tidy(pooled_or_tidy), bool(higher_is_better))
    shares, test_shares = _shares(points)
    fits: dict[tuple[Hashable, Hashable], CurveFit] = {}
    skipped: dict[tuple[Hashable, Hashable], str] = {}
    for (model, slice_), g in points.groupby(["model", "slice"], sort=True):
        x = g.groupby("n_train", sort=True)["n_slice_train"].mean()
        x = x[x > 0]
        if len(np.unique(x.to_numpy())) < MIN_SIZES:
            skipped[(model, slice_)] = (
                f"only {len(np.unique(x.to_numpy()))} distinct training size(s) with rows "
                f"of the slice; need {MIN_SIZES}"
            )
            continue
        wide = (g[g["n_train"].isin(x.index)]
                .pivot_table(index="n_train", columns="repeat", values="y", aggfunc="mean")
                .reindex(x.index))
        fits[(model, slice_)] = fit_curve(
            x.to_numpy(float), wide.to_numpy(float), higher_is_better=bool(higher_is_better),
            random_state=_seed(random_state, model, slice_),
        )
    return SliceCurves(fits=fits, skipped=skipped, shares=shares, test_shares=test_shares)
