"""Energy in the compute cost: CPU seconds at a per-core power, priced and with its CO2,
in the options, ``dataroi plan``, ``dataroi trials`` and the report."""

from __future__ import annotations

import json

import pytest

from dataroi.cli import main
from dataroi.decide import decide
from dataroi.decide._costs import CostModel
from dataroi.exceptions import SpecError
from dataroi.spec import CostSpec, parse_costs
from dataroi.spec._model import DEFAULT_WATTS_PER_CORE
from dataroi.value import fit_study_curves
from tests.value_tests.helpers import iris_two_models, run_study, write

ENERGY = {"price_per_label_usd": 0.2, "value_per_point_usd": 80,
          "compute_price_per_hour_usd": 0.05, "energy_price_per_kwh": 0.30,
          "co2_g_per_kwh": 400, "watts_per_core": 15}


def test_the_energy_of_cpu_seconds_is_priced_with_the_compute():
    cm = CostModel(CostSpec(compute_price_per_hour_usd=0.05, energy_price_per_kwh=0.3,
                            co2_g_per_kwh=400, watts_per_core=15, retrains=4))
    kwh = 4 * 7200 * 15 / 3.6e6
    assert cm.energy_kwh(7200) == pytest.approx(kwh)
    assert cm.co2_g(7200) == pytest.approx(kwh * 400)
    assert cm.compute_usd(7200) == pytest.approx(4 * 2 * 0.05 + kwh * 0.3)
    # unpriced energy costs nothing and states no CO2; the default power is documented
    plain = CostModel(CostSpec(compute_price_per_hour_usd=0.05))
    assert plain.compute_usd(7200) == pytest.approx(2 * 0.05)
    assert plain.co2_g(7200) is None
    assert plain.energy_kwh(3600) == pytest.approx(DEFAULT_WATTS_PER_CORE / 1000)


def test_the_energy_fields_are_checked_and_leave_old_cost_hashes_alone():
    costs = parse_costs(ENERGY)
    assert (costs.energy_price_per_kwh, costs.co2_g_per_kwh, costs.watts_per_core) == (
        0.30, 400, 15.0)
    for bad, message in (({"watts_per_core": 0}, "costs.watts_per_core: must be a number > 0"),
                         ({"watts_per_core": 5000}, "<= 1000"),
                         ({"energy_price_per_kwh": -1}, "costs.energy_price_per_kwh"),
                         ({"co2_g_per_kwh": float("inf")}, "costs.co2_g_per_kwh")):
        with pytest.raises(SpecError) as exc:
            parse_costs(bad)
        assert message in exc.value.problems[0]
    # a spec without the energy fields hashes as before they existed
    assert set(CostSpec(price_per_label_usd=1).to_dict()).isdisjoint(
        {"watts_per_core", "energy_price_per_kwh", "co2_g_per_kwh"})
    assert parse_costs(CostSpec(watts_per_core=12).to_dict()).watts_per_core == 12


def test_options_state_their_extra_energy_and_co2(iris_study):
    trials = iris_study.trials()
    curves = fit_study_curves(trials, metric="accuracy", random_state=0)
    priced = decide(curves, parse_costs(ENERGY), current_model="logreg", add=[200, 400],
                    grid=())
    plain = decide(curves, parse_costs({k: v for k, v in ENERGY.items()
                                        if k not in ("energy_price_per_kwh",
                                                     "co2_g_per_kwh")}),
                   current_model="logreg", add=[200, 400], grid=())
    cm = CostModel(parse_costs(ENERGY))
    for o in priced.options.options:
        if o.is_baseline:
            assert o.energy_kwh == 0.0 and o.co2_g == 0.0
            continue
        assert o.co2_g == pytest.approx(o.energy_kwh * 400)
        twin = next(p for p in plain.options.options if p.option_id == o.option_id)
        assert twin.energy_kwh is None and twin.co2_g is None
        # the energy's price is in the compute cost, nothing else moved
        assert o.compute_usd - twin.compute_usd == pytest.approx(o.energy_kwh * 0.30,
                                                                 abs=1e-12)
        assert o.labeling_usd == twin.labeling_usd
    assert cm.energy_kwh(3600) == pytest.approx(15 / 1000)


@pytest.mark.slow
def test_plan_trials_and_report_show_the_energy(tmp_path, capsys):
    spec = iris_two_models(costs=ENERGY)
    path = write(tmp_path / "s", spec)
    run_study(tmp_path / "s", spec)
    assert main(["trials", str(path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    for r in rows:
        assert r["energy_wh"] == pytest.approx(r["cpu_seconds"] * 15 / 3600, rel=1e-5)
        assert r["co2_g"] == pytest.approx(r["energy_wh"] / 1000 * 400, rel=1e-5)
    assert main(["plan", str(path), "--add", "200"]) == 0
    out = capsys.readouterr().out
    assert "kWh of training over today's" in out and "g CO2" in out and "15 W per core" in out
    assert main(["plan", str(path), "--add", "200", "--json"]) == 0
    options = json.loads(capsys.readouterr().out)["options"]["options"]
    assert all(o["energy_kwh"] is not None and o["co2_g"] == pytest.approx(
        o["energy_kwh"] * 400) for o in options)
    report = tmp_path / "r.md"
    assert main(["report", str(path), "-o", str(report)]) == 0
    assert "training energy kWh" in report.read_text() and "CO2 g" in report.read_text()
