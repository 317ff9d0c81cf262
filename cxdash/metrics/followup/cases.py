"""The case list of a selection (overdue first, then due soon, then by severity and due time) and one case in
full: the triggering response with every touchpoint score, the customer's history, the case's steps and the gap of
its touchpoint at its site."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, false, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.filters import Filters
from cxdash.i18n import name_column
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.followup.select import (
    CaseSelection,
    due_soon_expr,
    overdue_expr,
    selection_conditions,
    severity_rank,
    unit_conditions,
    urgency_expr,
)
from cxdash.schema import (
    app_user,
    customer,
    site,
    survey_response,
    team,
    ticket,
    touchpoint,
    touchpoint_score,
)
from cxdash.schema.followup import alert_rule, case_event, case_trigger, followup_case
from cxdash.unit_names import display_expr

fc = followup_case.c
PAGE_SIZE = 200
HISTORY_LIMIT = 50  # a customer's visits and tickets shown with a case: the newest ones
LIST_COLUMNS = [
    "id", "status", "severity", "overdue", "due_soon", "opened_at", "due_at", "first_contact_at",
    "first_contact_business_min", "closed_at", "rule_id", "rule_name", "source", "site_id", "site_name", "team_id",
    "team_name", "touchpoint_id", "touchpoint_name", "owner_user_id", "owner_name", "customer_id", "customer_ref",
    "triggers", "recovered", "root_cause", "root_cause_note", "action_plan_id",
]


def _list_select(lang: str, now: datetime, base: Any = followup_case) -> Any:
    """The list's columns over ``base`` (the case table, or it joined to the ids of one page)."""
    # per shown row through the trigger table's case index: a page reads 200 counts, not every case's
    n_triggers = (select(func.count()).select_from(case_trigger).where(case_trigger.c.case_id == fc.id)
                  .correlate(followup_case).scalar_subquery())
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    columns = {
        "id": fc.id, "status": fc.status, "severity": fc.severity, "overdue": overdue_expr(now),
        "due_soon": due_soon_expr(now), "opened_at": fc.opened_at, "due_at": fc.due_at,
        "first_contact_at": fc.first_contact_at, "first_contact_business_min": fc.first_contact_business_min,
        "closed_at": fc.closed_at, "rule_id": fc.rule_id, "rule_name": alert_rule.c.name, "source": fc.source,
        "site_id": fc.site_id, "site_name": display_expr(site, lang), "team_id": fc.team_id,
        "team_name": display_expr(team, lang), "touchpoint_id": fc.touchpoint_id, "touchpoint_name": tp_name,
        "owner_user_id": fc.owner_user_id, "owner_name": func.coalesce(app_user.c.name, app_user.c.email),
        "customer_id": fc.customer_id, "customer_ref": customer.c.external_id,
        "triggers": n_triggers, "recovered": fc.recovered, "root_cause": fc.root_cause,
        "root_cause_note": fc.root_cause_note, "action_plan_id": fc.action_plan_id,
    }
    joined = (base.join(alert_rule, alert_rule.c.id == fc.rule_id)
              .outerjoin(site, site.c.id == fc.site_id).outerjoin(team, team.c.id == fc.team_id)
              .outerjoin(touchpoint, touchpoint.c.id == fc.touchpoint_id)
              .outerjoin(app_user, app_user.c.id == fc.owner_user_id)
              .outerjoin(customer, customer.c.id == fc.customer_id))
    return select(*(c.label(k) for k, c in columns.items())).select_from(joined)


def _frame(conn: Connection, stmt: Any) -> pd.DataFrame:
    frame = rows_frame(conn.execute(stmt), LIST_COLUMNS)
    for col in ("overdue", "due_soon"):
        frame[col] = frame[col].astype(bool)
    return frame


@dataclass(frozen=True)
class CasePage:
    """One page of the case list: its rows (:data:`LIST_COLUMNS`), how many cases the selection holds in all,
    and the page's offset and size."""

    rows: pd.DataFrame
    total: int
    offset: int
    limit: int


def case_list(engine: Engine, filters: Filters, selection: CaseSelection, now: datetime, lang: str = "en",
              limit: int = PAGE_SIZE, offset: int = 0) -> CasePage:
    """The cases of ``filters`` and ``selection``: overdue first (longest overdue first), then due soon, other
    open cases and closed ones; within each, high severity first, then by due time."""
    conds = selection_conditions(filters, selection)
    # sort and cut the bare case rows first, then name only the rows of the page
    keys = (select(fc.id.label("id"), urgency_expr(now).label("urgency"), severity_rank().label("rank"),
                   fc.due_at.label("due"))
            .where(*conds).order_by(urgency_expr(now), severity_rank(), fc.due_at, fc.id)
            .limit(max(1, int(limit))).offset(max(0, int(offset))).subquery("page_keys"))
    base = followup_case.join(keys, keys.c.id == fc.id)
    stmt = _list_select(lang, now, base).order_by(keys.c.urgency, keys.c.rank, keys.c.due, keys.c.id)
    with engine.connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(followup_case).where(*conds)).scalar() or 0)
        rows = _frame(conn, stmt)
    return CasePage(rows, total, max(0, int(offset)), max(1, int(limit)))


def case_options(engine: Engine, filters: Filters, lang: str = "en") -> dict[str, dict[int, str]]:
    """The choices of the case page's filters within the user's scope: sites, teams, touchpoints and rules that
    have cases (id -> name)."""
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    with engine.connect() as conn:
        # The ids in use, then their names: four semi-joins read every case four times. Places and touchpoints
        # come from one walk of the measures' covering index (a few thousand combinations), rules from their own.
        conds = unit_conditions(filters)
        combos = conn.execute(select(fc.site_id, fc.team_id, fc.touchpoint_id).where(*conds).distinct()).all()
        site_ids, team_ids, tp_ids = (sorted({r[i] for r in combos if r[i] is not None}) for i in range(3))
        rule_ids = sorted(conn.execute(select(fc.rule_id).where(*conds).distinct()).scalars())
        queries = {
            "sites": select(site.c.id, display_expr(site, lang)).where(site.c.id.in_(site_ids)),
            "teams": select(team.c.id, display_expr(site, lang) + " / " + display_expr(team, lang))
            .select_from(team.join(site, site.c.id == team.c.site_id)).where(team.c.id.in_(team_ids)),
            "touchpoints": select(touchpoint.c.id, touchpoint.c.code + " · " + tp_name)
            .where(touchpoint.c.id.in_(tp_ids)),
            "rules": select(alert_rule.c.id, alert_rule.c.name).where(alert_rule.c.id.in_(rule_ids)),
        }
        return {k: {int(i): str(n) for i, n in conn.execute(q.order_by(q.selected_columns[1]))}
                for k, q in queries.items()}


@dataclass(frozen=True)
class CaseDetail:
    """One case in full.

    ``case``: its list row; ``triggers``: what opened it (time, response, ticket, touchpoint, what matched);
    ``events``: every step; ``response``: the newest triggering response still stored (None when there is none)
    with ``scores`` (every touchpoint's P, E and gap on the response's scale); ``visits``, ``tickets`` and
    ``earlier_cases``: the customer's history; ``site_gap``: the gap table row(s) of the case's touchpoint at its
    site over the selection's dates (the three weakest touchpoints there when the case names none).
    """

    case: dict[str, Any]
    triggers: pd.DataFrame
    events: pd.DataFrame
    response: dict[str, Any] | None
    scores: pd.DataFrame
    visits: pd.DataFrame
    tickets: pd.DataFrame
    earlier_cases: pd.DataFrame
    site_gap: pd.DataFrame


def _query(conn: Connection, stmt: Any) -> pd.DataFrame:
    return rows_frame(conn.execute(stmt), list(stmt.selected_columns.keys()))


RESPONSE_FIELDS = ("id", "external_id", "visit_date", "responded_at", "channel", "segment", "ltr", "csat", "ces",
                   "tier", "overall_p", "overall_e", "disconfirmation", "contacts_needed", "transfers",
                   "repeated_story", "comment", "comment_lang")


def _response(conn: Connection, case_id: int, lang: str) -> tuple[dict[str, Any] | None, pd.DataFrame]:
    r = survey_response.c
    rid = conn.execute(
        select(case_trigger.c.response_id).select_from(
            case_trigger.join(survey_response, r.id == case_trigger.c.response_id))
        .where(case_trigger.c.case_id == case_id).order_by(case_trigger.c.at.desc(), case_trigger.c.id.desc())
        .limit(1)).scalar()
    if rid is None:
        return None, pd.DataFrame(columns=["touchpoint_code", "touchpoint_name", "p", "e", "gap", "scale"])
    row = conn.execute(select(*(r[f] for f in RESPONSE_FIELDS), r.tp_scale_min, r.tp_scale_max)
                       .where(r.id == rid)).mappings().one()
    ts = touchpoint_score.c
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
    stmt = (select(touchpoint.c.code.label("touchpoint_code"), tp_name.label("touchpoint_name"),
                   ts.p.label("p"), ts.e.label("e"), (ts.p - ts.e).label("gap"))
            .select_from(touchpoint_score.join(touchpoint, touchpoint.c.id == ts.touchpoint_id))
            .where(ts.response_id == rid).order_by(touchpoint.c.sort_order, touchpoint.c.id))
    scores = _query(conn, stmt)
    lo, hi = row["tp_scale_min"], row["tp_scale_max"]
    scores["scale"] = f"{lo:g}-{hi:g}" if lo is not None and hi is not None else ""
    return {f: row[f] for f in RESPONSE_FIELDS}, scores


def _history(conn: Connection, case: dict[str, Any], lang: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    cid = case["customer_id"]
    r, tk = survey_response.c, ticket.c
    visits = (select(r.visit_date, display_expr(site, lang).label("site_name"), r.channel, r.ltr, r.csat, r.tier,
                     r.comment)
              .select_from(survey_response.outerjoin(site, site.c.id == r.site_id))
              .where(r.customer_id == cid).order_by(r.visit_date.desc(), r.id.desc()).limit(HISTORY_LIMIT))
    tickets = (select(tk.external_id, tk.created_at, tk.category, tk.priority, tk.status, tk.resolved_at,
                      tk.reopen_count)
               .where(tk.customer_id == cid).order_by(tk.created_at.desc(), tk.id.desc()).limit(HISTORY_LIMIT))
    earlier = (select(fc.id, fc.opened_at, alert_rule.c.name.label("rule_name"), fc.status, fc.recovered,
                      fc.root_cause)
               .select_from(followup_case.join(alert_rule, alert_rule.c.id == fc.rule_id))
               .where(fc.customer_id == cid, fc.id != case["id"]).order_by(fc.opened_at.desc()).limit(HISTORY_LIMIT))
    if cid is None:
        empty = [_query(conn, q.where(false())) for q in (visits, tickets, earlier)]
        return empty[0], empty[1], empty[2]
    return _query(conn, visits), _query(conn, tickets), _query(conn, earlier)


def _site_gap(engine: Engine, filters: Filters, case: dict[str, Any], lang: str) -> pd.DataFrame:
    columns = ["touchpoint_code", "touchpoint_name", "n", "gap", "ci_low", "ci_high", "gap_points", "scale",
               "share_disappointed"]
    if case["site_id"] is None:
        return pd.DataFrame(columns=columns)
    gaps = gap_table(engine, Filters(date_from=filters.date_from, date_to=filters.date_to,
                                     site_ids=(int(case["site_id"]),)), lang, with_importance=False,
                     with_wilcoxon=False)  # the detail shows the gap and its interval, not the test
    gaps = gaps[gaps["n"] > 0]
    if case["touchpoint_id"] is not None:
        gaps = gaps[gaps["touchpoint_id"] == case["touchpoint_id"]]
    else:
        gaps = gaps.sort_values("gap").head(3)
    return gaps.reindex(columns=columns).reset_index(drop=True)


def case_detail(engine: Engine, filters: Filters, case_id: int, now: datetime, lang: str = "en") -> CaseDetail | None:
    """Case ``case_id`` in full, or None when it does not exist or lies outside the filters' scope."""
    with engine.connect() as conn:
        rows = _frame(conn, _list_select(lang, now).where(fc.id == case_id, *unit_conditions(filters)))
        if rows.empty:
            return None
        case = {k: (None if pd.isna(v) else v) if not isinstance(v, (list, dict)) else v
                for k, v in rows.iloc[0].to_dict().items()}
        ct, ev = case_trigger.c, case_event.c
        tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en)
        triggers = _query(conn, select(ct.at, ct.response_id, ct.ticket_id, ct.batch_id, tp_name.label("touchpoint_name"),
                                       ct.detail)
                          .select_from(case_trigger.outerjoin(touchpoint, touchpoint.c.id == ct.touchpoint_id))
                          .where(ct.case_id == case_id).order_by(ct.at, ct.id))
        events = _query(conn, select(ev.at, ev.actor, ev.action, ev.from_status, ev.to_status, ev.note, ev.detail)
                        .where(ev.case_id == case_id).order_by(ev.at, ev.id))
        response, scores = _response(conn, case_id, lang)
        visits, tickets, earlier = _history(conn, case, lang)
    return CaseDetail(case, triggers, events, response, scores, visits, tickets, earlier,
                      _site_gap(engine, filters, case, lang))


def visible_case_ids(engine: Engine, filters: Filters, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` the filters' scope lets one see (for a link that names a case)."""
    if not ids:
        return set()
    with engine.connect() as conn:
        return {int(i) for (i,) in conn.execute(select(fc.id).where(fc.id.in_(tuple(ids)),
                                                                     *unit_conditions(filters)))}
