"""Adaptive studies: spend compute only where it can change the decision.

A study's full grid runs every model at every size and repeat. Most of that compute
cannot change the recommendation: a model far behind needs no more repeats, a decision
that is already certain needs nothing. :class:`AdaptiveSchedule` starts from a coarse
grid (by default the smallest and the largest size of every model: three repeats at
the largest, one at the smallest) and then, look by look, asks for the trials
with the largest expected reduction in the chance that the recommendation differs from
the full grid's, per predicted CPU-second; it stops when that chance is small enough
(``P(same recommendation with the full grid) >= target``), when the recommendation held
at the last looks with that chance above a lower bar (``steady``: three looks at 0.8 by
default) — or, asked for, when a look like this one was the full grid's often enough on
the curve corpus (``learned``: the stated chance, how many looks the recommendation held
and whether it buys labels, read through a map learned on the corpus replay,
:mod:`dataroi.study._stop`) —, when a CPU budget is spent, or when no trial left can
move the decision.
:func:`run_until_decided` runs a study this way (``schedule.adaptive`` / ``dataroi run
--until-decided``); :func:`replay` runs the rule on trials measured before (the corpus
benchmark, ``bench_adaptive.py``).

How the chance is computed (:func:`stability`), from the recommendation's own draws:

* The recommendation is made by dataroi as always: ``dataroi.analyze(trials)`` then
  :meth:`~dataroi.analysis.Analysis.recommend` (the one place a recommendation is made).
  Each option's gain draws split into a *level* part (today's paired difference to the
  current model at today's size ``N``: what more repeats at ``N`` sharpen; its tails cut
  at 4 robust standard deviations) and an *own gain* part (the model's forecast beyond
  ``N``: what its curve's measured sizes steer).
* Completing the grid moves each option's expected value. Its preposterior spread
  (the variance of the change: now minus what the full grid would leave) is, for the
  level part, the draws' spread times ``sqrt(1 - r/R)`` (``r`` paired repeats measured
  at ``N`` of ``R``: a mean's variance falls as ``1/r``); for the own-gain part, the
  noise the missing repeats still hold (each size's repeat variance times
  ``1/r - 1/R``; a size not measured yet counts as half a repeat; today's size and the
  one below in full, the smaller ones at a quarter) carried to each added size as the
  "each doubling gains half the one before" rule does, and (a soft minimum) never more
  than the draws' own spread.
* Simulating those moves on the same draws (common random numbers, so the result is a
  deterministic function of the trials) gives ``P(same)``: the share of simulations in
  which the chosen option still has the best expected value (money, else gain) among
  the options allowed — an option the planner excludes only for its risk of losing
  money (``decision.max_p_loss``) is allowed in a simulation where its narrowed draws
  pass the limit. The same simulations give the look's *expected loss*: the mean of the
  best allowed option's value minus the chosen one's, what deciding now is expected to
  cost against the full grid (:attr:`AdaptiveStep.expected_loss`; shown and recorded,
  not a stop: on the corpus replay a stop on it needed more CPU than the steady stop
  for the same agreement, docs/adaptive.md).

The next trials are the ones whose (hypothetical) measurement lowers ``P(wrong) =
1 - P(same)`` the most per predicted CPU-second (a log-log fit of each model's measured
fit + predict seconds against size): a repeat at ``N`` where today's noise decides (with
the current model's trial of the same repeat, so the difference stays paired), the
largest size not measured yet, or more repeats below ``N``, where the extrapolation
decides. A model none of whose options can become the best gets no trial (LCCV's
discard, without a threshold). When no single trial moves the simulated decision but
``P(same)`` is still below the target (the simulation sees the missing repeats' noise,
not how a refit of the curves can change their shape), the curves of the models in
contention (the chosen option's, the current one and the best other one) are completed,
today's size first, then one size a look downwards, until ``P(same)`` reaches the target
or they are complete (``no_change``): their refitted curves are then the full grid's.
Every chosen trial carries its reason.

Example:
    >>> import numpy as np, pandas as pd
    >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
    ...          "value": top - 3.0 / n ** 0.5 + 0.004 * np.sin(7 * r + n),
    ...          "fit_seconds": n / 4000, "predict_seconds": 0.001}
    ...         for m, top in (("a", 0.9), ("b", 0.8)) for n in (50, 100, 200, 400, 800)
    ...         for r in range(5)]
    >>> full = pd.DataFrame(rows)
    >>> schedule = AdaptiveSchedule(["a", "b"], [50, 100, 200, 400, 800], 5,
    ...     recommend={"costs": {"price_per_label_usd": 1.0, "value_per_point_usd": 500},
    ...                "add": [800, 2400], "grid": ()}, n_draws=200)
    >>> run = replay(schedule, full)
    >>> run.recommendation == schedule.analyze(full).chosen.option_id, run.stop_reason
    (True, 'stable')
    >>> run.cpu_share < 1.0, all(c.reason for c in run.choices)
    (True, True)
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi._money import value_text
from dataroi.exceptions import UsageError
from dataroi.spec import AdaptiveSpec
from dataroi.study._stop import StopModel, load_stop_model, looks_held

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.decide import Recommendation

__all__ = ["AdaptiveRun", "AdaptiveSchedule", "AdaptiveStep", "TrialChoice", "UntilDecided",
           "replay", "run_until_decided", "stability"]

#: a size not measured yet counts as this many repeats (its mean comes from the curve)
_UNMEASURED_REPEATS = 0.5
#: a look's trials predicted to take at least this many seconds (on the workers they can
#: use) show the study's progress; quicker ones only their look's line
LOOK_PROGRESS_SECONDS = 30.0


@dataclass(frozen=True)
class TrialChoice:
    """One trial the schedule asks for, and why.

    Attributes:
        model, n_train, repeat: the trial's cell (the repeat fixes its nested subset).
        step: the step that chose it (0: the coarse grid).
        reason: why, in words.
        p_wrong_before: ``1 - P(same recommendation)`` when it was chosen (None at step 0).
        p_wrong_after: the same, expected once it (and the rest of its batch's trials of
            the same model) is measured (None at step 0).
        predicted_seconds: its predicted CPU seconds (fit + predict).
    """

    model: str
    n_train: int
    repeat: int
    step: int
    reason: str
    p_wrong_before: float | None = None
    p_wrong_after: float | None = None
    predicted_seconds: float | None = None

    @property
    def key(self) -> tuple[str, int, int]:
        """``(model, n_train, repeat)``."""
        return (self.model, self.n_train, self.repeat)


@dataclass(frozen=True)
class AdaptiveStep:
    """What one look at the trials says: the recommendation, its stability, what next.

    Attributes:
        step: 1 for the first look after the coarse grid.
        recommendation: the chosen option's id (``"<model>+<added labels>"``).
        label: the chosen option in words.
        stability: ``P(same recommendation with the full grid)``.
        choices: the next trials (empty when the schedule stops).
        stop_reason: ``"stable"``, ``"learned"`` (the learned stop:
            :class:`~dataroi.study._stop.StopModel`), ``"steady"`` (the same
            recommendation at the last ``steady_looks`` looks, with ``P(same) >=
            steady_target``; without ``learned_stop``), ``"budget"``,
            ``"complete"``, ``"no_change"`` (no trial left can move the decision, and the
            curves of the models in contention are complete), or None to go on.
        cpu_seconds: the measured CPU seconds of the trials so far.
        discarded: models that get no more trials (none of their options can become the
            best, or every trial of theirs is run), with why.
        expected_loss: what deciding now is expected to lose against deciding after the
            full grid, by the same simulated completions as ``stability``: the mean of
            the best allowed option's value minus the chosen one's (dollars when the
            options are priced, else gain: ``loss_unit``).
        loss_unit: ``"usd"`` or ``"gain"`` (the metric's units), as the options were
            valued at this look.
    """

    step: int
    recommendation: str
    label: str
    stability: float
    choices: tuple[TrialChoice, ...]
    stop_reason: str | None
    cpu_seconds: float
    discarded: Mapping[str, str] = field(default_factory=dict)
    expected_loss: float = 0.0
    loss_unit: str = "usd"

    def loss_text(self) -> str:
        """The expected loss in words, in its unit.

        Example:
            >>> look = AdaptiveStep(1, "a+0", "keep a", 0.9, (), None, 1.0, {}, 1234.5)
            >>> look.loss_text(), AdaptiveStep(1, "a+0", "keep a", 0.9, (), None, 1.0, {},
            ...                                0.00042, "gain").loss_text()
            ('$1,234', '0.00042 of gain')
        """
        return value_text(self.expected_loss, money=self.loss_unit == "usd")


@dataclass(frozen=True)
class AdaptiveRun:
    """A whole adaptive run replayed on measured trials (:func:`replay`).

    Attributes:
        choices: every trial asked for, in order, with its reason.
        steps: every look at the trials.
        recommendation, stability, stop_reason: of the last step.
        cpu_seconds: CPU seconds of the trials run; ``full_cpu_seconds``: of the full grid.
        trials: the trials run (a trials frame).
    """

    choices: tuple[TrialChoice, ...]
    steps: tuple[AdaptiveStep, ...]
    cpu_seconds: float
    full_cpu_seconds: float
    trials: pd.DataFrame = field(repr=False)

    @property
    def recommendation(self) -> str:
        """The last step's recommendation (an option id)."""
        return self.steps[-1].recommendation

    @property
    def stability(self) -> float:
        """The last step's ``P(same recommendation with the full grid)``."""
        return self.steps[-1].stability

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped."""
        return self.steps[-1].stop_reason

    @property
    def cpu_share(self) -> float:
        """CPU seconds used / the full grid's."""
        return self.cpu_seconds / self.full_cpu_seconds if self.full_cpu_seconds else 1.0


def trial_seconds(trials: pd.DataFrame) -> np.ndarray:
    """CPU seconds of each row of a trials frame: ``fit_seconds + predict_seconds``
    (a missing column or value counts 0).

    Example:
        >>> import pandas as pd
        >>> trial_seconds(pd.DataFrame({"fit_seconds": [1.0, 2.0],
        ...                             "predict_seconds": [0.5, None]})).tolist()
        [1.5, 2.0]
    """
    out = np.zeros(len(trials))
    for col in ("fit_seconds", "predict_seconds"):
        if col in trials:
            out += np.nan_to_num(np.asarray(trials[col], dtype=float), nan=0.0)
    return out


def _counts(trials: pd.DataFrame, models: Sequence[str], sizes: Sequence[int]
            ) -> dict[tuple[str, int], set[int]]:
    """(model, size) → the repeats measured (one row per trial, any metric)."""
    out: dict[tuple[str, int], set[int]] = {(m, int(s)): set() for m in models for s in sizes}
    if len(trials):
        for m, n, r in trials[["model", "n_train", "repeat"]].drop_duplicates().itertuples(
                index=False):
            if (m, int(n)) in out:
                out[(m, int(n))].add(int(r))
    return out


def _cell_sd(trials: pd.DataFrame, metric: str, models: Sequence[str], sizes: Sequence[int]
             ) -> dict[tuple[str, int], float]:
    """The repeats' standard deviation of each (model, size): the cell's own with two or
    more repeats, else the model's pooled one, else every model's pooled one."""
    sub = trials[trials["metric"] == metric] if "metric" in trials else trials
    sub = sub[np.isfinite(np.asarray(sub["value"], dtype=float))]
    g = sub.groupby(["model", "n_train"])["value"]
    var, cnt = g.var(ddof=1), g.count()
    own: dict[tuple[str, int], float] = {}
    pooled: dict[str, tuple[float, float]] = {}
    for (m, n), v in var.items():
        k = int(cnt[(m, n)])
        if k >= 2 and math.isfinite(v):
            own[(m, int(n))] = float(v)
            ss, dof = pooled.get(m, (0.0, 0.0))
            pooled[m] = (ss + v * (k - 1), dof + k - 1)
    everything = sum(p[0] for p in pooled.values()), sum(p[1] for p in pooled.values())
    overall = everything[0] / everything[1] if everything[1] else 0.0
    out = {}
    for m in models:
        ss, dof = pooled.get(m, (0.0, 0.0))
        fallback = ss / dof if dof else overall
        for s in sizes:
            out[(m, int(s))] = math.sqrt(max(own.get((m, int(s)), fallback), 0.0))
    return out


@dataclass(frozen=True)
class _Parts:
    """The chosen recommendation's options split for :func:`_p_same`."""

    ids: tuple[str, ...]
    models: tuple[str, ...]
    deltas: np.ndarray
    means: np.ndarray
    level: np.ndarray
    own: np.ndarray
    own_sd: np.ndarray
    chosen: int
    current: str
    current_n: int
    scale: float
    limited: np.ndarray
    max_p_loss: float | None
    net_sorted: np.ndarray
    net_sd: np.ndarray


def _parts(rec: Recommendation) -> _Parts:
    """The options the decision chooses among (those the planner allows, and those it
    excludes only for their risk of losing money, which more trials can change): their
    expected values (money when priced, else gain), their draws' level (today's paired
    difference) and own-gain parts, centred, and their centred net draws, sorted."""
    from dataroi.decide import CostModel, plan_budget

    opts = rec.options
    money = opts.has_money
    max_p_loss = rec.decision.max_p_loss if rec.decision.max_p_loss < 1.0 else None
    allowed = list(rec.plan.ranked) or [rec.chosen]
    if money and max_p_loss is not None:
        free = plan_budget(opts, rule=rec.plan.rule, budget_usd=rec.plan.budget_usd,
                           risk=rec.plan.risk, guardrails=rec.decision.guardrails,
                           max_p_loss=None)
        known = {o.option_id for o in allowed}
        allowed += [o for o in free.ranked if o.option_id not in known]
    scale = float(CostModel(opts.costs).value_usd(1.0)) if money else 1.0
    ids, models, deltas, means, level, own, limited = [], [], [], [], [], [], []
    for o in allowed:
        g = np.asarray(opts.draws.get(o.option_id, np.zeros(1)), dtype=float)
        base = opts.draws.get(f"{o.model}+0")
        lv = np.zeros_like(g) if (o.model == rec.current_model or base is None) else \
            np.asarray(base, dtype=float)
        ids.append(o.option_id)
        models.append(o.model)
        deltas.append(o.delta_n)
        means.append(float(o.net_mean_usd) if money and o.net_mean_usd is not None
                     else float(o.gain_mean))
        level.append(_tamed(lv))
        own.append((g - lv) - (g - lv).mean())
        limited.append(bool(money and max_p_loss is not None and not o.is_baseline
                            and o.p_net_positive is not None))
    n = max(len(x) for x in level)
    level_m = np.column_stack([np.resize(x, n) for x in level])
    own_m = np.column_stack([np.resize(x, n) for x in own])
    net = scale * (level_m + own_m)
    means_a = np.array(means)
    chosen = ids.index(rec.chosen.option_id) if rec.chosen.option_id in ids else 0
    # the planner may prefer a cheaper option tied with the best: count it as the best
    best_allowed = max(means_a[: len(rec.plan.ranked) or 1])
    means_a[chosen] = max(means_a[chosen], float(best_allowed))
    return _Parts(ids=tuple(ids), models=tuple(models), deltas=np.array(deltas, float),
                  means=means_a, level=level_m, own=own_m, own_sd=own_m.std(axis=0),
                  chosen=chosen, current=rec.current_model, current_n=int(rec.current_n),
                  scale=scale, limited=np.array(limited, bool), max_p_loss=max_p_loss,
                  net_sorted=np.sort(net, axis=0), net_sd=net.std(axis=0))


def _tamed(draws: np.ndarray) -> np.ndarray:
    """Centred draws of today's paired difference, their tails cut at 4 robust standard
    deviations (IQR / 1.349) from the median: with two or three repeats they are Student-t
    draws of one or two degrees of freedom, whose tails would say a mean could move
    without bound; what a completion can move is a mean of finite variance."""
    if not draws.any():
        return draws - draws.mean()
    q25, q50, q75 = np.quantile(draws, [0.25, 0.5, 0.75])
    s = (q75 - q25) / 1.349
    out = np.clip(draws, q50 - 4 * s, q50 + 4 * s) if s > 0 else draws
    return out - out.mean()


def _doubling_factor(n: int, deltas: np.ndarray, spacing: float) -> np.ndarray:
    """How much of one grid step's gain the added labels bring when each doubling gains
    half of the one before (``2 (1 - 2^-k)`` for ``k`` doublings), per grid step of
    ``spacing`` doublings."""
    k = np.log2((n + np.maximum(deltas, 0.0)) / n)
    return 2.0 * (1.0 - np.power(2.0, -k)) / max(spacing, 1e-9)


#: weight of a size's missing repeats in the own-gain spread: today's size and the one
#: below set the last doubling's gain; the smaller sizes shape the curve's families
_FAR_WEIGHT = 0.25
#: weight of the other models' missing repeats (at today's size and the one below) in a
#: model's own-gain spread: the learned forecast reads the study's context (the best
#: score today, the models' last gains), so a model's forecast moves when the other
#: models' trials come in, even when its own are complete
_CONTEXT_WEIGHT = 0.25


def _shrink(parts: _Parts, counts: Mapping[tuple[str, int], set[int]],
            sd: Mapping[tuple[str, int], float], sizes: Sequence[int], repeats: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per option: the share of the level draws' spread and the own-gain spread (metric
    units) that completing the grid can still move."""
    n = parts.current_n
    below = [s for s in sizes if s < n]
    prev = max(below) if below else None
    spacing = math.log2(n / prev) if prev else 1.0
    lv = np.zeros(len(parts.ids))
    og = np.zeros(len(parts.ids))
    cur_reps = counts.get((parts.current, n), set())

    def missing(m: str, s: int) -> float:  # the variance a cell's missing repeats hold
        r = len(counts.get((m, s), set()))
        inv = 1.0 / r if r else 1.0 / _UNMEASURED_REPEATS
        return sd.get((m, s), 0.0) ** 2 * max(0.0, inv - 1.0 / repeats)

    own_var = {m: sum((1.0 if s in (n, prev) else _FAR_WEIGHT) * missing(m, s)
                      for s in sizes if s <= n) for m in set(parts.models)}
    if _CONTEXT_WEIGHT > 0:  # the other models' cells that set the context
        every = sorted({m for m, _ in counts})
        near = {m: sum(missing(m, s) for s in (n, prev) if s is not None) for m in every}
        for m in own_var:
            others = [near[k] for k in every if k != m]
            if others:
                own_var[m] += _CONTEXT_WEIGHT * float(np.mean(others))
    for j, m in enumerate(parts.models):
        if m != parts.current:
            paired = len(counts.get((m, n), set()) & cur_reps)
            lv[j] = math.sqrt(max(0.0, 1.0 - paired / repeats))
        if parts.deltas[j] <= 0:
            continue
        cap = float(parts.own_sd[j])
        spread = math.sqrt(own_var[m]) * float(
            _doubling_factor(n, parts.deltas[j:j + 1], spacing)[0])
        # a soft minimum: never more than the draws' spread
        og[j] = spread * cap / math.hypot(spread, cap) if spread > 0 and cap > 0 else 0.0
    return lv, og


def _p_same(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> float:
    """Share of the simulated completions in which the chosen option stays the best
    allowed one (an option that spends must keep P(net <= 0) within
    ``decision.max_p_loss``: its draws' spread narrows by what the completion removed)."""
    sim = _simulated(parts, lv, og)
    best = sim.max(axis=1)
    return float(np.mean(sim[:, parts.chosen] >= best - 1e-12))


def _expected_loss(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> float:
    """Mean over the simulated completions of the best allowed option's value minus the
    chosen one's (the chosen one's as simulated, even where the completion would not
    allow it: its value is what deciding now gets)."""
    moved = _moved(parts, lv, og)
    mine = moved[:, parts.chosen].copy()
    best = _over_limit(parts, moved, lv, og).max(axis=1)
    best = np.where(np.isfinite(best), best, mine)
    return float(np.mean(np.maximum(best - mine, 0.0)))


#: what a trial is chosen for lowering per predicted CPU-second: ``"p_wrong"`` (the chance
#: the recommendation differs from the full grid's) or ``"loss"`` (the expected loss of
#: deciding now, :func:`_expected_loss`)
_CHOOSE_BY = "p_wrong"


def _worth(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> float:
    """What the choice of trials raises: ``P(same)``, or minus the expected loss."""
    return _p_same(parts, lv, og) if _CHOOSE_BY == "p_wrong" else -_expected_loss(
        parts, lv, og)


def _winners(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> set[str]:
    """The models with an option that is the best allowed one in at least one simulated
    completion."""
    sim = _simulated(parts, lv, og)
    return {parts.models[j] for j in np.unique(np.argmax(sim, axis=1))}


def _simulated(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> np.ndarray:
    """The options' values in each simulated completion (simulations × options; an
    option over ``decision.max_p_loss`` in a simulation is −inf there)."""
    return _over_limit(parts, _moved(parts, lv, og), lv, og)


def _moved(parts: _Parts, lv: np.ndarray, og: np.ndarray) -> np.ndarray:
    """The options' values in each simulated completion, whether allowed there or not."""
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(parts.own_sd > 0, parts.own / parts.own_sd, 0.0)
    return parts.means[None, :] + parts.scale * (parts.level * lv[None, :]
                                                 + own * og[None, :])


def _over_limit(parts: _Parts, sim: np.ndarray, lv: np.ndarray, og: np.ndarray
                ) -> np.ndarray:
    """``sim`` with −inf where an option that spends is over ``decision.max_p_loss`` in a
    simulation (its draws' spread narrowed by what the completion removed); in place."""
    if parts.max_p_loss is not None and parts.limited.any():
        k = parts.net_sorted.shape[0]
        moved = parts.scale ** 2 * (parts.level.var(axis=0) * lv ** 2 + og ** 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.sqrt(np.clip(parts.net_sd ** 2 - moved, 0.0, None)) / parts.net_sd
        for j in np.flatnonzero(parts.limited):
            if not np.isfinite(ratio[j]) or ratio[j] <= 0:
                p_loss = (sim[:, j] <= 0).astype(float)
            else:
                p_loss = np.searchsorted(parts.net_sorted[:, j], -sim[:, j] / ratio[j],
                                         side="right") / k
            sim[p_loss > parts.max_p_loss, j] = -np.inf
    return sim


def stability(rec: Recommendation, trials: pd.DataFrame, *, sizes: Sequence[int],
              repeats: int, metric: str | None = None) -> float:
    """``P(same recommendation with the full grid)``: the share of simulated completions
    of the grid (sizes × ``repeats``) in which ``rec``'s chosen option keeps the best
    expected value (see the module's docstring).

    Args:
        rec: the recommendation made from ``trials``.
        trials: the trials measured so far (a trials frame).
        sizes: the full grid's sizes (today's ``N`` is the largest).
        repeats: the full grid's repeats per (model, size).
        metric: the metric decided on (default: ``rec.metric``).

    Example:
        >>> import pandas as pd, dataroi
        >>> rows = [{"model": m, "n_train": n, "repeat": r, "metric": "accuracy",
        ...          "value": top - 2.0 / n ** 0.5 + 0.001 * r}
        ...         for m, top in (("a", 0.9), ("b", 0.7)) for n in (50, 100, 200)
        ...         for r in range(5)]
        >>> frame = pd.DataFrame(rows)
        >>> rec = dataroi.analyze(frame, n_draws=200).recommend(
        ...     costs={"price_per_label_usd": 1.0, "value_per_point_usd": 100}, grid=())
        >>> stability(rec, frame, sizes=[50, 100, 200], repeats=5)  # the grid is complete
        1.0
    """
    models = sorted({o.model for o in rec.options.options})
    counts = _counts(trials, models, sizes)
    sd = _cell_sd(trials, metric or rec.metric, models, sizes)
    parts = _parts(rec)
    return _p_same(parts, *_shrink(parts, counts, sd, sorted(int(s) for s in sizes),
                                   int(repeats)))


class AdaptiveSchedule:
    """Which trials to run next so that the recommendation is the full grid's at a
    fraction of its compute.

    Constructing stores the grid and settings; :meth:`initial` gives the coarse grid and
    :meth:`next_step` looks at the trials measured so far (a trials frame, as
    ``Study.trials()`` or ``dataroi trials`` give it) and says what to run next, or to
    stop. :func:`replay` runs it on trials measured before.

    Args:
        models: the study's models (the full grid's), in study order.
        sizes: the full grid's training sizes (today's ``N`` is the largest).
        repeats: the full grid's repeats per (model, size).
        recommend: keyword arguments of :meth:`~dataroi.analysis.Analysis.recommend`
            (``costs``, ``current_model``, ``add``, ``grid``, ``budget_usd``...).
        metric: the metric decided on (default: the frame's only one).
        target: stop once ``P(same recommendation with the full grid)`` reaches it.
        budget_seconds: stop before the measured CPU seconds (fit + predict) would pass
            it (None: no limit but the full grid).
        initial_sizes: sizes of the coarse grid (the smallest, the largest, and evenly
            spaced ones between, on the log scale; two by default: a corpus replay
            found a middle size cost CPU without making the recommendation agree
            more often with the full grid's).
        initial_repeats: repeats of the coarse grid at today's size (three: today's
            paired differences are Student-t draws, and with one degree of freedom their
            mean is not defined).
        initial_repeats_below: repeats of the coarse grid's smaller sizes.
        batch_size: at most this many offers per step (an offer is one trial, or at
            today's size a trial with the current model's trial of the same repeat).
        learned_stop: instead of the ``steady`` stop, stop (``learned``) once the learned
            chance that this look's recommendation is the full grid's reaches the stop
            model's threshold (:class:`~dataroi.study._stop.StopModel`: the stated
            ``P(same)``, the looks the recommendation held, whether it buys labels).
            Off by default: held out on the corpus replay it agrees as often as the
            steady stop with five points less CPU, but its regret was higher (two
            costly cases; docs/adaptive.md, "The learned stop").
        steady_looks, steady_target: stop (``steady``) once the recommendation has been
            the same at ``steady_looks`` looks in a row and ``P(same) >= steady_target``
            (0 looks: off). The simulated completion sees only the noise the missing
            trials still hold, so its ``P(same)`` is cautious below 0.9; a
            recommendation that new trials did not move is evidence it cannot see.
            Three looks at 0.8 were chosen on the curve corpus, leave-data-set-out
            (docs/adaptive.md).
        stop_model: the learned stop's map (default: the shipped one,
            :func:`~dataroi.study._stop.load_stop_model`).
        n_draws: curve draws per model of each analysis.
        random_state: root seed of the analyses (a study's seed).
        cache_dir: a folder for the analyses' curve fits (default: a temporary folder
            per schedule, so a model whose trials did not change is not refitted).
        analyze_kwargs: more keyword arguments of :func:`dataroi.analyze` (``curves``...).
        analyzer: makes the recommendation from a trials frame instead of
            :func:`dataroi.analyze` + ``recommend`` (a study's: its own analysis, with its
            spec's costs and decision).

    Raises:
        UsageError: an empty grid, fewer than one repeat, a target outside (0, 1], or
            steady settings other than the defaults with ``learned_stop`` on (they
            would be ignored).

    Example:
        >>> s = AdaptiveSchedule(["lr", "rf"], [64, 128, 256, 512, 1024], 5,
        ...                      recommend={"grid": ()})
        >>> [(c.n_train, c.repeat) for c in s.initial() if c.model == "lr"]
        [(64, 0), (1024, 0), (1024, 1), (1024, 2)]
    """

    def __init__(self, models: Sequence[str], sizes: Sequence[int], repeats: int, *,
                 recommend: Mapping[str, Any] | None = None, metric: str | None = None,
                 target: float = 0.95, budget_seconds: float | None = None,
                 initial_sizes: int = 2, initial_repeats: int = 3,
                 initial_repeats_below: int = 1, batch_size: int = 3,
                 learned_stop: bool = False, steady_looks: int | None = None,
                 steady_target: float | None = None, stop_model: StopModel | None = None,
                 n_draws: int = 400, random_state: int = 0,
                 cache_dir: str | None = None,
                 analyze_kwargs: Mapping[str, Any] | None = None,
                 analyzer: Callable[[pd.DataFrame], Recommendation] | None = None) -> None:
        self.models = tuple(models)
        self.sizes = tuple(sorted({int(s) for s in sizes}))
        self.repeats = int(repeats)
        if not self.models or not self.sizes:
            raise UsageError("an adaptive schedule needs at least one model and one size")
        if self.repeats < 1:
            raise UsageError(f"repeats must be at least 1, got {repeats}")
        if not 0 < float(target) <= 1:
            raise UsageError(f"target must be in (0, 1], got {target}")
        if learned_stop and (steady_looks, steady_target) != (None, None):
            raise UsageError("steady_looks and steady_target set the steady stop, which "
                             "learned_stop=True replaces; leave out one or the other")
        steady_looks = AdaptiveSpec.steady_looks if steady_looks is None else steady_looks
        steady_target = (AdaptiveSpec.steady_target if steady_target is None
                         else steady_target)
        if not 0 < float(steady_target) <= 1:
            raise UsageError(f"steady_target must be in (0, 1], got {steady_target}")
        self.recommend = dict(recommend or {})
        self.metric = metric
        self.target = float(target)
        self.budget_seconds = budget_seconds
        self.initial_sizes = max(1, int(initial_sizes))
        self.initial_repeats = max(1, min(int(initial_repeats), self.repeats))
        self.initial_repeats_below = max(1, min(int(initial_repeats_below), self.repeats))
        self.batch_size = max(1, int(batch_size))
        self.learned_stop = bool(learned_stop)
        self.steady_looks = max(0, int(steady_looks))
        self.steady_target = float(steady_target)
        # the map is read only when it is used (a file to parse and check per schedule)
        self.stop_model = (stop_model if stop_model is not None or not self.learned_stop
                           else load_stop_model())
        self.n_draws = int(n_draws)
        self.random_state = int(random_state)
        self.analyze_kwargs = dict(analyze_kwargs or {})
        self.analyzer = analyzer
        self._tmp = None if cache_dir is not None else tempfile.TemporaryDirectory(
            prefix="dataroi-adaptive-")
        self.cache_dir = cache_dir if cache_dir is not None else self._tmp.name

    def is_steady(self, recommendation: str, previous: Sequence[str], p_same: float
                  ) -> bool:
        """The ``steady`` stop with this schedule's settings (:func:`is_steady`).

        Example:
            >>> s = AdaptiveSchedule(["a"], [10, 20], 5, steady_looks=3, steady_target=0.8)
            >>> s.is_steady("a+0", ["b+0", "a+0", "a+0"], 0.85)
            True
        """
        return is_steady(recommendation, previous, p_same, looks=self.steady_looks,
                         level=self.steady_target)

    def early_stop(self, recommendation: str, previous: Sequence[str], p_same: float
                   ) -> str | None:
        """The stop short of ``P(same) >= target`` that this look meets, if any:
        ``"learned"`` (with ``learned_stop``) or ``"steady"`` (without).

        Example:
            >>> from dataroi.study._stop import StopModel
            >>> m = StopModel(intercept=0.38, weights=(1.68, 0.18, 0.18, -1.3),
            ...               threshold=0.92)
            >>> s = AdaptiveSchedule(["a"], [10, 20], 5, learned_stop=True, stop_model=m)
            >>> s.early_stop("a+0", ["a+0", "a+0"], 0.85), s.early_stop("a+0", [], 0.85)
            ('learned', None)
            >>> AdaptiveSchedule(["a"], [10, 20], 5).early_stop("a+0", ["a+0", "a+0"], 0.85)
            'steady'
        """
        if self.learned_stop:
            assert self.stop_model is not None  # set with learned_stop
            return ("learned" if self.stop_model.stops(recommendation, previous, p_same)
                    else None)
        return "steady" if self.is_steady(recommendation, previous, p_same) else None

    # -- the coarse grid ------------------------------------------------------------------
    def coarse_sizes(self) -> tuple[int, ...]:
        """The coarse grid's sizes: the smallest and the largest, and with
        ``initial_sizes`` above two, sizes evenly spaced between them on the log scale
        (the nearest of the grid).

        Example:
            >>> sizes = [64, 128, 256, 512, 1024, 2048]
            >>> AdaptiveSchedule(["a"], sizes, 5).coarse_sizes()
            (64, 2048)
            >>> AdaptiveSchedule(["a"], sizes, 5, initial_sizes=3).coarse_sizes()
            (64, 256, 2048)
        """
        k = min(self.initial_sizes, len(self.sizes))
        if k == 1:
            return (self.sizes[-1],)
        logs = np.log(np.array(self.sizes, float))
        want = np.linspace(logs[0], logs[-1], k)
        picked: list[int] = []
        for w in want:
            order = np.argsort(np.abs(logs - w), kind="stable")
            picked.append(next(self.sizes[i] for i in order if self.sizes[i] not in picked))
        return tuple(sorted(picked))

    def initial(self) -> list[TrialChoice]:
        """The coarse grid: every model at :meth:`coarse_sizes`, repeats
        ``0 … initial_repeats - 1`` at today's size (the largest) and
        ``initial_repeats_below`` at the smaller ones: today's paired differences need
        repeats, the curve's shape needs sizes more than repeats."""
        sizes = self.coarse_sizes()
        below = self.initial_repeats_below
        why = (f"coarse grid ({len(sizes)} sizes per model: {self.initial_repeats} repeats "
               f"at today's size, {below} below)")
        return [TrialChoice(m, s, r, 0, why) for m in self.models for s in sizes
                for r in range(self.initial_repeats if s == self.sizes[-1] else below)]

    # -- one look at the trials ------------------------------------------------------------
    def analyze(self, trials: pd.DataFrame) -> Recommendation:
        """dataroi's recommendation from ``trials`` (``dataroi.analyze`` then
        ``recommend`` with this schedule's settings)."""
        from dataroi.analysis import analyze

        if self.analyzer is not None:
            return self.analyzer(trials)
        a = analyze(trials, metric=self.metric, n_draws=self.n_draws,
                    random_state=self.random_state, models=self.models,
                    cache_dir=self.cache_dir, **self.analyze_kwargs)
        return a.recommend(**self.recommend)

    def predicted_seconds(self, trials: pd.DataFrame) -> dict[tuple[str, int], float]:
        """Predicted CPU seconds of one trial of each (model, size): a least-squares line
        of log seconds on log size per model (slope within [0, 2]; 1 with one size
        measured), the pooled one for a model with no timing."""
        from dataroi.study._timing import seconds_by_size

        keys = trials[["model", "n_train"]].assign(s=trial_seconds(trials))
        if "metric" in trials:  # one row per trial: the metrics of a trial share timings
            keys = keys.assign(r=trials["repeat"]).drop_duplicates(["model", "n_train", "r"])
        return seconds_by_size(keys[["model", "n_train", "s"]].itertuples(index=False),
                               self.models, self.sizes)

    def next_step(self, trials: pd.DataFrame, *, step: int = 1,
                  previous: Sequence[str] = ()) -> AdaptiveStep:
        """Look at the trials measured so far; say the recommendation, its stability and
        which trials to run next (none: stop, with why).

        Args:
            trials: every trial measured so far (a trials frame; the coarse grid at least).
            step: this look's number (recorded with the choices).
            previous: the recommendations (option ids) of this run's earlier looks,
                oldest first (for the ``steady`` stop; :func:`replay` and
                :func:`run_until_decided` pass them).
        """
        rec = self.analyze(trials)
        cpu = float(trial_seconds(_one_row_per_trial(trials)).sum())
        counts = _counts(trials, self.models, self.sizes)
        sd = _cell_sd(trials, self.metric or rec.metric, self.models, self.sizes)
        parts = _parts(rec)
        now = _shrink(parts, counts, sd, self.sizes, self.repeats)
        p_same = _p_same(parts, *now)
        loss = _expected_loss(parts, *now)
        unit = "usd" if rec.options.has_money else "gain"

        def done(reason: str, discarded: Mapping[str, str] | None = None) -> AdaptiveStep:
            return AdaptiveStep(step, rec.chosen.option_id, rec.chosen.label, p_same, (),
                                reason, cpu, dict(discarded or {}), loss, unit)

        missing = [k for k, v in counts.items() if len(v) < self.repeats]
        if not missing:
            return done("complete")
        if p_same >= self.target:
            return done("stable")
        early = self.early_stop(rec.chosen.option_id, previous, p_same)
        if early is not None:
            return done(early)
        price = self.predicted_seconds(trials)
        n, cur = self.sizes[-1], parts.current
        below = [s for s in self.sizes if s < n]
        prev = max(below) if below else None
        offers: list[tuple[float, float, int, list[TrialChoice]]] = []
        discarded: dict[str, str] = {}
        everything = set(range(self.repeats))
        can_win = _winners(parts, *now)  # models with an option best in some completion
        worth = p_same if _CHOOSE_BY == "p_wrong" else -loss
        for i, m in enumerate(self.models):
            best: tuple[float, float, int, list[TrialChoice]] | None = None
            for s in reversed(self.sizes):
                if len(counts[(m, s)]) >= self.repeats:
                    continue
                cells = _action(m, s, n, cur, counts, everything)
                after = dict(counts)
                for cm, cs, cr in cells:
                    after[(cm, cs)] = after[(cm, cs)] | {cr}
                shrunk = _shrink(parts, after, sd, self.sizes, self.repeats)
                p_after = _p_same(parts, *shrunk)
                worth_after = p_after if _CHOOSE_BY == "p_wrong" else _worth(parts, *shrunk)
                gain = worth_after - worth
                secs = sum(price[(cm, cs)] for cm, cs, _ in cells)
                if len(cells) > 1:  # a pair: this model's own trial must add something
                    alone = dict(counts)
                    alone[(cur, n)] = counts[(cur, n)] | {cells[1][2]}
                    gain = min(gain, worth_after - _worth(parts, *_shrink(
                        parts, alone, sd, self.sizes, self.repeats)))
                if gain <= 1e-9:
                    continue
                score = gain / max(secs, 1e-6)
                why = _reason(m, s, n, cur, counts[(m, s)], p_same, p_after, secs,
                              paired=len(cells) > 1, prev=prev,
                              context=m != cur and m not in can_win)
                best = (score, -secs, i, [
                    TrialChoice(cm, cs, cr, step, why, 1 - p_same, 1 - p_after,
                                price[(cm, cs)]) for cm, cs, cr in cells])
                offers.append(best)
            if best is None:
                left = sum(self.repeats - len(counts[(m, s)]) for s in self.sizes)
                discarded[m] = ("its trials are all run" if left == 0 else
                                "no trial of it can change the recommendation (none of its "
                                "options becomes the best in any simulated completion)"
                                if m != cur else "its trials cannot change the "
                                "recommendation")
        batch: list[TrialChoice] = []
        if not offers:
            # no single trial moves the simulated decision, yet P(same) is below the
            # target: what the simulation cannot see (a refit's change of shape) is
            # narrowed by completing the curves of the models in contention, today's
            # size first, then down, one size a look
            full = {(m, sz): set(everything) for m in self.models for sz in self.sizes}
            rivals = _winners(parts, *_shrink(parts, full, sd, self.sizes, self.repeats))
            for size in reversed(self.sizes):
                batch = _contenders_at(parts, counts, size, n, everything, price, step,
                                       p_same, rivals)
                if batch:
                    break
            if not batch:
                return done("no_change", discarded)
        offers.sort(key=lambda o: (-o[0], o[1], o[2]))
        for o in offers[:self.batch_size]:
            batch.extend(c for c in o[3] if c.key not in {b.key for b in batch})
        if self.budget_seconds is not None:
            room, kept = self.budget_seconds - cpu, []
            for c in batch:
                room -= c.predicted_seconds or 0.0
                if room >= 0:
                    kept.append(c)
            batch = kept
            if not batch:
                return done("budget", discarded)
        return AdaptiveStep(step, rec.chosen.option_id, rec.chosen.label, p_same,
                            tuple(batch), None, cpu, discarded, loss, unit)


def is_steady(recommendation: str, previous: Sequence[str], p_same: float, *, looks: int,
              level: float) -> bool:
    """The ``steady`` stop: ``recommendation`` is also the one of the last ``looks - 1``
    looks before this one (``previous``, oldest first) and ``P(same) >= level``; never
    with ``looks`` 0.

    Example:
        >>> is_steady("a+0", ["b+0", "a+0", "a+0"], 0.85, looks=3, level=0.8), is_steady(
        ...     "a+0", ["a+0", "b+0"], 0.85, looks=3, level=0.8), is_steady(
        ...     "a+0", ["a+0", "a+0"], 0.75, looks=3, level=0.8)
        (True, False, False)
    """
    return looks >= 1 and p_same >= level and looks_held(recommendation, previous) >= looks


def _contenders_at(parts: _Parts, counts: Mapping[tuple[str, int], set[int]], size: int,
                   n: int, everything: set[int], price: Mapping[tuple[str, int], float],
                   step: int, p_same: float, rivals: set[str] | None = None
                   ) -> list[TrialChoice]:
    """The missing repeats at ``size`` (``n``: today's) of the models in contention: the
    chosen option's, the current one, and the model of the best allowed option of another
    model (by expected value) among ``rivals`` (the models that win some simulated
    completion of the whole grid; None: every model) — a model that cannot become the
    best gets nothing."""
    models = [m for m in _contender_models(parts, rivals) if (m, size) in price]
    where = f"today's size N={n:,}" if size == n else f"n={size:,}"
    why = (f"{where}: no single trial moves the simulated decision, yet "
           f"P(wrong recommendation) {1 - p_same:.3f} is more than the target allows; "
           f"the curves of the models in contention ({', '.join(models)}) are completed, "
           "today's size first")
    return [TrialChoice(m, size, r, step, f"{m} repeat {r + 1} at {why}", 1 - p_same, None,
                        price[(m, size)])
            for m in models for r in sorted(everything - counts.get((m, size), set()))]


def _contender_models(parts: _Parts, rivals: set[str] | None = None) -> list[str]:
    """The models in contention: the chosen option's, the current one, and the model of
    the best allowed option of another model (by expected value) among ``rivals``
    (None: every model)."""
    mine = parts.models[parts.chosen]
    others = [(float(parts.means[j]), -j, parts.models[j]) for j in range(len(parts.ids))
              if parts.models[j] != mine
              and (rivals is None or parts.models[j] in rivals)]
    return list(dict.fromkeys([mine, parts.current] + ([max(others)[2]] if others else [])))


def _trial_index(full: pd.DataFrame) -> dict[tuple[str, int, int], list[int]]:
    """The rows of each trial (model, size, repeat) of a trials frame (every metric)."""
    index: dict[tuple[str, int, int], list[int]] = {}
    for i, k in enumerate(zip(full["model"], full["n_train"].astype(int),
                              full["repeat"].astype(int), strict=True)):
        index.setdefault((str(k[0]), int(k[1]), int(k[2])), []).append(i)
    return index


def _one_row_per_trial(trials: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, size, repeat): the metrics of a trial share its timings."""
    cols = [c for c in ("model", "n_train", "repeat") if c in trials]
    return trials.drop_duplicates(cols) if cols else trials


def _action(model: str, size: int, n: int, current: str,
            counts: Mapping[tuple[str, int], set[int]], everything: set[int]
            ) -> list[tuple[str, int, int]]:
    """The trials of one offer: the model's next repeat at ``size``; at today's size a
    repeat the current model has (so today's difference gains a pair), else the lowest
    missing one with the current model's trial of the same repeat beside it."""
    have = counts[(model, size)]
    if size == n and model != current:
        mine = counts[(current, n)]
        pairable = sorted(mine - have)
        if pairable:
            return [(model, size, pairable[0])]
        rep = min(everything - have)
        return [(model, size, rep)] + ([(current, n, rep)] if rep not in mine else [])
    return [(model, size, min(everything - have))]


def _reason(model: str, size: int, n: int, current: str, have: set[int], p_before: float,
            p_after: float, secs: float, *, paired: bool = False,
            prev: int | None = None, context: bool = False) -> str:
    """Why a trial is chosen, in words (``context``: no option of the model can become
    the best; its trial narrows the other models' forecasts, which read its curve)."""
    if context:
        pair = f", with {current}'s trial of the same repeat" if paired else ""
        what = (f"n={size:,}{pair}: no option of {model} can become the best, but the "
                "other models' learned forecasts read its curve (the study's context)")
    elif paired:
        what = (f"today's size N={n:,}, with {current}'s trial of the same repeat: "
                f"today's paired difference to {current} (noise) decides")
    elif size == n and model == current:
        what = (f"today's size N={n:,}: the current model's level, which every switch "
                "is measured against, decides")
    elif size == n:
        what = f"today's size N={n:,}: today's difference to {current} (noise) decides"
    elif size == prev and not have:
        what = (f"a larger size (n={size:,}, the one below today's, not measured yet): "
                "the extrapolation decides")
    elif size == prev:
        what = f"n={size:,}, the size below today's: the extrapolation's slope decides"
    else:
        what = (f"n={size:,}{', not measured yet' if not have else ''}: the curve's shape "
                "(the extrapolation) decides")
    return (f"{model} repeat {len(have) + 1} at {what}; P(wrong recommendation) "
            f"{1 - p_before:.3f} → {1 - p_after:.3f} for ~{secs:.2g} CPU-s")


def replay(schedule: AdaptiveSchedule, full: pd.DataFrame, *, max_steps: int = 200
           ) -> AdaptiveRun:
    """Run ``schedule`` on trials measured before: reveal the rows of ``full`` (the full
    grid's trials frame, every metric) in the order the schedule asks for them.

    A trial the schedule asks for that ``full`` lacks counts as run and failed (no row).

    Raises:
        UsageError: ``full`` holds none of the coarse grid's trials.

    Example: see the module's docstring.
    """
    index = _trial_index(full)
    taken: list[int] = []
    asked: set[tuple[str, int, int]] = set()
    choices: list[TrialChoice] = []

    def reveal(batch: Sequence[TrialChoice]) -> None:
        for c in batch:
            if c.key not in asked:
                asked.add(c.key)
                choices.append(c)
                taken.extend(index.get(c.key, []))

    reveal(schedule.initial())
    if not taken:
        raise UsageError("the measured trials hold none of the coarse grid's trials")
    steps: list[AdaptiveStep] = []
    for step in range(1, max_steps + 1):
        seen = full.iloc[sorted(taken)].reset_index(drop=True)
        look = schedule.next_step(seen, step=step,
                                  previous=[s.recommendation for s in steps])
        steps.append(look)
        new = [c for c in look.choices if c.key not in asked]
        if look.stop_reason is not None or not new:
            break
        reveal(new)
    seen = full.iloc[sorted(taken)].reset_index(drop=True)
    return AdaptiveRun(choices=tuple(choices), steps=tuple(steps),
                       cpu_seconds=float(trial_seconds(_one_row_per_trial(seen)).sum()),
                       full_cpu_seconds=float(trial_seconds(_one_row_per_trial(full)).sum()),
                       trials=seen)


#: the ledger document of one look of an adaptive run (what was asked for, and why)
ADAPTIVE_DOCUMENT = "adaptive_step"


@dataclass(frozen=True)
class UntilDecided:
    """What :func:`run_until_decided` did.

    Attributes:
        steps: every look at the trials (the last one says why the run stopped).
        choices: every trial asked for, in order, with its reason.
        completed, failed: trials run by this call.
        cpu_seconds: measured CPU seconds (fit + predict) of the study's trials.
        full_cpu_seconds: the full grid's CPU seconds: the measured ones plus the
            predicted seconds of the trials not run.
        grid_trials: trials of the full grid (models × sizes × repeats).
        resumed_after: the looks of an earlier run of the same spec and settings on the
            same data that had not stopped (interrupted, or out of ``max_steps``), which
            this run went on from (0: none); its looks are numbered after them.
        wall_seconds: how long this call took, looks and trials (its elapsed time).
        analysis_cpu_seconds: CPU seconds of this call's looks themselves (reading the
            trials, the analysis and the choice of the next ones: this process's CPU time
            while it looked), which the trials' ``cpu_seconds`` leave out. On a small study
            they can outweigh what the run saves (docs/adaptive.md).
    """

    steps: tuple[AdaptiveStep, ...]
    choices: tuple[TrialChoice, ...]
    completed: int
    failed: int
    cpu_seconds: float
    full_cpu_seconds: float
    grid_trials: int
    resumed_after: int = 0
    wall_seconds: float = 0.0
    analysis_cpu_seconds: float = 0.0

    @property
    def recommendation(self) -> str:
        """The last look's recommendation (an option id)."""
        return self.steps[-1].recommendation

    @property
    def looks(self) -> int:
        """The run's looks, those of the run it went on from included."""
        return self.steps[-1].step

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped."""
        return self.steps[-1].stop_reason

    @property
    def cpu_saved_share(self) -> float:
        """The share of the full grid's (predicted) CPU seconds not spent."""
        if self.full_cpu_seconds <= 0:
            return 0.0
        return max(0.0, 1.0 - self.cpu_seconds / self.full_cpu_seconds)

    @property
    def net_saved_share(self) -> float:
        """The share of the full grid's (predicted) CPU seconds saved once the looks' own
        analysis is counted: negative when the looks cost more than the trials they
        spared (the full grid needs no look).

        Example:
            >>> run = UntilDecided(steps=(), choices=(), completed=0, failed=0,
            ...                    cpu_seconds=4.0, full_cpu_seconds=10.0, grid_trials=1,
            ...                    analysis_cpu_seconds=8.0)
            >>> round(run.cpu_saved_share, 2), round(run.net_saved_share, 2)
            (0.6, -0.2)
        """
        if self.full_cpu_seconds <= 0:
            return 0.0
        return 1.0 - (self.cpu_seconds + self.analysis_cpu_seconds) / self.full_cpu_seconds

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        from dataroi._json import json_safe

        last = self.steps[-1]
        return json_safe({
            "recommendation": last.recommendation, "label": last.label,
            "stability": last.stability, "expected_loss": last.expected_loss,
            "expected_loss_unit": last.loss_unit,
            "stop_reason": last.stop_reason, "looks": self.looks,
            "resumed_after": self.resumed_after, "trials_asked": len(self.choices),
            "grid_trials": self.grid_trials, "completed": self.completed,
            "failed": self.failed, "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "full_cpu_seconds_predicted": self.full_cpu_seconds,
            "cpu_saved_share": self.cpu_saved_share,
            "analysis_cpu_seconds": self.analysis_cpu_seconds,
            "net_saved_share": self.net_saved_share,
            "choices": [_choice_dict(c) for c in self.choices]})


def _choice_dict(c: TrialChoice) -> dict[str, Any]:
    return {"model": c.model, "n_train": c.n_train, "repeat": c.repeat, "step": c.step,
            "reason": c.reason, "p_wrong_before": c.p_wrong_before,
            "p_wrong_after": c.p_wrong_after, "predicted_seconds": c.predicted_seconds}


def run_until_decided(study: Any, *, settings: Any = None, max_steps: int = 100,
                      console: Any = None, **run_kwargs: Any) -> UntilDecided:
    """Run a study adaptively: its coarse grid, then, look by look, only the trials that
    can change its recommendation, until ``P(same recommendation with the full grid)``
    reaches the target, the CPU budget is spent, or nothing left can move the decision.

    Each look records an ``adaptive_step`` document in the ledger (the recommendation,
    its stability, and every trial asked for with its reason) and prints one line of
    progress on ``console`` (standard error by default), with the time since the start.
    The coarse grid shows the study's progress (``progress``); a look's few trials show
    theirs only when they are predicted to take :data:`LOOK_PROGRESS_SECONDS` or more
    (a look line says what they are). The recommendation is the
    study's own (:meth:`Study.analyze` then ``recommend()``, with the spec's costs and
    decision). Stress arms are not run.

    A run goes on from an earlier one that did not stop (interrupted, or out of
    ``max_steps``) on the same data, spec and settings: after the coarse grid it runs the
    trials that run asked for and not yet measured, and its looks are numbered after
    that run's, whose recommendations count toward the steady (or learned) stop — so it
    asks for what the uninterrupted run would have asked for next, and stops where it would have
    (the choices depend on the measured timings too, so "would have" holds for the
    trials as measured).

    Args:
        study: a :class:`~dataroi.study.Study`.
        settings: a :class:`~dataroi.spec.AdaptiveSpec` (default: the spec's
            ``schedule.adaptive``, else the defaults).
        max_steps: at most this many looks.
        console: a ``rich.console.Console`` for the progress lines.
        run_kwargs: passed to :meth:`Study.run` (``jobs``, ``executor``, ``progress``...).

    Raises:
        UsageError: the spec can rank no option (neither ``costs.value_per_point_usd``
            nor ``decision.target``).
    """
    import time
    import warnings

    from dataroi.exceptions import DataWarning
    from dataroi.executors import cpu_count
    from dataroi.spec import canonical_hash

    start = time.monotonic()
    progress = bool(run_kwargs.pop("progress", True))
    workers = int(run_kwargs.get("jobs") or cpu_count())
    spec = study.spec
    settings = settings or spec.schedule.adaptive or AdaptiveSpec()
    has_value = spec.costs is not None and spec.costs.value_per_point_usd is not None
    if not has_value and (spec.decision is None or spec.decision.target is None):
        raise UsageError("an adaptive run stops when the recommendation is stable: the spec "
                         "needs costs.value_per_point_usd (or decision.target) to make one")
    plan = study.plan()
    models = [m.name for m in spec.models]
    say = _say(console)

    def recommend(_: pd.DataFrame) -> Recommendation:
        with study.analyze(check_data=True) as analysis:
            return analysis.recommend()

    def measured() -> pd.DataFrame:
        trials = study.trials(check_data=True)
        return trials[trials["model"].isin(models)].reset_index(drop=True)

    schedule = AdaptiveSchedule(
        models, plan.sizes, plan.repeats, target=settings.target,
        budget_seconds=settings.budget_cpu_seconds, initial_sizes=settings.initial_sizes,
        initial_repeats=settings.initial_repeats, batch_size=settings.batch_size,
        learned_stop=settings.learned_stop, random_state=spec.schedule.seed,
        analyzer=recommend, **({} if settings.learned_stop else {
            "steady_looks": settings.steady_looks, "steady_target": settings.steady_target}))
    stop_map = schedule.stop_model.digest if schedule.learned_stop else None
    run_key = canonical_hash({"spec": spec.spec_hash, "adaptive": settings.to_dict()}
                             | ({"stop_model": stop_map} if stop_map else {}))
    asked = list(schedule.initial())
    batch = list(asked)
    steps: list[AdaptiveStep] = []
    previous: list[str] = []  # the recommendations of the run this one goes on from
    offset = completed = failed = 0
    look_cpu = 0.0  # the looks' own CPU seconds
    say(f"adaptive run: {len(batch)} trials of the coarse grid (of {len(models)} models × "
        f"{len(plan.sizes)} sizes × {plan.repeats} repeats = "
        f"{len(models) * len(plan.sizes) * plan.repeats})")
    shown = progress  # the coarse grid's progress; then only a long look's
    for i in range(1, max_steps + 1):
        with warnings.catch_warnings():
            if i > 1:  # the data checks' findings were said before the first trial
                warnings.simplefilter("ignore", DataWarning)
            summary = study.run(only=[c.key for c in batch], progress=shown, **run_kwargs)
            completed += summary.completed
            failed += summary.failed
            if i == 1 and (earlier := _unfinished_looks(study, run_key)):
                # go on from where a run that did not stop left off: its trials first
                offset, previous = int(earlier[-1]["step"]), [
                    str(p["recommendation"]) for p in earlier]
                known = {c.key for c in asked}
                more = [c for c in (_choice_from_dict(d) for p in earlier
                                    for d in p.get("asked", ())) if c.key not in known]
                asked += more
                say(f"going on from look {offset} of an adaptive run that did not stop "
                    f"({len(more)} trials it asked for beyond the coarse grid)")
                if more:
                    summary = study.run(only=[c.key for c in more], progress=progress,
                                        **run_kwargs)
                    completed += summary.completed
                    failed += summary.failed
        step = offset + i
        began = time.process_time()
        look = schedule.next_step(measured(), step=step,
                                  previous=previous + [s.recommendation for s in steps])
        spent = time.process_time() - began
        look_cpu += spent
        steps.append(look)
        _record(study, look, batch if step == 1 else [], run_key, stop_map, spent)
        nxt = [c for c in look.choices if c.key not in {a.key for a in asked}]
        say(f"look {step} ({time.monotonic() - start:.0f}s): {look.label} — P(same as the "
            f"full grid) {look.stability:.2f}, expected loss "
            f"{look.loss_text()}"
            + (f"; next {len(nxt)} trial{'s' if len(nxt) != 1 else ''}: "
               + "; ".join(f"{c.model} n={c.n_train:,} repeat {c.repeat}" for c in nxt)
               if look.stop_reason is None and nxt else f"; stop ({look.stop_reason})"))
        if look.stop_reason is not None or not nxt:
            break
        asked += nxt
        batch = nxt
        shown = progress and look_is_long(nxt, workers)
    trials = measured()
    cpu = float(trial_seconds(_one_row_per_trial(trials)).sum())
    price = schedule.predicted_seconds(trials)
    ran = _counts(trials, models, plan.sizes)
    full = cpu + sum(price[(m, s)] * (plan.repeats - len(ran[(m, s)]))
                     for m in models for s in plan.sizes)
    return UntilDecided(steps=tuple(steps), choices=tuple(asked), completed=completed,
                        failed=failed, cpu_seconds=cpu, full_cpu_seconds=float(full),
                        grid_trials=len(models) * len(plan.sizes) * plan.repeats,
                        resumed_after=offset, wall_seconds=time.monotonic() - start,
                        analysis_cpu_seconds=look_cpu)


def look_is_long(batch: Sequence[TrialChoice], workers: int) -> bool:
    """Whether a look's trials are predicted to take :data:`LOOK_PROGRESS_SECONDS` or
    more on ``workers`` processes (their predicted CPU seconds over the workers they can
    use; a trial not priced counts as long): then they show a progress bar or its log
    lines, else the look's one line is enough.

    Example:
        >>> quick = TrialChoice("hgb", 500, 1, step=2, reason="", predicted_seconds=2.0)
        >>> look_is_long([quick] * 3, 2), look_is_long([quick] * 60, 2)
        (False, True)
    """
    seconds = [c.predicted_seconds for c in batch]
    if any(s is None for s in seconds):
        return True
    return sum(seconds) / max(1, min(workers, len(batch))) >= LOOK_PROGRESS_SECONDS


def _unfinished_looks(study: Any, run_key: str) -> list[dict[str, Any]]:
    """The looks (``adaptive_step`` payloads, oldest first) of the study's last adaptive
    run on this data when that run did not stop and ran under the same spec and settings
    (``run_key``); else none.

    A run stops with a reason at its last look; an interrupted run (or one out of
    ``max_steps``) leaves looks without one. Walking back from the newest look, the
    run's looks are those of the same key and no stop reason, back to its first look.
    """
    try:
        with study.analyze(check_data=True) as analysis:
            ctx = analysis.context
            if ctx is None or ctx.store is None or ctx.context is None:
                return []
            docs = ctx.store.list_documents(ADAPTIVE_DOCUMENT, study_id=ctx.study_id,
                                            context_id=ctx.context.get("context_id"))
    except UsageError:  # nothing finished yet
        return []
    looks: list[dict[str, Any]] = []
    for doc in reversed(docs):
        payload = doc["payload"]
        if payload.get("run") != run_key or payload.get("stop_reason") is not None:
            break
        looks.append(payload)
        if payload.get("step") == 1:
            break
    return looks[::-1]


def _choice_from_dict(d: Mapping[str, Any]) -> TrialChoice:
    """A :class:`TrialChoice` from its ledger form (:func:`_choice_dict`)."""
    return TrialChoice(str(d["model"]), int(d["n_train"]), int(d["repeat"]),
                       int(d.get("step", 0)), str(d.get("reason", "")),
                       d.get("p_wrong_before"), d.get("p_wrong_after"),
                       d.get("predicted_seconds"))


def _say(console: Any) -> Callable[[str], None]:
    if console is not None:
        return lambda text: console.print(text, markup=False, highlight=False)
    import sys

    return lambda text: print(text, file=sys.stderr)


def _record(study: Any, look: AdaptiveStep, coarse: Sequence[TrialChoice], run_key: str,
            stop_map: str | None = None, analysis_seconds: float | None = None) -> None:
    """An ``adaptive_step`` document: the look and the trials it asks for, with why, the
    key of the spec and settings it ran under (``run``: a run that did not stop is gone
    on from only under the same key, which holds the learned stop's map too), the
    SHA-256 of that map (``stop_model``; not there with the steady stop) and the look's
    own CPU seconds (``analysis_cpu_seconds``)."""
    from dataroi.spec import canonical_hash

    payload = {"run": run_key, "step": look.step, "recommendation": look.recommendation,
               "label": look.label, "stability": look.stability,
               "stop_reason": look.stop_reason, "cpu_seconds": look.cpu_seconds,
               "expected_loss": look.expected_loss, "expected_loss_unit": look.loss_unit,
               "discarded": dict(look.discarded),
               "asked": [_choice_dict(c) for c in (*coarse, *look.choices)]}
    if stop_map:
        payload["stop_model"] = stop_map
    if analysis_seconds is not None:
        payload["analysis_cpu_seconds"] = float(analysis_seconds)
    with study.analyze(check_data=True) as analysis:
        ctx = analysis.context
        if ctx is None or ctx.store is None:
            return
        ctx.store.record_document(ADAPTIVE_DOCUMENT, payload, study_id=ctx.study_id,
                                  context_id=(ctx.context or {}).get("context_id"),
                                  content_hash=canonical_hash(payload))
