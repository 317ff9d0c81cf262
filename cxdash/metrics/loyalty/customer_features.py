"""Per-customer facts for the churn model, churn breakdowns and retention curves, built by SQL GROUP BY customer.

Models need one row per customer, and a brand has hundreds of thousands; they work on a bounded, evenly spread
sample of customers (every k-th customer id, at most ``SAMPLE_CUSTOMERS``) and report its size. Each fact is
an aggregate of the customer's events before ``until`` (see :func:`cxdash.metrics.loyalty.churn_definition.observation_end`):

- from survey responses: count, worst tier (0 disappointed .. 2 delighted; NULL without any tier), lowest
  likelihood to recommend, mean CES, most contacts needed, most transfers, whether they ever had to repeat their
  story;
- from tickets (merged ones left out): count, how many breached an SLA target (first response or resolution,
  judged at ``until``), were reopened, or were repeat contacts (same customer and category within 7 days,
  before or after).

Which customers: those selected by the filters' organisation, channel and segment conditions
(:func:`cxdash.metrics.loyalty.churn.customer_selection`, as the churn rate); the date range only sets the as-of day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.customers import DAYS_PER_MONTH
from cxdash.domain.frames import rows_frame
from cxdash.domain.service_sql import frt_breached, res_breached
from cxdash.domain.tiers import tier_name
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import customer_selection, resolve_as_of
from cxdash.metrics.loyalty.churn_definition import (
    ChurnDefinition,
    churned,
    flagged,
    judged,
    observation_end,
    seen,
    undated_status,
)
from cxdash.schema import customer, site, survey_response, ticket
from cxdash.sqlfuncs import as_float

SAMPLE_CUSTOMERS = 15_000
EPOCH = date(1970, 1, 1)  # day 0 of :func:`cxdash.sqlfuncs.epoch_days`
FEATURE_COLUMNS = ["customer_id", "judged", "churned", "n_responses", "worst_tier", "worst_ltr", "mean_ces",
                   "max_contacts", "max_transfers", "repeated", "n_tickets", "breached", "reopened", "repeats"]
RESPONSE_COLUMNS = ["customer_id", "n_responses", "worst_tier", "worst_ltr", "mean_ces", "max_contacts",
                    "max_transfers", "repeated"]
TICKET_COLUMNS = ["customer_id", "n_tickets", "breached", "reopened", "repeats"]
FACT_PARTS = ("responses", "tickets")
cu, sr, tk = customer.c, survey_response.c, ticket.c


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((cond, 1), else_=0))


def sample_condition(conn: Connection, base: ColumnElement[bool], size: int) -> tuple[ColumnElement[bool], int]:
    """Every k-th customer id among those meeting ``base``, about ``size`` of them; returns the condition and k."""
    total = int(conn.execute(select(func.count()).select_from(customer).where(base)).scalar_one())
    step = max(1, math.ceil(total / max(size, 1)))
    # The test on the id first: the database then evaluates ``base`` for the sampled ids only.
    return (base if step == 1 else and_(cu.id % step == 0, base)), step


def _response_facts(ids: Any, until: datetime) -> Any:
    repeated = case((sr.repeated_story.is_(true()), 1), else_=0)
    return (
        select(sr.customer_id, func.count().label("n_responses"), func.min(sr.tier).label("worst_tier"),
               func.min(sr.ltr).label("worst_ltr"), func.avg(as_float(sr.ces)).label("mean_ces"),
               func.max(sr.contacts_needed).label("max_contacts"), func.max(sr.transfers).label("max_transfers"),
               func.max(repeated).label("repeated"))
        .where(sr.customer_id.in_(ids), sr.visit_date < until.date())
        .group_by(sr.customer_id)
    )


def _ticket_facts(ids: Any, until: datetime) -> Any:
    breached = or_(frt_breached(until), res_breached(until))
    repeat = or_(tk.is_repeat_7d.is_(true()), tk.has_repeat_7d.is_(true()))
    return (
        select(tk.customer_id, func.count().label("n_tickets"), _count_if(breached).label("breached"),
               _count_if(tk.reopen_count > 0).label("reopened"), _count_if(repeat).label("repeats"))
        .where(tk.customer_id.in_(ids), tk.created_at < until, tk.merged_into.is_(None))
        .group_by(tk.customer_id)
    )


def customer_rows(dialect: str, who: ColumnElement[bool], ids: Any, as_of: date,
                  definition: ChurnDefinition) -> Any:
    """Per customer meeting ``who`` (``ids``: the same customers as a subquery): id, judged and churned (0/1) on
    ``as_of``, segment, site name, tenure.

    On SQLite the rows are read by id from ``ids``, not under ``who`` itself: segment, site and tenure are in no
    index, and under ``who`` SQLite (which plans without statistics) walked the index on the last event, i.e.
    every customer, reading each one's row: 2.2-5 s at 833,000 customers. The subquery reads the covering
    first-event index, then only the sampled rows (0.5 s). PostgreSQL scans the table either way, and the
    lookups by id cost it 0.09 s more, so it filters directly.
    """
    return select(
        cu.id, case((judged(definition, as_of), 1), else_=0), case((churned(definition, as_of), 1), else_=0),
        cu.segment, site.c.name, cu.tenure_months,
    ).select_from(customer.outerjoin(site, site.c.id == cu.site_id)).where(
        cu.id.in_(ids) if dialect == "sqlite" else who)


def facts_for(conn: Connection, who: ColumnElement[bool], as_of: date, definition: ChurnDefinition,
              until: datetime, parts: Sequence[str] = FACT_PARTS) -> pd.DataFrame:
    """:data:`FEATURE_COLUMNS` for the customers meeting ``who``, from their events before ``until``.

    ``parts`` names the events to read ("responses", "tickets"); the facts of a part left out are missing
    (NaN, counts 0), for figures that need only the other part. The events are sought per customer through
    the indexes on ``customer_id`` (for responses a covering one), the customers given as a subquery that the
    database evaluates once from the index on the first event.
    """
    ids = select(cu.id).where(who).scalar_subquery()
    out = rows_frame(conn.execute(customer_rows(conn.dialect.name, who, ids, as_of, definition)),
                     ["customer_id", "judged", "churned", "segment", "site", "tenure_months"])
    own = out[["customer_id", "segment", "site", "tenure_months"]]
    if "responses" in parts:
        resp = rows_frame(conn.execute(_response_facts(ids, until)), RESPONSE_COLUMNS)
        out = out.merge(resp, on="customer_id", how="left")
    if "tickets" in parts:
        tick = rows_frame(conn.execute(_ticket_facts(ids, until)), TICKET_COLUMNS)
        out = out.merge(tick, on="customer_id", how="left")
    # Who the customer is (a customer list's segment and home site), for churn by group.
    # In id order: the database's row order depends on its plan, and the model's sums on the order.
    out = typed_facts(out).merge(own, on="customer_id", how="left")
    out["tenure_months"] = pd.to_numeric(out["tenure_months"]).astype(float)
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def typed_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """:data:`FEATURE_COLUMNS` in their types: counts as integers (0 where missing), the other facts as floats
    (NaN where missing)."""
    out = facts.reindex(columns=FEATURE_COLUMNS)
    for col in ("n_responses", "n_tickets", "breached", "reopened", "repeats"):
        out[col] = pd.to_numeric(out[col]).fillna(0).astype(int)
    for col in ("worst_tier", "worst_ltr", "mean_ces", "max_contacts", "max_transfers", "repeated"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out


def customer_features(conn: Connection, filters: Filters, as_of: date | None, definition: ChurnDefinition,
                      size: int = SAMPLE_CUSTOMERS,
                      parts: Sequence[str] = FACT_PARTS) -> tuple[pd.DataFrame, date | None]:
    """Facts of a sample of the judged customers, from their events before the observation end; and A.

    ``parts``: as in :func:`facts_for`.
    """
    a = resolve_as_of(conn, filters, as_of)
    if a is None:
        return pd.DataFrame(columns=FEATURE_COLUMNS), None
    who, _ = sample_condition(conn, and_(customer_selection(filters), judged(definition, a)), size)
    return facts_for(conn, who, a, definition, observation_end(a, definition), parts), a


def active_condition(definition: ChurnDefinition, as_of: date) -> ColumnElement[bool]:
    """Customers still active on A: seen by A, not churned, and (inactivity) seen within the last W days."""
    known = seen(as_of)
    not_flagged = ~flagged(as_of) | cu.churn_flag.is_(None)
    if definition.mode == "flag":
        return and_(known, not_flagged)
    # A customer list's undated "no" is a stated status: active under either rule, as it is judged under either.
    return and_(known, not_flagged, or_(cu.last_event_at >= observation_end(as_of, definition), undated_status()))


def active_features(conn: Connection, filters: Filters, as_of: date, definition: ChurnDefinition,
                    size: int) -> tuple[pd.DataFrame, int]:
    """Facts of (a sample of) the active customers from all their events up to A; and the sampling step k."""
    who, step = sample_condition(conn, and_(customer_selection(filters), active_condition(definition, as_of)), size)
    return facts_for(conn, who, as_of, definition, observation_end(as_of, ChurnDefinition("flag"))), step


HISTORY_COLUMNS = ["customer_id", "duration", "churned", "first_tier"]


def histories_from(rows: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per customer seen by A: ``duration`` (days from the first event to churn, or to A if not churned),
    ``churned`` (0/1) and ``first_tier`` (tier name of the first response, "none" without one).

    ``rows`` holds ``customer_id``, ``first_day`` and ``last_day`` (the event span's days, as
    :func:`~cxdash.sqlfuncs.epoch_days` counts them), ``flagged`` (0/1, flagged by A), ``churn_day`` (missing
    without a churn date), ``churned`` (0/1, :func:`~cxdash.metrics.loyalty.churn_definition.ended` by A) and ``tier``
    (code of the first response up to A, missing without one); optionally ``tenure_months`` (a customer list's
    tenure: where given it is the duration, at :data:`DAYS_PER_MONTH` days a month, so a list without dates
    still gives retention curves).
    """
    if rows.empty:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    first = rows["first_day"].to_numpy(dtype=float)
    last = rows["last_day"].to_numpy(dtype=float)
    churn_day = rows["churn_day"].to_numpy(dtype=float)
    # A flag with a date ends the relationship on that date; otherwise it ends with the last event.
    dated = (rows["flagged"].to_numpy() == 1) & ~np.isnan(churn_day)
    end = np.where(dated, churn_day, last)
    end = np.where(rows["churned"].to_numpy() == 1, end, float((as_of - EPOCH).days))
    days = end - first
    if "tenure_months" in rows:
        tenure = pd.to_numeric(rows["tenure_months"], errors="coerce").to_numpy(dtype=float)
        # Half-days round up, as the databases round the tenure that dates a first event (cxdash.customers).
        days = np.where(np.isnan(tenure), days, np.floor(tenure * DAYS_PER_MONTH + 0.5))
    keep = ~np.isnan(days)  # no dates and no tenure: no duration to follow
    rows, days = rows[keep], days[keep]
    return pd.DataFrame({"customer_id": rows["customer_id"].to_numpy(),
                         "duration": np.maximum(days, 0).astype(int),
                         "churned": rows["churned"].to_numpy(),
                         "first_tier": [tier_name(c) for c in rows["tier"].tolist()]})
