"""case triggers and events without a foreign key to their case

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:50:00

``case_trigger`` and ``case_event`` are the history of a follow-up case: written only by cxdash.followup together
with their case (in its transaction) or for a case just read, and never deleted, as no case is (withdrawn is a
status). On PostgreSQL each row's foreign-key check also locked its case row, a logged write per row: 0.12-0.15 s
of an upload whose rules open 8,000 cases (docs/benchmarks/2026-12-07-4.md). The index on ``case_id`` stays.
"""
from alembic import op


revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ("case_trigger", "case_event")


def upgrade() -> None:
    # A batch copy on SQLite (it cannot drop a constraint in place); nothing references these two tables.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_case_id_followup_case", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(f"fk_{table}_case_id_followup_case", "followup_case", ["case_id"], ["id"],
                                        ondelete="CASCADE")
