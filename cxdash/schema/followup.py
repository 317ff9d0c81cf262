"""The inner loop: alert rules, the follow-up cases they open (with their triggers and steps) and the notice outbox.

A rule (``alert_rule``) watches responses, tickets or KPIs within a scope; what it finds opens a case
(``followup_case``) for the people who served that customer, due for first contact within the rule's business
hours on the site's calendar. Every trigger of a case is a row of ``case_trigger`` (one customer with several bad
answers in one window gets one case), every step a row of ``case_event``. Notices wait in ``notice`` (the outbox,
written in the case's transaction) until ``cxdash notify run`` delivers them through a user's e-mail or a
``notice_channel`` (webhooks). Codes of kinds, states and outcomes: :mod:`cxdash.domain.followup`.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
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
)

from cxdash.schema.base import BigId, created_columns, id_column, metadata

alert_rule = Table(
    "alert_rule",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),  # cxdash.domain.followup.RULE_KINDS
    Column("params", JSON, nullable=False),  # per kind: {"threshold": 6}, {"touchpoint_id": 3, "min_gap": 2}, ...
    Column("scope_kind", String(16), nullable=False, default="all"),  # all | region | site | team
    Column("scope_id", Integer),
    Column("severity", String(16), nullable=False, default="medium"),  # low | medium | high
    # The owner when the response's team has no team lead and its site no manager (else the rule's creator's pick).
    Column("owner_user_id", Integer, ForeignKey("app_user.id")),
    Column("response_hours", Float, nullable=False, default=24.0),  # first contact within, in business hours
    # The business-hours calendar the due time runs on (an SLA calendar); None: the first calendar (cxdash.service).
    Column("calendar_id", Integer, ForeignKey("business_calendar.id")),
    Column("window_days", Integer, nullable=False, default=7),  # one case per customer and rule within this window
    Column("active", Boolean, nullable=False, default=True),
    *created_columns(),
    Column("updated_at", DateTime, nullable=False),
)

followup_case = Table(
    "followup_case",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("rule_id", Integer, ForeignKey("alert_rule.id"), nullable=False, index=True),
    Column("source", String(16), nullable=False),  # response | ticket | kpi
    Column("customer_id", BigInteger),  # no foreign key: a case outlives a deleted batch's customer
    Column("region_id", Integer),
    Column("site_id", Integer, ForeignKey("site.id")),
    Column("team_id", Integer, ForeignKey("team.id")),
    Column("touchpoint_id", Integer, ForeignKey("touchpoint.id")),  # the weakest touchpoint of the triggers
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="new"),  # new | contacted | resolved | unreachable | withdrawn
    Column("owner_user_id", Integer, ForeignKey("app_user.id")),
    Column("opened_at", DateTime, nullable=False),  # UTC
    Column("due_at", DateTime, nullable=False),  # first contact due (UTC), response_hours on the site's calendar
    Column("first_contact_at", DateTime),
    Column("first_contact_business_min", Float),  # business minutes from opened_at to first contact
    Column("closed_at", DateTime),
    Column("root_cause", String(32)),  # standard | training | incentive | monitoring | other
    Column("root_cause_note", String(200)),  # the free category
    Column("recovered", String(8)),  # yes | no | unknown
    Column("action_plan_id", Integer, ForeignKey("action_plan.id")),
    Column("batch_id", Integer),  # the import batch that opened it (None: alerts run, KPI rules)
    # One open case per customer and rule in a window, one per KPI, scope and period: the key says which.
    Column("dedupe_key", String(300), nullable=False),
    Column("detail", JSON),  # KPI cases: {"kpi":, "value":, "target":, "period":}; free for others
    Column("updated_at", DateTime, nullable=False),
    # A resolved case's next answer (cxdash.followup.next_answers): the customer's first response on a day after
    # the closing day, with its scores, kept up to date by whatever changes it.
    Column("next_response_id", BigInteger),  # no foreign key: a deleted batch's response is replaced, not blocked
    Column("next_ltr", SmallInteger),
    Column("next_csat", SmallInteger),
    Index("ix_followup_case_status_due", "status", "due_at"),
    # Covers every column the case measures read (cxdash.metrics.followup.measures): their per-unit counts are one
    # walk of this index in group order instead of 100,000 row look-ups (0.46 s -> 0.11 s CPU at 100,000 cases on
    # SQLite), and the median and top lists read it instead of the wide rows.
    Index("ix_followup_case_site_team_opened", "site_id", "team_id", "opened_at", "status", "due_at", "first_contact_at",
          "recovered", "first_contact_business_min", "root_cause", "touchpoint_id"),
    # Covers the NPS and CSAT at the next answer: the resolved cases with an outcome, in opening order.
    Index("ix_followup_case_next_answers", "status", "recovered", "opened_at", "site_id", "team_id", "next_ltr",
          "next_csat", "next_response_id"),
    Index("ix_followup_case_owner_status", "owner_user_id", "status"),
    Index("ix_followup_case_dedupe", "dedupe_key", "opened_at"),
    Index("ix_followup_case_customer", "customer_id", "opened_at"),
)

case_trigger = Table(
    "case_trigger",
    metadata,
    Column("id", BigId, primary_key=True),
    # No foreign keys on the history (here and in case_event): written only with its case, never deleted, and on
    # PostgreSQL each row's check locked its case row, a logged write per row (migration 0017).
    Column("case_id", BigInteger, nullable=False, index=True),
    Column("rule_id", Integer, nullable=False),
    Column("response_id", BigInteger, index=True),  # no foreign keys: deleting a batch keeps the case's history
    Column("ticket_id", BigInteger, index=True),
    Column("batch_id", Integer, index=True),
    Column("at", DateTime, nullable=False),  # when the triggering answer was given (visit or response time)
    Column("touchpoint_id", Integer),
    Column("detail", JSON),  # what matched: {"ltr": 3}, {"gap": -2.5}, {"keywords": ["投诉"]}, ...
)

case_event = Table(
    "case_event",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("case_id", BigInteger, nullable=False, index=True),  # no foreign key: see case_trigger
    Column("at", DateTime, nullable=False),
    Column("actor", String(320)),
    Column("action", String(32), nullable=False),  # open | trigger | contact | note | resolve | unreachable | ...
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("note", Text),
    Column("detail", JSON),
)

notice_channel = Table(
    "notice_channel",
    metadata,
    id_column(),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # webhook | feishu | dingtalk | wecom | slack
    Column("url", String(2000), nullable=False),
    Column("secret", String(500)),  # HMAC key (webhook), signing secret (feishu, dingtalk)
    Column("scope_kind", String(16), nullable=False, default="all"),  # whose cases it may carry
    Column("scope_id", Integer),
    Column("min_severity", String(16), nullable=False, default="high"),
    Column("language", String(16), nullable=False, default="en"),
    Column("active", Boolean, nullable=False, default=True),
    *created_columns(),
)

notice = Table(
    "notice",
    metadata,
    Column("id", BigId, primary_key=True),
    Column("idempotency_key", String(300), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # case | daily | weekly | test
    Column("user_id", Integer, ForeignKey("app_user.id", ondelete="CASCADE")),  # e-mail notices
    Column("channel_id", Integer, ForeignKey("notice_channel.id", ondelete="CASCADE")),  # webhook notices
    Column("case_id", BigInteger),
    Column("language", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("body_html", Text),
    Column("payload", JSON),  # what a webhook posts (already in its format)
    Column("status", String(16), nullable=False, default="pending"),  # pending | sending (claimed) | sent | failed (gave up)
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Index("ix_notice_status_next", "status", "next_attempt_at"),
)
