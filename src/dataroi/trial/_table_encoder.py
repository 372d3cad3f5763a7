"""The table encoder a trial fits in front of its model: :class:`TableEncoder`.

One scikit-learn transformer turns a worker's rows (numbers, and strings as pandas
categoricals) into a numeric matrix, following a :class:`dataroi.data.PreprocessPlan`:

====================  ==========================================================
numbers               standardised (``scale``); passed as they are otherwise
numbers with missing  inf → NaN, standardised (NaN-aware), NaN → the training median,
or infinite values    plus a missing-value indicator per column that had NaN in training
≤ ``max_onehot``      one-hot of the levels seen in training (an unseen level: zeros;
levels                missing: a level of its own when training had it)
more levels           ``sklearn.preprocessing.TargetEncoder`` (cross-fitted in
                      ``fit_transform``: a training row's encoding never used its label)
free text             words' ``TfidfVectorizer`` (sublinear tf, 20,000 terms) for a model
                      that takes sparse input; else 30 SVD components of character
                      3–4-gram TF-IDF (:class:`LatentSemantic`)
====================  ==========================================================

A model with native categorical support (histogram gradient boosting, see
:func:`native_categories`) gets the one-hot kind's columns as categoricals of the levels
seen in training, and the numbers as they are (inf → NaN): it bins numbers, learns where
missing values go, and splits on categories itself — as well as on one-hot columns in the
benchmark, and faster (fewer columns).

Everything is learned in ``fit`` from the rows it is given — in a trial, the training
rows only. The numbers and one-hot parts are plain numpy: scikit-learn's
``ColumnTransformer`` with ``StandardScaler``, ``SimpleImputer`` and ``OneHotEncoder``
computes the same matrix (:func:`column_transformer`, which the tests compare with) but
its per-call validation costs 10–20 ms a trial, more than a small logistic regression
takes to fit (``benchmarks/bench_preprocess.py``).

Example:
    >>> import numpy as np, pandas as pd
    >>> from dataroi.data import plan_preprocessing, profile_frame
    >>> X = pd.DataFrame({"student": pd.Categorical(["No", "Yes", "No", None]),
    ...                   "balance": [1.0, np.inf, 3.0, np.nan]})
    >>> plan = plan_preprocessing(profile_frame(X), None, task="classification")
    >>> enc = make_preprocessor(plan).fit(X, [0, 1, 0, 1])
    >>> enc.transform(X).round(2).tolist()[:2]
    [[-1.0, 0.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 1.0, 0.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from dataroi.data import PreprocessPlan

__all__ = ["NATIVE_MAX_LEVELS", "TEXT_DENSE_COMPONENTS", "TEXT_MAX_TERMS", "LatentSemantic",
           "TableEncoder", "column_transformer", "make_preprocessor", "native_categories"]

#: The number of TF-IDF terms kept per text column.
TEXT_MAX_TERMS = 20_000
#: SVD components of a text column for a model that takes no sparse input.
TEXT_DENSE_COMPONENTS = 30
#: A model with native categorical support takes at most this many levels (HGB's bins).
NATIVE_MAX_LEVELS = 255


def _frame(X: Any) -> Any:
    import pandas as pd

    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X)


def _inf_to_nan(X: Any) -> np.ndarray:
    """A float copy of ``X`` with ±inf as NaN."""
    out = np.array(X, dtype=np.float64, copy=True)
    out[np.isinf(out)] = np.nan
    return out


def _category_codes(X: Any) -> np.ndarray:
    """Categorical columns as their integer codes (NaN: missing), numeric ones as they
    are, in one float array — what the encoders learn their levels from, much faster
    than strings. In a trial every categorical column carries the data store's fixed
    categories, so a code names the same level in the training and the test rows; which
    codes occur is learned from the training rows only. Columns of other types (strings
    not stored as categoricals) are passed on as objects."""
    import pandas as pd

    X = _frame(X)
    cols = [X.iloc[:, i] for i in range(X.shape[1])]
    if not all(isinstance(c.dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(c)
               for c in cols):
        return X.to_numpy(dtype=object)
    out = np.empty((len(X), len(cols)), dtype=np.float64)
    for i, c in enumerate(cols):
        if isinstance(c.dtype, pd.CategoricalDtype):
            codes = c.cat.codes.to_numpy()
            out[:, i] = np.where(codes < 0, np.nan, codes)
        else:
            out[:, i] = c.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _text_values(x: Any) -> np.ndarray:
    """One text column as strings ('' where missing)."""
    import pandas as pd

    s = x if isinstance(x, pd.Series) else pd.Series(np.asarray(x).ravel())
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = np.asarray([str(c) for c in s.cat.categories] + [""], dtype=object)
        return cats[s.cat.codes.to_numpy()]  # code -1 (missing) → the last entry, ''
    return s.astype(object).where(s.notna(), "").astype(str).to_numpy()


class LatentSemantic(TransformerMixin, BaseEstimator):
    """Truncated SVD of a sparse matrix to at most ``n_components`` dense columns, with
    fewer when the training rows or terms are fewer (a small trial has a small
    vocabulary).

    Example:
        >>> import scipy.sparse as sp
        >>> X = sp.random(20, 5, density=0.5, random_state=0, format="csr")
        >>> LatentSemantic(n_components=100, random_state=0).fit_transform(X).shape
        (20, 4)
    """

    def __init__(self, n_components: int = TEXT_DENSE_COMPONENTS,
                 random_state: int | None = None) -> None:
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: Any, y: Any = None) -> LatentSemantic:
        from sklearn.decomposition import TruncatedSVD

        k = min(self.n_components, X.shape[1] - 1, X.shape[0] - 1)
        self.svd_ = None if k < 1 else TruncatedSVD(
            n_components=k, random_state=self.random_state).fit(X)
        return self

    def transform(self, X: Any) -> np.ndarray:
        if self.svd_ is None:
            dense = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
            return dense.astype(np.float32)
        return self.svd_.transform(X).astype(np.float32)


def _text_pipeline(sparse: bool, random_state: int | None = None) -> Any:
    """Words' TF-IDF for a model that takes sparse input; else the leading SVD
    components of character 3–4-gram TF-IDF (as skrub's ``StringEncoder``), which kept
    more for gradient boosting than words' did in the benchmark."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    values = ("values", FunctionTransformer(_text_values))
    if sparse:
        return Pipeline([values, ("tfidf", TfidfVectorizer(
            sublinear_tf=True, max_features=TEXT_MAX_TERMS, dtype=np.float32))])
    return Pipeline([values, ("tfidf", TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 4), sublinear_tf=True,
        max_features=TEXT_MAX_TERMS, dtype=np.float32)),
        ("lsa", LatentSemantic(random_state=random_state))])


def _target_encoder(target_type: str, random_state: int | None) -> Any:
    """scikit-learn's ``TargetEncoder`` with 5 shuffled, seeded folds for its cross
    fitting (stratified for a class target), the same in every scikit-learn version:
    1.9 takes the folds as a splitter and deprecates ``random_state``."""
    import inspect

    from sklearn.preprocessing import TargetEncoder

    if inspect.signature(TargetEncoder).parameters["random_state"].default != "deprecated":
        return TargetEncoder(target_type=target_type, shuffle=True,
                             random_state=random_state)
    from sklearn.model_selection import KFold, StratifiedKFold

    folds = KFold if target_type == "continuous" else StratifiedKFold
    return TargetEncoder(target_type=target_type,
                         cv=folds(n_splits=5, shuffle=True, random_state=random_state))


class TableEncoder(TransformerMixin, BaseEstimator):
    """Encode a table's columns by kind (positions into the columns of ``X``).

    Args:
        numeric: complete numeric columns.
        impute: numeric columns with missing or infinite values.
        onehot: categorical columns to one-hot encode.
        high_cardinality: categorical columns to target encode.
        text: free-text columns (TF-IDF).
        scale: standardise the numbers.
        target_type: ``auto`` (classification) or ``continuous`` (regression), for the
            target encoder.
        sparse: return a sparse matrix when there is text (for models that take it);
            else text is reduced to :data:`TEXT_DENSE_COMPONENTS` SVD components.
        native: for a model with native categorical support (histogram gradient
            boosting): return a DataFrame in which the one-hot kind's columns are
            categoricals (the levels seen in training; missing and unseen levels
            missing) and the numbers are left as they are (inf → NaN; the model bins
            them and learns where missing values go).
        random_state: seeds the target encoder's folds and the SVD.

    Fitted attributes: ``mean_``, ``scale_`` (numbers), ``median_`` (of the standardised
    imputed columns), ``indicate_`` (imputed columns that had NaN in training),
    ``levels_`` (per one-hot column, the levels seen, and whether missing was seen),
    ``target_encoder_``, ``text_`` (one fitted pipeline per text column).
    """

    def __init__(self, numeric: tuple[int, ...] = (), impute: tuple[int, ...] = (),
                 onehot: tuple[int, ...] = (), high_cardinality: tuple[int, ...] = (),
                 text: tuple[int, ...] = (), *, scale: bool = True,
                 target_type: str = "auto", sparse: bool = False, native: bool = False,
                 random_state: int | None = None) -> None:
        self.numeric = numeric
        self.impute = impute
        self.onehot = onehot
        self.high_cardinality = high_cardinality
        self.text = text
        self.scale = scale
        self.target_type = target_type
        self.sparse = sparse
        self.native = native
        self.random_state = random_state

    # -- numbers ---------------------------------------------------------------------
    def _numbers(self, X: Any) -> np.ndarray | None:
        cols = [*self.numeric, *self.impute]
        if not cols:
            return None
        A = X.iloc[:, cols].to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        if self.impute:
            part = A[:, len(self.numeric):]
            part[np.isinf(part)] = np.nan
        return A

    def _fit_numbers(self, A: np.ndarray) -> None:
        if self.native:  # the model bins numbers and takes missing values ...
            # ... but not a column with no value at all beside categoricals (scikit-learn's
            # binner fails: "window shape cannot be larger than input array shape"); it
            # carries nothing, so it becomes a constant
            self.empty_ = np.isnan(A).all(axis=0)
            return
        k = len(self.numeric)
        if self.scale:
            seen = ~np.isnan(A)
            count = seen.sum(axis=0)
            safe = np.where(seen, A, 0.0)
            mean = np.divide(safe.sum(axis=0), count, out=np.zeros(A.shape[1]),
                             where=count > 0)
            dev = np.where(seen, A - mean, 0.0)
            var = np.divide((dev ** 2).sum(axis=0), count, out=np.zeros(A.shape[1]),
                            where=count > 0)
            scale = np.sqrt(var)
            # as StandardScaler: a (numerically) constant column is centred, not divided
            eps = np.finfo(np.float64).eps
            constant = var <= count * eps * var + (count * mean * eps) ** 2
            scale[constant | (scale < 10 * eps)] = 1.0
            self.mean_, self.scale_ = mean, scale
        else:
            self.mean_, self.scale_ = np.zeros(A.shape[1]), np.ones(A.shape[1])
        Z = (A[:, k:] - self.mean_[k:]) / self.scale_[k:]
        nan = np.isnan(Z)
        self.indicate_ = np.flatnonzero(nan.any(axis=0))
        empty = nan.all(axis=0)
        med = np.zeros(Z.shape[1])
        if (~empty).any():
            med[~empty] = np.nanmedian(Z[:, ~empty], axis=0)
        self.median_ = med  # a column empty in training is filled with 0

    def _transform_numbers(self, A: np.ndarray) -> list[np.ndarray]:
        if self.native:
            if self.empty_.any():
                A = A.copy()
                A[:, self.empty_] = 0.0
            return [A]
        k = len(self.numeric)
        Z = (A - self.mean_) / self.scale_
        out = [Z[:, :k]] if k else []
        if self.impute:
            part = Z[:, k:]
            nan = np.isnan(part)
            out.append(np.where(nan, self.median_, part))
            if len(self.indicate_):
                out.append(nan[:, self.indicate_].astype(np.float64))
        return out

    # -- categories ------------------------------------------------------------------
    def _fit_levels(self, codes: np.ndarray) -> None:
        self.levels_ = []
        for j in range(codes.shape[1]):
            v = codes[:, j]
            nan = np.isnan(v)
            levels = np.unique(v[~nan])
            self.levels_.append((levels, bool(nan.any())))

    def _native_levels(self, codes: np.ndarray) -> list[Any]:
        """Each column as a categorical of the levels seen in training."""
        import pandas as pd

        out = []
        for j, (levels, _) in enumerate(self.levels_):
            v = codes[:, j]
            idx = np.minimum(np.searchsorted(levels, v), max(len(levels) - 1, 0))
            hit = (levels[idx] == v) if len(levels) else np.zeros(len(v), dtype=bool)
            out.append(pd.Categorical.from_codes(np.where(hit, idx, -1),
                                                 categories=np.arange(len(levels))))
        return out

    def _transform_levels(self, codes: np.ndarray) -> Any:
        if self.native:
            return self._native_levels(codes)
        blocks = []
        rows = np.arange(len(codes))
        for j, (levels, has_nan) in enumerate(self.levels_):
            v = codes[:, j]
            block = np.zeros((len(v), len(levels) + has_nan))
            if len(levels):
                idx = np.minimum(np.searchsorted(levels, v), len(levels) - 1)
                hit = levels[idx] == v  # NaN and unseen levels never hit
                block[rows[hit], idx[hit]] = 1.0
            if has_nan:
                block[np.isnan(v), -1] = 1.0
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.zeros((len(codes), 0))

    # -- the whole table -------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> TableEncoder:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        X = _frame(X)
        self.n_features_in_ = X.shape[1]
        A = self._numbers(X)
        if A is not None:
            self._fit_numbers(A)
        parts = self._transform_numbers(A) if A is not None else []
        if self.onehot:
            codes = _category_codes(X.iloc[:, list(self.onehot)])
            self._fit_levels(codes)
            parts.append(self._transform_levels(codes))
        if self.high_cardinality:
            self.target_encoder_ = _target_encoder(self.target_type, self.random_state)
            parts.append(self.target_encoder_.fit_transform(
                _category_codes(X.iloc[:, list(self.high_cardinality)]), y))
        self.text_ = []
        for i in self.text:
            pipe = _text_pipeline(self.sparse, self.random_state)
            parts.append(pipe.fit_transform(X.iloc[:, i], y))
            self.text_.append(pipe)
        return self._stack(parts, len(X))

    def transform(self, X: Any) -> Any:
        X = _frame(X)
        A = self._numbers(X)
        parts = self._transform_numbers(A) if A is not None else []
        if self.onehot:
            parts.append(self._transform_levels(
                _category_codes(X.iloc[:, list(self.onehot)])))
        if self.high_cardinality:
            parts.append(self.target_encoder_.transform(
                _category_codes(X.iloc[:, list(self.high_cardinality)])))
        for i, pipe in zip(self.text, self.text_, strict=True):
            parts.append(pipe.transform(X.iloc[:, i]))
        return self._stack(parts, len(X))

    def _stack(self, parts: list[Any], n: int) -> Any:
        import scipy.sparse as sp

        if self.native:
            import pandas as pd

            columns: list[Any] = []
            for p in parts:
                if isinstance(p, list):  # categoricals
                    columns.extend(p)
                else:
                    columns.extend(np.asarray(p, dtype=np.float64).T)
            return pd.DataFrame({f"x{i}": c for i, c in enumerate(columns)},
                                index=pd.RangeIndex(n))
        if any(sp.issparse(p) for p in parts):
            return sp.hstack([sp.csr_matrix(p) for p in parts], format="csr")
        return np.hstack(parts) if parts else np.zeros((n, 0))


def _positions(plan: PreprocessPlan) -> dict[str, tuple[int, ...]]:
    position = {p.name: i for i, p in enumerate(plan.profiles)}
    return {kind: tuple(position[c] for c in getattr(plan, kind))
            for kind in ("numeric", "impute", "onehot", "high_cardinality", "text")}


def native_categories(est: Any) -> bool:
    """Whether ``est`` takes categorical columns natively (scikit-learn's histogram
    gradient boosting with ``categorical_features="from_dtype"``, its default).

    Example:
        >>> from sklearn.ensemble import HistGradientBoostingClassifier
        >>> native_categories(HistGradientBoostingClassifier())
        True
        >>> native_categories(HistGradientBoostingClassifier(categorical_features=None))
        False
    """
    value = getattr(est, "categorical_features", None)
    return isinstance(value, str) and value == "from_dtype" and hasattr(est, "fit")


def make_preprocessor(plan: PreprocessPlan, *, sparse: bool = False,
                      native: bool = False) -> TableEncoder:
    """The unfitted :class:`TableEncoder` of ``plan``.

    Args:
        plan: which columns are of which kind.
        sparse: the model takes sparse input: text stays sparse TF-IDF (else it becomes
            :data:`TEXT_DENSE_COMPONENTS` SVD components).
        native: the model takes categorical columns natively (:func:`native_categories`);
            used when the one-hot kind's columns have at most :data:`NATIVE_MAX_LEVELS`
            levels.
    """
    return TableEncoder(**_positions(plan), scale=plan.scale,
                        target_type="continuous" if plan.task == "regression" else "auto",
                        sparse=sparse and bool(plan.text),
                        native=native and plan.max_onehot <= NATIVE_MAX_LEVELS)


def column_transformer(plan: PreprocessPlan, *, sparse: bool = False,
                       random_state: int | None = None) -> Any:
    """The same encoding as :func:`make_preprocessor`, assembled from scikit-learn's
    ``ColumnTransformer``, ``StandardScaler``, ``SimpleImputer``, ``OneHotEncoder`` and
    ``TargetEncoder``: the reference :class:`TableEncoder` is tested against (equal
    matrices), and the slower arm of the benchmark.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    at = _positions(plan)
    parts: list[tuple[str, Any, Any]] = []
    if plan.numeric:
        parts.append(("numeric", StandardScaler() if plan.scale else "passthrough",
                      list(at["numeric"])))
    if plan.impute:
        steps: list[tuple[str, Any]] = [
            ("inf_to_nan", FunctionTransformer(_inf_to_nan, feature_names_out="one-to-one"))]
        if plan.scale:
            steps.append(("scale", StandardScaler()))
        steps.append(("impute", SimpleImputer(strategy="median", add_indicator=True,
                                              keep_empty_features=True)))
        parts.append(("impute", Pipeline(steps), list(at["impute"])))
    if plan.onehot:
        parts.append(("onehot", Pipeline([
            ("codes", FunctionTransformer(_category_codes)),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
            list(at["onehot"])))
    if plan.high_cardinality:
        target_type = "continuous" if plan.task == "regression" else "auto"
        parts.append(("high_cardinality", Pipeline([
            ("codes", FunctionTransformer(_category_codes)),
            ("encode", _target_encoder(target_type, random_state))]),
            list(at["high_cardinality"])))
    for j, i in enumerate(at["text"]):
        parts.append((f"text{j}", _text_pipeline(sparse, random_state), i))
    return ColumnTransformer(parts, remainder="drop",
                             sparse_threshold=1.0 if (sparse and plan.text) else 0.0)
