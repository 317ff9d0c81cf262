"""Dialect-aware SQL expressions for the few things SQLite and PostgreSQL spell differently."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Float, String, any_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


def month_bucket(col: Any, dialect: str) -> ColumnElement[str]:
    """``'YYYY-MM'`` of a date or timestamp column."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m", col)
    return func.to_char(col, "YYYY-MM")


def day_bucket(col: Any, dialect: str) -> ColumnElement[str]:
    """``'YYYY-MM-DD'`` of a date or timestamp column."""
    if dialect == "sqlite":
        return func.strftime("%Y-%m-%d", col)
    return func.to_char(col, "YYYY-MM-DD")


def week_bucket(col: Any, dialect: str) -> ColumnElement[str]:
    """``'YYYY-MM-DD'`` of the Monday that starts the ISO week of a date or timestamp column."""
    if dialect == "sqlite":
        # 'weekday 0' moves forward to the next Sunday (or stays on one); six days back is that week's Monday.
        return func.date(col, "weekday 0", "-6 days")
    return func.to_char(func.date_trunc("week", col), "YYYY-MM-DD")


def as_float(expr: Any) -> ColumnElement[float]:
    """Cast to floating point so integer division never truncates a ratio."""
    return cast(expr, Float)


def in_ids(col: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``col`` is one of ``ids``, bound as a single parameter however many there are.

    ``IN (?, ?, ...)`` needs a placeholder per id and SQLite allows 32,766; a subquery that picks the ids is run
    again by every statement that uses it. SQLite reads the ids from one JSON array (``json_each``), PostgreSQL
    from one array (``= ANY``).
    """
    values = [int(i) for i in ids]
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
        return col.in_(select(listed.c.value))
    return col == any_(bindparam(None, values, type_=ARRAY(BigInteger)))
