"""The default gate (issue #23): evidence of no harm per segment, at a margin.

Real flights, two real models; harmful candidates are built from the real decisions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.special import ndtri

from dataroi.cli._main import main
from dataroi.impact import ImpactAssessment, ImpactSpecError, default_gate, load_gate
from dataroi.impact import load_value_model as _load

VALUE = {"expression": "gain * (pred == 1) * (y == 1) - alert_cost * (pred == 1)",
         "terms": {"gain": 30.0, "alert_cost": 8.0}}
OLD_GATE = {"conditions": ["value_diff.ci_low > 0", "no segment significantly worse"]}


def _decisions(flights: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = flights["delayed"].to_numpy()
    base = (flights["p_base"].to_numpy() >= 0.3).astype(int)
    cand = (flights["p_cand"].to_numpy() >= 0.3).astype(int)
    return y, base, cand


def _harmful(flights: pd.DataFrame, carrier: str = "EV", rate: float = 0.25,
             seed: int = 0) -> pd.DataFrame:
    """The real candidate everywhere but in ``carrier``: there the baseline with a share
    of its right decisions flipped (worse)."""
    y, base, cand = _decisions(flights)
    rng = np.random.default_rng(seed)
    inside = flights["carrier"].to_numpy() == carrier
    bad = np.where((base == y) & (rng.random(len(y)) < rate), 1 - base, base)
    return flights.assign(pred_base=base, pred_cand=np.where(inside, bad, cand))


def _run(table: pd.DataFrame, **kw) -> object:
    kw.setdefault("n_resamples", 400)
    return ImpactAssessment(_load(VALUE), target="delayed", **kw).run(
        table, baseline="col:pred_base", candidate="col:pred_cand")


def test_default_gate_asks_for_value_and_for_evidence_of_no_harm() -> None:
    gate = default_gate()
    assert [c.text for c in gate.conditions] == ["value_diff.ci_low > 0",
                                                 "no segment harmed beyond the margin",
                                                 "every guardrail held"]
    assert gate.margin is None and gate.source == "<default gate>"
    parsed = load_gate({"margin": 2.5, "conditions": ["no harm beyond the margin",
                                                      "no segment harmed"]})
    assert parsed.margin == 2.5
    assert {c.name for c in parsed.conditions} == {"segments.n_harm_not_ruled_out"}


def test_harm_is_found_where_the_candidate_is_worse(flights: pd.DataFrame) -> None:
    res = _run(_harmful(flights), segments=["carrier"])
    ev = next(s for s in res.segments if s.level == "EV")
    assert ev.harm == "harm found" and ev.value_diff.ci_high < 0
    assert res.value_diff.estimate > 0            # better overall ...
    assert res.margin == pytest.approx(res.value_diff.estimate)  # auto margin
    verdict = default_gate().evaluate(res)
    assert not verdict.passed
    harm_line = verdict.conditions[1].line()
    assert "harm found in carrier=EV" in harm_line and "auto" in harm_line
    assert any(line.startswith("harm found in carrier=EV") for line in res.harm_lines())


def test_a_segment_without_enough_data_says_how_many_rows_it_needs(
        flights: pd.DataFrame) -> None:
    # a small sample and a modest candidate (the real one on 15 % of the rows): the
    # segments' intervals are wide against a margin of 0.2 per row
    small = flights.iloc[:2000]
    _y, base, cand = _decisions(small)
    modest = np.where(np.random.default_rng(0).random(len(small)) < 0.15, cand, base)
    small = small.assign(pred_base=base, pred_cand=modest)
    res = _run(small, segments=["origin"], margin=0.2)
    open_ = [s for s in res.segments if s.harm == "not enough data" and s.rows_needed]
    assert open_, [(s.level, s.harm) for s in res.segments]
    seg = open_[0]
    iv = seg.value_diff
    assert iv.ci_low <= -0.2 < iv.estimate
    # the MDE is (z(0.975) + z(0.8)) standard errors; the rows needed scale it to the gap
    # between the estimate and -margin
    z = float(ndtri(0.975) + ndtri(0.8))
    assert seg.mde == pytest.approx(z * (iv.estimate - iv.ci_low) / 2.0, rel=0.25)
    assert seg.rows_needed == pytest.approx(seg.n_rows * (seg.mde / (iv.estimate + 0.2)) ** 2,
                                            abs=1)
    assert seg.rows_needed > seg.n_rows
    # the same rows repeated to the count it asked for rule harm out (the estimate stays,
    # the standard error shrinks as 1/sqrt(rows))
    mask = small["origin"].to_numpy() == seg.level
    times = int(np.ceil(seg.rows_needed / seg.n_rows))
    bigger = pd.concat([small[mask]] * times, ignore_index=True)
    bigger["id"] = np.arange(len(bigger))
    again = _run(bigger, segments=["origin"], margin=0.2)
    assert again.segments[0].value_diff.estimate == pytest.approx(iv.estimate)
    assert again.segments[0].harm == "no harm beyond the margin"
    line = next(x for x in res.harm_lines() if seg.name in x)
    assert line.startswith(f"not enough data to rule out harm in {seg.name}")
    assert "needs about" in line and "in all at its share" in line


def test_a_candidate_better_everywhere_passes_the_default_gate(flights: pd.DataFrame) -> None:
    _y, base, cand = _decisions(flights)
    res = _run(flights.assign(pred_base=base, pred_cand=cand), segments=["origin"])
    assert all(s.harm == "no harm beyond the margin" for s in res.segments)
    assert all(s.value_diff.ci_low > -res.margin for s in res.segments)
    assert default_gate().evaluate(res).passed


def test_the_default_gate_rarely_ships_harm_the_old_one_ships(flights: pd.DataFrame) -> None:
    """Small simulation: 2,000-row samples of a candidate better overall but harmful in
    EV (a fifth of the rows or so) by more than its average gain."""
    table = _harmful(flights, rate=0.06)
    y = table["delayed"].to_numpy()
    vm = _load(VALUE)
    d = vm.row_values({}, y=y, pred=table["pred_cand"].to_numpy()) - vm.row_values(
        {}, y=y, pred=table["pred_base"].to_numpy())
    ev = table["carrier"].to_numpy() == "EV"
    assert d.mean() > 0 and -d[ev].mean() > 1.2 * d.mean()     # material harm
    new_gate, old_gate = default_gate(), load_gate(OLD_GATE)
    shipped_new = shipped_old = 0
    reps = 40
    for r in range(reps):
        rng = np.random.default_rng(r)
        sample = table.iloc[rng.integers(0, len(table), 2000)].reset_index(drop=True)
        sample["id"] = np.arange(len(sample))
        res = _run(sample, segments=["carrier"], n_resamples=200, seed=r)
        shipped_new += new_gate.evaluate(res).passed
        shipped_old += old_gate.evaluate(res).passed
    assert shipped_new <= 3 < shipped_old


def test_margin_from_the_setting_the_gate_file_and_the_command_line(
        flights: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _harmful(flights).iloc[:8000]
    res = _run(table, segments=["origin"], margin=3.0)
    assert res.margin == 3.0 and res.settings["margin"] == 3.0
    assert res.flat_metrics()["margin"] == 3.0
    with pytest.raises(ImpactSpecError, match=r"margin: the gate sets 5 but the assessment "
                       r"used 3\.0; pass margin=5"):
        load_gate({"margin": 5, "conditions": ["no segment harmed"]}).evaluate(res)
    assert load_gate({"margin": 3, "conditions": ["no segment harmed"]}).evaluate(res)
    with pytest.raises(ImpactSpecError, match="margin: must be a number >= 0"):
        _run(table, margin=-1.0)
    # the auto margin: the average gain per row, 0 when the candidate gains nothing
    swapped = table.assign(pred_base=table["pred_cand"], pred_cand=table["pred_base"])
    worse = _run(swapped, segments=["origin"])
    assert worse.value_diff.estimate < 0 and worse.margin == 0.0
    # command line: the gate file's margin is used; --margin must agree with it
    path = tmp_path / "eval.csv"
    table.to_csv(path, index=False)
    (tmp_path / "value.yaml").write_text(yaml.safe_dump(VALUE))
    (tmp_path / "gate.yaml").write_text(yaml.safe_dump(
        {"margin": 1e6, "conditions": ["no segment harmed beyond the margin"]}))
    argv = ["impact", "run", str(path), "--target", "delayed", "--baseline", "col:pred_base",
            "--candidate", "col:pred_cand", "--value", str(tmp_path / "value.yaml"),
            "--segments", "origin", "--resamples", "200", "--no-ledger"]
    assert main([*argv, "--gate", str(tmp_path / "gate.yaml")]) == 0
    out = capsys.readouterr().out
    assert "harm beyond a margin of 1,000,000 USD/row, 95 % intervals" in out
    assert main([*argv, "--margin", "0"]) == 1          # the default gate, margin 0
    out = capsys.readouterr().out
    assert "FAIL  no segment harmed beyond the margin" in out and "margin 0 USD/row" in out
    assert "-0 (the margin)" not in out and "e+0" not in out


def test_without_a_gate_file_the_default_gate_decides_the_exit_code(
        flights: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = _harmful(flights).iloc[:10000]
    path = tmp_path / "eval.csv"
    table.to_csv(path, index=False)
    (tmp_path / "value.yaml").write_text(yaml.safe_dump(VALUE))
    argv = ["impact", "run", str(path), "--target", "delayed", "--baseline", "col:pred_base",
            "--candidate", "col:pred_cand", "--value", str(tmp_path / "value.yaml"),
            "--segments", "carrier,origin", "--resamples", "200", "--no-ledger"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "gate: FAILED" in out and "harm found in carrier=EV" in out
    tested = sum(1 for line in out.splitlines() if "disagreeing" in line)
    assert tested >= 1
    # the segment count is the tested segments; the others are named as not tested
    head = next(line for line in out.splitlines() if line.startswith("segments:"))
    res = _run(table, segments=["carrier", "origin"], n_resamples=200)
    assert head.startswith(f"segments: {res.n_tested} tested, "
                           f"{len(res.segments) - res.n_tested} listed but not tested "
                           "(fewer than 5 disagreeing rows)")
    assert main([*argv, "--no-gate"]) == 0
    assert "gate:" not in capsys.readouterr().out


def test_the_html_report_shows_each_segments_harm_verdict_and_the_margin(
        flights: pd.DataFrame, tmp_path: Path) -> None:
    from dataroi.impact._report import _get_forest_info, render_html

    res = _run(_harmful(flights), segments=["carrier"])
    html = render_html(res)
    assert "MDE/row" in html and "harm (margin −" in html
    assert '<span class="fail">harm found</span>' in html  # carrier EV
    assert '<span class="ok">no harm</span>' in html or "not enough data" in html
    info = _get_forest_info(res)
    assert info["margin"] == pytest.approx(res.margin)  # the forest plot's -margin line
