"""The follow-up case page's views: the list with its measures, and one case in full with its step forms' choices.

Each function computes everything one view of ``ui/pages/cases.py`` shows; the page renders it, ``report cases``
prints its fields and the overview shows :func:`case_cards` of the same measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from cxdash.audit import now_utc
from cxdash.filters import Filters, scope_conditions
from cxdash.i18n import t
from cxdash.metrics.followup.cases import (
    PAGE_SIZE,
    CaseDetail,
    CasePage,
    case_detail,
    case_list,
    case_options,
)
from cxdash.metrics.followup.measures import CaseMeasures, case_measures
from cxdash.metrics.followup.select import CaseSelection
from cxdash.schema import action_plan, app_user
from cxdash.schema.followup import followup_case

# The measures in card order; ``report cases`` prints them in this order too.
CARD_KEYS = ("opened", "open", "overdue", "within_target", "median_contact", "recovery")
MEASURE_COLUMNS = ["key", "title", "value", "ci_low", "ci_high", "n"]


def _now(now: datetime | None) -> datetime:
    return now if now is not None else now_utc()


@dataclass(frozen=True)
class CaseCard:
    """One measure as a card: its key (``followup.kpi.<key>``), value (a count, a share or hours), the share's
    Wilson interval and its n where it has them."""

    key: str
    value: float | None
    unit: str  # "count" | "share" | "hours"
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None


def case_cards(m: CaseMeasures) -> tuple[CaseCard, ...]:
    """The headline measures as cards (:data:`CARD_KEYS`)."""
    median = None if m.median_first_contact_min is None else m.median_first_contact_min / 60
    return (
        CaseCard("opened", m.opened, "count"),
        CaseCard("open", m.open, "count"),
        CaseCard("overdue", m.overdue, "count"),
        CaseCard("within_target", m.within_target.rate, "share", m.within_target.ci_low, m.within_target.ci_high,
                 m.within_target.n),
        CaseCard("median_contact", median, "hours", n=m.n_first_contact),
        CaseCard("recovery", m.recovery.rate, "share", m.recovery.ci_low, m.recovery.ci_high, m.recovery.n),
    )


def measures_table(m: CaseMeasures, lang: str) -> pd.DataFrame:
    """The measures as rows (:data:`MEASURE_COLUMNS`): the cards, then NPS and CSAT at the next answer after
    recovered and not recovered cases (``nps_after_yes`` ...), for the download and the report."""
    rows: list[dict[str, Any]] = [
        {"key": c.key, "title": t(f"followup.kpi.{c.key}", lang), "value": c.value, "ci_low": c.ci_low,
         "ci_high": c.ci_high, "n": c.n} for c in case_cards(m)]
    for kpi in ("nps", "csat"):
        for outcome in ("yes", "no"):
            n = m.after_value(outcome, f"{kpi}_n")
            rows.append({"key": f"{kpi}_after_{outcome}",
                         "title": f"{t('followup.after.title', lang)}: {kpi.upper()} · "
                                  f"{t('followup.col.recovered', lang)} {t(f'followup.recovered.{outcome}', lang)}",
                         "value": m.after_value(outcome, kpi), "ci_low": None, "ci_high": None,
                         "n": None if n is None else int(n)})
    return pd.DataFrame(rows, columns=MEASURE_COLUMNS)


@dataclass(frozen=True)
class CasesView:
    """The case page: the measures (and their cards and table), one page of the case list, the filters' choices
    and whether the user's scope holds any case at all (else the page explains how cases come to be)."""

    measures: CaseMeasures
    cards: tuple[CaseCard, ...]
    table: pd.DataFrame
    page: CasePage
    options: dict[str, dict[int, str]]
    any_cases: bool


def _any_cases(engine: Engine, filters: Filters) -> bool:
    """Whether the user's scope holds any case at all, whatever the sidebar's units (they may just exclude all)."""
    with engine.connect() as conn:
        stmt = select(followup_case.c.id).where(*scope_conditions(filters, followup_case)).limit(1)
        return conn.execute(stmt).first() is not None


def cases_view(engine: Engine, filters: Filters, lang: str = "en", *, statuses: Sequence[str] = (),
               site_ids: Sequence[int] = (), team_ids: Sequence[int] = (), touchpoint_ids: Sequence[int] = (),
               rule_ids: Sequence[int] = (), severities: Sequence[str] = (), now: datetime | None = None,
               limit: int = PAGE_SIZE, offset: int = 0) -> CasesView:
    """The case list of ``filters`` (the user's scope included) narrowed by the page's choices (none means all),
    with the measures of ``filters``; ``now`` (naive UTC, default the current time) judges overdue cases."""
    now = _now(now)
    selection = CaseSelection(tuple(statuses), tuple(site_ids), tuple(team_ids), tuple(touchpoint_ids),
                              tuple(rule_ids), tuple(severities))
    measures = case_measures(engine, filters, now, lang)
    return CasesView(measures=measures, cards=case_cards(measures), table=measures_table(measures, lang),
                     page=case_list(engine, filters, selection, now, lang, limit, offset),
                     options=case_options(engine, filters, lang), any_cases=_any_cases(engine, filters))


@dataclass(frozen=True)
class CaseDetailView:
    """One case (None when it does not exist or lies outside the user's scope) and the step forms' choices: the
    action plans of the scope still open (id -> "#id title") and the active users a case may be given to."""

    detail: CaseDetail | None
    plans: dict[int, str]
    owners: dict[int, str]


def _choices(engine: Engine, filters: Filters) -> tuple[dict[int, str], dict[int, str]]:
    p, u = action_plan.c, app_user.c
    with engine.connect() as conn:
        plans = {int(i): f"#{i} {title}" for i, title in conn.execute(
            select(p.id, p.title).where(p.status == "open", *scope_conditions(filters, action_plan))
            .order_by(p.due_date, p.id))}
        owners = {int(i): str(n) for i, n in conn.execute(
            select(u.id, func.coalesce(u.name, u.email) + " <" + u.email + ">")
            .where(u.active.is_(True), u.role.in_(("admin", "cx_lead", "team_lead"))).order_by(u.email))}
    return plans, owners


def case_detail_view(engine: Engine, filters: Filters, lang: str = "en", *, case_id: int,
                     now: datetime | None = None) -> CaseDetailView:
    """Case ``case_id`` in full (:class:`~cxdash.metrics.followup.cases.CaseDetail`) within the filters' scope,
    and the choices of its step forms."""
    detail = case_detail(engine, filters, case_id, _now(now), lang)
    plans, owners = _choices(engine, filters) if detail is not None else ({}, {})
    return CaseDetailView(detail, plans, owners)
