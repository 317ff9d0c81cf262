"""customer tenure in months

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:30:00

A customer list such as a telecom CRM export often holds only "tenure" (months as a customer) and a churn flag,
no dates. Kept as given, it is the duration of the customer's relationship for the retention curves
(cxdash.metrics.customer_features.histories_from) without inventing dates.
"""
import sqlalchemy as sa
from alembic import op


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops columns): a batch copy of "customer" would drop the
# table that responses and tickets reference, which SQLite's foreign keys refuse once customers exist.
def upgrade() -> None:
    op.add_column("customer", sa.Column("tenure_months", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("customer", "tenure_months")
