"""A reader that leaves early (`dataroi ... | head`): the command ends quietly, exit 141
as a shell reports it, no "internal error" and no Python complaint at exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.datasets import load_iris

from dataroi.cli._main import _stdout_gone


def _closed_pipe_run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    try:
        return subprocess.run([sys.executable, "-m", "dataroi", *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=120,
                              check=False)
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", [["--version"], ["init", "--from", "iris.csv", "s.yaml"]])
def test_a_closed_pipe_ends_the_command_quietly(tmp_path, argv):
    load_iris(as_frame=True).frame.to_csv(tmp_path / "iris.csv", index=False)
    done = _closed_pipe_run(*argv, cwd=tmp_path)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""
    if "init" in argv:  # what it had to write is written; only the words were lost
        assert (tmp_path / "s.yaml").read_text(encoding="utf-8").startswith("# dataroi")


def test_an_open_stdout_is_not_gone():
    # pytest's captured stdout, or a terminal: a broken pipe elsewhere stays a bug
    assert _stdout_gone() is False


def test_piped_messages_stay_one_line_each(tmp_path):
    # a log file or a pipe gets one line per message: the ledger's path in the run's
    # summary (past 140 columns here) is not broken where Rich would wrap a terminal's text
    import yaml

    from tests.conftest import iris_spec

    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "studies"
    deep.mkdir(parents=True)
    (deep / "s.yaml").write_text(yaml.safe_dump(iris_spec(
        schedule={"sizes": [15, 40], "repeats": 1, "seed": 0})))
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run([sys.executable, "-m", "dataroi", "run", "s.yaml"], cwd=deep,
                          capture_output=True, text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr
    summary = [line for line in done.stdout.splitlines() if "trials in plan" in line]
    assert len(summary) == 1 and len(summary[0]) > 140
    assert summary[0].endswith(f"ledger {deep / '.dataroi' / 'ledger.db'}")
    assert all(line.startswith(("iris:", "note:", "warning:"))
               for line in done.stderr.splitlines()), done.stderr
