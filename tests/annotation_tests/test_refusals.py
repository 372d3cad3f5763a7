"""The bad-input catalogue of ``dataroi annotations``: every case is one clear ``error:``
line, exit 2, no traceback and no file written (``tests/cli_tests/_refusals.py``).

Each case's folder holds a small valid long table (``ann.csv``: item, annotator, label and
a sparse gold column) unless the case replaces it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_tests._refusals import Refusal, check_refusal


def _table(path: Path) -> None:
    rows = ["item,annotator,label,gold"]
    for i in range(40):
        for a in range(3):
            rows.append(f"i{i},a{(i + a) % 4},{'cat' if (i + a) % 3 else 'dog'},"
                        f"{'cat' if i % 5 == 0 else ''}")
    path.write_text("\n".join(rows) + "\n")


FAST = ("--boot", "20", "--boot-ds", "3")


def case(case_id: str, message: str, *argv: str, files: dict[str, object] | None = None,
         table: str = "ann.csv") -> Refusal:
    """``dataroi annotations TABLE ARGV...`` in a folder holding ``ann.csv`` and ``files``."""
    return Refusal(case_id, ("annotations", table, *FAST, *argv), message,
                   files={"ann.csv": _table, **(files or {})})


CASES: list[Refusal] = [
    # -- the command line -----------------------------------------------------------------
    Refusal("no-table", ("annotations",), r"the following arguments are required: table"),
    case("unknown-option", r"unrecognized arguments: --rater", "--rater", "who"),
    case("boot-negative", r"--boot must be >= 0, got -1", "--boot=-1"),
    case("boot-huge", r"--boot must be at most 100,000, got 1,000,000,000", "--boot",
         "1000000000"),
    case("boot-text", r"argument --boot: invalid int value: 'many'", "--boot", "many"),
    case("boot-ds-negative", r"--boot-ds must be >= 0, got -5", "--boot-ds=-5"),
    case("boot-ds-huge", r"--boot-ds must be at most 10,000, got 50,000", "--boot-ds",
         "50000"),
    case("top-negative", r"--top must be >= 0, got -2", "--top=-2"),
    case("seed-negative", r"--seed must be >= 0, got -1", "--seed=-1"),
    case("seed-text", r"argument --seed: invalid int value: 'abc'", "--seed", "abc"),
    case("items-without-json", r"--items adds every item's consensus to the JSON output; use "
         r"it with --json", "--items"),
    # -- the table ------------------------------------------------------------------------
    case("table-missing", r"data file not found: nosuch\.csv", table="nosuch.csv"),
    case("table-is-a-folder", r"data path is a directory, not a file: labels",
         table="labels", files={"labels/keep.txt": "x"}),
    case("table-empty-file", r"data file is empty: empty\.csv", table="empty.csv",
         files={"empty.csv": ""}),
    case("table-header-only", r"data source 'head\.csv' has no rows", table="head.csv",
         files={"head.csv": "item,annotator,label\n"}),
    case("table-unknown-type", r"unknown data file type '\.xlsx'", table="ann.xlsx",
         files={"ann.xlsx": b"PK\x03\x04 not really"}),
    case("table-garbled-parquet", r"cannot read data file ann\.parquet", table="ann.parquet",
         files={"ann.parquet": b"\x00\x01 not parquet \xff" * 10}),
    case("table-duplicate-header", r"column 'item' appears twice in the header",
         table="dup.csv", files={"dup.csv": "item,item,label\n1,2,3\n"}),
    case("table-wrong-separator", r"semi.csv: its header is one column, "
         r"'item;annotator;label', holding ';': a file separated by ';'\?",
         table="semi.csv", files={"semi.csv": "item;annotator;label\ni1;a;x\n"}),
    # -- columns --------------------------------------------------------------------------
    case("item-column-missing", r"annotation table has no item column 'doc'; columns are "
         r"\['item', 'annotator', 'label', 'gold'\] \(choose others with .*--item",
         "--item", "doc"),
    case("gold-column-missing", r"annotation table has no gold column 'truth'", "--gold",
         "truth"),
    case("same-column-twice", r"column 'annotator' is named as both the annotator and the "
         r"label column; give each its own column", "--label", "annotator"),
    case("gold-is-the-label", r"column 'label' is named as both the label and the gold "
         r"column", "--gold", "label"),
    # -- the rows -------------------------------------------------------------------------
    case("missing-labels", r"1 rows have missing labels in column 'label' \(rows 1\); drop "
         r"or fill them first", table="gaps.csv",
         files={"gaps.csv": "item,annotator,label\ni1,a,x\ni1,b,\ni2,a,y\n"}),
    case("missing-items", r"1 rows have missing item identifiers in column 'item' \(rows "
         r"0\)", table="gaps.csv", files={"gaps.csv": "item,annotator,label\n,a,x\ni1,b,y\n"}),
    case("pair-repeated", r"2 rows repeat an \(item, annotator\) pair, e\.g\. annotator 'a' "
         r"on item 'i1' \(rows 0, 1\); keep one label per annotator and item",
         table="dup.csv", files={"dup.csv": "item,annotator,label\ni1,a,x\ni1,a,y\n"}),
    case("gold-contradicts", r"1 items have more than one gold label in column 'gold', e\.g\. "
         r"item 'i1'; give each item one gold label", "--gold", "gold", table="gold.csv",
         files={"gold.csv": "item,annotator,label,gold\ni1,a,x,x\ni1,b,x,y\ni2,a,y,\n"}),
]


@pytest.mark.parametrize("refusal", CASES, ids=str)
def test_annotations_refuse_bad_input_cleanly(refusal: Refusal, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    check_refusal(refusal, tmp_path, capsys, monkeypatch)


def test_the_catalogue_is_large_and_its_ids_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 15


def test_the_prepared_table_itself_is_accepted(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The cases fail for what they break, not for the table they start from."""
    from dataroi.cli import main

    _table(tmp_path / "ann.csv")
    monkeypatch.chdir(tmp_path)
    assert main(["annotations", "ann.csv", *FAST, "--gold", "gold", "--json"]) == 0
    assert '"n_items": 40' in capsys.readouterr().out
