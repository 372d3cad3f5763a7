"""Planning: the grid of trials (models × sizes × repeats) with identity-keyed seeds.

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
from dataroi.ledger._base import PlannedTrial
from dataroi.spec import StudySpec
from dataroi.trial import TrialKey, estimator_seed, subset_seed

__all__ = ["Plan", "make_plan"]


@dataclass(frozen=True)
class Plan:
    """The trials the current spec asks for (the list itself is built when first used)."""

    sizes: list[int]
    repeats: int
    model_hashes: dict[str, str]
    root_seed: int = 0
    models: list[str] = field(default_factory=list)

    @property
    def n_trials(self) -> int:
        return len(self.models) * len(self.sizes) * self.repeats

    @cached_property
    def trials(self) -> list[PlannedTrial]:
        """Every trial with its seed, ordered repeat, size, model."""
        return [
            PlannedTrial(key=TrialKey(m, n, r), model_hash=self.model_hashes[m],
                         seed=estimator_seed(self.root_seed, r, n, m))
            for r in range(self.repeats)
            for n in self.sizes
            for m in self.models
        ]

    def contains(self, key: TrialKey, model_hash: str) -> bool:
        return (self.model_hashes.get(key.model) == model_hash and key.n_train in self.sizes
                and 0 <= key.repeat < self.repeats)

    def subset_seed(self, root: int, repeat: int) -> int:
        return subset_seed(root, repeat)


def make_plan(spec: StudySpec, *, pool_size: int) -> Plan:
    """Resolve sizes against the pool; the trials and their seeds follow on demand.

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
    return Plan(sizes=sizes, repeats=spec.schedule.repeats,
                model_hashes={m.name: m.model_hash for m in spec.models},
                root_seed=spec.schedule.seed, models=[m.name for m in spec.models])
