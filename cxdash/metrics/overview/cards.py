"""The executive overview: every KPI card of a selection against the previous period and its target.

Cards (keys as in :data:`cxdash.domain.kpis.KPI_CODES`): NPS; CSAT; CES and its share 5-7; the tier shares
(disappointed, basic, delighted, no tier); the effort facts; SLA first-response and resolution compliance and
the first-time-fix rate (:mod:`cxdash.metrics.service.compliance`); the churn rate (:mod:`cxdash.metrics.loyalty.churn`); open and
overdue action plans (:mod:`cxdash.metrics.improve.plans`). The previous period is the one of equal length just before
the filters' date range (none without a range). Each group of cards is one small function over one SQL
aggregate per period: all survey figures come from a single pass over the responses.

The monthly trends live in :mod:`cxdash.metrics.overview.trends` (re-exported here as :func:`overview_trends`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.tiers import TIER_NAMES
from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.improve.plans import PlanCounts, plan_counts
from cxdash.metrics.loyalty import churn as churn_mod
from cxdash.metrics.loyalty.churn_definition import churn_rule, first_judgeable
from cxdash.metrics.loyalty.churn_notes import ChurnNote, churn_note
from cxdash.metrics.overview.kpi_cards import KpiCard, ces_card, count_card, nps_card, share_card
from cxdash.metrics.overview.trends import overview_trends
from cxdash.metrics.response_figures import ResponseFigures, response_figures
from cxdash.metrics.satisfaction import CesResult
from cxdash.metrics.service.compliance import SlaSummary, sla_summary
from cxdash.metrics.significance import Proportion, proportion
from cxdash.metrics.targets import targets_for

__all__ = ["Overview", "ResponseFigures", "overview", "overview_trends", "response_figures", "worst_touchpoints"]


def response_cards(cur: ResponseFigures, prev: ResponseFigures | None, targets: dict[str, float]) -> list[KpiCard]:
    """The survey cards: NPS, CSAT, CES, share easy, the four tier shares and the three effort facts."""
    p = prev
    cards = [
        nps_card(cur.nps, None if p is None else p.nps, targets),
        share_card("csat", "satisfaction", cur.csat, None if p is None else p.csat, targets),
        ces_card(cur.ces, None if p is None else p.ces, targets),
        share_card("ces_easy", "effort", _easy(cur.ces), None if p is None else _easy(p.ces), targets),
    ]
    cards += [share_card(f"share_{name}", "tiers", cur.tiers.proportion(name),
                         None if p is None else p.tiers.proportion(name), targets) for name in TIER_NAMES]
    for name in ("multiple_contacts", "transferred", "repeated_story"):
        cards.append(share_card(f"effort_{name}", "effort", getattr(cur.effort, name),
                                None if p is None else getattr(p.effort, name), targets))
    return cards


def _easy(ces: CesResult) -> Proportion:
    return proportion(ces.easy, ces.n)


def sla_cards(engine: Engine, filters: Filters, prev: Filters | None, now: datetime | None,
              targets: dict[str, float]) -> tuple[list[KpiCard], SlaSummary]:
    """SLA first-response and resolution compliance and first-time fix (definitions in metrics.sla)."""
    cur = sla_summary(engine, filters, now)
    old = None if prev is None else sla_summary(engine, prev, now)
    cards = []
    for key, attr in (("sla_first_response", "first_response"), ("sla_resolution", "resolution"), ("ftf", "ftf")):
        c = getattr(cur, attr)
        o = None if old is None else getattr(old, attr)
        cards.append(share_card(key, "service", proportion(c.k, c.n),
                                None if o is None else proportion(o.k, o.n), targets))
    return cards, cur


def churn_card(engine: Engine, filters: Filters, prev: Filters | None, as_of: date | None,
               targets: dict[str, float], churn_mode: str | None = None) -> tuple[KpiCard, Proportion, ChurnNote]:
    """The churn card as of A under the rule in force (``churn_mode`` overrides it; metrics.churn,
    metrics.churn_definition) and its notes; the previous period's A lies one period length earlier, compared
    only when the history supports it (not left-censored, see
    :func:`cxdash.metrics.loyalty.churn_definition.judgeable_from`)."""
    with engine.connect() as conn:
        definition = churn_rule(conn, churn_mode).definition
        a = churn_mod.resolve_as_of(conn, filters, as_of)
    w, mode = definition.window_days, definition.mode
    cur = proportion(0, 0) if a is None else churn_mod.churn_rate(engine, filters, a, w, mode)
    note = churn_note(engine, filters, a, mode if churn_mode else None, None, judged_n=cur.n)
    if a is None:
        return share_card("churn", "loyalty", cur, None, targets), cur, note
    old = None
    if prev is not None and filters.date_from is not None and filters.date_to is not None:
        length = (filters.date_to - filters.date_from).days + 1
        old_a = a - timedelta(days=length)
        supported = note.data_start is None or old_a >= first_judgeable(note.data_start, note.definition)
        if supported:
            old = churn_mod.churn_rate(engine, prev, old_a, w, mode)
        else:
            note = replace(note, previous_unsupported=old_a)
    return share_card("churn", "loyalty", cur, old, targets), cur, note


def plan_cards(engine: Engine, filters: Filters, today: date,
               targets: dict[str, float]) -> tuple[list[KpiCard], PlanCounts]:
    """Open and overdue action plans as of ``today`` (counts; no interval or comparison), and the share of
    measured closed plans that improved their touchpoint (Wilson interval; no comparison, plans are few)."""
    counts = plan_counts(engine, filters, today)
    improved = proportion(counts.closed_improved, counts.closed_measured)
    cards = [count_card("plans_open", "improve", counts.open, targets),
             count_card("plans_overdue", "improve", counts.overdue, targets),
             share_card("plans_improved", "improve", improved, None, targets)]
    return cards, counts


@dataclass(frozen=True)
class Overview:
    """All KPI cards of a selection, with the results behind them and the periods compared."""

    date_from: date | None
    date_to: date | None
    previous_from: date | None
    previous_to: date | None
    as_of: date | None  # the day churn is judged on
    cards: tuple[KpiCard, ...]
    responses: ResponseFigures
    sla: SlaSummary
    churn: Proportion
    plans: PlanCounts
    churn_note: ChurnNote | None = None  # the churn rule, censoring and why it is empty

    def card(self, key: str) -> KpiCard:
        """The card with ``key``; raises KeyError when there is none."""
        for c in self.cards:
            if c.key == key:
                return c
        raise KeyError(key)

    def records(self) -> list[dict[str, Any]]:
        """One flat record per card (see :meth:`KpiCard.as_record`), for reports and tables."""
        return [c.as_record() for c in self.cards]


def overview(engine: Engine, filters: Filters, as_of: date | None = None,
             churn_mode: str | None = None) -> Overview:
    """Every KPI card of the filters' selection against the previous period of equal length and its target.

    ``as_of`` is the day the state-like figures are judged on: churn (default: the filters' last day capped at
    the latest event), SLA breaches of open tickets (default: now) and overdue plans (default: today).
    ``churn_mode`` ("flag" / "inactivity") overrides the churn rule in force for this call.
    """
    prev = filters.previous_period()
    on = as_of or filters.date_to or date.today()
    targets = targets_for(engine, filters, on)
    cur_fig = response_figures(engine, filters)
    prev_fig = None if prev is None else response_figures(engine, prev)
    now = None if as_of is None else datetime.combine(as_of + timedelta(days=1), time.min)
    service, sla = sla_cards(engine, filters, prev, now, targets)
    churn, churn_p, note = churn_card(engine, filters, prev, as_of, targets, churn_mode)
    plans, counts = plan_cards(engine, filters, as_of or date.today(), targets)
    cards = (*response_cards(cur_fig, prev_fig, targets), *service, churn, *plans)
    return Overview(
        date_from=filters.date_from, date_to=filters.date_to,
        previous_from=None if prev is None else prev.date_from, previous_to=None if prev is None else prev.date_to,
        as_of=note.as_of, cards=cards, responses=cur_fig, sla=sla, churn=churn_p, plans=counts, churn_note=note,
    )


WORST_COLUMNS = ["stage_name", "touchpoint_code", "touchpoint_name", "n", "gap", "ci_low", "ci_high", "q_value",
                 "share_disappointed"]


def worst_touchpoints(engine: Engine, filters: Filters, lang: str = "en", k: int = 3) -> pd.DataFrame:
    """The ``k`` touchpoints with the most negative gap among those significantly below expectations.

    From :func:`cxdash.metrics.experience.gaps.gap_table` (gap on the 0-1 scale, q < 0.05 after Benjamini-Hochberg); names
    in ``lang``. Fewer rows (or none) when fewer touchpoints fall significantly short.
    """
    table = gap_table(engine, filters, lang, with_importance=False, with_points=False)
    short = table[table["significant"] & (table["gap"] < 0)]
    return short.nsmallest(k, "gap")[WORST_COLUMNS].reset_index(drop=True)
