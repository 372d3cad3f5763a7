"""Several coordinators on one real PostgreSQL ledger split the work; a dead one's
trials are taken back after its heartbeat times out."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

import dataroi
from tests.conftest import iris_spec

REPO = Path(__file__).resolve().parents[2]


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


@pytest.mark.postgres
@pytest.mark.slow
def test_three_coordinators_one_killed_every_trial_complete_once(write_spec, postgres_url):
    spec = iris_spec(
        models={"slow": {"factory": "tests.study_tests.slow_models:make_slow",
                         "params": {"delay": 0.3}}},
        metrics=["accuracy"],
        schedule={"sizes": [20, 40, 60, 80, 100], "repeats": 6, "seed": 0})
    path = write_spec(spec)
    # plan once, so that the three coordinators start on the same plan at once
    study = dataroi.load_study(path, ledger=postgres_url)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "dataroi", "run", str(path), "--ledger",
           postgres_url, "--jobs", "1", "--no-progress", "--heartbeat-timeout", "3"]
    procs = [subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    engine = _engine(postgres_url)
    deadline = time.monotonic() + 90
    victim = procs[0]
    while time.monotonic() < deadline:
        try:
            with engine.connect() as conn:
                done = conn.execute(sa.text(
                    "SELECT COUNT(*) FROM trials WHERE state = 'complete'")).scalar_one()
                mine = conn.execute(sa.text(
                    "SELECT COUNT(*) FROM trials WHERE state = 'running' AND owner LIKE :p"),
                    {"p": f"%:{victim.pid}:%"}).scalar_one()
        except sa.exc.ProgrammingError:  # tables not created yet
            done = mine = 0
        if done >= 10 and mine >= 1:
            break
        time.sleep(0.05)
    victim.kill()  # SIGKILL halfway, holding a claimed trial
    victim.wait(timeout=30)
    for p in procs[1:]:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT model, n_train, repeat_index, state, owner FROM trials")).all()
        n_metrics = conn.execute(sa.text("SELECT COUNT(*) FROM trial_metrics")).scalar_one()
    engine.dispose()
    assert len(rows) == 30
    assert all(r.state == "complete" for r in rows)
    assert len({(r.model, r.n_train, r.repeat_index) for r in rows}) == 30
    # accuracy on the test set and on the training rows, each recorded exactly once
    assert n_metrics == 2 * 30
    owners = {r.owner.split(":")[1] for r in rows}
    assert len(owners) >= 2  # the work was split
    assert study.status().counts["complete"] == 30
