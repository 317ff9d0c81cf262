"""Write computed SLA columns back to ``ticket`` by id, fast on both backends.

SQLite: one ``executemany`` of ``UPDATE ticket SET ... WHERE id = ?`` on the raw cursor (rows are visited in
id order, so pages are rewritten sequentially; no per-value SQLAlchemy processing). PostgreSQL: ``COPY`` into a
temporary table and one ``UPDATE ... FROM`` join. Timestamps are formatted vectorised into SQLAlchemy's own
text form, which SQLite stores and compares as is and PostgreSQL parses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Integer, MetaData, Table, update
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert
from cxdash.db import is_sqlite
from cxdash.schema import ticket

TS_COLS = ("frt_due_at", "res_due_at", "frt_risk_at", "res_risk_at")
TIMING_COLS = ("policy_id", "frt_target_min", "res_target_min", "frt_business_min", "res_business_min", *TS_COLS,
               "sla_flags")
FLAG_COLS = ("is_repeat_7d", "has_repeat_7d")
OUT_COLS = (*TIMING_COLS, *FLAG_COLS)
CHUNK = 100_000
NAT = np.iinfo(np.int64).min


def timestamp_strings(ns: np.ndarray) -> list[str | None]:
    """int64 ns (int64 min = missing) as ``YYYY-MM-DD HH:MM:SS.ffffff`` strings, vectorised."""
    us = ns.astype(np.int64).view("datetime64[ns]").astype("datetime64[us]")
    text = np.datetime_as_string(us, unit="us")
    # Replace the ISO 'T' by a space in place (each character is one UCS-4 code unit).
    text.view(np.uint32).reshape(len(text), -1)[:, 10] = ord(" ")
    out = text.astype(object)
    out[np.isnat(us)] = None
    return out.tolist()


def _values(frame: pd.DataFrame, c: str, sqlite: bool) -> list[Any]:
    """One output column as plain Python values (None for missing)."""
    v = frame[c].to_numpy()
    out: Any
    if c == "policy_id":
        out = np.where(v > 0, v, None)
    elif c == "sla_flags":
        out = v.astype(np.int64)
    elif c in ("frt_target_min", "res_target_min"):
        out = np.where(np.isnan(v), None, np.nan_to_num(v).astype(np.int64))
    elif c in ("frt_business_min", "res_business_min"):
        out = np.where(np.isnan(v), None, v)
    else:
        out = v.astype(int) if sqlite else v.astype(bool)
    if c not in TS_COLS:
        return out.tolist()
    return timestamp_strings(v)


def write_back(
    conn: Connection,
    frame: pd.DataFrame,
    cols: Sequence[str] = OUT_COLS,
    progress: Callable[[int, int], None] | None = None,
    total: int = 0,
) -> None:
    """Write ``cols`` of ``frame`` (which has an ``id`` column) to the ``ticket`` rows with those ids."""
    if frame.empty:
        return
    frame = frame.sort_values("id")
    sqlite = is_sqlite(conn)
    start_at = total * 3 // 5
    tmp = None if sqlite else _temp_table(conn, cols)
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        values = [_values(part, c, sqlite) for c in cols]
        ids = part["id"].astype("int64").tolist()
        if sqlite:
            _sqlite_update(conn, cols, zip(*values, ids, strict=True))
        elif tmp is not None:
            bulk_insert(conn, tmp, ["id", *cols], zip(ids, *values, strict=True))
        if progress and total:
            progress(start_at + (total - start_at) * min(start + CHUNK, len(frame)) // len(frame) - 1, total)
    if tmp is not None:
        conn.execute(update(ticket).where(ticket.c.id == tmp.c.id).values({c: tmp.c[c] for c in cols}))
        tmp.drop(conn)


def _sqlite_update(conn: Connection, cols: Sequence[str], rows: Any) -> None:
    # Fixed statement text from known column names; all values are bound parameters.
    sets = ", ".join(f"{c} = ?" for c in cols)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(f"UPDATE ticket SET {sets} WHERE id = ?", rows)
    finally:
        cur.close()


def _temp_table(conn: Connection, cols: Sequence[str]) -> Table:
    types: dict[str, Any] = {
        "policy_id": Integer, "frt_target_min": Integer, "res_target_min": Integer,
        "frt_business_min": Float, "res_business_min": Float, "is_repeat_7d": Boolean, "has_repeat_7d": Boolean,
        "sla_flags": Integer, **{c: DateTime for c in TS_COLS},
    }
    tmp = Table(
        "tmp_ticket_sla",
        MetaData(),
        Column("id", BigInteger, primary_key=True),
        *(Column(c, types[c]) for c in cols),
        prefixes=["TEMPORARY"],
    )
    tmp.drop(conn, checkfirst=True)
    tmp.create(conn)
    return tmp
