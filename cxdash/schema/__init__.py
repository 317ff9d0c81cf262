"""The cxdash data model (docs/data-model.md) as SQLAlchemy Core tables, one module per concept on one ``MetaData``.

Every table lives on one ``MetaData`` so Alembic can compare the migrations with it. Columns that pages filter
and group by are indexed; ``region_id`` and ``segment`` are copied onto responses and tickets at load time so
that the global filters are plain column predicates on one table instead of joins over millions of rows.
Callers import the tables from ``cxdash.schema``.
"""

from cxdash.schema.access import app_user, audit_log, kpi_target, kpi_target_history, setting, user_scope
from cxdash.schema.base import NAMING, BigId, metadata
from cxdash.schema.followup import alert_rule, case_event, case_trigger, followup_case, notice, notice_channel
from cxdash.schema.improve import action_plan, action_plan_history, checklist_item, inspection
from cxdash.schema.organisation import person, region, site, stage, team, touchpoint
from cxdash.schema.responses import customer, import_batch, saved_mapping, survey_response, touchpoint_score
from cxdash.schema.summaries import (
    figure_summary,
    response_sample,
    response_summary,
    ticket_summary,
    ticket_time_summary,
    touchpoint_summary,
)
from cxdash.schema.tickets import business_calendar, sla_policy, ticket

__all__ = [
    "alert_rule",
    "followup_case",
    "case_trigger",
    "case_event",
    "notice_channel",
    "notice",
    "NAMING",
    "BigId",
    "metadata",
    "region",
    "site",
    "team",
    "person",
    "stage",
    "touchpoint",
    "import_batch",
    "saved_mapping",
    "customer",
    "survey_response",
    "touchpoint_score",
    "business_calendar",
    "sla_policy",
    "ticket",
    "checklist_item",
    "inspection",
    "action_plan",
    "action_plan_history",
    "app_user",
    "user_scope",
    "audit_log",
    "kpi_target",
    "kpi_target_history",
    "setting",
    "touchpoint_summary",
    "response_summary",
    "figure_summary",
    "response_sample",
    "ticket_summary",
    "ticket_time_summary",
]
