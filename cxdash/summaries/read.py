"""Reading the summaries: split a selection into summary and raw parts and add up their sums."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.engine import Connection

from cxdash.db import data_version, get_setting
from cxdash.domain.frames import rows_frame
from cxdash.domain.periods import between
from cxdash.filters import Filters, response_where
from cxdash.sqlfuncs import month_bucket, week_bucket
from cxdash.summaries.common import (
    STATE_KEY,
    SUMMARY_FORMAT,
    SURVEY_GRAINS,
    counts_match,
    state,
)
from cxdash.summaries.grains import Part, plan


def summaries_fresh(conn: Connection, tolerance: float | None = None) -> bool:
    """True when the summaries were built from the responses now stored (and with ``tolerance`` if given).

    Fresh: nothing was written since the refresh (same data version), or the responses' count and highest id are
    what the refresh saw. Every writer bumps the data version, so the count (tens of milliseconds at a million
    responses, paid by every summary read) is taken once per engine and data version in a process.
    """
    saved = get_setting(conn, STATE_KEY, None)
    if not isinstance(saved, dict):
        return False
    if tolerance is not None and abs(float(saved.get("tolerance", -1)) - tolerance) > 1e-12:
        return False
    version = data_version(conn)
    if saved.get("data_version") == version:  # nothing written since the refresh: no count needed
        return saved.get("format") == SUMMARY_FORMAT
    return counts_match(conn, version, saved, state)


TEAM_KEYS = ("site_id", "team_id")  # grouping keys only the site-and-team grains keep


def needs_teams(filters: Filters, group_by: Sequence[str] = ()) -> bool:
    """True when a selection must be read at site-and-team grains: it filters or groups below the region."""
    scoped = filters.scope_sites is not None or filters.scope_teams is not None
    return bool(filters.site_ids or filters.team_ids or scoped or set(group_by) & set(TEAM_KEYS))


def plan_parts(
    conn: Connection, filters: Filters, by_day: bool = False, tolerance: float | None = None, by_cs: bool = False,
    by_team: bool = False,
) -> list[Part]:
    """Split a selection into survey summary and raw parts whose sums add up to the selection's sums.

    ``by_day`` asks for day resolution (a weekly trend): months cannot provide it, so only a day grain or raw rows.
    ``by_cs`` asks to keep channels and segments apart (grouping by them): only a channel x segment grain or raw
    rows. ``by_team`` asks to keep sites and teams apart (grouping by them); without it, and without a filter below
    the region, the region grains answer (a thousand sites' rows summed once at load instead of at every read).
    """
    fresh = not filters.person_ids and summaries_fresh(conn, tolerance)
    need: set[str] | None = None
    if fresh:
        need = {"region"}
        if by_team or needs_teams(filters):
            need.add("team")
        if by_cs or filters.channels or filters.segments:
            need |= {"channel", "segment"}
    return plan(SURVEY_GRAINS, need, filters.date_from, filters.date_to, by_day)  # each survey table holds all


def part_filters(filters: Filters, part: Part) -> Filters:
    """The filters restricted to a part's dates (for raw parts)."""
    return filters.with_dates(part.date_from, part.date_to)


def summary_where(table: Table, filters: Filters, part: Part) -> ColumnElement[bool]:
    """WHERE clause on a summary table for one summary part: the grain, its dates and the organisation filters."""
    assert part.grain is not None, "a raw part has no summary rows"
    return and_(
        table.c.grain == part.grain.id,
        response_where(filters.with_dates(None, None), table),
        between(table.c.visit_date, part.date_from, part.date_to),
    )


def group_column(table: Table, name: str, dialect: str) -> ColumnElement[Any]:
    """A grouping key by name on a summary or raw table: a column, or ``month`` / ``week`` of the visit date."""
    if name == "month":
        return month_bucket(table.c.visit_date, dialect).label("month")
    if name == "week":
        return week_bucket(table.c.visit_date, dialect).label("week")
    return table.c[name].label(name)


def additive_sums(
    conn: Connection,
    filters: Filters,
    table: Table,
    measures: Sequence[str],
    group_by: Sequence[str],
    raw: Callable[[Filters], pd.DataFrame],
    by_day: bool = False,
    tolerance: float | None = None,
    where: ColumnElement[bool] | None = None,
) -> pd.DataFrame:
    """Sum ``measures`` of a summary ``table`` by ``group_by`` over the selection, raw rows where needed.

    ``raw(filters)`` must return the same columns (group_by + measures) computed from the raw rows; ``where``, a
    further condition on the summary rows (a touchpoint), must then hold for the rows ``raw`` sums as well.
    """
    frames = []
    dialect = conn.dialect.name
    by_cs = any(g in ("channel", "segment") for g in group_by)  # only grain 2 and raw rows keep those apart
    by_team = needs_teams(filters, group_by)
    for part in plan_parts(conn, filters, by_day=by_day, tolerance=tolerance, by_cs=by_cs, by_team=by_team):
        if part.grain is None:
            frames.append(raw(part_filters(filters, part)))
            continue
        keys = [group_column(table, g, dialect) for g in group_by]
        stmt = select(*keys, *[func.sum(table.c[m]).label(m) for m in measures]).where(
            summary_where(table, filters, part)
        )
        if where is not None:
            stmt = stmt.where(where)
        if keys:
            stmt = stmt.group_by(*keys)
        frames.append(rows_frame(conn.execute(stmt), [*group_by, *measures]))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=[*group_by, *measures])
    out = pd.concat(frames, ignore_index=True)
    for m in measures:
        out[m] = pd.to_numeric(out[m], errors="coerce").astype(float)
    if not group_by:
        return out[list(measures)].sum().to_frame().T
    return out.groupby(list(group_by), dropna=False, as_index=False)[list(measures)].sum()
