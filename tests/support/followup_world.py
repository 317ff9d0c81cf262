"""Shared set-up of the alert-rule and follow-up case tests: the CLOSEDLOOP world (four sites, team = site, the
catalog), import batches to hang responses and tickets on, customers, users with scopes, and rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection

from cxdash.auth import save_user
from cxdash.followup.rules import Rule, save_rule
from cxdash.schema import app_user, import_batch
from tests.world import CLOSEDLOOP

NOW = datetime(2026, 12, 4, 17, 0)  # a Friday, 17:00 UTC
WORLD = CLOSEDLOOP


def setup(engine: Engine, customers: int = 9) -> dict[str, int]:
    """The CLOSEDLOOP organisation and customers 1..``customers``; returns the touchpoint ids by code."""
    ids = WORLD.org(engine)
    if customers:
        WORLD.customers(engine, [{"id": i} for i in range(1, customers + 1)])
    return ids


def batch(bind: Engine | Connection, kind: str = "surveys") -> int:
    """An import batch record (loaded) for rows written directly."""
    values = {"kind": kind, "file_name": f"{kind}.csv", "sha256": "0" * 64, "created_at": NOW, "status": "loaded"}
    if isinstance(bind, Connection):
        return int(bind.execute(insert(import_batch).values(**values)).inserted_primary_key[0])  # type: ignore[index]
    with bind.begin() as conn:
        return int(conn.execute(insert(import_batch).values(**values)).inserted_primary_key[0])  # type: ignore[index]


def rule(engine: Engine, kind: str, params: dict[str, Any] | None = None, **fields: Any) -> Rule:
    """Save a rule (name = kind) and return it with its id."""
    new = Rule(id=None, name=fields.pop("name", kind), kind=kind, params=params or {}, **fields)
    with engine.begin() as conn:
        rule_id = save_rule(conn, new, "admin@x.org", NOW)
    return Rule(**{**new.__dict__, "id": rule_id})


def user(engine: Engine, email: str, role: str, sites: tuple[int, ...] = (), teams: tuple[int, ...] = (),
         active: bool = True) -> int:
    """Save a user with a role and scope; return their id."""
    with engine.begin() as conn:
        save_user(conn, "admin@x.org", email, role, site_ids=sites, team_ids=teams, active=active)
        return int(conn.execute(select(app_user.c.id).where(app_user.c.email == email)).scalar_one())
