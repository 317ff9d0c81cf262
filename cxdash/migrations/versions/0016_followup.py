"""alert rules, follow-up cases and notices

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:34:19

The inner loop (docs/alerts.md): alert rules, the follow-up cases they open with their triggers and steps, webhook
channels and the notice outbox; each user gets a notice language and which notices they want by e-mail.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notice_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=500), nullable=True),
    sa.Column('scope_kind', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=True),
    sa.Column('min_severity', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_channel'))
    )
    op.create_table('alert_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('scope_kind', sa.String(length=16), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('response_hours', sa.Float(), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=True),
    sa.Column('window_days', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['business_calendar.id'], name=op.f('fk_alert_rule_calendar_id_business_calendar')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_alert_rule_owner_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_rule'))
    )
    op.create_table('notice',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body_text', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['notice_channel.id'], name=op.f('fk_notice_channel_id_notice_channel'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notice_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_notice_idempotency_key'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('followup_case',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('first_contact_at', sa.DateTime(), nullable=True),
    sa.Column('first_contact_business_min', sa.Float(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('root_cause', sa.String(length=32), nullable=True),
    sa.Column('root_cause_note', sa.String(length=200), nullable=True),
    sa.Column('recovered', sa.String(length=8), nullable=True),
    sa.Column('action_plan_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('dedupe_key', sa.String(length=300), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_plan_id'], ['action_plan.id'], name=op.f('fk_followup_case_action_plan_id_action_plan')),
    sa.ForeignKeyConstraint(['owner_user_id'], ['app_user.id'], name=op.f('fk_followup_case_owner_user_id_app_user')),
    sa.ForeignKeyConstraint(['rule_id'], ['alert_rule.id'], name=op.f('fk_followup_case_rule_id_alert_rule')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_followup_case_site_id_site')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_followup_case_team_id_team')),
    sa.ForeignKeyConstraint(['touchpoint_id'], ['touchpoint.id'], name=op.f('fk_followup_case_touchpoint_id_touchpoint')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_case'))
    )
    with op.batch_alter_table('followup_case', schema=None) as batch_op:
        batch_op.create_index('ix_followup_case_customer', ['customer_id', 'opened_at'], unique=False)
        batch_op.create_index('ix_followup_case_dedupe', ['dedupe_key', 'opened_at'], unique=False)
        batch_op.create_index('ix_followup_case_owner_status', ['owner_user_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_case_rule_id'), ['rule_id'], unique=False)
        # Covering the case measures (see cxdash/schema/followup.py).
        batch_op.create_index('ix_followup_case_site_team_opened', [
            'site_id', 'team_id', 'opened_at', 'status', 'due_at', 'first_contact_at', 'recovered',
            'first_contact_business_min', 'root_cause', 'touchpoint_id'], unique=False)
        batch_op.create_index('ix_followup_case_status_due', ['status', 'due_at'], unique=False)

    op.create_table('case_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=320), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['followup_case.id'], name=op.f('fk_case_event_case_id_followup_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event'))
    )
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)

    op.create_table('case_trigger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.BigInteger(), nullable=True),
    sa.Column('ticket_id', sa.BigInteger(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('touchpoint_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['followup_case.id'], name=op.f('fk_case_trigger_case_id_followup_case'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_trigger'))
    )
    with op.batch_alter_table('case_trigger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_trigger_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_trigger_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_trigger_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_trigger_ticket_id'), ['ticket_id'], unique=False)

    # Plain ALTER TABLE (SQLite 3.35+ drops columns): a batch copy would drop a table others reference.
    op.add_column("app_user", sa.Column("language", sa.String(length=16), server_default="en", nullable=False))
    op.add_column("app_user", sa.Column("notify_immediate", sa.Boolean(), server_default="1", nullable=False))
    op.add_column("app_user", sa.Column("notify_daily", sa.Boolean(), server_default="1", nullable=False))
    op.add_column("app_user", sa.Column("notify_weekly", sa.Boolean(), server_default="0", nullable=False))



def downgrade() -> None:
    for column in ("notify_weekly", "notify_daily", "notify_immediate", "language"):
        op.drop_column("app_user", column)

    with op.batch_alter_table('case_trigger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_trigger_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_case_trigger_response_id'))
        batch_op.drop_index(batch_op.f('ix_case_trigger_case_id'))
        batch_op.drop_index(batch_op.f('ix_case_trigger_batch_id'))

    op.drop_table('case_trigger')
    with op.batch_alter_table('case_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))

    op.drop_table('case_event')
    with op.batch_alter_table('followup_case', schema=None) as batch_op:
        batch_op.drop_index('ix_followup_case_status_due')
        batch_op.drop_index('ix_followup_case_site_team_opened')
        batch_op.drop_index(batch_op.f('ix_followup_case_rule_id'))
        batch_op.drop_index('ix_followup_case_owner_status')
        batch_op.drop_index('ix_followup_case_dedupe')
        batch_op.drop_index('ix_followup_case_customer')

    op.drop_table('followup_case')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_status_next')

    op.drop_table('notice')
    op.drop_table('alert_rule')
    op.drop_table('notice_channel')
