"""identity binding and session epoch of users

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 02:20:00

A user was known by the e-mail claim alone, so any provider account sending that address (verified or not) was
that user, and a copied session cookie stayed valid after sign-out. Each user is now bound to the issuer and
subject of their first verified sign-in, and ``sessions_valid_after`` ends every session signed in before it.
"""
import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns): a batch copy would drop a table other tables reference.
def upgrade() -> None:
    op.add_column("app_user", sa.Column("issuer", sa.String(500), nullable=True))
    op.add_column("app_user", sa.Column("subject", sa.String(255), nullable=True))
    op.add_column("app_user", sa.Column("sessions_valid_after", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("app_user", "sessions_valid_after")
    op.drop_column("app_user", "subject")
    op.drop_column("app_user", "issuer")
