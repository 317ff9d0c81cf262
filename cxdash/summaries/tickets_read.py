"""Reading the ticket summaries: split a selection into summary and raw parts and add up their counts.

A selection needs some dimensions (:func:`needed_dims`): those its filters name and the one it groups by. Whole
months come from the smallest grain (fewest rows) that keeps them all; the partial months at either end, and a
weekly grouping, from a day grain that keeps them, else from the raw rows of those days. What no grain keeps (an
agent grouping, a person filter) and stale summaries read the raw rows of the whole selection.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.engine import Connection

from cxdash.filters import Filters, ticket_where
from cxdash.schema import ticket_summary, ticket_time_summary
from cxdash.summaries.grains import Grain, Part, plan
from cxdash.summaries.tickets import COUNTS, GRAINS, summary_state

# Grouping names and the dimension a grain must keep for them (None: a period, which every grain keeps).
GROUP_DIMS: dict[str, str | None] = {
    "priority": "priority", "category": "category", "channel": "channel", "site": "team", "team": "team",
    "month": None, "week": None,
}
_GROUP_COLUMNS = {"priority": "priority", "category": "category", "channel": "channel", "site": "site_id",
                  "team": "team_id"}
COUNT_NAMES = ("n", *COUNTS)
Key = Any
RawCounts = Callable[[Filters], dict[Key, dict[str, int]]]
RawTimes = Callable[[Filters], dict[tuple[int, Key], dict[float, int]]]


def needed_dims(filters: Filters, by: str | None) -> set[str] | None:
    """The dimensions a grain must keep to answer the filters grouped ``by``; None when only raw rows can."""
    if filters.person_ids or (by is not None and by not in GROUP_DIMS):
        return None
    need: set[str] = set()
    if filters.region_ids:
        need.add("region")
    if filters.site_ids or filters.team_ids or filters.scope_sites is not None or filters.scope_teams is not None:
        need.add("team")
    if filters.channels:
        need.add("channel")
    if filters.segments:
        need.add("segment")
    dim = GROUP_DIMS.get(by) if by else None
    if dim:
        need.add(dim)
    return need


def plan_parts(conn: Connection, filters: Filters, by: str | None, table: Table) -> list[Part]:
    """Split the selection into parts of ``table``'s grains and raw parts whose counts add up to the selection's."""
    need = needed_dims(filters, by)
    state = summary_state(conn) if need is not None else None
    if state is None:
        need = None
    rows = {int(k): v for k, v in (state or {}).get("rows", {}).items()}
    grains = [g for g in GRAINS if g.held_in(table)]
    return plan(grains, need, filters.date_from, filters.date_to, by_day=by == "week", rows=rows)


def _where(table: Table, g: Grain, filters: Filters, part: Part) -> ColumnElement[bool]:
    """WHERE clause on a ticket summary for one summary part: the grain, its dates and the filters."""
    conds = [table.c.grain == g.id, ticket_where(filters.with_dates(None, None), table)]
    if part.date_from is not None:
        conds.append(table.c.period >= part.date_from)
    if part.date_to is not None:
        conds.append(table.c.period <= part.date_to)
    return and_(*conds)


def _as_date(v: Any) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def _grouped(table: Table, by: str | None) -> tuple[list[Any], Callable[[Any], Key]]:
    """Columns to group a summary by for ``by``, and the function turning a result row into the raw key."""
    if by == "month":
        return [table.c.period], lambda r: _as_date(r[0]).strftime("%Y-%m")
    if by == "week":
        return [table.c.period], lambda r: (_as_date(r[0]) - timedelta(days=_as_date(r[0]).weekday())).isoformat()
    if by:
        return [table.c[_GROUP_COLUMNS[by]]], lambda r: r[0]
    return [], lambda r: None


def count_sums(conn: Connection, filters: Filters, by: str | None, raw: RawCounts) -> dict[Key, dict[str, int]]:
    """Ticket count and outcome-bit counts (:data:`COUNT_NAMES`) per group of ``by`` (key None without ``by``).

    ``raw(filters)`` computes the same from the raw tickets of a part (or of the whole selection).
    """
    out: dict[Key, dict[str, int]] = {}
    for part in plan_parts(conn, filters, by, ticket_summary):
        if part.grain is None:
            found = raw(filters.with_dates(part.date_from, part.date_to))
        else:
            keys, to_key = _grouped(ticket_summary, by)
            sums = [func.sum(ticket_summary.c[m]) for m in COUNT_NAMES]
            stmt = select(*keys, *sums).where(_where(ticket_summary, part.grain, filters, part))
            if keys:
                stmt = stmt.group_by(*keys)
            found = {}
            for r in conn.execute(stmt):
                if r[len(keys)] is None:  # SUM over no rows
                    continue
                k = to_key(r)
                acc = found.setdefault(k, dict.fromkeys(COUNT_NAMES, 0))
                for name, v in zip(COUNT_NAMES, r[len(keys):], strict=True):
                    acc[name] += int(v or 0)
        for k, counts in found.items():
            acc = out.setdefault(k, dict.fromkeys(COUNT_NAMES, 0))
            for name in COUNT_NAMES:
                acc[name] += int(counts.get(name, 0))
    return out


def time_counts(conn: Connection, filters: Filters, by: str | None, raw: RawTimes) -> dict[tuple[int, Key], dict[float, int]]:
    """Tickets per rounded business-minutes value, per (measure, group): {(measure, key): {minutes: n}}."""
    out: dict[tuple[int, Key], dict[float, int]] = {}
    t = ticket_time_summary.c
    for part in plan_parts(conn, filters, by, ticket_time_summary):
        if part.grain is None:
            found = raw(filters.with_dates(part.date_from, part.date_to))
        else:
            keys, to_key = _grouped(ticket_time_summary, by)
            stmt = (select(*keys, t.measure, t.minutes, func.sum(t.n))
                    .where(_where(ticket_time_summary, part.grain, filters, part))
                    .group_by(*keys, t.measure, t.minutes))
            found = {}
            nk = len(keys)
            for r in conn.execute(stmt):
                hist = found.setdefault((int(r[nk]), to_key(r)), {})
                x = float(r[nk + 1])
                hist[x] = hist.get(x, 0) + int(r[nk + 2])
        for k, hist in found.items():
            acc = out.setdefault(k, {})
            for x, n in hist.items():
                acc[x] = acc.get(x, 0) + n
    return out
