"""Fast bulk loading of many rows: COPY on PostgreSQL, raw ``executemany`` on SQLite.

SQLAlchemy Core's ``conn.execute(table.insert(), list_of_dicts)`` builds one dict per row and runs every value
through its type; at millions of rows that costs minutes. :func:`bulk_insert` takes plain tuples instead and
hands them to the driver's fastest path inside the caller's transaction, so a failed load still rolls back
completely. Rows carry explicit primary keys (see :func:`next_id`); on PostgreSQL call
:func:`reset_sequences` afterwards so later ordinary inserts do not collide with them.

Values are what SQLAlchemy would accept (``int``, ``float``, ``str``, ``bool``, ``date``, ``datetime``, dicts
for JSON, ``None``), never numpy scalars (use ``ndarray.tolist()``). Date and timestamp values may also be
given already formatted by :func:`date_strings` / :func:`datetime_strings`, which is how vectorised callers
avoid creating millions of Python ``datetime`` objects; both backends read those strings correctly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import islice
from typing import Any

import numpy as np
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, Table, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

# SQLAlchemy stores SQLite timestamps as text in exactly this form; bound parameters compare against it.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"
DEFAULT_CHUNK = 50_000

Converter = Callable[[Any], Any]


def _to_date(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v


def _to_datetime(v: Any) -> Any:
    return v.strftime(SQLITE_DATETIME) if isinstance(v, datetime) else v


# One encoder for every value: json.dumps with a non-default option builds a new encoder per call, a third of the
# cost of the small details a run of alert rules writes by the ten thousand.
_JSON = json.JSONEncoder(ensure_ascii=False)


def _to_json(v: Any) -> Any:
    return v if isinstance(v, str) else _JSON.encode(v)


def _to_bool(v: Any) -> Any:
    return int(bool(v))


def _to_int(v: Any) -> Any:
    # pandas turns an integer column with a gap into floats; PostgreSQL's COPY refuses "1.0" for a smallint.
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _converters(dialect: str, table: Table, columns: Sequence[str]) -> list[tuple[int, Converter]]:
    """The per-column conversions the driver needs, only for the columns that need one."""
    out: list[tuple[int, Converter]] = []
    for i, name in enumerate(columns):
        col_type = table.c[name].type
        if isinstance(col_type, JSON):
            out.append((i, _to_json))
        elif dialect == "sqlite" and isinstance(col_type, DateTime):
            out.append((i, _to_datetime))
        elif dialect == "sqlite" and isinstance(col_type, Date):
            out.append((i, _to_date))
        elif dialect == "sqlite" and isinstance(col_type, Boolean):
            out.append((i, _to_bool))
        elif isinstance(col_type, Integer) and not getattr(table.c[name], "primary_key", False):
            out.append((i, _to_int))
    return out


def _converted(rows: Iterable[Sequence[Any]], convs: list[tuple[int, Converter]]) -> Iterable[Sequence[Any]]:
    if not convs:
        yield from rows
        return
    for row in rows:
        values = list(row)
        for i, conv in convs:
            if values[i] is not None:
                values[i] = conv(values[i])
        yield values


def _chunks(rows: Iterable[Sequence[Any]], size: int) -> Iterable[list[Sequence[Any]]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def bulk_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk_size: int = DEFAULT_CHUNK,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in the caller's transaction.

    PostgreSQL (psycopg 3) streams the rows through ``COPY ... FROM STDIN``; SQLite runs ``executemany`` on
    the raw DBAPI cursor in chunks of ``chunk_size``; any other dialect falls back to Core executemany.

    Args:
        conn: a connection inside a transaction (``engine.begin()``); nothing is committed here.
        table: the target table.
        columns: the column names, in the order of the values in each row.
        rows: any iterable of sequences (consumed lazily, so generators keep memory flat).
        chunk_size: rows per ``executemany`` call on SQLite and per Core call elsewhere.

    Returns:
        The number of rows inserted.

    Raises:
        sqlalchemy.exc.IntegrityError / the driver's error: a constraint failed; the transaction must roll back.
    """
    dialect = conn.dialect.name
    prepared = _converted(rows, _converters(dialect, table, columns))
    quote = conn.dialect.identifier_preparer.quote
    col_sql = ", ".join(quote(c) for c in columns)
    count = 0
    raw: Any = conn.connection.dbapi_connection
    if dialect == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({col_sql}) FROM STDIN") as copy:
            for row in prepared:
                copy.write_row(row)
                count += 1
        return count
    if dialect == "sqlite":
        sql = f"INSERT INTO {quote(table.name)} ({col_sql}) VALUES ({', '.join('?' * len(columns))})"
        cur = raw.cursor()
        try:
            for chunk in _chunks(prepared, chunk_size):
                cur.executemany(sql, chunk)
                count += len(chunk)
        finally:
            cur.close()
        return count
    for chunk in _chunks(rows, chunk_size):
        conn.execute(table.insert(), [dict(zip(columns, r, strict=True)) for r in chunk])
        count += len(chunk)
    return count


def next_id(conn: Connection, table: Table, column: str = "id") -> int:
    """Return ``max(id) + 1`` of ``table`` (1 when empty): the first explicit id a bulk load may use."""
    return int(conn.execute(select(func.coalesce(func.max(table.c[column]), 0))).scalar_one()) + 1


def reset_sequences(conn: Connection, tables: Iterable[Table], column: str = "id") -> None:
    """On PostgreSQL, move each table's id sequence past its largest id (no-op elsewhere).

    Bulk loads write explicit ids, which the ``SERIAL`` sequences do not see; without this the next ordinary
    insert would reuse an id and fail.
    """
    if conn.dialect.name != "postgresql":
        return
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        name = quote(table.name)
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({quote(column)}), 1), "
                f"MAX({quote(column)}) IS NOT NULL) FROM {name}"
            ),
            {"t": name, "c": column},
        )


def date_strings(values: np.ndarray) -> list[str | None]:
    """Format a ``datetime64`` array as ``YYYY-MM-DD`` strings (NaT becomes None), vectorised."""
    days = values.astype("datetime64[D]")
    out = np.datetime_as_string(days, unit="D").astype(object)
    out[np.isnat(days)] = None
    return out.tolist()


def datetime_strings(values: np.ndarray) -> list[str | None]:
    """Format a ``datetime64`` array as ``YYYY-MM-DD HH:MM:SS.ffffff`` strings (NaT becomes None), vectorised.

    This is SQLAlchemy's own text form for SQLite timestamps, so stored values compare correctly with bound
    ``datetime`` parameters; PostgreSQL parses it as a timestamp.
    """
    us = np.ascontiguousarray(values.astype("datetime64[us]"))
    fixed = np.datetime_as_string(us, unit="us")  # "YYYY-MM-DDTHH:MM:SS.ffffff", fixed-width unicode
    if len(fixed):
        # Swap the "T" for a space in place: each character is one UCS-4 code unit at a fixed position.
        fixed.view(np.uint32).reshape(len(fixed), -1)[:, 10] = ord(" ")
    text_values = fixed.astype(object)
    text_values[np.isnat(us)] = None
    return text_values.tolist()


@contextmanager
def trusted_load(conn: Connection) -> Iterator[bool]:
    """Skip PostgreSQL's per-row foreign-key triggers while loading rows that are consistent by construction.

    Foreign-key triggers dominate the time of a PostgreSQL bulk load (several per row). Inside this block the
    transaction runs with ``session_replication_role = replica``, as ``pg_restore --disable-triggers`` does;
    that needs superuser rights, so without them (and on SQLite) the block changes nothing and loads with the
    usual checks. Yields whether the checks are off. Only for generated data whose keys the caller guarantees
    (the demo builder); never for user uploads.
    """
    enabled = False
    if conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            enabled = True
        except DBAPIError:
            enabled = False
    yield enabled
    # Reached only when the block succeeded; after an error the whole transaction rolls back with the setting.
    if enabled:
        conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")
