"""Planning: the grid of trials (models × sizes × repeats) with identity-keyed seeds.

Stress arms (``stress:`` in the spec) are planned like models named ``"<model>[<label>]"``;
an arm takes its base model's estimator seed, so it is paired with the clean trial.

A model run again on purpose (``dataroi run --rerun MODEL``) gets a new identity: the
ledger keeps a ``rerun`` document per model and generation (:data:`RERUN_DOCUMENT`), and
the plan salts the model's hash with the latest generation recorded for its current
identity, so its trials (and its arms') are planned anew while the earlier, finished
trials stay in the ledger untouched (superseded: the plan no longer reads them).

Example:
    >>> from dataroi.spec import spec_from_dict
    >>> spec = spec_from_dict({"data": "sklearn:iris", "schedule": {"sizes": [20, 40],
    ...     "repeats": 2}, "models": {"lr": "sklearn.linear_model.LogisticRegression"}})
    >>> plan = make_plan(spec, pool_size=120)
    >>> len(plan.trials), plan.sizes, plan.n_trials
    (4, [20, 40], 4)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dataroi.exceptions import SpecError
from dataroi.ledger import PlannedTrial
from dataroi.spec import StudySpec, VariantSpec, canonical_hash
from dataroi.trial import TrialKey, estimator_seed, subset_seed

__all__ = ["RERUN_DOCUMENT", "Plan", "arm_hash", "arm_model", "make_plan", "rerun_generation",
           "rerun_hash"]


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


#: The kind of the ledger document that records a model run again on purpose:
#: ``{"model": name, "base_hash": its identity before, "generation": 1, 2, ...}``.
RERUN_DOCUMENT = "rerun"


def rerun_generation(reruns: Sequence[Mapping[str, Any]], model: str,
                     base_hash: str) -> int:
    """The latest generation recorded for a model at its identity (0: never re-run).

    Example:
        >>> docs = [{"model": "lr", "base_hash": "ab", "generation": 1},
        ...         {"model": "lr", "base_hash": "ab", "generation": 2}]
        >>> rerun_generation(docs, "lr", "ab"), rerun_generation(docs, "lr", "cd")
        (2, 0)
    """
    return max((int(d["generation"]) for d in reruns
                if d.get("model") == model and d.get("base_hash") == base_hash), default=0)


def rerun_hash(model_hash: str, generation: int) -> str:
    """A model's identity in a generation of re-runs (the hash itself for generation 0).

    Example:
        >>> rerun_hash("ab", 0), rerun_hash("ab", 1) != "ab"
        ('ab', True)
    """
    if generation <= 0:
        return model_hash
    return canonical_hash({"model": model_hash, "rerun": generation})[:16]


def make_plan(spec: StudySpec, *, pool_size: int,
              limits: dict[str, int] | None = None,
              reruns: Sequence[Mapping[str, Any]] = ()) -> Plan:
    """Resolve sizes against the pool; the trials and their seeds follow on demand.

    ``limits`` caps the sizes of arms whose own training pool is smaller than the pool
    (see :func:`dataroi.study._arms.arm_limits`). ``reruns`` are the ledger's
    :data:`RERUN_DOCUMENT` payloads of the context: a model re-run gets the identity of
    its latest generation (:func:`rerun_hash`), and so do its arms.

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
    hashes = {}
    for m in spec.models:
        own = spec.model_hash(m.name)
        hashes[m.name] = rerun_hash(own, rerun_generation(reruns, m.name, own))
    for arm in spec.stress:
        hashes[arm.name] = arm_hash(spec, arm, model_hashes=hashes)
    return Plan(sizes=sizes, repeats=spec.schedule.repeats, model_hashes=hashes,
                root_seed=spec.schedule.seed, models=list(hashes),
                bases={arm.name: arm.base for arm in spec.stress},
                limits={k: v for k, v in (limits or {}).items() if k in hashes})


def arm_hash(spec: StudySpec, arm: VariantSpec, *,
             model_hashes: Mapping[str, str] | None = None) -> str:
    """An arm's identity: its base model's hash and the perturbation (and the selector's
    hash for an acquisition arm); both with the study's preprocessing. ``model_hashes``
    gives the models' identities when they differ from the spec's (re-runs)."""
    def identity(name: str) -> str:
        if model_hashes is not None and name in model_hashes:
            return model_hashes[name]
        return spec.model_hash(name)

    parts = {"base": identity(arm.base), "variant": arm.to_dict()}
    if arm.kind == "acquisition":
        parts["selector"] = identity(arm.params["selector"])
    return canonical_hash(parts)[:16]


def arm_model(spec: StudySpec, name: str) -> dict:
    """The plain-data model a worker builds for a model or an arm (an arm's carries a
    ``variant`` entry, and the selector's model for acquisition); each carries the
    study's ``preprocess`` section, the spec's folder (``spec_dir``: its modules are
    importable in the worker) and the digests of the user's modules it names
    (``sources``: the worker checks it imports that code). Neither location nor digests
    enter the model's hash here: the digests are in it through
    :meth:`~dataroi.spec.StudySpec.model_hash`."""
    def plain(model: str) -> dict[str, Any]:
        m = spec.model(model)
        sources = m.source_digests(spec.base_dir)
        return (m.to_dict() | {"preprocess": preprocess,
                               "spec_dir": str(Path(spec.base_dir).resolve())}
                | ({"sources": sources} if sources else {}))

    preprocess = spec.preprocess.to_dict()
    try:
        arm = spec.arm(name)
    except KeyError:
        return plain(name)
    out = plain(arm.base)
    out["variant"] = arm.to_dict()
    if arm.kind == "acquisition":
        out["variant"]["selector_model"] = plain(arm.params["selector"])
    return out
