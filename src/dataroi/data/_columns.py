"""What each feature column holds, and which transformer preprocessing gives it.

The *plan* (which column gets which transformer) is read from the whole prepared table:
its column types, numbers of levels, and whether missing or infinite values occur
anywhere, so it is the same for every trial of a study (a curve never mixes encodings).
Nothing is *fitted* here: the categories, vocabularies, imputation values and target
statistics are learned inside each trial from its training rows only
(:mod:`dataroi.trial._preprocess`).

Kinds and their transformers (``mode: auto``):

==================  ===========================================================
``numeric``         complete numbers: standardised (``scale: true``) or passed
``impute``          numbers with missing or infinite values: inf → NaN, median
                    imputation with a missing-value indicator, standardised
``onehot``          categories with at most ``max_onehot`` levels: one-hot
                    (a level unseen in training encodes as all zeros)
``high_cardinality``  more levels, short values: target encoding (cross-fitted)
``text``            more levels, values of several words: TF-IDF
==================  ===========================================================

Example:
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"student": pd.Categorical(["No", "Yes", "No"]),
    ...                   "balance": [729.5, np.nan, 1073.5], "income": [1.0, 2.0, 3.0]})
    >>> plan = plan_preprocessing(profile_frame(X), {"mode": "auto"}, task="classification")
    >>> plan.needed, plan.onehot, plan.impute, plan.numeric
    (True, ('student',), ('balance',), ('income',))
    >>> first = plan.describe()["columns"][0]
    >>> first["column"], first["kind"], first["transformer"], first["levels"]
    ('student', 'onehot', 'one-hot', 2)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import UnknownNameError, UsageError
from dataroi.spec import PREPROCESS_REVISION, PreprocessSpec

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KINDS", "ColumnProfile", "PreprocessPlan", "plan_preprocessing",
           "preprocess_summary", "profile_arrays", "profile_frame"]

#: The kinds of column, in the order the transformed features come out.
KINDS = ("numeric", "impute", "onehot", "high_cardinality", "text")

#: What each kind's transformer is, in words (for the report).
TRANSFORMERS = {
    "numeric": "passed through",
    "impute": "inf → missing, median imputation + missing indicator",
    "onehot": "one-hot",
    "high_cardinality": "target encoding",
    "text": "TF-IDF",
}

#: A categorical column whose distinct values hold at least this many words on average
#: (and which has more than ``max_onehot`` levels) is free text.
TEXT_MIN_WORDS = 3.0
_WORD_SAMPLE = 2000  # distinct values read to count words (the first ones, in code order)


@dataclass(frozen=True)
class ColumnProfile:
    """What one feature column holds, over the whole prepared table.

    Attributes:
        name: the column.
        stored: ``numeric`` or ``category`` (how the data store keeps it).
        levels: distinct non-missing values that occur (categories only; numbers: 0).
        missing: missing values (NaN, or a missing category).
        infinite: infinite values (numbers only).
        mean_words: mean number of words of the distinct values (categories only).
    """

    name: str
    stored: str
    levels: int = 0
    missing: int = 0
    infinite: int = 0
    mean_words: float = 0.0


@dataclass(frozen=True)
class PreprocessPlan:
    """Which transformer each feature column gets (plain data; no estimator inside).

    Attributes:
        mode: ``auto`` or ``none``.
        task: ``classification`` or ``regression`` (the target encoder's target type).
        numeric, impute, onehot, high_cardinality, text: the columns of each kind.
        scale: numbers are standardised.
        max_onehot: the one-hot limit the plan was made with.
        profiles: the columns' profiles.
    """

    mode: str
    task: str
    numeric: tuple[str, ...] = ()
    impute: tuple[str, ...] = ()
    onehot: tuple[str, ...] = ()
    high_cardinality: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    scale: bool = True
    max_onehot: int = 30
    profiles: tuple[ColumnProfile, ...] = field(default=(), repr=False)

    @property
    def needed(self) -> bool:
        """Whether preprocessing applies: it is on, and the table has a column that is
        not a complete number."""
        return self.mode != "none" and bool(self.impute or self.onehot
                                            or self.high_cardinality or self.text)

    def kind_of(self, column: str) -> str:
        """The kind the plan gives ``column``."""
        for kind in KINDS:
            if column in getattr(self, kind):
                return kind
        raise UnknownNameError(f"'{column}' is not a feature column of this plan")

    def reasons(self) -> list[str]:
        """Why preprocessing applies, in words (empty when it does not)."""
        if self.mode == "none":
            return []
        out = []
        if self.onehot or self.high_cardinality or self.text:
            cols = [*self.onehot, *self.high_cardinality, *self.text]
            out.append(f"non-numeric columns: {', '.join(cols)}")
        missing = [p.name for p in self.profiles if p.name in self.impute and p.missing]
        infinite = [p.name for p in self.profiles if p.name in self.impute and p.infinite]
        if missing:
            out.append(f"missing values in: {', '.join(missing)}")
        if infinite:
            out.append(f"infinite values in: {', '.join(infinite)}")
        return out

    def describe(self) -> dict[str, Any]:
        """Plain data for the report: whether preprocessing applies and why, and each
        column's kind and transformer.

        Keys: ``mode``, ``applied`` (bool), ``reasons`` (list of str), ``revision``,
        ``scale``, ``max_onehot``, ``kinds`` (kind → columns), ``transformers`` (kind →
        words), ``columns`` (one entry per column: ``column, kind, transformer, levels,
        missing, infinite``).
        """
        applied = self.needed
        columns = []
        for p in self.profiles:
            kind = self.kind_of(p.name)
            words = TRANSFORMERS[kind] if applied else "passed through (no preprocessing)"
            if applied and self.scale and kind in ("numeric", "impute"):
                words = "standardised" if kind == "numeric" else words + ", standardised"
            columns.append({"column": p.name, "kind": kind, "transformer": words,
                            "levels": p.levels, "missing": p.missing,
                            "infinite": p.infinite})
        return {
            "mode": self.mode,
            "applied": applied,
            "reasons": self.reasons(),
            "revision": PREPROCESS_REVISION,
            "scale": self.scale,
            "max_onehot": self.max_onehot,
            "kinds": {k: list(getattr(self, k)) for k in KINDS},
            "transformers": dict(TRANSFORMERS),
            "columns": columns,
        }


def preprocess_summary(described: dict[str, Any] | None) -> str | None:
    """One sentence on what preprocessing did, from :meth:`PreprocessPlan.describe` (the
    plain data a study stores with its context); None for a study made before
    preprocessing existed.

    Example:
        >>> import numpy as np, pandas as pd
        >>> X = pd.DataFrame({"student": pd.Categorical(["No", "Yes", "No", "Yes"]),
        ...                   "balance": [729.5, np.inf, 1073.5, np.nan], "age": [1, 2, 3, 4]})
        >>> plan = plan_preprocessing(profile_frame(X), None, task="classification")
        >>> print(*preprocess_summary(plan.describe()).split("; "), sep=chr(10))
        applied in every trial, fitted on its training rows (non-numeric columns: student
        missing values in: balance
        infinite values in: balance): student one-hot
        balance inf → missing, median imputation + missing indicator, standardised
        age standardised
        >>> preprocess_summary(plan_preprocessing(profile_frame(X[["age"]]), None,
        ...                                       task="classification").describe())
        'not needed: every feature column is a complete number'
    """
    if not described:
        return None
    if described.get("mode") == "none":
        return "off (preprocess: mode none): the models took the table as it is"
    if not described.get("applied"):
        return "not needed: every feature column is a complete number"
    by_words: dict[str, list[str]] = {}
    for c in described.get("columns", ()):
        by_words.setdefault(c["transformer"], []).append(str(c["column"]))
    parts = [f"{_names(cols)} {words}" for words, cols in by_words.items()]
    why = "; ".join(described.get("reasons") or ())
    return ("applied in every trial, fitted on its training rows"
            + (f" ({why})" if why else "") + ": " + "; ".join(parts))


def _names(cols: Sequence[str], shown: int = 5) -> str:
    """``a, b, c`` or, for many, ``a, b, c, d, e and 7 more``."""
    if len(cols) <= shown + 1:
        return ", ".join(cols)
    return f"{', '.join(cols[:shown])} and {len(cols) - shown} more"


def _profile_category(name: str, codes: np.ndarray, categories: Sequence[Any]) -> ColumnProfile:
    codes = np.asarray(codes)
    present = codes[codes >= 0]
    used = np.flatnonzero(np.bincount(present, minlength=len(categories)) > 0)
    sample = [categories[i] for i in used[:_WORD_SAMPLE]]
    words = float(np.mean([len(str(v).split()) for v in sample])) if sample else 0.0
    return ColumnProfile(name, "category", levels=len(used), missing=int(len(codes) -
                                                                          len(present)),
                         mean_words=words)


def _profile_numeric(name: str, values: np.ndarray) -> ColumnProfile:
    values = np.asarray(values)
    if values.dtype.kind != "f":
        return ColumnProfile(name, "numeric")
    nan = np.isnan(values)
    inf = np.isinf(values)
    return ColumnProfile(name, "numeric", missing=int(nan.sum()), infinite=int(inf.sum()))


def profile_arrays(columns: Iterable[Mapping[str, Any]],
                   arrays: Iterable[np.ndarray]) -> list[ColumnProfile]:
    """Profiles of a data store's columns (its ``meta.json`` entries and the arrays:
    category codes, or numbers), as a worker sees them.

    Example:
        >>> meta = [{"name": "c", "kind": "category", "categories": ["a", "b c d"]}]
        >>> profile_arrays(meta, [np.array([0, 1, -1])])[0].missing
        1
    """
    out = []
    for col, arr in zip(columns, arrays, strict=True):
        if col["kind"] == "category":
            out.append(_profile_category(col["name"], arr, col["categories"]))
        else:
            out.append(_profile_numeric(col["name"], arr))
    return out


def profile_frame(X: pd.DataFrame) -> list[ColumnProfile]:
    """Profiles of a prepared feature table (string columns as categoricals, as
    :func:`dataroi.data.prepare_data` leaves them); the same as :func:`profile_arrays`
    gives for its stored copy."""
    import pandas as pd

    out = []
    for name in X.columns:
        col = X[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out.append(_profile_category(str(name), col.cat.codes.to_numpy(),
                                         list(col.cat.categories)))
            continue
        arr = col.to_numpy()
        if arr.dtype == object:  # nullable numbers: stored as float64 with NaN
            arr = col.to_numpy(dtype="float64", na_value=np.nan)
        out.append(_profile_numeric(str(name), arr))
    return out


def _forced_levels(values: np.ndarray | None) -> int:
    if values is None:
        return 0
    values = np.asarray(values)
    if values.dtype.kind == "f":
        values = values[~np.isnan(values)]
    return len(np.unique(values))


def plan_preprocessing(profiles: Sequence[ColumnProfile],
                       config: PreprocessSpec | Mapping[str, Any] | None, *, task: str,
                       values: Mapping[str, np.ndarray] | None = None) -> PreprocessPlan:
    """Give each column its kind (see the module's table).

    Args:
        profiles: the columns' profiles (:func:`profile_frame`, :func:`profile_arrays`).
        config: the ``preprocess:`` section (a :class:`PreprocessSpec` or its
            ``to_dict()``); None: the defaults.
        task: ``classification`` or ``regression``.
        values: the values of numeric columns listed in ``categorical_columns`` (their
            levels are counted to choose one-hot or target encoding).

    Raises:
        UsageError: ``config`` holds an unknown mode.
    """
    if config is None:
        config = PreprocessSpec()
    cfg = config.to_dict() if isinstance(config, PreprocessSpec) else dict(config)
    mode = str(cfg.get("mode", "auto"))
    if mode not in ("auto", "none"):
        raise UsageError(f"preprocess.mode: must be auto or none, got {mode!r}")
    max_onehot = int(cfg.get("max_onehot", 30))
    text_cols = set(cfg.get("text_columns") or ())
    cat_cols = set(cfg.get("categorical_columns") or ())
    kinds: dict[str, list[str]] = {k: [] for k in KINDS}
    final: list[ColumnProfile] = []
    for p in profiles:
        if p.name in text_cols:
            kind = "text"
        elif p.stored == "category" or p.name in cat_cols:
            if p.stored != "category":  # numeric codes treated as categories
                p = ColumnProfile(p.name, p.stored, levels=_forced_levels(
                    (values or {}).get(p.name)), missing=p.missing, infinite=p.infinite,
                    mean_words=1.0)
            if p.levels <= max_onehot:
                kind = "onehot"
            elif p.mean_words >= TEXT_MIN_WORDS and p.name not in cat_cols:
                kind = "text"
            else:
                kind = "high_cardinality"
        elif p.missing or p.infinite:
            kind = "impute"
        else:
            kind = "numeric"
        kinds[kind].append(p.name)
        final.append(p)
    return PreprocessPlan(mode=mode, task=task, scale=bool(cfg.get("scale", True)),
                          max_onehot=max_onehot, profiles=tuple(final),
                          **{k: tuple(v) for k, v in kinds.items()})
