"""Add the ``documents`` table: immutable JSON documents (decision rules, recommendations...).

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01

Spelled out here (not imported from ``_schema``) for the same reason as ``0001``: this
revision must keep creating the same table after ``_schema`` moves on. Only a new table is
created, so existing rows are untouched (no batch copy on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    """Create the ``documents`` table and its two indexes."""
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("study_id", sa.Integer, nullable=True),
        sa.Column("context_id", sa.Integer, nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(
            ["study_id"], ["studies.id"], name="fk_documents_study_id_studies", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name="fk_documents_context_id_contexts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_documents_kind_study_id", "documents", ["kind", "study_id"])
    op.create_index("ix_documents_kind_content_hash", "documents", ["kind", "content_hash"])


def downgrade() -> None:
    """Drop the ``documents`` table (and its documents)."""
    op.drop_index("ix_documents_kind_content_hash", table_name="documents")
    op.drop_index("ix_documents_kind_study_id", table_name="documents")
    op.drop_table("documents")
