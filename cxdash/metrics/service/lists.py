"""Ticket lists behind the SLA figures: early warnings (at risk, breached) and drill-downs, paginated.

A :class:`Drill` says which tickets a chart element stands for (a group, an outcome, a period); it is a small
frozen value so pages keep it in the URL and caches can key on it. Lists are sorted and cut in SQL
(``ORDER BY ... LIMIT ... OFFSET``) and only the page's rows leave the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, func, not_, select

from cxdash.domain.service_sql import (
    at_risk,
    breached_open,
    first_time_fix,
    frt_breached,
    frt_met,
    frt_pending,
    is_open,
    is_resolved,
    next_due,
    res_breached,
    res_met,
    res_pending,
    utcnow,
)
from cxdash.filters import Filters
from cxdash.metrics.service.breakdown import GROUPINGS, group_column
from cxdash.metrics.service.compliance import BACKLOG_BUCKETS
from cxdash.metrics.service.sql import base_where
from cxdash.schema import person, site, sla_policy, team, ticket, ticket_summary
from cxdash.service.calendar import business_minutes
from cxdash.service.policies import list_calendars
from cxdash.summaries.tickets import COUNTS
from cxdash.summaries.tickets_read import count_sums, plan_parts
from cxdash.unit_names import display_expr

t = ticket.c
OUTCOMES = (
    "frt_met", "frt_breached", "res_met", "res_breached", "resolved", "ftf", "not_ftf", "reopened",
    "repeat", "chased", "open", "at_risk", "breached_open", "merged",
)
MAX_PAGE = 1000


@dataclass(frozen=True)
class Drill:
    """Which tickets to list.

    ``group``/``key``: e.g. "category"/"billing", "team"/"12", "ticket"/"7", "age"/"3to7d" (the open tickets
    of a backlog age bucket, :data:`cxdash.metrics.service.compliance.BACKLOG_BUCKETS`) (key "" = the group is not set);
    ``outcome``: one of :data:`OUTCOMES`; ``period``: "YYYY-MM" (a month) or "YYYY-MM-DD" (a week's Monday).
    """

    group: str | None = None
    key: str | None = None
    outcome: str | None = None
    period: str | None = None


@dataclass(frozen=True)
class TicketPage:
    """One page of a ticket list and the size of the whole list."""

    total: int
    rows: pd.DataFrame


def outcome_condition(outcome: str, now: datetime) -> ColumnElement[bool]:
    """The SQL predicate of an outcome name; ``ValueError`` for an unknown one."""
    conds: dict[str, Any] = {
        "frt_met": frt_met(), "frt_breached": frt_breached(now), "res_met": res_met(),
        "res_breached": res_breached(now), "resolved": is_resolved(), "ftf": first_time_fix(),
        "not_ftf": and_(is_resolved(), not_(first_time_fix())), "reopened": t.reopen_count > 0,
        "repeat": t.is_repeat_7d.is_(True), "chased": t.reminder_count > 0, "open": is_open(),
        "at_risk": at_risk(now), "breached_open": breached_open(now), "merged": t.merged_into.is_not(None),
    }
    if outcome not in conds:
        raise ValueError(f"unknown outcome {outcome!r}")
    return conds[outcome]


def _period_range(period: str) -> tuple[datetime, datetime]:
    """Creation-time bounds of a month ("YYYY-MM") or a week starting on a day ("YYYY-MM-DD")."""
    try:
        if len(period) == 7:
            start = date.fromisoformat(period + "-01")
            end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        else:
            start = date.fromisoformat(period)
            end = start + timedelta(days=7)
    except ValueError:
        raise ValueError(f"invalid period {period!r}; expected YYYY-MM or YYYY-MM-DD") from None
    return datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())


def _age_bounds(code: str, now: datetime) -> list[ColumnElement[bool]]:
    """Creation-time bounds of a backlog age bucket at ``now``, the same as :func:`backlog_by_age` counts."""
    for name, lo, hi in BACKLOG_BUCKETS:
        if name == code:
            conds = [t.created_at <= now - timedelta(days=lo)]
            if hi != float("inf"):
                conds.append(t.created_at > now - timedelta(days=hi))
            return conds
    raise ValueError(f"unknown age bucket {code!r}; use one of {', '.join(b[0] for b in BACKLOG_BUCKETS)}")


def drill_where(filters: Filters, drill: Drill, now: datetime) -> ColumnElement[bool]:
    """WHERE clause of the filters' tickets narrowed by ``drill`` (merged ones only for outcome "merged")."""
    conds: list[Any] = [base_where(filters, merged=drill.outcome == "merged")]
    if drill.group == "ticket":  # one ticket, e.g. from an early-warning link
        try:
            conds.append(t.id == int(drill.key or ""))
        except ValueError:
            raise ValueError(f"invalid ticket id {drill.key!r}") from None
    elif drill.group == "age":
        conds += [is_open(), *_age_bounds(drill.key or "", now)]
    elif drill.group:
        col = group_column(drill.group)
        if drill.key in (None, ""):
            conds.append(col.is_(None))
        elif drill.group in ("site", "team", "agent"):
            try:
                conds.append(col == int(drill.key))
            except ValueError:
                raise ValueError(f"invalid {drill.group} id {drill.key!r}") from None
        else:
            conds.append(col == drill.key)
    if drill.outcome and drill.outcome != "merged":
        conds.append(outcome_condition(drill.outcome, now))
    if drill.period:
        lo, hi = _period_range(drill.period)
        conds += [t.created_at >= lo, t.created_at < hi]
    return and_(*conds)


def _columns(lang: str = "en") -> list[Any]:
    site_name = display_expr(site, lang)
    return [
        t.id, t.external_id, t.subject, t.status, t.priority, t.category, t.channel,
        site_name.label("site"), (site_name + " / " + display_expr(team, lang)).label("team"),
        display_expr(person, lang).label("agent"),
        t.created_at, t.first_response_at, t.resolved_at, t.frt_business_min, t.frt_target_min,
        t.res_business_min, t.res_target_min, t.reopen_count, t.reminder_count, t.is_repeat_7d, t.merged_into,
        t.policy_id, t.frt_due_at, t.res_due_at, next_due().label("due_at"),
    ]


def _select(where: ColumnElement[bool], lang: str = "en") -> Any:
    return (
        select(*_columns(lang))
        .select_from(ticket.outerjoin(site, site.c.id == t.site_id).outerjoin(team, team.c.id == t.team_id)
                     .outerjoin(person, person.c.id == t.agent_id))
        .where(where)
    )


def _page(engine: Engine, where: ColumnElement[bool], order: list[Any], limit: int, offset: int,
          total: int | None = None, lang: str = "en") -> TicketPage:
    limit = max(1, min(int(limit), MAX_PAGE))
    stmt = _select(where, lang).order_by(*order).limit(limit).offset(max(0, int(offset)))
    with engine.connect() as conn:
        if total is None:
            total = int(conn.execute(select(func.count()).select_from(ticket).where(where)).scalar_one())
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    return TicketPage(total, pd.DataFrame(rows, columns=[c.key for c in _columns(lang)]))


def ticket_list(
    engine: Engine, filters: Filters, drill: Drill = Drill(), now: datetime | None = None, limit: int = 100, offset: int = 0,
    lang: str = "en",
) -> TicketPage:
    """The tickets behind a figure, newest first, one page at a time; sites, teams and agents named in ``lang``."""
    now = now if now is not None else utcnow()
    total = _summary_total(engine, filters, drill, now)
    return _page(engine, drill_where(filters, drill, now), [t.created_at.desc(), t.id.desc()], limit, offset, total, lang)


# Outcomes whose count is a stored outcome bit of the summaries (cxdash.summaries.tickets), minus another one,
# plus the open tickets that are past due now (counted live: the status index finds them).
_STORED: dict[str | None, tuple[str, str | None, str | None]] = {
    None: ("n", "merged", None), "frt_met": ("frt_met", None, None), "res_met": ("res_met", None, None),
    "frt_breached": ("frt_late", None, "frt"), "res_breached": ("res_late", None, "res"),
    "resolved": ("resolved", None, None), "ftf": ("ftf", None, None), "not_ftf": ("resolved", "ftf", None),
    "reopened": ("reopened", None, None), "repeat": ("repeats", None, None), "chased": ("chased", None, None),
    "merged": ("merged", None, None),
}


def _summary_total(engine: Engine, filters: Filters, drill: Drill, now: datetime) -> int | None:
    """The size of a drill-down's list from the ticket summaries, or None when they cannot give it exactly
    (stale, a grouping or filter no grain keeps, an outcome judged against now on open tickets only, ...)."""
    if drill.outcome not in _STORED or drill.group in ("ticket", "age", "agent"):
        return None
    f = filters
    if drill.period:
        lo, hi = (d.date() for d in _period_range(drill.period))
        start = max(lo, f.date_from) if f.date_from else lo
        end = min(hi - timedelta(days=1), f.date_to) if f.date_to else hi - timedelta(days=1)
        if end < start:
            return 0
        f = f.with_dates(start, end)
    by = drill.group
    if by is None and drill.period:
        by = "week" if len(drill.period) == 10 else "month"  # a week needs the day grain
    plus, minus, overdue = _STORED[drill.outcome]
    with engine.connect() as conn:
        if any(p.grain is None for p in plan_parts(conn, f, by, ticket_summary)):
            return None
        sums = count_sums(conn, f, by, lambda _f: {})
        if drill.group:
            key: Any = drill.key or None
            if key is not None and drill.group in ("site", "team"):
                try:
                    key = int(key)
                except ValueError:
                    return None
            counts = sums.get(key, {})
        else:
            counts = {name: sum(c.get(name, 0) for c in sums.values()) for name in ("n", *COUNTS)}
        total = int(counts.get(plus, 0)) - int(counts.get(minus, 0) if minus else 0)
        if overdue:
            pending = frt_pending() if overdue == "frt" else res_pending()
            due = t.frt_due_at if overdue == "frt" else t.res_due_at
            where = and_(drill_where(filters, Drill(drill.group, drill.key, None, drill.period), now), pending, due <= now)
            total += int(conn.execute(select(func.count()).select_from(ticket).where(where)).scalar_one())
    return total


def early_warning(
    engine: Engine, filters: Filters, kind: str = "at_risk", now: datetime | None = None, limit: int = 200, offset: int = 0,
    lang: str = "en",
) -> TicketPage:
    """Open tickets at risk (``kind="at_risk"``, least time left first) or already breached (``"breached"``,
    longest overdue first), with owner (agent), age in hours and business minutes left (negative = overdue).
    Sites, teams and agents are named in ``lang``."""
    now = now if now is not None else utcnow()
    if kind not in ("at_risk", "breached"):
        raise ValueError("kind must be 'at_risk' or 'breached'")
    cond = at_risk(now) if kind == "at_risk" else breached_open(now)
    page = _page(engine, and_(base_where(filters), cond), [next_due().asc(), t.id.asc()], limit, offset, lang=lang)
    rows = page.rows
    rows["target"] = np.where(
        rows["frt_business_min"].isna() & (rows["due_at"] == rows["frt_due_at"]), "first_response", "resolution"
    )
    rows["age_hours"] = [(now - c).total_seconds() / 3600 for c in rows["created_at"]]
    rows["minutes_left"] = _minutes_left(engine, rows, now)
    return TicketPage(page.total, rows)


def _minutes_left(engine: Engine, rows: pd.DataFrame, now: datetime) -> list[float]:
    """Business minutes from ``now`` to each row's due time on its policy's calendar."""
    if rows.empty:
        return []
    with engine.connect() as conn:
        calendars = list_calendars(conn)
        cal_of = dict(conn.execute(select(sla_policy.c.id, sla_policy.c.calendar_id)).all())
    out = np.full(len(rows), np.nan)
    cal_ids = np.array([cal_of.get(p, 0) if p == p and p is not None else 0 for p in rows["policy_id"]])
    for cal_id in set(cal_ids.tolist()) - {0}:
        m = cal_ids == cal_id
        due = pd.to_datetime(rows.loc[m, "due_at"])
        out[m] = business_minutes(calendars[cal_id][1], [now] * int(m.sum()), due)
    return np.round(out, 1).tolist()


__all__ = ["Drill", "GROUPINGS", "OUTCOMES", "TicketPage", "drill_where", "early_warning", "ticket_list"]
