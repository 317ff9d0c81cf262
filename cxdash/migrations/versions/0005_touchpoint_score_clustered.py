"""touchpoint scores stored in their primary key's order on SQLite (WITHOUT ROWID)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 22:00:00

A rowid table with a two-column primary key keeps every score twice: in the table and in the key's index. Stored
by the key itself, 22 million scores take 1.2 GB instead of 2.0 GB, an import writes one tree instead of two, and
reading a response's scores is one seek. PostgreSQL has no such option and is left as it is.
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _rebuild(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_table(
        "touchpoint_score_new",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("p", sa.Float(), nullable=True),
        sa.Column("e", sa.Float(), nullable=True),
        sa.Column("importance", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["response_id"], ["survey_response.id"],
                                name="fk_touchpoint_score_response_id_survey_response", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["touchpoint_id"], ["touchpoint.id"],
                                name="fk_touchpoint_score_touchpoint_id_touchpoint"),
        sa.PrimaryKeyConstraint("response_id", "touchpoint_id", name="pk_touchpoint_score"),
        sqlite_with_rowid=with_rowid,
    )
    op.execute("INSERT INTO touchpoint_score_new (response_id, touchpoint_id, p, e, importance) "
               "SELECT response_id, touchpoint_id, p, e, importance FROM touchpoint_score "
               "ORDER BY response_id, touchpoint_id")
    op.drop_index("ix_touchpoint_score_tp", table_name="touchpoint_score")
    op.drop_table("touchpoint_score")
    op.rename_table("touchpoint_score_new", "touchpoint_score")
    op.create_index("ix_touchpoint_score_tp", "touchpoint_score", ["touchpoint_id"], unique=False)


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
