"""Keeping the summaries' freshness records on the current data version across writes that leave their rows alone.

A reader skips the row count when a record names the current data version (nothing written since the refresh).
Every write bumps that version, also one that touched only an action plan, a setting or the tickets; the first
reader after it, in every new app process, would then count a million responses (0.1-0.2 s on SQLite) only to
learn that the survey summaries still hold. The writer pays once instead: after its bump it applies the readers'
own test (count and highest id, :func:`cxdash.summaries.common.record_holds`) in its own transaction to each
record, and moves those that hold to the new version (:func:`cxdash.db.after_data_version_bump`: registered
when the summaries are imported, which :mod:`cxdash.summaries` does first). A record that does not hold keeps its version, so readers
fall back to the raw rows as before. Records written by older versions of cxdash catch up on the next write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from cxdash.db import after_data_version_bump
from cxdash.schema import setting
from cxdash.summaries.common import STATE_KEY, record_holds, state
from cxdash.summaries.tickets import STATE_KEY as TICKET_STATE_KEY
from cxdash.summaries.tickets import ticket_state

RECORDS: tuple[tuple[str, Callable[[Connection], dict[str, Any]]], ...] = (
    (STATE_KEY, state),
    (TICKET_STATE_KEY, ticket_state),
)


def carry_forward(conn: Connection, new: int) -> list[str]:
    """Move every freshness record whose counts still match to data version ``new``; return the keys moved."""
    moved = []
    for key, current in RECORDS:
        saved = conn.execute(select(setting.c.value).where(setting.c.key == key)).scalar()
        if not isinstance(saved, dict) or saved.get("data_version") == new:
            continue  # none, or written for this version by the refresh that caused the bump
        if record_holds(conn, saved, current):
            conn.execute(update(setting).where(setting.c.key == key).values(value={**saved, "data_version": new}))
            moved.append(key)
    return moved


after_data_version_bump(carry_forward)  # every write in this process moves the records that still hold
