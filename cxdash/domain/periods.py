"""Calendar months and date ranges, in Python and as SQL: the one month arithmetic and the one date range.

A date range is inclusive at both ends and open where an end is None, as the filters hold it. On a date column
(a visit, an inspection) that is ``lo <= col <= hi``; on a timestamp stored as naive UTC (a ticket's creation)
it is every moment of those days, ``lo 00:00 <= col < (hi + 1 day) 00:00``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, func, true
from sqlalchemy.sql.elements import ColumnElement


def month_floor(d: date) -> date:
    """The first day of ``d``'s month."""
    return d.replace(day=1)


def next_month(d: date) -> date:
    """The first day of the month after ``d``'s."""
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def trailing_year(end: date) -> tuple[date, date]:
    """The twelve whole calendar months ending with the month of ``end`` (up to ``end``)."""
    months = end.year * 12 + end.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), end


def month_start(col: Any, dialect: str) -> ColumnElement[Any]:
    """SQL: the first day of the month of a date or timestamp column, as a date."""
    if dialect == "sqlite":
        return func.date(col, "start of month")
    return cast(func.date_trunc("month", col), Date)


def day_conditions(col: Any, lo: date | None, hi: date | None) -> list[ColumnElement[bool]]:
    """SQL conditions putting a date column in ``[lo, hi]`` (none for an open end)."""
    conds: list[ColumnElement[bool]] = []
    if lo is not None:
        conds.append(col >= lo)
    if hi is not None:
        conds.append(col <= hi)
    return conds


def time_conditions(col: Any, lo: date | None, hi: date | None) -> list[ColumnElement[bool]]:
    """SQL conditions putting a naive timestamp column on the days ``[lo, hi]`` (none for an open end)."""
    conds: list[ColumnElement[bool]] = []
    if lo is not None:
        conds.append(col >= datetime.combine(lo, time.min))
    if hi is not None:
        conds.append(col < datetime.combine(hi + timedelta(days=1), time.min))
    return conds


def between(col: Any, lo: date | None, hi: date | None) -> ColumnElement[bool]:
    """:func:`day_conditions` as one condition (true when both ends are open)."""
    return and_(true(), *day_conditions(col, lo, hi))
