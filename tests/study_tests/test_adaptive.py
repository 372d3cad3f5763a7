"""Adaptive studies (``dataroi.study._adaptive``): the coarse grid, the stability of a
recommendation, the next trials and their reasons, the stopping rule, determinism, and
a model that cannot catch up getting no more trials — on real scikit-learn models fitted
to real data (digits)."""

from __future__ import annotations

import re
import time

import numpy as np
import pandas as pd
import pytest

import dataroi
from dataroi.exceptions import UsageError
from dataroi.study import AdaptiveSchedule, replay, stability
from dataroi.study._adaptive import (
    _cell_sd,
    _counts,
    _expected_loss,
    _p_same,
    _Parts,
    _parts,
    _shrink,
    trial_seconds,
)
from dataroi.study._stop import load_stop_model

SIZES = (60, 120, 240, 480)
REPEATS = 5
RECOMMEND = {"costs": {"price_per_label_usd": 0.5, "value_per_point_usd": 1000.0,
                       "engineering_cost_usd": 200.0},
             "current_model": "logreg", "add": [480, 1440], "grid": ()}


@pytest.fixture(scope="module")
def digits_trials() -> pd.DataFrame:
    """The full grid, measured: logistic regression, a decision tree and a majority-class
    baseline on digits, 4 nested sizes × 5 repeats (stratified permutations of the pool
    per repeat, a fixed test set), accuracy with fit + predict seconds."""
    from sklearn.datasets import load_digits
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_digits(return_X_y=True)
    X_pool, X_test, y_pool, y_test = train_test_split(X / 16.0, y, test_size=500,
                                                      stratify=y, random_state=0)
    makers = {"logreg": lambda r: LogisticRegression(max_iter=300),
              "tree": lambda r: DecisionTreeClassifier(random_state=r),
              "dummy": lambda r: DummyClassifier(strategy="most_frequent")}
    rows = []
    for r in range(REPEATS):
        order = np.random.default_rng(r).permutation(len(y_pool))
        for n in SIZES:
            idx = order[:n]
            for name, make in makers.items():
                est = make(r)
                t0 = time.process_time()
                est.fit(X_pool[idx], y_pool[idx])
                t1 = time.process_time()
                acc = float((est.predict(X_test) == y_test).mean())
                t2 = time.process_time()
                rows.append({"model": name, "n_train": n, "repeat": r,
                             "metric": "accuracy", "value": acc,
                             "fit_seconds": max(t1 - t0, 1e-4),
                             "predict_seconds": max(t2 - t1, 1e-5), "state": "complete"})
    return pd.DataFrame(rows)


def _schedule(**kw) -> AdaptiveSchedule:
    kw = {"recommend": RECOMMEND, "metric": "accuracy", "n_draws": 200} | kw
    return AdaptiveSchedule(["logreg", "tree", "dummy"], SIZES, REPEATS, **kw)


def _measured(trials: pd.DataFrame, choices) -> pd.DataFrame:
    """The rows of ``trials`` of the trials asked for (``choices``: TrialChoice)."""
    keys = {c.key for c in choices}
    return trials[[k in keys for k in zip(trials["model"], trials["n_train"],
                                          trials["repeat"], strict=True)]
                  ].reset_index(drop=True)


@pytest.fixture(scope="module")
def run(digits_trials: pd.DataFrame):
    return replay(_schedule(), digits_trials)


def test_coarse_grid_covers_the_smallest_and_largest_sizes() -> None:
    s = _schedule()
    assert s.coarse_sizes() == (60, 480)
    assert _schedule(initial_sizes=3).coarse_sizes() in ((60, 240, 480), (60, 120, 480))
    cells = {(c.model, c.n_train, c.repeat) for c in s.initial()}
    for m in ("logreg", "tree", "dummy"):
        assert {(m, 480, 0), (m, 480, 1), (m, 60, 0)} <= cells
        assert (m, 60, 1) not in cells  # one repeat below today's size
    assert all(c.step == 0 and "coarse grid" in c.reason for c in s.initial())


def test_replay_reaches_the_full_grids_recommendation_with_less_cpu(
        run, digits_trials: pd.DataFrame) -> None:
    full = _schedule().analyze(digits_trials).chosen.option_id
    assert run.stop_reason in {"stable", "steady", "no_change", "complete"}
    if run.stop_reason == "stable":
        assert run.stability >= 0.95
    if run.stop_reason == "steady":
        assert run.stability >= 0.8 and len(
            {s.recommendation for s in run.steps[-3:]}) == 1 and len(run.steps) >= 3
    assert run.recommendation == full
    assert run.cpu_seconds < run.full_cpu_seconds
    assert len(run.trials.drop_duplicates(["model", "n_train", "repeat"])) == len(run.choices)
    assert run.cpu_seconds == pytest.approx(trial_seconds(run.trials).sum())


def test_every_chosen_trial_has_a_reason(run) -> None:
    assert len({c.key for c in run.choices}) == len(run.choices)  # nothing asked twice
    later = [c for c in run.choices if c.step > 0]
    for c in later:
        assert "P(wrong recommendation)" in c.reason and c.model in c.reason
        assert c.p_wrong_before is not None
        if "in contention" not in c.reason:  # a valued trial, not today's size completed
            assert c.p_wrong_after is not None and c.p_wrong_after < c.p_wrong_before
        assert c.predicted_seconds is not None and c.predicted_seconds > 0
        assert c.n_train in SIZES


def test_a_model_that_cannot_catch_up_gets_no_trials_for_its_own_options(run) -> None:
    """The majority-class baseline cannot catch up: after the coarse grid it gets a
    trial only where its curve narrows the other models' learned forecasts (the
    study's context, which reads every model's last gain), and the reason says so; at
    a look where none of its trials does even that, it is listed as discarded."""
    dummy = [c for c in run.choices if c.model == "dummy"]
    assert dummy and any(c.step == 0 for c in dummy)
    assert all("the study's context" in c.reason and c.n_train in SIZES[-2:]
               for c in dummy if c.step > 0)
    looks = [s for s in run.steps if s.stop_reason is None]
    asked_at = {c.step for c in dummy}
    for s in looks:
        if s.step not in asked_at:  # a choice carries the number of the look that chose it
            if "dummy" not in s.discarded:  # its offer ranked below a full batch of
                assert len({c.reason for c in s.choices}) >= 3  # others' (one reason each)
                continue
            assert ("cannot change the recommendation" in s.discarded["dummy"]
                    or "no trial of it" in s.discarded["dummy"])


def test_the_sequence_is_deterministic(digits_trials: pd.DataFrame, run) -> None:
    again = replay(_schedule(), digits_trials.sample(frac=1.0, random_state=3)
                   .reset_index(drop=True))
    assert [c.key for c in again.choices] == [c.key for c in run.choices]
    assert [c.reason for c in again.choices] == [c.reason for c in run.choices]
    assert [s.stability for s in again.steps] == [s.stability for s in run.steps]


def test_stops_at_once_when_the_target_is_met(digits_trials: pd.DataFrame) -> None:
    r = replay(_schedule(target=0.01), digits_trials)
    assert len(r.steps) == 1 and r.stop_reason == "stable"
    assert {c.step for c in r.choices} == {0}


def test_stops_when_the_budget_is_spent(digits_trials: pd.DataFrame) -> None:
    measured = _measured(digits_trials, _schedule().initial())
    budget = float(trial_seconds(measured).sum()) * 1.0001  # nothing more fits
    r = replay(_schedule(budget_seconds=budget, target=0.999), digits_trials)
    assert r.stop_reason in {"budget", "stable", "no_change"}
    assert r.cpu_seconds <= budget
    if r.stop_reason == "budget":
        assert {c.step for c in r.choices} == {0}


def test_stability_of_the_complete_grid_is_one(digits_trials: pd.DataFrame) -> None:
    rec = dataroi.analyze(digits_trials, n_draws=200).recommend(**RECOMMEND)
    assert stability(rec, digits_trials, sizes=SIZES, repeats=REPEATS) == 1.0
    few = digits_trials[(digits_trials["repeat"] < 2)
                        & digits_trials["n_train"].isin([60, 480])]
    rec_few = dataroi.analyze(few, n_draws=200).recommend(**RECOMMEND)
    p = stability(rec_few, few, sizes=SIZES, repeats=REPEATS)
    assert 0.0 <= p <= 1.0
    # with the repeats' noise held fixed: the more of the grid is measured, the less a
    # completion can move; once every cell is measured, nothing can
    parts = _parts(rec_few)
    sd = _cell_sd(few, "accuracy", ["logreg", "tree", "dummy"], SIZES)
    counts = _counts(few, ["logreg", "tree", "dummy"], SIZES)
    lv, og = _shrink(parts, counts, sd, SIZES, REPEATS)
    assert _p_same(parts, lv, og) == p
    for m in ("logreg", "tree", "dummy"):
        for size in SIZES:
            counts[(m, size)] = set(range(REPEATS))
    lv_full, og_full = _shrink(parts, counts, sd, SIZES, REPEATS)
    assert (lv_full <= lv).all() and (og_full <= og).all()
    assert not lv_full.any() and not og_full.any()
    assert _p_same(parts, lv_full, og_full) == 1.0


def test_the_expected_loss_is_what_deciding_now_gives_up_on_average() -> None:
    """Two options, the chosen one ahead by 0.1 and the other's completion moving it by a
    normal spread of 0.2: deciding now loses E[max(0, -0.1 + 0.2 Z)] (the normal's
    partial expectation); nothing when the completion cannot move anything."""
    from scipy.stats import norm

    z = norm.ppf((np.arange(200_000) + 0.5) / 200_000)
    level = np.column_stack([np.zeros_like(z), 0.2 * z])
    parts = _Parts(ids=("a+0", "b+0"), models=("a", "b"), deltas=np.zeros(2),
                   means=np.array([0.0, -0.1]), level=level, own=np.zeros_like(level),
                   own_sd=np.zeros(2), chosen=0, current="a", current_n=100, scale=1.0,
                   limited=np.zeros(2, bool), max_p_loss=None,
                   net_sorted=np.sort(level, axis=0), net_sd=level.std(axis=0))
    truth = 0.2 * norm.pdf(0.5) - 0.1 * norm.sf(0.5)
    assert _expected_loss(parts, np.array([0.0, 1.0]), np.zeros(2)) == pytest.approx(
        truth, rel=1e-3)
    assert _p_same(parts, np.array([0.0, 1.0]), np.zeros(2)) == pytest.approx(
        norm.cdf(0.5), abs=1e-3)
    assert _expected_loss(parts, np.zeros(2), np.zeros(2)) == 0.0


def test_every_look_states_its_expected_loss(run) -> None:
    losses = [s.expected_loss for s in run.steps]
    assert all(np.isfinite(x) and x >= 0 for x in losses)
    # a look whose recommendation no completion moves has nothing to lose
    assert all(s.expected_loss <= 1e-9 for s in run.steps if s.stability == 1.0)
    assert any(x > 0 for x in losses) or run.steps[0].stability == 1.0


def test_trials_chosen_for_the_loss_they_remove(digits_trials: pd.DataFrame, run,
                                                monkeypatch) -> None:
    """The benchmark's other order (``bench_adaptive.py --choose-by loss``): trials
    chosen for the expected loss they remove per CPU-second instead of ``P(wrong)``; a
    whole run, with reasons, deterministic, stopping by the same rules."""
    from dataroi.study import _adaptive

    monkeypatch.setattr(_adaptive, "_CHOOSE_BY", "loss")
    by_loss = replay(_schedule(), digits_trials)
    again = replay(_schedule(), digits_trials)
    assert [c.key for c in by_loss.choices] == [c.key for c in again.choices]
    assert all(c.reason for c in by_loss.choices)
    assert by_loss.stop_reason in {"stable", "steady", "no_change", "complete"}
    first = by_loss.steps[0]  # the same first look: the coarse grid
    assert (first.expected_loss, first.stability) == (run.steps[0].expected_loss,
                                                      run.steps[0].stability)
    # a trial asked for the loss it removes (not to complete a contender's curve) is
    # asked for at a look with a loss to remove
    asked = {c.step for c in by_loss.choices if c.step > 0
             and "in contention" not in c.reason}
    assert all(by_loss.steps[k - 1].expected_loss > 0 for k in asked)


def test_with_nothing_to_offer_below_the_target_the_contenders_curves_are_completed(
        digits_trials: pd.DataFrame) -> None:
    """No single trial moves the simulated decision, yet P(same) is below the target: the
    missing repeats of the chosen option's model, the current model and the best other
    model are asked for (what a refit can change, the simulation does not see), today's
    size first, then one size a look downwards; once their curves are complete, there is
    nothing more to ask for (``no_change``)."""
    from dataroi.study._adaptive import _contenders_at

    s = _schedule()
    coarse = _measured(digits_trials, s.initial())
    rec = s.analyze(coarse)
    parts = _parts(rec)
    counts = _counts(coarse, s.models, SIZES)
    price = s.predicted_seconds(coarse)
    everything = set(range(REPEATS))
    asked = _contenders_at(parts, counts, 480, 480, everything, price, 1, 0.5)
    models = {c.model for c in asked}
    assert {rec.chosen.model, "logreg"} <= models and len(models) <= 3
    assert all(c.n_train == 480 and c.repeat not in counts[(c.model, 480)] for c in asked)
    assert len(asked) == len({c.key for c in asked}) == 2 * len(models)  # repeats 3 and 4
    assert all("in contention" in c.reason and "P(wrong recommendation) 0.500" in c.reason
               and "today's size N=480" in c.reason for c in asked)
    # a model that wins no simulated completion of the whole grid is not in contention
    mine = {rec.chosen.model, rec.current_model}
    only = _contenders_at(parts, counts, 480, 480, everything, price, 1, 0.5, rivals=mine)
    assert {c.model for c in only} == mine
    # below today's size: every missing repeat of the contenders, named by its size
    below = _contenders_at(parts, counts, 240, 480, everything, price, 1, 0.5)
    assert {c.model for c in below} == models and all(c.n_train == 240 for c in below)
    assert len(below) == sum(REPEATS - len(counts[(m, 240)]) for m in models)
    assert all("n=240:" in c.reason for c in below)
    for m in s.models:
        for size in SIZES:
            counts[(m, size)] = set(everything)
    assert not any(_contenders_at(parts, counts, size, 480, everything, price, 1, 0.5)
                   for size in SIZES)


def test_predicted_seconds_follow_a_power_law() -> None:
    frame = pd.DataFrame([{"model": "a", "n_train": n, "repeat": 0, "metric": "accuracy",
                           "value": 0.5, "fit_seconds": 1e-3 * n ** 1.5,
                           "predict_seconds": 0.0} for n in (100, 200, 400)])
    price = AdaptiveSchedule(["a"], [100, 200, 400, 800], 3).predicted_seconds(frame)
    assert price[("a", 800)] == pytest.approx(1e-3 * 800 ** 1.5, rel=1e-6)


def test_the_steady_stop_ends_the_same_order_sooner(digits_trials: pd.DataFrame) -> None:
    """A recommendation unchanged at the last looks, with P(same) >= steady_target, stops
    the run; the order of the trials is the rule's own, so the run with the steady stop
    is the start of the run without it."""
    off = replay(_schedule(steady_looks=0), digits_trials)
    reasons = set()
    for looks, level in ((1, 0.8), (2, 0.5), (3, 0.8)):
        on = replay(_schedule(steady_looks=looks, steady_target=level), digits_trials)
        assert [c.key for c in on.choices] == [c.key for c in off.choices][:len(on.choices)]
        assert [s.stability for s in on.steps] == [s.stability for s in off.steps][
            :len(on.steps)]
        stop = next((i for i, s in enumerate(off.steps) if s.stability >= 0.95 or (
            i + 1 >= looks and s.stability >= level and len(
                {t.recommendation for t in off.steps[i + 1 - looks:i + 1]}) == 1)),
            len(off.steps) - 1)
        assert len(on.steps) == stop + 1
        if on.stop_reason == "steady":
            assert on.stability < 0.95 and len(on.steps) <= len(off.steps)
        reasons.add(on.stop_reason)
    assert "steady" in reasons  # one look at 0.8: the first look (0.83 here) stops it


def test_a_look_after_the_same_recommendation_twice_is_steady(
        digits_trials: pd.DataFrame) -> None:
    """Three looks at 0.8, through ``next_step``: the coarse grid's look (P(same) between
    0.8 and 0.95) stops as steady when the two looks before it said the same, and goes on
    when one of them said something else or the stop is off."""
    s = _schedule()
    coarse = _measured(digits_trials, s.initial())
    first = s.next_step(coarse)
    assert first.stop_reason is None and 0.8 <= first.stability < 0.95
    same = [first.recommendation] * 2
    assert s.next_step(coarse, step=3, previous=same).stop_reason == "steady"
    assert s.next_step(coarse, step=3, previous=["other+0", first.recommendation]
                       ).stop_reason is None
    assert _schedule(steady_looks=0).next_step(coarse, step=3, previous=same
                                               ).stop_reason is None


def test_the_learned_stop_reads_how_long_the_recommendation_held(
        digits_trials: pd.DataFrame) -> None:
    """The same look (the coarse grid's, P(same) between 0.8 and 0.95) with the shipped
    map: it goes on as the first look and stops (``learned``) once the recommendation
    held long enough — as long as the map asks for at that P(same) — and goes on after
    a change of mind."""
    s = _schedule(learned_stop=True)
    coarse = _measured(digits_trials, s.initial())
    first = s.next_step(coarse)
    model = load_stop_model()
    assert first.stop_reason is None and 0.8 <= first.stability < 0.95
    rec = first.recommendation
    held = next(h for h in range(1, 9) if model.stops(rec, [rec] * (h - 1), first.stability))
    assert held > 1  # a first look short of the target does not stop
    assert s.next_step(coarse, step=held, previous=[rec] * (held - 1)
                       ).stop_reason == "learned"
    assert s.next_step(coarse, step=held, previous=[rec] * (held - 2) + ["other+0"]
                       ).stop_reason is None


def test_the_schedule_and_the_spec_default_to_the_same_stop() -> None:
    import inspect

    from dataroi.spec import AdaptiveSpec

    params = inspect.signature(AdaptiveSchedule).parameters
    spec = AdaptiveSpec()
    for name in ("target", "initial_sizes", "initial_repeats", "batch_size",
                 "learned_stop"):
        assert params[name].default == getattr(spec, name), name
    # the steady settings: read from the spec when not given (so that given ones beside
    # the learned stop are refused, even at the defaults' values)
    s = AdaptiveSchedule(["a"], [10, 20], 2)
    assert params["steady_looks"].default is params["steady_target"].default is None
    assert (s.steady_looks, s.steady_target) == (spec.steady_looks, spec.steady_target)
    assert s.stop_model is None  # the learned stop's map is read only when it is on
    assert AdaptiveSchedule(["a"], [10, 20], 2, learned_stop=True).stop_model is not None


@pytest.mark.parametrize("kw", [{"repeats": 0}, {"sizes": []}, {"target": 1.5},
                                {"steady_target": 0.0},
                                {"steady_target": 0.9, "learned_stop": True},
                                {"steady_looks": 4, "learned_stop": True},
                                {"steady_looks": 3, "learned_stop": True}])
def test_bad_settings_are_refused(kw) -> None:
    args = {"models": ["a"], "sizes": [10, 20], "repeats": 2} | kw
    with pytest.raises(UsageError):
        AdaptiveSchedule(args.pop("models"), args.pop("sizes"), args.pop("repeats"), **args)


ADAPTIVE_SPEC = """\
name: iris-adaptive
data: {source: "sklearn:iris", target: target}
models:
  logreg: {estimator: sklearn.linear_model.LogisticRegression, params: {max_iter: 500}}
  dummy: {estimator: sklearn.dummy.DummyClassifier}
metrics: [accuracy]
schedule:
  sizes: [15, 30, 60, 90]
  repeats: 4
  seed: 0
  adaptive: {target: 0.95, initial_repeats: 2, learned_stop: true}
costs: {price_per_label_usd: 1.0, value_per_point_usd: 500, engineering_cost_usd: 200}
decision: {add: [90, 180]}
"""


def test_dataroi_run_with_an_adaptive_schedule(tmp_path, capsys) -> None:
    """``dataroi run`` on a spec with ``schedule.adaptive``: only the asked-for trials
    are planned and run, each look is a ledger document giving every trial's reason, and
    the recommendation, its stability and the CPU saved are printed."""
    from dataroi.cli import main

    path = tmp_path / "study.yaml"
    path.write_text(ADAPTIVE_SPEC, encoding="utf-8")
    assert main(["run", str(path), "--jobs", "1", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "adaptive run stopped after" in out and "recommendation:" in out
    assert "P(same recommendation with the full grid)" in out and "saved" in out
    # the looks' own CPU is said beside the trials' (on a small study it can outweigh them)
    assert re.search(r"saved; the looks' own analysis [\d,.]+ s \(counting it, \d+% "
                     r"(saved|more than the full grid)\)", out)
    assert re.search(r"^look 1 \(\d+s\): ", err, re.M) and "coarse grid" in err
    # each look and the end say, in dollars, what deciding now is expected to lose
    assert re.search(r"^look 1 \(\d+s\): .*, expected loss \$[\d,]+", err, re.M)
    assert re.search(r"expected loss of deciding now rather than after the full grid "
                     r"\$[\d,]+\)", out)
    study = dataroi.load_study(path)
    frame = study.trials()
    assert 0 < len(frame) < 2 * 4 * 4  # fewer than the full grid
    assert set(frame["state"]) == {"complete"}  # nothing else planned, nothing waiting
    with study.analyze() as a:
        docs = a.context.store.list_documents("adaptive_step", study_id=a.context.study_id)
    asked = [c for d in docs for c in d["payload"]["asked"]]
    assert docs and all(c["reason"] for c in asked)
    assert docs[0]["payload"]["asked"][0]["reason"].startswith("coarse grid")
    # the learned stop's map is on record with every look
    assert {d["payload"]["stop_model"] for d in docs} == {load_stop_model().digest}
    assert all(d["payload"]["expected_loss"] >= 0 for d in docs)
    assert all(d["payload"]["analysis_cpu_seconds"] > 0 for d in docs)  # each look's CPU
    assert {d["payload"]["expected_loss_unit"] for d in docs} == {"usd"}  # priced gains
    ran = set(zip(frame["model"], frame["n_train"], frame["repeat"], strict=True))
    assert ran == {(c["model"], c["n_train"], c["repeat"]) for c in asked}
    # the dummy cannot catch up: nothing beyond the coarse grid
    assert all(c["step"] == 0 for c in asked if c["model"] == "dummy")
    # `dataroi status` says why the rest of the grid is not in the ledger
    assert main(["status", str(path)]) == 0
    out, _ = capsys.readouterr()
    missing = 2 * 4 * 4 - len(frame)
    assert f"{len(ran)} of the grid's 32 trials asked for" in " ".join(out.split())
    assert re.search(r"P\(same recommendation with the full grid\) = [\d.]+, expected loss "
                     r"\$[\d,]+;", " ".join(out.split()))
    assert f"the other {missing} were not needed" in " ".join(out.split())
    assert "(run the study)" not in out
    st = study.status()
    assert st.adaptive is not None and st.adaptive["asked"] == len(ran)
    assert st.adaptive["expected_loss"] == docs[-1]["payload"]["expected_loss"]
    assert st.adaptive["expected_loss_unit"] == "usd"
    assert st.adaptive["stop_reason"] == docs[-1]["payload"]["stop_reason"]
    assert st.adaptive["looks"] == docs[-1]["payload"]["step"]
    assert st.to_dict()["adaptive"]["grid_trials"] == 32
    # and so does the report: its count of trials, and the run's stop in each format
    with study.analyze() as a:
        report = a.report(fmt="md")
    repro = report.document["sections"]["reproducibility"]
    counts = repro["trial_counts"]
    assert counts["not needed (adaptive run)"] == missing and "not planned yet" not in counts
    last = docs[-1]["payload"]
    assert repro["adaptive"] == {
        "looks": last["step"], "stop_reason": last["stop_reason"], "label": last["label"],
        "stability": last["stability"],
        "expected_loss": f"${round(last['expected_loss']):,}"}
    said = (f"adaptive run: stopped after look {last['step']} ({last['stop_reason']}): "
            f"{last['label']}; P(same recommendation with the full grid) "
            f"{last['stability']:.2f}, expected loss of deciding then rather than after the "
            f"full grid ${round(last['expected_loss']):,}")
    import json
    from pathlib import Path

    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "report-schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(report.to_json()))
    assert said in " ".join(report.to_markdown().split())
    assert said.replace("adaptive run: ", "") in " ".join(report.to_html().split())


def test_an_adaptive_runs_quick_looks_print_one_line_each(tmp_path, capsys) -> None:
    """The coarse grid shows the study's progress; a look whose few trials take seconds
    says only its own line (with the time since the start), not a progress block each."""
    from dataroi.cli import main

    path = tmp_path / "study.yaml"
    path.write_text(ADAPTIVE_SPEC, encoding="utf-8")
    assert main(["run", str(path), "--jobs", "1"]) == 0
    out, err = capsys.readouterr()
    looks = re.findall(r"^look (\d+) \((\d+)s\): ", err, re.M)
    assert len(looks) >= 2, err
    assert [int(n) for n, _ in looks] == list(range(1, len(looks) + 1))
    assert [int(t) for _, t in looks] == sorted(int(t) for _, t in looks)
    assert err.count("trials to run") == 1  # the coarse grid's block only
    assert re.search(r"failed in this run \(\d+\.\ds\); ledger ", out)


RESUME_SPEC = ADAPTIVE_SPEC.replace("name: iris-adaptive", "name: iris-resume").replace(
    "  dummy: {estimator: sklearn.dummy.DummyClassifier}",
    "  tree: {estimator: sklearn.tree.DecisionTreeClassifier}\n"
    "  knn: {estimator: sklearn.neighbors.KNeighborsClassifier}").replace(
    "adaptive: {target: 0.95, initial_repeats: 2, learned_stop: true}",
    # never stable on these trials, steady at the second look with the same choice
    "adaptive: {target: 0.999, initial_repeats: 2, steady_looks: 2, steady_target: 0.01}")


def test_a_run_that_did_not_stop_is_gone_on_from(tmp_path, capsys) -> None:
    """A run that did not stop (here: out of ``max_steps``; an interrupt leaves the same
    ledger) is gone on from: the trials its last look asked for are run first, the looks
    are numbered after its, and its recommendations count toward the steady stop — which
    therefore fires at the first look of the second call. A run that stopped, or one
    under other settings, is not gone on from."""
    from dataroi.cli import main
    from dataroi.spec import AdaptiveSpec
    from dataroi.study import run_until_decided

    path = tmp_path / "study.yaml"
    path.write_text(RESUME_SPEC, encoding="utf-8")
    study = dataroi.load_study(path)
    first = run_until_decided(study, max_steps=1, progress=False, jobs=1)
    assert first.looks == 1 and first.stop_reason is None and first.resumed_after == 0
    # the look's own CPU is measured, and the net saving counts it
    assert first.analysis_cpu_seconds > 0
    d = first.to_dict()
    assert d["analysis_cpu_seconds"] == first.analysis_cpu_seconds
    assert d["net_saved_share"] == pytest.approx(1 - (
        first.cpu_seconds + first.analysis_cpu_seconds) / first.full_cpu_seconds)
    assert d["net_saved_share"] < d["cpu_saved_share"]
    asked_first = {c.key for c in first.choices}
    assert len(asked_first) > 9  # the coarse grid and what look 1 asked for
    assert study.status().adaptive["stop_reason"] is None
    capsys.readouterr()

    assert main(["run", str(path), "--jobs", "1", "--no-progress"]) == 0
    out, err = capsys.readouterr()
    assert "going on from look 1 of an adaptive run that did not stop" in err
    assert "look 2 (" in err and "look 1 (" not in err
    said = " ".join(out.split())
    assert ("stopped after 2 looks (the recommendation held at its last looks, going on "
            "from look 1 of a run that had not stopped)") in said
    ran = set(zip(*(study.trials()[k] for k in ("model", "n_train", "repeat")), strict=True))
    assert asked_first <= ran  # what look 1 asked for was run before look 2
    st = study.status()
    assert st.adaptive["looks"] == 2 and st.adaptive["stop_reason"] == "steady"

    # the run stopped: the next one starts at look 1 (here under other settings)
    other = AdaptiveSpec(target=0.999, initial_repeats=2, steady_looks=3, steady_target=0.01)
    third = run_until_decided(study, settings=other, max_steps=1, progress=False, jobs=1)
    assert third.resumed_after == 0 and [s.step for s in third.steps] == [1]
    assert third.stop_reason is None
    # that one did not stop, but ran under other settings: not gone on from either
    fourth = run_until_decided(study, progress=False, jobs=1)
    assert fourth.resumed_after == 0 and fourth.steps[0].step == 1


def test_full_grid_runs_what_an_adaptive_run_left_out(tmp_path, capsys) -> None:
    """A spec with ``schedule.adaptive`` and stress arms: the adaptive run says the arms
    are not run and how to run them; ``dataroi stress`` says the same instead of sending
    the user back to the adaptive run; ``--full-grid`` runs the rest of the grid and the
    arms; ``--full-grid`` with ``--until-decided`` is refused before anything runs."""
    from dataroi.cli import main

    path = tmp_path / "study.yaml"
    path.write_text(ADAPTIVE_SPEC + "stress:\n  models: [logreg]\n"
                    "  noise: {rates: [0.2], kind: symmetric}\n", encoding="utf-8")
    assert main(["run", str(path), "--jobs", "1", "--no-progress"]) == 0
    _, err = capsys.readouterr()
    said = " ".join(err.split())
    assert "are not run adaptively" in said and f"dataroi run {path} --full-grid" in said
    notes = [ln for ln in err.splitlines() if ln.startswith("note: ")]
    assert notes and len(notes) == len(set(notes))  # once, not once a look
    study = dataroi.load_study(path)
    adaptive_trials = len(study.trials()[["model", "n_train", "repeat"]].drop_duplicates())
    assert adaptive_trials < 2 * 4 * 4

    assert main(["stress", str(path)]) == 2
    _, err = capsys.readouterr()
    assert "no stress arm has a finished trial" in err and "--full-grid" in err

    assert main(["run", str(path), "--until-decided", "--full-grid"]) == 2
    _, err = capsys.readouterr()
    assert "contradict" in err
    assert len(study.trials()[["model", "n_train", "repeat"]].drop_duplicates()) == \
        adaptive_trials  # nothing ran

    assert main(["run", str(path), "--full-grid", "--jobs", "1", "--no-progress"]) == 0
    capsys.readouterr()
    frame = study.trials()
    cells = frame[["model", "n_train", "repeat"]].drop_duplicates()
    assert len(cells) == 2 * 4 * 4 + 4 * 4  # the grid and the arm's, each trial once
    assert set(frame["state"]) == {"complete"}
    assert main(["stress", str(path)]) == 0
    capsys.readouterr()
    assert main(["status", str(path)]) == 0
    out, _ = capsys.readouterr()
    said = " ".join(out.split())
    assert "the rest of the grid was run since" in said and "not needed" not in said


def test_a_complete_model_still_moves_while_the_others_trials_come_in(
        digits_trials: pd.DataFrame) -> None:
    """The learned forecast reads the study's context (the best score today, the
    models' last gains), so a model's options move when another model's trials at
    today's size come in, though its own trials are complete: their own-gain spread is
    not zero until the others' are complete too (a spam filter study stopped at
    ``P(same) = 1.00`` on a near tie that the full grid broke the other way)."""
    few = digits_trials[~((digits_trials["model"] == "tree") & (digits_trials["repeat"] >= 2))]
    rec = dataroi.analyze(few, n_draws=200).recommend(**RECOMMEND)
    parts = _parts(rec)
    models = ["logreg", "tree", "dummy"]
    sd = _cell_sd(few, "accuracy", models, SIZES)
    counts = _counts(few, models, SIZES)
    own = [j for j, (m, d) in enumerate(zip(parts.models, parts.deltas, strict=True))
           if m == "logreg" and d > 0]
    assert own and all(len(counts[("logreg", s)]) == REPEATS for s in SIZES)
    _, og = _shrink(parts, counts, sd, SIZES, REPEATS)
    assert (og[own] > 0).all()
    for size in SIZES:
        counts[("tree", size)] = set(range(REPEATS))
    _, og_full = _shrink(parts, counts, sd, SIZES, REPEATS)
    assert not og_full[own].any()
