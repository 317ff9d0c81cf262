"""KPI target notes and history

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 02:30:00

Targets become editable (the Targets page and ``python -m cxdash targets``): each target keeps the note of its
last change, and every change (set, replace, close, end, withdraw) is kept with who, when, the values and validity
dates before and after, and its note.
"""
import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite 3.35+ drops columns): a batch copy would drop a table others may reference.
    op.add_column("kpi_target", sa.Column("note", sa.String(length=500), nullable=True))
    op.create_table(
        "kpi_target_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("kpi", sa.String(length=64), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("old_value", sa.Float(), nullable=True),
        sa.Column("new_value", sa.Float(), nullable=True),
        sa.Column("old_from", sa.Date(), nullable=True),
        sa.Column("old_to", sa.Date(), nullable=True),
        sa.Column("new_from", sa.Date(), nullable=True),
        sa.Column("new_to", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_target_history")),
    )
    op.create_index("ix_kpi_target_history_kpi_scope", "kpi_target_history", ["kpi", "scope_kind", "scope_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_kpi_target_history_kpi_scope", table_name="kpi_target_history")
    op.drop_table("kpi_target_history")
    op.drop_column("kpi_target", "note")
