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
