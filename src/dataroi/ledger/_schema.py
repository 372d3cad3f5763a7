"""The ledger's tables, as SQLAlchemy Core metadata (the schema at the migrations' head).

The tables are the single source the SQL ledger queries; the alembic migrations in
``dataroi/ledger/migrations`` create exactly this schema (a test compares them). Every
constraint has an explicit name so that SQLite batch migrations can address it.

Timestamps are timezone-aware UTC datetimes in Python. PostgreSQL stores them as
``timestamptz``; SQLite stores naive UTC text, and :class:`UTCDateTime` puts the UTC zone
back on read. JSON payloads are stored as text (identical on both back ends).

Example:
    >>> from dataroi.ledger._schema import metadata
    >>> sorted(metadata.tables)[:4]
    ['contexts', 'dataset_versions', 'documents', 'environments']
    >>> "repeat_index" in metadata.tables["trials"].c
    True
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from dataroi.exceptions import UsageError

__all__ = [
    "TRIAL_STATES",
    "VERSION_TABLE",
    "JSONText",
    "UTCDateTime",
    "contexts",
    "dataset_versions",
    "documents",
    "environments",
    "metadata",
    "reproductions",
    "studies",
    "study_specs",
    "trial_metrics",
    "trials",
]

#: Name of alembic's version table in a ledger (distinct from a user's own alembic table).
VERSION_TABLE = "dataroi_alembic_version"

#: Every value the ``trials.state`` column may hold (mirrors :class:`dataroi.trial.TrialState`).
TRIAL_STATES: tuple[str, ...] = ("waiting", "running", "complete", "failed")

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp that is always a timezone-aware UTC ``datetime`` in Python.

    Naive datetimes are rejected on write (their zone is unknown). SQLite keeps naive UTC
    text, PostgreSQL ``timestamptz``; both read back as aware UTC.

    Example:
        >>> import datetime as dt
        >>> from sqlalchemy.dialects import sqlite
        >>> t = UTCDateTime()
        >>> when = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
        >>> t.process_bind_param(when, sqlite.dialect()).tzinfo is None
        True
        >>> t.process_result_value(dt.datetime(2024, 1, 1, 12), sqlite.dialect()) == when
        True
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert an aware datetime to UTC (naive UTC for SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise UsageError(f"ledger timestamps must be timezone-aware, got naive {value!r}")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return the stored timestamp as an aware UTC datetime."""
        if value is None:
            return None
        if isinstance(value, str):  # pragma: no cover - defensive, drivers return datetimes
            value = dt.datetime.fromisoformat(value)
        stamp: dt.datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=dt.UTC)
        return stamp.astimezone(dt.UTC)


class JSONText(TypeDecorator[Any]):
    """A JSON document stored as text (same on SQLite and PostgreSQL).

    Example:
        >>> from sqlalchemy.dialects import sqlite
        >>> JSONText().process_bind_param({"b": 1, "a": [1, 2]}, sqlite.dialect())
        '{"a": [1, 2], "b": 1}'
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Serialise ``value`` to JSON text with sorted keys."""
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, default=str)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Parse the stored JSON text."""
        if value is None:
            return None
        return json.loads(value)


metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _created_at() -> sa.Column[dt.datetime]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


studies = sa.Table(
    "studies",
    metadata,
    _id(),
    sa.Column("name", sa.String(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("name", name="uq_studies_name"),
)

study_specs = sa.Table(
    "study_specs",
    metadata,
    _id(),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.id", name="fk_study_specs_study_id_studies", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("spec_hash", sa.String(), nullable=False),
    sa.Column("spec_text", sa.Text(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("study_id", "spec_hash", name="uq_study_specs_study_id_spec_hash"),
)

dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
    _id(),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("n_rows", sa.BigInteger, nullable=False),
    sa.Column("n_columns", sa.Integer, nullable=False),
    sa.Column("dtypes", JSONText(), nullable=False),
    sa.Column("source", sa.Text(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("fingerprint", name="uq_dataset_versions_fingerprint"),
)

environments = sa.Table(
    "environments",
    metadata,
    _id(),
    sa.Column("env_hash", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("env_hash", name="uq_environments_env_hash"),
)

contexts = sa.Table(
    "contexts",
    metadata,
    _id(),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.id", name="fk_contexts_study_id_studies", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "dataset_version_id",
        sa.Integer,
        sa.ForeignKey(
            "dataset_versions.id", name="fk_contexts_dataset_version_id_dataset_versions"
        ),
        nullable=False,
    ),
    sa.Column("context_hash", sa.String(), nullable=False),
    sa.Column("description", JSONText(), nullable=False),
    _created_at(),
    sa.UniqueConstraint("study_id", "context_hash", name="uq_contexts_study_id_context_hash"),
)

trials = sa.Table(
    "trials",
    metadata,
    _id(),
    sa.Column(
        "context_id",
        sa.Integer,
        sa.ForeignKey("contexts.id", name="fk_trials_context_id_contexts", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("model", sa.String(), nullable=False),
    sa.Column("model_hash", sa.String(), nullable=False),
    sa.Column("n_train", sa.Integer, nullable=False),
    sa.Column("repeat_index", sa.Integer, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(), nullable=True),
    sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
    _created_at(),
    sa.Column("started_at", UTCDateTime(), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("fit_seconds", sa.Float, nullable=True),
    sa.Column("predict_seconds", sa.Float, nullable=True),
    sa.Column("cpu_seconds", sa.Float, nullable=True),
    sa.Column("peak_rss_bytes", sa.BigInteger, nullable=True),
    # the pickled model's size and the test rows predicted; added in revision 0003
    sa.Column("model_bytes", sa.BigInteger, nullable=True),
    sa.Column("n_predicted", sa.Integer, nullable=True),
    sa.Column("error_type", sa.String(), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
    sa.Column("traceback", sa.Text(), nullable=True),
    sa.Column("predictions_digest", sa.String(), nullable=True),
    sa.Column("worker", sa.String(), nullable=True),
    sa.Column(
        "environment_id",
        sa.Integer,
        sa.ForeignKey("environments.id", name="fk_trials_environment_id_environments"),
        nullable=True,
    ),
    sa.UniqueConstraint(
        "context_id", "model", "model_hash", "n_train", "repeat_index", name="uq_trials_key"
    ),
    sa.CheckConstraint(
        "state IN ('waiting', 'running', 'complete', 'failed')", name="ck_trials_state"
    ),
    sa.Index("ix_trials_context_id_state", "context_id", "state"),
    sa.Index("ix_trials_owner_state", "owner", "state"),
)

trial_metrics = sa.Table(
    "trial_metrics",
    metadata,
    sa.Column(
        "trial_id",
        sa.Integer,
        sa.ForeignKey("trials.id", name="fk_trial_metrics_trial_id_trials", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(), nullable=False),
    # NaN is stored as NULL (portable) and read back as float("nan").
    sa.Column("value", sa.Float, nullable=True),
    sa.PrimaryKeyConstraint("trial_id", "name", name="pk_trial_metrics"),
)

reproductions = sa.Table(
    "reproductions",
    metadata,
    _id(),
    sa.Column(
        "context_id",
        sa.Integer,
        sa.ForeignKey(
            "contexts.id", name="fk_reproductions_context_id_contexts", ondelete="CASCADE"
        ),
        nullable=False,
    ),
    sa.Column("summary", JSONText(), nullable=False),
    _created_at(),
)

# Immutable JSON documents of later layers (decision rules, recommendations, impact
# assessments), optionally tied to a study and/or a context. Added in revision 0002.
documents = sa.Table(
    "documents",
    metadata,
    _id(),
    sa.Column("kind", sa.String(), nullable=False),
    sa.Column(
        "study_id",
        sa.Integer,
        sa.ForeignKey("studies.id", name="fk_documents_study_id_studies", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column(
        "context_id",
        sa.Integer,
        sa.ForeignKey("contexts.id", name="fk_documents_context_id_contexts", ondelete="CASCADE"),
        nullable=True,
    ),
    sa.Column("content_hash", sa.String(), nullable=True),
    sa.Column("payload", JSONText(), nullable=False),
    _created_at(),
    sa.Index("ix_documents_kind_study_id", "kind", "study_id"),
    sa.Index("ix_documents_kind_content_hash", "kind", "content_hash"),
)
