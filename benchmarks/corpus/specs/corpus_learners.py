"""The corpus's learners: scikit-learn pipelines a user would write for each kind of data.

A study spec names them as ``factory: corpus_learners:make`` with ``params: {learner: ...,
kind: ...}``; the preprocessing is fitted inside each trial on its training rows only
(no leakage), and picks the columns by their type when it is fitted, so one factory serves
every table.

* **tabular**: numbers imputed by the median (with missing-value indicators) and, for the
  linear and neighbour models, standardised; categories one-hot encoded (at most 30
  levels per column, rarer ones pooled) for the linear and neighbour models and ordinally
  encoded for the trees. Learners: ``logreg``, ``hgb``, ``rf``, ``knn``, ``tree``.
* **text** (one column, ``text``): TF-IDF of words (sublinear tf, terms in at least two
  documents). Learners: ``logreg``, ``nb`` (multinomial naive Bayes), ``svm`` (a linear
  SVM trained by SGD on the modified Huber loss, a smoothed hinge that gives
  probabilities, so log-loss is defined), ``knn`` (cosine), ``rf`` (50
  trees on the 20,000 most frequent terms).
* **image** (pixel columns): ``logreg`` (scaled), ``knn`` (10 neighbours on 50 principal
  components), ``rf``, ``hgb``.

Example:
    >>> make("logreg", "tabular").steps[-1][0]
    'logisticregression'
    >>> sorted(LEARNERS)
    ['image', 'tabular', 'text']
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LEARNERS", "make"]

LEARNERS: dict[str, tuple[str, ...]] = {
    "tabular": ("logreg", "hgb", "rf", "knn", "tree"),
    "text": ("logreg", "nb", "svm", "knn", "rf"),
    "image": ("logreg", "knn", "rf", "hgb"),
}

_CATEGORICAL = ["category", "object", "string"]


def _to_float(X: Any) -> Any:
    return np.asarray(X, dtype=np.float64)


def _fill_missing_category(X: Any) -> Any:
    return X.astype(object).where(X.notna(), "(missing)")


def _text_column(X: Any) -> Any:
    return X["text"].astype(str).to_numpy()


def _tabular_features(*, scaled: bool) -> Any:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (
        FunctionTransformer,
        OneHotEncoder,
        OrdinalEncoder,
        StandardScaler,
    )

    numeric_steps: list[Any] = [FunctionTransformer(_to_float),
                                SimpleImputer(strategy="median", add_indicator=True,
                                              keep_empty_features=True)]
    if scaled:
        numeric_steps.append(StandardScaler())
        categorical = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30,
                                    sparse_output=False)
    else:
        categorical = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                     encoded_missing_value=-2, max_categories=255)
    cat_pipe = make_pipeline(
        FunctionTransformer(_fill_missing_category, feature_names_out="one-to-one"),
        categorical)
    return ColumnTransformer(
        [("num", make_pipeline(*numeric_steps), make_column_selector(dtype_exclude=_CATEGORICAL)),
         ("cat", cat_pipe, make_column_selector(dtype_include=_CATEGORICAL))],
        sparse_threshold=0.0)


def _text_features(max_features: int | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(sublinear_tf=True, min_df=2, max_features=max_features,
                           dtype=np.float32)


def _estimator(learner: str, kind: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    if learner == "logreg":
        return LogisticRegression(max_iter=2000, C=10.0 if kind == "text" else 1.0)
    if learner == "hgb":
        return HistGradientBoostingClassifier(early_stopping=False)
    if learner == "rf":
        return RandomForestClassifier(n_estimators=50 if kind == "text" else 100, n_jobs=1)
    if learner == "knn":
        if kind == "text":
            return KNeighborsClassifier(n_neighbors=10, metric="cosine", algorithm="brute")
        return KNeighborsClassifier(n_neighbors=10)
    if learner == "tree":
        return DecisionTreeClassifier(min_samples_leaf=5)
    if learner == "nb":
        return MultinomialNB(alpha=0.1)
    if learner == "svm":
        return SGDClassifier(loss="modified_huber", alpha=1e-4, max_iter=50, tol=None)
    raise ValueError(f"unknown learner {learner!r}")


def make(learner: str, kind: str) -> Any:
    """A new unfitted pipeline: the kind's preprocessing, then the learner.

    Args:
        learner: one of ``LEARNERS[kind]``.
        kind: ``tabular``, ``text`` or ``image``.
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if kind not in LEARNERS or learner not in LEARNERS[kind]:
        raise ValueError(f"no learner {learner!r} for {kind!r} data; "
                         f"choose from {LEARNERS.get(kind, LEARNERS)}")
    est = _estimator(learner, kind)
    if kind == "tabular":
        return make_pipeline(_tabular_features(scaled=learner in ("logreg", "knn")), est)
    if kind == "text":
        column = FunctionTransformer(_text_column)
        vocab = 20_000 if learner == "rf" else None
        return make_pipeline(column, _text_features(vocab), est)
    scaled = [FunctionTransformer(_to_float), StandardScaler()]
    if learner == "logreg":
        return make_pipeline(*scaled, est)
    if learner == "knn":
        return make_pipeline(*scaled, PCA(n_components=50), est)
    return make_pipeline(FunctionTransformer(_to_float), est)
