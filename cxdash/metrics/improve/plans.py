"""Action plans as figures: counts for the overview card, the board, and the summary of measured effects.

The effect of a single plan lives in :mod:`cxdash.metrics.improve.effect` (re-exported here as
:func:`plan_effect`). Plans are filtered by the global filters' organisation part (region, site, team and the
user's scope); closed plans count when they were closed by the end of the date range, while open and overdue
counts are the state as of ``today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine, and_, case, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from cxdash.filters import Filters, scope_conditions
from cxdash.i18n import name_column
from cxdash.metrics.improve.effect import (
    IMPROVED,
    INSUFFICIENT,
    NO_CHANGE,
    PENDING,
    WORSE,
    Effect,
    effects_for,
    plan_effect,
)
from cxdash.schema import action_plan, site, team, touchpoint
from cxdash.unit_names import display_expr

__all__ = ["PlanCounts", "EffectSummary", "Effect", "plan_counts", "plan_board", "effect_summary", "plan_effect"]


@dataclass(frozen=True)
class PlanCounts:
    """Open plans, open plans past due, closed plans, and how many closed plans were measured / improved."""

    open: int
    overdue: int
    closed: int
    closed_improved: int
    closed_measured: int

    @property
    def improved_share(self) -> float | None:
        """Share of measured closed plans that improved their touchpoint (None when none was measured)."""
        return self.closed_improved / self.closed_measured if self.closed_measured else None


@dataclass(frozen=True)
class EffectSummary:
    """Verdicts of the closed plans in a selection."""

    closed: int
    improved: int
    no_change: int
    worse: int
    insufficient: int

    @property
    def measured(self) -> int:
        """Closed plans with enough data before and after for a verdict."""
        return self.improved + self.no_change + self.worse


def plan_where(f: Filters) -> ColumnElement[bool]:
    """The organisation part of the global filters on ``action_plan`` (region via the plan's site)."""
    c = action_plan.c
    conds: list[ColumnElement[bool]] = []
    if f.region_ids:
        conds.append(c.site_id.in_(select(site.c.id).where(site.c.region_id.in_(f.region_ids))))
    if f.site_ids:
        conds.append(c.site_id.in_(f.site_ids))
    if f.team_ids:
        conds.append(c.team_id.in_(f.team_ids))
    conds.extend(scope_conditions(f, action_plan))
    return and_(true(), *conds)


def _closed_in_range(f: Filters) -> ColumnElement[bool]:
    """Plans closed by the end of the range. Not "closed within it": a closed plan's effect is measured from its
    closing day up to today, so every plan closed by then has an effect over the selected period, and a quarter's
    view would otherwise hide all plans closed before it (the demo's and most real ones)."""
    c = action_plan.c
    conds: list[ColumnElement[bool]] = [c.status == "done"]
    if f.date_to is not None:
        conds.append(c.closed_on <= f.date_to)
    return and_(*conds)


def _closed_effects(engine: Engine, f: Filters, today: date) -> list[Effect]:
    with engine.connect() as conn:
        rows = conn.execute(select(action_plan).where(plan_where(f), _closed_in_range(f))).mappings().all()
        return effects_for(conn, [dict(r) for r in rows], today)


def plan_counts(engine: Engine, filters: Filters, today: date | None = None) -> PlanCounts:
    """Counts for the overview's action-plan card.

    open: status open; overdue: open with the due date before ``today``; closed: status done, closed by the end
    of the filters' date range; closed_measured / closed_improved: those closed plans whose effect could be measured /
    whose verdict is "improved" (see :func:`plan_effect`).
    """
    today = today or date.today()
    c = action_plan.c
    is_open = c.status == "open"
    stmt = select(
        func.sum(case((is_open, 1), else_=0)),
        func.sum(case((and_(is_open, c.due_date < today), 1), else_=0)),
    ).where(plan_where(filters))
    with engine.connect() as conn:
        n_open, n_overdue = conn.execute(stmt).one()
    effects = _closed_effects(engine, filters, today)
    measured = [e for e in effects if e.verdict in (IMPROVED, NO_CHANGE, WORSE)]
    return PlanCounts(
        open=int(n_open or 0),
        overdue=int(n_overdue or 0),
        closed=len(effects),
        closed_improved=sum(e.verdict == IMPROVED for e in measured),
        closed_measured=len(measured),
    )


def effect_summary(engine: Engine, filters: Filters, today: date | None = None) -> EffectSummary:
    """How many closed plans improved their touchpoint, changed nothing, made it worse, or lack data."""
    effects = _closed_effects(engine, filters, today or date.today())
    return EffectSummary(
        closed=len(effects),
        improved=sum(e.verdict == IMPROVED for e in effects),
        no_change=sum(e.verdict == NO_CHANGE for e in effects),
        worse=sum(e.verdict == WORSE for e in effects),
        insufficient=sum(e.verdict == INSUFFICIENT for e in effects),
    )


BOARD_EFFECT_COLUMNS = ["verdict", "before_n", "before_mean", "after_n", "after_mean", "delta", "ci_low",
                        "ci_high", "p_value"]


def plan_board(
    engine: Engine,
    filters: Filters,
    lang: str = "en",
    touchpoint_ids: Sequence[int] = (),
    site_ids: Sequence[int] = (),
    owners: Sequence[str] = (),
    today: date | None = None,
    with_effect: bool = True,
) -> pd.DataFrame:
    """Every plan of the selection with its touchpoint, scope, SMART fields, PDCA stage, overdue flag and effect.

    ``overdue`` is true for open plans whose due date is before ``today``; ``days_overdue`` counts the days.
    The effect columns (:data:`BOARD_EFFECT_COLUMNS`) are filled when ``with_effect`` is true.
    """
    today = today or date.today()
    c = action_plan.c
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    stmt = (
        select(
            action_plan,
            touchpoint.c.code.label("touchpoint_code"),
            tp_name.label("touchpoint_name"),
            display_expr(site, lang).label("site_name"),
            display_expr(team, lang).label("team_name"),
        )
        .join(touchpoint, touchpoint.c.id == c.touchpoint_id)
        .outerjoin(site, site.c.id == c.site_id)
        .outerjoin(team, team.c.id == c.team_id)
        .where(plan_where(filters))
        .order_by(c.due_date, c.id)
    )
    if touchpoint_ids:
        stmt = stmt.where(c.touchpoint_id.in_(tuple(touchpoint_ids)))
    if site_ids:
        stmt = stmt.where(c.site_id.in_(tuple(site_ids)))
    if owners:
        stmt = stmt.where(c.owner.in_(tuple(owners)))
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        effects: dict[int, Effect] = {}
        if with_effect:
            effects = {r["id"]: e for r, e in zip(rows, effects_for(conn, rows, today), strict=True)}
    for r in rows:
        r["overdue"] = r["status"] == "open" and r["due_date"] < today
        r["days_overdue"] = (today - r["due_date"]).days if r["overdue"] else 0
        e = effects.get(r["id"])
        for col in BOARD_EFFECT_COLUMNS:
            r[col] = getattr(e, col) if e is not None else (PENDING if col == "verdict" else None)
    columns = [col.name for col in stmt.selected_columns] + ["overdue", "days_overdue", *BOARD_EFFECT_COLUMNS]
    return pd.DataFrame(rows, columns=columns)


def owners(engine: Engine, filters: Filters) -> list[str]:
    """Distinct plan owners in the selection, for the board's owner filter."""
    stmt = select(action_plan.c.owner).where(plan_where(filters)).distinct().order_by(action_plan.c.owner)
    with engine.connect() as conn:
        return [str(o) for o in conn.execute(stmt).scalars()]
