"""``dataroi reproduce``: re-execute finished trials and compare them with the ledger.

Seeds are identity-keyed and subsets are recomputed from them, so a trial re-run on the
same data, code and packages must give the same metrics to the last bit. Any difference
is reported with the environment differences that may explain it.

Like is compared with like: a metric added to the spec after a trial ran was scored from
the trial's *stored* predictions (float32 class scores, :mod:`dataroi.study._backfill`),
not from the float64 scores a fresh fit gives. The ledger does not record which path made
a value, so a recorded value that differs from the fresh score is scored again from the
re-run's predictions as they would be stored, by the backfill's own function; an exact
match there reproduces it too (listed under ``scored_from_stored_predictions``). Both paths
are deterministic functions of the re-run, so neither tolerance nor guessing is involved.
"""

from __future__ import annotations

import math
import tempfile
from typing import TYPE_CHECKING, Any

import numpy as np

from dataroi.trial import TrialState

if TYPE_CHECKING:
    from dataroi.study._study import Study

__all__ = ["reproduce_trials"]


def reproduce_trials(study: Study, *, sample: int, seed: int) -> dict[str, Any]:
    """Re-run ``sample`` randomly chosen complete trials in this process; store a summary.

    Raises:
        UsageError: when the study has no complete trial to reproduce.
    """
    from dataroi.artifacts import digest_arrays
    from dataroi.data import materialize
    from dataroi.exceptions import UsageError
    from dataroi.study._backfill import _shift_mask
    from dataroi.study._environment import (
        TRIAL_THREADS,
        capture_environment,
        diff_environments,
        model_modules,
        trial_threads,
    )
    from dataroi.study._plan import arm_model
    from dataroi.trial import TrialPayload, run_trial

    if sample < 1:
        raise UsageError(f"--sample must be at least 1, got {sample}")
    ledger, ctx, plan = study._current(check_data=True)
    with ledger:
        if ctx is None:
            raise UsageError("nothing to reproduce: this study has no trials for the current "
                             "data; run it first")
        context_id = ctx["context_id"]
        snaps = [s for s in ledger.get_trials(context_id, model_hashes=plan.model_hashes,
                                              sizes=plan.sizes, repeats=plan.repeats)
                 if s.state is TrialState.COMPLETE]
        if not snaps:
            raise UsageError("nothing to reproduce: no complete trial yet; run the study first")
        rng = np.random.default_rng(seed)
        chosen = [snaps[i] for i in sorted(rng.choice(len(snaps), size=min(sample, len(snaps)),
                                                      replace=False))]
        prep = study.prepare()
        cache = study.workdir / "cache"
        try:  # reproduction is about exactness: the copy is hashed in full
            data_path = materialize(prep, cache, full_check=True)
        except OSError:
            data_path = materialize(prep, tempfile.mkdtemp())
        env_now = capture_environment(study.spec.base_dir,
                                      modules=model_modules(study.spec))
        models = {m: arm_model(study.spec, m) for m in plan.models}
        y_test = np.asarray(prep.y)[np.asarray(prep.test_idx)]
        masks = {a.name: _shift_mask(prep, a.to_dict()) for a in study.spec.stress}
        checked = []
        env_diffs: set[str] = set()
        environments: dict[int, dict[str, Any]] = {}
        for snap in chosen:
            env_id = snap.extra.get("environment_id")
            if env_id is not None and env_id not in environments:
                environments[env_id] = ledger.get_environment(env_id)
            # the trial's own thread count: a linear model's last bits depend on it
            threads = trial_threads(environments.get(env_id))
            payload = TrialPayload(trial_id=snap.trial_id, key=snap.key, seed=snap.seed,
                                   subset_seed=plan.subset_seed(study.spec.schedule.seed,
                                                                snap.key.repeat),
                                   model=models[snap.key.model], metrics=study.spec.metrics,
                                   data_path=data_path, threads=threads)
            result = run_trial(payload)
            diffs: list[dict[str, Any]] = []
            from_stored: list[str] = []
            for name, old in snap.metrics.items():
                new = result.metrics.get(name, math.nan)
                if _same(old, new):
                    continue
                if _same(old, _stored_score(result.predictions, name, y_test,
                                            n_classes=prep.n_classes,
                                            mask=masks.get(snap.key.model))):
                    from_stored.append(name)  # backfilled: reproduced by the same path
                    continue
                diffs.append({"metric": name, "recorded": old, "reproduced": new,
                              "abs_diff": abs(new - old)})
            old_digest = snap.extra.get("predictions_digest")
            new_digest = digest_arrays(result.predictions) if result.predictions else None
            if env_id is not None:
                env_diffs.update(diff_environments(environments[env_id], env_now))
            checked.append({
                "trial_id": snap.trial_id, "model": snap.key.model,
                "n_train": snap.key.n_train, "repeat": snap.key.repeat,
                "state": result.state.value, "error": result.error_message,
                "metric_differences": diffs,
                "scored_from_stored_predictions": from_stored,
                "predictions_match": None if old_digest is None else old_digest == new_digest,
            })
        n_diff = sum(1 for c in checked
                     if c["metric_differences"] or c["state"] != "complete"
                     or c["predictions_match"] is False)
        if n_diff and any(TRIAL_THREADS not in e for e in environments.values()):
            env_diffs.add("the trials' BLAS threads were not recorded (a run before dataroi "
                          "kept them): re-run with 1; a linear model's last bits differ "
                          "when the run gave its trials more")
        summary = {"sample": len(checked), "seed": seed, "differing": n_diff,
                   "trials": checked, "environment_differences": sorted(env_diffs)}
        summary["reproduction_id"] = ledger.record_reproduction(context_id, summary)
    return summary


def _same(old: float, new: float | None) -> bool:
    """Equal to the last bit, NaN equal to NaN (None: no value to compare)."""
    return new is not None and (old == new or (math.isnan(old) and math.isnan(new)))


def _stored_score(predictions: dict[str, np.ndarray] | None, name: str, y_test: np.ndarray,
                  *, n_classes: int | None, mask: np.ndarray | None) -> float | None:
    """``name`` scored from a re-run's predictions as they are stored (float32 class
    scores), the way a backfill scores a metric added later; None when it cannot be.

    Example:
        >>> _stored_score({"pred": np.array([0, 1])}, "accuracy", np.array([0, 0]),
        ...               n_classes=2, mask=None)
        0.5
        >>> print(_stored_score(None, "accuracy", np.array([0]), n_classes=2, mask=None))
        None
    """
    from dataroi.study._backfill import score_stored_predictions
    from dataroi.trial import TRAIN_PREFIX

    if not predictions or name.startswith(TRAIN_PREFIX):  # a backfill adds no train score
        return None
    try:
        return score_stored_predictions(predictions, y_test, [name], n_classes=n_classes,
                                        mask=mask)[name]
    except (KeyError, ValueError):  # a metric no longer registered, or unscorable
        return None
