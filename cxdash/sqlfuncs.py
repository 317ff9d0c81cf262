"""Dialect-aware SQL expressions for the few things SQLite and PostgreSQL spell differently."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import GenericFunction

SQLITE_LOWER = "cx_lower"  # registered on every SQLite connection by cxdash.db


def unicode_lower(value: str | None) -> str | None:
    """The lower case of ``value`` for every script (Python's, as PostgreSQL's ``lower()`` folds under a UTF-8
    locale); what SQLite calls as ``cx_lower``."""
    return value.lower() if isinstance(value, str) else value


class lower_text(GenericFunction[str]):
    """``lower()`` that folds every letter on both databases: SQLite's own folds only A-Z, so a keyword typed
    "Ärger" or "ÉCHEC" would miss "ärger" or "échec" there."""

    type = String()
    name = "lower_text"
    inherit_cache = True


def lower_for(col: Any, words: Sequence[str]) -> ColumnElement[str]:
    """``col`` in lower case for matching ``words``: the database's own ``lower()`` when every word is ASCII (no
    other letter can then match, and SQLite calls no Python per row), else :class:`lower_text`."""
    return func.lower(col) if all(w.isascii() for w in words) else lower_text(col)


@compiles(lower_text)
def _lower_text(element: lower_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(lower_text, "sqlite")
def _lower_text_sqlite(element: lower_text, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_LOWER}({compiler.process(element.clauses, **kw)})"


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


def _in_array(col: Any, values: list[Any], element: Any, dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        listed = func.json_each(bindparam(None, json.dumps(values), type_=String)).table_valued("value")
        return col.in_(select(listed.c.value))
    return col == any_(bindparam(None, values, type_=ARRAY(element)))


def in_ids(col: Any, ids: Sequence[int], dialect: str) -> ColumnElement[bool]:
    """``col`` is one of ``ids``, bound as a single parameter however many there are.

    ``IN (?, ?, ...)`` needs a placeholder per id and SQLite allows 32,766; a subquery that picks the ids is run
    again by every statement that uses it. SQLite reads the ids from one JSON array (``json_each``), PostgreSQL
    from one array (``= ANY``).
    """
    return _in_array(col, [int(i) for i in ids], BigInteger, dialect)


def in_texts(col: Any, values: Sequence[str], dialect: str) -> ColumnElement[bool]:
    """``col`` is one of the strings ``values``, bound as a single parameter (see :func:`in_ids`)."""
    return _in_array(col, [str(v) for v in values], String, dialect)


def epoch_days(col: Any, dialect: str) -> ColumnElement[int]:
    """Whole days from 1970-01-01 to the day of a DATE or TIMESTAMP column (NULL stays NULL), as an integer.

    SQLite keeps both as ISO text; ``julianday`` of a time of day has a fraction, which the cast drops.
    """
    if dialect == "sqlite":
        return cast(func.julianday(col) - 2440587.5, Integer)
    return cast(cast(col, Date) - cast(literal("1970-01-01"), Date), Integer)


def min_max(conn: Connection, col: Any) -> tuple[Any, Any]:
    """The smallest and largest value of an indexed column over its whole table, each read at one end of its index.

    SQLite answers MIN or MAX from an index only when it is the query's single aggregate: both in one SELECT walk
    the whole index (0.16 s at a million tickets, on every page view that asked). Two scalar subqueries take a
    millisecond; PostgreSQL plans either form the same way.
    """
    lo, hi = conn.execute(min_max_select(col)).one()
    return lo, hi


def min_max_select(col: Any) -> Select[Any]:
    """The statement :func:`min_max` runs: one scalar subquery per end."""
    return select(select(func.min(col)).scalar_subquery(), select(func.max(col)).scalar_subquery())
