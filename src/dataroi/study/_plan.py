"""Planning: the grid of trials (models × sizes × repeats) with identity-keyed seeds.

Stress arms (``stress:`` in the spec) are planned like models named ``"<model>[<label>]"``;
an arm takes its base model's estimator seed, so it is paired with the clean trial.

Example:
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [20, 40],
    ...     "repeats": 2}, "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> plan = make_plan(spec, pool_size=120)
    >>> len(plan.trials), plan.sizes, plan.n_trials
    (4, [20, 40], 4)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from dataroi.exceptions import SpecError
from dataroi.ledger import PlannedTrial
from dataroi.spec import StudySpec, VariantSpec, canonical_hash
from dataroi.trial import TrialKey, estimator_seed, subset_seed

__all__ = ["Plan", "arm_hash", "arm_model", "make_plan"]


@dataclass(frozen=True)
class Plan:
    """The trials the current spec asks for (the list itself is built when first used)."""

    sizes: list[int]
    repeats: int
    model_hashes: dict[str, str]
    root_seed: int = 0
    models: list[str] = field(default_factory=list)
    bases: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)

    def sizes_of(self, model: str) -> list[int]:
        """The sizes planned for a model or arm (an arm whose own pool is smaller, e.g.
        a shift arm's, stops at what it can hold)."""
        cap = self.limits.get(model)
        return self.sizes if cap is None else [n for n in self.sizes if n <= cap]

    @property
    def n_trials(self) -> int:
        return sum(len(self.sizes_of(m)) for m in self.models) * self.repeats

    @cached_property
    def trials(self) -> list[PlannedTrial]:
        """Every trial with its seed, ordered repeat, size, model."""
        return [
            PlannedTrial(key=TrialKey(m, n, r), model_hash=self.model_hashes[m],
                         seed=estimator_seed(self.root_seed, r, n, self.bases.get(m, m)))
            for r in range(self.repeats)
            for n in self.sizes
            for m in self.models
            if n <= self.limits.get(m, n)
        ]

    def contains(self, key: TrialKey, model_hash: str) -> bool:
        return (self.model_hashes.get(key.model) == model_hash
                and key.n_train in self.sizes_of(key.model) and 0 <= key.repeat < self.repeats)

    def subset_seed(self, root: int, repeat: int) -> int:
        return subset_seed(root, repeat)


def make_plan(spec: StudySpec, *, pool_size: int,
              limits: dict[str, int] | None = None) -> Plan:
    """Resolve sizes against the pool; the trials and their seeds follow on demand.

    ``limits`` caps the sizes of arms whose own training pool is smaller than the pool
    (see :func:`dataroi.study._arms.arm_limits`).

    Raises:
        SpecError: a size larger than the training pool (naming the pool size).
    """
    sizes = spec.schedule.resolve_sizes(pool_size)
    too_big = [s for s in sizes if s > pool_size]
    if too_big:
        raise SpecError(
            f"schedule: sizes {too_big} exceed the training pool of {pool_size} rows "
            f"(data minus the test set); use sizes up to {pool_size} or geometric max: all"
        )
    hashes = {m.name: m.model_hash for m in spec.models}
    for arm in spec.stress:
        hashes[arm.name] = arm_hash(spec, arm)
    return Plan(sizes=sizes, repeats=spec.schedule.repeats, model_hashes=hashes,
                root_seed=spec.schedule.seed, models=list(hashes),
                bases={arm.name: arm.base for arm in spec.stress},
                limits={k: v for k, v in (limits or {}).items() if k in hashes})


def arm_hash(spec: StudySpec, arm: VariantSpec) -> str:
    """An arm's identity: its base model's hash and the perturbation (and the selector's
    hash for an acquisition arm)."""
    parts = {"base": spec.model(arm.base).model_hash, "variant": arm.to_dict()}
    if arm.kind == "acquisition":
        parts["selector"] = spec.model(arm.params["selector"]).model_hash
    return canonical_hash(parts)[:16]


def arm_model(spec: StudySpec, name: str) -> dict:
    """The plain-data model a worker builds for a model or an arm (an arm's carries a
    ``variant`` entry, and the selector's model for acquisition)."""
    try:
        arm = spec.arm(name)
    except KeyError:
        return spec.model(name).to_dict()
    out = spec.model(arm.base).to_dict()
    out["variant"] = arm.to_dict()
    if arm.kind == "acquisition":
        out["variant"]["selector_model"] = spec.model(arm.params["selector"]).to_dict()
    return out
