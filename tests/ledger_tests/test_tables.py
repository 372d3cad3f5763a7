"""A study's rows as Arrow tables and back: exact round trip, ids kept, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from dataroi.exceptions import LedgerError, UsageError
from dataroi.ledger import STUDY_TABLES, open_ledger, read_study_tables, write_study_tables


@pytest.fixture(scope="module")
def tables(full_study: tuple[Any, Path]) -> dict[str, pa.Table]:
    study, _ = full_study
    with open_ledger(study.ledger_url) as ledger:
        return read_study_tables(ledger, study.spec.name)


def test_a_study_round_trips_exactly(tables: dict[str, pa.Table], tmp_path: Path,
                                     full_study: tuple[Any, Path]):
    study, _ = full_study
    assert list(tables) == list(STUDY_TABLES)
    assert tables["trials"].num_rows == 24 and tables["studies"].num_rows == 1
    assert tables["documents"].num_rows >= 1  # the pre-registered rule
    with open_ledger(tmp_path / "copy.db", create=True) as copy:
        counts = write_study_tables(copy, tables)
        again = read_study_tables(copy, study.spec.name)
        ctx = copy.list_contexts(copy.get_study_id(study.spec.name))[-1]
        snaps = copy.get_trials(ctx["context_id"])
    assert counts["trials"] == 24
    assert all(tables[name].equals(again[name]) for name in STUDY_TABLES)
    with open_ledger(study.ledger_url) as ledger:
        assert snaps == ledger.get_trials(ctx["context_id"])  # ids and values kept


def test_refusals(tables: dict[str, pa.Table], tmp_path: Path):
    with open_ledger(tmp_path / "a.db", create=True) as ledger:
        with pytest.raises(UsageError, match="has no study named 'nope'"):
            read_study_tables(ledger, "nope")
        bad = tables["trials"].append_column("from_the_future", pa.array(
            [1] * tables["trials"].num_rows))
        with pytest.raises(LedgerError, match="from_the_future.*newer dataroi"):
            write_study_tables(ledger, {**tables, "trials": bad})
        with pytest.raises(LedgerError, match="not ledger tables of a study: runs"):
            write_study_tables(ledger, {"runs": tables["trials"]})
        write_study_tables(ledger, tables)
        with pytest.raises(UsageError, match="already holds a study"):
            write_study_tables(ledger, tables)
