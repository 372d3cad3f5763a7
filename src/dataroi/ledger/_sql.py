"""The SQL ledger: :class:`BaseLedger` on SQLAlchemy 2 Core, for SQLite and PostgreSQL.

Every write runs in one transaction (``engine.begin()``; on SQLite ``BEGIN IMMEDIATE``).
State changes are conditional updates whose matched rows are the only ones reported:
claims use ``UPDATE ... WHERE id IN (waiting ids, in order) AND state = 'waiting'
RETURNING ...`` (on PostgreSQL the inner select is ``FOR UPDATE SKIP LOCKED``, so two
coordinators claim disjoint sets without waiting for each other); finishing matches
``state = 'running' AND owner = :owner``. Metric NaN is stored as NULL.

Documents (:meth:`SQLLedger.record_document`) are stored as canonical JSON text (sorted
keys) after :func:`document_payload` has made them plain JSON: NaN and infinities become
null, NumPy scalars and arrays become Python numbers and lists, and anything else that is
not JSON raises :class:`~dataroi.exceptions.LedgerError` naming the offending key.

Open a ledger with :func:`dataroi.ledger.open_ledger` rather than constructing this class.

Example:
    >>> from dataroi.ledger import PlannedTrial, open_ledger
    >>> from dataroi.trial import TrialKey, TrialResult, TrialState
    >>> ledger = open_ledger("sqlite://")
    >>> sid = ledger.upsert_study("demo", spec_hash="h1", spec_text="name: demo")
    >>> dv = ledger.record_dataset_version(
    ...     fingerprint="0" * 64, n_rows=100, n_columns=3, dtypes={"x": "float64"}, source="x.csv")
    >>> cid, created = ledger.upsert_context(
    ...     sid, dataset_version_id=dv, context_hash="c1", description={"seed": 0})
    >>> key = TrialKey("logreg", 50, 0)
    >>> ledger.plan_trials(cid, [PlannedTrial(key, model_hash="m1", seed=7)])
    1
    >>> [claimed] = ledger.claim_trials(cid, owner="me")
    >>> result = TrialResult(key, TrialState.COMPLETE, seed=7, metrics={"accuracy": 0.9})
    >>> ledger.finish_trial(claimed.trial_id, result, owner="me", environment_id=None)
    True
    >>> ledger.get_trials(cid)[0].metrics
    {'accuracy': 0.9}
    >>> ledger.close()
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Engine, Row

from dataroi._interrupts import deferred_interrupts
from dataroi.exceptions import LedgerError
from dataroi.ledger._base import BaseLedger, PlannedTrial
from dataroi.ledger._schema import (
    VERSION_TABLE,
    contexts,
    dataset_versions,
    documents,
    environments,
    reproductions,
    studies,
    study_specs,
    trial_metrics,
    trials,
)
from dataroi.trial import TrialKey, TrialResult, TrialSnapshot, TrialState

__all__ = ["WRITE_OPTION", "SQLLedger"]

#: Execution option marking a write transaction (SQLite then begins ``IMMEDIATE``).
WRITE_OPTION = "dataroi_write"

#: Columns of ``trials`` reported in :attr:`TrialSnapshot.extra`.
EXTRA_COLUMNS: tuple[str, ...] = (
    "fit_seconds",
    "predict_seconds",
    "cpu_seconds",
    "peak_rss_bytes",
    "model_bytes",
    "n_predicted",
    "error_type",
    "error_message",
    "traceback",
    "predictions_digest",
    "worker",
    "owner",
    "environment_id",
    "created_at",
    "started_at",
    "heartbeat_at",
    "finished_at",
)

_TRIALS = trials  # plan_trials has a parameter named ``trials``
_SEED_MIN, _SEED_MAX = -(2**63), 2**63 - 1
_CHUNK = 500  # ids per IN (...) list, well under every driver's parameter limit
_HEX64 = frozenset("0123456789abcdef")

# Values that put a trial back to waiting, as if it had never been claimed or run.
_CLEARED: dict[str, Any] = {
    "owner": None,
    "started_at": None,
    "heartbeat_at": None,
    "finished_at": None,
    "fit_seconds": None,
    "predict_seconds": None,
    "cpu_seconds": None,
    "peak_rss_bytes": None,
    "model_bytes": None,
    "n_predicted": None,
    "error_type": None,
    "error_message": None,
    "traceback": None,
    "predictions_digest": None,
    "worker": None,
    "environment_id": None,
}


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _metric_in(value: float) -> float | None:
    number = float(value)
    return None if math.isnan(number) else number


def _metric_out(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _insert_missing_metrics(conn: Connection, trial_id: int,
                            metrics: Mapping[str, float]) -> int:
    """Insert the ``metrics`` a *complete* trial lacks (in the caller's transaction);
    return how many."""
    state = conn.execute(
        sa.select(trials.c.state).where(trials.c.id == trial_id)).scalar_one_or_none()
    if state != TrialState.COMPLETE.value:
        return 0
    have = set(conn.execute(sa.select(trial_metrics.c.name).where(
        trial_metrics.c.trial_id == trial_id)).scalars())
    rows = [{"trial_id": trial_id, "name": str(name), "value": _metric_in(value)}
            for name, value in metrics.items() if name not in have]
    if rows:
        conn.execute(sa.insert(trial_metrics), rows)
    return len(rows)


def _snapshot(row: Row[Any], metrics: dict[str, float] | None = None) -> TrialSnapshot:
    m = row._mapping
    return TrialSnapshot(
        trial_id=int(m["id"]),
        context_id=int(m["context_id"]),
        key=TrialKey(model=m["model"], n_train=int(m["n_train"]), repeat=int(m["repeat_index"])),
        model_hash=m["model_hash"],
        seed=int(m["seed"]),
        state=TrialState(m["state"]),
        metrics=dict(metrics or {}),
        extra={name: m[name] for name in EXTRA_COLUMNS},
    )


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield [int(i) for i in ids[start : start + _CHUNK]]


def _plan_filter(
    model_hashes: Mapping[str, str] | None,
    sizes: Sequence[int] | None,
    repeats: int | None,
) -> list[sa.ColumnElement[bool]]:
    """Conditions restricting trials to a spec's plan (None: no restriction)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if model_hashes is not None:
        if not model_hashes:
            conditions.append(sa.false())
        else:
            conditions.append(
                sa.or_(
                    *(
                        sa.and_(trials.c.model == model, trials.c.model_hash == model_hash)
                        for model, model_hash in model_hashes.items()
                    )
                )
            )
    if sizes is not None:
        allowed = sorted({int(n) for n in sizes})
        conditions.append(trials.c.n_train.in_(allowed) if allowed else sa.false())
    if repeats is not None:
        conditions.append(trials.c.repeat_index < int(repeats))
    return conditions


def environment_hash(environment: Mapping[str, Any]) -> tuple[str, str]:
    """Return ``(sha256 hex, canonical JSON)`` of an environment dictionary.

    Example:
        >>> environment_hash({"b": 1, "a": 2}) == environment_hash({"a": 2, "b": 1})
        True
    """
    payload = json.dumps(environment, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest(), payload


_JSON_TYPES_HINT = "use dict (str keys), list, tuple, str, int, float, bool or None"


def _is_numpy(value: object) -> bool:
    """Whether ``value`` is a NumPy scalar or array (without importing NumPy)."""
    return type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "tolist")


def _plain_json(value: Any, path: str, active: set[int]) -> Any:
    """Return ``value`` as plain JSON data (see :func:`document_payload`)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):  # numpy.float64 included (a float subclass)
        number = float(value)
        return number if math.isfinite(number) else None
    if _is_numpy(value):  # numpy.int64, numpy.bool_, numpy.float32, ndarray ...
        return _plain_json(value.tolist(), path, active)
    if isinstance(value, Mapping | list | tuple):
        if id(value) in active:
            raise LedgerError(f"{path}: the document refers to itself (a circular reference)")
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                plain: dict[str, Any] = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        raise LedgerError(
                            f"{path}: document keys must be strings, got "
                            f"{type(key).__name__} key {key!r}"
                        )
                    plain[str(key)] = _plain_json(item, f"{path}[{key!r}]", active)
                return plain
            return [_plain_json(item, f"{path}[{i}]", active) for i, item in enumerate(value)]
        finally:
            active.discard(id(value))
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise LedgerError(
        f"{path}: cannot store a {type(value).__name__} ({shown}) in a document; {_JSON_TYPES_HINT}"
    )


def document_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the plain-JSON copy of a document payload that the ledger stores.

    Mappings become dicts (their keys must be strings), tuples become lists, NaN and
    infinite floats become None (JSON has no NaN), and NumPy scalars and arrays become
    Python numbers, booleans and lists (``.tolist()``), also when nested. Any other value
    (a datetime, a set, an object...) is refused rather than silently turned into a string.

    Args:
        payload: the document, a mapping with string keys.

    Returns:
        A new dict holding only dict, list, str, int, float, bool and None.

    Raises:
        LedgerError: ``payload`` is not a mapping, or holds a value or key that is not
            JSON; the message names the key path, e.g. ``payload['fit']['when']``.

    Example:
        >>> import math
        >>> import numpy as np
        >>> document_payload({"a": math.nan, "b": (1, np.float64(0.5)), "c": {"n": np.int64(3)}})
        {'a': None, 'b': [1, 0.5], 'c': {'n': 3}}
        >>> document_payload({"x": {"when": {1, 2}}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dataroi.exceptions.LedgerError: payload['x']['when']: cannot store a set ({1, 2}) ...
    """
    if not isinstance(payload, Mapping):
        raise LedgerError(
            f"a document payload must be a dict with string keys, got {type(payload).__name__}"
        )
    plain: dict[str, Any] = _plain_json(payload, "payload", set())
    return plain


def _opt_id(value: int | None, name: str) -> int | None:
    """Check an optional row id argument (an integer, not a bool)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise LedgerError(f"{name} must be an integer id or None, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise LedgerError(f"{name} must be an integer id or None, got {value!r}") from None


def _check_kind(kind: str) -> str:
    if not isinstance(kind, str) or not kind.strip():
        raise LedgerError(f"document kind must be a non-empty string, got {kind!r}")
    return kind


def _check_content_hash(content_hash: str | None) -> str | None:
    if content_hash is not None and (not isinstance(content_hash, str) or not content_hash):
        raise LedgerError(f"content_hash must be a non-empty string or None, got {content_hash!r}")
    return content_hash


class SQLLedger(BaseLedger):
    """A ledger in an SQL database (SQLite or PostgreSQL) through SQLAlchemy Core.

    Args:
        engine: an engine prepared by :func:`dataroi.ledger.open_ledger` (SQLite
            connections need its transaction and pragma set-up).
        url: the ledger's location as shown to users (password masked).

    Attributes:
        url: the ledger's location (password masked).

    Example:
        >>> from dataroi.ledger import open_ledger
        >>> with open_ledger("sqlite://") as ledger:
        ...     type(ledger).__name__, ledger.url
        ('SQLLedger', 'sqlite://')
    """

    def __init__(self, engine: Engine, *, url: str) -> None:
        self.url = url
        self._engine = engine
        self._write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self._postgres = engine.dialect.name == "postgresql"
        self._closed = False

    def __enter__(self) -> SQLLedger:
        return self

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"SQLLedger({self.url!r}, {state})"

    # -- plumbing ---------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise LedgerError(f"ledger {self.url} is closed")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except exc.DBAPIError as err:
            orig = str(getattr(err, "orig", None) or err).strip()
            reason = orig.splitlines()[0] if orig else type(err).__name__
            raise LedgerError(f"ledger {self.url}: {reason}") from err

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (committed on success, rolled back on any error).

        Ctrl-C and SIGTERM wait until it has ended (:mod:`dataroi._interrupts`): an
        interrupt raised between ``BEGIN`` and the caller's block would leave the
        connection holding the write lock, and the coordinator could then not return its
        trials to waiting. Reads stay interruptible: an abandoned read blocks no writer.
        """
        self._check_open()
        with deferred_interrupts(), self._errors(), self._write_engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction (a consistent view on SQLite; rolled back at the end)."""
        self._check_open()
        with self._errors(), self._engine.connect() as conn:
            yield conn

    def _insert_ignore(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT DO NOTHING`` in the engine's dialect."""
        if self._postgres:
            return pg_dialect.insert(table).on_conflict_do_nothing()
        return sqlite_dialect.insert(table).on_conflict_do_nothing()

    # -- life cycle -------------------------------------------------------------------
    def close(self) -> None:
        """Release connections. The ledger is unusable afterwards (closing twice is fine)."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    # -- studies, data, environments, contexts ----------------------------------------
    def upsert_study(self, name: str, *, spec_hash: str, spec_text: str) -> int:
        """Return the id of study ``name``, creating it; record the spec revision if new.

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> ledger.upsert_study("s", spec_hash="a", spec_text="name: s")
            1
        """
        if not name:
            raise LedgerError("study name must be a non-empty string")
        now = _utcnow()
        with self._write() as conn:
            conn.execute(self._insert_ignore(studies).values(name=name, created_at=now))
            study_id = int(
                conn.execute(sa.select(studies.c.id).where(studies.c.name == name)).scalar_one()
            )
            conn.execute(
                self._insert_ignore(study_specs).values(
                    study_id=study_id, spec_hash=spec_hash, spec_text=spec_text, created_at=now
                )
            )
        return study_id

    def get_study_id(self, name: str) -> int | None:
        """Return the id of study ``name`` or None when it does not exist (never writes)."""
        with self._read() as conn:
            value = conn.execute(
                sa.select(studies.c.id).where(studies.c.name == name)
            ).scalar_one_or_none()
        return None if value is None else int(value)

    def get_study_specs(self, study_id: int) -> list[dict[str, Any]]:
        """Return the spec revisions of a study, oldest first.

        Each item holds ``spec_hash``, ``spec_text`` and ``created_at``.

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> sid = ledger.upsert_study("s", spec_hash="a", spec_text="name: s")
            >>> [s["spec_hash"] for s in ledger.get_study_specs(sid)]
            ['a']
        """
        query = (
            sa.select(study_specs.c.spec_hash, study_specs.c.spec_text, study_specs.c.created_at)
            .where(study_specs.c.study_id == study_id)
            .order_by(study_specs.c.created_at, study_specs.c.id)
        )
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def record_dataset_version(
        self,
        *,
        fingerprint: str,
        n_rows: int,
        n_columns: int,
        dtypes: dict[str, str],
        source: str,
    ) -> int:
        """Return the id of the dataset version with this fingerprint, creating it.

        ``fingerprint`` must be a SHA-256 hex digest (64 lowercase hex characters). An
        existing version keeps what was first recorded for it.
        """
        if len(fingerprint) != 64 or not set(fingerprint) <= _HEX64:
            raise LedgerError(
                "dataset fingerprint must be a SHA-256 hex digest (64 lowercase hex "
                f"characters), got {fingerprint!r}"
            )
        with self._write() as conn:
            conn.execute(
                self._insert_ignore(dataset_versions).values(
                    fingerprint=fingerprint,
                    n_rows=int(n_rows),
                    n_columns=int(n_columns),
                    dtypes=dict(dtypes),
                    source=str(source),
                    created_at=_utcnow(),
                )
            )
            return int(
                conn.execute(
                    sa.select(dataset_versions.c.id).where(
                        dataset_versions.c.fingerprint == fingerprint
                    )
                ).scalar_one()
            )

    def record_environment(self, environment: dict[str, Any]) -> int:
        """Return the id of this environment (Python, platform, packages...), creating it.

        Identical dictionaries map to the same id (keyed by the SHA-256 of their canonical
        JSON: sorted keys; values that are not JSON are stored as ``str``).

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> a = ledger.record_environment({"python": "3.12", "numpy": "2.0"})
            >>> a == ledger.record_environment({"numpy": "2.0", "python": "3.12"})
            True
            >>> ledger.get_environment(a)
            {'numpy': '2.0', 'python': '3.12'}
        """
        env_hash, payload = environment_hash(environment)
        with self._write() as conn:
            conn.execute(
                self._insert_ignore(environments).values(
                    env_hash=env_hash, payload=payload, created_at=_utcnow()
                )
            )
            return int(
                conn.execute(
                    sa.select(environments.c.id).where(environments.c.env_hash == env_hash)
                ).scalar_one()
            )

    def get_environment(self, environment_id: int) -> dict[str, Any]:
        """Return the environment dictionary stored under ``environment_id``.

        Raises:
            LedgerError: no environment has this id.
        """
        with self._read() as conn:
            payload = conn.execute(
                sa.select(environments.c.payload).where(environments.c.id == environment_id)
            ).scalar_one_or_none()
        if payload is None:
            raise LedgerError(f"ledger {self.url} has no environment with id {environment_id}")
        value: dict[str, Any] = json.loads(payload)
        return value

    def upsert_context(
        self,
        study_id: int,
        *,
        dataset_version_id: int,
        context_hash: str,
        description: dict[str, Any],
    ) -> tuple[int, bool]:
        """Return ``(context_id, created)`` for this study and context hash.

        An existing context keeps its recorded dataset version and description.
        """
        with self._write() as conn:
            inserted = conn.execute(
                self._insert_ignore(contexts)
                .values(
                    study_id=study_id,
                    dataset_version_id=dataset_version_id,
                    context_hash=context_hash,
                    description=description,
                    created_at=_utcnow(),
                )
                .returning(contexts.c.id)
            ).scalar_one_or_none()
            if inserted is not None:
                return int(inserted), True
            context_id = conn.execute(
                sa.select(contexts.c.id).where(
                    contexts.c.study_id == study_id, contexts.c.context_hash == context_hash
                )
            ).scalar_one()
        return int(context_id), False

    def list_contexts(self, study_id: int) -> list[dict[str, Any]]:
        """Return every context of a study, oldest first.

        Each item has keys ``context_id, context_hash, dataset_version_id, fingerprint,
        description, created_at``.
        """
        query = (
            sa.select(
                contexts.c.id.label("context_id"),
                contexts.c.context_hash,
                contexts.c.dataset_version_id,
                dataset_versions.c.fingerprint,
                contexts.c.description,
                contexts.c.created_at,
            )
            .join(dataset_versions, dataset_versions.c.id == contexts.c.dataset_version_id)
            .where(contexts.c.study_id == study_id)
            .order_by(contexts.c.created_at, contexts.c.id)
        )
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- trials -----------------------------------------------------------------------
    def plan_trials(self, context_id: int, trials: Sequence[PlannedTrial]) -> int:
        """Insert the trials that do not exist yet (state waiting); return how many.

        The keys already in the context are read once and the rest inserted in one
        batch (``ON CONFLICT DO NOTHING`` covers a concurrent planner).

        Example:
            >>> from dataroi.ledger import PlannedTrial, open_ledger
            >>> from dataroi.trial import TrialKey
            >>> ledger = open_ledger("sqlite://")
            >>> sid = ledger.upsert_study("s", spec_hash="a", spec_text="")
            >>> dv = ledger.record_dataset_version(
            ...     fingerprint="f" * 64, n_rows=9, n_columns=2, dtypes={}, source="")
            >>> cid, _ = ledger.upsert_context(
            ...     sid, dataset_version_id=dv, context_hash="c", description={})
            >>> plan = [PlannedTrial(TrialKey("m", n, 0), "h", seed=n) for n in (10, 20)]
            >>> ledger.plan_trials(cid, plan), ledger.plan_trials(cid, plan)
            (2, 0)
        """
        rows: dict[tuple[str, str, int, int], dict[str, Any]] = {}
        for planned in trials:
            key = planned.key
            seed = int(planned.seed)
            if not _SEED_MIN <= seed <= _SEED_MAX:
                raise LedgerError(
                    f"trial {key.as_tuple()}: seed {seed} does not fit a signed 64-bit integer"
                )
            ident = (key.model, planned.model_hash, int(key.n_train), int(key.repeat))
            rows.setdefault(
                ident,
                {
                    "context_id": context_id,
                    "model": key.model,
                    "model_hash": planned.model_hash,
                    "n_train": ident[2],
                    "repeat_index": ident[3],
                    "seed": seed,
                    "state": TrialState.WAITING.value,
                },
            )
        if not rows:
            self._check_open()
            return 0
        now = _utcnow()
        existing_query = sa.select(
            _TRIALS.c.model, _TRIALS.c.model_hash, _TRIALS.c.n_train, _TRIALS.c.repeat_index
        ).where(_TRIALS.c.context_id == context_id)
        with self._write() as conn:
            existing = {tuple(r) for r in conn.execute(existing_query)}
            missing = [
                {**row, "created_at": now} for ident, row in rows.items() if ident not in existing
            ]
            if not missing:
                return 0
            # RETURNING reports exactly the rows inserted (rowcount is unreliable for
            # executemany); a concurrent planner's rows are skipped by ON CONFLICT.
            stmt = self._insert_ignore(_TRIALS).returning(_TRIALS.c.id)
            return len(conn.execute(stmt, missing).all())

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

        A conditional ``UPDATE ... WHERE state = 'waiting' RETURNING``: only rows this call
        moved come back, ordered by repeat, n_train, model. ``limit=None`` claims every
        waiting trial. ``model_hashes`` (model → hash), ``sizes`` (allowed n_train) and
        ``repeats`` (repeat < repeats) restrict the claim to the current plan; an empty
        mapping or sequence matches nothing.
        """
        if not owner:
            raise LedgerError("claim_trials needs a non-empty owner")
        if limit is not None and limit < 0:
            raise LedgerError(f"claim_trials limit must be >= 0 or None, got {limit}")
        self._check_open()
        if limit == 0:
            return []
        order = (
            trials.c.repeat_index,
            trials.c.n_train.desc(),
            trials.c.model,
            trials.c.model_hash,
            trials.c.id,
        )
        candidates = sa.select(trials.c.id).where(
            trials.c.context_id == context_id, trials.c.state == TrialState.WAITING.value
        )
        candidates = candidates.where(*_plan_filter(model_hashes, sizes, repeats))
        candidates = candidates.order_by(*order)
        if limit is not None:
            candidates = candidates.limit(limit)
        now = _utcnow()
        claim = (
            sa.update(trials)
            .values(state=TrialState.RUNNING.value, owner=owner, started_at=now, heartbeat_at=now)
            .returning(*trials.c)
        )
        with self._write() as conn:
            if self._postgres:
                # Lock the candidates first, skipping rows another claimer holds, then move
                # them. (A LIMIT subquery inside the UPDATE may be re-evaluated by the
                # PostgreSQL planner and move more rows than asked for.)
                ids = list(conn.execute(candidates.with_for_update(skip_locked=True)).scalars())
                if not ids:
                    return []
                picked = trials.c.id == sa.any_(sa.bindparam("ids", ids, type_=ARRAY(sa.Integer)))
            else:  # SQLite: the write lock is held from BEGIN IMMEDIATE on; one statement
                picked = trials.c.id.in_(candidates)
            rows = conn.execute(claim.where(picked, trials.c.state == TrialState.WAITING.value))
            claimed = [_snapshot(row) for row in rows]
        claimed.sort(key=lambda s: (s.key.repeat, -s.key.n_train, s.key.model, s.model_hash))
        return claimed

    def finish_trial(
        self,
        trial_id: int,
        result: TrialResult,
        *,
        owner: str,
        environment_id: int | None,
    ) -> bool:
        """Record a result; running → complete/failed only if ``owner`` holds the claim.

        The conditional update and the metric rows are one transaction. Returns False
        (and writes nothing) if the trial is not running under ``owner``. The seed the
        worker reports is stored (it equals the planned seed unless something is wrong).
        ``result.key`` is not compared with the trial's key.

        Raises:
            LedgerError: ``result.state`` is not a finished state.
        """
        state = TrialState(result.state)
        if not state.is_finished:
            raise LedgerError(
                f"finish_trial needs a complete or failed result, got state {state.value!r}"
            )
        now = _utcnow()
        peak, size, rows = result.peak_rss_bytes, result.model_bytes, result.n_predicted
        update = (
            sa.update(trials)
            .where(
                trials.c.id == trial_id,
                trials.c.state == TrialState.RUNNING.value,
                trials.c.owner == owner,
            )
            .values(
                state=state.value,
                seed=int(result.seed),
                finished_at=now,
                heartbeat_at=now,
                fit_seconds=_opt_float(result.fit_seconds),
                predict_seconds=_opt_float(result.predict_seconds),
                cpu_seconds=_opt_float(result.cpu_seconds),
                peak_rss_bytes=None if peak is None else int(peak),
                model_bytes=None if size is None else int(size),
                n_predicted=None if rows is None else int(rows),
                error_type=result.error_type,
                error_message=result.error_message,
                traceback=result.traceback,
                predictions_digest=result.predictions_digest,
                worker=result.worker,
                environment_id=environment_id,
            )
        )
        metric_rows = [
            {"trial_id": trial_id, "name": str(name), "value": _metric_in(value)}
            for name, value in result.metrics.items()
        ]
        with self._write() as conn:
            if conn.execute(update).rowcount != 1:
                return False
            if metric_rows:
                conn.execute(sa.insert(trial_metrics), metric_rows)
        return True

    def add_metrics(self, trial_id: int, metrics: dict[str, float]) -> int:
        """Insert the metrics the complete trial lacks; never overwrite (one transaction).

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> ledger.add_metrics(12345, {"accuracy": 0.9})  # no such complete trial
            0
        """
        if not metrics:
            return 0
        with self._write() as conn:
            return _insert_missing_metrics(conn, trial_id, metrics)

    def add_metrics_many(self, metrics: Mapping[int, Mapping[str, float]]) -> int:
        """:meth:`add_metrics` for many trials in one transaction (all or nothing);
        return how many trials gained values.

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> open_ledger("sqlite://").add_metrics_many({1: {"accuracy": 0.9}})
            0
        """
        if not any(metrics.values()):
            return 0
        with self._write() as conn:
            return sum(1 for trial_id, values in metrics.items()
                       if values and _insert_missing_metrics(conn, trial_id, values))

    def release_trials(self, trial_ids: Sequence[int], *, owner: str) -> int:
        """Return running trials held by ``owner`` to waiting; return how many moved."""
        moved = 0
        self._check_open()
        if not trial_ids:
            return 0
        with self._write() as conn:
            for chunk in _chunks(trial_ids):
                moved += conn.execute(
                    sa.update(trials)
                    .where(
                        trials.c.id.in_(chunk),
                        trials.c.state == TrialState.RUNNING.value,
                        trials.c.owner == owner,
                    )
                    .values(state=TrialState.WAITING.value, **_CLEARED)
                ).rowcount
        return moved

    def release_stale(self, context_id: int, *, older_than_seconds: float) -> int:
        """Return running trials whose heartbeat is older than the limit to waiting.

        A running trial without a heartbeat counts as stale.
        """
        cutoff = _utcnow() - dt.timedelta(seconds=float(older_than_seconds))
        stmt = (
            sa.update(trials)
            .where(
                trials.c.context_id == context_id,
                trials.c.state == TrialState.RUNNING.value,
                sa.or_(trials.c.heartbeat_at.is_(None), trials.c.heartbeat_at < cutoff),
            )
            .values(state=TrialState.WAITING.value, **_CLEARED)
        )
        with self._write() as conn:
            return int(conn.execute(stmt).rowcount)

    def heartbeat(self, owner: str) -> None:
        """Refresh the heartbeat of every trial running under ``owner``."""
        stmt = (
            sa.update(trials)
            .where(trials.c.owner == owner, trials.c.state == TrialState.RUNNING.value)
            .values(heartbeat_at=_utcnow())
        )
        with self._write() as conn:
            conn.execute(stmt)

    def reset_failed(self, context_id: int) -> int:
        """Move failed trials back to waiting (an explicit retry); return how many.

        Their error, timings and any metrics are cleared in the same transaction.
        """
        failed = sa.select(trials.c.id).where(
            trials.c.context_id == context_id, trials.c.state == TrialState.FAILED.value
        )
        with self._write() as conn:
            conn.execute(sa.delete(trial_metrics).where(trial_metrics.c.trial_id.in_(failed)))
            return int(
                conn.execute(
                    sa.update(trials)
                    .where(
                        trials.c.context_id == context_id,
                        trials.c.state == TrialState.FAILED.value,
                    )
                    .values(state=TrialState.WAITING.value, **_CLEARED)
                ).rowcount
            )

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

        ``extra`` holds: fit_seconds, predict_seconds, cpu_seconds, peak_rss_bytes,
        model_bytes, n_predicted, error_type, error_message, traceback,
        predictions_digest, worker, owner, environment_id, created_at, started_at,
        heartbeat_at, finished_at (datetimes, UTC). Metrics that were NaN come back as
        ``float('nan')``. ``model_hashes``, ``sizes`` and ``repeats`` filter as in
        :meth:`claim_trials`.
        """
        conditions: list[sa.ColumnElement[bool]] = [trials.c.context_id == context_id]
        if states is not None:
            conditions.append(trials.c.state.in_([TrialState(s).value for s in states]))
        conditions.extend(_plan_filter(model_hashes, sizes, repeats))
        trial_query = (
            sa.select(trials)
            .where(*conditions)
            .order_by(
                trials.c.model,
                trials.c.n_train,
                trials.c.repeat_index,
                trials.c.model_hash,
                trials.c.id,
            )
        )
        metric_query = (
            sa.select(trial_metrics.c.trial_id, trial_metrics.c.name, trial_metrics.c.value)
            .join(trials, trials.c.id == trial_metrics.c.trial_id)
            .where(*conditions)
            .order_by(trial_metrics.c.trial_id, trial_metrics.c.name)
        )
        with self._read() as conn:
            rows = conn.execute(trial_query).all()
            metrics: dict[int, dict[str, float]] = {}
            for trial_id, name, value in conn.execute(metric_query):
                metrics.setdefault(int(trial_id), {})[name] = _metric_out(value)
        return [_snapshot(row, metrics.get(int(row.id))) for row in rows]

    def state_counts(self, context_id: int) -> dict[TrialState, int]:
        """Return the number of trials in each state (every state present, maybe 0)."""
        query = (
            sa.select(trials.c.state, sa.func.count())
            .where(trials.c.context_id == context_id)
            .group_by(trials.c.state)
        )
        counts = dict.fromkeys(TrialState, 0)
        with self._read() as conn:
            for state, count in conn.execute(query):
                counts[TrialState(state)] = int(count)
        return counts

    def trial_counts(
        self,
        context_id: int,
        *,
        model_hashes: dict[str, str] | None = None,
        sizes: Sequence[int] | None = None,
        repeats: int | None = None,
    ) -> list[tuple[str, TrialState, str | None, int]]:
        """Count trials by (model, state, owner of running trials) with one GROUP BY.

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> sid = ledger.upsert_study("s", spec_hash="h", spec_text="")
            >>> dv = ledger.record_dataset_version(fingerprint="0" * 64, n_rows=1,
            ...     n_columns=1, dtypes={}, source="x")
            >>> cid, _ = ledger.upsert_context(sid, dataset_version_id=dv, context_hash="c",
            ...                                description={})
            >>> ledger.plan_trials(cid, [PlannedTrial(TrialKey("m", 10, r), "h", r)
            ...                          for r in range(3)])
            3
            >>> ledger.trial_counts(cid)
            [('m', <TrialState.WAITING: 'waiting'>, None, 3)]
        """
        owner = sa.case((trials.c.state == TrialState.RUNNING.value, trials.c.owner),
                        else_=sa.null())
        conditions = [trials.c.context_id == context_id,
                      *_plan_filter(model_hashes, sizes, repeats)]
        query = (
            sa.select(trials.c.model, trials.c.state, owner, sa.func.count())
            .where(*conditions)
            .group_by(trials.c.model, trials.c.state, owner)
            .order_by(trials.c.model, trials.c.state)
        )
        with self._read() as conn:
            return [(str(model), TrialState(state), own, int(count))
                    for model, state, own, count in conn.execute(query)]

    def overview(self) -> dict[str, list[dict[str, Any]]]:
        """Every study at a glance (see :meth:`BaseLedger.overview`).

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> sid = ledger.upsert_study("s", spec_hash="h", spec_text="name: s")
            >>> o = ledger.overview()
            >>> [(s["name"], s["spec_hash"]) for s in o["studies"]], o["contexts"]
            ([('s', 'h')], [])
        """
        latest = (sa.select(study_specs.c.study_id, sa.func.max(study_specs.c.id).label("id"))
                  .group_by(study_specs.c.study_id).subquery())
        q_studies = (
            sa.select(studies.c.id, studies.c.name, studies.c.created_at,
                      study_specs.c.spec_hash, study_specs.c.spec_text)
            .select_from(studies.outerjoin(latest, latest.c.study_id == studies.c.id)
                         .outerjoin(study_specs, study_specs.c.id == latest.c.id))
            .order_by(studies.c.id))
        finished = trials.c.state.in_([TrialState.COMPLETE.value, TrialState.FAILED.value])
        q_counts = (
            sa.select(trials.c.context_id, trials.c.state, sa.func.count(),
                      sa.func.sum(sa.case((finished, trials.c.cpu_seconds), else_=None)),
                      sa.func.sum(sa.case((finished, trials.c.fit_seconds), else_=None)),
                      sa.func.min(trials.c.finished_at), sa.func.max(trials.c.finished_at))
            .group_by(trials.c.context_id, trials.c.state))
        q_contexts = (
            sa.select(contexts.c.id, contexts.c.study_id, contexts.c.created_at,
                      contexts.c.description, dataset_versions.c.fingerprint,
                      dataset_versions.c.n_rows)
            .select_from(contexts.join(dataset_versions,
                                       dataset_versions.c.id == contexts.c.dataset_version_id))
            .order_by(contexts.c.created_at, contexts.c.id))
        q_cells = (
            sa.select(trials.c.context_id, trials.c.model, trials.c.n_train,
                      trial_metrics.c.name, sa.func.avg(trial_metrics.c.value),
                      sa.func.count(trial_metrics.c.value))
            .select_from(trials.join(trial_metrics, trial_metrics.c.trial_id == trials.c.id))
            .where(trials.c.state == TrialState.COMPLETE.value)
            .group_by(trials.c.context_id, trials.c.model, trials.c.n_train,
                      trial_metrics.c.name))
        with self._read() as conn:
            out_studies = [{"study_id": int(i), "name": str(n), "created_at": c,
                            "spec_hash": h, "spec_text": t}
                           for i, n, c, h, t in conn.execute(q_studies)]
            per: dict[int, dict[str, Any]] = {}
            for cid, state, n, cpu, fit, first, last in conn.execute(q_counts):
                d = per.setdefault(int(cid), {"counts": {}, "cpu_seconds": 0.0,
                                              "fit_seconds": 0.0, "first_finished_at": None,
                                              "last_finished_at": None})
                d["counts"][str(state)] = int(n)
                d["cpu_seconds"] += float(cpu or 0.0)
                d["fit_seconds"] += float(fit or 0.0)
                if first is not None:
                    d["first_finished_at"] = min(x for x in (first, d["first_finished_at"])
                                                 if x is not None)
                if last is not None:
                    d["last_finished_at"] = max(x for x in (last, d["last_finished_at"])
                                                if x is not None)
            out_contexts = []
            for cid, sid, created, desc, fp, rows in conn.execute(q_contexts):
                empty = {"counts": {}, "cpu_seconds": 0.0, "fit_seconds": 0.0,
                         "first_finished_at": None, "last_finished_at": None}
                out_contexts.append({"context_id": int(cid), "study_id": int(sid),
                                     "created_at": created, "description": desc,
                                     "fingerprint": fp, "n_rows": int(rows),
                                     **per.get(int(cid), empty)})
            cells = [{"context_id": int(cid), "model": str(m), "n_train": int(n),
                      "metric": str(name), "mean": None if mean is None else float(mean),
                      "n": int(cnt)}
                     for cid, m, n, name, mean, cnt in conn.execute(q_cells)]
        return {"studies": out_studies, "contexts": out_contexts, "cells": cells}

    # -- reproductions ----------------------------------------------------------------
    def record_reproduction(self, context_id: int, summary: dict[str, Any]) -> int:
        """Store the summary of a ``dataroi reproduce`` run; return its id."""
        with self._write() as conn:
            return int(
                conn.execute(
                    sa.insert(reproductions)
                    .values(context_id=context_id, summary=summary, created_at=_utcnow())
                    .returning(reproductions.c.id)
                ).scalar_one()
            )

    def list_reproductions(self, context_id: int) -> list[dict[str, Any]]:
        """Return stored reproduction summaries, oldest first.

        Each item is the stored ``summary`` plus ``reproduction_id`` and ``created_at``.
        """
        query = (
            sa.select(reproductions.c.id, reproductions.c.summary, reproductions.c.created_at)
            .where(reproductions.c.context_id == context_id)
            .order_by(reproductions.c.created_at, reproductions.c.id)
        )
        with self._read() as conn:
            return [
                {**summary, "reproduction_id": int(rid), "created_at": created_at}
                for rid, summary, created_at in conn.execute(query)
            ]

    # -- documents --------------------------------------------------------------------
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

        The payload is stored as :func:`document_payload` makes it: NaN and infinities
        become null, NumPy values plain Python, key order is not kept; a value that is not
        JSON raises :class:`LedgerError` naming its key, and nothing is written. Documents
        are never updated; they are deleted only with their study or context (cascade).
        ``study_id`` and ``context_id`` are stored as given (a context's study is not
        filled in); when both are given, the context must belong to that study.

        Args:
            kind: what the document is, e.g. ``"decision_rule"``, ``"recommendation"``.
            payload: the document, a JSON-like dict with string keys.
            study_id: the study it belongs to, if any.
            context_id: the context it belongs to, if any.
            content_hash: a hash identifying the content (e.g. of a decision rule), to find
                the document again with :meth:`list_documents`.

        Returns:
            The id of the new document.

        Raises:
            LedgerError: an empty ``kind``, a payload that is not JSON, an unknown study
                or context, or a context of another study.

        Example:
            >>> import math
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> sid = ledger.upsert_study("s", spec_hash="a", spec_text="")
            >>> ledger.record_document(
            ...     "decision_rule", {"target": 0.9, "gap": math.nan}, study_id=sid,
            ...     content_hash="r1")
            1
            >>> [doc] = ledger.list_documents("decision_rule", content_hash="r1")
            >>> doc["payload"], doc["study_id"], doc["context_id"]
            ({'gap': None, 'target': 0.9}, 1, None)
        """
        row = {
            "kind": _check_kind(kind),
            "study_id": _opt_id(study_id, "study_id"),
            "context_id": _opt_id(context_id, "context_id"),
            "content_hash": _check_content_hash(content_hash),
            "payload": document_payload(payload),
        }
        with self._write() as conn:
            if row["study_id"] is not None:
                found = conn.execute(
                    sa.select(studies.c.id).where(studies.c.id == row["study_id"])
                ).scalar_one_or_none()
                if found is None:
                    raise LedgerError(f"ledger {self.url} has no study with id {study_id}")
            if row["context_id"] is not None:
                owner = conn.execute(
                    sa.select(contexts.c.study_id).where(contexts.c.id == row["context_id"])
                ).scalar_one_or_none()
                if owner is None:
                    raise LedgerError(f"ledger {self.url} has no context with id {context_id}")
                if row["study_id"] is not None and int(owner) != row["study_id"]:
                    raise LedgerError(
                        f"context {context_id} belongs to study {owner}, not to study "
                        f"{study_id}; pass the context's study (or no study_id)"
                    )
            return int(
                conn.execute(
                    sa.insert(documents)
                    .values(**row, created_at=_utcnow())
                    .returning(documents.c.id)
                ).scalar_one()
            )

    def list_documents(
        self,
        kind: str,
        *,
        study_id: int | None = None,
        context_id: int | None = None,
        content_hash: str | None = None,
    ) -> list[dict[str, Any]]:
        """Return documents of ``kind`` (filtered when arguments are given), oldest first.

        Each item is a new dictionary with ``document_id, kind, study_id, context_id,
        content_hash, payload, created_at`` (UTC, timezone-aware); changing it does not
        change the ledger. A filter left at None matches every value (None included).

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> ledger = open_ledger("sqlite://")
            >>> first = ledger.record_document("note", {"text": "one"})
            >>> second = ledger.record_document("note", {"text": "two"}, content_hash="h2")
            >>> [d["payload"]["text"] for d in ledger.list_documents("note")]
            ['one', 'two']
            >>> [d["document_id"] for d in ledger.list_documents("note", content_hash="h2")]
            [2]
            >>> ledger.list_documents("other")
            []
        """
        conditions: list[sa.ColumnElement[bool]] = [documents.c.kind == _check_kind(kind)]
        wanted_study = _opt_id(study_id, "study_id")
        if wanted_study is not None:
            conditions.append(documents.c.study_id == wanted_study)
        wanted_context = _opt_id(context_id, "context_id")
        if wanted_context is not None:
            conditions.append(documents.c.context_id == wanted_context)
        if _check_content_hash(content_hash) is not None:
            conditions.append(documents.c.content_hash == content_hash)
        query = (
            sa.select(
                documents.c.id.label("document_id"),
                documents.c.kind,
                documents.c.study_id,
                documents.c.context_id,
                documents.c.content_hash,
                documents.c.payload,
                documents.c.created_at,
            )
            .where(*conditions)
            .order_by(documents.c.created_at, documents.c.id)
        )
        with self._read() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # -- schema -----------------------------------------------------------------------
    def schema_version(self) -> str:
        """Return the schema revision of the store (the alembic revision id).

        Example:
            >>> from dataroi.ledger import open_ledger
            >>> open_ledger("sqlite://").schema_version()
            '0003'
        """
        with self._read() as conn:
            return str(
                conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one()
            )
