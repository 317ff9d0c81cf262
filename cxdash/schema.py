"""The cxdash data model (DESIGN.md §2) as SQLAlchemy Core tables.

Every table lives on one ``MetaData`` so Alembic can compare the migrations with it. Columns that pages filter
and group by are indexed; ``region_id`` and ``segment`` are copied onto responses and tickets at load time so
that the global filters are plain column predicates on one table instead of joins over millions of rows.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

# SQLite wants INTEGER PRIMARY KEY for rowid aliasing; PostgreSQL wants BIGINT for tables that reach millions.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _names() -> list[Column]:
    """Name columns in the three UI languages (English required, Chinese optional)."""
    return [
        Column("name_en", String(200), nullable=False),
        Column("name_zh_hans", String(200)),
        Column("name_zh_hant", String(200)),
    ]


# --- Organisation ------------------------------------------------------------------------------------------
region = Table(
    "region",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    *_names(),
)

site = Table(
    "site",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("region_id", Integer, ForeignKey("region.id"), nullable=True, index=True),
    Column("city", String(100)),
)

team = Table(
    "team",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("site.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("site_id", "code"),
)

person = Table(
    "person",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("team_id", Integer, ForeignKey("team.id"), nullable=True, index=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(64)),
)

# --- Touchpoint catalog ------------------------------------------------------------------------------------
stage = Table(
    "stage",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("sort_order", Integer, nullable=False, default=0),
    *_names(),
)

touchpoint = Table(
    "touchpoint",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stage_id", Integer, ForeignKey("stage.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("sort_order", Integer, nullable=False, default=0),
    *_names(),
    Column("stated_importance", Float),
)

# --- Imports -----------------------------------------------------------------------------------------------
import_batch = Table(
    "import_batch",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),  # surveys | tickets | customers | inspections | catalog
    Column("source", String(100), nullable=False, default="file"),
    Column("file_name", String(400), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_updated", Integer, nullable=False, default=0),
    Column("rows_skipped", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("mapping", JSON),
    Column("created_by", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("status", String(32), nullable=False, default="loaded"),
)

saved_mapping = Table(
    "saved_mapping",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("mapping", JSON, nullable=False),
    Column("created_by", String(200)),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("kind", "name"),
)

# --- Customers and survey responses ------------------------------------------------------------------------
customer = Table(
    "customer",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("external_id", String(128), nullable=False, unique=True),
    Column("segment", String(64), index=True),
    Column("site_id", Integer, ForeignKey("site.id"), index=True),
    Column("first_seen", Date),
    Column("churn_flag", Boolean),
    Column("churn_date", Date),
    # Maintained at load time so churn (inactivity after the last event) needs no scan of every event.
    Column("first_event_at", DateTime),
    Column("last_event_at", DateTime, index=True),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
    # Churn counts and customer samples read these ranges without touching the table (cxdash.metrics.churn):
    # who is judged (first event), and the few flagged customers.
    Index("ix_customer_first_event", "first_event_at", "last_event_at", "churn_flag", "churn_date"),
    Index("ix_customer_churn_flag", "churn_flag", "churn_date", "first_event_at", "last_event_at"),
)

survey_response = Table(
    "survey_response",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("source", String(100), nullable=False, default="cxdash"),
    Column("external_id", String(128), nullable=False),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
    Column("customer_id", BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("customer.id")),
    Column("region_id", Integer, ForeignKey("region.id")),
    Column("site_id", Integer, ForeignKey("site.id")),
    Column("team_id", Integer, ForeignKey("team.id")),
    Column("person_id", Integer, ForeignKey("person.id"), index=True),
    Column("segment", String(64)),
    Column("channel", String(64)),
    Column("visit_date", Date, nullable=False),
    Column("responded_at", DateTime),
    # Overall perceived (P) and expected (E) on their own scale; scale bounds stored for normalisation.
    Column("overall_p", Float),
    Column("overall_e", Float),
    Column("overall_scale_min", Float),
    Column("overall_scale_max", Float),
    # Scale of this response's touchpoint items (one survey uses one touchpoint scale).
    Column("tp_scale_min", Float),
    Column("tp_scale_max", Float),
    Column("disconfirmation", String(16)),  # below | met | exceeded
    Column("ltr", SmallInteger),  # likelihood to recommend 0-10
    Column("csat", SmallInteger),  # 1-5
    Column("ces", SmallInteger),  # 1-7, 7 = very easy
    Column("contacts_needed", SmallInteger),
    Column("transfers", SmallInteger),
    Column("repeated_story", Boolean),
    Column("comment", Text),
    Column("comment_lang", String(16)),
    # Derived at load (cxdash.metrics.tiers): 0 disappointed, 1 basic, 2 delighted, NULL no tier.
    Column("tier", SmallInteger),
    Column("gap_norm", Float),  # d / (scale range): the disconfirmation on a common 0-1 scale
    UniqueConstraint("source", "external_id"),
    Index("ix_survey_response_visit_date", "visit_date"),
    Index("ix_survey_response_site_date", "site_id", "visit_date"),
    Index("ix_survey_response_team_date", "team_id", "visit_date"),
    Index("ix_survey_response_region_date", "region_id", "visit_date"),
    # A customer's responses with every fact the churn models aggregate (cxdash.metrics.customer_features), so a
    # customer sample reads the index alone instead of rows scattered over the table.
    Index("ix_survey_response_customer_facts", "customer_id", "visit_date", "tier", "ltr", "ces", "contacts_needed",
          "transfers", "repeated_story"),
)

touchpoint_score = Table(
    "touchpoint_score",
    metadata,
    Column(
        "response_id",
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("survey_response.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id"), primary_key=True),
    Column("p", Float),
    Column("e", Float),
    Column("importance", Float),
    Index("ix_touchpoint_score_tp", "touchpoint_id"),
)

# --- Tickets and SLA ---------------------------------------------------------------------------------------
business_calendar = Table(
    "business_calendar",
    metadata,
    Column("id", Integer, primary_key=True),
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
    Column("id", Integer, primary_key=True),
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
    Column("id", BigId, primary_key=True),
    Column("source", String(100), nullable=False, default="cxdash"),
    Column("external_id", String(128), nullable=False),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), index=True),
    Column("customer_id", BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("customer.id")),
    Column("region_id", Integer, ForeignKey("region.id")),
    Column("site_id", Integer, ForeignKey("site.id")),
    Column("team_id", Integer, ForeignKey("team.id")),
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
    # Derived by cxdash.sla when tickets load or a policy changes (business minutes on the policy's calendar).
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
    # Bit set of the SLA outcomes that do not depend on the moment of asking (cxdash.sla.flags), so a million
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

# --- Inspections and action plans --------------------------------------------------------------------------
checklist_item = Table(
    "checklist_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False, unique=True),
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
)

action_plan = Table(
    "action_plan",
    metadata,
    Column("id", Integer, primary_key=True),
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
    Column("created_by", String(200)),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

action_plan_history = Table(
    "action_plan_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", Integer, ForeignKey("action_plan.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", String(200)),
    Column("changes", JSON, nullable=False),  # {"field": [old, new], ...}
)

# --- Users, audit, targets, settings -----------------------------------------------------------------------
app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200)),
    Column("role", String(32), nullable=False),  # admin | executive | cx_lead | team_lead
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
)

user_scope = Table(
    "user_scope",
    metadata,
    Column("id", Integer, primary_key=True),
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
    Column("id", Integer, primary_key=True),
    Column("kpi", String(64), nullable=False, index=True),
    Column("scope_kind", String(16), nullable=False, default="all"),  # all | region | site | team
    Column("scope_id", Integer),
    Column("value", Float, nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
)

setting = Table(
    "setting",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
)

# --- Summaries (cxdash.summaries): additive sums maintained at load so big selections never scan raw rows ----
# grain 0 = one day per site and team; 1 = one month per site and team; 2 = one month per site, team, channel and
# segment. visit_date holds the day or the first day of the month. Rebuilt by cxdash.summaries.refresh_summaries.


def _summary_keys() -> list[Column]:
    """The key columns every response summary starts with (new objects per table: a Column has one table)."""
    return [
        Column("grain", SmallInteger, nullable=False),
        Column("visit_date", Date, nullable=False),
        Column("region_id", Integer),
        Column("site_id", Integer),
        Column("team_id", Integer),
        Column("channel", String(64)),
        Column("segment", String(64)),
    ]


touchpoint_summary = Table(
    "touchpoint_summary",
    metadata,
    *_summary_keys(),
    Column("touchpoint_id", Integer, nullable=False),
    Column("n", Integer, nullable=False),  # pairs with P and E (on a valid scale)
    Column("s_d", Float),  # sum of (P - E) / range
    Column("ss_d", Float),  # sum of its squares
    Column("s_p", Float),  # sum of normalised P over the pairs
    Column("s_e", Float),  # sum of normalised E over the pairs
    Column("n_dis", Integer),  # disappointed pairs under the tolerance the summary was built with
    Column("n_p", Integer),  # answers with P (E or not)
    Column("s_p_all", Float),  # sum of normalised P over those
    Column("n_imp", Integer),  # answers with stated importance
    Column("s_imp", Float),  # sum of stated importance
    Index("ix_touchpoint_summary_grain_date", "grain", "visit_date"),
)

response_summary = Table(
    "response_summary",
    metadata,
    *_summary_keys(),
    Column("tier", SmallInteger),  # NULL: no tier
    Column("n", Integer, nullable=False),
    Column("n_ltr", Integer),
    Column("promoters", Integer),
    Column("detractors", Integer),
    Column("n_csat", Integer),
    Column("csat_top2", Integer),
    Index("ix_response_summary_grain_date", "grain", "visit_date"),
)

# Every aggregate of the overview's survey cards (cxdash.metrics.response_figures.response_columns, same labels),
# at the grains above: NPS, CSAT and CES counts and sums, tier counts, effort facts. Rebuilt with the others.
figure_summary = Table(
    "figure_summary",
    metadata,
    *_summary_keys(),
    *[Column(name, Integer) for name in (
        "nps_n", "nps_promoters", "nps_detractors", "csat_n", "csat_k", "ces_n", "ces_easy",
        "tier_n", "tier_disappointed", "tier_basic", "tier_delighted", "tier_none",
        "contacts_n", "contacts_k", "transfers_n", "transfers_k", "repeated_n", "repeated_k")],
    Column("ces_sum", Float),
    Column("ces_sumsq", Float),
    Index("ix_figure_summary_grain_date", "grain", "visit_date"),
)

# A fixed pseudo-random 2 % of the responses (by a hash of the id) with their normalised touchpoint P scores, for
# models that need rows (derived importance, value of a tier) without random reads across millions of rows.
response_sample = Table(
    "response_sample",
    metadata,
    Column("response_id", BigId, primary_key=True),
    Column("visit_date", Date, nullable=False),
    Column("region_id", Integer),
    Column("site_id", Integer),
    Column("team_id", Integer),
    Column("person_id", Integer),
    Column("channel", String(64)),
    Column("segment", String(64)),
    Column("customer_id", BigInteger().with_variant(Integer(), "sqlite")),
    Column("tier", SmallInteger),
    Column("overall", Float),  # overall P on the 0-1 scale
    Column("ltr", SmallInteger),
    Column("csat", SmallInteger),
    Column("scores", JSON),  # {"<touchpoint id>": P on the 0-1 scale, ...}
    Index("ix_response_sample_visit_date", "visit_date"),
)

# --- Ticket summaries (cxdash.summaries.tickets): SLA outcome counts and time histograms per grain --------------
# Each grain keeps the period (a day, or the first day of a month, of creation in UTC) and some of the key columns
# (the others are NULL); cxdash.summaries.tickets.GRAINS says which. Counts are tickets with each outcome bit of
# ticket.sla_flags; only what depends on "now" (open tickets past due or at risk) is read live.
_TICKET_KEYS = (
    ("region_id", Integer), ("site_id", Integer), ("team_id", Integer), ("channel", String(64)),
    ("segment", String(64)), ("priority", String(32)), ("category", String(100)),
)

ticket_summary = Table(
    "ticket_summary",
    metadata,
    Column("grain", SmallInteger, nullable=False),
    Column("period", Date, nullable=False),
    *(Column(name, kind) for name, kind in _TICKET_KEYS),
    Column("n", Integer, nullable=False),  # tickets, merged ones included (as COUNT(*) over the raw rows)
    *(Column(name, Integer, nullable=False) for name in (
        "frt_met", "frt_late", "res_met", "res_late", "resolved", "ftf", "was_resolved", "reopened", "repeats",
        "chased", "merged",
    )),
    Index("ix_ticket_summary_grain_period", "grain", "period"),
)

# Business minutes to first response (measure 0) and to resolution (1) of the unmerged tickets, counted per value
# rounded down to two significant digits (cxdash.summaries.tickets.minutes_bucket), for percentiles.
ticket_time_summary = Table(
    "ticket_time_summary",
    metadata,
    Column("grain", SmallInteger, nullable=False),
    Column("period", Date, nullable=False),
    *(Column(name, kind) for name, kind in _TICKET_KEYS),
    Column("measure", SmallInteger, nullable=False),
    Column("minutes", Float, nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_ticket_time_summary_grain_period", "grain", "period"),
)
