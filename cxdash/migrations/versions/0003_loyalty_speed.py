"""loyalty speed: covering indexes for churn counts and customer samples

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-30 12:40:00

The churn rate and trend count customers by index ranges (first event, last event, the flagged ones), and the
churn models read a sample of customers' responses from one covering index instead of rows scattered over the
table; it replaces the plain index on ``survey_response.customer_id``, which it serves as well. Building the
indexes reads the stored rows, so an existing database is fast after the upgrade.
"""
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

CUSTOMER_FIRST = ["first_event_at", "last_event_at", "churn_flag", "churn_date"]
CUSTOMER_FLAG = ["churn_flag", "churn_date", "first_event_at", "last_event_at"]
RESPONSE_FACTS = ["customer_id", "visit_date", "tier", "ltr", "ces", "contacts_needed", "transfers", "repeated_story"]


def upgrade() -> None:
    op.create_index("ix_customer_first_event", "customer", CUSTOMER_FIRST, unique=False)
    op.create_index("ix_customer_churn_flag", "customer", CUSTOMER_FLAG, unique=False)
    op.create_index("ix_survey_response_customer_facts", "survey_response", RESPONSE_FACTS, unique=False)
    op.drop_index("ix_survey_response_customer_id", table_name="survey_response")


def downgrade() -> None:
    op.create_index("ix_survey_response_customer_id", "survey_response", ["customer_id"], unique=False)
    op.drop_index("ix_survey_response_customer_facts", table_name="survey_response")
    op.drop_index("ix_customer_churn_flag", table_name="customer")
    op.drop_index("ix_customer_first_event", table_name="customer")
