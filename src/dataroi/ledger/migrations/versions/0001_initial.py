"""Initial ledger schema: studies, data versions, environments, contexts, trials, metrics.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

The tables are spelled out here (not imported from ``_schema``) so that this revision
keeps creating the same schema after ``_schema`` moves on; a test checks that the head of
the migrations matches ``dataroi.ledger._schema.metadata``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def _ts(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Create every ledger table."""
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_studies"),
        sa.UniqueConstraint("name", name="uq_studies_name"),
    )
    op.create_table(
        "study_specs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer, nullable=False),
        sa.Column("spec_hash", sa.String(), nullable=False),
        sa.Column("spec_text", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_study_specs"),
        sa.ForeignKeyConstraint(
            ["study_id"],
            ["studies.id"],
            name="fk_study_specs_study_id_studies",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("study_id", "spec_hash", name="uq_study_specs_study_id_spec_hash"),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        sa.Column("n_columns", sa.Integer, nullable=False),
        sa.Column("dtypes", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_versions"),
        sa.UniqueConstraint("fingerprint", name="uq_dataset_versions_fingerprint"),
    )
    op.create_table(
        "environments",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("env_hash", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_environments"),
        sa.UniqueConstraint("env_hash", name="uq_environments_env_hash"),
    )
    op.create_table(
        "contexts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("study_id", sa.Integer, nullable=False),
        sa.Column("dataset_version_id", sa.Integer, nullable=False),
        sa.Column("context_hash", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contexts"),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name="fk_contexts_study_id_studies", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name="fk_contexts_dataset_version_id_dataset_versions",
        ),
        sa.UniqueConstraint("study_id", "context_hash", name="uq_contexts_study_id_context_hash"),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("context_id", sa.Integer, nullable=False),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("model_hash", sa.String(), nullable=False),
        sa.Column("n_train", sa.Integer, nullable=False),
        sa.Column("repeat_index", sa.Integer, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(), nullable=True),
        _ts("heartbeat_at"),
        _ts("created_at", nullable=False),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("fit_seconds", sa.Float, nullable=True),
        sa.Column("predict_seconds", sa.Float, nullable=True),
        sa.Column("cpu_seconds", sa.Float, nullable=True),
        sa.Column("peak_rss_bytes", sa.BigInteger, nullable=True),
        sa.Column("error_type", sa.String(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("predictions_digest", sa.String(), nullable=True),
        sa.Column("worker", sa.String(), nullable=True),
        sa.Column("environment_id", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_trials"),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_trials_context_id_contexts",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environments.id"],
            name="fk_trials_environment_id_environments",
        ),
        sa.UniqueConstraint(
            "context_id", "model", "model_hash", "n_train", "repeat_index", name="uq_trials_key"
        ),
        sa.CheckConstraint(
            "state IN ('waiting', 'running', 'complete', 'failed')", name="ck_trials_state"
        ),
    )
    op.create_index("ix_trials_context_id_state", "trials", ["context_id", "state"])
    op.create_index("ix_trials_owner_state", "trials", ["owner", "state"])
    op.create_table(
        "trial_metrics",
        sa.Column("trial_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.PrimaryKeyConstraint("trial_id", "name", name="pk_trial_metrics"),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trials.id"],
            name="fk_trial_metrics_trial_id_trials",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "reproductions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("context_id", sa.Integer, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        _ts("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reproductions"),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_reproductions_context_id_contexts",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    """Drop every ledger table."""
    op.drop_table("reproductions")
    op.drop_table("trial_metrics")
    op.drop_index("ix_trials_owner_state", table_name="trials")
    op.drop_index("ix_trials_context_id_state", table_name="trials")
    op.drop_table("trials")
    op.drop_table("contexts")
    op.drop_table("environments")
    op.drop_table("dataset_versions")
    op.drop_table("study_specs")
    op.drop_table("studies")
