"""The ledger's forecast track record widens (or narrows) the intervals of later
recommendations once it holds enough checked forecasts, and only then; the rule can turn
it off. A real iris study in a real SQLite ledger; the follow-ups' checks are written as
``dataroi followup`` records them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

import dataroi
from dataroi.cli import main
from dataroi.decide import MIN_CHECKS
from dataroi.ledger import open_ledger
from tests._specs import logreg_and_tree
from tests.conftest import iris_spec


def _study(tmp_path, **decision):
    spec = iris_spec(models=logreg_and_tree(),
                     costs={"price_per_label_usd": 0.5, "value_per_point_usd": 100},
                     schedule={"sizes": [15, 30, 60, 90], "repeats": 3, "seed": 0},
                     decision=decision or {"rule": "expected_net"})
    path = tmp_path / "iris.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert main(["run", str(path), "--ledger", url, "--no-progress", "--jobs", "1"]) == 0
    return dataroi.load_study(path, ledger=url, build_models=False), url


def _record(url: str, n: int, z: float) -> None:
    with open_ledger(url, create=False) as ledger:
        for i in range(n):
            ledger.record_document("followup", {"study": "other", "checks": [{
                "error": 0.02 * z, "inside50": False, "inside90": abs(z) <= 1,
                "z90": z if i % 2 else -z, "chosen": True}]})


def _width(study, n_ahead: int) -> tuple[float, object]:
    """The lower half of the 90 % interval (median − 5 % quantile): the draws are stretched
    about the median, and the upper half of a model near accuracy 1 is clipped there."""
    with study.analyze(n_draws=2000) as a:
        d = a.curves.draws("logreg", [n_ahead])[:, 0]
        return float(np.quantile(d, 0.5) - np.quantile(d, 0.05)), a.curves


def test_a_track_record_of_too_narrow_intervals_widens_them(tmp_path):
    study, url = _study(tmp_path)
    before, curves = _width(study, 360)
    assert curves.interval_scale is None
    _record(url, MIN_CHECKS - 1, 2.0)
    assert _width(study, 360)[1].interval_scale is None  # off: too few checks yet
    _record(url, 1, 2.0)
    after, curves = _width(study, 360)
    assert curves.interval_scale == pytest.approx(2.0)
    assert after == pytest.approx(2 * before, rel=0.05)
    # today's size and below are measured, not forecast: untouched
    with study.analyze(n_draws=2000) as a:
        unscaled = dataclasses.replace(a.curves, interval_scale=None)
        assert np.array_equal(a.curves.draws("logreg", [30, 90]),
                              unscaled.draws("logreg", [30, 90]))
    with study.analyze() as a:
        rec = a.recommend()
    assert any("x2.00: the ledger's track record" in r for r in rec.reasons)


def test_the_rule_can_turn_it_off(tmp_path):
    study, url = _study(tmp_path, rule="expected_net", recalibrate=False)
    _record(url, MIN_CHECKS, 2.0)
    assert _width(study, 360)[1].interval_scale is None


def test_too_wide_intervals_are_narrowed(tmp_path):
    study, url = _study(tmp_path)
    before, _ = _width(study, 360)
    _record(url, MIN_CHECKS, 0.5)
    after, curves = _width(study, 360)
    assert curves.interval_scale == pytest.approx(0.5)
    assert after < 0.6 * before


def test_recalibrate_must_be_a_boolean(tmp_path, capsys):
    spec = iris_spec(decision={"recalibrate": "yes"})
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(spec))
    assert main(["status", str(path)]) == 2
    assert "decision.recalibrate: must be true or false, got 'yes'" in capsys.readouterr().err
