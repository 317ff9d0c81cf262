"""SQL expressions for the SLA outcomes of a ticket, shared by every SLA metric, list and report.

All are plain predicates on stored columns of ``ticket`` (see :mod:`cxdash.sla.compute`) and the moment
``now``, so SQLite and PostgreSQL evaluate them alike and the global filters combine with them freely.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Engine, and_, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement as _CE
from sqlalchemy.sql.functions import FunctionElement

from cxdash.filters import Filters, ticket_where
from cxdash.schema import ticket
from cxdash.sqlfuncs import min_max

OPEN_STATUSES = ("open", "pending")
DONE_STATUSES = ("resolved", "closed")
t = ticket.c


def utcnow() -> datetime:
    """The current time as naive UTC, the form timestamps are stored in."""
    from datetime import UTC

    return datetime.now(UTC).replace(tzinfo=None)


def base_where(f: Filters, merged: bool | None = False) -> ColumnElement[bool]:
    """The filters' tickets; merged tickets (``merged_into`` set) are left out when ``merged`` is false, the
    only ones selected when it is true, and kept with the others when it is None."""
    if merged is None:
        return ticket_where(f)
    merge_cond = t.merged_into.is_not(None) if merged else t.merged_into.is_(None)
    return and_(ticket_where(f), merge_cond)


class unindexed(FunctionElement[datetime]):  # noqa: N801 - reads like the SQL function it stands for
    """A column that SQLite must not look up through an index (``+col``); the plain column elsewhere."""

    inherit_cache = True
    type = DateTime()


@compiles(unindexed)
def _unindexed_default(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


# Above this share of all tickets, reading the table in order beats an index range plus a row lookup each.
SCAN_SHARE = 0.2


def prefers_scan(engine: Engine, f: Filters) -> bool:
    """True on SQLite when the date range covers much of the tickets' time span.

    SQLite has no statistics on value ranges, so it walks the creation-time index for any range and fetches
    each row from the table: ten times slower than one sequential scan when half the tickets match.
    """
    if engine.dialect.name != "sqlite" or (f.date_from is None and f.date_to is None):
        return False
    with engine.connect() as conn:
        lo, hi = min_max(conn, t.created_at)
    if lo is None or hi is None or hi <= lo:
        return False
    start = max(lo, datetime.combine(f.date_from, time.min)) if f.date_from else lo
    end = min(hi, datetime.combine(f.date_to + timedelta(days=1), time.min)) if f.date_to else hi
    return (end - start) / (hi - lo) > SCAN_SHARE


def where_for(engine: Engine, f: Filters, merged: bool | None = False) -> ColumnElement[bool]:
    """:func:`base_where` for a query that aggregates many tickets: on SQLite, a wide date range is applied
    without the creation-time index (see :func:`prefers_scan`); the selected rows are the same."""
    if not prefers_scan(engine, f):
        return base_where(f, merged)
    undated = replace(f, date_from=None, date_to=None)
    conds: list[ColumnElement[bool]] = [base_where(undated, merged)]
    created = unindexed(t.created_at)
    if f.date_from is not None:
        conds.append(created >= datetime.combine(f.date_from, time.min))
    if f.date_to is not None:
        conds.append(created < datetime.combine(f.date_to + timedelta(days=1), time.min))
    return and_(*conds)


def is_open() -> ColumnElement[bool]:
    """Open or pending (not yet resolved or closed)."""
    return t.status.in_(OPEN_STATUSES)


def _met(kind: str) -> ColumnElement[bool]:
    """``kind`` (``frt`` or ``res``) answered within its target."""
    return and_(t[f"{kind}_target_min"].is_not(None), t[f"{kind}_business_min"] <= t[f"{kind}_target_min"])


def _pending(kind: str) -> ColumnElement[bool]:
    """``kind`` still awaited on an open ticket a policy applies to."""
    return and_(t[f"{kind}_target_min"].is_not(None), t[f"{kind}_business_min"].is_(None), is_open())


def _breached(kind: str, now: datetime) -> ColumnElement[bool]:
    """``kind`` answered late, or still awaited after its due time."""
    return and_(
        t[f"{kind}_target_min"].is_not(None),
        or_(t[f"{kind}_business_min"] > t[f"{kind}_target_min"], and_(_pending(kind), t[f"{kind}_due_at"] <= now)),
    )


def frt_met() -> ColumnElement[bool]:
    """First response within target."""
    return _met("frt")


def frt_pending() -> ColumnElement[bool]:
    """Still waiting for a first response (open, no response yet, a policy applies)."""
    return _pending("frt")


def frt_breached(now: datetime) -> ColumnElement[bool]:
    """First response late, or still missing after its due time."""
    return _breached("frt", now)


def res_met() -> ColumnElement[bool]:
    """Resolved within target."""
    return _met("res")


def res_pending() -> ColumnElement[bool]:
    """Not resolved yet (open, a policy applies)."""
    return _pending("res")


def res_breached(now: datetime) -> ColumnElement[bool]:
    """Resolved late, or still open after its due time."""
    return _breached("res", now)


def breached_open(now: datetime) -> ColumnElement[bool]:
    """Open tickets past a due time they have not met (first response or resolution)."""
    return and_(is_open(), or_(and_(frt_pending(), t.frt_due_at <= now), and_(res_pending(), t.res_due_at <= now)))


def at_risk(now: datetime) -> ColumnElement[bool]:
    """Open, not breached, and past the at-risk threshold of a pending target."""
    return and_(
        is_open(),
        ~breached_open(now),
        or_(and_(frt_pending(), t.frt_risk_at <= now), and_(res_pending(), t.res_risk_at <= now)),
    )


def next_due() -> ColumnElement[Any]:
    """The next due time of an open ticket: first response while it is pending and earlier, else resolution."""
    return case(
        (and_(frt_pending(), or_(t.res_due_at.is_(None), t.frt_due_at < t.res_due_at)), t.frt_due_at),
        else_=t.res_due_at,
    )


def is_resolved() -> ColumnElement[bool]:
    """Resolved or closed."""
    return t.status.in_(DONE_STATUSES)


def first_time_fix() -> ColumnElement[bool]:
    """Resolved, never reopened, and no new ticket of the same customer and category within 7 days."""
    return and_(is_resolved(), func.coalesce(t.reopen_count, 0) == 0, func.coalesce(t.has_repeat_7d, False).is_(False))


def was_resolved() -> ColumnElement[bool]:
    """Resolved at least once: resolved or closed now, or reopened (which needs an earlier resolution)."""
    return or_(is_resolved(), t.reopen_count > 0)


def count_if(cond: _CE[bool]) -> ColumnElement[int]:
    """``SUM(CASE WHEN cond THEN 1 ELSE 0 END)``: portable conditional count."""
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def outcome_columns(now: datetime) -> list[ColumnElement[Any]]:
    """The aggregate columns every SLA table shares: counts of each outcome, labelled."""
    return [
        func.count().label("n"),
        count_if(frt_met()).label("frt_met"),
        count_if(frt_breached(now)).label("frt_breached"),
        count_if(res_met()).label("res_met"),
        count_if(res_breached(now)).label("res_breached"),
        count_if(is_resolved()).label("resolved"),
        count_if(first_time_fix()).label("ftf"),
        count_if(was_resolved()).label("was_resolved"),
        count_if(t.reopen_count > 0).label("reopened"),
        count_if(t.is_repeat_7d.is_(True)).label("repeats"),
        count_if(t.reminder_count > 0).label("chased"),
        count_if(at_risk(now)).label("at_risk"),
        count_if(breached_open(now)).label("breached_open"),
        count_if(is_open()).label("open"),
    ]


def ratio(k: float | int | None, n: float | int | None) -> float:
    """k / n, NaN when n is 0 or missing."""
    if not n:
        return float("nan")
    return float(k or 0) / float(n)
