"""Bad input gives DataError/UsageError with a message that says what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataroi.annotation import AnnotationAnalysis, analyze_annotations, load_annotations
from dataroi.exceptions import DataError, UsageError


def _frame(**extra: list[object]) -> pd.DataFrame:
    base = {"item": [1, 1, 2, 2], "annotator": ["a", "b", "a", "b"], "label": [0, 1, 1, 1]}
    base.update(extra)
    return pd.DataFrame(base)


def test_missing_columns_are_named_with_the_available_ones():
    with pytest.raises(DataError, match=r"no label column 'y'.*columns are \['item', "
                                        r"'annotator', 'label'\].*--label"):
        load_annotations(_frame(), label="y")
    with pytest.raises(DataError, match="no gold column 'truth'"):
        load_annotations(_frame(), gold="truth")


def test_empty_table():
    with pytest.raises(DataError, match="annotation table is empty"):
        load_annotations(_frame().iloc[:0])


def test_nan_labels_and_identifiers():
    with pytest.raises(DataError, match=r"1 rows have missing labels in column 'label' "
                                        r"\(rows 2\); drop or fill them"):
        load_annotations(_frame(label=[0, 1, np.nan, 1]))
    with pytest.raises(DataError, match="missing annotator identifiers"):
        load_annotations(_frame(annotator=["a", None, "a", "b"]))


def test_duplicated_item_annotator_pairs():
    frame = _frame(annotator=["a", "a", "a", "b"])
    with pytest.raises(DataError, match=r"2 rows repeat an \(item, annotator\) pair, e.g. "
                                        r"annotator 'a' on item 1 \(rows 0, 1\).*"
                                        r"drop_duplicates"):
        load_annotations(frame)


def test_conflicting_gold_labels_and_bad_gold_type():
    with pytest.raises(DataError, match="more than one gold label"):
        load_annotations(_frame(gold=[0, 1, 1, 1]), gold="gold")
    with pytest.raises(UsageError, match="gold must be a column name or a mapping"):
        load_annotations(_frame(), gold=3)  # type: ignore[arg-type]


def test_gold_class_no_annotator_used_and_partial_gold():
    table = load_annotations(_frame(gold=[2, np.nan, np.nan, np.nan]), gold="gold")
    assert table.classes == (0, 1, 2) and table.gold_idx.tolist() == [2, -1]
    table = load_annotations(_frame(), gold={2: 1, "unknown item": 0})
    assert table.gold_idx.tolist() == [-1, 1]


def test_files_and_wrong_types(tmp_path):
    path = tmp_path / "labels.csv"
    _frame().to_csv(path, index=False)
    assert load_annotations(path).n_annotations == 4
    pq = tmp_path / "labels.parquet"
    _frame().to_parquet(pq)
    assert load_annotations(str(pq)).n_items == 2
    with pytest.raises(UsageError, match="not found"):
        load_annotations(tmp_path / "missing.csv")
    with pytest.raises(UsageError, match="must be a pandas DataFrame or a CSV/Parquet path"):
        load_annotations([1, 2, 3])


@pytest.mark.parametrize(("option", "value", "message"), [
    ("n_boot", -1, "n_boot must be an integer >= 0"),
    ("n_boot", 10**9, "n_boot must be at most 100,000, got 1,000,000,000"),
    ("n_boot_dawid_skene", 50_000, "n_boot_dawid_skene must be at most 10,000, got 50,000"),
    ("level", 1.5, "level must be between 0 and 1"),
    ("min_confidence", 2.0, "min_confidence must be between 0 and 1"),
    ("min_pair_items", 0, "min_pair_items must be an integer >= 1"),
])
def test_options_are_validated_at_fit(option, value, message):
    analysis = AnnotationAnalysis(**{option: value})  # constructors store only
    with pytest.raises(UsageError, match=message):
        analysis.fit(_frame())


def test_string_and_mixed_labels_work():
    frame = _frame(label=["cat", "dog", "dog", "dog"])
    report = analyze_annotations(frame, n_boot=10, n_boot_dawid_skene=0)
    assert report.classes == ("cat", "dog")
    mixed = _frame(label=[1, "x", "x", "x"])
    assert set(load_annotations(mixed).classes) == {1, "x"}
