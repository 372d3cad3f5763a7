"""Display objects: each draws one ``*_info`` dictionary with matplotlib.

Like scikit-learn's displays, a display is built from data (``from_analysis``,
``from_curves``, or directly from an info dictionary), and ``plot(ax=...)`` draws on the
given axes (or a new figure) and returns the display, with ``ax_`` and ``figure_`` set.

Example:
    >>> import pandas as pd
    >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": 0.9 - 1.0 / n ** 0.5 + 0.01 * r, "state": "complete"}
    ...         for n in (25, 50, 100, 200) for r in range(3)]
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> disp = LearningCurveDisplay.from_trials(pd.DataFrame(rows), metric="accuracy",
    ...                                        fit=False).plot(ax=ax)
    >>> disp.ax_.get_xscale()
    'log'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dataroi._counts import short_count
from dataroi.plotting._info import (
    cost_frontier_info,
    learning_curve_info,
    marginal_value_info,
    model_difference_info,
)
from dataroi.plotting._style import HIGHLIGHT, MUTED, REFERENCE, new_axes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CostFrontierDisplay", "LearningCurveDisplay", "MarginalValueDisplay",
           "ModelDifferenceDisplay"]



def _xy(xs: Sequence[Any], ys: Sequence[Any]) -> tuple[list[float], list[float]]:
    """Pairs with both coordinates defined (None and NaN dropped)."""
    px, py = [], []
    for x, y in zip(xs, ys, strict=True):
        if x is not None and y is not None and math.isfinite(float(y)):
            px.append(float(x))
            py.append(float(y))
    return px, py


def _log_x(ax: Any) -> None:
    """Log-scaled x axis with plain tick labels (``500``, ``2k``), no crowded minors: 1-2-5
    ticks on a wide axis, decades only on a narrow one (labels never overlap)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    decades = math.log10(max(hi, 1e-9) / max(lo, 1e-9)) if lo > 0 else 3.0
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    # a 1-2-5 label needs about a third of an inch: keep it where there is room
    dense = width_in / max(decades * 3.0, 1.0) >= 0.45
    ax.xaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0) if dense
                                          else (1.0,)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: short_count(v)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _band(ax: Any, xs: Sequence[Any], lo: Sequence[Any], hi: Sequence[Any], **kw: Any) -> None:
    keep = [i for i in range(len(xs)) if lo[i] is not None and hi[i] is not None]
    if keep:
        ax.fill_between([xs[i] for i in keep], [lo[i] for i in keep], [hi[i] for i in keep],
                        linewidth=0, **kw)


@dataclass
class LearningCurveDisplay:
    """Learning curves: measured scores, mean with its CI, extrapolation with bands.

    One dot per repeat, the mean over repeats with its 95 % confidence band, the fitted
    extrapolation to the planning horizon with 50 % and 90 % bands, the current pool and
    the target as reference lines, and each model's tipping point; log-scaled size axis.

    Attributes:
        info: the dictionary of :func:`learning_curve_info`.
        ax_, figure_: set by :meth:`plot`.

    Example:
        >>> import pandas as pd
        >>> rows = [{"model": "a", "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": 0.9 - 1.0 / n ** 0.5 + 0.01 * r}
        ...         for n in (25, 50, 100, 200) for r in range(3)]
        >>> disp = LearningCurveDisplay.from_trials(pd.DataFrame(rows), metric="accuracy")
        >>> disp.info["models"][0]["extrapolation"]["n"][-1]
        1800
    """

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    @classmethod
    def from_curves(cls, trials: pd.DataFrame, curves: Any, **kwargs: Any
                    ) -> LearningCurveDisplay:
        """From a trials frame and its fitted :class:`~dataroi.value.StudyCurves`.

        Keyword arguments go to :func:`learning_curve_info` (``pool_size``,
        ``horizon_n``, ``target``, ``tipping``).
        """
        return cls(learning_curve_info(trials, metric=curves.metric, curves=curves,
                                            **kwargs))

    @classmethod
    def from_trials(cls, trials: pd.DataFrame, *, metric: str, fit: bool = True,
                    random_state: int = 0, **kwargs: Any) -> LearningCurveDisplay:
        """From a tidy trials frame; ``fit=True`` fits the curves to extrapolate."""
        curves = None
        if fit:
            from dataroi.value import fit_study_curves

            curves = fit_study_curves(trials, metric=metric, random_state=random_state)
        return cls(learning_curve_info(trials, metric=metric, curves=curves, **kwargs))

    @classmethod
    def from_analysis(cls, analysis: Any, **kwargs: Any) -> LearningCurveDisplay:
        """From a :class:`~dataroi.analysis.Analysis` (``study.analyze()``): its trials
        and curves, the unlabeled pool and the decision's target.

        Keyword arguments go to :func:`learning_curve_info` and override its defaults.
        """
        return cls(learning_curve_info(analysis.trials, metric=analysis.metric,
                                       curves=analysis.curves,
                                       **(analysis.chart_context() | kwargs)))

    @classmethod
    def from_study(cls, study: Any, *, metric: str | None = None, **kwargs: Any
                   ) -> LearningCurveDisplay:
        """From a study whose trials have run: ``from_analysis(study.analyze())``."""
        with study.analyze(metric=metric) as analysis:
            return cls.from_analysis(analysis, **kwargs)

    def plot(self, ax: Any = None, *, models: Sequence[str] | None = None,
             show_points: bool = True, show_extrapolation: bool = True,
             legend: bool = True, focus: bool = False,
             show_train: bool = False) -> LearningCurveDisplay:
        """Draw the curves of ``models`` (default: all) on ``ax`` (default: a new figure).

        Args:
            ax: matplotlib axes (default: a new figure).
            models: the models to draw (default: all).
            show_points: one dot per repeat.
            show_extrapolation: the fitted curve, its bands and the tipping points.
            legend: draw a legend.
            focus: zoom the y axis on the region of the decision (``info["focus_ylim"]``:
                sizes from an eighth of today's up); smaller sizes may leave the chart.
            show_train: also draw the mean score on the training rows (thin dashed line,
                as scikit-learn's ``LearningCurveDisplay`` shows it): the gap to the test
                curve is the classic variance hint.
        """
        info = self.info
        fig, ax = new_axes(ax)
        shown = [m for m in info["models"] if models is None or m["model"] in models]
        single = len(shown) == 1
        for m in shown:
            st = m["style"]
            color = st["color"]
            ex = m["extrapolation"]
            if show_extrapolation and ex:
                _band(ax, ex["n"], ex["low90"], ex["high90"], color=color,
                      alpha=0.12 if not single else 0.18,
                      label="90 % extrapolation band" if single else None)
                _band(ax, ex["n"], ex["low50"], ex["high50"], color=color,
                      alpha=0.22 if not single else 0.32,
                      label="50 % extrapolation band" if single else None)
                ax.plot(*_xy(ex["n"], ex["median"]), color=color, linestyle=":", linewidth=1.4,
                        label="fitted curve" if single else None)
            mean = m["mean"]
            ci_x = [n for n, lo in zip(mean["n_train"], mean["ci_low"], strict=True)
                    if lo is not None]
            if ci_x:
                _band(ax, mean["n_train"], mean["ci_low"], mean["ci_high"], color=color,
                      alpha=0.3, label="95 % CI of the mean" if single else None)
            ax.plot(*_xy(mean["n_train"], mean["mean"]), color=color,
                    linestyle=st["linestyle"], marker=st["marker"], markersize=4,
                    linewidth=1.8, label=m["model"] if not single else "mean over repeats")
            tm = m.get("train_mean")
            if show_train and tm:
                ax.plot(*_xy(tm["n_train"], tm["mean"]), color=color, linestyle="--",
                        linewidth=1.0, alpha=0.8,
                        label=("mean on the training rows" if single
                               else f"{m['model']} (training rows)"))
            if show_points:
                ax.scatter(*_xy(m["points"]["n_train"], m["points"]["value"]), s=9,
                           color=color, alpha=0.55, marker=st["marker"], linewidths=0,
                           label="one repeat" if single else None)
            tip = m.get("tipping")
            if tip and tip.get("value") is not None and show_extrapolation:
                ax.plot([tip["n"]], [tip["value"]], marker="*", markersize=13, color=color,
                        markeredgecolor="black", markeredgewidth=0.7, linestyle="none",
                        label=("tipping point" if single else None))
        if info.get("pool_size"):
            ax.axvline(info["pool_size"], color=REFERENCE, linestyle="--", linewidth=1)
            ax.annotate(f"labels today: {info['pool_size']:,} ", (info["pool_size"], 0.02),
                        xycoords=("data", "axes fraction"), va="bottom", ha="right",
                        rotation=90, fontsize=7, color=REFERENCE)
        if info.get("target") is not None:
            ax.axhline(info["target"], color="black", linestyle="-.", linewidth=1)
            ax.annotate(f" target {info['target']:g}", (0.0, info["target"]),
                        xycoords=("axes fraction", "data"), ha="left", va="bottom",
                        fontsize=7, color="black")
        if focus and info.get("focus_ylim"):
            lo, hi = info["focus_ylim"]
            ax.set_ylim(lo, hi)
            below = sum(1 for m in shown for v in m["points"]["value"]
                        if v is not None and v < lo)
            above = sum(1 for m in shown for v in m["points"]["value"]
                        if v is not None and v > hi)
            if below or above:
                parts = ([f"{below} point{'s' * (below != 1)} below"] if below else []) + (
                    [f"{above} above"] if above else [])
                ax.annotate(f"{' and '.join(parts)} the zoomed axis (the smallest sizes)",
                            (0.01, 0.01), xycoords="axes fraction", ha="left",
                            va="bottom", fontsize=7, color=REFERENCE)
        _log_x(ax)
        ax.set_xlabel(info["xlabel"])
        ax.set_ylabel(info["ylabel"])
        ax.grid(True, which="major", alpha=0.3)
        if single:
            ax.set_title(shown[0]["model"], fontsize=10)
        if legend and shown:
            ax.legend(fontsize=7.5, loc="lower right" if info["higher_is_better"]
                      else "upper right")
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class ModelDifferenceDisplay:
    """Data vs. model: paired differences today, and projected as labels are added.

    ``plot(kind="today")`` draws each pair's difference with its confidence interval;
    ``plot(kind="projected")`` draws the expected difference against total labels with
    its 90 % band, zero as a reference and each crossing marked.

    Example:
        >>> cmp = {"metric": "accuracy", "current_n": 100, "level": 0.95, "pairs": [
        ...     {"a": "x", "b": "y", "today_diff": 0.02, "today_ci_low": 0.01,
        ...      "today_ci_high": 0.03, "projected": [{"delta_n": 100, "n_total": 200,
        ...      "diff_mean": 0.01, "diff_q05": 0.0, "diff_q95": 0.02}]}]}
        >>> disp = ModelDifferenceDisplay.from_comparison(cmp).plot(kind="projected")
        >>> disp.ax_.get_xscale()
        'log'
    """

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    @classmethod
    def from_comparison(cls, comparison: Any) -> ModelDifferenceDisplay:
        """From a :class:`~dataroi.value.ModelComparison` or its ``to_dict()``."""
        d = comparison.to_dict() if hasattr(comparison, "to_dict") else comparison
        return cls(model_difference_info(d))

    @classmethod
    def from_analysis(cls, analysis: Any) -> ModelDifferenceDisplay:
        """Every pair of an :class:`~dataroi.analysis.Analysis`'s models compared."""
        return cls.from_comparison(analysis.compare())

    @classmethod
    def from_study(cls, study: Any, *, metric: str | None = None) -> ModelDifferenceDisplay:
        """From a study whose trials have run: ``from_analysis(study.analyze())``."""
        with study.analyze(metric=metric) as analysis:
            return cls.from_analysis(analysis)

    def plot(self, ax: Any = None, *, kind: str = "today") -> ModelDifferenceDisplay:
        """Draw ``kind`` = ``"today"`` or ``"projected"`` on ``ax``."""
        info = self.info
        fig, ax = new_axes(ax)
        if kind == "today":
            rows = info["today"]
            ys = list(range(len(rows)))[::-1]
            for y, r in zip(ys, rows, strict=True):
                color = HIGHLIGHT if r["significant"] else REFERENCE
                if r["ci_low"] is not None and r["ci_high"] is not None:
                    ax.plot([r["ci_low"], r["ci_high"]], [y, y], color=color, linewidth=2.2)
                if r["diff"] is not None:
                    ax.plot([r["diff"]], [y], marker="o" if r["significant"] else "s",
                            color=color, markersize=6)
            ax.axvline(0.0, color=MUTED, linestyle="--", linewidth=1)
            ax.set_yticks(ys)
            ax.set_yticklabels([r["label"] for r in rows], fontsize=8)
            ax.set_xlabel(info["today_xlabel"], fontsize=8)
            ax.set_ylabel("model pair (a − b)")
            ax.set_title("today (paired over repeats; filled = significant)", fontsize=9)
        elif kind == "projected":
            for i, p in enumerate(info["projected"]):
                from dataroi.plotting._style import OKABE_ITO

                color = OKABE_ITO[i % (len(OKABE_ITO) - 1)]
                _band(ax, p["n_total"], p["diff_q05"], p["diff_q95"], color=color, alpha=0.15)
                ax.plot(*_xy(p["n_total"], p["diff_mean"]), color=color, marker="o",
                        markersize=3, linewidth=1.6, label=p["label"],
                        linestyle=("-", "--", "-.", ":")[i % 4])
                if p.get("crossing_n"):
                    ax.axvline(p["crossing_n"], color=color, linestyle=":", linewidth=1)
                    ax.annotate(f" crosses ≈ {short_count(p['crossing_n'])}",
                                (p["crossing_n"], 0.02 + 0.08 * i),
                                xycoords=("data", "axes fraction"), fontsize=7, color=color)
            ax.axhline(0.0, color=MUTED, linestyle="--", linewidth=1)
            _log_x(ax)
            ax.set_xlabel(info["projected_xlabel"])
            ax.set_ylabel(info["projected_ylabel"], fontsize=8)
            ax.set_title("projected as labels are added (band: 5–95 %)", fontsize=9)
            if info["projected"]:
                ax.legend(fontsize=7.5)
        else:
            from dataroi.exceptions import UsageError

            raise UsageError(f"kind must be 'today' or 'projected', got {kind!r}")
        ax.grid(True, alpha=0.3)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class MarginalValueDisplay:
    """Expected gain per 1,000 added labels against added labels, with the break-even.

    Example:
        >>> mv = {"metric": "accuracy", "current_n": 100, "rows": [
        ...     {"model": "a", "delta_n": d, "gain_mean": g, "gain_q05": g / 2,
        ...      "gain_q25": g, "gain_q50": g, "gain_q75": g, "gain_q95": 2 * g,
        ...      "gain_per_1k": 1000 * g / d} for d, g in ((50, 0.01), (100, 0.015))]}
        >>> disp = MarginalValueDisplay.from_marginal_value(mv, break_even_per_1k=0.05)
        >>> len(disp.plot().ax_.lines) >= 2
        True
    """

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    @classmethod
    def from_marginal_value(cls, marginal: Any, *, break_even_per_1k: float | None = None
                            ) -> MarginalValueDisplay:
        """From a :class:`~dataroi.value.MarginalValue` (or its ``to_dict()``)."""
        d = marginal.to_dict() if hasattr(marginal, "to_dict") else marginal
        return cls(marginal_value_info(d, break_even_per_1k=break_even_per_1k))

    @classmethod
    def from_analysis(cls, analysis: Any) -> MarginalValueDisplay:
        """An :class:`~dataroi.analysis.Analysis`'s marginal value, with the break-even
        of its costs when they price labels and points."""
        return cls.from_marginal_value(analysis.marginal_value(),
                                       break_even_per_1k=analysis.break_even_per_1k())

    @classmethod
    def from_study(cls, study: Any, *, metric: str | None = None) -> MarginalValueDisplay:
        """From a study whose trials have run: ``from_analysis(study.analyze())``."""
        with study.analyze(metric=metric) as analysis:
            return cls.from_analysis(analysis)

    def plot(self, ax: Any = None) -> MarginalValueDisplay:
        """Draw on ``ax`` (default: a new figure)."""
        info = self.info
        fig, ax = new_axes(ax)
        for m in info["models"]:
            st = m["style"]
            _band(ax, m["delta_n"], m["per_1k_q05"], m["per_1k_q95"], color=st["color"],
                  alpha=0.12)
            _band(ax, m["delta_n"], m["per_1k_q25"], m["per_1k_q75"], color=st["color"],
                  alpha=0.25)
            ax.plot(*_xy(m["delta_n"], m["per_1k_mean"]), color=st["color"],
                    marker=st["marker"], markersize=4, linestyle=st["linestyle"],
                    linewidth=1.8, label=m["model"])
        be = info.get("break_even_per_1k")
        if be is not None:
            ax.axhline(be, color=HIGHLIGHT, linestyle="-.", linewidth=1.2,
                       label=f"break-even: {be:.3g} per 1,000 labels")
        ax.axhline(0.0, color=MUTED, linewidth=0.8)
        _log_x(ax)
        ax.set_xlabel(info["xlabel"])
        ax.set_ylabel(info["ylabel"], fontsize=8)
        ax.set_title("bands: 50 % and 90 % of the curve draws", fontsize=9)
        ax.grid(True, alpha=0.3)
        if info["models"]:
            ax.legend(fontsize=7.5)
        self.ax_, self.figure_ = ax, fig
        return self


@dataclass
class CostFrontierDisplay:
    """Cost against expected metric of every option; the efficient frontier highlighted.

    Example:
        >>> opts = {"metric": "accuracy", "higher_is_better": True, "today": 0.9,
        ...         "options": [{"option_id": "a+0", "model": "a", "cost_usd": 0.0,
        ...                      "gain_mean": 0.0, "gain_q05": 0.0, "gain_q95": 0.0}]}
        >>> CostFrontierDisplay.from_options(opts).plot().ax_.get_xlabel()[:10]
        'total cost'
    """

    info: dict[str, Any]
    ax_: Any = field(default=None, repr=False)
    figure_: Any = field(default=None, repr=False)

    @classmethod
    def from_options(cls, options: Any, *, chosen_id: str | None = None,
                     excluded: Sequence[str] = ()) -> CostFrontierDisplay:
        """From an :class:`~dataroi.decide.OptionSet` (or its ``to_dict()``)."""
        d = options.to_dict() if hasattr(options, "to_dict") else options
        return cls(cost_frontier_info(d, chosen_id=chosen_id, excluded=excluded))

    @classmethod
    def from_recommendation(cls, rec: Any) -> CostFrontierDisplay:
        """From a :class:`~dataroi.decide.Recommendation` (chosen and excluded marked)."""
        d = rec.to_dict() if hasattr(rec, "to_dict") else rec
        return cls(cost_frontier_info(
            d["options"], chosen_id=(d.get("chosen") or {}).get("option_id"),
            excluded=[e["option_id"] for e in (d.get("plan") or {}).get("excluded", ())]))

    def plot(self, ax: Any = None) -> CostFrontierDisplay:
        """Draw on ``ax`` (default: a new figure)."""
        info = self.info
        fig, ax = new_axes(ax)
        styles = info["styles"]
        for model in info["models"]:
            st = styles[model]
            pts = [o for o in info["options"] if o["model"] == model]
            ok = [o for o in pts if not o["excluded"]]
            ex = [o for o in pts if o["excluded"]]
            if ok:
                ax.errorbar([o["cost_usd"] for o in ok], [o["expected"] for o in ok],
                            yerr=[[max(o["expected"] - (o["low"] if o["low"] is not None
                                                        else o["expected"]), 0) for o in ok],
                                  [max((o["high"] if o["high"] is not None
                                        else o["expected"]) - o["expected"], 0) for o in ok]],
                            fmt=st["marker"], color=st["color"], markersize=5, elinewidth=0.8,
                            alpha=0.85, capsize=0, label=model)
            if ex:
                ax.scatter([o["cost_usd"] for o in ex], [o["expected"] for o in ex],
                           marker=st["marker"], facecolors="none", edgecolors=st["color"],
                           s=28, label=f"{model} (excluded)")
        front = sorted((o for o in info["options"] if o["on_frontier"]),
                       key=lambda o: o["cost_usd"])
        if front:
            ax.step([o["cost_usd"] for o in front], [o["expected"] for o in front],
                    where="post", color="black", linewidth=1.2, label="efficient frontier")
        for o in info["options"]:
            if o["chosen"]:
                ax.scatter([o["cost_usd"]], [o["expected"]], marker="*", s=220,
                           color=HIGHLIGHT, edgecolors="black", linewidths=0.7, zorder=5,
                           label="recommended")
        ax.axhline(info["today"], color=MUTED, linestyle="--", linewidth=1)
        ax.annotate(" today", (0.0, info["today"]), xycoords=("axes fraction", "data"),
                    fontsize=7.5, color=REFERENCE, va="bottom")
        ax.set_xlabel(info["xlabel"])
        ax.set_ylabel(info["ylabel"], fontsize=8)
        ax.set_title("error bars: 5–95 % of the gain", fontsize=9)
        ax.grid(True, alpha=0.3)
        if info["options"]:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        self.ax_, self.figure_ = ax, fig
        return self
