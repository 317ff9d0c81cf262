"""Digests queued by ``cxdash notify digest daily|weekly``: a view, since the weekly summary reads the overview.

- **Daily**, per active user who wants it: their open cases (owned by them, within their scope), overdue first;
  for admins and CX leads, who assign them, also the open cases without an owner. Nothing to say, nothing sent.
  Key ``daily:<uid>:<day>``.
- **Weekly executive summary**, per active user who wants it, over the last full week (Monday to Sunday) within
  their scope: the KPIs against their targets and the biggest significant changes against the week before (the
  overview's cards and tests, :func:`cxdash.views.overview.overview_view`), the touchpoints furthest below
  expectations, the overdue cases and the overdue action plans. Key ``weekly:<uid>:<ISO year>-W<week>``.

Running either twice queues nothing new (the keys exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, case, false, func, or_, select, true
from sqlalchemy.engine import Connection, Engine

from cxdash.audit import now_utc
from cxdash.auth import User, apply_scope
from cxdash.domain.followup import OPEN_STATUSES, REASSIGN_ROLES
from cxdash.domain.kpis import SHARE
from cxdash.filters import Filters
from cxdash.formatting import kpi_value as fmt_kpi
from cxdash.i18n import t
from cxdash.metrics.followup.select import overdue_expr
from cxdash.metrics.improve.plans import plan_board
from cxdash.notify.outbox import Reader, queue_notice, readers
from cxdash.notify.render import Message, Section, app_link, case_list_query, case_table, compose, is_overdue
from cxdash.schema import followup_case
from cxdash.views.overview import overview_view

MAX_ROWS = 20  # a digest lists this many cases or plans; the page has the rest


def _scope_condition(reader: Reader) -> ColumnElement[bool]:
    c = followup_case.c
    if reader.role != "team_lead":
        return true()
    conds: list[ColumnElement[bool]] = []
    if reader.scope_teams:
        conds.append(c.team_id.in_(reader.scope_teams))
    if reader.scope_sites:
        conds.append(c.site_id.in_(reader.scope_sites))
    return or_(*conds) if conds else false()


def case_rows(conn: Connection, reader: Reader, lang: str, now: datetime, *, own: bool,
              overdue_only: bool = False, unowned: bool = False) -> list[dict]:
    """Open cases within ``reader``'s scope (only theirs when ``own``; only overdue ones when ``overdue_only``;
    only those without an owner when ``unowned``), overdue first, then by due time; at most :data:`MAX_ROWS`."""
    c = followup_case.c
    stmt = (case_list_query(lang).where(*_open_conditions(reader, now, own=own, overdue_only=overdue_only,
                                                          unowned=unowned))
            .order_by(case((overdue_expr(now), 0), else_=1), c.due_at, c.id).limit(MAX_ROWS))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def count_cases(conn: Connection, reader: Reader, now: datetime, *, own: bool, overdue_only: bool = False,
                unowned: bool = False) -> tuple[int, int]:
    """How many open cases :func:`case_rows` would list without its limit, and how many of them are overdue."""
    stmt = select(func.count(), func.coalesce(func.sum(case((overdue_expr(now), 1), else_=0)), 0)).where(
        *_open_conditions(reader, now, own=own, overdue_only=overdue_only, unowned=unowned))
    total, overdue = conn.execute(stmt).one()
    return int(total), int(overdue)


def _open_conditions(reader: Reader, now: datetime, *, own: bool, overdue_only: bool,
                     unowned: bool) -> list[ColumnElement[bool]]:
    c = followup_case.c
    conds = [c.status.in_(OPEN_STATUSES), _scope_condition(reader)]
    if own:
        conds.append(c.owner_user_id == reader.id)
    if overdue_only:
        conds.append(overdue_expr(now))  # as the case page: still new after the first-contact due time
    if unowned:
        conds.append(c.owner_user_id.is_(None))
    return conds


def render_daily(rows: list[dict], lang: str, now: datetime, unowned: list[dict] | None = None,
                 n_unowned: int = 0, counts: tuple[int, int] | None = None) -> Message:
    """The daily digest of a user's open cases (``rows``, the first of ``counts``: open, overdue); for admins and
    CX leads also the open cases without an owner (``unowned``, the first of ``n_unowned``)."""
    n_open, n_over = counts if counts is not None else (len(rows), sum(is_overdue(r, now) for r in rows))
    if unowned:
        subject = t("notify.daily.subject_unowned", lang, day=now.date().isoformat(), n=n_open, overdue=n_over,
                    unowned=n_unowned)
    else:
        subject = t("notify.daily.subject", lang, day=now.date().isoformat(), n=n_open, overdue=n_over)
    mine = t("notify.daily.cases", lang)
    sections = [case_table(rows, lang, now, mine, n_open) if rows
                else Section(title=mine, lines=(t("notify.weekly.none", lang),))]
    if unowned:
        sections.append(case_table(unowned, lang, now, t("notify.daily.unowned", lang), n_unowned))
    return compose(subject, sections, lang, app_link("cases"), {"type": "daily"})


def queue_daily_digests(engine: Engine, now: datetime | None = None) -> int:
    """Queue today's daily digest of every active user who wants one and has open cases (admins and CX leads: or
    open cases without an owner); return how many."""
    now = now or now_utc()
    queued = 0
    with engine.begin() as conn:
        for reader in readers(conn):
            if not (reader.active and reader.daily and reader.email):
                continue
            rows = case_rows(conn, reader, reader.language, now, own=True)
            # Admins and CX leads assign the cases nobody owns: their digest lists those too.
            unowned = (case_rows(conn, reader, reader.language, now, own=False, unowned=True)
                       if reader.role in REASSIGN_ROLES else [])
            if not rows and not unowned:
                continue
            n_unowned = count_cases(conn, reader, now, own=False, unowned=True)[0] if unowned else 0
            msg = render_daily(rows, reader.language, now, unowned, n_unowned,
                               count_cases(conn, reader, now, own=True))
            queued += queue_notice(conn, f"daily:{reader.id}:{now.date().isoformat()}", "daily", msg,
                                   reader.language, now, user_id=reader.id)
    return queued


# --- Weekly -------------------------------------------------------------------------------------------------------
def last_full_week(now: datetime) -> tuple[date, date]:
    """Monday and Sunday of the last week that ended before ``now``."""
    monday = now.date() - timedelta(days=now.weekday() + 7)
    return monday, monday + timedelta(days=6)


@dataclass(frozen=True)
class WeeklySummary:
    """The weekly executive summary's sections for one scope and language."""

    week_from: date
    week_to: date
    kpis: tuple[tuple[str, str, str, str], ...]  # title, value, target, met
    changes: tuple[tuple[str, str, str], ...]  # title, previous -> value, delta
    worst: tuple[tuple[str, str], ...]  # touchpoint, gap
    overdue_plans: tuple[tuple[str, str, str], ...]  # title, unit, due


def weekly_summary(engine: Engine, reader: Reader, lang: str, now: datetime) -> WeeklySummary:
    """The overview of the last full week within ``reader``'s scope, reduced to what the summary shows."""
    start, end = last_full_week(now)
    user = User(reader.email, reader.email, reader.role, reader.scope_sites, reader.scope_teams)
    filters = apply_scope(Filters(date_from=start, date_to=end), user)
    view = overview_view(engine, filters, lang, window="range", as_of=end)
    kpis = tuple(
        (t(f"overview.kpi.{c.key}.title", lang), fmt_kpi(c.value, c.unit), fmt_kpi(c.target, c.unit),
         "–" if c.target_met is None else t("notify.weekly.met" if c.target_met else "notify.weekly.missed", lang))
        for c in view.cards if c.value is not None)
    significant = [c for c in view.cards if c.verdict == "significant" and c.delta is not None]
    significant.sort(key=lambda c: -abs(c.delta or 0.0) * (100 if c.unit == SHARE else 1))
    changes = tuple((t(f"overview.kpi.{c.key}.title", lang), f"{fmt_kpi(c.previous, c.unit)} → {fmt_kpi(c.value, c.unit)}",
                     (f"{(c.delta or 0) * 100:+.1f} pp" if c.unit == SHARE else f"{c.delta:+.2f}"))
                    for c in significant[:5])
    worst = tuple((str(r["touchpoint_name"]), f"{float(r['gap']):+.3f}") for r in view.worst.to_dict("records"))
    board = plan_board(engine, filters, lang, today=now.date(), with_effect=False)
    over = board[board["overdue"]].head(MAX_ROWS) if not board.empty else board
    plans = tuple((str(r["title"]), " · ".join(str(x) for x in (r["site_name"], r["team_name"]) if x),
                   str(r["due_date"])) for r in over.to_dict("records"))
    return WeeklySummary(start, end, kpis, changes, worst, plans)


def render_weekly(summary: WeeklySummary, cases: list[dict], lang: str, now: datetime,
                  n_cases: int | None = None) -> Message:
    """The weekly executive summary as a notice (``cases``: the first of ``n_cases`` overdue cases)."""
    subject = t("notify.weekly.subject", lang, start=summary.week_from.isoformat(), end=summary.week_to.isoformat())
    none = (t("notify.weekly.none", lang),)
    sections = [
        Section(title=t("notify.weekly.kpis", lang),
                headers=tuple(t(f"notify.weekly.col.{k}", lang) for k in ("kpi", "value", "target", "met")),
                rows=summary.kpis, lines=() if summary.kpis else none),
        Section(title=t("notify.weekly.changes", lang),
                headers=tuple(t(f"notify.weekly.col.{k}", lang) for k in ("kpi", "change", "delta")),
                rows=summary.changes, lines=() if summary.changes else none),
        Section(title=t("notify.weekly.worst", lang),
                headers=tuple(t(f"notify.weekly.col.{k}", lang) for k in ("touchpoint", "gap")),
                rows=summary.worst, lines=() if summary.worst else none),
        case_table(cases, lang, now, t("notify.weekly.overdue_cases", lang), n_cases) if cases
        else Section(title=t("notify.weekly.overdue_cases", lang), lines=none),
        Section(title=t("notify.weekly.overdue_plans", lang),
                headers=tuple(t(f"notify.weekly.col.{k}", lang) for k in ("plan", "unit", "due")),
                rows=summary.overdue_plans, lines=() if summary.overdue_plans else none),
    ]
    return compose(subject, sections, lang, app_link("overview"), {"type": "weekly"})


def queue_weekly_digests(engine: Engine, now: datetime | None = None) -> int:
    """Queue last week's executive summary for every active user who wants one; return how many were queued."""
    now = now or now_utc()
    year, week, _ = last_full_week(now)[0].isocalendar()
    with engine.connect() as conn:
        wanted = [r for r in readers(conn) if r.active and r.weekly and r.email]
    summaries: dict[tuple, WeeklySummary] = {}  # users of one scope and language share one overview
    queued = 0
    for reader in wanted:
        scope = (reader.role == "team_lead", reader.scope_sites, reader.scope_teams, reader.language)
        if scope not in summaries:
            summaries[scope] = weekly_summary(engine, reader, reader.language, now)
        with engine.begin() as conn:
            cases = case_rows(conn, reader, reader.language, now, own=False, overdue_only=True)
            n_cases = count_cases(conn, reader, now, own=False, overdue_only=True)[0] if cases else 0
            msg = render_weekly(summaries[scope], cases, reader.language, now, n_cases)
            queued += queue_notice(conn, f"weekly:{reader.id}:{year}-W{week:02d}", "weekly", msg, reader.language,
                                   now, user_id=reader.id)
    return queued
