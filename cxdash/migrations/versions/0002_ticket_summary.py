"""ticket summary: SLA outcome counts and business-time histograms per grain of creation day or month

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 12:40:00

A database already holding tickets gets a freshness record asking for a rebuild instead of summary rows: readers
take the raw tickets (slower, never wrong) and the next summary refresh rebuilds every month with the code of its
own day (a migration runs only the SQL written here, never today's summary code).
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

KEYS = (("region_id", sa.Integer()), ("site_id", sa.Integer()), ("team_id", sa.Integer()),
        ("channel", sa.String(length=64)), ("segment", sa.String(length=64)), ("priority", sa.String(length=32)),
        ("category", sa.String(length=100)))
COUNTS = ("frt_met", "frt_late", "res_met", "res_late", "resolved", "ftf", "was_resolved", "reopened", "repeats",
          "chased", "merged")


def _keys() -> list[sa.Column]:
    return [sa.Column("grain", sa.SmallInteger(), nullable=False), sa.Column("period", sa.Date(), nullable=False),
            *[sa.Column(name, kind, nullable=True) for name, kind in KEYS]]


def upgrade() -> None:
    op.create_table(
        "ticket_summary",
        *_keys(),
        sa.Column("n", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
    )
    op.create_index("ix_ticket_summary_grain_period", "ticket_summary", ["grain", "period"], unique=False)
    op.create_table(
        "ticket_time_summary",
        *_keys(),
        sa.Column("measure", sa.SmallInteger(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_index("ix_ticket_time_summary_grain_period", "ticket_time_summary", ["grain", "period"], unique=False)
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM ticket LIMIT 1")).first() is None:
        return  # nothing to sum: the first ticket load builds the summaries (a fresh database stays untouched)
    op.execute("DELETE FROM setting WHERE key = 'ticket_summary_state'")
    op.execute("""INSERT INTO setting (key, value) VALUES ('ticket_summary_state', '{"rebuild": true}')""")


def downgrade() -> None:
    op.drop_index("ix_ticket_time_summary_grain_period", table_name="ticket_time_summary")
    op.drop_table("ticket_time_summary")
    op.drop_index("ix_ticket_summary_grain_period", table_name="ticket_summary")
    op.drop_table("ticket_summary")
