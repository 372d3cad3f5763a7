"""The bad-input catalogue, data: a table no model can learn from is refused before any write.

Each case writes ``data.csv`` (iris with one thing broken, or not a table at all) and a
spec that points at it, runs ``dataroi run`` and checks the refusal: exit 2, one error
line, no ledger and no cache.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from tests._specs import LOGREG
from tests.cli_tests._refusals import Refusal, check_refusal

RUN = ("run", "study.yaml", "--no-progress")


def _iris() -> pd.DataFrame:
    x, y = load_iris(return_X_y=True)
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    frame["label"] = np.asarray(["setosa", "versicolor", "virginica"])[y]
    return frame


def _spec(source: str = "data.csv", *, task: str | None = None, preprocess: str | None = None,
          split: dict[str, Any] | None = None, **data: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "bad-data",
                            "data": {"source": source, "target": "label", **data},
                            "models": {"lr": dict(LOGREG)},
                            "schedule": {"sizes": [20, 40], "repeats": 1}}
    if task:
        spec["data"]["task"] = task
    if preprocess:
        spec["preprocess"] = preprocess
    if split:
        spec["split"] = split
    return spec


def _csv(change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        frame = _iris()
        frame = change(frame) if change(frame.copy()) is not None else frame
        frame.to_csv(path, index=False)
    return write


def _with(**columns: Any) -> Callable[[Path], None]:
    return _csv(lambda f: f.assign(**columns))


def _regression(target: Any) -> Callable[[Path], None]:
    return _csv(lambda f: f.assign(label=target))


def _text(text: str | bytes) -> str | bytes:
    return text


_N = 150
_CASES: list[tuple[str, Any, dict[str, Any], str]] = [
    # (id, data.csv content, spec keyword arguments, message regex)
    ("empty-file", "", {}, "data file is empty: .*data.csv"),
    ("header-only", "a,b,c,d,label\n", {}, "no rows"),
    ("one-row", "a,b,c,d,label\n1,2,3,4,x\n", {}, "(rows|class)"),
    ("target-all-missing", _with(label=np.nan), {}, "label"),
    ("target-one-class", _with(label="setosa"), {}, "has a single class \\('setosa'\\)"),
    ("duplicate-columns", "a,a,c,d,label\n" + "1,2,3,4,x\n" * 60 + "1,2,3,4,y\n" * 60,
     {}, "column 'a' appears twice"),
    ("duplicate-columns-target", "a,label,c,d,label\n" + "1,2,3,4,x\n" * 60
     + "1,2,3,4,y\n" * 60, {}, "column 'label' appears twice"),
    ("feature-all-missing", _with(e=np.nan), {"preprocess": "none"}, "column 'e'"),
    ("feature-infinite", _with(e=np.r_[np.inf, np.zeros(_N - 1)]), {"preprocess": "none"},
     "column 'e'.*infinite"),
    ("feature-minus-infinite", _with(e=np.r_[-np.inf, np.ones(_N - 1)]),
     {"preprocess": "none"}, "column 'e'.*infinite"),
    ("feature-text", _with(e=["x", "y", "z"] * 50), {"preprocess": "none"}, "column 'e'"),
    ("target-infinite", _regression(np.r_[np.inf, np.arange(_N - 1.0)]),
     {"task": "regression"}, "target 'label'.*infinite"),
    ("target-text-regression", _with(), {"task": "regression"}, "label"),
    ("target-missing-some", _with(label=[None] * 10 + ["x", "y"] * 70), {},
     "drop_missing_target"),
    ("ragged-rows", "a,b,c,d,label\n1,2,3,4,x\n1,2,3,4,5,6,y\n", {}, "data.csv"),
    ("binary-garbage", bytes(range(256)) * 8, {}, "data.csv"),
    # a spreadsheet's "CSV" in much of Europe; a file saved as Windows-1252
    ("semicolon-separated", "a;b;c;d;label\n" + "1;2;3;4;x\n" * 60,
     {}, "its header is one column, 'a;b;c;d;label', holding ';': a file separated by "
     "';'\\? .*save it with commas, or as Parquet"),
    ("not-utf8", b"a,b,c,d,label\n" + "1,2,3,4,Müller\n".encode("cp1252") * 60,
     {}, r"not UTF-8 text \(it holds the byte 0xfc; Latin-1 or Windows-1252\?\): save it as "
     "UTF-8"),
    ("only-target", _csv(lambda f: f[["label"]]), {}, "no feature columns"),
    ("too-few-rows-for-sizes", _csv(lambda f: f.sample(30, random_state=0)), {},
     "exceed the training pool"),
    ("regression-constant-target", _regression(np.ones(_N)), {"task": "regression"},
     "target 'label' holds one value"),
]

_FILE_CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (id, files besides study.yaml, spec keyword arguments, message regex)
    ("source-missing", {}, {"source": "nope.csv"}, "nope.csv"),
    ("source-is-folder", {"folder/x.txt": "x"}, {"source": "folder"}, "folder"),
    ("parquet-corrupt", {"data.parquet": b"PAR1garbagePAR1"}, {"source": "data.parquet"},
     "data.parquet"),
    ("npz-corrupt", {"data.npz": b"not a zip"}, {"source": "data.npz"}, "data.npz"),
    ("npz-no-arrays", {"data.npz": lambda p: np.savez(p, z=np.zeros(3))},
     {"source": "data.npz"}, "column 'label' not found; columns: z"),
    ("test-file-missing", {"data.csv": _with()}, {"split": {"test_file": "test.csv"}},
     "test.csv"),
    ("test-file-other-columns", {"data.csv": _with(), "test.csv": "x,y\n1,2\n"},
     {"split": {"test_file": "test.csv"}}, "test.csv"),
    ("group-column-absent", {"data.csv": _with()}, {"split": {"group_column": "site"}},
     "site"),
    # 1.0 reads as one row (a whole number is a count): too few for a stratified split
    ("test-size-one-row", {"data.csv": _with()}, {"split": {"test_size": 1.0}},
     r"split.test_size: 1 leaves 1 row in the test set, fewer than the 3 classes"),
    ("time-column-absent", {"data.csv": _with()}, {"split": {"time_column": "when"}},
     "when"),
    ("unknown-suffix", {"data.xyz": "a,b\n"}, {"source": "data.xyz"}, "data.xyz"),
]


def _case_spec(extra: dict[str, Any]) -> dict[str, Any]:
    extra = dict(extra)
    return _spec(extra.pop("source", "data.csv"), **extra)


@pytest.mark.parametrize("case", [
    Refusal(f"data-{cid}", RUN, message,
            files={"data.csv": content, "study.yaml": _case_spec(kwargs)})
    for cid, content, kwargs, message in _CASES
] + [
    Refusal(f"data-{cid}", RUN, message, files={**files, "study.yaml": _case_spec(kwargs)})
    for cid, files, kwargs, message in _FILE_CASES
], ids=str)
def test_bad_data_is_refused_before_any_write(case, tmp_path, capsys, monkeypatch):
    check_refusal(case, tmp_path, capsys, monkeypatch)
