"""A study spec fitted to a table (``dataroi init --from table.csv``).

From the table alone, :func:`draft_spec` picks what a first study needs: the target (a
column named target, label, class or y unless one is given), the task (from the target's
type and number of distinct values, as :func:`infer_task` does when the study runs), the
metrics (from the task and the class balance), geometric sizes from a small size where the
rarest class still has about five examples up to the whole training pool, and three
scikit-learn models. The written spec says why it chose its primary metric and ends with
the ``costs:`` and ``decision:`` sections, commented out.

The primary metric:

========================================  ============================================
binary, minority under 10 %               ``average_precision`` (+ ``roc_auc``, ``mcc``)
several classes, smallest under 5 %       ``balanced_accuracy``
classification otherwise                  ``accuracy`` (+ ``roc_auc`` if binary)
regression                                ``r2`` (+ ``rmse``, ``mae``)
========================================  ============================================

Average precision scores the class that sorts last (code 1: 1, True, "Yes"). When the
rare class sorts first, it would score the common class, so ``roc_auc`` (the same for
either class) is primary instead, and the spec says how to recode the target.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [i % 7 for i in range(1000)],
    ...                       "label": ["no"] * 960 + ["yes"] * 40})
    >>> draft = draft_spec(frame, source="t.csv")
    >>> draft.target, draft.task, draft.metrics
    ('label', 'classification', ('average_precision', 'roc_auc', 'mcc'))
    >>> print(draft.reason)  # doctest: +NORMALIZE_WHITESPACE
    4.0 % 'yes' in label: accuracy would reward always saying 'no' (96.0 % right); average
    precision (PR AUC) rates how well the 'yes' rows are ranked first
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataroi._names import did_you_mean
from dataroi.data._checks import (
    _PER_CLASS,
    _SMALLEST,
    _pct,
    _round2,
    _sample,
    check_leaks,
    check_missing_codes,
    latest_start,
    whole_numbers,
)
from dataroi.data._identifiers import group_column, is_identifier, is_key, is_row_counter
from dataroi.data._prepare import _compact, infer_task, is_nested
from dataroi.exceptions import DataError, UsageError
from dataroi.spec import ScheduleSpec, decision_sections, metric_choices

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TARGET_NAMES", "SpecDraft", "draft_spec", "target_column"]

#: Column names taken as the target when none is given (case-insensitive, in this order).
TARGET_NAMES: tuple[str, ...] = ("target", "label", "class", "y")

_RARE_BINARY = 0.10      # minority share under which a binary target is imbalanced
_RARE_MULTICLASS = 0.5   # several classes are imbalanced when the rarest has under half
                         # an even share (1/K), at most _RARE_BINARY: 20 classes at 3.3 %
                         # each are balanced (an even share is 5 %), 3 with one at 6 % not
_MAX_SIZES = 8
#: whole numbers of this many distinct values may be codes (a region 1-4, a marital
#: status 1-6) rather than amounts: the draft asks (two values are a flag either way)
_CODE_LEVELS = (3, 12)
#: ... asked about in at most this many columns (more: a survey's item scales, not codes)
_CODE_COLUMNS = 12
#: the table's rows without a label become the example's unlabeled pool from this many
_UNLABELED_POOL = 1000
_TEST_SIZE = 0.2
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}

_MODELS = {
    "classification": """\
# A spec is code, like a Makefile: `dataroi run` imports the modules its models name
# (estimator:, factory:) and calls them. Run only specs you trust; the reading
# commands (status, trials, value, plan, report) import and call none of it.
models:                      # three kinds of learner; all see the same subsets (paired)
  logreg:                    # a linear baseline on features scaled to unit variance
    pipeline:                # (not centred: text's TF-IDF and one-hot columns stay sparse)
      - estimator: sklearn.preprocessing.StandardScaler
        params: {with_mean: false}
      - estimator: sklearn.linear_model.LogisticRegression
        params: {max_iter: 2000}
  hgb:                       # gradient-boosted trees (the same model at every size)
    sklearn.ensemble.HistGradientBoostingClassifier: {max_iter: 200, early_stopping: false}
  forest: sklearn.ensemble.RandomForestClassifier
""",
    "regression": """\
# A spec is code, like a Makefile: `dataroi run` imports the modules its models name
# (estimator:, factory:) and calls them. Run only specs you trust; the reading
# commands (status, trials, value, plan, report) import and call none of it.
models:                      # three kinds of learner; all see the same subsets (paired)
  ridge:                     # a linear baseline on features scaled to unit variance
    pipeline:                # (not centred: text's TF-IDF and one-hot columns stay sparse)
      - estimator: sklearn.preprocessing.StandardScaler
        params: {with_mean: false}
      - sklearn.linear_model.Ridge
  hgb:                       # gradient-boosted trees (the same model at every size)
    sklearn.ensemble.HistGradientBoostingRegressor: {max_iter: 200, early_stopping: false}
  forest: sklearn.ensemble.RandomForestRegressor
""",
}
_MODEL_NAMES = {"classification": ("logreg", "hgb", "forest"),
                "regression": ("ridge", "hgb", "forest")}


@dataclass(frozen=True)
class SpecDraft:
    """A study spec written for one table.

    Attributes:
        text: the spec as commented YAML (validated: it loads as it stands).
        target: the target column.
        task: ``classification`` or ``regression``.
        metrics: the metrics, the primary one first.
        reason: why the primary metric, in words (also a comment of ``text``).
        sizes: the training-set sizes the schedule gives for this table.
        notes: what else the draft decided (columns left out, rows without a label).
    """

    text: str
    target: str
    task: str
    metrics: tuple[str, ...]
    reason: str
    sizes: tuple[int, ...]
    notes: tuple[str, ...] = ()


def draft_spec(frame: pd.DataFrame, *, source: str, target: str | None = None,
               name: str = "my-study") -> SpecDraft:
    """Write a study spec fitted to ``frame``.

    Args:
        frame: the table (as :func:`~dataroi.data.read_table` reads it).
        source: the table's path as the spec should name it (relative to the spec's
            folder, or absolute).
        target: the column to predict; default: the first column named target, label,
            class or y (any case).
        name: the study's name (letters, digits, ``_``, ``-``, ``.``).

    Returns:
        A :class:`SpecDraft`.

    Raises:
        UsageError: no target column given or found (the message lists the columns).
        DataError: the target has no value, or a single one; or no other column is left.

    Example:
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> frame = pd.DataFrame({"Price": rng.normal(size=500), "x": rng.normal(size=500)})
        >>> draft = draft_spec(frame, source="houses.csv", target="Price")
        >>> draft.task, draft.metrics, draft.sizes[0], draft.sizes[-1]
        ('regression', ('r2', 'rmse', 'mae'), 50, 400)
    """
    col = target_column(frame, target)
    y = frame[col]
    n_missing = int(y.isna().sum())
    y = y.dropna()
    if len(y) == 0:
        raise DataError(f"target '{col}' has no value in any of the {len(frame):,} rows")
    if y.nunique() < 2:
        raise DataError(f"target '{col}' has a single value ({y.iloc[0]!r}) in all "
                        f"{len(y):,} labeled rows: there is nothing to predict")
    notes: list[str] = []
    nested = [c for c in frame.columns if c != col and is_nested(frame[c])]
    counters = [c for c in frame.columns if c != col and c not in nested
                and (is_row_counter(frame[c]) or is_key(frame[c]))]
    labeled = frame.loc[frame[col].notna()]
    task = infer_task(y)
    # a column with no value, or one value, on the labeled rows tells a model nothing
    # (a trailing comma in a CSV header makes one: 'Unnamed: 6')
    blank = {c: ("every value missing" if labeled[c].isna().all() else
                 "one value on every row") for c in frame.columns
             if c != col and c not in nested and labeled[c].nunique() < 2}
    if not [c for c in frame.columns if c != col and c not in counters + nested
            and c not in blank]:
        blank = {}  # nothing else would be left: `dataroi check` says why they are no use
    counters = [c for c in counters if c not in blank]
    candidates = [c for c in frame.columns
                  if c != col and c not in counters + nested and c not in blank]
    leaks = _leaks(labeled[candidates], y, task)
    if len(leaks) == len(candidates):
        leaks = {}  # every column alone gives the target: leave the verdict to the user
    group = group_column(labeled, [c for c in candidates if c not in leaks],
                         y.to_numpy(), categorical=task == "classification")
    # an identifier that is not the split's group (its rows do not share their target)
    # still names entities rather than describing them
    kept = [c for c in candidates if c not in leaks and c != group]
    ids = [c for c in kept if is_identifier(labeled[c])]
    if len(ids) == len(kept):
        ids = []  # nothing else would be left: they stay, the user decides
    features = [c for c in kept if c not in ids]
    if not features:
        raise DataError(f"no feature column besides the target '{col}' "
                        f"(columns: {_preview(frame.columns)})")
    codes = _code_columns(labeled, features)
    if counters:
        notes.append(f"left out {', '.join(counters)}: a row counter or key, not a feature")
    for c in ids:
        notes.append(f"left out {c}: named as an identifier ({labeled[c].nunique():,} values), "
                     "not a feature (add it to data.features if its value describes the row)")
    for why in dict.fromkeys(blank.values()):
        notes.append(f"left out {', '.join(c for c, w in blank.items() if w == why)}: {why}, "
                     "no information for any model")
    if nested:
        notes.append(f"left out {', '.join(nested)}: lists or other nested values, which no "
                     "model takes (spread them over columns of their own to use them)")
    for column, why in leaks.items():
        notes.append(f"left out {column}: {why}, a leak? (add it to data.features if it is "
                     "known before the label)")
    if codes:
        notes.append(f"{_preview(codes, 6)}: whole numbers of {_levels(labeled, codes)} values, "
                     "read as amounts; if they are codes (a region, a status), uncomment "
                     "preprocess.categorical_columns in the spec to one-hot them")
    notes.extend(c.message for c in check_missing_codes(labeled[features]))
    if n_missing:
        notes.append(f"{n_missing:,} rows without a label are dropped")

    n = len(y)
    if group is not None:
        from dataroi.data._prepare import group_test_rows

        n_test = int(group_test_rows(labeled[group], _TEST_SIZE, seed=0).sum())
        pool = n - n_test
        k = labeled[group].nunique()
        notes.append(f"split by {group}: its {k:,} values repeat ({n / k:.1f} labeled rows "
                     f"each); the test set holds all rows of its values, so that no model is "
                     f"scored on {group} values it trained on (split.group_column; left out "
                     "of the features)")
    else:
        pool = n - math.ceil(_TEST_SIZE * n)
    if task == "classification":
        import pandas as pd

        counts = y.value_counts()
        single = [_label(c) for c, k in counts.items() if k < 2]
        if single:
            raise DataError(f"target '{col}': {', '.join(single[:5])} label a single row; the "
                            "stratified test split needs two of each class (drop or merge "
                            "those rows)")
        last = pd.factorize(y, sort=True)[1][-1]  # the class the study codes 1 if binary
        metrics, reason = _classification_metrics(col, counts, sorts_last=last)
        rarest = float(counts.min()) / n
        k = len(counts)
        what = f"{k} classes; the rarest, {_label(counts.index[-1])}, {_pct(rarest)} of rows"
    else:
        metrics, reason = ("r2", "rmse", "mae"), (
            f"a numeric target with {y.nunique():,} distinct values: r2 (the share of its "
            "variance explained) reads the same on any scale; rmse and mae are in its units")
        rarest, k = 1.0, 0
        what = f"numeric, {y.nunique():,} distinct values"
    lo, count, size_note = _schedule(pool, rarest, k)
    if size_note:
        notes.append(size_note)
    sizes = tuple(ScheduleSpec(geometric=(lo, None, count)).resolve_sizes(pool))
    text = _render(name=name, source=source, target=col, task=task, what=what,
                   n_rows=len(frame), n_missing=n_missing, features=features,
                   counters=counters, nested=nested, leaks=list(leaks), blank=blank,
                   ids=ids, codes=codes, metrics=metrics,
                   reason=reason, lo=lo, count=count, pool=pool, sizes=sizes,
                   size_note=size_note, group=group)
    _validate(text)
    return SpecDraft(text=text, target=col, task=task, metrics=tuple(metrics), reason=reason,
                     sizes=sizes, notes=tuple(notes))


# ----------------------------------------------------------------------------- choices
def _leaks(X: pd.DataFrame, y: pd.Series, task: str) -> dict[str, str]:
    """The columns that alone give the target (:func:`~dataroi.data.check_leaks` on the
    columns as a study prepares them, on a fixed sample of at most 20,000 labeled rows),
    each with what it gives.

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"x": [i % 7 for i in range(400)],
        ...                   "code": ["A", "B"] * 200})
        >>> y = pd.Series(["cat", "dog"] * 200)
        >>> _leaks(X, y, "classification")  # doctest: +NORMALIZE_WHITESPACE
        {'code': 'alone it gives the class of 100.0 % of rows (always guessing the
                  commonest class: 50.0 %)'}
    """
    import pandas as pd

    rows = _sample(len(X))  # the check's own sample, taken before the columns are encoded
    if rows is not None:
        X, y = X.iloc[rows], y.iloc[rows]
    X = _compact(X)  # as the study will see them: categories, numbers, dates as days
    codes = (pd.factorize(y, sort=True)[0] if task == "classification"
             else y.to_numpy(dtype=float))
    return {check.columns[0]: f"alone it {check.evidence}"
            for check in check_leaks(X.reset_index(drop=True), codes, task=task)}


def target_column(frame: pd.DataFrame, target: str | None = None) -> str:
    """The column to predict: ``target`` when the table has it, else the first column
    named target, label, class or y (:data:`TARGET_NAMES`, any case).

    Raises:
        DataError: ``target`` is not a column (with the closest name).
        UsageError: no target given and none of those names (the message lists the
            columns and, when they are named by numbers, points at the last).

    Example:
        >>> import pandas as pd
        >>> target_column(pd.DataFrame({"x": [1], "Label": [0]}))
        'Label'
    """
    cols = [str(c) for c in frame.columns]
    if target is not None:
        if target in cols:
            return target
        raise DataError(f"no column '{target}' in the table{did_you_mean(target, cols)}; "
                        f"columns: {_preview(cols)}")
    by_lower = {c.lower(): c for c in reversed(cols)}
    for wanted in TARGET_NAMES:
        if wanted in by_lower:
            return by_lower[wanted]
    names = f"{', '.join(TARGET_NAMES[:-1])} or {TARGET_NAMES[-1]}"
    last = frame.iloc[:, -1]
    # columns named by numbers: a file without a header row (its first row became the
    # names), or KEEL's and UCI's files read raw, whose class is the last column
    hint = (f"; the names are numbers (a file without a header row? its first row was "
            f"read as the names): the class may be the last column, '{cols[-1]}' "
            f"({last.nunique()} distinct values)" if len(cols) > 2
            and all(map(_numeric, cols)) and 2 <= last.nunique() <= 50 else "")
    raise UsageError(f"no column named {names}: name the column to predict with --target; "
                     f"columns: {_preview(cols)}{hint}")


def _classification_metrics(col: str, counts: pd.Series, *, sorts_last: Any
                            ) -> tuple[tuple[str, ...], str]:
    """The metrics of a classification target with class ``counts`` (largest first);
    ``sorts_last`` is the label the study codes last (the positive class if binary)."""
    n = float(counts.sum())
    share = counts / n
    rare, common = share.index[-1], share.index[0]
    if len(counts) == 2 and share.iloc[-1] < _RARE_BINARY:
        why = (f"{_pct(share.iloc[-1])} {_label(rare)} in {col}: accuracy would reward "
               f"always saying {_label(common)} ({_pct(share.iloc[0])} right)")
        if sorts_last == rare:
            return ("average_precision", "roc_auc", "mcc"), (
                f"{why}; average precision (PR AUC) rates how well the {_label(rare)} rows "
                "are ranked first")
        return ("roc_auc", "mcc", "balanced_accuracy"), (
            f"{why}; average_precision would score {_label(common)}, the label that sorts "
            f"last (recode {col} so that {_label(rare)} sorts last, e.g. 1, to use it)")
    even = 1.0 / len(counts)
    if len(counts) > 2 and share.iloc[-1] < min(_RARE_MULTICLASS * even, _RARE_BINARY):
        return ("balanced_accuracy", "f1_macro", "mcc", "accuracy"), (
            f"the rarest of {len(counts)} classes, {_label(rare)}, is {_pct(share.iloc[-1])} "
            f"of rows (an even share is {_pct(even)}): accuracy would barely notice it; "
            "balanced_accuracy (the mean recall over classes) weighs every class alike")
    if len(counts) == 2:
        return ("accuracy", "roc_auc"), (
            f"two classes, the rarer {_label(rare)} {_pct(share.iloc[-1])} of rows: balanced "
            "enough for accuracy to mean what it says; roc_auc rates the ranking")
    return ("accuracy", "balanced_accuracy", "f1_macro"), (
        f"{len(counts)} classes, the rarest {_label(rare)} {_pct(share.iloc[-1])} of rows (an "
        f"even share is {_pct(even)}): balanced enough for accuracy to mean what it says")


def _schedule(pool: int, rarest: float, n_classes: int) -> tuple[int, int, str]:
    """(smallest size, number of sizes, a note or ""): geometric up to the pool, from
    where the rarest class has about five rows in expectation, but at most a sixteenth
    of the pool (a curve needs room: four doublings), and never below the classes' count.

    Example:
        >>> _schedule(8000, 0.033, 2)
        (150, 7, '')
    """
    floor = min(_SMALLEST, max(pool // 8, 2))
    need = math.ceil(_PER_CLASS / rarest) if n_classes else 0
    lo = max(_round2(need), floor)
    cap = latest_start(pool)
    note = ""
    if lo > cap:
        lo = cap
        note = (f"the rarest class has {lo * rarest:.2g} rows in expectation at the "
                f"smallest size, not {_PER_CLASS}: a later start would leave no room for "
                "a curve")
    lo = max(lo, 2 * n_classes, 2)
    if lo >= pool:
        lo = max(pool // 2, 1)
        note = "a small table: hardly room for a curve"
    count = int(min(_MAX_SIZES, max(3, round(math.log2(pool / lo)) + 1)))
    return lo, count, note


# ----------------------------------------------------------------------------- text
def _render(*, name: str, source: str, target: str, task: str, what: str, n_rows: int,
            n_missing: int, features: list[str], counters: list[str], nested: list[str],
            leaks: list[str], blank: dict[str, str], ids: list[str], codes: list[str],
            metrics: tuple[str, ...], reason: str, lo: int, count: int, pool: int,
            sizes: tuple[int, ...], size_note: str, group: Any = None) -> str:
    from dataroi.metrics import get_metric

    lines = [
        f"# dataroi study spec, written by `dataroi init --from` for {source} "
        f"({n_rows:,} rows).",
        "# Check it, then:  dataroi run <this file>",
        f"name: {_scalar(name)}",
        "",
        "data:",
        f"  source: {_scalar(source)}",
        _commented(f"  target: {_scalar(target)}", what),
        _commented(f"  task: {task}", "from the target's type and number of values"),
    ]
    if n_missing:
        lines.append(_commented("  drop_missing_target: true", f"{n_missing:,} rows have no "
                                "label"))
    if counters:
        lines.append(f"  # left out: {', '.join(counters)} (a row counter or key, not a "
                     "feature)")
    if ids:
        lines.append(f"  # left out: {', '.join(ids)} (named as an identifier, not a feature)")
    if nested:
        lines.append(f"  # left out: {', '.join(nested)} (lists or other nested values)")
    if blank:
        lines.extend(f"  # {line}" for line in _wrap_words(
            "left out: " + ", ".join(f"{c} ({why})" for c, why in blank.items())))
    if leaks:
        lines.extend(f"  # {line}" for line in _wrap_words(
            f"left out: {', '.join(leaks)} (alone, {'each' if len(leaks) > 1 else 'it'} "
            "gives the target: a leak? add it back if it is known before the label)"))
    if counters or ids or nested or leaks or blank or group is not None:
        lines.extend(_wrapped("  features: ", [_scalar(f) for f in features]))
    else:
        lines.append(_commented("  # features: [a, b]", "default: every other column"))
    if codes:
        lines += ["", "# Whole numbers of few values are read as amounts; if these are codes (a "
                  "region,", "# a status), one-hot them:",
                  "# preprocess:",
                  *["#" + line for line in _wrapped("   categorical_columns: ",
                                                    [_scalar(c) for c in codes])]]
    strat = ", stratified by class" if task == "classification" else ""
    start = ("from about 5 rows of the rarest class to the whole pool"
             if task == "classification" else "up to the whole pool")
    lines += ["", _commented("split:", f"the held-out test set{strat}"
                             if group is None else f"the held-out test set: by {group}")]
    if group is not None:
        lines += [
            _commented(f"  group_column: {_scalar(str(group))}",
                       "each value's rows on one side only"),
            *[f"  # {line}" for line in _wrap_words(
                f"A model scored on {group} values it trained on looks better than it "
                f"will on new ones; delete group_column (and add {group} to the features) "
                f"if the rows to predict will come from the same {group} values.")]]
    lines += [
        _commented(f"  test_size: {_TEST_SIZE}",
                   f"{n_rows - n_missing - pool:,} rows; the training pool: {pool:,}"),
        "",
        _MODELS[task].rstrip("\n"),
        "",
        *[f"# {line}" for line in _wrap_words(f"Why {metrics[0]}: {reason}.")],
        f"metrics: [{', '.join(metrics)}]   # the first is the primary one",
        *[f"#   {m}: {get_metric(m).description}" for m in metrics],
        metric_choices().rstrip("\n"),
        "",
        "schedule:",
        f"  geometric: {{min: {lo}, max: all, count: {count}}}",
        *[f"  # {line}" for line in _wrap_words(
            f"sizes: {', '.join(map(str, sizes))}: {size_note or start}")],
        _commented("  repeats: 5", "nested subsets per repeat; models share them (paired)"),
        _commented("  seed: 0", "the root seed; every trial's seed derives from it"),
        "",
        _commented("# ledger: .dataroi/ledger.db", "or postgresql://user@host/db (or --ledger)"),
        _commented("# artifacts: /shared/preds", "stored predictions: a folder a team with a "
                   "shared ledger shares (or $DATAROI_ARTIFACTS)"),
        "",
    ]
    metric = get_metric(metrics[0])
    example = 0.9 if metric.unit_interval else 0.6
    return "\n".join(lines) + "\n" + decision_sections(
        metric=metrics[0], target=example, models=_MODEL_NAMES[task],
        unlabeled=n_missing if n_missing >= _UNLABELED_POOL else None)


def _code_columns(frame: pd.DataFrame, features: list[str]) -> list[str]:
    """The features of whole numbers with a few distinct values (:data:`_CODE_LEVELS`),
    which may be codes (a region 1-4, a marital status 1-6) read as amounts unless the
    spec lists them under ``preprocess.categorical_columns``; none when there are more
    than :data:`_CODE_COLUMNS` or most features are whole numbers of many values (pixels,
    counts: a table of measurements, as digits' 64 pixels).

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"region": [1, 4, 2, 3, 1], "flag": [0, 1, 1, 0, 1],
        ...                       "x": [1.5, 2.0, 3.0, 1.0, 2.5], "s": list("abcab")})
        >>> _code_columns(frame, ["region", "flag", "x", "s"])
        ['region']
    """
    lo, hi = _CODE_LEVELS
    levels = {c: int(frame[c].nunique()) for c in features
              if whole_numbers(frame[c]) is not None}  # each column read once
    codes = [c for c, k in levels.items() if lo <= k <= hi]
    many = [c for c, k in levels.items() if k > hi]
    return [] if len(codes) > _CODE_COLUMNS or len(many) > len(features) / 2 else codes


def _levels(frame: pd.DataFrame, columns: list[str]) -> str:
    """The numbers of distinct values of ``columns``, as a range ("4-6")."""
    counts = sorted({int(frame[c].nunique()) for c in columns})
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"


def _commented(line: str, comment: str, column: int = 29) -> str:
    """``line`` with ``# comment`` from ``column`` on (or one space after a long line)."""
    return f"{line:<{column - 1}} # {comment}"


def _scalar(text: str) -> str:
    """``text`` as a YAML scalar: plain when safe, else double-quoted (JSON is YAML)."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS and not _numeric(text):
        return text
    return json.dumps(text, ensure_ascii=False)


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _label(v: Any) -> str:
    return f"'{v}'"


def _preview(cols: Any, k: int = 20) -> str:
    cols = [str(c) for c in cols]
    more = f", ... ({len(cols)} in all)" if len(cols) > k else ""
    return ", ".join(cols[:k]) + more


def _wrap_words(text: str, width: int = 86) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=width) or [""]


def _wrapped(prefix: str, items: list[str], width: int = 88) -> list[str]:
    """A YAML flow list over several lines: ``prefix[a, b,`` / ``    c]``."""
    out, line = [], prefix + "["
    for i, item in enumerate(items):
        piece = item + ("]" if i == len(items) - 1 else ", ")
        if len(line) + len(piece) > width and line.strip() not in ("", prefix.strip() + "["):
            out.append(line.rstrip())
            line = " " * (len(prefix) + 1)
        line += piece
    out.append(line)
    return out


def _validate(text: str) -> None:
    """The drafted spec must load as it stands (else: a bug of ours, said plainly)."""
    from dataroi._yaml import parse_yaml
    from dataroi.spec import spec_from_dict

    spec_from_dict(parse_yaml(text, source="<drafted spec>"), source="<drafted spec>")
