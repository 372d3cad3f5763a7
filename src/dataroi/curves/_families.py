"""Parametric learning-curve families.

Every family is written for a *loss* ``y`` that falls as the training size grows (error
rate, log loss...). :func:`dataroi.curves.fit_curve` maps any metric to such a loss first.
Sizes enter as ``x = n / n_ref`` where ``n_ref`` is the largest observed size, which keeps
the parameters of exponential families well scaled; ``log_ref = log(n_ref)`` is passed to
the families that need the raw size (``ilog2``).

The forms follow the LCDB paper (Mohr et al., 2022) and Alabdulmohsin et al. (2022):

=========  ======================================  ======
name       loss as a function of x                 params
=========  ======================================  ======
pow2       a·x^-b                                  2
pow3       a + b·x^-c                              3
pow4       a + b·(x + d)^-c                        4
log2       a - b·log x                             2
ilog2      a + b / log n                           2
exp3       a + b·e^(-c·x)                          3
exp4       a + e^(-b·x^c + d)                      4
vap3       exp(a + b/x + c·log x)                  3
mmf4       (a·b + c·x^d) / (b + x^d)               4
wbl4       c + b·e^(-a·x^d)                        4
janoschek  α - (α - β)·e^(-κ·x^δ)                  4
m4         (y - e_inf)/(e_0 - y)^α = β·x^c         5
last1      a (the loss at the largest size)        1
powgrow    a + b·x^c (rising: compute cost)        3
=========  ======================================  ======

Example:
    >>> import numpy as np
    >>> fam = get_family("pow3")
    >>> fam.param_names
    ('a', 'b', 'c')
    >>> float(fam.f(np.array([1.0]), np.array([0.1, 0.2, 0.5]), 0.0)[0])
    0.30000000000000004
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["AUTO_FAMILIES", "FAMILIES", "CurveFamily", "DataStats", "get_family"]

Array = np.ndarray
_INF = np.inf


@dataclass(frozen=True)
class DataStats:
    """Summary of the (scaled) data a family needs for bounds and starting points.

    Attributes:
        x: Distinct scaled sizes ``n / n_ref``, increasing, last one is 1.
        y: Mean loss at each size.
        log_ref: ``log(n_ref)``.
        bounded: Whether the loss is bounded below by 0 (error rate, log loss...).
    """

    x: Array
    y: Array
    log_ref: float
    bounded: bool

    @property
    def lo(self) -> float:
        """Lower bound for an asymptote parameter."""
        return 0.0 if self.bounded else -_INF

    @property
    def y_first(self) -> float:
        """Loss at the smallest size."""
        return float(self.y[0])

    @property
    def y_last(self) -> float:
        """Loss at the largest size."""
        return float(self.y[-1])

    @property
    def y_min(self) -> float:
        """Smallest observed mean loss."""
        return float(np.min(self.y))

    @property
    def y_max(self) -> float:
        """Largest observed mean loss."""
        return float(np.max(self.y))

    @property
    def x_first(self) -> float:
        """Smallest scaled size."""
        return float(self.x[0])

    @property
    def span(self) -> float:
        """A positive scale of the loss values."""
        return float(max(self.y_max - self.y_min, abs(self.y_last) * 1e-3, 1e-9))


def _safe_log(v: Array) -> Array:
    return np.log(np.maximum(v, 1e-300))


@dataclass(frozen=True)
class CurveFamily:
    """One parametric curve family.

    Attributes:
        name: Short name (``"pow3"``).
        param_names: Names of the parameters, in order.
        formula: Human-readable formula in ``x = n / n_ref``.
        f: ``f(x, params, log_ref) -> loss``.
        jac: Analytic Jacobian ``(len(x), n_params)`` or ``None`` (finite differences).
        bounds: ``bounds(stats) -> (lower, upper)`` arrays.
        starts: ``starts(stats) -> list of starting points``.
        fixed: ``True`` for families that are not optimised (``last1``).
        rising: ``True`` for families of a quantity that grows with n (compute cost).
    """

    name: str
    param_names: tuple[str, ...]
    formula: str
    f: Callable[[Array, Array, float], Array]
    bounds: Callable[[DataStats], tuple[Array, Array]]
    starts: Callable[[DataStats], list[Array]]
    jac: Callable[[Array, Array, float], Array] | None = None
    fixed: bool = False
    rising: bool = False

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.param_names)


# --------------------------------------------------------------------------------------
# pow2: a x^-b
def _pow2(x: Array, p: Array, _l: float) -> Array:
    return p[0] * x ** (-p[1])


def _pow2_jac(x: Array, p: Array, _l: float) -> Array:
    xb = x ** (-p[1])
    return np.column_stack([xb, -p[0] * xb * np.log(x)])


def _slope(s: DataStats) -> float:
    """Log-log slope between the first and last point (a rough exponent)."""
    if s.x_first >= 1.0 or s.y_first <= 0 or s.y_last <= 0:
        return 0.3
    return float(np.clip(np.log(s.y_first / s.y_last) / -np.log(s.x_first), 0.02, 2.0))


def _pow2_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([1e-12, 0.0]), np.array([_INF, 3.0])


def _pow2_starts(s: DataStats) -> list[Array]:
    return [np.array([max(s.y_last, 1e-6), _slope(s)]), np.array([max(s.y_last, 1e-6), 0.2])]


# pow3: a + b x^-c
def _pow3(x: Array, p: Array, _l: float) -> Array:
    return p[0] + p[1] * x ** (-p[2])


def _pow3_jac(x: Array, p: Array, _l: float) -> Array:
    xc = x ** (-p[2])
    return np.column_stack([np.ones_like(x), xc, -p[1] * xc * np.log(x)])


def _pow3_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, 0.0, 0.0]), np.array([s.y_max, _INF, 3.0])


def _pow3_starts(s: DataStats) -> list[Array]:
    out = []
    for frac, c in ((0.5, 0.5), (0.9, 1.0), (0.0, 0.3)):
        a = s.y_min * frac if s.y_min > 0 else s.y_min - frac * s.span
        out.append(np.array([a, max(s.y_last - a, 1e-6), c]))
    return out


# pow4: a + b (x + d)^-c
def _pow4(x: Array, p: Array, _l: float) -> Array:
    return p[0] + p[1] * (x + p[3]) ** (-p[2])


def _pow4_jac(x: Array, p: Array, _l: float) -> Array:
    xd = x + p[3]
    t = xd ** (-p[2])
    return np.column_stack(
        [np.ones_like(x), t, -p[1] * t * np.log(xd), -p[1] * p[2] * t / xd]
    )


def _pow4_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, 0.0, 0.0, 0.0]), np.array([s.y_max, _INF, 5.0, 2.0])


def _pow4_starts(s: DataStats) -> list[Array]:
    out = []
    for frac, c, d in ((0.5, 0.5, 0.0), (0.8, 1.0, s.x_first)):
        a = s.y_min * frac if s.y_min > 0 else s.y_min - frac * s.span
        out.append(np.array([a, max(s.y_last - a, 1e-6) * (1 + d) ** c, c, d]))
    return out


# log2: a - b log x
def _log2(x: Array, p: Array, _l: float) -> Array:
    return p[0] - p[1] * np.log(x)


def _log2_jac(x: Array, p: Array, _l: float) -> Array:
    return np.column_stack([np.ones_like(x), -np.log(x)])


def _log2_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([-_INF, 0.0]), np.array([_INF, _INF])


def _log2_starts(s: DataStats) -> list[Array]:
    b = (s.y_first - s.y_last) / -np.log(s.x_first) if s.x_first < 1 else 0.0
    return [np.array([s.y_last, max(b, 0.0)])]


# ilog2: a + b / log n
def _logn(x: Array, log_ref: float) -> Array:
    return np.maximum(np.log(x) + log_ref, 1e-3)


def _ilog2(x: Array, p: Array, log_ref: float) -> Array:
    return p[0] + p[1] / _logn(x, log_ref)


def _ilog2_jac(x: Array, p: Array, log_ref: float) -> Array:
    return np.column_stack([np.ones_like(x), 1.0 / _logn(x, log_ref)])


def _ilog2_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([-_INF, 0.0]), np.array([_INF, _INF])


def _ilog2_starts(s: DataStats) -> list[Array]:
    l0, l1 = max(np.log(s.x_first) + s.log_ref, 1e-3), max(s.log_ref, 1e-3)
    den = 1 / l0 - 1 / l1
    b = (s.y_first - s.y_last) / den if den > 0 else 0.0
    b = max(b, 0.0)
    return [np.array([s.y_last - b / l1, b])]


# exp3: a + b e^(-c x)
def _exp3(x: Array, p: Array, _l: float) -> Array:
    return p[0] + p[1] * np.exp(-p[2] * x)


def _exp3_jac(x: Array, p: Array, _l: float) -> Array:
    e = np.exp(-p[2] * x)
    return np.column_stack([np.ones_like(x), e, -p[1] * x * e])


def _exp3_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, 0.0, 0.0]), np.array([s.y_max, _INF, 200.0])


def _exp3_starts(s: DataStats) -> list[Array]:
    out = []
    for c in (1.0, 5.0, 2.0 / max(s.x_first, 1e-3) / 4):
        a = 0.9 * s.y_min if s.y_min > 0 else s.y_min - 0.1 * s.span
        b = max(s.y_first - a, 1e-6) * np.exp(min(c * s.x_first, 50))
        out.append(np.array([a, b, c]))
    return out


# exp4: a + exp(-b x^c + d)
def _exp4(x: Array, p: Array, _l: float) -> Array:
    return p[0] + np.exp(np.minimum(-p[1] * x ** p[2] + p[3], 700))


def _exp4_jac(x: Array, p: Array, _l: float) -> Array:
    xc = x ** p[2]
    e = np.exp(np.minimum(-p[1] * xc + p[3], 700))
    return np.column_stack([np.ones_like(x), -xc * e, -p[1] * xc * np.log(x) * e, e])


def _exp4_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, 0.0, 0.0, -30.0]), np.array([s.y_max, 200.0, 3.0, 30.0])


def _exp4_starts(s: DataStats) -> list[Array]:
    out = []
    for b, c in ((1.0, 0.5), (3.0, 1.0)):
        a = 0.8 * s.y_min if s.y_min > 0 else s.y_min - 0.2 * s.span
        d = np.log(max(s.y_first - a, 1e-9)) + b * s.x_first**c
        out.append(np.array([a, b, c, d]))
    return out


# vap3: exp(a + b/x + c log x)
def _vap3(x: Array, p: Array, _l: float) -> Array:
    return np.exp(np.minimum(p[0] + p[1] / x + p[2] * np.log(x), 700))


def _vap3_jac(x: Array, p: Array, _l: float) -> Array:
    y = _vap3(x, p, _l)
    return np.column_stack([y, y / x, y * np.log(x)])


def _vap3_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([-50.0, -5.0, -3.0]), np.array([20.0, 5.0, 1.0])


def _vap3_starts(s: DataStats) -> list[Array]:
    return [np.array([np.log(max(s.y_last, 1e-9)), 0.0, -_slope(s)])]


# mmf4: (a b + c x^d)/(b + x^d)
def _mmf4(x: Array, p: Array, _l: float) -> Array:
    xd = x ** p[3]
    return (p[0] * p[1] + p[2] * xd) / (p[1] + xd)


def _mmf4_jac(x: Array, p: Array, _l: float) -> Array:
    xd = x ** p[3]
    den = p[1] + xd
    y = (p[0] * p[1] + p[2] * xd) / den
    return np.column_stack([p[1] / den, (p[0] - y) / den, xd / den,
                            (p[2] - y) * xd * np.log(x) / den])


def _mmf4_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, 1e-8, s.lo, 0.0]), np.array([_INF, 1e4, s.y_max, 5.0])


def _mmf4_starts(s: DataStats) -> list[Array]:
    out = []
    for d in (1.0, 0.5):
        c = 0.8 * s.y_min if s.y_min > 0 else s.y_min - 0.2 * s.span
        a = s.y_first + 0.5 * s.span
        out.append(np.array([a, max(s.x_first, 1e-3) ** d * 2, c, d]))
    return out


# wbl4: c + b e^(-a x^d)
def _wbl4(x: Array, p: Array, _l: float) -> Array:
    return p[2] + p[1] * np.exp(-p[0] * x ** p[3])


def _wbl4_jac(x: Array, p: Array, _l: float) -> Array:
    xd = x ** p[3]
    e = np.exp(-p[0] * xd)
    return np.column_stack([-p[1] * xd * e, e, np.ones_like(x),
                            -p[1] * p[0] * xd * np.log(x) * e])


def _wbl4_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([0.0, 0.0, s.lo, 0.01]), np.array([200.0, _INF, s.y_max, 5.0])


def _wbl4_starts(s: DataStats) -> list[Array]:
    out = []
    for a, d in ((2.0, 0.5), (10.0, 1.0)):
        c = 0.9 * s.y_min if s.y_min > 0 else s.y_min - 0.1 * s.span
        b = max(s.y_first - c, 1e-6) * np.exp(min(a * s.x_first**d, 50))
        out.append(np.array([a, b, c, d]))
    return out


# janoschek: alpha - (alpha - beta) e^(-kappa x^delta)
def _jan(x: Array, p: Array, _l: float) -> Array:
    return p[0] - (p[0] - p[1]) * np.exp(-p[2] * x ** p[3])


def _jan_jac(x: Array, p: Array, _l: float) -> Array:
    xd = x ** p[3]
    e = np.exp(-p[2] * xd)
    ab = p[0] - p[1]
    return np.column_stack([1 - e, e, ab * xd * e, ab * p[2] * xd * np.log(x) * e])


def _jan_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([s.lo, s.lo, 0.0, 0.01]), np.array([s.y_max, _INF, 200.0, 5.0])


def _jan_starts(s: DataStats) -> list[Array]:
    alpha = 0.85 * s.y_min if s.y_min > 0 else s.y_min - 0.15 * s.span
    return [np.array([alpha, s.y_first + s.span, 3.0, 0.5])]


# m4 (Alabdulmohsin et al. 2022): (y - e_inf) / (e_0 - y)^alpha = beta x^c, solved for y.
def _m4(x: Array, p: Array, _l: float) -> Array:
    e_inf, e_0, alpha, beta, c = p
    rhs = beta * x**c
    lo = np.full_like(x, e_inf)
    hi = np.full_like(x, e_0)
    for _ in range(48):  # bisection on a monotone function of y
        mid = 0.5 * (lo + hi)
        g = (mid - e_inf) - rhs * np.maximum(e_0 - mid, 0.0) ** alpha
        pos = g > 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
    return 0.5 * (lo + hi)


def _m4_bounds(s: DataStats) -> tuple[Array, Array]:
    return (
        np.array([s.lo, s.y_max, 0.0, 1e-9, -3.0]),
        np.array([s.y_min, s.y_max + 10 * s.span + 1.0, 3.0, 1e6, 0.0]),
    )


def _m4_starts(s: DataStats) -> list[Array]:
    e_inf = 0.5 * s.y_min if s.y_min > 0 else s.y_min - 0.5 * s.span
    e_0 = s.y_max + 0.5 * s.span
    beta = (s.y_last - e_inf) / max(e_0 - s.y_last, 1e-9)
    return [np.array([e_inf, e_0, 1.0, max(beta, 1e-6), -_slope(s)])]


# last1: constant
def _last1(x: Array, p: Array, _l: float) -> Array:
    return np.full(np.shape(x), p[0], dtype=float)


def _last1_bounds(s: DataStats) -> tuple[Array, Array]:
    return np.array([-_INF]), np.array([_INF])


def _last1_starts(s: DataStats) -> list[Array]:
    return [np.array([s.y_last])]


# powgrow: a + b x^c (a quantity that grows with n, e.g. training seconds)
def _powgrow(x: Array, p: Array, _l: float) -> Array:
    return p[0] + p[1] * x ** p[2]


def _powgrow_jac(x: Array, p: Array, _l: float) -> Array:
    xc = x ** p[2]
    return np.column_stack([np.ones_like(x), xc, p[1] * xc * np.log(x)])


def _powgrow_bounds(s: DataStats) -> tuple[Array, Array]:
    # the exponent may exceed the observed log-log slope by at most 1 (and 3 overall):
    # flat, noisy timings otherwise fit a negligible b·x^3 that explodes beyond the data
    ok = (s.x > 0) & (s.y > 0)
    slope = 0.0
    if ok.sum() >= 2 and np.ptp(np.log(s.x[ok])) > 0:
        slope = float(np.polyfit(np.log(s.x[ok]), np.log(s.y[ok]), 1)[0])
    return np.array([0.0, 0.0, 0.0]), np.array([_INF, _INF, float(np.clip(slope + 1, 1, 3))])


def _powgrow_starts(s: DataStats) -> list[Array]:
    slope = 1.0
    if s.x_first < 1 and s.y_first > 0 and s.y_last > 0:
        slope = float(np.clip(np.log(s.y_last / s.y_first) / -np.log(s.x_first), 0.05, 2.5))
    return [
        np.array([0.0, max(s.y_last, 1e-9), slope]),
        np.array([0.5 * max(s.y_first, 0.0), max(s.y_last - 0.5 * s.y_first, 1e-9), 1.0]),
    ]


FAMILIES: dict[str, CurveFamily] = {
    fam.name: fam
    for fam in (
        CurveFamily("pow2", ("a", "b"), "a*x^-b", _pow2, _pow2_bounds, _pow2_starts,
                    _pow2_jac),
        CurveFamily("pow3", ("a", "b", "c"), "a + b*x^-c", _pow3, _pow3_bounds, _pow3_starts,
                    _pow3_jac),
        CurveFamily("pow4", ("a", "b", "c", "d"), "a + b*(x+d)^-c", _pow4, _pow4_bounds,
                    _pow4_starts, _pow4_jac),
        CurveFamily("log2", ("a", "b"), "a - b*log(x)", _log2, _log2_bounds, _log2_starts,
                    _log2_jac),
        CurveFamily("ilog2", ("a", "b"), "a + b/log(n)", _ilog2, _ilog2_bounds,
                    _ilog2_starts, _ilog2_jac),
        CurveFamily("exp3", ("a", "b", "c"), "a + b*exp(-c*x)", _exp3, _exp3_bounds,
                    _exp3_starts, _exp3_jac),
        CurveFamily("exp4", ("a", "b", "c", "d"), "a + exp(-b*x^c + d)", _exp4,
                    _exp4_bounds, _exp4_starts, _exp4_jac),
        CurveFamily("vap3", ("a", "b", "c"), "exp(a + b/x + c*log(x))", _vap3, _vap3_bounds,
                    _vap3_starts, _vap3_jac),
        CurveFamily("mmf4", ("a", "b", "c", "d"), "(a*b + c*x^d)/(b + x^d)", _mmf4,
                    _mmf4_bounds, _mmf4_starts, _mmf4_jac),
        CurveFamily("wbl4", ("a", "b", "c", "d"), "c + b*exp(-a*x^d)", _wbl4, _wbl4_bounds,
                    _wbl4_starts, _wbl4_jac),
        CurveFamily("janoschek", ("alpha", "beta", "kappa", "delta"),
                    "alpha - (alpha-beta)*exp(-kappa*x^delta)", _jan, _jan_bounds,
                    _jan_starts, _jan_jac),
        CurveFamily("m4", ("e_inf", "e_0", "alpha", "beta", "c"),
                    "(y-e_inf)/(e_0-y)^alpha = beta*x^c", _m4, _m4_bounds, _m4_starts),
        CurveFamily("last1", ("a",), "a", _last1, _last1_bounds, _last1_starts, fixed=True),
        CurveFamily("powgrow", ("a", "b", "c"), "a + b*x^c", _powgrow, _powgrow_bounds,
                    _powgrow_starts, _powgrow_jac, rising=True),
    )
}

#: Families used by ``families="auto"`` (m4 is slower to evaluate and opt-in by name).
AUTO_FAMILIES: tuple[str, ...] = (
    "pow2", "pow3", "pow4", "log2", "ilog2", "exp3", "exp4", "vap3", "mmf4", "wbl4",
    "janoschek", "last1",
)


def get_family(name: str) -> CurveFamily:
    """Return the family called ``name``.

    Args:
        name: One of the keys of :data:`FAMILIES`.

    Returns:
        The :class:`CurveFamily`.

    Raises:
        dataroi.exceptions.UsageError: If the name is unknown (the message lists the names).

    Example:
        >>> get_family("mmf4").n_params
        4
    """
    try:
        return FAMILIES[name]
    except KeyError:
        from dataroi.exceptions import UsageError

        raise UsageError(
            f"unknown curve family {name!r}; choose from {', '.join(sorted(FAMILIES))}"
        ) from None
