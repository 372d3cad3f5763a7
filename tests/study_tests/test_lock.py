"""One coordinator per SQLite file, whatever path names the file: a second `dataroi run`
through a symbolic link (to the file, or to its folder) is refused while the first runs,
and the first finishes every trial exactly once."""

from __future__ import annotations

import pytest

from tests.study_tests._processes import (
    kill_marked,
    ledger_counts,
    new_mark,
    slow_spec,
    spawn_run,
    wait_until,
)


@pytest.mark.slow
@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_symlink_to_a_running_ledger_gets_the_one_coordinator_error(write_spec, tmp_path,
                                                                      link):
    spec_path = write_spec(slow_spec(0.3))
    real = tmp_path / "real"
    real.mkdir()
    ledger = str(real / "ledger.db")
    if link == "file":
        other = tmp_path / "link.db"
        other.symlink_to(real / "ledger.db")
    else:
        (tmp_path / "linked").symlink_to(real, target_is_directory=True)
        other = tmp_path / "linked" / "ledger.db"
    mark = new_mark()
    first = spawn_run(spec_path, ledger, mark, "--jobs", "1")
    try:
        wait_until(ledger, complete=1, proc=first)
        second = spawn_run(spec_path, str(other), mark, "--jobs", "1")
        _, err = second.communicate(timeout=60)
        assert first.poll() is None, "the first run ended before the second was refused"
        assert second.returncode == 2, err
        errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1 and "one coordinator at a time" in errors[0], err
        _, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        kill_marked(mark)
    counts = ledger_counts(ledger)
    assert counts["rows"] == counts["keys"] == counts.get("complete") == 20, counts
