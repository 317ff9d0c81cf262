"""Summary tables: additive sums maintained at load, so big selections never scan raw rows."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
)

from cxdash.schema.base import BigId, metadata

# --- Summaries (cxdash.summaries): additive sums maintained at load so big selections never scan raw rows ----
# grain 0 = one day per site and team; 1 = one month per site and team; 2 = one month per site, team, channel and
# segment; 3, 4, 5 = the same per region (site_id and team_id NULL). visit_date holds the day or the first day of
# the month. Rebuilt by cxdash.summaries.refresh_summaries.


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
    Index("ix_touchpoint_summary_grain_site_date", "grain", "site_id", "visit_date"),  # a site's or team's rows
)

response_summary = Table(
    "response_summary",
    metadata,
    *_summary_keys(),
    Column("tier", SmallInteger),  # NULL: no tier
    Column("n", Integer, nullable=False),
    *[Column(name, Integer) for name in ("n_ltr", "promoters", "detractors", "n_csat", "csat_top2")],
    Index("ix_response_summary_grain_date", "grain", "visit_date"),
)

# Every aggregate of the overview's survey cards (cxdash.domain.figures.response_columns, same labels),
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
    Column("customer_id", BigId),
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
