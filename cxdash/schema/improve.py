"""The closed loop: checklist items, inspections, action plans and their history."""

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
    Text,
    UniqueConstraint,
)

from cxdash.schema.base import BigId, code_column, created_columns, id_column, metadata

# --- Inspections and action plans --------------------------------------------------------------------------
checklist_item = Table(
    "checklist_item",
    metadata,
    id_column(),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id"), nullable=False, index=True),
    code_column(),
    Column("pain_point", JSON, nullable=False),  # {"en": ..., "zh-Hans": ..., "zh-Hant": ...}
    Column("standard", JSON, nullable=False),
    Column("method", String(64)),  # observation | mystery shopper | record check | interview
    Column("frequency", String(32)),  # daily | weekly | monthly
    Column("responsible_role", String(100)),
    Column("active", Boolean, nullable=False, default=True),
)

inspection = Table(
    "inspection",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("external_id", String(128)),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
    Column("item_id", Integer, ForeignKey("checklist_item.id"), nullable=False, index=True),
    Column("site_id", Integer, ForeignKey("site.id"), nullable=False, index=True),
    Column("inspected_on", Date, nullable=False, index=True),
    Column("score", Float, nullable=False),  # 0-10
    Column("inspector", String(200)),
    Column("note", Text),
    UniqueConstraint("external_id"),
    # latest score per site and item; per-item and per-site aggregates of a date range read only this index
    Index("ix_inspection_day_site_item", "inspected_on", "site_id", "item_id", "score"),
)

action_plan = Table(
    "action_plan",
    metadata,
    id_column(),
    Column("title", String(300), nullable=False),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id"), nullable=False, index=True),
    Column("site_id", Integer, ForeignKey("site.id"), index=True),
    Column("team_id", Integer, ForeignKey("team.id")),
    Column("source_kind", String(32)),  # weak_item | gap | service
    Column("checklist_item_id", Integer, ForeignKey("checklist_item.id")),
    Column("root_cause", String(32), nullable=False),  # standard | training | incentive | monitoring
    Column("action", Text, nullable=False),
    Column("metric", String(200), nullable=False),
    Column("baseline", Float),
    Column("target", Float),
    Column("owner", String(200), nullable=False),
    Column("department", String(200)),
    Column("start_date", Date, nullable=False),
    Column("due_date", Date, nullable=False, index=True),
    Column("pdca_stage", String(16), nullable=False, default="plan"),  # plan | do | check | act
    Column("status", String(16), nullable=False, default="open"),  # open | done | cancelled
    Column("closed_on", Date),
    *created_columns(),
    Column("updated_at", DateTime, nullable=False),
)

action_plan_history = Table(
    "action_plan_history",
    metadata,
    id_column(),
    Column("plan_id", Integer, ForeignKey("action_plan.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", String(200)),
    Column("changes", JSON, nullable=False),  # {"field": [old, new], ...}
)
