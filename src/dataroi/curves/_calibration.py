"""Calibration of extrapolation intervals, learned across many real learning curves.

Bootstrap draws over repeats and families measure how much the data and the families
disagree, but not how wrong every family can be at once: on LCDB, bootstrap bands cover
far fewer truths than their nominal level (misspecification, not noise, dominates). So the
fit reports its uncertainty in two steps:

1. a per-curve *scale* ``s(n)``: with the shipped table, a learned linear model of
   ``log |truth - prediction|`` (``scale_coef``; features in
   :func:`dataroi.curves._stack.scale_features`: extrapolation ratio, the families' spread
   and disagreement at ``n``, the predicted gain, the curve's level, slopes, noise and number
   of sizes); tables without one use :func:`uncertainty_scale` (bootstrap spread, noise at
   the largest size and predicted change beyond it);
2. a table of quantiles ``Q_r(u)`` of the normalised residual ``(truth - prediction) / s(n)``,
   learned on LCDB 1.0 curves of training data sets only (out-of-fold residuals of the
   learned gate, each OpenML data set weighted equally), per extrapolation ratio
   ``r = n / n_max``.

The calibrated marginal at ``n`` is ``prediction + Q_r(u) * s(n)`` for ``u`` in (0, 1).
Intervals use ``u = (1 ± level) / 2``; joint draws map the rank of each bootstrap curve to
``u`` so they keep the joint (paired) structure while their marginals are calibrated.

The residuals of a curve observed over few doublings are spread differently from those of
a curve observed over many: on held-out LCDB, a single table under-covered the 16×
extrapolations of N=512 curves and over-covered the 4× ones of N=128 curves. So the table
can also hold one set of rows per observed span ``log2(n_max / n_min)`` (whole doublings
with enough data sets behind them). The quantile is then interpolated between the two
nearest spans, and clipped to the learned range outside them.

The shipped table (``calibration.json``) is derived from LCDB 1.0 (Mohr et al., 2022),
MIT License, Copyright (c) 2021 Felix Mohr; the notice is kept in the file.

Example:
    >>> cal = load_calibration()
    >>> lo, hi = cal.quantile([0.05, 0.95], ratio=4.0)
    >>> bool(lo < 0 < hi)
    True
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from dataroi.exceptions import UsageError

__all__ = ["Calibration", "load_calibration", "uncertainty_scale"]

#: Quantile levels at which a calibration table is stored.
U_GRID: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
    0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.995,
)


def uncertainty_scale(
    boot_sd: np.ndarray, pred: np.ndarray, y_last: float, se_last: float
) -> np.ndarray:
    """Per-curve scale of the extrapolation error at each size (in loss units).

    Args:
        boot_sd: Standard deviation of the bootstrap draws at each size.
        pred: Point prediction (loss) at each size.
        y_last: Mean loss at the largest observed size.
        se_last: Standard error of the mean at the largest observed size.

    Returns:
        A strictly positive array, same shape as ``pred``.

    Example:
        >>> float(uncertainty_scale(np.array([0.0]), np.array([0.1]), 0.2, 0.0)[0]) > 0
        True
    """
    gain = np.abs(np.asarray(pred, float) - y_last)
    s = np.sqrt(np.asarray(boot_sd, float) ** 2 + se_last**2 + (0.25 * gain) ** 2)
    return np.maximum(s, 1e-6 * (1.0 + abs(y_last)))


@dataclass(frozen=True)
class Calibration:
    """Quantiles of normalised extrapolation residuals by extrapolation ratio.

    Attributes:
        log2_ratio: Increasing grid of ``log2(n / n_max)`` (first entry 0).
        u: Quantile levels (increasing, in (0, 1)).
        q: Table ``(len(log2_ratio), len(u))`` of residual quantiles.
        meta: Provenance (source, licence notice, training data sets, date...).
        scale_coef: Coefficients of the learned scale model (see
            :func:`dataroi.curves._stack.scale_features`); ``None``: the residuals are
            normalised by :func:`uncertainty_scale` instead.
        widen_beyond: Widen the last row by ``sqrt(ratio / ratio_max)`` beyond the grid
            (tables without a scale model); with a scale model the scale itself grows.
        span_grid: Observed spans ``log2(n_max / n_min)`` that have their own table
            (increasing), or ``None``: one table for every span.
        q_span: The per-span tables, ``(len(span_grid), len(log2_ratio), len(u))``.
    """

    log2_ratio: np.ndarray
    u: np.ndarray
    q: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    scale_coef: np.ndarray | None = None
    widen_beyond: bool = True
    span_grid: np.ndarray | None = None
    q_span: np.ndarray | None = None

    def quantile(self, u: Any, ratio: Any, span: Any = None) -> np.ndarray:
        """Residual quantiles ``Q_r(u)`` (broadcast over ``u``, ``ratio`` and ``span``).

        Below the first ratio the first row is used; beyond the last one the last row is
        widened by ``sqrt(ratio / ratio_max)``. With ``span`` (the fit's observed
        ``log2(n_max / n_min)``) and per-span tables, the quantile is interpolated
        between the two nearest spans.

        Example:
            >>> cal = load_calibration()
            >>> a, b = cal.quantile(0.95, 16.0, span=3.0), cal.quantile(0.95, 16.0, span=5.0)
            >>> bool(a > 0 and b > 0)
            True
        """
        if span is None or self.span_grid is None or self.q_span is None:
            return self._table_quantile(self.q, u, ratio)
        u_arr, r_arr, s_arr = np.broadcast_arrays(np.asarray(u, float),
                                                  np.asarray(ratio, float),
                                                  np.asarray(span, float))
        grid = self.span_grid
        if len(grid) == 1:
            return self._table_quantile(self.q_span[0], u_arr, r_arr)
        s = np.clip(s_arr, grid[0], grid[-1])
        j = np.clip(np.searchsorted(grid, s, side="right") - 1, 0, len(grid) - 2)
        w = (s - grid[j]) / (grid[j + 1] - grid[j])
        n_rows = self.q_span.shape[1]
        stacked = self.q_span.reshape(-1, self.q_span.shape[2])  # (span, ratio) rows
        lo = self._table_quantile(stacked, u_arr, r_arr, offset=j * n_rows)
        hi = self._table_quantile(stacked, u_arr, r_arr, offset=(j + 1) * n_rows)
        return (1 - w) * lo + w * hi

    def _table_quantile(self, table: np.ndarray, u: Any, ratio: Any,
                        offset: Any = 0) -> np.ndarray:
        """Quantiles from ``table`` (rows: ratios, from row ``offset`` on)."""
        u_arr, r_arr = np.broadcast_arrays(np.asarray(u, float), np.asarray(ratio, float))
        lr = np.log2(np.maximum(r_arr, 1e-12))
        grid = self.log2_ratio
        lr_c = np.clip(lr, grid[0], grid[-1])
        idx = np.clip(np.searchsorted(grid, lr_c, side="right") - 1, 0, len(grid) - 2)
        w = (lr_c - grid[idx]) / (grid[idx + 1] - grid[idx]) if len(grid) > 1 else lr_c * 0
        uc = np.clip(u_arr, self.u[0], self.u[-1])
        # interpolate each row at u, then between rows
        qa = _interp_rows(table, idx + offset, uc, self.u)
        qb = _interp_rows(table, np.minimum(idx + 1, len(grid) - 1) + offset, uc, self.u)
        out = (1 - w) * qa + w * qb
        beyond = lr > grid[-1]
        if self.widen_beyond and np.any(beyond):
            out = np.where(beyond, out * np.sqrt(2.0 ** (lr - grid[-1])), out)
        return out

    def cdf(self, z: Any, ratio: Any, span: Any = None) -> np.ndarray:
        """Probability that the normalised residual is ``<= z`` (inverse of :meth:`quantile`).

        Example:
            >>> cal = load_calibration()
            >>> bool(0.3 < float(cal.cdf(float(cal.quantile(0.5, 4.0)), 4.0)) < 0.7)
            True
        """
        z_arr, r_arr = np.broadcast_arrays(np.asarray(z, float), np.asarray(ratio, float))
        flat_z, flat_r = z_arr.ravel(), r_arr.ravel()
        flat_s = None if span is None else np.broadcast_to(np.asarray(span, float),
                                                           z_arr.shape).ravel()[:, None]
        rows = self.quantile(self.u[None, :], flat_r[:, None], flat_s)
        rows = np.maximum.accumulate(rows, axis=1)
        out = np.empty(len(flat_z))
        for i, zi in enumerate(flat_z):
            row = rows[i]
            if zi < row[0]:
                out[i] = 0.0
            elif zi >= row[-1]:
                out[i] = 1.0
            else:
                out[i] = float(np.interp(zi, row, self.u))
        return out.reshape(z_arr.shape)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        d: dict[str, Any] = {
            "log2_ratio": self.log2_ratio.tolist(),
            "u": self.u.tolist(),
            "q": self.q.tolist(),
            "meta": self.meta,
        }
        if self.scale_coef is not None:
            d["scale_coef"] = self.scale_coef.tolist()
            d["widen_beyond"] = self.widen_beyond
        if self.span_grid is not None and self.q_span is not None:
            d["span_grid"] = self.span_grid.tolist()
            d["q_span"] = self.q_span.tolist()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        """Inverse of :meth:`to_dict`."""
        return cls(
            np.asarray(d["log2_ratio"], float),
            np.asarray(d["u"], float),
            np.asarray(d["q"], float),
            dict(d.get("meta", {})),
            None if d.get("scale_coef") is None else np.asarray(d["scale_coef"], float),
            bool(d.get("widen_beyond", True)),
            None if d.get("span_grid") is None else np.asarray(d["span_grid"], float),
            None if d.get("q_span") is None else np.asarray(d["q_span"], float),
        )

    @classmethod
    def learn(
        cls,
        ratios: np.ndarray,
        z: np.ndarray,
        *,
        groups: np.ndarray | None = None,
        log2_grid: np.ndarray | None = None,
        meta: dict[str, Any] | None = None,
        scale_coef: np.ndarray | None = None,
        spans: np.ndarray | None = None,
        min_groups: int = 30,
    ) -> Calibration:
        """Learn the table from normalised residuals ``z`` observed at ``ratios``.

        Each residual is weighted so that every group (data set) counts equally. With
        ``spans``, every whole number of observed doublings with residuals from at least
        ``min_groups`` groups gets its own table (a row with fewer groups falls back to
        the pooled row).

        Args:
            ratios: Extrapolation ratio ``n / n_max`` of each residual.
            z: Normalised residuals ``(truth - prediction) / scale``.
            groups: Group label of each residual (OpenML id), or ``None``.
            log2_grid: Grid of ``log2`` ratios (default: the distinct observed ones).
            meta: Provenance to store.
            scale_coef: Coefficients of the scale model ``z`` was normalised with.
            spans: Observed span ``log2(n_max / n_min)`` of each residual's fit.
            min_groups: Fewest groups a per-span table (or row) is learned from.

        Returns:
            The learned :class:`Calibration`.

        Example:
            >>> rng = np.random.default_rng(0)
            >>> cal = Calibration.learn(np.repeat([1.0, 4.0], 500), rng.normal(size=1000))
            >>> bool(abs(float(cal.quantile(0.5, 4.0))) < 0.2)
            True
        """
        ratios = np.asarray(ratios, float)
        z = np.asarray(z, float)
        ok = np.isfinite(z) & np.isfinite(ratios)
        ratios, z = ratios[ok], z[ok]
        g = np.zeros(len(z)) if groups is None else np.asarray(groups)[ok]
        lr = np.round(np.log2(ratios) * 2) / 2
        grid = np.unique(lr) if log2_grid is None else np.asarray(log2_grid, float)
        u = np.asarray(U_GRID)

        def table(keep: np.ndarray, fallback: np.ndarray | None) -> np.ndarray:
            rows = []
            for i, lv in enumerate(grid):
                sel = keep & (np.abs(lr - lv) < 0.26)
                zs, gs = z[sel], g[sel]
                _, inv, counts = np.unique(gs, return_inverse=True, return_counts=True)
                if fallback is not None and len(counts) < min_groups:
                    rows.append(fallback[i])
                else:
                    rows.append(_weighted_quantile(zs, 1.0 / counts[inv], u))
            return np.maximum.accumulate(np.array(rows), axis=1)

        q = table(np.ones(len(z), bool), None)
        span_grid = q_span = None
        if spans is not None:
            sp = np.round(np.asarray(spans, float)[ok])
            keep = [v for v in np.unique(sp[np.isfinite(sp)])
                    if len(np.unique(g[sp == v])) >= min_groups]
            if len(keep) >= 2:
                span_grid = np.array(keep, float)
                q_span = np.array([table(sp == v, q) for v in keep])
        coef = None if scale_coef is None else np.asarray(scale_coef, float)
        return cls(grid.astype(float), u, q, dict(meta or {}), coef, coef is None,
                   span_grid, q_span)


def _interp_rows(q: np.ndarray, idx: np.ndarray, u: np.ndarray, grid_u: np.ndarray) -> np.ndarray:
    """``np.interp(u[i], grid_u, q[idx[i]])`` for every element at once (``u`` within
    ``grid_u``'s range), in the order of operations of ``np.interp``."""
    flat_u = np.ravel(u)
    flat_idx = np.broadcast_to(idx, np.shape(u)).ravel()
    j = np.clip(np.searchsorted(grid_u, flat_u, side="right") - 1, 0, len(grid_u) - 2)
    x0 = grid_u[j]
    y0, y1 = q[flat_idx, j], q[flat_idx, j + 1]
    slope = (y1 - y0) / (grid_u[j + 1] - x0)
    out = slope * (flat_u - x0) + y0
    at_end = flat_u >= grid_u[-1]
    out[at_end] = q[flat_idx[at_end], -1]
    return out.reshape(np.shape(u))


def _weighted_quantile(x: np.ndarray, w: np.ndarray, u: np.ndarray) -> np.ndarray:
    if len(x) == 0:
        from scipy.special import ndtri  # the normal quantile, without scipy.stats

        return ndtri(u)
    order = np.argsort(x)
    xs, ws = x[order], w[order]
    cw = np.cumsum(ws) - 0.5 * ws
    cw /= ws.sum()
    return np.interp(u, cw, xs)


def _default_calibration() -> Calibration:
    from scipy.special import ndtri  # the normal quantile, without scipy.stats

    u = np.asarray(U_GRID)
    grid = np.array([0.0, 4.0])
    q = np.vstack([ndtri(u), 2 * ndtri(u)])
    return Calibration(grid, u, q, {"source": "fallback: normal quantiles, not learned"})


#: Shipped calibration files by gate kind (see :func:`load_calibration`).
CALIBRATION_FILES: dict[str, str] = {"test": "calibration.json",
                                     "train": "calibration_train.json"}


@lru_cache(maxsize=2)
def load_calibration(kind: str = "test") -> Calibration:
    """Load a calibration table shipped with dataroi (learned on LCDB 1.0).

    Args:
        kind: ``"test"``: the table of the gate on the test scores alone;
            ``"train"``: the table of the gate that also reads the training scores (its
            residuals are smaller, so its table is its own).

    Returns:
        The shipped :class:`Calibration`; if it is missing, the ``"test"`` table, or
        normal quantiles when that is missing too.

    Example:
        >>> bool(load_calibration().u[0] > 0)
        True
        >>> bool(load_calibration("train").u[0] > 0)
        True
    """
    if kind not in CALIBRATION_FILES:
        raise UsageError(f"unknown calibration kind {kind!r}; expected one of "
                         f"{sorted(CALIBRATION_FILES)}")
    try:
        text = resources.files("dataroi.curves").joinpath(CALIBRATION_FILES[kind]).read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return load_calibration() if kind != "test" else _default_calibration()
    return Calibration.from_dict(json.loads(text))
