"""An empty or cut-short SQLite ledger is refused with one line that names the file and
says what to do, and is never written to or replaced; a new ledger file appears whole
(several processes creating it at once included)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from dataroi.cli import main
from dataroi.exceptions import LedgerError
from dataroi.ledger import open_ledger, upgrade_ledger
from dataroi.ledger._open import head_revision
from dataroi.testing.ledgers import complete, grid, make_context
from tests.conftest import iris_spec

REPO = Path(__file__).resolve().parents[2]


def _real_ledger(path: Path) -> bytes:
    """A ledger of 400 finished trials, checkpointed (no write-ahead log beside it)."""
    with open_ledger(path) as ledger:
        cid = make_context(ledger)
        ledger.plan_trials(cid, grid(models=("a", "b"), sizes=range(10, 1010, 10),
                                     repeats=2))
        for snap in ledger.claim_trials(cid, owner="me", limit=1000):
            ledger.finish_trial(snap.trial_id, complete(snap, accuracy=0.5), owner="me",
                                environment_id=None)
    assert not Path(f"{path}-wal").exists()
    return path.read_bytes()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("cut", ["half", "page boundary", "header only"])
def test_a_cut_short_ledger_is_refused_and_left_as_it_is(tmp_path, cut):
    whole = _real_ledger(tmp_path / "whole.db")
    assert len(whole) > 16 * 4096
    n = {"half": len(whole) // 2, "page boundary": 8 * 4096, "header only": 100}[cut]
    path = tmp_path / "cut.db"
    path.write_bytes(whole[:n])
    before = _files(tmp_path)
    for opener in (open_ledger, lambda p: open_ledger(p, create=False), upgrade_ledger):
        with pytest.raises(LedgerError) as info:
            opener(path)
        message = str(info.value)
        assert message.startswith(f"{path} is damaged (cut short: ")
        assert "restore the ledger from a backup, or move it away" in message
        assert "\n" not in message
    assert _files(tmp_path) == before  # nothing written, nothing created beside it


def test_the_whole_ledger_still_opens(tmp_path):
    path = tmp_path / "whole.db"
    _real_ledger(path)
    with open_ledger(path, create=False) as ledger:
        assert ledger.schema_version() == head_revision()


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "study.yaml"
    spec.write_text(yaml.safe_dump(iris_spec(), sort_keys=False))
    return spec


@pytest.mark.parametrize("content", ["empty", "half"])
@pytest.mark.parametrize("command", ["run", "status"])
def test_the_cli_says_one_line_exit_2_and_writes_nothing(tmp_path, capsys, content,
                                                         command):
    path = tmp_path / "ledger.db"
    if content == "empty":
        path.touch()
    else:
        whole = _real_ledger(tmp_path / "whole.db")
        (tmp_path / "whole.db").unlink()
        path.write_bytes(whole[:len(whole) // 2])
    spec = _spec(tmp_path)
    before = _files(tmp_path)
    code = main([command, str(spec), "--ledger", str(path)])
    _, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("note: ")]
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith(f"error: {path} is "), err
    assert ("empty file (0 bytes)" if content == "empty" else "damaged (cut short") in err
    assert _files(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no folders


def test_a_missing_file_is_created_whole_by_concurrent_processes(tmp_path):
    path = tmp_path / "new.db"
    code = ("import sys; from dataroi.ledger import open_ledger\n"
            "with open_ledger(sys.argv[1]) as ledger: print(ledger.schema_version())")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == [head_revision()] * 4
    # no temporary file left beside it
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(
        ("-wal", "-shm"))) == ["new.db"]
    with open_ledger(path, create=False) as ledger:
        assert ledger.schema_version() == head_revision()
