"""Hand-made tickets for the SLA tests: a tiny organisation and a helper that inserts tickets with defaults."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.engine import Connection

from cxdash.schema import customer, person, region, site, team, ticket
from cxdash.sla.calendar import Calendar
from cxdash.sla.compute import recompute_tickets
from cxdash.sla.policies import ensure_default_policies, list_calendars, save_calendar

TICKET_DEFAULTS: dict[str, Any] = {
    "customer_id": None, "region_id": 1, "site_id": 1, "team_id": 1, "agent_id": 1, "segment": None,
    "channel": "phone", "category": "billing", "priority": "normal", "first_response_at": None,
    "resolved_at": None, "closed_at": None, "status": "open", "reopen_count": 0, "reminder_count": 0,
    "merged_into": None,
}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall time as the naive UTC timestamp the database stores (UTC+8, no DST)."""
    return datetime(y, mo, d, h, mi) - timedelta(hours=8)


def add_org(conn: Connection) -> None:
    """Two regions, two sites with a team each, two agents per team, customers 1-9."""
    conn.execute(insert(region), [{"id": i, "code": f"R{i}", "name_en": f"Region {i}"} for i in (1, 2)])
    conn.execute(insert(site), [{"id": i, "code": f"S{i}", "name": f"Site {i}", "region_id": i} for i in (1, 2)])
    conn.execute(insert(team), [{"id": i, "site_id": i, "code": f"T{i}", "name": f"Team {i}"} for i in (1, 2)])
    conn.execute(
        insert(person),
        [{"id": i, "team_id": (i + 1) // 2, "code": f"P{i}", "name": f"Agent {i}", "role": "agent"} for i in (1, 2, 3, 4)],
    )
    conn.execute(insert(customer), [{"id": i, "external_id": f"C{i}"} for i in range(1, 10)])


def add_tickets(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> list[int]:
    """Insert tickets (id and created_at required) filling the other columns from :data:`TICKET_DEFAULTS`."""
    full = []
    for r in rows:
        row = {**TICKET_DEFAULTS, "external_id": f"T{r['id']}", **r}
        if row["site_id"] == 2 and "team_id" not in r:
            row["team_id"] = 2
        full.append(row)
    conn.execute(insert(ticket), full)
    return [int(r["id"]) for r in full]


NOW = datetime(2026, 11, 20, 11, 56)
M = timedelta(minutes=1)


def d(mo: int, day: int, h: int = 0, mi: int = 0) -> datetime:
    """A time in 2026."""
    return datetime(2026, mo, day, h, mi)


def build_metrics_db(engine: Engine) -> None:
    """The hand-made tickets of tests/test_sla_metrics.py (see its table), on 24/7 UTC calendars."""
    always = Calendar.from_json("UTC", {str(i): [["00:00", "24:00"]] for i in range(7)})
    with engine.begin() as conn:
        add_org(conn)
        ensure_default_policies(conn)
        for cal_id, (name, _) in list_calendars(conn).items():
            save_calendar(conn, name, always, cal_id)
        add_tickets(conn, [
            {"id": 1, "customer_id": 1, "created_at": d(10, 1), "first_response_at": d(10, 1) + 60 * M,
             "resolved_at": d(10, 1) + 1000 * M, "status": "resolved"},
            {"id": 2, "customer_id": 2, "agent_id": 2, "created_at": d(10, 2), "first_response_at": d(10, 2) + 300 * M,
             "resolved_at": d(10, 2) + 2000 * M, "status": "resolved", "reopen_count": 1, "reminder_count": 2},
            {"id": 3, "site_id": 2, "agent_id": 3, "category": "warranty", "created_at": d(11, 20, 7)},
            {"id": 4, "created_at": d(11, 20, 8, 40), "first_response_at": d(11, 20, 9)},
            {"id": 5, "site_id": 2, "agent_id": 3, "priority": "urgent", "created_at": d(11, 20, 11, 30)},
            {"id": 6, "priority": "low", "customer_id": 1, "created_at": d(10, 3), "first_response_at": d(10, 3) + 5 * M,
             "resolved_at": d(10, 3) + 10 * M, "status": "resolved", "merged_into": "T1"},
            {"id": 7, "customer_id": 1, "created_at": d(10, 5), "first_response_at": d(10, 5) + 10 * M,
             "resolved_at": d(10, 5) + 100 * M, "status": "resolved"},
            {"id": 8, "site_id": 2, "agent_id": 4, "priority": "high", "category": "complaint", "customer_id": 3,
             "created_at": d(11, 2), "first_response_at": d(11, 2) + 100 * M, "resolved_at": d(11, 2) + 3000 * M,
             "status": "closed"},
            {"id": 9, "priority": "low", "created_at": d(11, 10)},
        ])
        recompute_tickets(conn)
