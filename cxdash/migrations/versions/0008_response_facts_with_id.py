"""customer facts index of survey responses carries the id on PostgreSQL

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 07:00:00

The drivers page finds each sampled customer's first response (earliest day, then lowest id) in the grouped query
that reads their responses from this covering index. SQLite keeps the row id in every index; PostgreSQL needs it
included, or each of the sample's 30,000 responses is fetched from the table (0.09 s -> 0.19 s at a million).
"""
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = "0003"  # the index it rebuilds comes from the loyalty branch

NAME = "ix_survey_response_customer_facts"
COLUMNS = ["customer_id", "visit_date", "tier", "ltr", "ces", "contacts_needed", "transfers", "repeated_story"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="survey_response")
    op.create_index(NAME, "survey_response", COLUMNS, unique=False, postgresql_include=["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="survey_response")
    op.create_index(NAME, "survey_response", COLUMNS, unique=False)
