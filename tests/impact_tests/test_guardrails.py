"""Guardrail metrics beside the value, on the real flights table: the paired difference by
hand, non-inferiority at the margin, the Bonferroni family, streams keyed by name, the
default gate, the command line and the impact spec; coverage checked by simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dataroi.cli._main import main
from dataroi.exceptions import ImpactSpecError
from dataroi.impact import (
    Guardrail,
    ImpactAssessment,
    default_gate,
    load_value_model,
    parse_guardrails,
)

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0}}
ALERTS = Guardrail("alerts", "pred == 1", "lower", 0.02)
MISSED = Guardrail("missed", "(y == 1) * (pred == 0)", "lower", 0.01)


def _assess(table: pd.DataFrame, guardrails, *, resamples: int = 400, seed: int = 0):
    return ImpactAssessment(load_value_model(VALUE), target="delayed",
                            n_resamples=resamples, seed=seed,
                            guardrails=guardrails).run(
        table, baseline="col:p_base", candidate="col:p_cand")


def test_the_difference_is_the_paired_mean_and_the_family_is_corrected(flights):
    table = flights.iloc[:8000]
    r = _assess(table, (ALERTS, MISSED))
    alerts_b = (table["p_base"] >= 0.5).mean()
    alerts_c = (table["p_cand"] >= 0.5).mean()
    [a, m] = r.guardrails
    assert a.baseline == pytest.approx(alerts_b) and a.candidate == pytest.approx(alerts_c)
    assert a.diff.estimate == pytest.approx(alerts_c - alerts_b, abs=1e-12)
    missed_b = ((table["delayed"] == 1) & (table["p_base"] < 0.5)).mean()
    missed_c = ((table["delayed"] == 1) & (table["p_cand"] < 0.5)).mean()
    assert m.diff.estimate == pytest.approx(missed_c - missed_b, abs=1e-12)
    assert a.confidence == pytest.approx(1 - 0.05 / 2)  # Bonferroni over two
    assert a.diff.ci_low <= a.diff.estimate <= a.diff.ci_high
    # the value's interval does not move when guardrails are added (their own streams)
    plain = _assess(table, ())
    assert (r.value_diff.ci_low, r.value_diff.ci_high) == (plain.value_diff.ci_low,
                                                           plain.value_diff.ci_high)
    # and a guardrail's replicates are its own: the same in another family of two
    other = _assess(table, (ALERTS, Guardrail("x", "score", "higher", 1.0)))
    assert (other.guardrails[0].diff.ci_low, other.guardrails[0].diff.ci_high) == \
        (a.diff.ci_low, a.diff.ci_high)


def test_non_inferiority_and_the_default_gate(flights):
    table = flights.iloc[:8000]
    r = _assess(table, (ALERTS,))
    d = r.guardrails[0].diff
    loose = _assess(table, (Guardrail("alerts", "pred == 1", "lower",
                                      abs(d.ci_high) + 0.05),))
    assert loose.guardrails[0].verdict == "held"
    # the candidate moves the alert rate (the whole interval on one side of 0): read as
    # a worsening with no margin, the guardrail is breached and the default gate fails
    assert np.sign(d.ci_low) == np.sign(d.ci_high) != 0
    direction = "lower" if d.estimate > 0 else "higher"
    tight = _assess(table, (Guardrail("alerts", "pred == 1", direction, 0.0),))
    assert tight.guardrails[0].verdict == "breached"
    gate = default_gate().evaluate(tight)
    held = {c.condition.name: c.passed for c in gate.conditions}
    assert held["guardrails.n_not_held"] is False and not gate.passed
    assert default_gate().evaluate(loose).conditions[-1].passed


def test_bad_guardrails_are_listed_at_once(flights):
    with pytest.raises(ImpactSpecError) as exc:
        parse_guardrails({"a": {"expression": "", "direction": "up", "margin": -1},
                          "b": "pred"})
    text = "\n".join(exc.value.problems)
    for part in ("guardrails.a.expression: required", "guardrails.a.direction",
                 "guardrails.a.margin: a number >= 0", "guardrails.b: a mapping"):
        assert part in text
    with pytest.raises(ImpactSpecError, match=r"guardrails\.bad\.expression"):
        _assess(flights.iloc[:500], (Guardrail("bad", "no_such_column > 1", "lower", 0),))


def test_the_command_line_and_the_spec(flights, tmp_path: Path, capsys):
    table = tmp_path / "eval.csv"
    flights.iloc[:6000].to_csv(table, index=False)
    (tmp_path / "value.yaml").write_text(yaml.safe_dump(VALUE))
    guards = {"alerts": {"expression": "pred == 1", "direction": "lower", "margin": 0.5}}
    (tmp_path / "guards.yaml").write_text(yaml.safe_dump({"guardrails": guards}))
    argv = ["impact", "run", str(table), "--target", "delayed", "--baseline", "col:p_base",
            "--candidate", "col:p_cand", "--value", str(tmp_path / "value.yaml"),
            "--resamples", "300", "--no-ledger"]
    main([*argv, "--guardrails", str(tmp_path / "guards.yaml")])
    out = capsys.readouterr().out
    assert "guardrail alerts (pred == 1; lower is better)" in out and "HELD" in out
    assert "PASS  every guardrail held" in out
    spec = {"name": "d", "hypothesis": "h", "baseline": "col:p_base",
            "candidate": "col:p_cand", "target": "delayed", "value": "value.yaml",
            "guardrails": guards}
    (tmp_path / "impact.yaml").write_text(yaml.safe_dump(spec))
    main(["impact", "run", str(table), "--spec", str(tmp_path / "impact.yaml"),
          "--resamples", "300", "--no-ledger", "--json"])
    doc = json.loads(capsys.readouterr().out)
    [g] = doc["result"]["guardrails"]
    assert g["name"] == "alerts" and g["verdict"] == "held"


@pytest.mark.slow
def test_the_interval_covers_at_nominal_on_subsamples(flights):
    """100 subsamples of 2,000 rows: the 95 % interval of the alert-rate difference
    covers the whole table's difference about 95 % of the time."""
    truth = ((flights["p_cand"] >= 0.5).mean() - (flights["p_base"] >= 0.5).mean())
    rng = np.random.default_rng(3)
    covered = 0
    for i in range(100):
        sub = flights.iloc[rng.choice(len(flights), 2000, replace=False)]
        g = _assess(sub.reset_index(drop=True), (ALERTS,), resamples=500, seed=i)
        covered += g.guardrails[0].diff.ci_low <= truth <= g.guardrails[0].diff.ci_high
    print(f"alert-rate guardrail: 95 % interval covered the whole table in {covered}/100")
    assert 88 <= covered <= 100, covered
