"""touchpoint scores without the index on touchpoint alone

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 22:10:00

Every query reads scores through their responses (the primary key starts with the response), and the pages read
touchpoint figures from the summaries; no query looks scores up by touchpoint alone. The index cost an import of
a million responses about 7 s to build and took 220 MB beside the 350 MB of scores. Touchpoints are never
deleted, so no foreign-key check needs it either.
"""
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_touchpoint_score_tp", table_name="touchpoint_score")


def downgrade() -> None:
    op.create_index("ix_touchpoint_score_tp", "touchpoint_score", ["touchpoint_id"], unique=False)
