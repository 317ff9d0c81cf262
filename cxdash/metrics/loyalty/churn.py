"""Churn rate (docs/metrics.md): flagged customers, and customers with no event within W days after their last one.

As of a day A with window W (default 365 days):

- **judged** (the denominator): customers whose first event (visit, response or ticket) lies at least W days
  before A, so a full window after it could be observed, and whose last event lies at most 2W days before A
  (still in the base in the window before the cutoff; those silent longer left before and are no longer
  counted, so the rate does not pile up every loss of a long history); customers a customer list gives a flag
  but no date are judged by their flag;
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
from sqlalchemy import Engine, and_, case, false, func, literal, or_, select, true, union
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.domain.periods import month_floor, next_month
from cxdash.filters import Filters, response_where, ticket_where
from cxdash.metrics.loyalty.churn_definition import (
    DEFAULT_WINDOW_DAYS,
    ChurnDefinition,
    base_start,
    churned,
    judgeable_from,
    judged,
    undated_status,
)
from cxdash.metrics.loyalty.churn_definition import cutoff as _cutoff
from cxdash.metrics.significance import Proportion, proportion
from cxdash.schema import customer, site, survey_response, ticket

INACTIVITY, FLAG = "inactivity", "flag"  # the modes of cxdash.metrics.loyalty.churn_definition
__all__ = ["DEFAULT_WINDOW_DAYS", "churn_counts", "churn_rate", "churn_trend", "customer_selection", "resolve_as_of"]
cu = customer.c


def has_org_filter(filters: Filters) -> bool:
    """True when the filters narrow the organisation, channel, segment or scope (anything but the dates)."""
    f = filters
    lists = (f.region_ids, f.site_ids, f.team_ids, f.person_ids, f.channels, f.segments)
    return any(lists) or f.scope_sites is not None or f.scope_teams is not None


def _own_match(filters: Filters) -> ColumnElement[bool]:
    """Customers whose own record (a customer list's segment and site) meets the filters' non-date conditions;
    none when the filters ask for something a customer record does not hold (team, person, channel)."""
    f = filters
    if f.team_ids or f.person_ids or f.channels or f.scope_teams is not None:
        return false()
    conds: list[ColumnElement[bool]] = []
    if f.segments:
        conds.append(cu.segment.in_(list(f.segments)))
    if f.site_ids:
        conds.append(cu.site_id.in_(list(f.site_ids)))
    if f.scope_sites is not None:
        conds.append(cu.site_id.in_(list(f.scope_sites)))
    if f.region_ids:
        conds.append(cu.site_id.in_(select(site.c.id).where(site.c.region_id.in_(list(f.region_ids)))))
    return and_(*conds) if conds else false()


def customer_selection(filters: Filters) -> ColumnElement[bool]:
    """Customers with a response or ticket matching the filters' non-date conditions, or whose own record does
    (a customer list's segment and site); all customers without such filters."""
    if not has_org_filter(filters):
        return true()
    undated = filters.with_dates(None, None)
    ids = union(
        select(survey_response.c.customer_id).where(response_where(undated)),
        select(ticket.c.customer_id).where(ticket_where(undated)),
    )
    return or_(cu.id.in_(ids), _own_match(filters))


def data_end(conn: Connection) -> date | None:
    """The day of the latest customer event in the database (None when no customer has an event)."""
    value = conn.execute(select(func.max(cu.last_event_at))).scalar()
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else datetime.fromisoformat(str(value)).date()


def resolve_as_of(conn: Connection, filters: Filters, as_of: date | None) -> date | None:
    """A: ``as_of`` when given, else the filters' last day capped at the latest event, else the latest event;
    without any dated event but with customers a list gives a churn status, the filters' last day or today
    (their undated flags hold on any day)."""
    if as_of is not None:
        return as_of
    end = data_end(conn)
    if filters.date_to is not None and end is not None:
        return min(filters.date_to, end)
    if end is None and conn.execute(select(cu.id).where(undated_status()).limit(1)).first() is not None:
        return filters.date_to or date.today()
    return end


def churn_columns(as_of: date, window_days: int, suffix: str = "",
                  mode: str = INACTIVITY) -> list[ColumnElement[Any]]:
    """Labelled aggregates ``judged{suffix}`` and ``churned{suffix}`` over ``customer`` as of ``as_of``
    (the predicates of :mod:`cxdash.metrics.loyalty.churn_definition`)."""
    d = ChurnDefinition(mode, window_days)
    return [
        func.sum(case((judged(d, as_of), 1), else_=0)).label(f"judged{suffix}"),
        func.sum(case((churned(d, as_of), 1), else_=0)).label(f"churned{suffix}"),
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
    customer with an event on or before A (:mod:`cxdash.metrics.loyalty.churn_definition`). Without organisation filters
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


def _bounds(days: Sequence[date], window_days: int,
            mode: str) -> tuple[list[datetime], list[datetime] | None, list[datetime] | None]:
    """Per day: the bound a first event must lie below to be judged, and (inactivity) the bound a last event must
    lie below for W days of silence, and the bound below which a last event left the base (no longer judged)."""
    if mode == FLAG:
        return [datetime.combine(a + timedelta(days=1), time.min) for a in days], None, None
    cutoffs = [_cutoff(a, window_days) for a in days]
    return cutoffs, cutoffs, [base_start(a, window_days) for a in days]


def _buckets(conn: Connection, where: ColumnElement[bool], days: Sequence[date], window_days: int,
             mode: str) -> list[tuple[int, int, int, int, int]]:
    """Per group of customers meeting ``where``: (judged bucket, silent bucket, flag bucket, gone bucket, count).

    Each customer gets four buckets (first day index at which they are judged, silent for W days, flagged, gone
    from the base); day i counts a customer as judged when the judged bucket is <= i and the gone bucket > i, as
    churned when also the smaller of the silent and flag buckets is <= i. A stated status without dates is judged
    from the first day and never silent or gone.
    """
    m = len(days)
    judged_bounds, silent_bounds, gone_bounds = _bounds(days, window_days, mode)
    judged_b = case((undated_status(), 0), else_=_bucket(cu.first_event_at, judged_bounds))
    silent_b: ColumnElement[int] = literal(m) if silent_bounds is None else _bucket(cu.last_event_at, silent_bounds)
    gone_b: ColumnElement[int] = literal(m) if gone_bounds is None else _bucket(cu.last_event_at, gone_bounds)
    flag_b = case((~cu.churn_flag.is_(true()), m), (cu.churn_date.is_(None), 0),
                  else_=_bucket(cu.churn_date, days, strict=False))
    keys = [judged_b.label("jb"), silent_b.label("sb"), flag_b.label("fb"), gone_b.label("gb")]
    return [(int(r.jb), int(r.sb), int(r.fb), int(r.gb), int(r.n))
            for r in conn.execute(select(*keys, func.count().label("n")).where(where).group_by(*keys))]


def _grouped_counts(conn: Connection, where: ColumnElement[bool], days: Sequence[date], window_days: int,
                    mode: str) -> list[tuple[int, int]]:
    """(judged, churned) per day of the customers meeting ``where``, from one grouped query (:func:`_buckets`)."""
    groups = [(jb, min(sb, fb), gb, n) for jb, sb, fb, gb, n in _buckets(conn, where, days, window_days, mode)]
    return [(sum(n for jb, _, gb, n in groups if jb <= i < gb),
             sum(n for jb, eb, gb, n in groups if jb <= i < gb and eb <= i))
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

    Judged: customers whose first event lies below the day's bound, less (inactivity) those whose last event
    left the base (a last event below the gone bound implies a first one below the cutoff), plus the undated
    stated statuses. Churned: the flagged customers are bucketed one by one (:func:`_buckets`, through the index
    on the flag); of the others, those silent for W days but not gone, i.e. whose last event lies between the
    two bounds, all of them judged since a first event never follows the last
    (:func:`cxdash.customers.refresh_customer_events` keeps both as the min and max of the same events).
    """
    m = len(days)
    judged_bounds, silent_bounds, gone_bounds = _bounds(days, window_days, mode)
    first = _below(conn, cu.first_event_at, judged_bounds)
    gone = _below(conn, cu.last_event_at, gone_bounds) if gone_bounds is not None else [0] * m
    undated = int(conn.execute(select(func.count()).select_from(customer).where(undated_status())).scalar_one())
    flagged = _buckets(conn, cu.churn_flag.is_(true()), days, window_days, mode)
    silent = _below(conn, cu.last_event_at, silent_bounds) if silent_bounds is not None else [0] * m
    out = []
    for i in range(m):
        flagged_silent = sum(n for _, sb, _, gb, n in flagged if sb <= i < gb)
        flagged_churned = sum(n for jb, sb, fb, gb, n in flagged if jb <= i < gb and min(sb, fb) <= i)
        out.append((first[i] - gone[i] + undated, silent[i] - gone[i] - flagged_silent + flagged_churned))
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
    out, cur = [], month_floor(first)
    while cur <= last:
        nxt = next_month(cur)
        out.append(min(nxt - timedelta(days=1), last))
        cur = nxt
    return out


def churn_trend(engine: Engine, filters: Filters, as_of: date | None = None,
                window_days: int = DEFAULT_WINDOW_DAYS, mode: str = INACTIVITY,
                judgeable_only: bool = True) -> pd.DataFrame:
    """Churn rate as of the end of each month of the filters' range (the last month as of A).

    Columns: ``month`` ("YYYY-MM"), ``as_of``, ``n`` (judged), ``k`` (churned), ``rate``, ``ci_low``,
    ``ci_high``; months with no judged customer are left out, and (``judgeable_only``) months the history cannot
    support yet (before :func:`cxdash.metrics.loyalty.churn_definition.judgeable_from`; :func:`trend_start` says which).
    One grouped query over the customers.
    """
    cols = ["month", "as_of", "n", "k", "rate", "ci_low", "ci_high"]
    with engine.connect() as conn:
        end = resolve_as_of(conn, filters, as_of)
        first = judgeable_from(conn, ChurnDefinition(mode, window_days))
        start = filters.date_from or (None if first is None else first - timedelta(days=2 * window_days))
        if end is None or start is None or start > end or first is None:
            return pd.DataFrame(columns=cols)
        ends = [a for a in month_ends(start, end) if a >= first or not judgeable_only]
        counts = churn_counts(conn, filters, ends, window_days, mode)
    out = []
    for a, (n, k) in zip(ends, counts, strict=True):
        if n:
            p = proportion(k, n)
            out.append({"month": a.strftime("%Y-%m"), "as_of": a, "n": n, "k": k, "rate": p.rate,
                        "ci_low": p.ci_low, "ci_high": p.ci_high})
    return pd.DataFrame(out, columns=cols)
