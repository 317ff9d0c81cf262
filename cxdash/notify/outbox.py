"""The notice outbox: notices are written in the transaction that opens a case and sent later by
``cxdash notify run``, so a down SMTP server or webhook never blocks an import or a page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Connection


def enqueue_case_notices(conn: Connection, case_ids: Sequence[int], now: datetime) -> int:
    """Queue the immediate notices of newly opened cases (high severity: their owners who want them, and the
    channels whose scope and minimum severity admit them); return how many notices were queued."""
    return 0
