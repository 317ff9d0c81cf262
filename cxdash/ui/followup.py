"""Streamlit parts of the follow-up case page and the overview's case cards: the measure cards with their
definitions, the case list (overdue rows red, due soon orange), a case's detail and the step forms.

Every text a user or a file wrote (rule names, comments, notes, names) is shown through
:func:`cxdash.ui.text.plain` or inside a dataframe, never as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from cxdash.audit import now_utc
from cxdash.domain.followup import (
    CLOSED_STATUSES,
    CONTACTED,
    OUTCOMES,
    RESOLVED,
    ROOT_CAUSES,
    SEVERITIES,
    STATUSES,
    TRANSITIONS,
    UNREACHABLE,
    WITHDRAWN,
)
from cxdash.domain.tiers import NO_TIER, tier_name
from cxdash.followup import steps
from cxdash.followup.steps import StepDenied, StepError
from cxdash.metrics.followup.cases import CaseDetail
from cxdash.metrics.followup.measures import CaseMeasures
from cxdash.ui.context import get_context, tr
from cxdash.ui.improve import acting_user
from cxdash.ui.text import plain
from cxdash.views.cases import CARD_KEYS, CaseCard, case_cards

DASH = "–"
OVERDUE_BG = "background-color: rgba(198, 40, 40, 0.18)"  # the theme's BAD red, light enough to read on
DUE_SOON_BG = "background-color: rgba(239, 108, 0, 0.16)"  # the theme's WARN orange
_FLASH = "_followup_flash"
LIST_COLUMNS = ["id", "flag", "status", "severity", "due_at", "opened_at", "site_name", "team_name",
                "touchpoint_name", "rule_name", "owner_name", "customer_ref", "triggers", "first_contact_at",
                "recovered", "root_cause", "root_cause_note"]


def now_minute() -> datetime:
    """The current UTC time cut to the minute: the ``now`` of overdue and due soon, stable enough to cache."""
    return now_utc().replace(second=0, microsecond=0)


def label(prefix: str, code: Any) -> str:
    """A stored code's label (``followup.<prefix>.<code>``); empty for none."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    return tr(f"followup.{prefix}.{code}")


def card_value(card: CaseCard) -> str:
    """A card's value as shown: counts whole, shares as percentages, hours with one decimal."""
    if card.value is None:
        return DASH
    if card.unit == "share":
        return f"{card.value:.1%}"
    if card.unit == "hours":
        return tr("followup.hours", hours=f"{card.value:.1f}")
    return f"{int(card.value):,}"


def cards(m: CaseMeasures, keys: tuple[str, ...] = CARD_KEYS, per_row: int = 3) -> None:
    """The measure cards of ``keys`` in rows of ``per_row``, each with its definition as help."""
    shown = [c for c in case_cards(m) if c.key in keys]
    for start in range(0, len(shown), per_row):
        for col, card in zip(st.columns(per_row), shown[start:start + per_row], strict=False):
            with col, st.container(border=True):
                st.metric(tr(f"followup.kpi.{card.key}"), card_value(card), help=tr(f"followup.help.{card.key}"))
                if card.ci_low is not None and card.ci_high is not None:
                    st.caption(tr("followup.measures.interval", low=f"{card.ci_low:.1%}", high=f"{card.ci_high:.1%}",
                                  n=card.n))
                elif card.n is not None:
                    st.caption(tr("followup.measures.n", n=card.n))


def definitions() -> None:
    """Every measure's definition, folded: one click from the cards."""
    with st.expander(tr("followup.measures.definitions"), icon=":material/help:"):
        for key in CARD_KEYS:
            st.markdown(f"**{tr(f'followup.kpi.{key}')}**: {tr(f'followup.help.{key}')}")
        st.markdown(f"**{tr('followup.after.title')}**: {tr('followup.after.help')}")


def _flag(row: pd.Series) -> str:
    if row["overdue"]:
        return tr("followup.flag.overdue")
    if row["due_soon"]:
        return tr("followup.flag.due_soon")
    return tr("followup.flag.closed") if row["status"] in CLOSED_STATUSES else tr("followup.flag.open")


def list_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The case list as shown and downloaded: codes as labels in the page's language, a due flag column."""
    if rows.empty:
        return pd.DataFrame(columns=LIST_COLUMNS)
    return rows.assign(
        flag=[_flag(r) for _, r in rows.iterrows()],
        status=[label("status", s) for s in rows["status"]],
        severity=[label("severity", s) for s in rows["severity"]],
        recovered=[label("recovered", s) for s in rows["recovered"]],
        root_cause=[label("root", s) for s in rows["root_cause"]],
        owner_name=rows["owner_name"].fillna(tr("followup.detail.unassigned")),
        touchpoint_name=rows["touchpoint_name"].fillna(DASH),
        customer_ref=rows["customer_ref"].fillna(DASH),
    )[LIST_COLUMNS]


def column_config() -> dict[str, Any]:
    """Headers of the case list in the page's language (also the download's headers)."""
    config: dict[str, Any] = {c: tr(f"followup.col.{c}") for c in LIST_COLUMNS if c != "id"}
    config["id"] = st.column_config.NumberColumn(tr("followup.col.id"), format="#%d")
    for c in ("due_at", "opened_at", "first_contact_at"):
        config[c] = st.column_config.DatetimeColumn(tr(f"followup.col.{c}"), format="YYYY-MM-DD HH:mm")
    return config


def styled(table: pd.DataFrame, rows: pd.DataFrame) -> Any:
    """The list with overdue rows red and rows due soon orange."""
    overdue = dict(zip(table.index, rows["overdue"], strict=True))
    soon = dict(zip(table.index, rows["due_soon"], strict=True))

    def colour(row: pd.Series) -> list[str]:
        style = OVERDUE_BG if overdue.get(row.name) else DUE_SOON_BG if soon.get(row.name) else ""
        return [style] * len(row)

    return table.style.apply(colour, axis=1)


def flash() -> None:
    """Show the last step's success message once."""
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def _value(v: Any) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return DASH
    if isinstance(v, pd.Timestamp | datetime):
        return pd.Timestamp(v).strftime("%Y-%m-%d %H:%M")
    return str(v)


def facts(detail: CaseDetail) -> None:
    """The case's heading facts, its due badge and its place."""
    c = detail.case
    st.markdown("**" + plain(tr("followup.detail.facts", id=c["id"], status=label("status", c["status"]),
                                  severity=label("severity", c["severity"]), rule=c["rule_name"])) + "**")
    if c["overdue"]:
        st.badge(tr("followup.flag.overdue"), icon=":material/alarm:", color="red")
    elif c["due_soon"]:
        st.badge(tr("followup.flag.due_soon"), icon=":material/schedule:", color="orange")
    st.caption(tr("followup.detail.times", opened=_value(c["opened_at"]), due=_value(c["due_at"])))
    st.caption(plain(tr("followup.detail.place", site=c["site_name"] or DASH, team=c["team_name"] or DASH,
                        owner=c["owner_name"] or tr("followup.detail.unassigned"),
                        customer=c["customer_ref"] or DASH)))


def response(detail: CaseDetail) -> None:
    """The triggering response: its scores and tier, the comment as plain text, every touchpoint's P and E."""
    st.subheader(tr("followup.detail.response"))
    r = detail.response
    if r is None:
        source = detail.case.get("source")
        st.info(tr("followup.detail.no_response" if source == "response" else "followup.detail.not_a_response"))
        return
    tier = tier_name(r["tier"])
    st.caption(tr("followup.detail.response_facts", visit=_value(r["visit_date"]), ltr=_value(r["ltr"]),
                  csat=_value(r["csat"]), ces=_value(r["ces"]), tier=tr(f"common.tier.{tier}") if tier != NO_TIER else DASH))
    st.markdown(f"**{tr('followup.detail.comment')}**")
    if r["comment"]:
        st.markdown(plain(r["comment"], limit=2000))
    else:
        st.caption(tr("followup.detail.no_comment"))
    if not detail.scores.empty:
        st.markdown(f"**{tr('followup.detail.scores')}**")
        st.dataframe(detail.scores, hide_index=True, width="stretch", column_config={
            "touchpoint_code": tr("followup.col.touchpoint_name"), "touchpoint_name": " ",
            "p": tr("followup.col.p"), "e": tr("followup.col.e"),
            "gap": st.column_config.NumberColumn(tr("followup.col.gap"), format="%+.1f"),
            "scale": tr("followup.col.scale")})


def history(detail: CaseDetail) -> None:
    """The customer's visits, tickets and other cases."""
    st.subheader(tr("followup.detail.history"))
    if detail.case["customer_id"] is None:
        st.caption(tr("followup.detail.no_customer"))
        return
    visits, tickets, earlier = st.tabs([tr("followup.detail.visits"), tr("followup.detail.tickets"),
                                        tr("followup.detail.earlier")])
    with visits:
        st.dataframe(detail.visits, hide_index=True, width="stretch", column_config={
            c: tr(f"followup.col.{c}") for c in ("visit_date", "site_name", "channel", "ltr", "tier", "comment")}
            | {"csat": "CSAT"})
    with tickets:
        st.dataframe(detail.tickets, hide_index=True, width="stretch", column_config={
            "external_id": tr("followup.col.ticket"), "created_at": tr("followup.col.created_at"),
            "category": tr("followup.col.category"), "priority": tr("followup.col.priority"),
            "status": tr("followup.col.status"), "resolved_at": tr("followup.col.closed_at"), "reopen_count": "↺"})
    with earlier:
        frame = detail.earlier_cases.assign(
            status=[label("status", s) for s in detail.earlier_cases["status"]],
            recovered=[label("recovered", s) for s in detail.earlier_cases["recovered"]],
            root_cause=[label("root", s) for s in detail.earlier_cases["root_cause"]])
        st.dataframe(frame, hide_index=True, width="stretch", column_config={
            "id": tr("followup.col.id"), "opened_at": tr("followup.col.opened_at"),
            "rule_name": tr("followup.col.rule_name"), "status": tr("followup.col.status"),
            "recovered": tr("followup.col.recovered"), "root_cause": tr("followup.col.root_cause")})


def site_gap(detail: CaseDetail) -> None:
    """The gap of the case's touchpoint at its site."""
    st.subheader(tr("followup.detail.gap"), help=tr("followup.detail.gap.help"))
    if detail.site_gap.empty:
        st.caption(tr("followup.detail.no_gap"))
        return
    st.dataframe(detail.site_gap, hide_index=True, width="stretch", column_config={
        "touchpoint_code": tr("followup.col.touchpoint_name"), "touchpoint_name": " ", "n": "n",
        "gap": st.column_config.NumberColumn(tr("followup.col.gap"), format="%+.3f"),
        "ci_low": st.column_config.NumberColumn(tr("followup.col.ci_low"), format="%+.3f"),
        "ci_high": st.column_config.NumberColumn(tr("followup.col.ci_high"), format="%+.3f"),
        "gap_points": st.column_config.NumberColumn(tr("followup.col.gap_points"), format="%+.2f"),
        "scale": tr("followup.col.scale"),
        "share_disappointed": st.column_config.NumberColumn(tr("common.tier.disappointed"), format="percent")})


def detail_text(detail: object) -> str:
    """A step's or trigger's stored detail as one line (``ltr 3 · keywords 投诉, complaint``), not a Python dict."""
    if not isinstance(detail, dict) or not detail:
        return DASH
    parts = []
    for key, value in detail.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{str(key).replace('_', ' ')} {shown}")
    return " · ".join(parts)


def steps_log(detail: CaseDetail) -> None:
    """What opened the case and every step since."""
    st.subheader(tr("followup.detail.events"))
    events = detail.events.assign(
        action=[label("event", a) for a in detail.events["action"]],
        from_status=[label("status", s) for s in detail.events["from_status"]],
        to_status=[label("status", s) for s in detail.events["to_status"]],
        detail=[detail_text(d) for d in detail.events["detail"]])
    st.dataframe(events, hide_index=True, width="stretch", column_config={
        "at": tr("followup.col.at"), "actor": tr("followup.col.actor"), "action": tr("followup.col.action"),
        "from_status": "←", "to_status": "→", "note": tr("followup.col.note"), "detail": " "})
    with st.expander(tr("followup.detail.triggers")):
        triggers = detail.triggers.assign(detail=[detail_text(d) for d in detail.triggers["detail"]])
        st.dataframe(triggers, hide_index=True, width="stretch", column_config={
            "at": tr("followup.col.at"), "touchpoint_name": tr("followup.col.touchpoint_name"),
            "detail": tr("followup.col.what")})


def actions_for(status: str, role: str | None) -> list[str]:
    """The steps the step form offers for a case in ``status`` to a user of ``role`` (the write functions check
    again)."""
    if role not in steps.ACTING_ROLES:
        return []
    moves = TRANSITIONS.get(status, ())
    out = [a for a, s in (("contact", CONTACTED), ("resolve", RESOLVED), ("unreachable", UNREACHABLE),
                          ("withdraw", WITHDRAWN)) if s in moves]
    out += ["note", "root_cause", "link_plan"]
    if role in steps.REASSIGN_ROLES and status not in CLOSED_STATUSES:
        out.append("reassign")
    return out


def _run(fn: Callable[..., None], case_id: int, *args: Any, **kwargs: Any) -> bool:
    ctx = get_context()
    try:
        with ctx.engine.begin() as conn:
            fn(conn, case_id, acting_user(), now_utc(), *args, **kwargs)
    except (StepError, StepDenied) as exc:
        st.error(exc.message(ctx.lang), icon=":material/error:")
        return False
    return True


def step_form(detail: CaseDetail, plans: dict[int, str], owners: dict[int, str]) -> None:
    """The step form of a case: the step first (it decides the fields), then its fields and Save."""
    ctx = get_context()
    case = detail.case
    st.subheader(tr("followup.step.title"))
    offered = actions_for(case["status"], ctx.role)
    if not offered:
        st.caption(tr("followup.step.read_only"))
        return
    if case["status"] in CLOSED_STATUSES:
        st.caption(tr("followup.step.closed"))
    action = st.selectbox(tr("followup.step.action"), offered, format_func=lambda a: tr(f"followup.action.{a}"),
                          key=f"step_action_{case['id']}")
    with st.form(f"step_form_{case['id']}", clear_on_submit=True, border=True):
        values = _fields(action, case, plans, owners)
        submitted = st.form_submit_button(tr("followup.step.submit"), type="primary")
    if submitted and _submit(action, int(case["id"]), values):
        st.session_state[_FLASH] = tr("followup.step.saved", step=tr(f"followup.action.{action}"))
        st.rerun()


def _fields(action: str, case: dict[str, Any], plans: dict[int, str], owners: dict[int, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    n = case["id"]  # keys per case: another case's form starts from that case's own values
    if action == "resolve":
        values["recovered"] = st.radio(tr("followup.step.recovered"), list(OUTCOMES), horizontal=True,
                                       format_func=lambda o: tr(f"followup.recovered.{o}"), key=f"step_recovered_{n}")
    if action in ("resolve", "root_cause"):
        current = case.get("root_cause")
        values["root_cause"] = st.selectbox(tr("followup.step.root_cause"), [None, *ROOT_CAUSES],
                                            index=([None, *ROOT_CAUSES].index(current) if current in ROOT_CAUSES
                                                   else 0),
                                            format_func=lambda r: DASH if r is None else tr(f"followup.root.{r}"),
                                            key=f"step_root_{n}")
        values["root_cause_note"] = st.text_input(tr("followup.step.root_note"), max_chars=steps.ROOT_NOTE_MAX,
                                                  value=case.get("root_cause_note") or "", key=f"step_root_note_{n}")
    if action == "link_plan":
        values["plan_id"] = st.selectbox(tr("followup.step.plan"), [None, *plans],
                                         format_func=lambda p: tr("followup.step.no_plan") if p is None else plans[p],
                                         key=f"step_plan_{n}")
    if action == "reassign":
        values["owner_user_id"] = st.selectbox(tr("followup.step.owner"), list(owners),
                                               format_func=lambda u: owners.get(u, str(u)), key=f"step_owner_{n}")
    if action not in ("root_cause", "link_plan", "reassign"):
        values["note"] = st.text_area(tr("followup.step.note"), max_chars=steps.NOTE_MAX, key=f"step_note_{n}")
    return values


def _submit(action: str, case_id: int, v: dict[str, Any]) -> bool:
    if action == "contact":
        return _run(steps.contact, case_id, v.get("note"))
    if action == "note":
        return _run(steps.add_note, case_id, v.get("note") or "")
    if action == "resolve":
        return _run(steps.resolve, case_id, v["recovered"], v["root_cause"], v["root_cause_note"], v.get("note"))
    if action == "unreachable":
        return _run(steps.mark_unreachable, case_id, v.get("note"))
    if action == "withdraw":
        return _run(steps.withdraw, case_id, v.get("note"))
    if action == "root_cause":
        return _run(steps.set_root_cause, case_id, v["root_cause"], v["root_cause_note"])
    if action == "link_plan":
        return _run(steps.link_plan, case_id, v["plan_id"])
    if v.get("owner_user_id") is None:
        return False
    return _run(steps.reassign, case_id, int(v["owner_user_id"]))


# The filters of the list: (widget key, catalog key, option source, code prefix for labels)
FILTERS = (
    ("cases_status", "status", None, "status"),
    ("cases_severity", "severity", None, "severity"),
    ("cases_site", "site", "sites", None),
    ("cases_team", "team", "teams", None),
    ("cases_touchpoint", "touchpoint", "touchpoints", None),
    ("cases_rule", "rule", "rules", None),
)
VIEW_ARGS = {"cases_status": "statuses", "cases_severity": "severities", "cases_site": "site_ids",
             "cases_team": "team_ids", "cases_touchpoint": "touchpoint_ids", "cases_rule": "rule_ids"}


def picked_filters() -> dict[str, tuple]:
    """The list filters' values as the widgets hold them (the view is computed before they are drawn)."""
    return {VIEW_ARGS[key]: tuple(st.session_state.get(key, ())) for key, *_ in FILTERS}


def filter_row(options: dict[str, dict[int, str]]) -> dict[str, tuple]:
    """The list's filters: status, severity, site, team, touchpoint and rule (none chosen means all)."""
    out: dict[str, tuple] = {}
    for col, (key, title, source, prefix) in zip(st.columns(len(FILTERS)), FILTERS, strict=True):
        names: dict[Any, str]
        if source is None:
            codes = STATUSES if title == "status" else tuple(reversed(SEVERITIES))
            names = {c: tr(f"followup.{prefix}.{c}") for c in codes}
        else:
            names = dict(options.get(source, {}))
            if key in st.session_state:  # a choice the options no longer hold would make the widget fail
                st.session_state[key] = [v for v in st.session_state[key] if v in names]
        chosen = col.multiselect(tr(f"followup.filter.{title}"), list(names), key=key,
                                 format_func=lambda i, n=names: n.get(i, str(i)),  # type: ignore[misc]
                                 placeholder=tr("followup.filter.any"))
        out[VIEW_ARGS[key]] = tuple(chosen)
    return out
