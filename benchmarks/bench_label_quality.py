"""The value of better labels, judged like the value of more labels (issue #26).

Reproduce (resumable: each unit is cached in the work folder,
``benchmarks/corpus/work/label-quality/``; rerun after the noise build finishes to take in
every data set)::

    python benchmarks/bench_label_quality.py --jobs 1

The first run learns the leave-data-set-out gain models (``learn_gain_model.py
--folds-out``, about 13 minutes) and needs LCDB for it, as the shipped model was learned
with it: add ``--lcdb /path/to/database-accuracy.csv`` (or set ``DATAROI_LCDB``; how to
fetch it: ``benchmarks/_lcdb.py``). Later runs reuse the folds (``--gain-folds DIR``
points at another copy).

The noise arms of the curve corpus (``benchmarks/corpus/build_noise.py``: 16 data sets, two
learners each, arms clean / symmetric noise 5, 10, 20 % / ``cc-noise``, sizes doubling
from 64 to 8,192, 5 paired repeats). A *case* is (data set, learner, noisy arm, cut N) with
N in {256, 512, 1024} where 4N was measured. Everything predicted for a case is made from
the trials of both arms at sizes <= N only; the truth is what the arms measured later.

What is predicted, and by whom:

* **The gap** clean − noisy (mean accuracy over the 5 repeats) at 2N, 4N, 8N and 16N.

  - *dataroi*, as shipped since #26: ``dataroi.stress.analyze_stress(trials <= N,
    spec.stress, n_classes=K, class_shares={cc class: its share}, gain_model=GAIN)``,
    each arm's ``GapForecast``: for an arm whose share of flipped labels is known (every
    arm here), the effective-sample rule anchored at today's paired gap (``C1`` below,
    now dataroi's own code, ``dataroi/stress/_noise_rule.py``), today's excess over the
    rule fading as (N/n)^β; its interval the draws' 5-95 % quantiles widened about the
    point by a per-factor scale. dataroi ships the β (one per kind of noise) and the scale
    learned on all 16 data sets (``src/dataroi/stress/noise_rule_scale.json``, written by
    ``learn_noise_rule_scale.py`` from this benchmark's ``cases.csv``); here each data
    set is judged at the β of :data:`DECAYS` chosen *without it* for the arm's kind
    (:func:`loo_decay`: the least gap MAE on the other data sets' arms of that kind; every
    unit is run at each β) and with the scale
    learned *without it* (:func:`loo_shipped`, through dataroi's own
    ``calibrated_interval``). Each figure names its method (the output counts them).
  - *curves*, dataroi before the rule (and still where the rate is unknown):
    ``dataroi.analyze(trials <= N, models=[clean, its arms], curves=GAIN)
    .compare(add=[N, 3N, 7N, 15N])``: each arm's curve continued by the learned gain
    forecast, today's paired difference plus the two arms' forecast gains, the draws
    paired with dataroi's model-pair rank correlation (0.14); the point is the mean of
    the draws, the interval their 5-95 % quantiles.

    The arms of one ``stress:`` group (the clean model and its symmetric arms; the clean
    model and its cc arm) are analysed together, as ``Analysis.stress()`` groups them.
    ``GAIN`` is the gain model
    learned *without this data set* (``learn_gain_model.py --folds-out``: 10 folds of the
    58 corpus data sets plus LCDB): the shipped model was trained on the clean curves of
    every corpus data set, these 16 included, so it has seen these very clean curves
    (never a noisy one); ``--gain shipped`` runs it for comparison, not for the headline.
  - *rule A*, "today's gap persists": the measured gap at N.
  - *rule B*, the classical effective-sample rule: n labels with symmetric noise at rate r
    are worth f·n clean ones, so the noisy arm at M scores like the clean arm at M·f and
    the gap is clean(M) − clean(M·f). Derivation: with K classes and each flipped label
    sent uniformly to one of the K − 1 others, the noisy label's class probabilities are
    p̃(x) = (1 − r) p(x) + r/(K − 1) (1 − p(x)) = (1 − rK/(K − 1)) p(x) + r/(K − 1): the
    part that depends on x, the signal a learner estimates, shrinks by
    (1 − rK/(K − 1)) while the label's variance stays about the same, so a label carries
    (1 − rK/(K − 1))² of the information (the 1/(1 − 2r)² sample complexity of learning
    with random classification noise, Angluin & Laird 1988, for K = 2):
    f = (1 − r·K/(K − 1))², (1 − 2r)² for binary tasks. For ``cc-noise`` (20 % of the most
    frequent class's labels flipped to the second) r is the share of all labels flipped
    (0.2 × that class's share): an approximation, the noise is not symmetric. clean(x) is
    the clean arm's measured means interpolated in log size where 64 <= x <= N, else the
    same clean curve dataroi uses (its median draw: the learned forecast beyond N, the
    fitted curve below 64), so that the comparison isolates the noise rule.
  - *candidates* (``--candidates``, on by default: the fixes studied because dataroi
    loses; nothing in them is fitted on the held-out data set):

    - ``C1``, rule B anchored at today's measured gap: the noisy arm gains from N what
      the clean arm gains from N·f, gap(kN) = gap(N) + [clean(kN) − clean(N)] −
      [clean(kN·f) − clean(N·f)]; drawn jointly from dataroi's clean draws and today's
      paired draws. ``C1cal``: its interval widened about the point by a factor learned
      leave-data-set-out (per factor, the 90 % quantile of |error| / half-width on the
      other data sets, each data set equal).
    - ``C3``, the same with the effective fraction measured today instead of the rate's
      f (f̂ = the clean size whose clean mean equals the noisy arm's at N, over N: the
      noisy arm as the clean curve shifted in log size); ``C3cal`` as ``C1cal``.
    - ``C2cv``: the comparison (*curves*, the same point), its draws paired at a rank
      correlation of :data:`RHOS` (``compare_models(rank_correlation=...)``) chosen
      leave-data-set-out (the one whose coverage of the other data sets is closest to
      90 %) instead of 0.14, dataroi's figure for two *different learners* (LCDB).

* **Equivalent labels**: how many labels the noisy arm needs to match the clean arm's
  mean at N. *dataroi* (as shipped): ``dataroi.stress.analyze_stress``'s equivalence of
  the clean model and the arm with the number of classes: by the anchored rule, per draw
  the first n at which the clean curve's gain from N·f to n·f, plus the faded part of
  today's excess over the rule, closes a draw of today's paired gap (at the β chosen
  without the data set), its draws widened by the interval scale learned without the
  data set (:func:`loo_widened`: a second pass over the units; ``draws`` is the same
  unwidened); the median of the draws. Beyond the horizon (64 N) dataroi
  says "never" only when 95 % of the draws do not arrive (``NEVER_SHARE``: the 90 %
  interval beyond it); between half and 95 % it says "more likely than not" beyond it,
  with P(never) and the interval's lower end (outcome "open"). *curves* (dataroi
  before the rule, and still where the rate is unknown; docs/stress.md): the same
  analysis without the number of classes, which reads the noisy arm's *fitted curve
  families*, not the learned forecast. Candidates: ``Dfc``, the *curves* computation on
  dataroi's learned
  forecast of the noisy arm (``StudyCurves.draws``, what the comparison and the planner
  read beyond N); ``C1`` (clean(n·f) = clean(N·f) + gap(N)); ``C3`` (N / f̂). Truth: the
  first size at which the noisy arm's measured mean reaches the clean arm's measured mean
  at N, interpolated in log size; "> L" when it does not by the largest measured size L.
  Rule B: N / f. Compared as extra labels
  (beyond N): within 2x of the truth where the truth is finite and positive; "never"
  stated where the truth was reached, or a finite size below L stated where it was not.
  Every method with a P(never) (dataroi, curves, Dfc) states "never" by dataroi's rule;
  the output also checks the stated P(never) of every case beyond the horizon against
  the share not reached by L.
  A backward view checks rule B's f itself with no forecast: at L, the clean size whose
  measured mean equals the noisy arm's (the measured effective fraction m / L).

Metrics: per data set (every case of a data set weighs the same) and over data sets (each
data set weighs the same), with 90 % bootstrap intervals over data sets. The candidates
were shaped after looking at the first 4-5 finished data sets: the data sets built after
them are the clean test of the candidates (the output names which were finished when).

Data: ``noise_curves.parquet`` when exported, and otherwise the data sets whose every
trial is finished in the build's ledger (``work/noise_ledger.db``, read from a snapshot
taken with SQLite's backup API on a read-only connection; through
``dataroi.load_study(spec, ledger=snapshot, build_models=False).trials()``).
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
sys.path[:0] = [str(HERE), str(CORPUS), str(CORPUS / "specs")]

from build_noise import ARMS, CC_RATE, NOISE_SETS, arm_facts  # noqa: E402
from build_noise import spec_paths as noise_spec_paths  # noqa: E402
from datasets import by_name  # noqa: E402

METRIC = "accuracy"
CUTS = (256, 512, 1024)
FACTORS = (2, 4, 8, 16)
SMALLEST = 64
DEFAULT_WORK = CORPUS / "work" / "label-quality"
REPRO = "python benchmarks/bench_label_quality.py --jobs 1"
#: The data sets finished when the candidates were shaped (looked at while designing them):
#: the others are their clean test.
DESIGN_SETS = ("election_tweets", "happiness", "keel_penbased", "tuna")
#: Bumped when a unit's cached content changes meaning.
UNIT_VERSION = 8
#: The rates β at which the rule's excess over today fades that dataroi is run at; the
#: benchmark judges each data set at the β chosen on the others (:func:`loo_decay`).
DECAYS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75)
#: C2's rank correlations of the two arms' curve draws (dataroi's own is 0.14).
RHOS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
#: The clean curve's draws are kept at n0 × 2 ** (GRID_STEPS / 4) (up to 64 n0).
GRID_STEPS = tuple(range(-16, 25))


# ---------------------------------------------------------------- data


def snapshot_ledger(ledger: Path, dest: Path) -> Path:
    """Copy ``ledger`` to ``dest`` through SQLite's backup API on a read-only connection
    (a consistent snapshot, the build's writer untouched).

    Example:
        >>> import tempfile
        >>> d = Path(tempfile.mkdtemp())
        >>> con = sqlite3.connect(d / "a.db"); _ = con.execute("create table t (x)")
        >>> con.commit(); con.close()
        >>> snapshot_ledger(d / "a.db", d / "b.db").name
        'b.db'
    """
    src = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    tmp.replace(dest)
    return dest


def planned_trials(spec_path: Path) -> int:
    """Trials of a data set's noise arms (accuracy rows): the spec's learners × the
    :data:`ARMS` × its sizes × its repeats.

    Example:
        >>> planned_trials(noise_spec_paths("tuna")["symmetric"])
        400
    """
    import yaml

    spec = yaml.safe_load(spec_path.read_text())
    sched = spec["schedule"]
    return len(spec["models"]) * len(ARMS) * len(sched["sizes"]) * int(sched["repeats"])


def ledger_frame(snapshot: Path, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The finished data sets' arms from a ledger snapshot, in the shape of
    ``noise_curves.parquet`` (accuracy only); returns the frame and the unfinished names."""
    import dataroi

    frames, unfinished = [], []
    for name in names:
        parts = []
        for spec in noise_spec_paths(name).values():
            study = dataroi.load_study(str(spec), ledger=str(snapshot), build_models=False)
            t = study.trials()
            parts.append(t[(t["state"] == "complete") & (t["metric"] == METRIC)])
        t = pd.concat(parts, ignore_index=True).drop_duplicates(
            subset=["model", "n_train", "repeat"])
        if len(t) < planned_trials(noise_spec_paths(name)["symmetric"]):
            unfinished.append(name)
            continue
        facts = [arm_facts(m) for m in t["model"]]
        frames.append(pd.DataFrame({
            "dataset": name, "learner": [f[0] for f in facts], "arm": [f[1] for f in facts],
            "n_train": t["n_train"].astype(int).to_numpy(),
            "repeat": t["repeat"].astype(int).to_numpy(), "metric": METRIC,
            "value": t["value"].astype(float).to_numpy(),
            "train_value": t["train_value"].astype(float).to_numpy(),
            "fit_seconds": t["fit_seconds"].astype(float).to_numpy()}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out, unfinished


def load_arms(source: str, ledger: Path, workdir: Path, only: list[str] | None
              ) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Accuracy of every finished data set's arms; where each came from; the unfinished."""
    from load import CORPUS_DIR, load_noise_curves

    names = [n for n in NOISE_SETS if not only or n in only]
    frames, where = [], {}
    parquet = CORPUS_DIR / "noise_curves.parquet"
    if source in ("auto", "parquet") and parquet.exists():
        f = load_noise_curves(parquet)
        f = f[(f["metric"] == METRIC) & f["dataset"].isin(names)]
        frames.append(f[["dataset", "learner", "arm", "n_train", "repeat", "metric", "value",
                         "train_value", "fit_seconds"]])
        where |= dict.fromkeys(sorted(f["dataset"].unique()), "noise_curves.parquet")
    rest = [n for n in names if n not in where]
    unfinished: list[str] = []
    if source in ("auto", "ledger") and rest and ledger.exists():
        snap = snapshot_ledger(ledger, workdir / "noise_ledger_snapshot.db")
        f, unfinished = ledger_frame(snap, rest)
        if len(f):
            frames.append(f)
            where |= dict.fromkeys(sorted(f["dataset"].unique()), "ledger snapshot")
    else:
        unfinished = rest
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame, where, unfinished


def data_info(name: str) -> dict[str, Any]:
    """The prepared table's facts (classes, majority share): from the build's work folder,
    else from the committed ``noise_manifest.csv`` (a checkout without the build's work
    folder), which also names the ``cc-noise`` arm's class (``cc_class``).

    Example:
        >>> info = data_info("tuna")
        >>> info["classes"] >= 2 and 0 < info["majority_share"] <= 1
        True
    """
    path = CORPUS / "work" / "data" / f"{name}.json"
    info: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    manifest = CORPUS / "noise_manifest.csv"
    if manifest.exists():
        m = pd.read_csv(manifest)
        row = m[m["dataset"] == name]
        if len(row):
            r = row.iloc[0]
            info.setdefault("classes", int(r["classes"]))
            info.setdefault("majority_share", float(r["majority_share"]))
            info["cc_class"] = str(r["cc_class"])
            info["cc_class_share"] = float(r["cc_class_share"])
    if "classes" not in info:
        raise SystemExit(f"no facts of {name}: neither {path} nor a row of {manifest}")
    return info


def cc_share_flipped(name: str, info: dict[str, Any]) -> float:
    """Share of all training labels the ``cc-noise`` arm flips: the manifest's when
    exported, else ``CC_RATE`` × the most frequent class's share."""
    path = CORPUS / "noise_manifest.csv"
    if path.exists():
        m = pd.read_csv(path)
        row = m[m["dataset"] == name]
        if len(row):
            return float(row["cc_expected_share_flipped"].iloc[0])
    return CC_RATE * float(info["majority_share"])


def effective_fraction(rate: float, classes: int) -> float:
    """Rule B's effective fraction f = (1 − r·K/(K − 1))² (see the module doc).

    Example:
        >>> round(effective_fraction(0.1, 2), 2), round(effective_fraction(0.2, 10), 3)
        (0.64, 0.605)
    """
    k = max(int(classes), 2)
    return float(max(1.0 - rate * k / (k - 1), 0.0) ** 2)


def arm_fraction(name: str, arm: str, info: dict[str, Any]) -> tuple[float, float]:
    """(r, f) of an arm: its symmetric rate, or the cc arm's share of labels flipped."""
    r = cc_share_flipped(name, info) if arm == "cc-noise" else float(arm.split("=", 1)[1])
    return r, effective_fraction(r, int(info["classes"]))


def means_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean accuracy per (dataset, learner, arm, n_train)."""
    return frame.groupby(["dataset", "learner", "arm", "n_train"])["value"].mean() \
        .rename("mean").reset_index()


def interp_log(sizes: np.ndarray, values: np.ndarray, x: float) -> float:
    """``values`` interpolated in log size at ``x`` (inside the sizes' range).

    Example:
        >>> interp_log(np.array([64.0, 256.0]), np.array([0.5, 0.7]), 128.0)
        0.6
    """
    return float(np.interp(math.log(x), np.log(sizes), values))


def first_reach(sizes: np.ndarray, values: np.ndarray, target: float, start: float
                ) -> float:
    """The first size >= ``start`` at which ``values`` reach ``target``, interpolated in
    log size between the last size below it and the first at or above; inf if never.

    Example:
        >>> s = np.array([100.0, 200, 400, 800]); v = np.array([0.5, 0.6, 0.7, 0.8])
        >>> round(first_reach(s, v, 0.65, 100.0)), first_reach(s, v, 0.9, 100.0)
        (283, inf)
    """
    keep = sizes >= start
    s, v = sizes[keep], values[keep]
    for j in range(len(s)):
        if v[j] >= target:
            if j == 0:
                return float(s[0])
            t = (target - v[j - 1]) / (v[j] - v[j - 1])
            return float(math.exp(math.log(s[j - 1]) + t * math.log(s[j] / s[j - 1])))
    return math.inf


# ---------------------------------------------------------------- dataroi, per unit


@dataclass(frozen=True)
class Unit:
    """One analysis: a data set's stress group (``sym`` or ``cc``) at cut ``n0``, for
    both learners."""

    dataset: str
    group: str
    n0: int

    @property
    def key(self) -> str:
        return f"{self.dataset}__{self.group}__{self.n0}"


def digest(frame: pd.DataFrame) -> str:
    """A short digest of a unit's trials (accuracy values), so a cached unit is reused
    only for the same data (the ledger snapshot and the exported parquet agree).

    Example:
        >>> f = pd.DataFrame({"learner": ["a"], "arm": ["clean"], "n_train": [64],
        ...                   "repeat": [0], "value": [0.5]})
        >>> digest(f) == digest(f.copy()), len(digest(f))
        (True, 10)
    """
    import hashlib

    cols = ["learner", "arm", "n_train", "repeat", "value"]
    rows = frame[cols].sort_values(cols[:4]).astype(str).to_numpy().tolist()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:10]


def group_arms(group: str) -> list[str]:
    """The noisy arms of a stress group."""
    return [a for a in ARMS if a != "clean" and (a == "cc-noise") == (group == "cc")]


def to_trials(frame: pd.DataFrame, learners: list[str], arms: list[str], max_n: int
              ) -> pd.DataFrame:
    """A tidy trials frame with dataroi's arm names (``logreg[noise=0.1]``)."""
    sub = frame[frame["learner"].isin(learners) & frame["arm"].isin(["clean", *arms])
                & (frame["n_train"] <= max_n)]
    model = sub["learner"].where(sub["arm"] == "clean", sub["learner"] + "[" + sub["arm"] + "]")
    return pd.DataFrame({"model": model.to_numpy(), "n_train": sub["n_train"].to_numpy(),
                         "repeat": sub["repeat"].to_numpy(), "metric": METRIC,
                         "value": sub["value"].to_numpy(),
                         "train_value": sub["train_value"].to_numpy(),
                         "fit_seconds": sub["fit_seconds"].to_numpy(),
                         "state": "complete"})


def run_unit(args: tuple[Unit, pd.DataFrame, str, str, int, str]) -> dict[str, Any]:
    """dataroi's analysis of one unit (trials <= n0 only): per learner and arm, the
    stress analysis's gap forecast and equivalent labels as dataroi ships them
    (``analyze_stress`` with the number of classes: the effective-sample rule, its raw
    interval kept so the benchmark can widen it with a scale learned without this data
    set), the same analysis without the number of classes (the arms' curves: dataroi's
    equivalence before the rule), the comparison's gap forecast (dataroi's before the rule,
    at its pairing and at the :data:`RHOS` of C2), the clean curve's joint draws on a grid
    of sizes and today's paired draws (rule B and the candidates). Cached in
    ``cache_dir`` (a JSON file and an ``.npz`` of the draws per unit)."""
    unit, frame, gain, gain_id, draws, cache_dir = args
    stem = Path(cache_dir) / "units" / f"{unit.key}__{gain_id}__{draws}__{digest(frame)}"
    js, npz = stem.with_suffix(".json"), stem.with_suffix(".npz")
    if js.exists() and npz.exists():
        got = json.loads(js.read_text())
        if got.get("version") == UNIT_VERSION:
            with np.load(npz) as z:
                got["arrays"] = {k: z[k] for k in z.files}
            return got
    warnings.simplefilter("ignore")
    import dataroi
    from dataroi.spec import load_spec
    from dataroi.stress import analyze_stress
    from dataroi.value import PAIR_RANK_CORRELATION, FitCache, compare_models

    t0 = time.perf_counter()
    n0 = unit.n0
    arms = group_arms(unit.group)
    learners = sorted(frame["learner"].unique())
    result: dict[str, Any] = {"version": UNIT_VERSION, "unit": unit.key, "learners": {}}
    arrays: dict[str, np.ndarray] = {}
    cache = FitCache(Path(cache_dir) / "fits")
    add = [k * n0 - n0 for k in FACTORS]
    grid = [n0 * 2 ** (j / 4) for j in GRID_STEPS]
    for lr in learners:
        trials = to_trials(frame, [lr], arms, n0)
        names = [lr] + [f"{lr}[{a}]" for a in arms]
        a = dataroi.analyze(trials, metric=METRIC, models=names, curves=gain, n_draws=draws,
                            random_state=0, cache_dir=Path(cache_dir) / "fits")
        comps = {PAIR_RANK_CORRELATION: a.compare(add=add)}
        for rho in RHOS:
            comps[rho] = compare_models(a.curves, add=add, grid=(), n_draws=draws,
                                        rank_correlation=rho)
        c = a.curves
        per_arm: dict[str, Any] = {}
        for arm, name in zip(arms, names[1:], strict=True):
            row: dict[str, Any] = {"rho": {}}
            for rho, comp in comps.items():
                pair = next(p for p in comp.pairs if p["a"] == lr and p["b"] == name)
                proj = {int(p["n_total"]): p for p in pair["projected"]}
                row["rho"][f"{rho:g}"] = {
                    str(k): [proj[k * n0]["diff_mean"], proj[k * n0]["diff_q05"],
                             proj[k * n0]["diff_q95"]] for k in FACTORS}
            row["dataroi"] = row["rho"][f"{PAIR_RANK_CORRELATION:g}"]
            arrays[f"{lr}__{arm}__today"] = c.paired_today_draws(lr, name, draws)
            arrays[f"{lr}__{arm}__noisy"] = c.draws(
                name, [x for x in grid if x >= n0], draws).astype(np.float32)
            per_arm[arm] = row
        # the clean curve dataroi uses (fitted below n0, the learned forecast beyond), one
        # joint draw per row: rule B and the candidates read it at any size by log
        # interpolation (exact beyond n0, where the forecast is linear in log size
        # between its factors, all grid points)
        arrays[f"{lr}__clean"] = c.draws(lr, grid, draws).astype(np.float32)
        result["learners"][lr] = {"arms": per_arm, "curve_source": c.curve_source,
                                  "notes": list(c.notes), "grid": grid}
    # what the stress analysis says for the clean model and each arm: without the number
    # of classes (the arms' curves, dataroi's method before the rule: "curves"), and as
    # dataroi ships it (the rule; its raw interval, widened later by a scale learned
    # without this data set)
    kind = "symmetric" if unit.group == "sym" else "cc"
    spec = load_spec(str(noise_spec_paths(unit.dataset)[kind]))
    st_trials = to_trials(frame, learners, arms, n0)
    old = analyze_stress(st_trials, spec.stress, metric=METRIC, draws=400, random_state=0,
                         cache=cache)
    runs = {"equivalence": old}
    for beta in DECAYS:  # as shipped, at each decay (the benchmark picks one per data set)
        runs[f"shipped@{beta:g}"] = shipped_stress(unit, frame, gain, draws, cache, beta, {})
    for tag, st in runs.items():
        key = "equivalence" if tag == "equivalence" else tag.replace("shipped", "eq")
        for g in st.noise:
            for e in g.equivalences:
                if e.reference != g.base:
                    continue
                arm = e.other[len(g.base) + 1:-1]
                result["learners"][g.base]["arms"][arm][key] = {
                    "q05": e.added_q05, "q50": e.added_q50, "q95": e.added_q95,
                    "p_never": e.p_never, "max_factor": e.max_factor, "method": e.method,
                    "sentence": e.sentence(f"{g.base}: removing {arm}")}
            if tag == "equivalence":
                continue
            for fc in g.forecasts:
                arm = fc.arm[len(g.base) + 1:-1]
                result["learners"][g.base]["arms"][arm][tag] = {
                    "method": fc.method, "factors": list(fc.factors),
                    "point": list(fc.point), "raw_low": list(fc.raw_low),
                    "raw_high": list(fc.raw_high), "today": fc.today, "rate": fc.rate,
                    "fraction": fc.fraction, "excess": fc.excess}
    result["seconds"] = time.perf_counter() - t0
    js.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(npz, **arrays)
    tmp = js.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, allow_nan=True))
    tmp.replace(js)  # written last: a unit is cached once its JSON is there
    result["arrays"] = arrays
    return result


def shipped_stress(unit: Unit, frame: pd.DataFrame, gain: str, draws: int, cache: Any,
                   beta: float, scales: dict[int, float]) -> Any:
    """dataroi's stress analysis of one unit as shipped (with the number of classes and
    the cc class's share: the effective-sample rule) at the decay ``beta`` and the
    interval scale ``scales`` (``{}``: the draws' own)."""
    from dataroi.spec import load_spec
    from dataroi.stress import analyze_stress

    kind = "symmetric" if unit.group == "sym" else "cc"
    spec = load_spec(str(noise_spec_paths(unit.dataset)[kind]))
    info = data_info(unit.dataset)
    learners = sorted(frame["learner"].unique())
    return analyze_stress(
        to_trials(frame, learners, group_arms(unit.group), unit.n0), spec.stress,
        metric=METRIC, draws=draws, random_state=0, cache=cache,
        n_classes=int(info["classes"]),
        class_shares={info["cc_class"]: info["cc_class_share"]},
        gain_model="auto" if gain == "learned" else gain, interval_scale=scales,
        excess_decay=beta)


def widened_unit(args: tuple[Unit, pd.DataFrame, str, int, str, dict[str, float],
                             dict[int, float]]) -> dict[tuple[str, str], dict[str, Any]]:
    """dataroi's equivalences of one unit as shipped: at the β chosen without the data
    set for each kind (``decays``) and with the interval scale learned without it, which
    widens the equivalence's draws as it widens the gap's interval. (learner, arm) →
    quantiles and P(never)."""
    from dataroi.value import FitCache

    unit, frame, gain, draws, cache_dir, decays, scales = args
    cache = FitCache(Path(cache_dir) / "fits")
    kind = "class_conditional" if unit.group == "cc" else "symmetric"
    st = shipped_stress(unit, frame, gain, draws, cache, decays[kind], scales)
    out = {}
    for g in st.noise:
        for e in g.equivalences:
            if e.reference == g.base:
                out[(g.base, e.other[len(g.base) + 1:-1])] = {
                    "q05": e.added_q05, "q50": e.added_q50, "q95": e.added_q95,
                    "p_never": e.p_never}
    return out


def loo_widened(eqs: pd.DataFrame, todo: list[tuple[Any, ...]], decays: dict[tuple[str, str],
                float], scales: dict[str, dict[int, float]], jobs: int) -> pd.DataFrame:
    """The equivalences as dataroi ships them (columns ``dataroi_extra``, ``_q05``,
    ``_q95``, ``p_never``): each unit's analysis re-run at its data set's β and with the
    interval scale learned without it (:func:`widened_unit`); the draws' own, unwidened,
    kept as ``draws_extra``, ``draws_q05``, ``draws_q95``, ``draws_p_never``."""
    eqs = eqs.copy()
    for col in ("extra", "q05", "q95"):
        eqs[f"draws_{col}"] = eqs[f"dataroi_{col}"]
    eqs["draws_p_never"] = eqs["p_never"]
    args = [(u, frame, gain, draws, cache_dir,
             {k: decays[(u.dataset, k)] for k in KINDS}, scales[u.dataset])
            for u, frame, gain, _gid, draws, cache_dir in todo]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as pool:
            got = list(pool.map(widened_unit, args, chunksize=1))
    else:
        got = [widened_unit(a) for a in args]
    by = {(a[0].dataset, a[0].n0, lr, arm): e for a, res in zip(args, got, strict=True)
          for (lr, arm), e in res.items()}
    for i, r in eqs.iterrows():
        e = by[(r["dataset"], int(r["n0"]), r["learner"], r["arm"])]
        q50 = e["q50"] if e["q50"] is not None else math.nan
        eqs.loc[i, ["dataroi_extra", "dataroi_q05", "dataroi_q95", "p_never"]] = [
            q50, e["q05"], e["q95"], e["p_never"]]
    return eqs


# ---------------------------------------------------------------- gain models


def gain_models(mode: str, workdir: Path, lcdb: str | None, given: Path | None
                ) -> dict[str, tuple[str, str]]:
    """Data set → (gain model argument, its id): the fold model that left the data set
    out (``learn_gain_model.py --folds-out``), or the shipped one (``"learned"``)."""
    if mode == "shipped":
        return {n: ("learned", "shipped") for n in NOISE_SETS}
    from _gainfolds import gain_folds

    folds = gain_folds(workdir, lcdb, given, jobs=1, require_lcdb=True)
    out = {}
    for n in NOISE_SETS:
        path = folds.get(n)
        if path is None:
            raise SystemExit(f"{n} is in no fold of the gain folds")
        out[n] = (path, "fold-" + Path(path).stem.split("-")[-1])
    return out


# ---------------------------------------------------------------- cases


class CleanCurve:
    """The clean arm's curve as rule B and the candidates read it: the measured means
    (log interpolation) from 64 to n0, dataroi's curve elsewhere (median draw for a
    point, every draw for an interval).

    Example:
        >>> grid = [100.0 * 2 ** (j / 4) for j in GRID_STEPS]
        >>> draws = np.array([[0.9 - 1 / n ** 0.5 for n in grid]] * 3)
        >>> c = CleanCurve(pd.Series({64.0: 0.8, 100.0: 0.81}), 100, grid, draws)
        >>> round(c.point(200.0), 4), round(c.point(80.0), 4)
        (0.8293, 0.805)
    """

    def __init__(self, small: pd.Series, n0: int, grid: list[float],
                 draws: np.ndarray) -> None:
        self.s, self.v = small.index.to_numpy(float), small.to_numpy(float)
        self.n0, self.lg = n0, np.log(np.asarray(grid, float))
        self.draws = np.asarray(draws, float)
        self.median = np.median(self.draws, axis=0)

    def measured(self, x: float) -> bool:
        return SMALLEST <= x <= self.n0

    def point(self, x: float) -> float:
        if self.measured(x):
            return interp_log(self.s, self.v, x)
        return float(np.interp(math.log(x), self.lg, self.median))

    def sample(self, x: float) -> np.ndarray:
        """Every draw at ``x`` (the measured mean, repeated, where measured)."""
        if self.measured(x):
            return np.full(len(self.draws), interp_log(self.s, self.v, x))
        j = int(np.clip(np.searchsorted(self.lg, math.log(x)) - 1, 0, len(self.lg) - 2))
        w = min(max((math.log(x) - self.lg[j]) / (self.lg[j + 1] - self.lg[j]), 0.0), 1.0)
        return (1 - w) * self.draws[:, j] + w * self.draws[:, j + 1]

    def first_reach(self, start: float, target: float, stop: float) -> float:
        """The first size in [start, stop] where the point curve reaches ``target``."""
        fine = np.geomspace(start, stop, 400)
        return first_reach(fine, np.array([self.point(x) for x in fine]), target, start)


def forecast_equivalence(noisy_draws: np.ndarray, grid: np.ndarray, target: float,
                         noisy_today: float) -> dict[str, float]:
    """Candidate ``Dfc``: the stress equivalence computed on dataroi's *learned* forecast
    of the noisy arm (``StudyCurves.draws``, as the comparison and the planner use it)
    instead of its fitted curve families: per draw, the first grid size (from n0, today's
    score being the measured one) at which it reaches ``target`` (log interpolation);
    quantiles of the extra labels with draws that never arrive counted as inf, by
    dataroi's :func:`dataroi.stress.added_quantiles` (the median NaN when fewer than half
    of the draws arrive, the lower end when fewer than 5 %).

    Example:
        >>> g = np.array([100.0, 200.0, 400.0])
        >>> d = np.array([[0.7, 0.8, 0.9], [0.7, 0.72, 0.74]])
        >>> forecast_equivalence(d, g, 0.8, 0.7)["p_never"]
        0.5
    """
    b = np.array(noisy_draws, dtype=float)
    b[:, 0] = noisy_today
    n0 = float(grid[0])
    extra = np.array([first_reach(grid, row, target, n0) - n0 for row in b])
    from dataroi.stress import added_quantiles

    ok = np.isfinite(extra)
    q = added_quantiles(extra, ok)
    return {"q05": q[0], "q50": q[1], "q95": q[2], "p_never": float(1 - ok.mean())}


def measured_fraction(curve: CleanCurve, noisy_today: float) -> float:
    """C3's effective fraction, measured today: the clean size at which the clean curve
    reaches the noisy arm's mean at n0, over n0 (1 when the noisy arm is not behind)."""
    lo = float(np.exp(curve.lg[0]))
    hit = curve.first_reach(lo, noisy_today, float(curve.n0))
    return 1.0 if not math.isfinite(hit) else hit / curve.n0


def build_cases(frame: pd.DataFrame, units: dict[str, dict[str, Any]]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per (case, factor) with the truth and every prediction; one row per case
    with the equivalent labels."""
    means = means_table(frame)
    wide = frame.pivot_table(index=["dataset", "learner", "n_train", "repeat"],
                             columns="arm", values="value")
    rows, eq_rows = [], []
    for (ds, lr), m in means.groupby(["dataset", "learner"]):
        info = data_info(ds)
        clean = m[m["arm"] == "clean"].set_index("n_train")["mean"].sort_index()
        largest = int(clean.index.max())
        paired = wide.loc[(ds, lr)]
        for arm in [a for a in ARMS if a != "clean"]:
            noisy = m[m["arm"] == arm].set_index("n_train")["mean"].sort_index()
            if noisy.empty:
                continue
            r, f = arm_fraction(ds, arm, info)
            group = "cc" if arm == "cc-noise" else "sym"
            for n0 in CUTS:
                u = units.get(Unit(ds, group, n0).key)
                if 4 * n0 > largest or u is None:
                    continue
                ul = u["learners"][lr]
                res = ul["arms"][arm]
                cc = CleanCurve(clean[clean.index <= n0], n0, ul["grid"],
                                u["arrays"][f"{lr}__clean"])
                today = u["arrays"][f"{lr}__{arm}__today"]
                gap_today = float(clean[n0] - noisy[n0])
                f_hat = measured_fraction(cc, float(noisy[n0]))
                for k in FACTORS:
                    if k * n0 > largest:
                        continue
                    d_k = (paired.loc[k * n0, "clean"] - paired.loc[k * n0, arm]).dropna()
                    row = {"dataset": ds, "learner": lr, "arm": arm, "r": r, "f": f,
                           "f_hat": f_hat, "n0": n0, "k": k,
                           "truth": float(clean[k * n0] - noisy[k * n0]), "today": gap_today,
                           "truth_se": float(d_k.std(ddof=1) / math.sqrt(len(d_k))),
                           "A": gap_today,
                           "B": cc.point(k * n0) - cc.point(k * n0 * f)}
                    d = res["dataroi"][str(k)]  # the comparison: dataroi before the rule
                    row |= {"curves": d[0], "curves_lo": d[1], "curves_hi": d[2]}
                    # dataroi as shipped: the stress analysis's forecast, raw interval
                    # (widened in main() by a scale learned without this data set)
                    for beta in DECAYS:
                        sh = res[f"shipped@{beta:g}"]
                        j = [int(x) for x in sh["factors"]].index(k)
                        row |= {f"dataroi@{beta:g}": sh["point"][j],
                                f"dataroi_rawlo@{beta:g}": sh["raw_low"][j],
                                f"dataroi_rawhi@{beta:g}": sh["raw_high"][j],
                                "dataroi_method": sh["method"]}
                    for rho, by_k in res["rho"].items():
                        row |= {f"rho{rho}": by_k[str(k)][0], f"rho{rho}_lo": by_k[str(k)][1],
                                f"rho{rho}_hi": by_k[str(k)][2]}
                    # C1 (rate f) and C3 (today's f_hat): today's gap + the clean gain
                    # N→kN − the clean gain N·f→kN·f, drawn jointly with today's gap
                    gain = cc.sample(k * n0) - cc.sample(n0)
                    for tag, ff in (("C1", f), ("C3", f_hat)):
                        dr = today + gain - (cc.sample(k * n0 * ff) - cc.sample(n0 * ff))
                        point = gap_today + (cc.point(k * n0) - cc.point(n0)) - (
                            cc.point(k * n0 * ff) - cc.point(n0 * ff))
                        lo, hi = np.quantile(dr, [0.05, 0.95])
                        row |= {tag: point, f"{tag}_lo": float(lo), f"{tag}_hi": float(hi)}
                    rows.append(row)
                # equivalent labels (extra labels beyond n0)
                old = res.get("equivalence", {})
                reach = first_reach(noisy.index.to_numpy(float), noisy.to_numpy(),
                                    float(clean[n0]), float(n0))
                c1 = 0.0
                if gap_today > 0:  # noisy(n) = noisy(N) + clean(n f) − clean(N f)
                    hit = cc.first_reach(n0 * f, cc.point(n0 * f) + gap_today, 64 * n0 * f)
                    c1 = hit / f - n0 if math.isfinite(hit) else math.inf
                ahead = np.asarray(ul["grid"], float)
                fc = forecast_equivalence(u["arrays"][f"{lr}__{arm}__noisy"],
                                          ahead[ahead >= n0], float(clean[n0]),
                                          float(noisy[n0]))
                eq_rows.append({
                    "Dfc_extra": fc["q50"], "Dfc_p_never": fc["p_never"],
                    "Dfc_q05": fc["q05"], "Dfc_q95": fc["q95"],
                    "dataset": ds, "learner": lr, "arm": arm, "r": r, "f": f, "f_hat": f_hat,
                    "n0": n0, "largest": largest, "gap_today": gap_today,
                    "truth_extra": reach - n0 if math.isfinite(reach) else math.inf,
                    "curves_extra": (math.nan if old.get("q50") is None
                                     else old.get("q50", math.nan)),
                    "curves_q05": old.get("q05", math.nan),
                    "curves_q95": old.get("q95", math.nan),
                    "curves_p_never": old.get("p_never", math.nan),
                    "B_extra": n0 / f - n0 if f > 0 else math.inf,
                    "C1_extra": c1,
                    "C3_extra": n0 / f_hat - n0 if f_hat > 0 else math.inf})
                for beta in DECAYS:
                    eq = res.get(f"eq@{beta:g}", {})
                    q50 = eq.get("q50", math.nan)
                    eq_rows[-1] |= {
                        f"dataroi_extra@{beta:g}": q50 if q50 is not None else math.nan,
                        f"dataroi_q05@{beta:g}": eq.get("q05", math.nan),
                        f"dataroi_q95@{beta:g}": eq.get("q95", math.nan),
                        f"p_never@{beta:g}": eq.get("p_never", math.nan),
                        f"dataroi_method@{beta:g}": eq.get("method", "")}
    return pd.DataFrame(rows), pd.DataFrame(eq_rows)


def backward_fraction(frame: pd.DataFrame) -> pd.DataFrame:
    """At the largest measured size L: the clean size whose measured mean equals the noisy
    arm's (log interpolation), as a fraction of L, beside rule B's f."""
    means = means_table(frame)
    rows = []
    for (ds, lr), m in means.groupby(["dataset", "learner"]):
        info = data_info(ds)
        clean = m[m["arm"] == "clean"].set_index("n_train")["mean"].sort_index()
        s, v = clean.index.to_numpy(float), clean.to_numpy()
        big = float(s[-1])
        for arm in [a for a in ARMS if a != "clean"]:
            noisy = m[m["arm"] == arm].set_index("n_train")["mean"].sort_index()
            if noisy.empty:
                continue
            y = float(noisy.iloc[-1])
            if y >= v[-1]:
                frac = math.inf
            elif y < v[0]:
                frac = 0.0
            else:
                frac = first_reach(s, np.maximum.accumulate(v), y, s[0]) / big
            rows.append({"dataset": ds, "learner": lr, "arm": arm,
                         "f": arm_fraction(ds, arm, info)[1], "measured": frac})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- metrics


def per_set(cases: pd.DataFrame, col: str) -> pd.Series:
    """Mean of ``col`` per data set."""
    return cases.groupby("dataset")[col].mean()


def boot_mean(values: pd.Series, reps: int, seed: int = 0) -> tuple[float, float, float]:
    """Mean over data sets and its 90 % bootstrap interval (data sets resampled).

    Example:
        >>> m, lo, hi = boot_mean(pd.Series([1.0, 2.0, 3.0]), 500)
        >>> m, lo <= m <= hi
        (2.0, True)
    """
    v = values.to_numpy(float)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(v), size=(reps, len(v)))
    b = np.nanmean(v[idx], axis=1)
    return float(np.nanmean(v)), float(np.quantile(b, 0.05)), float(np.quantile(b, 0.95))


def boot_ratio(num: pd.Series, dens: list[pd.Series], reps: int, seed: int = 0
               ) -> tuple[float, float, float]:
    """mean(num) / min over ``dens`` of mean(den), over data sets, with a 90 % bootstrap
    interval (the better rule chosen again in each resample)."""
    n = num.to_numpy(float)
    ds = [d.reindex(num.index).to_numpy(float) for d in dens]
    point = float(n.mean() / min(d.mean() for d in ds))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(n), size=(reps, len(n)))
    b = n[idx].mean(axis=1) / np.min([d[idx].mean(axis=1) for d in ds], axis=0)
    return point, float(np.quantile(b, 0.05)), float(np.quantile(b, 0.95))


def learn_scales(cases: pd.DataFrame, point: str, low: str, high: str,
                 exclude: str | None = None) -> dict[int, float]:
    """Per factor k, the interval scale learned on the cases of every data set but
    ``exclude``: the 90 % quantile of |truth − point| / half the interval's width (each
    data set weighing the same), at least 1. What ``C1cal`` learns, and what
    ``learn_noise_rule_scale.py`` ships for dataroi's rule (``exclude=None``).

    Example:
        >>> c = pd.DataFrame({"dataset": ["a", "a", "b"], "k": 2, "truth": [0.1, 0.3, 0.2],
        ...                   "p": [0.2, 0.2, 0.2], "lo": [0.15, 0.15, 0.15],
        ...                   "hi": [0.25, 0.25, 0.25]})
        >>> learn_scales(c, "p", "lo", "hi"), learn_scales(c, "p", "lo", "hi", exclude="a")
        ({2: 2.0}, {2: 1.0})
    """
    out: dict[int, float] = {}
    for k in FACTORS:
        other = ((cases["dataset"] != exclude) & (cases["k"] == k)).to_numpy()
        if not other.any():
            continue
        sub = cases[other]
        half = ((sub[high] - sub[low]) / 2).clip(lower=1e-6)
        r = ((sub["truth"] - sub[point]).abs() / half).to_numpy(float)
        # every data set weighs the same in the quantile
        w = 1.0 / sub["dataset"].map(sub["dataset"].value_counts()).to_numpy(float)
        order = np.argsort(r)
        cw = np.cumsum(w[order]) / w.sum()
        out[k] = max(float(r[order][np.searchsorted(cw, 0.9)]), 1.0)
    return out


def loo_widen(cases: pd.DataFrame, method: str) -> pd.DataFrame:
    """``<method>cal``: the method's interval widened about its point by a factor learned
    on the other data sets (:func:`learn_scales`, per factor k)."""
    out = cases.copy()
    half = ((cases[f"{method}_hi"] - cases[f"{method}_lo"]) / 2).clip(lower=1e-6)
    lo, hi = np.full(len(cases), np.nan), np.full(len(cases), np.nan)
    for ds in cases["dataset"].unique():
        scales = learn_scales(cases, method, f"{method}_lo", f"{method}_hi", exclude=ds)
        for k, scale in scales.items():
            held = ((cases["dataset"] == ds) & (cases["k"] == k)).to_numpy()
            lo[held] = cases.loc[held, method] - scale * half[held]
            hi[held] = cases.loc[held, method] + scale * half[held]
    out[f"{method}cal"] = cases[method]
    out[f"{method}cal_lo"], out[f"{method}cal_hi"] = lo, hi
    return out


#: The kinds of noise a decay is learned for, by the arms of the corpus that have them.
KINDS = {"symmetric": ("noise=0.05", "noise=0.1", "noise=0.2"),
         "class_conditional": ("cc-noise",)}


def decay_loss(cases: pd.DataFrame, beta: float, exclude: str | None = None) -> float:
    """The criterion ``β`` is chosen by: dataroi's mean absolute error of the gap, each
    data set weighing the same, averaged over the factors (the data set ``exclude``
    left out)."""
    sub = cases if exclude is None else cases[cases["dataset"] != exclude]
    err = (sub[f"dataroi@{beta:g}"] - sub["truth"]).abs()
    return float(err.groupby([sub["k"], sub["dataset"]]).mean().groupby(level=0).mean()
                 .mean())


def pick_decay(cases: pd.DataFrame, exclude: str | None = None) -> float:
    """The β of :data:`DECAYS` with the least :func:`decay_loss` (``exclude`` left out),
    as ``learn_noise_rule_scale.py`` learns the shipped one on every data set (per kind
    of noise: ``cases`` holds the arms of one kind).

    Example:
        >>> rows = [{"dataset": d, "k": 2, "truth": 0.1, **{f"dataroi@{b:g}": 0.1 + b
        ...          for b in DECAYS}} for d in "ab"]
        >>> pick_decay(pd.DataFrame(rows))
        0.0
    """
    return min(DECAYS, key=lambda b: (decay_loss(cases, b, exclude), b))


def kind_of(arms: pd.Series) -> pd.Series:
    """Each arm's kind of noise (a key of :data:`KINDS`)."""
    return arms.map({a: k for k, names in KINDS.items() for a in names})


def loo_decay(cases: pd.DataFrame, eqs: pd.DataFrame
              ) -> tuple[pd.DataFrame, pd.DataFrame, dict[tuple[str, str], float]]:
    """dataroi as shipped, judged leave-data-set-out: each data set's forecasts and
    equivalent labels, arm by arm, at the β :func:`pick_decay` chooses for the arm's kind
    of noise on the *other* data sets (columns ``dataroi``, ``dataroi_rawlo``/``_rawhi``;
    ``dataroi_extra``, ``_q05``, ``_q95``, ``p_never``, ``dataroi_method``). Returns both
    frames and the β used per (data set, kind)."""
    cases, eqs = cases.copy(), eqs.copy()
    used = {}
    for kind in KINDS:
        sub = cases[kind_of(cases["arm"]) == kind]
        for ds in sorted(sub["dataset"].unique()):
            used[(ds, kind)] = pick_decay(sub, exclude=ds)
    for frame, cols in ((cases, ("dataroi", "dataroi_rawlo", "dataroi_rawhi")),
                        (eqs, ("dataroi_extra", "dataroi_q05", "dataroi_q95", "p_never",
                               "dataroi_method"))):
        kinds = kind_of(frame["arm"])
        for col in cols:
            frame[col] = [frame.at[i, f"{col}@{used[(ds, kind)]:g}"] for i, ds, kind
                          in zip(frame.index, frame["dataset"], kinds, strict=True)]
    return cases, eqs, used


def loo_shipped(cases: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, dict[int, float]]]:
    """dataroi's interval as shipped, judged leave-data-set-out: each data set's raw
    interval (the rule's draws) widened by dataroi's own code
    (:func:`dataroi.stress.calibrated_interval` at :func:`dataroi.stress.scale_at`) with
    the scale :func:`learn_scales` learns on the *other* data sets, as
    ``learn_noise_rule_scale.py`` learns the shipped one on all of them. Returns the
    frame (``dataroi_lo``/``dataroi_hi``) and the scales used per data set."""
    from dataroi.stress import calibrated_interval, scale_at

    out = cases.copy()
    lo, hi = np.full(len(cases), np.nan), np.full(len(cases), np.nan)
    used: dict[str, dict[int, float]] = {}
    for ds in cases["dataset"].unique():
        scales = learn_scales(cases, "dataroi", "dataroi_rawlo", "dataroi_rawhi", exclude=ds)
        used[ds] = scales
        for i in np.flatnonzero((cases["dataset"] == ds).to_numpy()):
            r = cases.iloc[i]
            if not scales:  # no other data set: the draws' own interval, as dataroi's
                lo[i], hi[i] = r["dataroi_rawlo"], r["dataroi_rawhi"]
                continue
            lo[i], hi[i] = calibrated_interval(r["dataroi"], r["dataroi_rawlo"],
                                               r["dataroi_rawhi"], scale_at(scales, r["k"]))
    out["dataroi_lo"], out["dataroi_hi"] = lo, hi
    return out, used


def loo_rho(cases: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """``C2cv``: dataroi's comparison (same point) with its intervals at the rank
    correlation of :data:`RHOS` whose coverage of the other data sets' cases at the same
    factor (each data set equal) is closest to 90 %. Returns the frame and, per data
    set, the correlations chosen at 2x/4x/8x/16x."""
    out = cases.copy()
    rhos = [c[3:-3] for c in cases.columns if c.startswith("rho") and c.endswith("_lo")]
    cov = {r: ((cases["truth"] >= cases[f"rho{r}_lo"])
               & (cases["truth"] <= cases[f"rho{r}_hi"])).astype(float) for r in rhos}
    lo, hi = np.full(len(cases), np.nan), np.full(len(cases), np.nan)
    picked: dict[str, str] = {}
    for ds in sorted(cases["dataset"].unique()):
        chosen = []
        for k in FACTORS:
            held = ((cases["dataset"] == ds) & (cases["k"] == k)).to_numpy()
            other = ((cases["dataset"] != ds) & (cases["k"] == k)).to_numpy()
            if not held.any() or not other.any():
                continue
            by = cases.loc[other, "dataset"]
            score = {r: abs(cov[r][other].groupby(by).mean().mean() - 0.9) for r in rhos}
            best = min(score, key=lambda r: score[r])
            chosen.append(best)
            lo[held] = cases.loc[held, f"rho{best}_lo"]
            hi[held] = cases.loc[held, f"rho{best}_hi"]
        picked[ds] = "/".join(chosen)
    out["C2cv"], out["C2cv_lo"], out["C2cv_hi"] = cases["curves"], lo, hi
    return out, picked


def print_gap_tables(cases: pd.DataFrame, methods: list[str], interval_methods: list[str],
                     reps: int) -> None:
    """MAE per data set and overall at each factor; coverage of the 90 % intervals."""
    for m in methods:
        cases[f"ae_{m}"] = (cases[m] - cases["truth"]).abs()
    for m in interval_methods:
        cases[f"cov_{m}"] = ((cases["truth"] >= cases[f"{m}_lo"])
                             & (cases["truth"] <= cases[f"{m}_hi"])).astype(float)
        cases[f"w_{m}"] = cases[f"{m}_hi"] - cases[f"{m}_lo"]
    cases["floor"] = math.sqrt(2 / math.pi) * cases["truth_se"]  # E|error| of a perfect
    head = "".join(f"{m:>9s}" for m in methods) + f"{'floor':>8s}" + "".join(
        f"  cov90 {m:<7s}" for m in interval_methods)
    for k in FACTORS:
        sub = cases[cases["k"] == k]
        if sub.empty:
            continue
        print(f"\ngap clean − noisy at {k}N: mean absolute error (accuracy) and 90 % "
              f"interval coverage; {len(sub)} cases (floor: the error a perfect forecast of "
              "the expected gap would still make, from the 5 repeats' noise in the measured "
              "gap, sqrt(2/pi) × its standard error)")
        print(f"  {'data set':18s} {'cases':>5s}" + head)
        for ds, g in sub.groupby("dataset"):
            print(f"  {ds:18s} {len(g):5d}" + "".join(f"{g[f'ae_{m}'].mean():9.4f}"
                                                     for m in methods)
                  + f"{g['floor'].mean():8.4f}"
                  + "".join(f"  {g[f'cov_{m}'].mean():11.0%}  " for m in interval_methods))
        line = f"  {'all (data sets)':18s} {len(sub):5d}"
        ints = []
        for m in methods:
            mean, lo, hi = boot_mean(per_set(sub, f"ae_{m}"), reps)
            line += f"{mean:9.4f}"
            ints.append(f"{m} [{lo:.4f}, {hi:.4f}]")
        line += f"{per_set(sub, 'floor').mean():8.4f}"
        for m in interval_methods:
            line += f"  {per_set(sub, f'cov_{m}').mean():11.0%}  "
        print(line)
        print("    90 % bootstrap intervals over data sets: " + "; ".join(ints))


def print_summary(cases: pd.DataFrame, methods: list[str], interval_methods: list[str],
                  reps: int, title: str = "") -> None:
    """The issue's criteria: ratio to the better rule at 4x, coverage at each factor."""
    sub = cases[cases["k"] == 4]
    print(f"\nthe criteria{title} (each data set weighs the same; 90 % bootstrap intervals "
          "over data sets):")
    rules = [per_set(sub, "ae_A"), per_set(sub, "ae_B")]
    better = "A" if rules[0].mean() <= rules[1].mean() else "B"
    for m in [x for x in methods if x not in ("A", "B")]:
        p, lo, hi = boot_ratio(per_set(sub, f"ae_{m}"), rules, reps)
        print(f"  {m:8s} MAE at 4x / the better rule's (rule {better} overall): {p:.2f} "
              f"[{lo:.2f}, {hi:.2f}]  (target <= 0.70)")
    for m in interval_methods:
        parts = []
        for k in FACTORS:
            s = cases[cases["k"] == k]
            if len(s):
                mean, lo, hi = boot_mean(per_set(s, f"cov_{m}"), reps)
                parts.append(f"{k}x {mean:.0%} [{lo:.0%}, {hi:.0%}]")
        pooled = boot_mean(per_set(cases, f"cov_{m}"), reps)
        width = cases.groupby("k")[f"w_{m}"].median()
        print(f"  {m:8s} 90 % interval coverage (target 87-93 %): " + ", ".join(parts)
              + f"; pooled {pooled[0]:.0%} [{pooled[1]:.0%}, {pooled[2]:.0%}]; median width "
              + ", ".join(f"{int(k)}x {w:.4f}" for k, w in width.items()))


def print_by_arm(cases: pd.DataFrame, methods: list[str], interval_methods: list[str]
                 ) -> None:
    """MAE at 4x per arm and learner kind (cases pooled, each data set equal)."""
    sub = cases[cases["k"] == 4]
    print("\nat 4x by arm (mean over data sets of the per-data-set MAE; bias = mean of "
          "prediction − truth):")
    print(f"  {'arm':10s} {'cases':>5s}" + "".join(f"{m:>9s}" for m in methods)
          + "".join(f"  bias {m:<6s}" for m in [*methods[:1], "B"])
          + "".join(f"  cov90 {m:<7s}" for m in interval_methods))
    for arm, g in sub.groupby("arm"):
        line = f"  {arm:10s} {len(g):5d}" + "".join(
            f"{per_set(g, f'ae_{m}').mean():9.4f}" for m in methods)
        for m in [*methods[:1], "B"]:
            line += f"  {(g[m] - g['truth']).mean():+10.4f} "
        line += "".join(f"  {per_set(g, f'cov_{m}').mean():11.0%}  "
                        for m in interval_methods)
        print(line)
    print("\nat 4x by learner:")
    for lr, g in sub.groupby("learner"):
        print(f"  {lr:10s} {len(g):5d}" + "".join(
            f"{per_set(g, f'ae_{m}').mean():9.4f}" for m in methods))


def print_investigation(cases: pd.DataFrame) -> None:
    """Why dataroi wins or loses against rule A, per data set and learner, at 4x: the
    gap today, how much it really changed by 4N, how much dataroi and C1 said it would."""
    sub = cases[cases["k"] == 4].assign(
        real=lambda d: d["truth"] - d["today"], said=lambda d: d["dataroi"] - d["today"],
        said_c1=lambda d: d["C1"] - d["today"] if "C1" in d else np.nan,
        ae_d=lambda d: (d["dataroi"] - d["truth"]).abs(),
        ae_a=lambda d: (d["A"] - d["truth"]).abs())
    print("\nper data set and learner at 4x (means over arms and cuts): the gap today, its "
          "real change by 4N, the change dataroi and C1 predicted, and the MAE of dataroi and "
          "rule A")
    print(f"  {'data set':18s} {'learner':8s} {'today':>7s} {'real':>8s} {'dataroi':>8s} "
          f"{'C1':>8s} {'MAE dataroi':>12s} {'MAE A':>7s}")
    for (ds, lr), g in sub.groupby(["dataset", "learner"]):
        print(f"  {ds:18s} {lr:8s} {g['today'].mean():7.4f} {g['real'].mean():+8.4f} "
              f"{g['said'].mean():+8.4f} {g['said_c1'].mean():+8.4f} {g['ae_d'].mean():12.4f} "
              f"{g['ae_a'].mean():7.4f}")
    for k in FACTORS:
        s = cases[cases["k"] == k]
        real = s["truth"] - s["today"]
        print(f"  {k:2d}x: mean real change {real.mean():+.4f}, dataroi said "
              f"{(s['dataroi'] - s['today']).mean():+.4f} (correlation "
              f"{real.corr(s['dataroi'] - s['today']):.2f})"
              + (f", C1 said {(s['C1'] - s['today']).mean():+.4f} (correlation "
                 f"{real.corr(s['C1'] - s['today']):.2f})" if "C1" in s else ""))


def classify_eq(est: float, truth: float, n0: int, largest: int,
                p_never: float = math.nan) -> str:
    """How an estimate of extra labels stands against the truth (see the module doc). An
    infinite estimate with a P(never) below dataroi's :data:`dataroi.stress.NEVER_SHARE`
    is not a "never" statement but an "open" one: more likely than not beyond the
    horizon, the 90 % interval reaching from a finite lower end to never."""
    from dataroi.stress import NEVER_SHARE

    horizon = largest - n0
    if not math.isfinite(est) and p_never < NEVER_SHARE:
        return "open-reached" if math.isfinite(truth) else "open-ok"
    if math.isinf(truth):  # not reached by the largest measured size
        if not math.isfinite(est):
            return "never-ok"
        return "beyond-ok" if est >= horizon else "finite-wrong"
    if not math.isfinite(est):
        return "never-wrong"
    if truth <= 0:
        return "zero"
    return "within2x" if truth / 2 <= est <= truth * 2 else "outside2x"


def print_equivalence(eqs: pd.DataFrame, reps: int, brief: bool = False) -> None:
    """Equivalent labels: dataroi's stress estimate as shipped, rule B, dataroi's before
    the rule (``curves``) and the candidates against the truth."""
    eqs = eqs.copy()
    methods = [("dataroi", "dataroi_extra"), ("B", "B_extra")]
    if "draws_extra" in eqs:  # dataroi's equivalence from the rule's draws, unwidened
        methods.insert(1, ("draws", "draws_extra"))
    methods += [(m, f"{m}_extra") for m in ("curves", "Dfc", "C1", "C3")
                if f"{m}_extra" in eqs]
    names = [m for m, _ in methods]
    never_cols = {"dataroi": "p_never", "curves": "curves_p_never", "Dfc": "Dfc_p_never",
                  "draws": "draws_p_never"}
    for m, col in methods:
        pn = eqs[never_cols[m]] if m in never_cols else pd.Series(math.nan, eqs.index)
        eqs[f"cls_{m}"] = [classify_eq(e if e == e else math.inf, t, n, lg, p)
                           for e, t, n, lg, p in zip(eqs[col], eqs["truth_extra"], eqs["n0"],
                                                     eqs["largest"], pn, strict=True)]
        eqs[f"ok_{m}"] = (eqs[f"cls_{m}"] == "within2x").astype(float)
        eqs[f"lerr_{m}"] = np.abs(np.log2(eqs[col] / eqs["truth_extra"]))
    finite = np.isfinite(eqs["truth_extra"]) & (eqs["truth_extra"] > 0)
    fin = eqs[finite]
    if brief:
        for m in names:
            mean, lo, hi = boot_mean(per_set(fin, f"ok_{m}"), reps)
            print(f"  {m:8s} within 2x of a finite truth {mean:.0%} [{lo:.0%}, {hi:.0%}] "
                  f"({len(fin)} cases); outcomes {eqs.groupby(f'cls_{m}').size().to_dict()}")
        return
    print("\nequivalent labels: extra labels the noisy arm needs to reach the clean arm's "
          f"mean at N ({len(eqs)} cases: the truth is finite and > 0 in {len(fin)}, 0 (reached "
          f"at N) in {int((eqs['truth_extra'] <= 0).sum())}, not reached by the largest "
          f"measured size L in {int(np.isinf(eqs['truth_extra']).sum())})")
    print(f"  {'data set':18s} {'finite':>6s}   within 2x of the truth: "
          + " ".join(f"{m:>7s}" for m in names)
          + "   'never' where reached: dataroi   a size < L where not reached: "
          + " ".join(f"{m:>7s}" for m in names))
    for ds, g in eqs.groupby("dataset"):
        gf = g[np.isfinite(g["truth_extra"]) & (g["truth_extra"] > 0)]
        reached = g[np.isfinite(g["truth_extra"])]
        notr = g[np.isinf(g["truth_extra"])]
        print(f"  {ds:18s} {len(gf):6d}   {'':23s}"
              + " ".join(f"{gf[f'ok_{m}'].mean():7.0%}" for m in names)
              + f"   {int((reached['cls_dataroi'] == 'never-wrong').sum()):>6d} of "
              f"{len(reached):<3d}{'':16s}"
              + " ".join(f"{int((notr[f'cls_{m}'] == 'finite-wrong').sum()):>3d} of "
                         f"{len(notr):<2d}" for m in names))
    for m in names:
        mean, lo, hi = boot_mean(per_set(fin, f"ok_{m}"), reps)
        clear = fin[fin["gap_today"] > 0.01]
        print(f"  all: {m:8s} within 2x of a finite truth {mean:.0%} [{lo:.0%}, {hi:.0%}] "
              f"(data sets equal; pooled {fin[f'ok_{m}'].mean():.0%} of {len(fin)}; "
              f"{clear[f'ok_{m}'].mean():.0%} of the {len(clear)} with today's gap > 0.01); "
              f"median |log2(estimate / truth)| {np.nanmedian(fin[f'lerr_{m}']):.2f}; "
              f"outcomes {eqs.groupby(f'cls_{m}').size().to_dict()}")
    print("  (outcomes: within2x / outside2x of a finite truth; zero: the truth is 0; "
          "never-wrong: 'never' said where it was reached; never-ok: 'never' said and not "
          "reached by L; open-reached / open-ok: 'more likely than not beyond 64x' said "
          "(P(never) below 0.95), reached / not reached by L; beyond-ok: a size >= L said "
          "where not reached by L; finite-wrong: a size < L said where not reached by L)")
    print_eq_coverage(fin, reps)
    print_never_check(eqs)
    if "draws_extra" in eqs:
        print_never_check(eqs, "draws")


def print_eq_coverage(fin: pd.DataFrame, reps: int) -> None:
    """How often each method's 90 % interval of the extra labels holds a finite truth
    (an end that is NaN or "never" is open), data sets equal, with the share below its
    lower end and above its upper end."""
    parts = []
    for m in ("dataroi", "draws", "curves", "Dfc"):
        if f"{m}_q05" not in fin:
            continue
        lo = fin[f"{m}_q05"].astype(float).fillna(math.inf)
        hi = fin[f"{m}_q95"].astype(float).fillna(math.inf)
        t = fin["truth_extra"]
        f = fin.assign(_in=((t >= lo) & (t <= hi)).astype(float),
                       _lo=(t < lo).astype(float), _hi=(t > hi).astype(float))
        mean, low, high = boot_mean(per_set(f, "_in"), reps)
        parts.append(f"{m} {mean:.0%} [{low:.0%}, {high:.0%}] (below {f['_lo'].mean():.0%}, "
                     f"above {f['_hi'].mean():.0%})")
    print(f"  90 % interval of the extra labels holds a finite truth ({len(fin)} cases; data "
          "sets equal, pooled shares below and above): " + "; ".join(parts))


def print_never_check(eqs: pd.DataFrame, method: str = "dataroi") -> None:
    """A method's stated P(never) against the truth where its median is beyond the
    horizon: a stated P(never within 64 N) is at most the chance of not arriving by the
    largest measured size L (L <= 64 N), so the share not reached by L should be at least
    it (``method``: ``dataroi``, or ``draws``, its equivalence unwidened)."""
    from dataroi.stress import NEVER_SHARE

    extra, q05 = eqs[f"{method}_extra"], eqs[f"{method}_q05"]
    p_never = eqs["p_never" if method == "dataroi" else f"{method}_p_never"]
    beyond = ~np.isfinite(extra.fillna(math.inf).to_numpy(float))
    for label, keep in ((f"'never' (P(never) >= {NEVER_SHARE:.2f})",
                         beyond & (p_never >= NEVER_SHARE)),
                        ("'more likely than not beyond 64x'",
                         beyond & (p_never < NEVER_SHARE))):
        if not keep.any():
            print(f"  {method} said {label} in no case")
            continue
        truth, pn, low_end = eqs["truth_extra"][keep], p_never[keep], q05[keep]
        reached = np.isfinite(truth)
        low = ("" if not reached.any() or low_end[reached].isna().all() else
               f"; where reached, the truth at or above the stated lower end (5 %) in "
               f"{int((truth[reached] >= low_end[reached]).sum())} of {int(reached.sum())}")
        print(f"  {method} said {label} in {int(keep.sum())} cases: stated P(never) mean "
              f"{pn.mean():.2f} (range {pn.min():.2f}-{pn.max():.2f}); not reached by L in "
              f"{1 - reached.mean():.0%} of them{low}")


def print_backward(back: pd.DataFrame) -> None:
    """Rule B's f against the measured effective fraction at the largest size."""
    print("\nrule B's effective fraction f against the measured one at the largest size L "
          "(clean size matching the noisy arm's mean at L, / L; 'inf': the noisy arm is at "
          "or above the clean arm there):")
    for (ds, arm), g in back.groupby(["dataset", "arm"]):
        print(f"  {ds:18s} {arm:10s} f {g['f'].iloc[0]:.3f}   measured " + ", ".join(
            f"{lr} {v:.3f}" if math.isfinite(v) else f"{lr} inf"
            for lr, v in zip(g["learner"], g["measured"], strict=True)))


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", choices=("auto", "parquet", "ledger"), default="auto")
    ap.add_argument("--ledger", type=Path, default=CORPUS / "work" / "noise_ledger.db")
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORK,
                    help="cache of the units, snapshot, fits (default: %(default)s)")
    ap.add_argument("--gain", choices=("folds", "shipped"), default="folds",
                    help="leave-data-set-out fold models (default) or the shipped model")
    ap.add_argument("--gain-folds", type=Path, help="folder of learn_gain_model.py "
                    "--folds-out (default: WORKDIR/gain-folds, learned when missing)")
    ap.add_argument("--lcdb", help="LCDB's database-accuracy.csv, to learn the folds with")
    ap.add_argument("--only", help="comma-separated data sets")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--boot", type=int, default=2000)
    ap.add_argument("--candidates", action=argparse.BooleanOptionalAction, default=True)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    only = args.only.split(",") if args.only else None
    frame, where, unfinished = load_arms(args.source, args.ledger, workdir, only)
    if frame.empty:
        print("no finished data set yet", file=sys.stderr)
        return 1
    names = sorted(frame["dataset"].unique())
    print(f"bench_label_quality: {len(names)} finished data sets: "
          + ", ".join(f"{n} ({where[n]})" for n in names))
    if unfinished:
        print(f"  not finished yet, left out: {', '.join(unfinished)}")
    for n in names:
        info = data_info(n)
        print(f"  {n:18s} {by_name(n).kind:8s} {info['classes']:2d} classes, largest size "
              f"{int(frame.loc[frame['dataset'] == n, 'n_train'].max()):,}; f: " + ", ".join(
                  f"{a} {arm_fraction(n, a, info)[1]:.3f}" for a in ARMS if a != "clean"))
    gains = gain_models(args.gain, workdir, args.lcdb, args.gain_folds)
    todo = []
    for n in names:
        sub = frame[frame["dataset"] == n]
        largest = int(sub["n_train"].max())
        for group in ("sym", "cc"):
            for n0 in CUTS:
                if 4 * n0 <= largest:
                    u = Unit(n, group, n0)
                    todo.append((u, sub[sub["n_train"] <= n0], gains[n][0], gains[n][1],
                                 args.draws, str(workdir)))
    print(f"gain model: {'leave-data-set-out folds' if args.gain == 'folds' else 'shipped'} "
          f"({', '.join(sorted({f'{n}: {gains[n][1]}' for n in names}))}); "
          f"{len(todo)} units (data set × stress group × cut), {args.draws} draws")
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_unit, todo, chunksize=1))
    else:
        results = [run_unit(t) for t in todo]
    units = {r["unit"]: r for r in results}
    cases, eqs = build_cases(frame, units)
    for kind in KINDS:
        sub = cases[kind_of(cases["arm"]) == kind]
        print(f"dataroi's gap MAE on the {kind} arms (data sets equal, mean over 2x-16x) by "
              "the decay β of today's excess over the rule: "
              + ", ".join(f"{b:g} {decay_loss(sub, b):.5f}" for b in DECAYS))
    cases, eqs, decays = loo_decay(cases, eqs)
    for kind in KINDS:
        print(f"  β for {kind} noise chosen without the data set judged: "
              + ", ".join(f"{d} {b:g}" for (d, k), b in decays.items() if k == kind))
    cases, scales = loo_shipped(cases)
    eqs = loo_widened(eqs, todo, decays, scales, args.jobs)
    print("dataroi: the stress analysis as shipped (dataroi.stress.analyze_stress with the "
          "number of classes); its figures by method: gap "
          + ", ".join(f"{m} {n}" for m, n in cases["dataroi_method"].value_counts().items())
          + " case × factor rows; equivalent labels "
          + ", ".join(f"{m} {n}" for m, n in eqs["dataroi_method"].str.split(" (", regex=False)
                      .str[0].value_counts().items())
          + " cases (the rule with each arm's own f)")
    print("  its interval scale at 2x/4x/8x/16x, learned without the data set judged "
          "(the shipped one is learned on all: learn_noise_rule_scale.py): "
          + "; ".join(f"{d} " + "/".join(f"{v:.2f}" for v in sc.values())
                      for d, sc in scales.items()))
    methods = ["dataroi", "A", "B", "curves"]
    interval_methods = ["dataroi", "curves"]
    if args.candidates:
        for m in ("C1", "C3"):
            cases = loo_widen(cases, m)
        cases, picked = loo_rho(cases)
        methods += ["C1", "C3"]
        interval_methods += ["C1cal", "C3cal", "C2cv"]
        print("C2cv: the rank correlation of the arms' draws chosen on the other data sets "
              "(coverage closest to 90 % at 2x/4x/8x/16x): "
              + ", ".join(f"{d} {r}" for d, r in picked.items()))
    n_cases = cases.groupby(["dataset", "learner", "arm", "n0"]).ngroups
    print(f"{n_cases} cases (data set × learner × noisy arm × cut N in {CUTS} with 4N "
          f"measured), {len(cases)} case × factor rows")
    print_gap_tables(cases, methods, interval_methods, args.boot)
    print_summary(cases, methods, interval_methods, args.boot)
    fresh = sorted(set(names) - set(DESIGN_SETS))
    if fresh and args.candidates:
        print_summary(cases[cases["dataset"].isin(fresh)], methods, interval_methods,
                      args.boot, title=f" on the {len(fresh)} data sets not seen while the "
                      f"candidates were shaped ({', '.join(fresh)})")
    print_by_arm(cases, methods, interval_methods)
    print_investigation(cases)
    print_equivalence(eqs, args.boot)
    if fresh and args.candidates:
        print(f"  (on the {len(fresh)} data sets not seen while the candidates were shaped:)")
        print_equivalence(eqs[eqs["dataset"].isin(fresh)], args.boot, brief=True)
    print_backward(backward_fraction(frame))
    cases.to_csv(workdir / "cases.csv", index=False)
    eqs.to_csv(workdir / "equivalences.csv", index=False)
    print(f"\nper-case rows: {workdir / 'cases.csv'}, {workdir / 'equivalences.csv'}")
    print(f"{time.perf_counter() - t0:.0f} s")
    print(f"reproduce: {REPRO}" + (" --gain shipped" if args.gain == "shipped" else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
