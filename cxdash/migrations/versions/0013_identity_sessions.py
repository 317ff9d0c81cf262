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


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("issuer", sa.String(500), nullable=True))
        batch.add_column(sa.Column("subject", sa.String(255), nullable=True))
        batch.add_column(sa.Column("sessions_valid_after", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("sessions_valid_after")
        batch.drop_column("subject")
        batch.drop_column("issuer")
