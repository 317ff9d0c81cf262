"""The codes of the inner loop shared by its writers, its measures and its pages (docs/alerts.md).

Rule kinds and what their ``params`` hold; the case states and which step leads where; root causes (the four
dimensions of the closed loop plus a free category); outcomes; severities; notice kinds and webhook formats.
"""

from __future__ import annotations

# --- Rules ----------------------------------------------------------------------------------------------------
RESPONSE_RULES = (
    "ltr_at_most",  # {"threshold": 6}: likelihood to recommend at or below
    "csat_at_most",  # {"threshold": 2}
    "tier_disappointed",  # {}: overall tier disappointed
    "touchpoint_gap",  # {"touchpoint_id": int | None, "min_gap": 2.0}: perceived below expected by at least, own scale
    "comment_keywords",  # {"keywords": ["投诉", "complaint"], "themes": ["wait"]}: any, case-insensitive
    "repeat_contact",  # {"min_contacts": 2}: contacts needed at or above, or the story told again
)
TICKET_RULES = (
    "ticket_at_risk",  # {"which": "first_response" | "resolution" | "either"}
    "ticket_breached",  # {"which": ...}
    "ticket_chased",  # {"times": 2}: reminder_count at or above
)
KPI_RULES = (
    "kpi_below_target",  # {"kpi": "nps", "level": "site" | "team"}: below its target in the last full month
    "kpi_significant_drop",  # {"kpi": "nps", "level": ...}: down significantly against the month before
)
RULE_KINDS = RESPONSE_RULES + TICKET_RULES + KPI_RULES
SOURCE_OF = {**{k: "response" for k in RESPONSE_RULES}, **{k: "ticket" for k in TICKET_RULES},
             **{k: "kpi" for k in KPI_RULES}}

SCOPE_KINDS = ("all", "region", "site", "team")
SEVERITIES = ("low", "medium", "high")  # ordered: a channel's min_severity admits this one and those after it

# --- Cases ----------------------------------------------------------------------------------------------------
NEW, CONTACTED, RESOLVED, UNREACHABLE, WITHDRAWN = "new", "contacted", "resolved", "unreachable", "withdrawn"
STATUSES = (NEW, CONTACTED, RESOLVED, UNREACHABLE, WITHDRAWN)
OPEN_STATUSES = (NEW, CONTACTED)
CLOSED_STATUSES = (RESOLVED, UNREACHABLE, WITHDRAWN)
# Which status each status may move to; contacting again from "contacted" records another call.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (CONTACTED, UNREACHABLE, WITHDRAWN),
    CONTACTED: (CONTACTED, RESOLVED, UNREACHABLE, WITHDRAWN),
    RESOLVED: (),
    UNREACHABLE: (CONTACTED,),  # the customer called back after all
    WITHDRAWN: (),
}
# Who gives a case an owner (the case page's reassign step), and so hears of the cases that have none.
REASSIGN_ROLES = frozenset({"admin", "cx_lead"})
ROOT_CAUSES = ("standard", "training", "incentive", "monitoring", "other")
OUTCOMES = ("yes", "no", "unknown")  # recovered?

# --- Notices --------------------------------------------------------------------------------------------------
NOTICE_KINDS = ("case", "unassigned", "daily", "weekly", "test")
CHANNEL_KINDS = ("webhook", "feishu", "dingtalk", "wecom", "slack")
