"""Staging tables: validated rows go into a temporary table first, then into the real tables with set-based SQL.

Staging makes loading fast and exact on both databases: one bulk write per chunk (``COPY`` of a CSV made by
Arrow on PostgreSQL, ``executemany`` on SQLite), then ``INSERT ... SELECT`` / ``UPDATE ... FROM`` statements
that find rows already loaded through the unique (source, external id) index, expand wide touchpoint columns
into one row per touchpoint inside the database, and never round-trip ids through Python. Temporary tables live
in the upload's transaction and vanish with it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeEngine

from cxdash.bulk import date_strings, datetime_strings

FILL_SLICE = 20_000  # staged rows converted to Python values and written at a time (SQLite)
TYPES: dict[str, TypeEngine] = {
    "id": BigInteger(), "int": Integer(), "float": Float(), "str": String(400), "text": Text(),
    "date": Date(), "datetime": DateTime(), "bool": Boolean(),
}


def create_stage(conn: Connection, name: str, columns: Sequence[tuple[str, str]]) -> Table:
    """Create a temporary table ``name`` with ``(column, type)`` pairs (types: keys of ``TYPES``)."""
    table = Table(
        name, MetaData(), *[Column(c, TYPES[t]) for c, t in columns], prefixes=["TEMPORARY"],
    )
    table.drop(conn, checkfirst=True)
    table.create(conn)
    return table


def clear(conn: Connection, table: Table) -> None:
    """Empty a staging table for the next chunk."""
    conn.execute(delete(table))


def drop(conn: Connection, table: Table) -> None:
    """Drop a staging table (inside the transaction)."""
    table.drop(conn, checkfirst=True)


def _sqlite_column(values: pd.Series, col_type: TypeEngine) -> list[Any]:
    if isinstance(col_type, DateTime):
        return datetime_strings(pd.to_datetime(values).to_numpy(dtype="datetime64[us]"))
    if isinstance(col_type, Date):
        return date_strings(pd.to_datetime(values).to_numpy(dtype="datetime64[D]"))
    if isinstance(col_type, Boolean):
        return values.astype("boolean").astype("Int8").astype(object).where(values.notna(), None).tolist()
    if pd.api.types.is_float_dtype(values) and isinstance(col_type, (Integer, BigInteger)):
        values = values.astype("Int64")
    if values.dtype == np.float64:  # most staged columns are scores: NaN to None in numpy, not via pandas
        floats = values.to_numpy()
        out = floats.astype(object)
        out[np.isnan(floats)] = None
        return out.tolist()
    return values.astype(object).where(values.notna(), None).tolist()


def _arrow_column(values: pd.Series, col_type: TypeEngine) -> pa.Array:
    mask = values.isna().to_numpy()
    if isinstance(col_type, DateTime):
        return pa.array(pd.to_datetime(values).to_numpy(dtype="datetime64[us]"), pa.timestamp("us"), mask=mask)
    if isinstance(col_type, Date):
        return pa.array(pd.to_datetime(values).to_numpy(dtype="datetime64[D]"), pa.date32(), mask=mask)
    if isinstance(col_type, Boolean):
        return pa.array(values.astype("boolean").fillna(False).to_numpy(dtype=bool), pa.bool_(), mask=mask)
    if isinstance(col_type, (Integer, BigInteger)):
        return pa.array(values.astype("Float64").fillna(0).to_numpy(dtype="float64").astype("int64"), mask=mask)
    if isinstance(col_type, Float):
        return pa.array(values.astype("float64").to_numpy(), pa.float64(), mask=mask)
    return pa.array(values.astype(object).where(~mask, None).tolist(), pa.string())


def fill(conn: Connection, table: Table, frame: pd.DataFrame) -> int:
    """Write ``frame`` (columns named like the staging table's) into ``table``; return the row count."""
    if frame.empty:
        return 0
    # Columns that are empty in this chunk stay NULL without crossing the driver (importance, unmapped fields).
    cols = [c for c in frame.columns if c in table.c and frame[c].notna().any()]
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, frame, cols)
    sql = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        # In slices: a chunk of 100,000 wide rows as Python values held about 300 MB at once.
        for lo in range(0, len(frame), FILL_SLICE):
            part = frame.iloc[lo:lo + FILL_SLICE]
            values = [_sqlite_column(part[c], table.c[c].type) for c in cols]
            cur.executemany(sql, zip(*values, strict=True))  # type: ignore[arg-type]  # any iterable works
    finally:
        cur.close()
    return len(frame)


def _copy(conn: Connection, table: Table, frame: pd.DataFrame, cols: list[str]) -> int:
    arrow = pa.table({c: _arrow_column(frame[c], table.c[c].type) for c in cols})
    buf = io.BytesIO()
    pacsv.write_csv(arrow, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    raw: Any = conn.connection.dbapi_connection
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)") as copy:
        view = buf.getbuffer()
        for lo in range(0, len(view), 1 << 20):
            copy.write(view[lo : lo + (1 << 20)])
        del view
    return len(frame)


def id_block(start: int, n: int) -> np.ndarray:
    """Explicit ids ``start .. start + n - 1`` for new rows."""
    return np.arange(start, start + n, dtype="int64")
