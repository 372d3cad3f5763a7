"""Turn a spec's data and split sections into a prepared data set.

Preparing checks the data against the spec (columns exist, target usable, task), encodes
class labels as codes 0..k-1, compacts string columns to categoricals, fingerprints the
content, and splits the rows into a held-out test set and the training pool.

Example:
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
    ...                        "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> prep = prepare_data(spec)
    >>> prep.task, len(prep.classes), len(prep.pool_idx), len(prep.test_idx)
    ('classification', 3, 120, 30)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._names import did_you_mean
from dataroi._random import split_seed
from dataroi.data._fingerprint import fingerprint_frame
from dataroi.data._load import read_table
from dataroi.exceptions import DataError
from dataroi.spec import StudySpec, canonical_hash

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.data._columns import PreprocessPlan

__all__ = ["PreparedData", "infer_task", "prepare_data"]

_MAX_CLASSES_AUTO = 50


@dataclass
class PreparedData:
    """A data set ready for trials.

    Attributes:
        X: feature columns (string columns as categoricals).
        y: class codes (int) for classification, float values for regression.
        task: ``classification`` or ``regression``.
        classes: original class labels in code order (empty for regression).
        pool_idx, test_idx: row positions of the training pool and the test set.
        fingerprint: SHA-256 of the full loaded content (and of the test file if any).
        source: where the data came from.
        notes: what preparing did that the user should know (dropped rows, task...).
    """

    X: pd.DataFrame
    y: np.ndarray
    task: str
    classes: list[Any]
    pool_idx: np.ndarray
    test_idx: np.ndarray
    fingerprint: str
    source: str
    n_rows_loaded: int
    dtypes: dict[str, str]
    notes: list[str] = field(default_factory=list)

    @property
    def n_classes(self) -> int | None:
        return len(self.classes) if self.task == "classification" else None

    @property
    def pool_size(self) -> int:
        return len(self.pool_idx)

    def context_hash(self, spec: StudySpec) -> str:
        """Hash of everything that makes trials comparable (data, split, task, seed)."""
        return canonical_hash({
            "fingerprint": self.fingerprint,
            "target": spec.data.target,
            "features": list(self.X.columns),
            "task": self.task,
            "drop_missing_target": spec.data.drop_missing_target,
            "split": spec.to_dict()["split"],
            "seed": spec.schedule.seed,
            **({"float32": True} if spec.data.float32 else {}),
        })

    def preprocess_plan(self, spec: StudySpec) -> PreprocessPlan:
        """Which transformer each feature column gets under the spec's ``preprocess:``
        section (the plan every worker derives from its copy of the data).

        Example:
            >>> from dataroi.spec import spec_from_dict
            >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [30]},
            ...     "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
            >>> prep = prepare_data(spec)
            >>> plan = prep.preprocess_plan(spec)
            >>> plan.needed, len(plan.numeric)
            (False, 4)
            >>> plan.describe()["applied"]
            False
        """
        from dataroi.data._columns import plan_preprocessing, profile_frame

        cat = set(spec.preprocess.categorical_columns)
        values = {c: self.X[c].to_numpy() for c in self.X.columns if c in cat}
        return plan_preprocessing(profile_frame(self.X), spec.preprocess, task=self.task,
                                  values=values)

    def describe(self, spec: StudySpec) -> dict[str, Any]:
        """Plain-data description of the context (stored with it in the ledger); its
        ``preprocess`` entry is :meth:`PreprocessPlan.describe` of
        :meth:`preprocess_plan`."""
        from dataroi.data._store import cache_name

        return {
            "source": self.source,
            "fingerprint": self.fingerprint,
            "target": spec.data.target,
            "features": list(self.X.columns),
            "task": self.task,
            "classes": [str(c) for c in self.classes],
            "split": spec.to_dict()["split"],
            "seed": spec.schedule.seed,
            "pool_size": self.pool_size,
            "test_size": len(self.test_idx),
            "n_rows": self.n_rows_loaded,
            # where the workers' copy of the data is kept (``<workdir>/cache/<name>``)
            "data_cache": cache_name(self),
            "preprocess": self.preprocess_plan(spec).describe(),
        }


def infer_task(y: pd.Series) -> str:
    """``classification`` for text, bool, categorical or few distinct integers.

    Example:
        >>> import pandas as pd
        >>> infer_task(pd.Series([0.5, 1.25, 3.0])), infer_task(pd.Series([0, 1, 1]))
        ('regression', 'classification')
    """
    import pandas as pd

    if isinstance(y.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(y) or (
        pd.api.types.is_object_dtype(y) or pd.api.types.is_string_dtype(y)
    ):
        return "classification"
    values = y.dropna().to_numpy()
    integral = pd.api.types.is_integer_dtype(y) or bool(np.all(np.mod(values, 1) == 0))
    if integral and y.nunique() <= _MAX_CLASSES_AUTO:
        return "classification"
    return "regression"


def _compact(X: pd.DataFrame, *, float32: bool = False,
             notes: list[str] | None = None) -> pd.DataFrame:
    """Store string columns as categoricals (compact, and what the worker store needs);
    with ``float32``, floating-point columns as float32; dates and times (a Parquet
    table's timestamps) as days since 1970-01-01, a number every model takes (a note
    says so in ``notes``).

    Example:
        >>> import pandas as pd
        >>> X = pd.DataFrame({"at": pd.to_datetime(["1970-01-02 12:00", None])})
        >>> said = []
        >>> _compact(X, notes=said)["at"].tolist(), said  # doctest: +ELLIPSIS
        ([1.5, nan], ['at: dates and times as days since 1970-01-01 (a number: ...'])
    """
    import pandas as pd

    out = {}
    dates, durations, nested = [], [], []
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_datetime64_any_dtype(col):
            tz = getattr(col.dtype, "tz", None)
            out[name] = (col - pd.Timestamp(0, tz=tz)) / pd.Timedelta(days=1)
            dates.append(str(name))
            continue
        if pd.api.types.is_timedelta64_dtype(col):
            out[name] = col / pd.Timedelta(days=1)
            durations.append(str(name))
            continue
        if float32 and pd.api.types.is_float_dtype(col) and col.dtype != "float32":
            out[name] = col.astype("float32")
            continue
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            if isinstance(col.dtype, pd.CategoricalDtype):
                out[name] = col
            else:
                try:
                    out[name] = col.astype("category")
                except TypeError:  # unhashable values: lists, arrays, dicts
                    nested.append(str(name))
        elif pd.api.types.is_bool_dtype(col):
            out[name] = col.astype("int8")
        else:
            out[name] = col
    if nested:
        raise DataError(f"feature columns {nested} hold lists or other nested values, which "
                        "no model takes; spread them over columns of their own, or leave "
                        "them out with data.features")
    if dates and notes is not None:
        notes.append(f"{', '.join(dates)}: dates and times as days since 1970-01-01 (a "
                     "number: a trend the models can read; to give them the weekday, hour "
                     "or month, add those as columns)")
    if durations and notes is not None:
        notes.append(f"{', '.join(durations)}: durations in days")
    return pd.DataFrame(out, index=X.index)


def is_nested(col: pd.Series) -> bool:
    """Whether a column holds lists, arrays, dicts or sets (a Parquet table's nested
    values): they are neither numbers nor categories.

    Example:
        >>> import pandas as pd
        >>> is_nested(pd.Series([[1, 2], None])), is_nested(pd.Series(["a", None]))
        (True, False)
    """
    import numpy as np

    return col.dtype == object and any(  # the unhashable ones (a tuple is a category)
        isinstance(v, (list, dict, set, np.ndarray)) for v in col.to_numpy())


def prepare_data(spec: StudySpec) -> PreparedData:
    """Load, check, encode and split the data of ``spec``.

    Raises:
        ContractError: the table breaks the spec's ``contract:`` (every violation).
        DataError: missing columns, empty data, a missing target, a single class, or a
            split that cannot be made — each with what to do about it.
    """
    import pandas as pd

    data = spec.data
    frame = read_table(data.source, spec.base_dir)
    source = data.source
    n_main = len(frame)
    fingerprint = fingerprint_frame(frame)
    if spec.split.test_file:
        test_frame = read_table(spec.split.test_file, spec.base_dir)
        missing = [c for c in frame.columns if c not in test_frame.columns]
        if missing:
            raise DataError(f"split.test_file: columns {missing} of the training data are "
                            f"missing in {spec.split.test_file}")
        test_frame = test_frame[list(frame.columns)]
        fingerprint = canonical_hash([fingerprint, fingerprint_frame(test_frame)])
        frame = pd.concat([frame, test_frame], ignore_index=True)
        source = f"{data.source} + test {spec.split.test_file}"
    if spec.contract is not None:  # before anything else is read from the table
        spec.contract.validate(frame)
    n_rows_loaded = len(frame)

    problems = []
    if data.target not in frame.columns:
        problems.append(f"data.target: column '{data.target}' not found"
                        f"{did_you_mean(data.target, frame.columns)}; columns: "
                        f"{_preview(frame.columns)}")
    split_cols = [c for c in (spec.split.group_column, spec.split.time_column) if c]
    for c in split_cols:
        if c not in frame.columns:
            problems.append(f"split: column '{c}' not found{did_you_mean(c, frame.columns)}"
                            f"; columns: {_preview(frame.columns)}")
    if data.features is not None:
        missing = [f for f in data.features if f not in frame.columns]
        if missing:
            hints = "".join(did_you_mean(f, frame.columns) for f in missing)
            problems.append(f"data.features: columns {missing} not found{hints}; columns: "
                            f"{_preview(frame.columns)}")
        features = list(data.features)
    else:
        features = [c for c in frame.columns if c != data.target and c not in split_cols]
    if not features and not problems:
        problems.append("data: no feature columns left besides the target")
    for key in ("text_columns", "categorical_columns"):
        for i, col in enumerate(getattr(spec.preprocess, key)):
            if col not in features:
                problems.append(f"preprocess.{key}[{i}]: '{col}' is not a feature column"
                                f"{did_you_mean(col, features)}; features: "
                                f"{_preview(features)}")
    if problems:
        raise DataError("; ".join(problems))

    notes: list[str] = []
    target = frame[data.target]
    missing_target = target.isna().to_numpy()
    if missing_target.any():
        n_missing = int(missing_target.sum())
        if not data.drop_missing_target:
            raise DataError(f"target '{data.target}' is missing in {n_missing} of {len(frame)} "
                            "rows; fill them or set data.drop_missing_target: true")
        keep = ~missing_target
        if spec.split.test_file:
            n_main = int(keep[:n_main].sum())
        frame = frame.loc[keep].reset_index(drop=True)
        target = frame[data.target]
        notes.append(f"dropped {n_missing:,} rows with a missing target "
                     f"({len(frame):,} rows left)")
        if len(frame) == 0:
            raise DataError("no rows left after dropping rows with a missing target")

    task = data.task if data.task != "auto" else infer_task(target)
    if data.task == "auto":
        notes.append(f"task: {task} (inferred from the target; set data.task to override)")
    classes: list[Any] = []
    if task == "classification":
        codes, uniques = pd.factorize(target, sort=True)
        classes = list(uniques)
        if len(classes) < 2:
            raise DataError(f"target '{data.target}' has a single class ({classes[0]!r}); "
                            "a classifier needs at least two")
        y = codes.astype(np.int64)
    else:
        if not pd.api.types.is_numeric_dtype(target) or pd.api.types.is_bool_dtype(target):
            raise DataError(f"target '{data.target}' is not numeric ({target.dtype}); a "
                            "regression needs numbers (or set data.task: classification)")
        y = target.to_numpy(dtype=np.float64)
        n_inf = int(np.isinf(y).sum())
        if n_inf:
            raise DataError(f"target '{data.target}' holds {n_inf} infinite value"
                            f"{'s' * (n_inf > 1)}; no model can learn or be scored on them: "
                            "fix or drop those rows")
        if len(y) and np.nanmin(y) == np.nanmax(y):
            raise DataError(f"target '{data.target}' holds one value ({y[0]:g}) on every row; "
                            "there is nothing to learn or to score")

    X = _compact(frame[features], float32=data.float32, notes=notes)
    bad = [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c])
                                        or isinstance(X[c].dtype, pd.CategoricalDtype))]
    if bad:
        raise DataError(f"feature columns {bad} have types "
                        f"{[str(X[c].dtype) for c in bad]}; convert them to numbers or "
                        "strings, or leave them out with data.features")
    pool_idx, test_idx = _split(spec, frame, y, task, n_main)
    for name, idx in (("training pool", pool_idx), ("test set", test_idx)):
        if len(idx) == 0:
            raise DataError(f"the {name} is empty; adjust split.test_size")
    if task == "classification":
        pool_classes = np.unique(y[pool_idx])
        if len(pool_classes) < 2:
            raise DataError("the training pool holds a single class; check the split")
    dtypes = {c: str(frame[c].dtype) for c in frame.columns}
    return PreparedData(X=X, y=y, task=task, classes=classes, pool_idx=pool_idx,
                        test_idx=test_idx, fingerprint=fingerprint, source=source,
                        n_rows_loaded=n_rows_loaded, dtypes=dtypes, notes=notes)


def _preview(cols: Any, k: int = 12) -> str:
    cols = list(cols)
    more = f", ... ({len(cols)} in all)" if len(cols) > k else ""
    return ", ".join(map(str, cols[:k])) + more


def _test_count(test_size: float | int, n: int, what: str) -> int:
    count = int(np.ceil(test_size * n)) if isinstance(test_size, float) else int(test_size)
    if not 1 <= count < n:
        raise DataError(f"split.test_size: {test_size} gives {count} test {what} of {n}; it "
                        f"must leave at least one {what[:-1]} on each side")
    return count


def group_test_rows(groups: pd.Series, test_size: float | int, seed: int) -> np.ndarray:
    """Which rows the test set holds when whole groups go to it (``split.group_column``):
    ``test_size`` of the distinct groups (a share, or a count), drawn with the study's
    ``seed``; a boolean mask.

    Example:
        >>> import pandas as pd
        >>> mask = group_test_rows(pd.Series(list("aabbccddee")), 0.2, seed=0)
        >>> int(mask.sum()), len(set(pd.Series(list("aabbccddee"))[mask]))
        (2, 1)
    """
    uniq = np.array(sorted(groups.unique(), key=str), dtype=object)
    n_test_groups = _test_count(test_size, len(uniq), "groups")
    rng = np.random.default_rng(split_seed(seed))
    test_groups = set(rng.choice(uniq, size=n_test_groups, replace=False).tolist())
    return groups.isin(test_groups).to_numpy()


def _split(spec: StudySpec, frame: pd.DataFrame, y: np.ndarray, task: str,
           n_main: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(frame)
    rng_seed = split_seed(spec.schedule.seed)
    split = spec.split
    if split.test_file:
        return np.arange(n_main), np.arange(n_main, n)
    if split.group_column:
        groups = frame[split.group_column]
        if groups.isna().any():
            raise DataError(f"split.group_column '{split.group_column}' has "
                            f"{int(groups.isna().sum())} missing values")
        is_test = group_test_rows(groups, split.test_size or 0.2, spec.schedule.seed)
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    if split.time_column:
        import pandas as pd

        t = frame[split.time_column]
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_datetime64_any_dtype(t)):
            try:
                t = pd.to_datetime(t)
            except (ValueError, TypeError):
                raise DataError(f"split.time_column '{split.time_column}' is neither numeric "
                                "nor parseable as dates") from None
        if t.isna().any():
            raise DataError(f"split.time_column '{split.time_column}' has "
                            f"{int(t.isna().sum())} missing values")
        count = _test_count(split.test_size or 0.2, n, "rows")
        order = np.argsort(t.to_numpy(), kind="stable")
        cutoff = t.to_numpy()[order[n - count]]
        is_test = (t.to_numpy() >= cutoff)
        if is_test.all():
            raise DataError(f"split.time_column: every row shares the cut-off time {cutoff}")
        return np.flatnonzero(~is_test), np.flatnonzero(is_test)
    count = _test_count(split.test_size if split.test_size is not None else 0.2, n, "rows")
    stratify = split.stratify if split.stratify is not None else task == "classification"
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    if stratify and task == "classification":
        counts = np.bincount(y)
        rare = [i for i, c in enumerate(counts) if c < 2]
        if rare:
            raise DataError(f"classes with fewer than 2 rows cannot be stratified: codes {rare}; "
                            "set split.stratify: false or drop them")
        k, fewer = int(np.count_nonzero(counts)), min(count, n - count)
        if fewer < k:
            side = "test set" if count < k else "training pool"
            raise DataError(f"split.test_size: {split.test_size} leaves {fewer} "
                            f"row{'s' * (fewer != 1)} in the {side}, fewer than the {k} "
                            "classes a stratified split puts in each side; give a fraction "
                            "such as 0.2 (a whole number is a count of rows)")
        try:
            pool, test = train_test_split(idx, test_size=count, random_state=rng_seed,
                                          stratify=y)
        except ValueError as exc:
            raise DataError(f"cannot make a stratified split: {exc}") from None
    else:
        pool, test = train_test_split(idx, test_size=count, random_state=rng_seed)
    return np.sort(pool), np.sort(test)
