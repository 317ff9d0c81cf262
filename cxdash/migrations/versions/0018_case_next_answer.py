"""each resolved case keeps its customer's next answer

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 16:20:00

The case measures compare the NPS and CSAT of the customer's next answer after a resolved case (the first response
on a day after the closing day), recovered against not recovered. Searched for each case whenever the page was
drawn, it cost 0.22-0.30 s of the case page at 100,000 cases on SQLite; ``cxdash.followup.next_answers`` now keeps
it on the case. Existing resolved cases get theirs here, with the same rule, in SQL that reads the same on both
databases (a date compares with a timestamp as its midnight on PostgreSQL, as an ISO string on SQLite).
"""
from alembic import op
import sqlalchemy as sa


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

INDEX_COLUMNS = ["status", "recovered", "opened_at", "site_id", "team_id", "next_ltr", "next_csat", "next_response_id"]


def upgrade() -> None:
    with op.batch_alter_table("followup_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_response_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("next_ltr", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("next_csat", sa.SmallInteger(), nullable=True))
    op.execute(
        "UPDATE followup_case SET next_response_id = ("
        " SELECT nxt.id FROM survey_response AS nxt"
        " WHERE nxt.customer_id = followup_case.customer_id AND nxt.visit_date > followup_case.closed_at"
        " ORDER BY nxt.visit_date, nxt.id LIMIT 1)"
        " WHERE status = 'resolved' AND customer_id IS NOT NULL AND closed_at IS NOT NULL")
    op.execute(
        "UPDATE followup_case SET"
        " next_ltr = (SELECT a.ltr FROM survey_response AS a WHERE a.id = followup_case.next_response_id),"
        " next_csat = (SELECT a.csat FROM survey_response AS a WHERE a.id = followup_case.next_response_id)"
        " WHERE next_response_id IS NOT NULL")
    op.create_index("ix_followup_case_next_answers", "followup_case", INDEX_COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_followup_case_next_answers", table_name="followup_case")
    with op.batch_alter_table("followup_case", schema=None) as batch_op:
        batch_op.drop_column("next_csat")
        batch_op.drop_column("next_ltr")
        batch_op.drop_column("next_response_id")
