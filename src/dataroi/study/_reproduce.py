"""``dataroi reproduce``: re-execute finished trials and compare them with the ledger.

Seeds are identity-keyed and subsets are recomputed from them, so a trial re-run on the
same data, code and packages must give the same metrics to the last bit. Any difference
is reported with the environment differences that may explain it.
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
    from dataroi.study._environment import (
        capture_environment,
        diff_environments,
        model_modules,
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
        try:
            data_path = materialize(prep, cache)
        except OSError:
            data_path = materialize(prep, tempfile.mkdtemp())
        env_now = capture_environment(study.spec.base_dir,
                                      modules=model_modules(study.spec))
        models = {m: arm_model(study.spec, m) for m in plan.models}
        checked = []
        env_diffs: set[str] = set()
        for snap in chosen:
            payload = TrialPayload(trial_id=snap.trial_id, key=snap.key, seed=snap.seed,
                                   subset_seed=plan.subset_seed(study.spec.schedule.seed,
                                                                snap.key.repeat),
                                   model=models[snap.key.model], metrics=study.spec.metrics,
                                   data_path=data_path, threads=1)
            result = run_trial(payload)
            diffs = []
            for name, old in snap.metrics.items():
                new = result.metrics.get(name, math.nan)
                same = (old == new) or (math.isnan(old) and math.isnan(new))
                if not same:
                    diffs.append({"metric": name, "recorded": old, "reproduced": new,
                                  "abs_diff": abs(new - old)})
            old_digest = snap.extra.get("predictions_digest")
            new_digest = digest_arrays(result.predictions) if result.predictions else None
            env_id = snap.extra.get("environment_id")
            if env_id is not None:
                env_diffs.update(diff_environments(ledger.get_environment(env_id), env_now))
            checked.append({
                "trial_id": snap.trial_id, "model": snap.key.model,
                "n_train": snap.key.n_train, "repeat": snap.key.repeat,
                "state": result.state.value, "error": result.error_message,
                "metric_differences": diffs,
                "predictions_match": None if old_digest is None else old_digest == new_digest,
            })
        n_diff = sum(1 for c in checked
                     if c["metric_differences"] or c["state"] != "complete"
                     or c["predictions_match"] is False)
        summary = {"sample": len(checked), "seed": seed, "differing": n_diff,
                   "trials": checked, "environment_differences": sorted(env_diffs)}
        summary["reproduction_id"] = ledger.record_reproduction(context_id, summary)
    return summary
