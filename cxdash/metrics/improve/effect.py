"""Effect of an action plan (docs/metrics.md): its touchpoint's gap in its scope before versus after the plan.

Before = the 90 days before the start date; after = the days after the due date (or after the closing day of a
closed plan) up to today. Both samples are the normalised touchpoint gaps (P - E) / (scale range) of the
responses in the plan's scope (its team, else its site, else every site). The comparison is a Welch t-test
computed from count, sum and sum of squares aggregated in SQL (:func:`cxdash.metrics.stats.welch`), so no
response leaves the database; "improved" / "worse" need p < 0.05.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from cxdash.db import data_version
from cxdash.domain.periods import day_conditions
from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters, scope_conditions
from cxdash.metrics import stats
from cxdash.metrics.experience.gap_sums import one_touchpoint_sums
from cxdash.schema import action_plan, inspection, team

BEFORE_DAYS = 90
MIN_N = 2  # a variance needs two values per period
IMPROVED, NO_CHANGE, WORSE, PENDING, INSUFFICIENT = "improved", "no_change", "worse", "pending", "insufficient"


@dataclass(frozen=True)
class Effect:
    """Before/after gap of a plan's touchpoint in its scope, with the Welch test and a verdict.

    ``verdict`` is improved / no_change / worse, or pending (not yet past due and not closed) or insufficient
    (fewer than two gaps in a period). Means and the difference are on the common 0-1 scale.
    """

    plan_id: int
    verdict: str
    before_from: date
    before_to: date
    after_from: date | None
    after_to: date | None
    before_n: int
    before_mean: float | None
    after_n: int
    after_mean: float | None
    delta: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None


def verdict_of(diff: stats.Difference) -> str:
    """improved when the gap rose significantly, worse when it fell significantly, else no_change."""
    if diff.significant:
        return IMPROVED if diff.diff > 0 else WORSE
    return NO_CHANGE


def periods(plan: dict, today: date) -> tuple[date, date, date | None, date | None]:
    """``(before_from, before_to, after_from, after_to)``; the after period is None while the plan is pending."""
    start: date = plan["start_date"]
    before = (start - timedelta(days=BEFORE_DAYS), start - timedelta(days=1))
    if plan["status"] == "done" and plan.get("closed_on"):
        anchor: date | None = plan["closed_on"]
    elif plan["due_date"] < today:
        anchor = plan["due_date"]
    else:
        anchor = None
    if anchor is None or anchor >= today:
        return before[0], before[1], None, None
    return before[0], before[1], anchor + timedelta(days=1), today


def gap_sums(
    conn: Connection, touchpoint_id: int, site_id: int | None, team_id: int | None, lo: date | None, hi: date
) -> tuple[int, float, float]:
    """``(n, sum, sum of squares)`` of a touchpoint's normalised gaps in a scope between two visit dates.

    The scope is the team when given, else the site, else every site; ``lo`` None means from the beginning.
    The gap is the gap table's: (P - E) / scale range over pairs on a valid scale, from the gap table's sums
    (:func:`cxdash.metrics.experience.gap_sums.one_touchpoint_sums`: summary tables where they cover the period, whole months at
    month grain and the ends at day grain), so a plan's effect costs a few summary rows at any data size.
    """
    # The site goes along with a team (its own) so that reads use the summaries' site index.
    sites = () if site_id is None else (site_id,)
    teams = () if team_id is None else (team_id,)
    scope = Filters(date_from=lo, date_to=hi, site_ids=sites, team_ids=teams)
    return one_touchpoint_sums(conn, scope, get_tolerance(conn), touchpoint_id)


def _sums(conn: Connection, plan: dict, lo: date, hi: date) -> tuple[int, float, float]:
    return gap_sums(conn, plan["touchpoint_id"], plan.get("site_id"), plan.get("team_id"), lo, hi)


def effect_for(conn: Connection, plan: dict, today: date) -> Effect:
    """The effect of one plan given as a row dict of ``action_plan`` (see :func:`plan_effect`)."""
    b_from, b_to, a_from, a_to = periods(plan, today)
    before = _sums(conn, plan, b_from, b_to)
    effect = Effect(
        plan_id=int(plan["id"]), verdict=PENDING, before_from=b_from, before_to=b_to, after_from=None,
        after_to=None, before_n=before[0], before_mean=before[1] / before[0] if before[0] else None, after_n=0,
        after_mean=None,
    )
    if a_from is None or a_to is None:
        return effect
    after = _sums(conn, plan, a_from, a_to)
    effect = replace(effect, verdict=INSUFFICIENT, after_from=a_from, after_to=a_to, after_n=after[0],
                     after_mean=after[1] / after[0] if after[0] else None)
    if before[0] < MIN_N or after[0] < MIN_N:
        return effect
    w = stats.welch(*after, *before)
    return replace(effect, verdict=verdict_of(w), delta=w.diff, ci_low=w.ci_low, ci_high=w.ci_high,
                   p_value=w.p_value)


_MEMO: dict[tuple[Any, ...], Effect] = {}


def effects_for(conn: Connection, plans: Sequence[dict], today: date) -> list[Effect]:
    """:func:`effect_for` of each plan row, each computed once per database state in a process.

    A page shows the same plans' effects twice (the counts and the board), each a dozen summary reads; keyed on
    the data version (every write bumps it), the plan's row and ``today``, a repeat costs nothing.
    """
    version = data_version(conn)
    out = []
    for plan in plans:
        own = sorted((k, v) for k, v in plan.items() if k in action_plan.c)  # the board adds display columns
        key = (id(conn.engine), str(conn.engine.url), version, today, repr(own))
        if key not in _MEMO:
            if len(_MEMO) > 2048:
                _MEMO.clear()
            _MEMO[key] = effect_for(conn, plan, today)
        out.append(_MEMO[key])
    return out


def _plan_row(conn: Connection, plan_id: int, filters: Filters | None) -> dict[str, Any]:
    """The plan's row; LookupError when it does not exist or lies outside the scope of ``filters`` (a team lead
    learns nothing about other teams' plans, not even that they exist)."""
    stmt = select(action_plan).where(action_plan.c.id == plan_id)
    if filters is not None and (scope := scope_conditions(filters, action_plan)):
        stmt = stmt.where(*scope)
    row = conn.execute(stmt).mappings().first()
    if row is None:
        raise LookupError(f"action plan {plan_id} does not exist")
    return dict(row)


def plan_effect(engine: Engine, plan_id: int, today: date | None = None, filters: Filters | None = None) -> Effect:
    """The measured effect of plan ``plan_id`` as of ``today`` (default: today). Raises LookupError if unknown
    or, with ``filters``, outside their scope."""
    today = today or date.today()
    with engine.connect() as conn:
        return effect_for(conn, _plan_row(conn, plan_id, filters), today)




def _score_sums(conn: Connection, item_id: int, site_id: int | None, lo: date, hi: date) -> tuple[int, float, float]:
    """``(n, sum, sum of squares)`` of a checklist item's inspection scores at a site (or every site)."""
    sc = inspection.c.score
    conds = [inspection.c.item_id == item_id, *day_conditions(inspection.c.inspected_on, lo, hi)]
    if site_id is not None:
        conds.append(inspection.c.site_id == site_id)
    n, s, ss = conn.execute(select(func.count(sc), func.sum(sc), func.sum(sc * sc)).where(*conds)).one()
    return int(n or 0), float(s or 0.0), float(ss or 0.0)


def item_score_effect(engine: Engine, plan_id: int, today: date | None = None,
                      filters: Filters | None = None) -> Effect | None:
    """For a plan made from a weak checklist item: the item's inspection scores (0-10) before versus after the
    plan, over the same periods and with the same test as :func:`plan_effect`, at the plan's site (a team's
    plan at its team's site; inspections are per site). None for plans without a checklist item.

    The customers' gap stays the plan's effect; this shows whether the checked standard itself moved.
    """
    today = today or date.today()
    with engine.connect() as conn:
        plan = _plan_row(conn, plan_id, filters)
        if plan.get("checklist_item_id") is None:
            return None
        site_id = plan.get("site_id")
        if site_id is None and plan.get("team_id") is not None:
            site_id = conn.execute(select(team.c.site_id).where(team.c.id == plan["team_id"])).scalar()
        b_from, b_to, a_from, a_to = periods(plan, today)
        before = _score_sums(conn, plan["checklist_item_id"], site_id, b_from, b_to)
        after = (0, 0.0, 0.0) if a_from is None or a_to is None else _score_sums(
            conn, plan["checklist_item_id"], site_id, a_from, a_to)
    effect = Effect(
        plan_id=plan_id, verdict=PENDING, before_from=b_from, before_to=b_to, after_from=a_from, after_to=a_to,
        before_n=before[0], before_mean=before[1] / before[0] if before[0] else None, after_n=after[0],
        after_mean=after[1] / after[0] if after[0] else None,
    )
    if a_from is None:
        return effect
    if before[0] < MIN_N or after[0] < MIN_N:
        return replace(effect, verdict=INSUFFICIENT)
    w = stats.welch(*after, *before)
    return replace(effect, verdict=verdict_of(w), delta=w.diff, ci_low=w.ci_low, ci_high=w.ci_high,
                   p_value=w.p_value)
