"""SQL expressions for the SLA outcomes of a ticket, shared by every SLA metric, list, report and form.

All are plain predicates on stored columns of ``ticket`` (see :mod:`cxdash.service.compute`) and the moment
``now``, so SQLite and PostgreSQL evaluate them alike and the global filters combine with them freely (the
filters' ticket selection for aggregates is :func:`cxdash.metrics.service.sql.where_for`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy.sql.elements import ColumnElement as _CE

from cxdash.schema import ticket

OPEN_STATUSES = ("open", "pending")
DONE_STATUSES = ("resolved", "closed")
t = ticket.c


def utcnow() -> datetime:
    """The current time as naive UTC, the form timestamps are stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


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
