"""Dialect-aware SQL expressions for the few things SQLite and PostgreSQL spell differently."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, cast, func
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
