"""Customers' event span: the first and last time each customer visited, answered a survey or raised a ticket.

``customer.first_event_at`` / ``last_event_at`` are kept up to date at load time so churn (no event within W
days after the last one) is a predicate on one indexed column instead of a scan over every response and ticket.
A survey response counts at its visit date (00:00), a ticket at its creation time, and a customer list's own
dates at 00:00: the first-seen date, else the churn date less the tenure (months of
:data:`DAYS_PER_MONTH` days) where a tenure is given, else the churn date (issue 19.5), so a customer file alone
gives its customers an event span. A customer list without any date gives none; its flags still count (see
:func:`cxdash.metrics.loyalty.churn_definition.judged`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.schema import customer, survey_response, ticket

ID_CHUNK = 5_000
DAYS_PER_MONTH = 30.4375  # a month of tenure in days (365.25 / 12), as the retention curves count it


def _tenure_start(conn: Connection) -> ColumnElement[Any]:
    """The churn date less the tenure (whole days), as a date; NULL without either."""
    cu = customer.c
    # Half-days round up on both databases (tenure is never negative): SQLite's CAST truncates, PostgreSQL's
    # rounds, hence FLOOR there.
    half_up = cu.tenure_months * DAYS_PER_MONTH + 0.5
    if conn.dialect.name == "sqlite":
        return func.date(cu.churn_date, func.printf("-%d days", cast(half_up, Integer)))
    return cu.churn_date - cast(func.floor(half_up), Integer)  # PostgreSQL: date - integer is a date


def _visit_midnight(conn: Connection, agg: Any) -> ColumnElement[Any]:
    """Midnight of the earliest or latest visit date (``agg`` is ``func.min`` or ``func.max``), in the form the
    dialect stores timestamps, so it compares and aggregates with ticket times."""
    return _midnight(conn, agg(survey_response.c.visit_date))


def _midnight(conn: Connection, value: Any) -> ColumnElement[Any]:
    """Midnight of a date value, as the dialect stores timestamps."""
    if conn.dialect.name == "sqlite":
        # SQLite keeps timestamps as text "YYYY-MM-DD HH:MM:SS.ffffff" and dates as "YYYY-MM-DD".
        return type_coerce(value, String()).concat(literal(" 00:00:00.000000"))
    return cast(value, DateTime)


def _update(conn: Connection, ids: Sequence[int] | None) -> None:
    r_where: ColumnElement[bool] = survey_response.c.customer_id.isnot(None)
    t_where: ColumnElement[bool] = ticket.c.customer_id.isnot(None)
    if ids is not None:
        r_where = and_(r_where, survey_response.c.customer_id.in_(ids))
        t_where = and_(t_where, ticket.c.customer_id.in_(ids))
    cu = customer.c
    c_where: ColumnElement[bool] = or_(cu.first_seen.isnot(None), cu.churn_date.isnot(None))
    if ids is not None:
        c_where = and_(c_where, cu.id.in_(ids))
    # A list that gives a churn date and a tenure but no first-seen date dates the start: churn date - tenure.
    own_first = _midnight(conn, func.coalesce(cu.first_seen, _tenure_start(conn), cu.churn_date))
    # The churn date is the span only of a customer known by nothing else: as a last event it would hide the
    # silence before it from the inactivity rule.
    own_last = own_first
    events = union_all(
        select(survey_response.c.customer_id.label("cid"), _visit_midnight(conn, func.min).label("first"),
               _visit_midnight(conn, func.max).label("last")).where(r_where).group_by(survey_response.c.customer_id),
        select(ticket.c.customer_id.label("cid"), func.min(ticket.c.created_at).label("first"),
               func.max(ticket.c.created_at).label("last")).where(t_where).group_by(ticket.c.customer_id),
        select(cu.id.label("cid"), own_first.label("first"), own_last.label("last")).where(c_where),
    ).subquery()
    span = (select(events.c.cid, func.min(events.c.first).label("first"), func.max(events.c.last).label("last"))
            .group_by(events.c.cid).subquery())
    conn.execute(
        update(customer).where(customer.c.id == span.c.cid)
        .values(first_event_at=span.c.first, last_event_at=span.c.last)
    )
    # Customers whose events were all deleted lose their span.
    none_left = and_(
        or_(customer.c.first_event_at.isnot(None), customer.c.last_event_at.isnot(None)),
        ~exists().where(survey_response.c.customer_id == customer.c.id),
        ~exists().where(ticket.c.customer_id == customer.c.id),
        customer.c.first_seen.is_(None), customer.c.churn_date.is_(None),
    )
    if ids is not None:
        none_left = and_(none_left, customer.c.id.in_(ids))
    conn.execute(update(customer).where(none_left).values(first_event_at=null(), last_event_at=null()))


def refresh_customer_events(conn: Connection, customer_ids: Sequence[int] | None = None) -> None:
    """Set ``first_event_at`` / ``last_event_at`` of the given customers (all when None) from their survey
    responses (visit date) and tickets (creation time), in the caller's transaction.

    Customers without any response or ticket get NULL for both. Large id lists are processed in chunks.
    """
    if customer_ids is None:
        _update(conn, None)
        return
    ids = sorted({int(i) for i in customer_ids})
    for lo in range(0, len(ids), ID_CHUNK):
        _update(conn, ids[lo:lo + ID_CHUNK])
