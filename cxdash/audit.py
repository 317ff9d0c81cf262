"""The audit log: who did what when (sign-ins, uploads, deletions, edits of plans, policies, targets and roles)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.domain.periods import time_conditions
from cxdash.schema import audit_log
from cxdash.sqlfuncs import lower_for


def now_utc() -> datetime:
    """The current time in UTC without tzinfo (how every timestamp is stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def jsonable(value: Any) -> Any:
    """Turn dates into ISO strings (recursively in dicts and lists) so a value fits a JSON column."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record_audit(
    conn: Connection, actor: str | None, action: str, entity: str, entity_id: object, detail: dict[str, Any]
) -> None:
    """Append one audit-log row in the caller's transaction."""
    conn.execute(
        audit_log.insert().values(
            at=now_utc(),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=jsonable(detail),
        )
    )


def audit_entries(
    engine: Engine,
    date_from: date | None = None,
    date_to: date | None = None,
    action: str | None = None,
    actor: str | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The newest audit-log rows (at most ``limit``), optionally narrowed by day range, action and actor.

    ``actor`` matches any part of the actor's e-mail, ignoring case.
    """
    stmt = select(
        audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.entity, audit_log.c.entity_id,
        audit_log.c.detail,
    )
    stmt = stmt.where(*time_conditions(audit_log.c.at, date_from, date_to))
    if action:
        stmt = stmt.where(audit_log.c.action == action)
    if actor:  # part of an address is enough; LIKE wildcards in the input match themselves
        stmt = stmt.where(lower_for(audit_log.c.actor, [actor]).contains(actor.strip().lower(), autoescape=True))
    stmt = stmt.order_by(audit_log.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame(rows, columns=["at", "actor", "action", "entity", "entity_id", "detail"])
    frame["detail"] = frame["detail"].map(lambda d: "" if d is None else str(d))
    return frame


def audit_actions(engine: Engine) -> list[str]:
    """The distinct actions in the audit log, sorted (the choices of the audit page's action filter)."""
    with engine.connect() as conn:
        return sorted(str(a) for (a,) in conn.execute(select(audit_log.c.action).distinct()) if a)
