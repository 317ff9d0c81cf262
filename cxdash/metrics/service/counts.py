"""Outcome counts of a selection of tickets, overall or per group, in two passes.

1. Every ticket of the selection: the count and the sums of the stored outcome bits (:mod:`cxdash.domain.service_flags`),
   one cheap expression per outcome (``SUM(sla_flags & bit)``), in one scan of the selection. Merged tickets
   carry the merged bit alone, so they are counted (``merged``) but add to no other figure.
2. The open tickets only (a handful next to a million; the status index finds them): what depends on ``now``,
   i.e. first responses and resolutions still pending past their due time, and tickets at risk.

Rows carry the keys :func:`cxdash.metrics.service.compliance.summary_from_row` reads (``n``, ``frt_met``, ``frt_breached``, ...).
Pass 1 reads the ticket summaries (:mod:`cxdash.summaries.tickets`) when grouped by name (``by``) and they can
answer the selection; they hold the same bit counts, so the figures are the same either way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, select

from cxdash.domain import service_flags as fl
from cxdash.domain.service_sql import at_risk, breached_open, count_if, frt_pending, is_open, res_pending
from cxdash.filters import Filters
from cxdash.metrics.service.sql import base_where, where_for
from cxdash.schema import ticket
from cxdash.sqlfuncs import month_bucket, week_bucket
from cxdash.summaries.tickets_read import count_sums

t = ticket.c
GROUPINGS: dict[str, Any] = {
    "priority": t.priority,
    "category": t.category,
    "channel": t.channel,
    "site": t.site_id,
    "team": t.team_id,
    "agent": t.agent_id,
}
BITS = {
    "frt_met": fl.FRT_MET, "frt_late": fl.FRT_LATE, "res_met": fl.RES_MET, "res_late": fl.RES_LATE,
    "resolved": fl.RESOLVED, "ftf": fl.FTF, "was_resolved": fl.WAS_RESOLVED, "reopened": fl.REOPENED,
    "repeats": fl.REPEAT, "chased": fl.CHASED, "merged": fl.MERGED,
}
COUNT_KEYS = ("n", "frt_met", "frt_breached", "res_met", "res_breached", "resolved", "ftf", "was_resolved",
              "reopened", "repeats", "chased", "at_risk", "breached_open", "open")


def _bit_sums() -> list[ColumnElement[Any]]:
    flags = func.coalesce(t.sla_flags, 0)
    return [func.count().label("n"), *(func.coalesce(func.sum(flags.op("&")(bit)), 0).label(name)
                                       for name, bit in BITS.items())]


def _open_counts(now: datetime) -> list[ColumnElement[Any]]:
    return [
        count_if(and_(frt_pending(), t.frt_due_at <= now)).label("frt_overdue"),
        count_if(and_(res_pending(), t.res_due_at <= now)).label("res_overdue"),
        count_if(at_risk(now)).label("at_risk"),
        count_if(breached_open(now)).label("breached_open"),
        func.count().label("open"),
    ]


def period_bucket(engine: Engine, period: str):  # noqa: ANN201 - a SQL expression
    """The creation month ("YYYY-MM") or week ("YYYY-MM-DD" of its Monday) of a ticket, in SQL."""
    if period == "week":
        return week_bucket(t.created_at, engine.dialect.name)
    if period == "month" and engine.dialect.name == "sqlite":
        # Timestamps are stored as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the first 7 characters are the month,
        # several times cheaper per row than strftime over a million tickets.
        return func.substr(t.created_at, 1, 7)
    if period == "month":
        return month_bucket(t.created_at, engine.dialect.name)
    raise ValueError("period must be 'month' or 'week'")


def raw_key(engine: Engine, by: str) -> Any:
    """The SQL expression on raw tickets of a grouping name: a column of :data:`GROUPINGS`, ``month`` or ``week``."""
    if by in ("month", "week"):
        return period_bucket(engine, by)
    try:
        return GROUPINGS[by]
    except KeyError:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}") from None


def raw_sums(engine: Engine, conn: Any, key: Any) -> Any:
    """A function computing pass 1 from the raw tickets of a selection: {key: {n, frt_met, ...}} (plain counts)."""
    keyed = [key.label("key")] if key is not None else []

    def run(filters: Filters) -> dict[Any, dict[str, int]]:
        stmt = select(*keyed, *_bit_sums()).where(where_for(engine, filters, merged=None))
        if key is not None:
            stmt = stmt.group_by(key)
        out = {}
        for r in conn.execute(stmt):
            m = r._mapping
            out[m["key"] if key is not None else None] = {
                "n": int(m["n"]), **{name: int(m[name] or 0) // bit for name, bit in BITS.items()}}
        return out

    return run


def outcome_counts(
    engine: Engine, filters: Filters, now: datetime, key: Any = None, by: str | None = None
) -> list[dict[str, Any]]:
    """Outcome counts of the filters' tickets as of ``now`` (merged tickets only in ``merged``): one row, or one
    per group (returned under ``"key"``) of the grouping name ``by`` (:data:`GROUPINGS`, ``month``, ``week``) or
    of the SQL expression ``key``. Only ``by`` (or no grouping) can be read from the ticket summaries."""
    if by is not None:
        key = raw_key(engine, by)
    groups = [key] if key is not None else []
    open_stmt = select(*([key.label("key")] if groups else []), *_open_counts(now)).where(base_where(filters), is_open())
    if groups:
        open_stmt = open_stmt.group_by(*groups)
    with engine.connect() as conn:
        raw = raw_sums(engine, conn, key)
        rows = raw(filters) if key is not None and by is None else count_sums(conn, filters, by, raw)
        opens = {(r._mapping["key"] if groups else None): dict(r._mapping) for r in conn.execute(open_stmt)}
    if not groups and not rows:
        rows = {None: {"n": 0, **dict.fromkeys(BITS, 0)}}
    out = []
    for k, row in rows.items():
        o = opens.get(k, {})
        merged: dict[str, Any] = {name: int(row.get(name, 0)) for name in BITS}
        merged.update({
            "n": int(row["n"]) - merged["merged"],
            "frt_breached": merged.pop("frt_late") + int(o.get("frt_overdue", 0)),
            "res_breached": merged.pop("res_late") + int(o.get("res_overdue", 0)),
            "at_risk": int(o.get("at_risk", 0)), "breached_open": int(o.get("breached_open", 0)),
            "open": int(o.get("open", 0)),
        })
        if groups:
            merged["key"] = k
        out.append(merged)
    return out
