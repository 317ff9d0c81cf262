"""region grains in the response summaries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00

The touchpoint, response and figure summaries gain three grains kept per region only (day; month; month x channel
x segment), which brand-wide selections read instead of every site's and team's rows. The summaries' format
changes with them, so the freshness record of summaries stored by an earlier version becomes a request for a
rebuild: readers take the raw rows (slower, never wrong) and the next summary refresh rebuilds every month with the
code of its own day (a migration runs only the SQL written here, never today's summary code). A database without
summaries is left as it was.
"""
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""UPDATE setting SET value = '{"rebuild": true}' WHERE key = 'summary_state'""")


def downgrade() -> None:
    # An earlier version would add the region rows into its own sums; without its state record it reads the raw
    # rows (slower, never wrong) until its next load rebuilds the summaries.
    op.execute("DELETE FROM touchpoint_summary WHERE grain >= 3")
    op.execute("DELETE FROM response_summary WHERE grain >= 3")
    op.execute("DELETE FROM figure_summary WHERE grain >= 3")
    op.execute("DELETE FROM setting WHERE key = 'summary_state'")
