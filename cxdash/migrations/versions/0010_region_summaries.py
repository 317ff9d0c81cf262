"""region grains in the response summaries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00

The touchpoint, response and figure summaries gain three grains kept per region only (day; month; month x channel
x segment), which brand-wide selections read instead of every site's and team's rows. The summaries' format
changes with them, so summaries stored by an earlier version are rebuilt here from the responses (minutes at a
million responses, once); a database without summaries is left as it was.
"""
from alembic import op


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from cxdash.db import get_setting
    from cxdash.summaries import refresh_summaries
    from cxdash.summaries.common import STATE_KEY

    conn = op.get_bind()
    if isinstance(get_setting(conn, STATE_KEY, None), dict):
        refresh_summaries(conn)


def downgrade() -> None:
    # An earlier version would add the region rows into its own sums; without its state record it reads the raw
    # rows (slower, never wrong) until its next load rebuilds the summaries.
    op.execute("DELETE FROM touchpoint_summary WHERE grain >= 3")
    op.execute("DELETE FROM response_summary WHERE grain >= 3")
    op.execute("DELETE FROM figure_summary WHERE grain >= 3")
    op.execute("DELETE FROM setting WHERE key = 'summary_state'")
