"""Ticket summaries: SLA outcome counts and business-time histograms per period and a few key columns.

The service page groups a year of tickets by priority, category, channel, site, team, month or week, under
filters on dates, region, site, team, channel and segment (and a team lead's scope). Scanning a million raw tickets
for each of its figures takes seconds; the same figures summed from a summary take milliseconds. One wide cell
(month x site x team x priority x category x channel x segment) would barely compress a million tickets over a
thousand sites, so each **grain** keeps only some key columns (:data:`GRAINS`); a query reads the smallest grain
that keeps every column it filters or groups by (:mod:`cxdash.summaries.tickets_read`), and the raw rows answer
what no grain keeps (an agent grouping, a person filter, a site filter with a channel filter, ...).

- ``ticket_summary`` holds, per cell, the ticket count and the number of tickets with each outcome bit of
  ``ticket.sla_flags`` (:mod:`cxdash.domain.service_flags`): the facts judged at load time. What depends on "now" (open
  tickets past a due or at-risk time) is never stored; the few open tickets are read live.
- ``ticket_time_summary`` holds, per cell and measure (business minutes to first response, to resolution), how
  many unmerged tickets took each time **rounded down to two significant digits** (:func:`minutes_bucket`), so
  percentiles of a selection follow from summed counts; the raw path rounds the same way, so a figure does not
  depend on where it was read from.

Every ticket write refreshes the months it touched in the same transaction (:func:`refresh_ticket_summary`,
called by :func:`cxdash.service.compute.recompute_tickets`, which every ticket load, import and policy change runs,
and by import batch deletion). Readers check freshness (:func:`ticket_summary_fresh`) against the ticket count and
highest id recorded at the refresh; stale or missing summaries fall back to the raw rows: slower, never wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from cxdash.db import data_version, get_setting, put_setting
from cxdash.domain import service_flags as fl
from cxdash.domain.periods import month_start, next_month
from cxdash.schema import ticket, ticket_summary, ticket_time_summary
from cxdash.summaries.common import counts_match, rebuild_requested
from cxdash.summaries.grains import KEY_COLUMNS, Grain, grain

STATE_KEY = "ticket_summary_state"
FORMAT = 1  # bump when the stored measures change meaning, so older summaries count as stale
# Outcome bits stored as counts (the names outcome_counts uses).
COUNTS = {
    "frt_met": fl.FRT_MET, "frt_late": fl.FRT_LATE, "res_met": fl.RES_MET, "res_late": fl.RES_LATE,
    "resolved": fl.RESOLVED, "ftf": fl.FTF, "was_resolved": fl.WAS_RESOLVED, "reopened": fl.REOPENED,
    "repeats": fl.REPEAT, "chased": fl.CHASED, "merged": fl.MERGED,
}
MEASURES = {0: "frt_business_min", 1: "res_business_min"}
_t = ticket.c


GRAINS: tuple[Grain, ...] = (
    # Outcome counts. The day grain answers weekly trends and the partial months at either end of a date range.
    grain(0, ticket_summary, True, "region", "priority"),
    grain(1, ticket_summary, False, "team", "priority"),
    grain(2, ticket_summary, False, "team", "category"),
    grain(3, ticket_summary, False, "region", "priority", "category", "channel", "segment"),
    # Time histograms (a few hundred values per cell, so few and narrow grains; months only).
    grain(10, ticket_time_summary, False, "priority"),
    grain(11, ticket_time_summary, False, "region", "priority"),
    grain(12, ticket_time_summary, False, "category"),
    grain(13, ticket_time_summary, False, "channel"),
)


class floor_(FunctionElement[float]):  # noqa: N801 - reads like the SQL function it stands for
    """``floor(x)`` for x >= 0: a cast on SQLite (whose floor() needs the optional math functions)."""

    inherit_cache = True
    type = Float()


@compiles(floor_)
def _floor_default(element: floor_, compiler: Any, **kw: Any) -> str:
    return f"floor({compiler.process(element.clauses, **kw)})"


@compiles(floor_, "sqlite")
def _floor_sqlite(element: floor_, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


# Business minutes are rounded down to two significant digits: whole minutes below 100, tens of minutes below
# 1,000, hundreds below 10,000, and so on (about 1 % resolution, at most 90 values a decade).
BUCKET_DECADES = 8


def minutes_bucket(col: Any) -> ColumnElement[float]:
    """SQL: business minutes rounded down to two significant digits (NULL stays NULL)."""
    whens = [(col < 100, floor_(col))]
    for k in range(1, BUCKET_DECADES):
        step = 10**k
        whens.append((col < 100 * step, floor_(col / step) * step))
    step = 10**BUCKET_DECADES
    return case(*whens, else_=floor_(col / step) * step)


def period_expr(day: bool, dialect: str) -> ColumnElement[Any]:
    """The creation day, or the first day of the creation month, of a ticket as a date."""
    if not day:
        return month_start(_t.created_at, dialect)
    if dialect == "sqlite":
        return func.date(_t.created_at)
    return cast(func.date_trunc("day", _t.created_at), Date)


def _keys(g: Grain) -> list[ColumnElement[Any]]:
    return [(_t[c] if c in g.columns else null()).label(c) for c in KEY_COLUMNS]


def _count_select(g: Grain, dialect: str, where: ColumnElement[bool]) -> Any:
    flags = func.coalesce(_t.sla_flags, 0)
    period = period_expr(g.day, dialect)
    sums = [(func.coalesce(func.sum(flags.op("&")(bit)), 0) / bit).label(name) for name, bit in COUNTS.items()]
    kept = [_t[c] for c in g.columns]
    return (select(literal(g.id).label("grain"), period.label("period"), *_keys(g), func.count().label("n"), *sums)
            .where(where).group_by(period, *kept))


def _time_select(g: Grain, dialect: str, where: ColumnElement[bool], measure: int) -> Any:
    col = _t[MEASURES[measure]]
    period = period_expr(g.day, dialect)
    bucket = minutes_bucket(col)
    kept = [_t[c] for c in g.columns]
    return (select(literal(g.id).label("grain"), period.label("period"), *_keys(g), literal(measure).label("measure"),
                   bucket.label("minutes"), func.count().label("n"))
            .where(where, _t.merged_into.is_(None), col.is_not(None)).group_by(period, *kept, bucket))


def _created_between(lo: date | None, hi: date | None) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    if lo is not None:
        conds.append(_t.created_at >= datetime.combine(lo, time.min))
    if hi is not None:
        conds.append(_t.created_at < datetime.combine(hi, time.min))
    return and_(true(), *conds)


def month_ranges(months: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive months merged into [first day, first day after) ranges."""
    out: list[tuple[date, date]] = []
    for m in sorted({d.replace(day=1) for d in months}):
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0], next_month(m))
        else:
            out.append((m, next_month(m)))
    return out


def ticket_months(conn: Connection, where: ColumnElement[bool]) -> set[date]:
    """The creation months (first days) of the tickets matching ``where``."""
    month = period_expr(False, conn.dialect.name)
    found = conn.execute(select(month).where(where).distinct()).scalars()
    return {v if isinstance(v, date) else date.fromisoformat(str(v)[:10]) for v in found if v is not None}


def refresh_ticket_summary(conn: Connection, months: Iterable[date] | None = None) -> None:
    """Rebuild the summary rows of the given creation months (every month when None) from the raw tickets.

    Call it in the transaction that wrote, changed or deleted tickets, with the months of the tickets before and
    after the change. Records the ticket count, highest id and row count per grain for the readers. Every month is
    rebuilt when a migration asked for it (:func:`cxdash.summaries.common.rebuild_requested`).
    """
    if rebuild_requested(get_setting(conn, STATE_KEY, None)):
        months = None  # the months not named lack rows too
    dialect = conn.dialect.name
    ranges: list[tuple[date | None, date | None]] = [(None, None)] if months is None else list(month_ranges(months))
    for lo, hi in ranges:
        for table in (ticket_summary, ticket_time_summary):
            conds: list[ColumnElement[bool]] = [true()]
            if lo is not None and hi is not None:
                conds = [table.c.period >= lo, table.c.period < hi]
            conn.execute(delete(table).where(*conds))
        where = _created_between(lo, hi)
        for g in GRAINS:
            cols = ["grain", "period", *KEY_COLUMNS]
            if g.held_in(ticket_summary):
                conn.execute(insert(ticket_summary).from_select([*cols, "n", *COUNTS], _count_select(g, dialect, where)))
                continue
            for measure in MEASURES:
                conn.execute(insert(ticket_time_summary).from_select(
                    [*cols, "measure", "minutes", "n"], _time_select(g, dialect, where, measure)))
    _record_state(conn)


def _record_state(conn: Connection) -> None:
    rows: dict[str, int] = {str(g.id): 0 for g in GRAINS}
    for table in (ticket_summary, ticket_time_summary):
        for gid, n in conn.execute(select(table.c.grain, func.count()).group_by(table.c.grain)):
            rows[str(gid)] = int(n)
    # put_setting bumps the data version once: recording that next version lets readers skip the count
    put_setting(conn, STATE_KEY, {**ticket_state(conn), "rows": rows, "data_version": data_version(conn) + 1})


def ticket_state(conn: Connection) -> dict[str, Any]:
    """What the ticket summaries are built from: the ticket count and highest id (and the format version)."""
    n, hi = conn.execute(select(func.count(), func.max(_t.id)).select_from(ticket)).one()
    return {"tickets": int(n), "max_id": int(hi or 0), "format": FORMAT}


def summary_state(conn: Connection) -> dict[str, Any] | None:
    """The recorded state of fresh ticket summaries (``rows``: rows per grain id), or None when they are stale.

    Fresh: nothing was written since the refresh (same data version), or the tickets' count and highest id are
    what the refresh saw. The count is taken once per engine and data version in a process.
    """
    saved = get_setting(conn, STATE_KEY, None)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        return None
    version = data_version(conn)
    if saved.get("data_version") == version:
        return saved
    return saved if counts_match(conn, version, saved, ticket_state) else None


def ticket_summary_fresh(conn: Connection) -> bool:
    """True when the ticket summaries were built from the tickets now stored."""
    return summary_state(conn) is not None
