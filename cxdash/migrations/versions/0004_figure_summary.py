"""figure summary: the overview's survey aggregates per day or month, site and team

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-30 12:30:00

Summaries built before this revision lack the new table's rows, so their freshness record becomes a request for a
rebuild: readers take the raw responses (slower, never wrong) and the next summary refresh rebuilds every month
with the code of its own day (a migration runs only the SQL written here, never today's summary code).
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTS = ("nps_n", "nps_promoters", "nps_detractors", "csat_n", "csat_k", "ces_n", "ces_easy",
          "tier_n", "tier_disappointed", "tier_basic", "tier_delighted", "tier_none",
          "contacts_n", "contacts_k", "transfers_n", "transfers_k", "repeated_n", "repeated_k")


def upgrade() -> None:
    op.create_table(
        "figure_summary",
        sa.Column("grain", sa.SmallInteger(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("segment", sa.String(length=64), nullable=True),
        *[sa.Column(name, sa.Integer(), nullable=True) for name in COUNTS],
        sa.Column("ces_sum", sa.Float(), nullable=True),
        sa.Column("ces_sumsq", sa.Float(), nullable=True),
    )
    op.create_index("ix_figure_summary_grain_date", "figure_summary", ["grain", "visit_date"], unique=False)
    op.execute("""UPDATE setting SET value = '{"rebuild": true}' WHERE key = 'summary_state'""")


def downgrade() -> None:
    op.drop_index("ix_figure_summary_grain_date", table_name="figure_summary")
    op.drop_table("figure_summary")
