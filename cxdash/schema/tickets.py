"""Tickets and the SLA policies and business calendars they are judged on."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cxdash.schema.base import id_column, imported_row_columns, metadata

# --- Tickets and SLA ---------------------------------------------------------------------------------------
business_calendar = Table(
    "business_calendar",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False, unique=True),
    Column("timezone", String(64), nullable=False, default="UTC"),
    # {"0": [["09:00","12:00"],["13:00","18:00"]], ... "6": []}: Monday = "0"; breaks and split shifts allowed.
    Column("weekly_hours", JSON, nullable=False),
    Column("holidays", JSON, nullable=False, default=list),  # ["2026-10-01", ...]
    Column("workdays", JSON, nullable=False, default=list),  # make-up working days: [["2026-09-28", "0"], ...]
)

sla_policy = Table(
    "sla_policy",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("priority", String(32), nullable=False),
    Column("category", String(100)),
    Column("channel", String(64)),
    Column("first_response_min", Integer, nullable=False),
    Column("resolution_min", Integer, nullable=False),
    Column("calendar_id", Integer, ForeignKey("business_calendar.id"), nullable=False),
    Column("at_risk_ratio", Float, nullable=False, default=0.8),
    Column("active", Boolean, nullable=False, default=True),
)

ticket = Table(
    "ticket",
    metadata,
    *imported_row_columns(),
    Column("agent_id", Integer, ForeignKey("person.id"), index=True),
    Column("segment", String(64)),
    Column("channel", String(64)),
    Column("category", String(100)),
    Column("priority", String(32)),
    Column("subject", Text),
    Column("created_at", DateTime, nullable=False),
    Column("first_response_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    Column("status", String(32), nullable=False),  # open | pending | resolved | closed
    Column("reopen_count", SmallInteger, nullable=False, default=0),
    Column("reminder_count", SmallInteger, nullable=False, default=0),
    Column("merged_into", String(128)),  # external id of the surviving ticket; merged tickets leave all counts
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id")),
    Column("csat", SmallInteger),
    # Derived by cxdash.service when tickets load or a policy changes (business minutes on the policy's calendar).
    Column("policy_id", Integer, ForeignKey("sla_policy.id")),
    Column("frt_target_min", Integer),
    Column("res_target_min", Integer),
    Column("frt_business_min", Float),
    Column("res_business_min", Float),
    Column("frt_due_at", DateTime),  # when the first-response target is reached (UTC)
    Column("res_due_at", DateTime),
    Column("frt_risk_at", DateTime),  # when the at-risk threshold is reached (UTC)
    Column("res_risk_at", DateTime),
    Column("is_repeat_7d", Boolean),  # an earlier ticket of the same customer and category in the 7 days before
    Column("has_repeat_7d", Boolean),  # a later ticket of the same customer and category within 7 days
    # Bit set of the SLA outcomes that do not depend on the moment of asking (cxdash.domain.service_flags), so a million
    # tickets aggregate as sums of bits instead of nested CASE expressions.
    Column("sla_flags", Integer),
    UniqueConstraint("source", "external_id"),
    Index("ix_ticket_created_at", "created_at"),
    Index("ix_ticket_site_created", "site_id", "created_at"),
    Index("ix_ticket_team_created", "team_id", "created_at"),
    Index("ix_ticket_status", "status"),
    Index("ix_ticket_customer_category", "customer_id", "category", "created_at"),
    # A customer's tickets with every fact the churn models and service-failure groups read (cxdash.metrics.
    # customer_features, churn_facts, failures), so a customer sample reads one index instead of ticket rows
    # scattered over the table: thousands of random reads when the file is not cached.
    Index("ix_ticket_customer_facts", "customer_id", "created_at", "merged_into", "status", "reopen_count",
          "is_repeat_7d", "has_repeat_7d", "frt_target_min", "frt_business_min", "frt_due_at", "res_target_min",
          "res_business_min", "res_due_at"),
)
