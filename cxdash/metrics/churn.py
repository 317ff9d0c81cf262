"""Churn rate (DESIGN.md §3): flagged customers, and customers with no event within W days after their last one.

As of a day A with window W (default 365 days):

- **judged** (the denominator): customers whose first event (visit, response or ticket) lies at least W days
  before A, so a full window after it could be observed;
- **churned** (the numerator): judged customers flagged as churned in an upload by A (flag set and churn date on
  or before A, or no date), or whose last event lies at least W days before A, i.e. nothing followed their last
  event within W days. A customer whose last event is more recent has not churned (yet).

A flag thus counts once the customer has a full window behind them, so a month with a handful of flagged
newcomers never reads as 100 % churn; customers without any event are not judged.

Both are predicates on the customer table's stored event span (``first_event_at`` / ``last_event_at``, kept by
:func:`cxdash.customers.refresh_customer_events`), so no event table is scanned. The span is the customer's whole
history: a customer who came back after a long gap counts as retained at every A, also for past A.

Filters: the date range only sets A (its last day, see :func:`resolve_as_of`); it does not narrow the customers,
since customers seen in a recent range are by construction not churned. The organisation, channel, segment and
scope filters select the customers with at least one survey response or ticket matching them (at any date);
without such filters every customer counts. As A defaults to the latest event in the database, not today, a
database whose uploads stopped does not show everyone as churned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, func, literal, or_, select, true, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.filters import Filters, response_where, ticket_where
from cxdash.metrics.significance import Proportion, proportion
from cxdash.schema import customer, survey_response, ticket

DEFAULT_WINDOW_DAYS = 365
INACTIVITY, FLAG = "inactivity", "flag"  # the modes of cxdash.metrics.churn_definition
cu = customer.c


def has_org_filter(filters: Filters) -> bool:
    """True when the filters narrow the organisation, channel, segment or scope (anything but the dates)."""
    f = filters
    lists = (f.region_ids, f.site_ids, f.team_ids, f.person_ids, f.channels, f.segments)
    return any(lists) or f.scope_sites is not None or f.scope_teams is not None


def customer_selection(filters: Filters) -> ColumnElement[bool]:
    """Customers with a response or ticket matching the filters' non-date conditions (all without such filters)."""
    if not has_org_filter(filters):
        return true()
    undated = filters.with_dates(None, None)
    ids = union(
        select(survey_response.c.customer_id).where(response_where(undated)),
        select(ticket.c.customer_id).where(ticket_where(undated)),
    )
    return cu.id.in_(ids)


def data_end(conn: Connection) -> date | None:
    """The day of the latest customer event in the database (None when no customer has an event)."""
    value = conn.execute(select(func.max(cu.last_event_at))).scalar()
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else datetime.fromisoformat(str(value)).date()


def resolve_as_of(conn: Connection, filters: Filters, as_of: date | None) -> date | None:
    """A: ``as_of`` when given, else the filters' last day capped at the latest event, else the latest event."""
    if as_of is not None:
        return as_of
    end = data_end(conn)
    if filters.date_to is not None and end is not None:
        return min(filters.date_to, end)
    return end


def _cutoff(as_of: date, window_days: int) -> datetime:
    """Events strictly before this moment lie at least ``window_days`` days before ``as_of``."""
    return datetime.combine(as_of - timedelta(days=window_days - 1), time.min)


def churn_columns(as_of: date, window_days: int, suffix: str = "") -> list[ColumnElement[Any]]:
    """Labelled aggregates ``judged{suffix}`` and ``churned{suffix}`` over ``customer`` as of ``as_of``."""
    cutoff = _cutoff(as_of, window_days)
    flagged = and_(cu.churn_flag.is_(true()), or_(cu.churn_date.is_(None), cu.churn_date <= as_of))
    judged = cu.first_event_at < cutoff
    churned = and_(judged, or_(flagged, cu.last_event_at < cutoff))
    return [
        func.sum(case((judged, 1), else_=0)).label(f"judged{suffix}"),
        func.sum(case((churned, 1), else_=0)).label(f"churned{suffix}"),
    ]


def _bucket(value: ColumnElement[Any], bounds: Sequence[Any], strict: bool = True) -> ColumnElement[int]:
    """The first i with ``value < bounds[i]`` (``<=`` unless strict); ``len(bounds)`` when none (or NULL).

    With increasing bounds "i >= bucket" is the same as "value is below bound i", so one CASE per customer
    answers every as-of day at once.
    """
    whens = [((value < b) if strict else (value <= b), i) for i, b in enumerate(bounds)]
    return case(*whens, else_=len(bounds))


def churn_counts(conn: Connection, filters: Filters, as_ofs: Sequence[date],
                 window_days: int = DEFAULT_WINDOW_DAYS, mode: str = INACTIVITY) -> list[tuple[int, int]]:
    """``(judged, churned)`` of the filters' customers as of each day of ``as_ofs``.

    ``mode`` "inactivity" is the definition of this module; "flag" counts only the uploaded flags and judges every
    customer with an event on or before A (:mod:`cxdash.metrics.churn_definition`). Without organisation filters
    every customer counts and the counts come from index ranges (:func:`_indexed_counts`); otherwise from one
    grouped query over the selected customers (:func:`_grouped_counts`). Either way the cost does not grow with
    the number of days.

    Raises:
        ValueError: an unknown ``mode``.
    """
    if mode not in (INACTIVITY, FLAG):
        raise ValueError(f"unknown churn mode {mode!r}")
    if not as_ofs:
        return []
    days = sorted(set(as_ofs))
    counts = _indexed_counts(conn, days, window_days, mode) if not has_org_filter(filters) \
        else _grouped_counts(conn, customer_selection(filters), days, window_days, mode)
    by_day = dict(zip(days, counts, strict=True))
    return [by_day[a] for a in as_ofs]


def _bounds(days: Sequence[date], window_days: int, mode: str) -> tuple[list[datetime], list[datetime] | None]:
    """Per day: the bound a first event must lie below to be judged, and (inactivity) the bound a last event must
    lie below for W days of silence."""
    if mode == FLAG:
        return [datetime.combine(a + timedelta(days=1), time.min) for a in days], None
    cutoffs = [_cutoff(a, window_days) for a in days]
    return cutoffs, cutoffs


def _buckets(conn: Connection, where: ColumnElement[bool], days: Sequence[date], window_days: int,
             mode: str) -> list[tuple[int, int, int, int]]:
    """Per group of customers meeting ``where``: (judged bucket, silent bucket, flag bucket, count).

    Each customer gets three buckets (first day index at which they are judged, silent for W days, flagged);
    day i counts a customer as judged when the judged bucket is <= i, as churned when also the smaller of the
    other two is <= i.
    """
    m = len(days)
    judged_bounds, silent_bounds = _bounds(days, window_days, mode)
    judged_b = _bucket(cu.first_event_at, judged_bounds)
    silent_b: ColumnElement[int] = literal(m) if silent_bounds is None else _bucket(cu.last_event_at, silent_bounds)
    flag_b = case((~cu.churn_flag.is_(true()), m), (cu.churn_date.is_(None), 0),
                  else_=_bucket(cu.churn_date, days, strict=False))
    keys = [judged_b.label("jb"), silent_b.label("sb"), flag_b.label("fb")]
    return [(int(r.jb), int(r.sb), int(r.fb), int(r.n))
            for r in conn.execute(select(*keys, func.count().label("n")).where(where).group_by(*keys))]


def _grouped_counts(conn: Connection, where: ColumnElement[bool], days: Sequence[date], window_days: int,
                    mode: str) -> list[tuple[int, int]]:
    """(judged, churned) per day of the customers meeting ``where``, from one grouped query (:func:`_buckets`)."""
    groups = [(jb, min(sb, fb), n) for jb, sb, fb, n in _buckets(conn, where, days, window_days, mode)]
    return [(sum(n for jb, _, n in groups if jb <= i), sum(n for jb, eb, n in groups if jb <= i and eb <= i))
            for i in range(len(days))]


def _below(conn: Connection, col: Any, bounds: Sequence[datetime]) -> list[int]:
    """Customers with ``col`` below each of the increasing ``bounds``.

    One count per interval between consecutive bounds, each an index range, summed up: the database walks the
    index once and evaluates no expression per customer (a CASE per customer and day cost seconds at a million).
    """
    parts, lower = [], None
    for i, b in enumerate(bounds):
        cond = col < b if lower is None else and_(col >= lower, col < b)
        parts.append(select(func.count()).select_from(customer).where(cond).scalar_subquery().label(f"c{i}"))
        lower = b
    return list(accumulate(int(v or 0) for v in conn.execute(select(*parts)).one()))


def _indexed_counts(conn: Connection, days: Sequence[date], window_days: int, mode: str) -> list[tuple[int, int]]:
    """(judged, churned) per day over all customers, from index ranges and the few flagged customers.

    Judged: customers whose first event lies below the day's bound. Churned: the flagged customers are bucketed
    one by one (:func:`_buckets`, through the index on the flag); of the others, those silent for W days, i.e.
    whose last event lies below the cutoff, all of them judged since a first event never follows the last
    (:func:`cxdash.customers.refresh_customer_events` keeps both as the min and max of the same events).
    """
    judged_bounds, silent_bounds = _bounds(days, window_days, mode)
    judged = _below(conn, cu.first_event_at, judged_bounds)
    flagged = _buckets(conn, cu.churn_flag.is_(true()), days, window_days, mode)
    silent = _below(conn, cu.last_event_at, silent_bounds) if silent_bounds is not None else [0] * len(days)
    out = []
    for i, j in enumerate(judged):
        flagged_silent = sum(n for _, sb, _, n in flagged if sb <= i)
        flagged_churned = sum(n for jb, sb, fb, n in flagged if jb <= i and min(sb, fb) <= i)
        out.append((j, silent[i] - flagged_silent + flagged_churned))
    return out


def churn_rate(engine: Engine, filters: Filters, as_of: date | None = None,
               window_days: int = DEFAULT_WINDOW_DAYS, mode: str = INACTIVITY) -> Proportion:
    """Share of judged customers who churned as of A (see the module docstring), with its Wilson interval.

    Raises:
        ValueError: ``window_days`` is not positive, or an unknown ``mode``.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    with engine.connect() as conn:
        a = resolve_as_of(conn, filters, as_of)
        if a is None:
            return proportion(0, 0)
        ((judged, churned),) = churn_counts(conn, filters, [a], window_days, mode)
    return proportion(churned, judged)


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month from ``first``'s month to ``last``'s, the final one capped at ``last``."""
    out, cur = [], first.replace(day=1)
    while cur <= last:
        nxt = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
        out.append(min(nxt - timedelta(days=1), last))
        cur = nxt
    return out


def churn_trend(engine: Engine, filters: Filters, as_of: date | None = None,
                window_days: int = DEFAULT_WINDOW_DAYS, mode: str = INACTIVITY) -> pd.DataFrame:
    """Churn rate as of the end of each month of the filters' range (the last month as of A).

    Columns: ``month`` ("YYYY-MM"), ``as_of``, ``n`` (judged), ``k`` (churned), ``rate``, ``ci_low``,
    ``ci_high``; months with no judged customer are left out. One grouped query over the customers.
    """
    cols = ["month", "as_of", "n", "k", "rate", "ci_low", "ci_high"]
    with engine.connect() as conn:
        end = resolve_as_of(conn, filters, as_of)
        start = filters.date_from or conn.execute(select(func.min(survey_response.c.visit_date))).scalar()
        if end is None or start is None or start > end:
            return pd.DataFrame(columns=cols)
        ends = month_ends(start, end)
        counts = churn_counts(conn, filters, ends, window_days, mode)
    out = []
    for a, (n, k) in zip(ends, counts, strict=True):
        if n:
            p = proportion(k, n)
            out.append({"month": a.strftime("%Y-%m"), "as_of": a, "n": n, "k": k, "rate": p.rate,
                        "ci_low": p.ci_low, "ci_high": p.ci_high})
    return pd.DataFrame(out, columns=cols)
