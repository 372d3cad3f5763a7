"""What the SQL ledger does with document payloads: plain JSON, NumPy values, clear errors.

The contract (round trips, filters, order) is in ``conformance.py``; this module tests
:func:`dataroi.ledger._sql.document_payload`, which :class:`SQLLedger` applies before it
stores a document, and the cascade of the ``documents`` foreign keys.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from dataroi.exceptions import LedgerError
from dataroi.ledger import SQLLedger
from dataroi.ledger._sql import document_payload
from dataroi.testing.ledgers import make_context


class Colour(enum.StrEnum):
    RED = "red"


def test_numpy_values_become_plain_python(ledger: SQLLedger) -> None:
    payload: dict[str, Any] = {
        "f64": np.float64(0.5),
        "f32": np.float32(0.25),
        "i64": np.int64(7),
        "u8": np.uint8(255),
        "flag": np.bool_(True),
        "nan32": np.float32("nan"),
        "array": np.array([[1.0, np.nan], [np.inf, 2.0]]),
        "ints": np.arange(3),
        "nested": {"deep": [np.int32(-1), {"x": np.float16(1.5)}]},
        "text": np.str_("numpy text"),
    }
    expected = {
        "f64": 0.5,
        "f32": 0.25,
        "i64": 7,
        "u8": 255,
        "flag": True,
        "nan32": None,
        "array": [[1.0, None], [None, 2.0]],
        "ints": [0, 1, 2],
        "nested": {"deep": [-1, {"x": 1.5}]},
        "text": "numpy text",
    }
    plain = document_payload(payload)
    assert plain == expected
    ledger.record_document("metrics", payload)
    [stored] = ledger.list_documents("metrics")
    assert stored["payload"] == expected
    kinds = {key: type(value) for key, value in stored["payload"].items()}
    assert kinds["i64"] is int and kinds["flag"] is bool and kinds["f32"] is float
    assert kinds["text"] is str


def test_plain_payload_is_a_new_dict_of_builtin_types() -> None:
    source = {"t": (1, 2), "s": Colour.RED, "b": False, "n": None, "i": 3}
    plain = document_payload(source)
    assert plain == {"t": [1, 2], "s": "red", "b": False, "n": None, "i": 3}
    assert type(plain["s"]) is str
    assert plain is not source and source["t"] == (1, 2)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"a": {"b": [1, {2, 3}]}}, r"payload\['a'\]\['b'\]\[1\]: cannot store a set"),
        ({"when": np.datetime64("2024-01-01T00:00:00")}, r"payload\['when'\]: .*datetime"),
        ({"obj": object()}, r"payload\['obj'\]: cannot store a object \(<object object"),
        ({"a": {1: "x"}}, r"payload\['a'\]: document keys must be strings, got int key 1"),
        ({"b": b"bytes"}, r"payload\['b'\]: cannot store a bytes"),
        ({"long": "x" * 200, "bad": {"v": "y" * 200, "s": {"z" * 100}}}, r"\.\.\.\) in a"),
    ],
)
def test_values_that_are_not_json_are_refused_by_key(payload: Any, message: str) -> None:
    with pytest.raises(LedgerError, match=message) as info:
        document_payload(payload)
    assert "\n" not in str(info.value)  # one line, for the CLI


def test_non_mapping_and_circular_payloads_are_refused() -> None:
    with pytest.raises(LedgerError, match="must be a dict with string keys, got list"):
        document_payload([1, 2])  # type: ignore[arg-type]
    loop: dict[str, Any] = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(LedgerError, match=r"payload\['a'\]\[0\]: .*circular reference"):
        document_payload(loop)
    shared = [1.0, math.nan]  # the same list twice is not a cycle
    assert document_payload({"x": shared, "y": shared}) == {"x": [1.0, None], "y": [1.0, None]}


def test_bad_payload_writes_nothing(ledger: SQLLedger) -> None:
    with pytest.raises(LedgerError, match=r"payload\['k'\]"):
        ledger.record_document("note", {"ok": 1, "k": {3}})
    assert ledger.list_documents("note") == []


def test_bad_arguments_are_ledger_errors(ledger: SQLLedger) -> None:
    with pytest.raises(LedgerError, match="study_id must be an integer id or None"):
        ledger.record_document("note", {}, study_id=True)
    with pytest.raises(LedgerError, match="context_id must be an integer id or None"):
        ledger.list_documents("note", context_id="1")  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="content_hash must be a non-empty string"):
        ledger.record_document("note", {}, content_hash="")
    with pytest.raises(LedgerError, match="kind must be a non-empty string"):
        ledger.list_documents("  ")
    assert ledger.record_document("note", {}, study_id=None, content_hash="h") == 1
    assert [d["payload"] for d in ledger.list_documents("note")] == [{}]


def test_documents_are_deleted_with_their_study_or_context(ledger: SQLLedger) -> None:
    cid = make_context(ledger)
    sid = ledger.get_study_id("demo")
    other = ledger.upsert_study("other", spec_hash="h", spec_text="")
    ledger.record_document("note", {"of": "study"}, study_id=sid)
    ledger.record_document("note", {"of": "context"}, context_id=cid)
    ledger.record_document("note", {"of": "other"}, study_id=other)
    ledger.record_document("note", {"of": "nothing"})
    with ledger._engine.begin() as conn:  # the ledger's engine: SQLite foreign keys on
        conn.execute(sa.text("DELETE FROM studies WHERE id = :sid"), {"sid": sid})
    remaining = [d["payload"]["of"] for d in ledger.list_documents("note")]
    assert remaining == ["other", "nothing"]
