"""Rebuilding the summaries a migration asked to rebuild, before the first reader pays for the raw rows."""

from __future__ import annotations

from sqlalchemy.engine import Connection, Engine

from cxdash.db import get_setting
from cxdash.summaries.build import refresh_summaries
from cxdash.summaries.common import STATE_KEY, rebuild_requested
from cxdash.summaries.tickets import STATE_KEY as TICKET_STATE_KEY
from cxdash.summaries.tickets import refresh_ticket_summary


def rebuild_requested_summaries(conn: Connection) -> list[str]:
    """Rebuild every summary whose freshness record is a migration's rebuild request; return those records' keys.

    Migrations carry only their own SQL, so one that adds a summary table or grain leaves such a request
    (:data:`cxdash.summaries.common.REBUILD_RECORD`) rather than running the summary code of a later day; until
    this runs (or any load refreshes the summaries), readers take the raw rows.
    """
    done = []
    if rebuild_requested(get_setting(conn, STATE_KEY, None)):
        refresh_summaries(conn)
        done.append(STATE_KEY)
    if rebuild_requested(get_setting(conn, TICKET_STATE_KEY, None)):
        refresh_ticket_summary(conn)
        done.append(TICKET_STATE_KEY)
    return done


def open_summaries(engine: Engine) -> list[str]:
    """Serve a migration's rebuild requests on a database just opened (its own transaction; a no-op when none).

    The app and the command line call it once per engine, right after :func:`cxdash.db.make_engine` migrated the
    database, so an upgraded database is fast from its first page view instead of after its next upload.
    """
    with engine.begin() as conn:
        return rebuild_requested_summaries(conn)
