"""Where baseline and candidate predictions come from, and how they are checked.

A prediction source is one of:

* ``col:NAME`` (or a bare column name) — a column of the evaluation table;
* ``file:PATH`` or ``file:PATH:COLUMN`` — a CSV/Parquet file joined to the table by the id
  column (every id on both sides exactly once);
* ``model:PATH`` — a saved scikit-learn model (``.joblib``/``.pkl``; loading a pickle runs
  code: only load files you trust) or ``model:package.module:attribute`` — an import path
  to a fitted estimator or a function returning one; scored on the table's columns
  (``feature_names_in_`` or the ``features`` given).

In the Python API an array (labels, positive-class scores, or an ``(n, classes)``
probability matrix) or a fitted estimator works too.

Example:
    >>> src = parse_source("file:preds.csv:score")
    >>> src.kind, src.ref, src.column
    ('file', 'preds.csv', 'score')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PredictionSource", "Predictions", "parse_source", "resolve_predictions"]


@dataclass(frozen=True)
class PredictionSource:
    """A parsed prediction source: ``kind`` (column, file, model) and its reference."""

    kind: str
    ref: str
    column: str | None = None

    @property
    def identifier(self) -> str:
        """How the source is named in reports and the ledger."""
        tail = f":{self.column}" if self.column else ""
        return f"{self.kind}:{self.ref}{tail}"


@dataclass(frozen=True)
class Predictions:
    """One model's predictions aligned to the table rows.

    Attributes:
        labels: predicted labels (n,).
        score: positive-class score (n,) for binary tasks when available.
        identifier: the model's identifier (source, file digest or class name).
        threshold: decision threshold applied to ``score`` (None for labels).
    """

    labels: np.ndarray
    score: np.ndarray | None
    identifier: str
    threshold: float | None = None


def parse_source(text: str) -> PredictionSource:
    """Parse ``col:``, ``file:`` and ``model:`` sources (a bare text means a column).

    Raises:
        UsageError: an empty source.
    """
    if not isinstance(text, str) or not text.strip():
        raise UsageError("a prediction source must be col:NAME, file:PATH[:COLUMN] or "
                         "model:PATH")
    text = text.strip()
    kind, sep, rest = text.partition(":")
    if sep and kind in ("col", "column"):
        return PredictionSource("column", rest)
    if sep and kind == "file":
        path, column = rest, None
        head, sep2, tail = rest.rpartition(":")
        if sep2 and head and not Path(rest).exists() and "/" not in tail and "\\" not in tail:
            path, column = head, tail
        return PredictionSource("file", path, column)
    if sep and kind == "model":
        return PredictionSource("model", rest)
    return PredictionSource("column", text)


def _file_digest(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _load_model(ref: str) -> tuple[Any, str]:
    from importlib import import_module

    path = Path(ref)
    if path.suffix.lower() in (".joblib", ".pkl", ".pickle"):
        if not path.is_file():
            raise UsageError(f"model file not found: {path}")
        import joblib

        try:
            model = joblib.load(path)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise UsageError(f"cannot load model {path}: not a joblib/pickle file of a model "
                             f"({type(exc).__name__}: {first})") from None
        return model, f"model:{path.name}@{_file_digest(path)}"
    module_name, sep, attr = ref.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"model source {ref!r} must be a .joblib/.pkl file or "
                         "package.module:attribute")
    try:
        obj = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"cannot import model {ref!r}: {exc}") from None
    if callable(obj) and not hasattr(obj, "predict"):
        try:
            obj = obj()
        except Exception as exc:  # a factory that needs arguments, or fails
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise UsageError(f"cannot build model {ref!r}: calling it without arguments "
                             f"failed ({type(exc).__name__}: {first}); name a fitted "
                             "estimator or a function that returns one") from None
    return obj, f"model:{ref}"


def _score_model(model: Any, table: pd.DataFrame, features: list[str] | None,
                 identifier: str) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(labels, positive scores or None, classes or None) of a fitted estimator."""
    if not hasattr(model, "predict"):
        raise UsageError(f"{identifier}: not a fitted estimator (no predict method)")
    cols = features or [str(c) for c in getattr(model, "feature_names_in_", [])]
    if not cols:
        raise UsageError(f"{identifier}: the model does not record its feature names; give "
                         "the features to use (--features a,b,c)")
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise DataError(f"{identifier}: the table lacks the model's features "
                        f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
    X = table[cols]
    n = len(table)
    try:
        if hasattr(model, "predict_proba"):
            proba = np.asarray(model.predict_proba(X))
            classes = np.asarray(getattr(model, "classes_", np.arange(proba.shape[-1])))
            _check_shape(proba, (n, len(classes)), identifier)
            labels = classes[np.argmax(proba, axis=1)]
            score = proba[:, -1] if len(classes) == 2 else None
            return labels, score, classes
        labels = np.asarray(model.predict(X))
    except (DataError, UsageError):
        raise
    except Exception as exc:
        raise DataError(f"{identifier}: scoring failed: {type(exc).__name__}: {exc}") from None
    _check_shape(labels, (n,), identifier)
    return labels, None, None


def _check_shape(arr: np.ndarray, expected: tuple[int, ...], identifier: str) -> None:
    if arr.shape != expected:
        raise DataError(f"{identifier}: predictions of the wrong shape: expected "
                        f"{expected}, got {arr.shape}")


def _from_array(arr: Any, n: int, classes: np.ndarray | None, identifier: str
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Labels and scores from labels, positive-class scores or a probability matrix; for
    a regression target (``classes`` None), the predicted numbers."""
    a = np.asarray(arr)
    if classes is None:
        if a.ndim != 1 or a.shape[0] != n:
            raise DataError(f"{identifier}: predictions of the wrong shape: expected ({n},) "
                            f"numbers, got {a.shape}")
        try:
            num = a.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"{identifier}: a regression model's predictions must be "
                            f"numbers (e.g. {a[:3].tolist()})") from None
        if not np.isfinite(num).all():
            raise DataError(f"{identifier}: {int((~np.isfinite(num)).sum())} predictions "
                            "are missing or infinite")
        return num, None
    if a.ndim == 2:
        if a.shape[0] != n or a.shape[1] != len(classes):
            raise DataError(f"{identifier}: predictions of the wrong shape: expected ({n},) "
                            f"labels/scores or ({n}, {len(classes)}) probabilities, got "
                            f"{a.shape}")
        labels = classes[np.argmax(a, axis=1)]
        return labels, (a[:, -1].astype(np.float64) if len(classes) == 2 else None)
    if a.ndim != 1 or a.shape[0] != n:
        raise DataError(f"{identifier}: predictions of the wrong shape: expected ({n},), got "
                        f"{a.shape}")
    if a.dtype.kind == "f" and len(classes) == 2 and not np.all(np.isin(a, classes)):
        if np.isnan(a).any():
            raise DataError(f"{identifier}: {int(np.isnan(a).sum())} predictions are missing "
                            "(NaN)")
        if a.min() < 0 or a.max() > 1:
            positive = np.asarray(classes)[-1:].tolist()[0]  # a plain value, not np.int64
            raise DataError(f"{identifier}: scores must lie in [0, 1] (probability of class "
                            f"{positive!r}), got values in [{a.min():g}, {a.max():g}]")
        return np.where(a >= 0.5, classes[-1], classes[0]), a.astype(np.float64)
    if a.dtype == object or a.dtype.kind in "US":
        a = a.astype(str) if classes.dtype.kind in "US" or classes.dtype == object else a
    try:
        unknown = ~np.isin(a, classes)
    except TypeError:
        unknown = np.ones(a.shape, dtype=bool)
    if unknown.any():
        eg = a[unknown][:3].tolist()
        raise DataError(f"{identifier}: {int(unknown.sum())} predicted labels are not classes "
                        f"of the target (e.g. {eg}); classes: {classes.tolist()[:10]}")
    return a, None


def _join_file(src: PredictionSource, table: pd.DataFrame, id_column: str) -> np.ndarray:
    from dataroi.data import read_table

    path = Path(src.ref)
    frame = read_table(str(path))
    where = f"prediction file {path}"
    if id_column not in frame.columns:
        raise DataError(f"{where}: no id column {id_column!r}; columns: "
                        f"{', '.join(map(str, frame.columns[:10]))}")
    column = src.column
    others = [c for c in frame.columns if c != id_column]
    if column is None:
        if len(others) != 1:
            raise UsageError(f"{where}: has {len(others)} prediction columns "
                             f"({', '.join(map(str, others[:6]))}); name one: "
                             f"file:{path}:COLUMN")
        column = str(others[0])
    elif column not in frame.columns:
        raise DataError(f"{where}: no column {column!r}; columns: "
                        f"{', '.join(map(str, others[:10]))}")
    ids = frame[id_column]
    dup = ids.duplicated(keep=False)
    if dup.any():
        eg = ids[dup].drop_duplicates().head(3).tolist()
        raise DataError(f"{where}: {int(ids[dup].nunique())} ids appear more than once "
                        f"(e.g. {eg}); give one prediction per id")
    table_ids = table[id_column]
    missing = ~table_ids.isin(ids)
    extra = ~ids.isin(table_ids)
    if missing.any() or extra.any():
        parts = []
        if missing.any():
            parts.append(f"{int(missing.sum())} ids of the evaluation table have no prediction "
                         f"(e.g. {table_ids[missing].head(3).tolist()})")
        if extra.any():
            parts.append(f"{int(extra.sum())} ids are not in the evaluation table "
                         f"(e.g. {ids[extra].head(3).tolist()})")
        raise DataError(f"{where}: ids differ from the table's: {'; '.join(parts)}")
    aligned = frame.set_index(id_column)[column].reindex(table_ids.to_numpy())
    return aligned.to_numpy()


def resolve_predictions(
    source: Any,
    table: pd.DataFrame,
    *,
    id_column: str,
    classes: np.ndarray | None,
    features: list[str] | None = None,
    role: str = "model",
) -> Predictions:
    """Align one model's predictions to the table rows, checking ids and shapes.

    Args:
        source: a :class:`PredictionSource`, a source text, an array or a fitted estimator.
        table: the evaluation table.
        id_column: the row id column (to join files).
        classes: the target's classes, sorted (the last one is the positive class);
            None for a regression target (the predictions are numbers).
        features: feature columns for models without ``feature_names_in_``.
        role: ``baseline`` or ``candidate`` (for messages).

    Raises:
        DataError: ids missing on one side or duplicated, predictions of the wrong shape,
            unknown labels, scores outside [0, 1].
        UsageError: a missing file, column or model.
    """
    n = len(table)
    if isinstance(source, str):
        source = parse_source(source)
    if isinstance(source, PredictionSource):
        ident = f"{role} ({source.identifier})"
        if source.kind == "column":
            if source.ref not in table.columns:
                raise UsageError(f"{ident}: no column {source.ref!r} in the table; columns: "
                                 f"{', '.join(map(str, table.columns[:12]))}")
            values = table[source.ref].to_numpy()
            labels, score = _from_array(values, n, classes, ident)
            return Predictions(labels, score, source.identifier)
        if source.kind == "file":
            values = _join_file(source, table, id_column)
            labels, score = _from_array(values, n, classes, ident)
            digest = _file_digest(Path(source.ref))
            return Predictions(labels, score, f"{source.identifier}@{digest}")
        model, model_id = _load_model(source.ref)
        labels, score, _ = _score_model(model, table, features, ident)
        labels, _ = _from_array(labels, n, classes, ident)
        return Predictions(labels, score, model_id)
    if hasattr(source, "predict"):
        name = type(source).__name__
        labels, score, _ = _score_model(source, table, features, f"{role} ({name})")
        labels, _ = _from_array(labels, n, classes, f"{role} ({name})")
        return Predictions(labels, score, f"estimator:{name}")
    labels, score = _from_array(source, n, classes, f"{role} (array)")
    return Predictions(labels, score, f"array:{role}")
