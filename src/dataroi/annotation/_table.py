"""The annotation table: a validated, integer-coded long table of (item, annotator, label).

Everything downstream (agreement, consensus, noise) works on the codes of one
:class:`AnnotationTable`, so validation happens once, here, at the boundary.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"item": [1, 1, 2, 2, 3], "annotator": list("ababa"),
    ...                       "label": ["cat", "cat", "dog", "cat", "dog"]})
    >>> table = load_annotations(frame)
    >>> table.n_items, table.n_annotators, table.classes
    (3, 2, ('cat', 'dog'))
    >>> table.counts().tolist()
    [[2, 0], [1, 1], [0, 1]]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.exceptions import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AnnotationTable", "load_annotations"]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.flags.writeable = False
    return a


def _py(value: Any) -> Any:
    """A plain Python scalar (for JSON and readable output)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True, eq=False)
class AnnotationTable:
    """Annotations coded as integers; one row per (item, annotator) pair.

    Attributes:
        items: item identifiers, in code order (``items[i]`` is item code ``i``).
        annotators: annotator identifiers, in code order.
        classes: the label classes, sorted where the labels are comparable.
        item_idx: item code of each annotation (n_annotations,).
        annotator_idx: annotator code of each annotation.
        label_idx: class code of each annotation.
        gold_idx: class code of each item's gold label, ``-1`` where there is none.
        columns: the source column names ``{"item", "annotator", "label", "gold"}``.
    """

    items: tuple[Any, ...]
    annotators: tuple[Any, ...]
    classes: tuple[Any, ...]
    item_idx: np.ndarray
    annotator_idx: np.ndarray
    label_idx: np.ndarray
    gold_idx: np.ndarray
    columns: Mapping[str, str | None]

    @property
    def n_items(self) -> int:
        """Number of distinct items."""
        return len(self.items)

    @property
    def n_annotators(self) -> int:
        """Number of distinct annotators."""
        return len(self.annotators)

    @property
    def n_classes(self) -> int:
        """Number of label classes (annotated or gold)."""
        return len(self.classes)

    @property
    def n_annotations(self) -> int:
        """Number of annotations (rows)."""
        return int(self.item_idx.size)

    @property
    def has_gold(self) -> bool:
        """Whether at least one item has a gold label."""
        return bool((self.gold_idx >= 0).any())

    def counts(self) -> np.ndarray:
        """``(n_items, n_classes)`` matrix: how many annotators gave each class to each item."""
        flat = self.item_idx * self.n_classes + self.label_idx
        return np.bincount(flat, minlength=self.n_items * self.n_classes).reshape(
            self.n_items, self.n_classes)

    def matrix(self) -> np.ndarray:
        """``(n_items, n_annotators)`` class codes, ``-1`` where an annotator gave no label."""
        out = np.full((self.n_items, self.n_annotators), -1, dtype=np.int64)
        out[self.item_idx, self.annotator_idx] = self.label_idx
        return out

    def annotations_per_item(self) -> np.ndarray:
        """Number of annotations of each item (n_items,)."""
        return np.bincount(self.item_idx, minlength=self.n_items)


def _read(source: Any) -> pd.DataFrame:
    import pandas as pd

    if isinstance(source, pd.DataFrame):
        return source
    if isinstance(source, str | os.PathLike):
        from dataroi.data import read_table

        return read_table(os.fspath(source))
    raise UsageError(f"annotations must be a pandas DataFrame or a CSV/Parquet path, got "
                     f"{type(source).__name__}")


def _factorize(values: Any) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # labels of mixed types cannot be sorted: order of appearance
        codes, uniques = pd.factorize(values, sort=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _examples(frame: pd.DataFrame, mask: Any, limit: int = 3) -> str:
    rows = [str(r) for r in frame.index[np.asarray(mask)][:limit]]
    return ", ".join(rows) + (", ..." if int(np.sum(mask)) > limit else "")


def load_annotations(
    data: Any,
    *,
    item: str = "item",
    annotator: str = "annotator",
    label: str = "label",
    gold: str | Mapping[Any, Any] | pd.Series | None = None,
) -> AnnotationTable:
    """Validate a long table of annotations and code it as integers.

    Args:
        data: a DataFrame, a CSV/Parquet path, or an :class:`AnnotationTable` (returned as is).
        item: column of item identifiers.
        annotator: column of annotator identifiers.
        label: column of the labels the annotators gave.
        gold: optional gold labels: a column name (empty/NaN where an item has no gold label;
            one value per item) or a mapping / Series ``item -> gold label``.

    Returns:
        The coded table. Items with a single annotation are kept: they get a consensus but
        do not enter the agreement statistics.

    Raises:
        DataError: missing columns, no rows, missing labels, an annotator labeling an item
            twice, or contradicting gold labels for one item.
        UsageError: ``data`` is neither a table nor a readable file.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"doc": ["a", "a", "b"], "who": ["x", "y", "x"],
        ...                       "y": [0, 1, 1]})
        >>> t = load_annotations(frame, item="doc", annotator="who", label="y",
        ...                      gold={"a": 1})
        >>> t.gold_idx.tolist(), t.annotations_per_item().tolist()
        ([1, -1], [2, 1])
    """
    import pandas as pd

    if isinstance(data, AnnotationTable):
        return data
    frame = _read(data)
    names = {"item": item, "annotator": annotator, "label": label}
    if isinstance(gold, str):
        names["gold"] = gold
    roles: dict[str, str] = {}
    for role, col in names.items():
        if col in roles:
            raise UsageError(f"column '{col}' is named as both the {roles[col]} and the {role} "
                             f"column; give each its own column (--item, --annotator, "
                             "--label, --gold)")
        roles[col] = role
    missing = [f"{role} column '{col}'" for role, col in names.items()
               if col not in frame.columns]
    if missing:
        raise DataError(f"annotation table has no {', no '.join(missing)}; columns are "
                        f"{list(map(str, frame.columns))} (choose others with item=, "
                        f"annotator=, label=, gold= or --item/--annotator/--label/--gold)")
    if len(frame) == 0:
        raise DataError("annotation table is empty: it needs one row per (item, annotator, "
                        "label)")
    for role in ("item", "annotator", "label"):
        bad = frame[names[role]].isna().to_numpy()
        if bad.any():
            what = "labels" if role == "label" else f"{role} identifiers"
            raise DataError(f"{int(bad.sum())} rows have missing {what} in column "
                            f"'{names[role]}' (rows {_examples(frame, bad)}); drop or fill "
                            "them first")
    dup = frame.duplicated([item, annotator], keep=False).to_numpy()
    if dup.any():
        first = frame.index[dup][0]
        row = frame.loc[first]
        raise DataError(f"{int(dup.sum())} rows repeat an (item, annotator) pair, e.g. "
                        f"annotator {_py(row[annotator])!r} on item {_py(row[item])!r} (rows "
                        f"{_examples(frame, dup)}); keep one label per annotator and item, "
                        f"e.g. frame.drop_duplicates(['{item}', '{annotator}'], keep='last')")
    item_idx, items = _factorize(frame[item].to_numpy())
    ann_idx, annotators = _factorize(frame[annotator].to_numpy())
    label_idx, classes = _factorize(frame[label].to_numpy())
    class_list = list(classes)

    gold_idx = np.full(len(items), -1, dtype=np.int64)
    if gold is not None:
        if isinstance(gold, str):
            g = frame[[item, gold]].dropna(subset=[gold])
            conflicts = g.groupby(item, sort=False)[gold].nunique()
            conflicts = conflicts[conflicts > 1]
            if len(conflicts):
                raise DataError(f"{len(conflicts)} items have more than one gold label in "
                                f"column '{gold}', e.g. item {conflicts.index[0]!r}; give each "
                                "item one gold label")
            g = g.drop_duplicates(item)
            gold_items, gold_values = g[item].to_numpy(), g[gold].to_numpy()
        elif isinstance(gold, Mapping | pd.Series):
            series = pd.Series(gold, dtype=object) if isinstance(gold, Mapping) else gold
            series = series[series.notna()]
            gold_items, gold_values = series.index.to_numpy(), series.to_numpy()
        else:
            raise UsageError(f"gold must be a column name or a mapping item -> gold label, "
                             f"got {type(gold).__name__}")
        pos = pd.Index(items).get_indexer(gold_items)
        known = pos >= 0
        codes = pd.Index(classes).get_indexer(gold_values[known]) if len(classes) else \
            np.full(int(known.sum()), -1)
        for value in gold_values[known][codes < 0]:  # gold classes no annotator used
            if value not in class_list:
                class_list.append(_py(value))
        codes = pd.Index(class_list).get_indexer(gold_values[known])
        gold_idx[pos[known]] = codes
    return AnnotationTable(
        items=tuple(_py(v) for v in items),
        annotators=tuple(_py(v) for v in annotators),
        classes=tuple(_py(v) for v in class_list),
        item_idx=_readonly(item_idx),
        annotator_idx=_readonly(ann_idx),
        label_idx=_readonly(label_idx),
        gold_idx=_readonly(gold_idx),
        columns={"item": item, "annotator": annotator, "label": label,
                 "gold": gold if isinstance(gold, str) else None},
    )
