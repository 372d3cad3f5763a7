"""Displays draw their info on given axes (no pixels compared: the numbers are tested in
test_info) and work from a real study, as in a notebook."""

from __future__ import annotations

import itertools

import pytest
from matplotlib.figure import Figure

from dataroi.plotting import (
    CostFrontierDisplay,
    LearningCurveDisplay,
    MarginalValueDisplay,
    ModelDifferenceDisplay,
)


def _ax():
    return Figure().add_subplot()


@pytest.mark.slow
def test_learning_curve_display_from_study(full_study):
    study, _ = full_study
    disp = LearningCurveDisplay.from_study(study, tipping={"tree": 50.0})
    ax = _ax()
    assert disp.plot(ax=ax) is disp and disp.ax_ is ax and disp.figure_ is ax.figure
    assert ax.get_xscale() == "log"
    assert "accuracy" in ax.get_ylabel() and "0–1" in ax.get_ylabel()
    assert "labeled rows" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["logreg", "tree"]
    assert disp.info["target"] == 0.97  # from the spec's decision section
    # one model alone: a legend of the chart's elements
    one = LearningCurveDisplay.from_study(study).plot(ax=_ax(), models=["tree"])
    texts = [t.get_text() for t in one.ax_.get_legend().get_texts()]
    assert "90 % extrapolation band" in texts and one.ax_.get_title() == "tree"


def test_learning_curve_display_can_show_the_training_scores(full_study):
    study, _ = full_study
    disp = LearningCurveDisplay.from_study(study)
    plain = disp.plot(ax=_ax())
    dashed = [ln for ln in plain.ax_.get_lines() if ln.get_linestyle() == "--"]
    assert not any(ln.get_label().endswith("(training rows)") for ln in dashed)
    ax = disp.plot(ax=_ax(), show_train=True).ax_
    train = {ln.get_label(): ln for ln in ax.get_lines()
             if ln.get_label().endswith("(training rows)")}
    assert set(train) == {"logreg (training rows)", "tree (training rows)"}
    tree = next(m for m in disp.info["models"] if m["model"] == "tree")
    assert list(train["tree (training rows)"].get_ydata()) == tree["train_mean"]["mean"]


def test_learning_curve_display_focus_zooms(full_study):
    study, _ = full_study
    disp = LearningCurveDisplay.from_study(study)
    disp.info["focus_ylim"] = [0.8, 1.0]
    assert disp.plot(ax=_ax(), focus=True).ax_.get_ylim() == pytest.approx((0.8, 1.0))


def test_value_displays_from_study(full_study):
    study, _ = full_study
    with study.analyze(n_draws=300) as analysis:
        mv = MarginalValueDisplay.from_analysis(analysis).plot(ax=_ax())
        md = ModelDifferenceDisplay.from_analysis(analysis)
    assert mv.info["break_even_per_1k"] is not None
    assert any("break-even" in t.get_text() for t in mv.ax_.get_legend().get_texts())
    assert md.plot(ax=_ax(), kind="today").ax_.get_yticklabels()[0].get_text() == \
        "logreg − tree"
    assert md.plot(ax=_ax(), kind="projected").ax_.get_xscale() == "log"
    from dataroi.exceptions import UsageError

    with pytest.raises(UsageError, match="kind"):
        md.plot(ax=_ax(), kind="sideways")


def test_cost_frontier_display_from_recommendation(full_study):
    study, _ = full_study
    with study.analyze(n_draws=300) as analysis:
        rec = analysis.recommend()
    disp = CostFrontierDisplay.from_recommendation(rec).plot(ax=_ax())
    chosen = [o for o in disp.info["options"] if o["chosen"]]
    assert [o["option_id"] for o in chosen] == [rec.chosen.option_id]
    assert "USD" in disp.ax_.get_xlabel()


def _wide_info(low_point: float | None = None) -> dict:
    """Numbers of a chart over sizes 64 to 32,768 (as learning_curve_info gives them)."""
    import numpy as np
    import pandas as pd

    from dataroi.plotting import learning_curve_info

    rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
             "value": top - 1.5 / n ** 0.5 + 0.002 * r}
            for m, top in (("a", 0.95), ("b", 0.9)) for n in 64 * 2 ** np.arange(10)
            for r in range(3)]
    frame = pd.DataFrame(rows)
    if low_point is not None:
        frame.loc[0, "value"] = low_point
    from dataroi.value import fit_study_curves

    return learning_curve_info(frame, metric="accuracy",
                               curves=fit_study_curves(frame, metric="accuracy"))


@pytest.mark.slow
def test_tick_labels_of_a_narrow_chart_never_overlap():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=(3.6, 3.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    LearningCurveDisplay(_wide_info()).plot(ax=ax, models=["a"], legend=False)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()
             if t.get_text() and t.get_visible()
             and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
    assert len(boxes) >= 2
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, "two tick labels overlap"


@pytest.mark.slow
def test_points_left_out_of_a_zoomed_chart_are_said_on_it():
    info = _wide_info(low_point=0.05)
    assert info["focus_ylim"] is not None
    ax = _ax()
    LearningCurveDisplay(info).plot(ax=ax, focus=True)
    notes = [t.get_text() for t in ax.texts]
    lo = info["focus_ylim"][0]
    below = sum(v < lo for m in info["models"] for v in m["points"]["value"])
    assert below >= 1  # the outlier and the smallest sizes
    assert f"{below} point{'s' * (below != 1)} below the zoomed axis (the smallest sizes)" \
        in notes
