"""The bad-input catalogue's harness: run the CLI on prepared files, check it refused cleanly.

A :class:`Refusal` names a command line, the files to prepare and the message the one
error line must carry. :func:`check_refusal` copies a finished study into a fresh folder
(when the case asks for one), writes the case's files, snapshots every file's bytes, runs
``dataroi`` in-process from that folder and asserts: the exit code; exactly one line of
stderr starts with ``error:`` (before it only ``note:``/``warning:`` lines; after it only
the ``  - `` list of an error that says "N problems", every problem at once); the message
matches; no traceback; and no file was created, changed or
removed (SQLite's transient ``-wal``/``-shm``/``-journal`` files aside).

Example:
    >>> Refusal("jobs-zero", ("run", "study.yaml", "--jobs", "0"), "--jobs must be").id
    'jobs-zero'
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataroi.cli import main

#: Files that SQLite creates and removes around a read: not a write by dataroi.
_TRANSIENT = ("-wal", "-shm", "-journal")

FileContent = str | bytes | Callable[[Path], None]

#: One record per case run in this process (``benchmarks/bench_faults.py`` counts them):
#: id, seconds, exit code, files written, traceback, internal error, clean refusal.
RECORDS: list[dict[str, Any]] = []


@dataclass(frozen=True)
class Refusal:
    """One bad input: ``argv`` run in a folder holding ``files`` (and the study, if asked).

    ``files`` maps a relative path to text, bytes or a function that writes it (given the
    full path); a mapping value is written as YAML. ``study=True`` starts from a copy of
    the finished iris study (``study.yaml`` and its ledger in ``.dataroi/``).
    """

    id: str
    argv: tuple[str, ...]
    message: str
    files: Mapping[str, Any] = field(default_factory=dict)
    study: bool = False
    exit_code: int = 2

    def __str__(self) -> str:
        return self.id


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path → SHA-256 of every file (and ``folder`` for each folder) under ``folder``,
    SQLite's transient files aside."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir():
            out[f"{path.relative_to(folder)}/"] = "folder"
        elif not path.name.endswith(_TRANSIENT):
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _write(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if callable(content):
        content(path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        path.write_text(yaml.safe_dump(content, sort_keys=False))


def check_refusal(case: Refusal, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch, study_folder: Path | None = None) -> str:
    """Run ``case`` and assert a clean refusal; return the error line."""
    folder = tmp_path / "case"
    if case.study:
        assert study_folder is not None, "this case needs the finished study"
        shutil.copytree(study_folder, folder)
    else:
        folder.mkdir()
    for name, content in case.files.items():
        _write(folder / name, content)
    before = snapshot(folder)
    monkeypatch.chdir(folder)
    capsys.readouterr()
    t0 = time.perf_counter()
    code = main(list(case.argv))
    seconds = time.perf_counter() - t0
    out, err = capsys.readouterr()
    after = snapshot(folder)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    record = {"id": case.id, "seconds": seconds, "exit": code, "written": len(changed),
              "traceback": "Traceback" in err + out, "internal": "internal error:" in err,
              "clean": False,
              "file": os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0]}
    RECORDS.append(record)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [i for i, ln in enumerate(lines) if ln.startswith(("error: ", "internal error: "))]
    assert "Traceback" not in err + out, err
    assert code == case.exit_code, f"exit {code}, expected {case.exit_code}: {err}{out}"
    assert len(errors) == 1, f"expected one error line: {err!r}"
    first = errors[0]
    extra = [ln for ln in lines[:first] if not ln.startswith(("note: ", "warning: "))]
    assert not extra, f"lines besides notes before the error: {extra!r}"
    # after the error line only its list of problems ("  - ..."), when it says "N problems"
    listed = lines[first + 1:]
    assert all(ln.startswith("  - ") for ln in listed), f"lines after the error: {listed!r}"
    assert not listed or re.search(r"\d+ problems", lines[first]), lines[first]
    assert not lines[first].startswith("internal error"), lines[first]
    block = "\n".join(lines[first:])
    assert re.search(case.message, block), f"{case.message!r} not in {block!r}"
    assert not changed, f"files written on bad input: {changed}"
    record["clean"] = True
    return block
