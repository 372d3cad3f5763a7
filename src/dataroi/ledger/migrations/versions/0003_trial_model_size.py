"""Add ``trials.model_bytes`` and ``trials.n_predicted``: model size and rows predicted.

Revision ID: 0003
Revises: 0002
Create Date: 2024-07-15

``model_bytes`` is the size of the fitted estimator pickled with the highest protocol and
``n_predicted`` the number of test rows predicted in ``predict_seconds``; together they
give the decision layer model size and inference latency per 1,000 rows.

Spelled out here (not imported from ``_schema``) for the same reason as ``0001``. Both
columns are nullable without a default, so a plain ``ALTER TABLE ... ADD COLUMN`` adds
them on both back ends: existing rows are untouched (no batch copy of ``trials`` on
SQLite) and read back as NULL (unknown) for trials recorded before this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """Add the two nullable columns to ``trials``."""
    op.add_column("trials", sa.Column("model_bytes", sa.BigInteger, nullable=True))
    op.add_column("trials", sa.Column("n_predicted", sa.Integer, nullable=True))


def downgrade() -> None:
    """Drop the two columns (and the values recorded in them).

    On SQLite the batch operation copies ``trials``: run it with foreign keys off, or the
    copy's drop of the old table cascades to ``trial_metrics``.
    """
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("n_predicted")
        batch.drop_column("model_bytes")
