"""The ledger contract: what every ledger backend must do, and promise.

The ledger is the single source of truth of a study: what was planned, what ran, where,
with which seed, data and code, and what it scored. Only the coordinator writes it (house
rule 7); workers return values.

Vocabulary:
    study: a named study (the spec's ``name``); its spec text is kept per revision.
    dataset version: one full-content fingerprint of the data (SHA-256), with its shape.
    context: what trials of a study are comparable under: (study, dataset version,
        split, task, target, features, root seed), identified by a ``context_hash``.
        Changing the data or the split makes a new context; nothing stale is reused.
    trial: (context, model name, model hash, n_train, repeat), unique. ``model_hash``
        identifies the estimator spec, so changing a model's params re-plans it.

Contract (every implementation; checked by ``tests/ledger_tests/conformance.py``):
    1. ``plan_trials`` is idempotent: inserting an existing key creates nothing.
    2. State changes are single conditional writes: ``claim_trials`` moves waiting →
       running and returns only rows it moved itself; ``finish_trial`` moves running →
       complete/failed only for the owner that claimed it; finished trials never change.
    3. Every method that writes does so in one transaction: it happens entirely or not at
       all.
    4. Reads return frozen snapshots (:class:`~dataroi.trial.TrialSnapshot`), never live
       rows.
    5. Opening a store that is not a dataroi ledger, or one at an unknown schema version,
       raises :class:`~dataroi.exceptions.LedgerError` and changes nothing.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from dataroi.trial import TrialKey, TrialResult, TrialSnapshot, TrialState

__all__ = ["BaseLedger", "DocumentStore", "PlannedTrial"]


@runtime_checkable
class DocumentStore(Protocol):
    """The part of a ledger the analysis layers use: studies by name and immutable JSON
    documents (decision rules, recommendations). :class:`BaseLedger` implements it; the
    value, decision and stress layers take one of these, never a study.
    """

    def get_study_id(self, name: str) -> int | None: ...

    def upsert_study(self, name: str, *, spec_hash: str, spec_text: str) -> int: ...

    def record_document(self, kind: str, payload: dict[str, Any], *,
                        study_id: int | None = None, context_id: int | None = None,
                        content_hash: str | None = None) -> int: ...

    def list_documents(self, kind: str, *, study_id: int | None = None,
                       context_id: int | None = None,
                       content_hash: str | None = None) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class PlannedTrial:
    """A trial the coordinator wants to exist: its key, model hash and seed."""

    key: TrialKey
    model_hash: str
    seed: int


class BaseLedger(abc.ABC):
    """Abstract ledger. See the module docstring for the contract.

    Example:
        >>> from dataroi.ledger import open_ledger
        >>> ledger = open_ledger("sqlite://")  # in memory
        >>> sid = ledger.upsert_study("demo", spec_hash="abc", spec_text="name: demo")
        >>> sid == ledger.upsert_study("demo", spec_hash="abc", spec_text="name: demo")
        True
    """

    url: str

    # -- life cycle -------------------------------------------------------------------
    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. The ledger is unusable afterwards."""

    def __enter__(self) -> BaseLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- studies, data, environments, contexts ----------------------------------------
    @abc.abstractmethod
    def upsert_study(self, name: str, *, spec_hash: str, spec_text: str) -> int:
        """Return the id of study ``name``, creating it; record the spec revision if new."""

    @abc.abstractmethod
    def get_study_id(self, name: str) -> int | None:
        """Return the id of study ``name`` or None when it does not exist (never writes)."""

    @abc.abstractmethod
    def record_dataset_version(
        self,
        *,
        fingerprint: str,
        n_rows: int,
        n_columns: int,
        dtypes: dict[str, str],
        source: str,
    ) -> int:
        """Return the id of the dataset version with this fingerprint, creating it."""

    @abc.abstractmethod
    def record_environment(self, environment: dict[str, Any]) -> int:
        """Return the id of this environment (Python, platform, packages...), creating it.

        Identical dictionaries map to the same id (keyed by a hash of their JSON).
        """

    @abc.abstractmethod
    def get_environment(self, environment_id: int) -> dict[str, Any]:
        """Return the environment dictionary stored under ``environment_id``."""

    @abc.abstractmethod
    def upsert_context(
        self,
        study_id: int,
        *,
        dataset_version_id: int,
        context_hash: str,
        description: dict[str, Any],
    ) -> tuple[int, bool]:
        """Return ``(context_id, created)`` for this study and context hash."""

    @abc.abstractmethod
    def list_contexts(self, study_id: int) -> list[dict[str, Any]]:
        """Return every context of a study, oldest first, as dictionaries with keys
        ``context_id, context_hash, dataset_version_id, fingerprint, description,
        created_at``."""

    # -- trials -----------------------------------------------------------------------
    @abc.abstractmethod
    def plan_trials(self, context_id: int, trials: Sequence[PlannedTrial]) -> int:
        """Insert the trials that do not exist yet (state waiting); return how many."""

    @abc.abstractmethod
    def claim_trials(
        self,
        context_id: int,
        *,
        owner: str,
        limit: int | None = None,
        model_hashes: dict[str, str] | None = None,
        sizes: Sequence[int] | None = None,
        repeats: int | None = None,
    ) -> list[TrialSnapshot]:
        """Move up to ``limit`` waiting trials to running for ``owner`` and return them.

        Only rows this call moved are returned (a conditional update per row or batch),
        so two coordinators never get the same trial. ``model_hashes`` (model name →
        hash), ``sizes`` (allowed n_train values) and ``repeats`` (repeat < repeats)
        restrict the claim to the current spec's plan. Order: repeat, then n_train
        *descending*, then model — an interrupted study holds whole repeats, and within
        a repeat the longest trials start first, so parallel workers finish together
        (longest-processing-time-first scheduling).
        """

    @abc.abstractmethod
    def finish_trial(
        self, trial_id: int, result: TrialResult, *, owner: str, environment_id: int | None
    ) -> bool:
        """Record a result; running → complete/failed only if ``owner`` holds the claim.

        Metrics and timings are written in the same transaction. Returns False (and writes
        nothing) if the trial is not running under ``owner`` — e.g. already finished.
        """

    @abc.abstractmethod
    def add_metrics(self, trial_id: int, metrics: dict[str, float]) -> int:
        """Add metrics computed later (from stored predictions) to a *complete* trial.

        Only names the trial does not have yet are inserted; recorded values are never
        changed (finished trials stay immutable). Returns how many were added; 0 when the
        trial is not complete.
        """

    @abc.abstractmethod
    def add_metrics_many(self, metrics: Mapping[int, Mapping[str, float]]) -> int:
        """:meth:`add_metrics` for many trials (``{trial_id: {name: value}}``) in *one*
        transaction: every value is written or, when anything fails, none — a backfill
        interrupted half-way must not leave some trials scored and others not. Returns
        how many trials gained at least one value.
        """

    @abc.abstractmethod
    def release_trials(self, trial_ids: Sequence[int], *, owner: str) -> int:
        """Return running trials held by ``owner`` to waiting; return how many moved."""

    @abc.abstractmethod
    def release_stale(self, context_id: int, *, older_than_seconds: float) -> int:
        """Return running trials whose heartbeat is older than the limit to waiting."""

    @abc.abstractmethod
    def heartbeat(self, owner: str) -> None:
        """Refresh the heartbeat of every trial running under ``owner``."""

    @abc.abstractmethod
    def reset_failed(self, context_id: int) -> int:
        """Move failed trials back to waiting (an explicit retry); return how many."""

    @abc.abstractmethod
    def get_trials(
        self,
        context_id: int,
        *,
        states: Sequence[TrialState] | None = None,
        model_hashes: dict[str, str] | None = None,
        sizes: Sequence[int] | None = None,
        repeats: int | None = None,
    ) -> list[TrialSnapshot]:
        """Return snapshots of the context's trials, ordered by model, n_train, repeat.

        ``model_hashes``, ``sizes`` and ``repeats`` filter as in :meth:`claim_trials`.

        ``extra`` holds: fit_seconds, predict_seconds, cpu_seconds, peak_rss_bytes,
        model_bytes, n_predicted, error_type, error_message, traceback,
        predictions_digest, worker, owner, environment_id, created_at, started_at,
        finished_at (datetimes, UTC).
        """

    @abc.abstractmethod
    def state_counts(self, context_id: int) -> dict[TrialState, int]:
        """Return the number of trials in each state (every state present, maybe 0)."""

    @abc.abstractmethod
    def trial_counts(
        self,
        context_id: int,
        *,
        model_hashes: dict[str, str] | None = None,
        sizes: Sequence[int] | None = None,
        repeats: int | None = None,
    ) -> list[tuple[str, TrialState, str | None, int]]:
        """Count trials by (model, state, owner) in the database, without loading them.

        ``owner`` is given for running trials only (None otherwise). Filters as in
        :meth:`claim_trials`. This is what ``dataroi status`` reads, so it must stay fast
        on hundreds of thousands of trials.
        """

    @abc.abstractmethod
    def overview(self) -> dict[str, list[dict[str, Any]]]:
        """Every study of the ledger at a glance, in three GROUP BY queries (what
        ``dataroi portfolio`` reads; fast on hundreds of studies and a million trials).

        Returns:
            ``{"studies": [...], "contexts": [...], "cells": [...]}``: each study (id,
            name, created_at, its latest spec's hash and text); each context (id,
            study_id, created_at, the data's fingerprint and rows, description, trial
            counts by state, CPU and fit seconds of finished trials, first and last
            finish); each (context, model, size, metric) of complete trials (mean value,
            finite values counted).
        """

    # -- reproductions ----------------------------------------------------------------
    @abc.abstractmethod
    def record_reproduction(self, context_id: int, summary: dict[str, Any]) -> int:
        """Store the summary of a ``dataroi reproduce`` run; return its id."""

    @abc.abstractmethod
    def list_reproductions(self, context_id: int) -> list[dict[str, Any]]:
        """Return stored reproduction summaries, oldest first (``summary`` plus
        ``reproduction_id`` and ``created_at``)."""

    # -- documents --------------------------------------------------------------------
    @abc.abstractmethod
    def record_document(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        study_id: int | None = None,
        context_id: int | None = None,
        content_hash: str | None = None,
    ) -> int:
        """Store an immutable JSON document of a ``kind`` and return its id.

        Documents hold what later layers decide and assess: ``decision_rule`` (a
        pre-registered rule, by its hash, with the time it was stored),
        ``recommendation``, ``impact_assessment``. ``payload`` must be JSON-serialisable
        (NaN and infinities are stored as null). Documents are never updated.
        """

    @abc.abstractmethod
    def list_documents(
        self,
        kind: str,
        *,
        study_id: int | None = None,
        context_id: int | None = None,
        content_hash: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return documents of ``kind`` (filtered when arguments are given), oldest first,
        as dictionaries with ``document_id, kind, study_id, context_id, content_hash,
        payload, created_at`` (UTC, timezone-aware)."""

    # -- schema -----------------------------------------------------------------------
    @abc.abstractmethod
    def schema_version(self) -> str:
        """Return the schema revision of the store (the alembic revision id)."""
