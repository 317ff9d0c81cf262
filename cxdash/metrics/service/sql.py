"""The filters' tickets as SQL for the SLA figures: merged tickets in or out, and SQLite's scan for wide ranges.

The outcome predicates themselves are :mod:`cxdash.domain.service_sql`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Engine, and_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from cxdash.domain.periods import time_conditions
from cxdash.filters import Filters, ticket_where
from cxdash.schema import ticket
from cxdash.sqlfuncs import min_max

t = ticket.c


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
    conds += time_conditions(unindexed(t.created_at), f.date_from, f.date_to)
    return and_(*conds)


