"""Does every number of a report trace back to the ledger rows it was made from?

Two checks, both on the bundled report's JSON document:

1. :func:`trace_report` recomputes, from the bundled trial rows alone (plain arithmetic,
   no curve fit, so it holds in any environment), each number the report states about
   the trials:

   - every learning-curve point (model, n_train, repeat → score) is the bundled trial's
     score, to the last bit, and every finished trial with a score is a point;
   - every per-(model, size) mean is the mean of those trials' scores and its
     ``repeats`` their count (equal up to the order of summation: relative 1e-12);
     every per-size training-rows mean likewise;
   - every paired difference "today" (data vs. model) is the mean of the paired
     per-repeat differences at today's size, and its ``n_repeats`` their count;
   - the trial counts by state, the failed trials, the number of trial seeds and their
     SHA-256, the first and last finishing times;
   - the data's fingerprint and row count, the spec's hash, and every environment the
     report lists, against the bundled rows and spec.

2. :func:`compare_documents` compares the bundled document with one recomputed from the
   bundled rows by this dataroi (curve fits, extrapolations, marginal value, the
   recommendation...): every value must be identical, except the few that name where
   and when the report was made (:data:`VOLATILE`). The fits are deterministic (seeded
   from the spec), so in the same environment any difference is a changed number.

Example:
    >>> a = {"x": [1.0, 2.0], "generated_at": "then"}
    >>> b = {"x": [1.0, 2.5], "generated_at": "now"}
    >>> [str(m) for m in compare_documents(a, b)]
    ['recomputed report: x[1]: 2.0 in report.json, 2.5 recomputed from the bundled rows']
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dataroi.share._mismatch import Mismatch

if TYPE_CHECKING:
    import pandas as pd

    from dataroi.trial import TrialSnapshot

__all__ = ["VOLATILE", "TraceResult", "compare_documents", "trace_report"]

#: Paths of the report document that say where and when it was made, not what it found.
VOLATILE: frozenset[str] = frozenset({
    "generated_at", "sections.reproducibility.command",
    "sections.reproducibility.ledger_url"})

_REL = 1e-12  # means: equal up to the order of summation


@dataclass
class TraceResult:
    """What :func:`trace_report` checked.

    Attributes:
        numbers: how many numbers of the report were traced to the rows.
        mismatches: those that did not trace (in the document's order).
        covered: what was traced (one line per kind of number).
        notes: what could not be traced and why (a section the report does not have).
    """

    numbers: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    covered: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Tracer:
    def __init__(self) -> None:
        self.result = TraceResult()

    def exact(self, where: str, stated: Any, rows: Any) -> None:
        self.result.numbers += 1
        if stated != rows:
            self.result.mismatches.append(Mismatch(
                "report", where, bundled=stated, recomputed=rows, stated="in report.json",
                source="in the bundled trial rows"))

    def close(self, where: str, stated: Any, rows: float) -> None:
        self.result.numbers += 1
        ok = (isinstance(stated, (int, float)) and math.isfinite(rows)
              and math.isclose(float(stated), rows, rel_tol=_REL, abs_tol=1e-15)) or (
            stated is None and not math.isfinite(rows))
        if not ok:
            self.result.mismatches.append(Mismatch(
                "report", where, bundled=stated, recomputed=rows, stated="in report.json",
                source="in the bundled trial rows"))

    def missing(self, where: str, detail: str) -> None:
        self.result.numbers += 1
        self.result.mismatches.append(Mismatch("report", where, detail=detail))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def _scores(trials: pd.DataFrame, metric: str, model: str) -> dict[tuple[int, int], float]:
    """(n_train, repeat) → the finite score of ``model``'s trials on ``metric``."""
    sub = trials[(trials["metric"] == metric) & (trials["model"] == model)]
    out: dict[tuple[int, int], float] = {}
    for n, r, v in zip(sub["n_train"], sub["repeat"], sub["value"], strict=True):
        if v is not None and math.isfinite(float(v)):
            out[(int(n), int(r))] = float(v)
    return out


def _learning_curves(t: _Tracer, lc: Mapping[str, Any], trials: pd.DataFrame) -> None:
    metric = lc["metric"]
    for entry in lc.get("models") or []:
        model = entry["model"]
        rows = _scores(trials, metric, model)
        pts = entry.get("points") or {}
        seen: set[tuple[int, int]] = set()
        columns = [pts.get("n_train", []), pts.get("repeat", []), pts.get("value", [])]
        if len({len(c) for c in columns}) > 1:
            t.missing(f"learning curves: {model} points", "its n_train, repeat and value "
                      f"lists differ in length ({', '.join(str(len(c)) for c in columns)})")
            continue
        for n, r, v in zip(*columns, strict=True):
            where = f"learning curves: {model} n_train={n} repeat={r} ({metric})"
            seen.add((int(n), int(r)))
            if (int(n), int(r)) not in rows:
                t.missing(where, f"the report shows {v!r}; the bundled rows hold no "
                          "finished trial with a score there")
            else:
                t.exact(where, v, rows[(int(n), int(r))])
        for n, r in sorted(set(rows) - seen):
            t.missing(f"learning curves: {model} n_train={n} repeat={r} ({metric})",
                      f"the bundled trial row scores {rows[(n, r)]!r}; the report shows "
                      "no such point")
        mean = entry.get("mean") or {}
        sizes, means, repeats = (mean.get(k, []) for k in ("n_train", "mean", "repeats"))
        for n, mu, k in zip(sizes, means, repeats, strict=False):
            values = [v for (nn, _), v in rows.items() if nn == int(n)]
            t.close(f"learning curves: {model} mean at n_train={n} ({metric})", mu,
                    _mean(values))
            t.exact(f"learning curves: {model} repeats at n_train={n}", k, len(values))
        stated = {int(n) for n in sizes}
        for n in sorted({nn for nn, _ in rows} - stated):
            t.missing(f"learning curves: {model} mean at n_train={n} ({metric})",
                      "the bundled trial rows have scores at this size; the report states "
                      "no mean")
        train = entry.get("train_mean")
        if train:
            import pandas as pd

            sub = trials[(trials["metric"] == metric) & (trials["model"] == model)]
            for n, stated_mean in zip(train.get("n_train", []), train.get("mean", []),
                                      strict=False):
                vals = pd.to_numeric(sub.loc[sub["n_train"] == n, "train_value"],
                                     errors="coerce").dropna().astype(float).tolist()
                t.close(f"learning curves: {model} training-rows mean at n_train={n} "
                        f"({metric})", stated_mean, _mean(vals))


def _data_vs_model(t: _Tracer, dvm: Mapping[str, Any], trials: pd.DataFrame,
                   higher_is_better: bool) -> None:
    n_today = dvm.get("current_n")
    metric = dvm.get("metric")
    sign = 1.0 if higher_is_better else -1.0
    for pair in dvm.get("today") or []:
        a, b = pair["a"], pair["b"]
        sa = {r: v for (n, r), v in _scores(trials, metric, a).items() if n == n_today}
        sb = {r: v for (n, r), v in _scores(trials, metric, b).items() if n == n_today}
        diffs = [sign * (sa[r] - sb[r]) for r in sorted(set(sa) & set(sb))]
        where = f"data vs. model: {a} − {b} at n_train={n_today} ({metric})"
        t.close(where, pair.get("diff"), _mean(diffs))
        t.exact(f"data vs. model: {a} − {b} paired repeats", pair.get("n_repeats"),
                len(diffs))


def _reproducibility(t: _Tracer, rep: Mapping[str, Any], snapshots: Sequence[TrialSnapshot],
                     *, spec_hash: str, fingerprint: str, n_rows: Any,
                     environments: Mapping[int, Mapping[str, Any]]) -> None:
    counts = rep.get("trial_counts") or {}
    for state in ("waiting", "running", "complete", "failed"):
        if state in counts:
            t.exact(f"reproducibility: trials {state}", counts[state],
                    sum(1 for s in snapshots if s.state.value == state))
    seeds = sorted((s.key.model, s.key.n_train, s.key.repeat, s.seed) for s in snapshots)
    info = rep.get("seeds") or {}
    t.exact("reproducibility: number of trial seeds", info.get("n_trial_seeds"), len(seeds))
    t.exact("reproducibility: SHA-256 of the trial seeds", info.get("trial_seeds_sha256"),
            hashlib.sha256(json.dumps(seeds).encode("utf-8")).hexdigest())
    times = sorted(str(s.extra.get("finished_at")) for s in snapshots
                   if s.extra.get("finished_at") is not None)
    t.exact("reproducibility: first trial finished at", rep.get("first_trial_finished_at"),
            times[0] if times else None)
    t.exact("reproducibility: last trial finished at", rep.get("last_trial_finished_at"),
            times[-1] if times else None)
    t.exact("reproducibility: spec hash", rep.get("spec_hash"), spec_hash)
    data = rep.get("data") or {}
    t.exact("reproducibility: data fingerprint", data.get("fingerprint"), fingerprint)
    t.exact("reproducibility: data rows", data.get("n_rows"), n_rows)
    for env in rep.get("environments") or []:
        i = env.get("environment_id")
        stated = {k: v for k, v in env.items() if k != "environment_id"}
        t.exact(f"reproducibility: environment {i}", stated,
                dict(environments[i]) if i in environments else None)


def trace_report(document: Mapping[str, Any], trials: pd.DataFrame,
                 snapshots: Sequence[TrialSnapshot], *, spec_hash: str, fingerprint: str,
                 n_rows: Any, environments: Mapping[int, Mapping[str, Any]]
                 ) -> TraceResult:
    """Trace the report's numbers about the trials to the trial rows (see the module).

    Args:
        document: the report's JSON document.
        trials: the tidy trials table of the rows (``dataroi.trial.trials_frame``).
        snapshots: the same trials as snapshots (states, seeds, times).
        spec_hash: the bundled spec's hash.
        fingerprint, n_rows: the data's fingerprint and rows, from the context row.
        environments: environment id → the environment row's payload.
    """
    t = _Tracer()
    sections = document.get("sections") or {}
    lc = sections.get("learning_curves")
    if lc:
        _learning_curves(t, lc, trials)
        t.result.covered.append("curve points, means, repeats")
    else:
        t.result.notes.append("the report has no learning curves to trace")
    dvm = sections.get("data_vs_model")
    if dvm and dvm.get("today"):
        _data_vs_model(t, dvm, trials, bool((lc or {}).get("higher_is_better", True)))
        t.result.covered.append("paired differences")
    diag = sections.get("diagnostics")
    if diag and "n_failed" in diag:
        t.exact("diagnostics: failed trials", diag["n_failed"],
                sum(1 for s in snapshots if s.state.value == "failed"))
        t.result.covered.append("failures")
    rep = sections.get("reproducibility")
    if rep:
        _reproducibility(t, rep, snapshots, spec_hash=spec_hash, fingerprint=fingerprint,
                         n_rows=n_rows, environments=environments)
        t.result.covered.append("counts, seeds, times, hashes, environments")
    return t.result


def _label(item: Any, index: int) -> str:
    """A list item's place: ``[model=lr]`` for an item naming its model, else ``[3]``."""
    if isinstance(item, Mapping):
        for key in ("model", "arm", "label", "section", "code"):
            if isinstance(item.get(key), str):
                return f"[{key}={item[key]}]"
    return f"[{index}]"


def _walk(a: Any, b: Any, path: str, out: list[Mismatch], ignore: Iterable[str],
          added: bool = False) -> None:
    if path in ignore:
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in list(a) + [k for k in b if k not in a]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in b or key not in a:
                # a field a later minor version of the schema added, with nothing to say
                # here, is not a difference from a report written before it
                if added and key not in a and b[key] is None:
                    continue
                if sub not in ignore:
                    out.append(Mismatch("recomputed report", sub,
                                        bundled=a.get(key), recomputed=b.get(key),
                                        stated="in report.json",
                                        source="recomputed from the bundled rows"))
                continue
            _walk(a[key], b[key], sub, out, ignore, added)
        return
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(Mismatch("recomputed report", path, detail=(
                f"{len(a)} items in report.json, {len(b)} recomputed from the bundled rows")))
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{path}{_label(x, i)}", out, ignore, added)
        return
    numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
    if a != b or (type(a) is not type(b) and not numbers):
        out.append(Mismatch("recomputed report", path, bundled=a, recomputed=b,
                            stated="in report.json", source="recomputed from the bundled rows"))


def compare_documents(bundled: Mapping[str, Any], recomputed: Mapping[str, Any], *,
                      ignore: Iterable[str] = VOLATILE) -> list[Mismatch]:
    """Every value of ``bundled`` that differs from ``recomputed`` (exactly; the paths in
    ``ignore`` aside), in the document's order.

    A report written under an earlier minor version of the schema (``schema_version``
    1.6 against 1.7: a minor version only adds optional fields) is compared on what it
    states: its version, and fields added since that are null in the recomputed report,
    are not differences; a field added since that says something still is.

    Example:
        >>> old = {"schema_version": "1.6", "x": 1}
        >>> new = {"schema_version": "1.7", "x": 1, "adaptive": None}
        >>> compare_documents(old, new), len(compare_documents(old, new | {"x": 2}))
        ([], 1)
        >>> [m.where for m in compare_documents(old, new | {"adaptive": {"looks": 3}})]
        ['adaptive']
        >>> [m.where for m in compare_documents(old | {"schema_version": "1.8"}, new)]
        ['schema_version', 'adaptive']
    """
    a, b = json.loads(json.dumps(bundled)), json.loads(json.dumps(recomputed))
    added = earlier_minor(a.get("schema_version"), b.get("schema_version"))
    out: list[Mismatch] = []
    _walk(a, b, "", out, frozenset(ignore) | ({"schema_version"} if added else set()),
          added)
    return out


def earlier_minor(bundled: Any, recomputed: Any) -> bool:
    """Whether schema version ``bundled`` is an earlier minor version of ``recomputed``'s
    major one ("1.6" of "1.7"; not "1.7" of "1.6", nor "0.9" of "1.7").

    Example:
        >>> earlier_minor("1.6", "1.7"), earlier_minor("1.7", "1.7"), earlier_minor(
        ...     "1.10", "1.9"), earlier_minor(None, "1.7")
        (True, False, False, False)
    """
    try:
        (ma, na), (mb, nb) = (tuple(int(p) for p in str(v).split(".")) for v in (
            bundled, recomputed))
    except (TypeError, ValueError):
        return False
    return ma == mb and na < nb
