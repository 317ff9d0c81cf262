"""SLA policies and business-hours calendars: defaults, reading, editing, and matching tickets to policies.

A policy applies to a priority, optionally narrowed to one category and/or one channel. A ticket gets the most
specific active policy that matches it: category and channel beat category alone, which beats channel alone,
which beats the priority-only policy; ties go to the lowest id. Tickets without a priority count as "normal".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.db import bump_data_version
from cxdash.schema import business_calendar, sla_policy
from cxdash.service.calendar import Calendar
from cxdash.service.holidays import CN_HOLIDAYS, CN_WORKDAYS

PRIORITIES = ("urgent", "high", "normal", "low")
DEFAULT_PRIORITY = "normal"
DEFAULT_AT_RISK = 0.8
DEFAULT_CALENDAR = "Service hours"
EXTENDED_CALENDAR = "Extended hours"
DEFAULT_TIMEZONE = "Asia/Shanghai"

_OFFICE = [["09:00", "12:00"], ["13:00", "18:00"]]
# Service centres open Saturday mornings; urgent and high tickets count on a longer, seven-day desk.
SERVICE_HOURS = {**{str(d): _OFFICE for d in range(5)}, "5": [["09:00", "12:00"]], "6": []}
EXTENDED_HOURS = {str(d): [["08:00", "20:00"]] for d in range(7)}

# priority -> (first response minutes, resolution minutes, calendar name)
DEFAULT_TARGETS: dict[str, tuple[int, int, str]] = {
    "urgent": (30, 8 * 60, EXTENDED_CALENDAR),
    "high": (2 * 60, 2 * 12 * 60, EXTENDED_CALENDAR),
    "normal": (4 * 60, 3 * 8 * 60, DEFAULT_CALENDAR),
    "low": (8 * 60, 5 * 8 * 60, DEFAULT_CALENDAR),
}


@dataclass(frozen=True)
class Policy:
    """One SLA policy row."""

    id: int
    name: str
    priority: str
    category: str | None
    channel: str | None
    first_response_min: int
    resolution_min: int
    calendar_id: int
    at_risk_ratio: float
    active: bool

    @property
    def specificity(self) -> int:
        """Rank for matching: category counts more than channel."""
        return (2 if self.category else 0) + (1 if self.channel else 0)


def ensure_default_policies(conn: Connection) -> None:
    """Create the default calendars and one policy per priority when no policy exists yet (idempotent)."""
    if conn.execute(select(sla_policy.c.id).limit(1)).first() is not None:
        return
    cal_ids = {
        DEFAULT_CALENDAR: _ensure_calendar(conn, DEFAULT_CALENDAR, SERVICE_HOURS),
        EXTENDED_CALENDAR: _ensure_calendar(conn, EXTENDED_CALENDAR, EXTENDED_HOURS),
    }
    rows = [
        {
            "name": f"{prio.capitalize()} tickets",
            "priority": prio,
            "category": None,
            "channel": None,
            "first_response_min": frt,
            "resolution_min": res,
            "calendar_id": cal_ids[cal],
            "at_risk_ratio": DEFAULT_AT_RISK,
            "active": True,
        }
        for prio, (frt, res, cal) in DEFAULT_TARGETS.items()
    ]
    conn.execute(insert(sla_policy), rows)
    bump_data_version(conn)


def _ensure_calendar(conn: Connection, name: str, weekly: Mapping[str, Any]) -> int:
    found = conn.execute(select(business_calendar.c.id).where(business_calendar.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return _new_id(
        conn.execute(
            insert(business_calendar).values(
                name=name,
                timezone=DEFAULT_TIMEZONE,
                weekly_hours=weekly,
                holidays=list(CN_HOLIDAYS),
                workdays=[list(w) for w in CN_WORKDAYS],
            )
        )
    )


def _new_id(result: Any) -> int:
    """The primary key of the row an INSERT just created."""
    return int(result.inserted_primary_key[0])


def list_policies(conn: Connection, active_only: bool = False) -> list[Policy]:
    """All policies (or only active ones), by priority order then specificity."""
    stmt = select(sla_policy)
    if active_only:
        stmt = stmt.where(sla_policy.c.active.is_(True))
    rows = [Policy(**{k: r._mapping[k] for k in Policy.__dataclass_fields__}) for r in conn.execute(stmt)]
    order = {p: i for i, p in enumerate(PRIORITIES)}
    return sorted(rows, key=lambda p: (order.get(p.priority, 99), p.specificity, p.id))


def list_calendars(conn: Connection) -> dict[int, tuple[str, Calendar]]:
    """All calendars by id: ``{id: (name, Calendar)}``."""
    out: dict[int, tuple[str, Calendar]] = {}
    for r in conn.execute(select(business_calendar)):
        out[int(r.id)] = (r.name, Calendar.from_json(r.timezone, r.weekly_hours, r.holidays, r.workdays))
    return out


def validate_policy(values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` when a policy's values cannot work (unknown priority, targets, ratio)."""
    if values.get("priority") not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}")
    for key in ("first_response_min", "resolution_min"):
        v = values.get(key)
        if not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"{key} must be a positive whole number of minutes")
    ratio = values.get("at_risk_ratio", DEFAULT_AT_RISK)
    if not 0 < float(ratio) <= 1:
        raise ValueError("at_risk_ratio must be above 0 and at most 1")
    if not str(values.get("name") or "").strip():
        raise ValueError("a policy needs a name")


_POLICY_FIELDS = (
    "name", "priority", "category", "channel", "first_response_min", "resolution_min",
    "calendar_id", "at_risk_ratio", "active",
)


def save_policy(
    conn: Connection, values: Mapping[str, Any], policy_id: int | None = None, actor: str | None = None
) -> int:
    """Insert (``policy_id`` None) or update a policy after validation; return its id. Bumps the data version.

    The caller recomputes the affected tickets (:func:`cxdash.service.compute.recompute_for_policy_change`).
    """
    row = {k: values[k] for k in _POLICY_FIELDS if k in values}
    for k in ("category", "channel"):
        if k in row:
            row[k] = (str(row[k]).strip() or None) if row[k] is not None else None
    row.setdefault("at_risk_ratio", DEFAULT_AT_RISK)
    row.setdefault("active", True)
    validate_policy(row)
    if conn.execute(select(business_calendar.c.id).where(business_calendar.c.id == row.get("calendar_id"))).first() is None:
        raise ValueError("the policy's calendar does not exist")
    if policy_id is None:
        new_id = _new_id(conn.execute(insert(sla_policy).values(**row)))
    else:
        conn.execute(update(sla_policy).where(sla_policy.c.id == policy_id).values(**row))
        new_id = policy_id
    record_audit(conn, actor, "create_policy" if policy_id is None else "edit_policy", "sla_policy", new_id, dict(row))
    bump_data_version(conn)
    return new_id


def save_calendar(
    conn: Connection, name: str, cal: Calendar, calendar_id: int | None = None, actor: str | None = None
) -> int:
    """Insert or update a calendar (already validated by constructing :class:`Calendar`); return its id."""
    if not name.strip():
        raise ValueError("a calendar needs a name")
    data = cal.to_json()
    values = {"name": name.strip(), **data}
    if calendar_id is None:
        new_id = _new_id(conn.execute(insert(business_calendar).values(**values)))
    else:
        conn.execute(update(business_calendar).where(business_calendar.c.id == calendar_id).values(**values))
        new_id = calendar_id
    detail = {"name": values["name"], "timezone": data["timezone"], "weekly_hours": data["weekly_hours"],
              "holidays": len(data["holidays"]), "workdays": len(data["workdays"])}
    record_audit(conn, actor, "create_calendar" if calendar_id is None else "edit_calendar", "business_calendar",
                 new_id, detail)
    bump_data_version(conn)
    return new_id


def match_policies(
    policies: Sequence[Policy], priority: pd.Series, category: pd.Series, channel: pd.Series
) -> np.ndarray:
    """Vectorised: the id of the most specific active policy per ticket (0 where none matches).

    Applies policies from least to most specific, so a more specific match overwrites a general one.
    """
    prio = priority.astype("object").where(priority.notna(), DEFAULT_PRIORITY).to_numpy()
    cat = category.astype("object").to_numpy()
    chan = channel.astype("object").to_numpy()
    out = np.zeros(len(prio), dtype=np.int64)
    active = [p for p in policies if p.active]
    for p in sorted(active, key=lambda p: (p.specificity, -p.id)):
        mask = prio == p.priority
        if p.category:
            mask &= cat == p.category
        if p.channel:
            mask &= chan == p.channel
        out[mask] = p.id
    return out
