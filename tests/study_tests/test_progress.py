"""The progress of a run: log lines without a terminal, a bar with one, an ETA by trial cost."""

from __future__ import annotations

import io
import re
import time

import pytest
from rich.console import Console

import dataroi
from dataroi.study import _progress
from dataroi.study._progress import _Eta, progress_reporter
from dataroi.trial import TrialKey, TrialResult, TrialState
from tests.conftest import iris_spec


def _result(model: str, n: int, seconds: float, *, failed: bool = False) -> TrialResult:
    state = TrialState.FAILED if failed else TrialState.COMPLETE
    return TrialResult(TrialKey(model, n, 0), state, seed=0, fit_seconds=seconds,
                       predict_seconds=0.0)


def test_the_eta_weighs_the_trials_left_by_their_size():
    # two models; each repeat runs largest first: after the big trials, little is left
    work = [(m, n) for m in ("a", "b") for n in (100, 1_000, 10_000)]
    eta = _Eta(work)
    eta.add("a", 10_000, 10.0)
    eta.add("b", 10_000, 20.0)
    left = eta.seconds_left(30.0)
    # the trials left are 1/10 and 1/100 of the big ones: 30 s × 0.11 = 3.3 s
    assert left == pytest.approx(30.0 * 0.11)
    # counted by trials it would have said 30 s × 4 / 2 = 60 s
    eta.add("a", 1_000, 1.0)
    assert eta.seconds_left(31.0) < left


def test_the_eta_is_unknown_before_the_first_trial():
    assert _Eta([("a", 10)]).seconds_left(5.0) is None


def test_without_a_terminal_it_logs_the_start_each_tenth_and_the_end():
    log = Console(file=io.StringIO())
    work = [("m", 10 * (i + 1)) for i in range(20)]
    with progress_reporter(20, enabled=True, console=log, label="s", work=work) as tick:
        for m, n in reversed(work):
            tick(_result(m, n, n / 100, failed=n == 10))
    lines = log.file.getvalue().splitlines()
    assert lines[0] == "s: 20 trials to run"
    assert len(lines) == 1 + 10  # every tenth: 2, 4, ..., 20
    assert re.fullmatch(r"s: 20/20 trials \(1 failed\), \d+s elapsed, ETA 0s", lines[-1])
    assert lines[1].startswith("s: 2/20 trials (0 failed)")


def test_without_a_terminal_a_long_trial_still_logs_every_minute(monkeypatch):
    monkeypatch.setattr(_progress, "LOG_EVERY_SECONDS", 0.1)  # a "minute" of 0.1 s
    log = Console(file=io.StringIO())
    with progress_reporter(100, enabled=True, console=log, label="s",
                           work=[("m", 5)] * 100) as tick:
        time.sleep(0.35)  # no trial ends: the clock speaks anyway
        tick(_result("m", 5, 0.1))
        time.sleep(0.15)
    lines = log.file.getvalue().splitlines()
    assert lines[0] == "s: 100 trials to run"
    waiting = [ln for ln in lines if ln.startswith("s: 0/100 trials (0 failed)")]
    assert len(waiting) >= 2 and all(ln.endswith("ETA unknown") for ln in waiting)
    assert re.search(r"s: 1/100 trials \(0 failed\), \d+s elapsed, ETA \d+s$", lines[-1])


def test_on_a_terminal_the_bar_shows_counts_and_the_eta():
    term = Console(file=io.StringIO(), force_terminal=True, width=120)
    with progress_reporter(2, enabled=True, console=term, label="bar",
                           work=[("m", 100), ("m", 10)]) as tick:
        tick(_result("m", 100, 2.0))
        tick(_result("m", 10, 0.2))
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", term.file.getvalue())
    assert "2/2" in text and "0 failed" in text
    assert re.search(r"ETA 0:00", text)


def test_disabled_or_empty_it_prints_nothing():
    log = Console(file=io.StringIO())
    for total, enabled in ((5, False), (0, True)):
        with progress_reporter(total, enabled=enabled, console=log) as tick:
            tick(_result("m", 5, 1.0))
    assert log.file.getvalue() == ""


def test_a_resumed_run_has_an_eta_before_its_first_trial_ends():
    # two workers; the earlier run timed the big trials at 10 s: 4 left of 10 s / 2 = 20 s
    eta = _Eta([("m", 1000)] * 4, timed=[("m", 1000, 10.0), ("m", 100, 1.0)], workers=2)
    assert eta.seconds_left(0.0) == pytest.approx(20.0)
    assert eta.seconds_left(5.0) == pytest.approx(15.0)
    assert eta.seconds_left(25.0) is None  # slower than the timings said: not known
    eta.add("m", 1000, 30.0)  # then this run's own pace
    assert eta.seconds_left(30.0) == pytest.approx(30.0 * 3, rel=0.5)
    log = Console(file=io.StringIO())
    with progress_reporter(4, enabled=True, console=log, label="s", work=[("m", 1000)] * 4,
                           timed=[("m", 1000, 10.0)], workers=2):
        pass
    assert log.file.getvalue().splitlines()[0] == (
        "s: 4 trials to run, ETA 20s (the timings of 1 trial run before)")
    # a model added to the spec has no timing: no guess from the others' ('ETA 0s' for
    # six forest trials after the timings of a logistic regression and naive Bayes)
    added = _Eta([("forest", 1000)] * 6, timed=[("lr", 1000, 0.1), ("nb", 1000, 0.01)])
    assert added.seconds_left(0.0) is None
    added.add("forest", 1000, 8.0)  # then this run's own pace
    assert added.seconds_left(8.0) == pytest.approx(40.0)


@pytest.mark.slow
def test_a_real_run_logs_its_trials_and_an_eta(write_spec, tmp_path):
    spec = iris_spec(schedule={"sizes": [15, 40, 90], "repeats": 2, "seed": 0})
    study = dataroi.load_study(write_spec(spec), ledger=str(tmp_path / "ledger.db"))
    log = Console(file=io.StringIO())
    summary = study.run(jobs=1, executor="serial", progress=True, console=log)
    lines = log.file.getvalue().splitlines()
    assert summary.completed == 6
    assert lines[0].endswith(": 6 trials to run")
    assert re.search(r": 6/6 trials \(0 failed\), \d+s elapsed, ETA 0s$", lines[-1])
    bigger = iris_spec(schedule={"sizes": [15, 40, 90], "repeats": 3, "seed": 0})
    study = dataroi.load_study(write_spec(bigger), ledger=str(tmp_path / "ledger.db"))
    log = Console(file=io.StringIO())
    study.run(jobs=1, executor="serial", progress=True, console=log)
    first = log.file.getvalue().splitlines()[0]  # the 6 trials timed before give an ETA
    assert re.fullmatch(r"iris: 3 trials to run, ETA \d+s \(the timings of 6 trials run "
                        r"before\)", first)
