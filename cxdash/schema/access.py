"""Users and their scopes, the audit log, KPI targets with their history and settings."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from cxdash.schema.base import BigId, id_column, metadata

# --- Users, audit, targets, settings -----------------------------------------------------------------------
app_user = Table(
    "app_user",
    metadata,
    id_column(),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200)),
    Column("role", String(32), nullable=False),  # admin | executive | cx_lead | team_lead
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    # The provider account this e-mail belongs to: the issuer and subject of its first verified sign-in.
    Column("issuer", String(500)),
    Column("subject", String(255)),
    # Sessions signed in before this moment are over (sign-out, deactivation, role change).
    Column("sessions_valid_after", DateTime),
    # Notices (cxdash.notify): the language they are written in and which ones the user gets by e-mail.
    Column("language", String(16), nullable=False, default="en", server_default="en"),
    Column("notify_immediate", Boolean, nullable=False, default=True, server_default="1"),
    Column("notify_daily", Boolean, nullable=False, default=True, server_default="1"),
    Column("notify_weekly", Boolean, nullable=False, default=False, server_default="0"),
)

user_scope = Table(
    "user_scope",
    metadata,
    id_column(),
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("site_id", Integer, ForeignKey("site.id")),
    Column("team_id", Integer, ForeignKey("team.id")),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(320)),
    Column("action", String(64), nullable=False),
    Column("entity", String(64)),
    Column("entity_id", String(128)),
    Column("detail", JSON),
)

kpi_target = Table(
    "kpi_target",
    metadata,
    id_column(),
    Column("kpi", String(64), nullable=False, index=True),
    Column("scope_kind", String(16), nullable=False, default="all"),  # all | region | site | team
    Column("scope_id", Integer),
    Column("value", Float, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("note", String(500)),  # the note of the last change (its history keeps every one)
)

# Every change of a target (cxdash.targets): set, replace, close, end or withdraw, with the values before and after.
kpi_target_history = Table(
    "kpi_target_history",
    metadata,
    id_column(),
    Column("target_id", Integer),  # no foreign key: a withdrawn target's history outlives its row
    Column("kpi", String(64), nullable=False),
    Column("scope_kind", String(16), nullable=False),
    Column("scope_id", Integer),
    Column("action", String(16), nullable=False),
    Column("old_value", Float),
    Column("new_value", Float),
    Column("old_from", Date),
    Column("old_to", Date),
    Column("new_from", Date),
    Column("new_to", Date),
    Column("note", String(500)),
    Column("actor", String(320)),
    Column("at", DateTime, nullable=False),
    Index("ix_kpi_target_history_kpi_scope", "kpi", "scope_kind", "scope_id"),
)

setting = Table(
    "setting",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
)
