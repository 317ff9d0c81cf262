"""Streamlit helpers of the inspections and action-plan pages: writes, messages, labels, downloads, and the parts
of a plan's detail view (facts, history values, effect figures)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from cxdash.auth import User
from cxdash.auth import can as role_can
from cxdash.i18n import catalog
from cxdash.improve.errors import AccessError, InputError
from cxdash.improve.plans import PDCA
from cxdash.metrics.improve.effect import Effect
from cxdash.ui.context import get_context, tr
from cxdash.ui.navigation import page_script
from cxdash.ui.text import plain
from cxdash.ui.url_state import url_value  # noqa: F401 - the pages call it as ui.url_value
from cxdash.ui.widgets import download_buttons

EDIT_CHECKLIST, RECORD_INSPECTION, EDIT_PLANS = "edit_checklist", "record_inspection", "edit_plans"
# st.badge colours of a plan's verdict (the charts' colours are cxdash.charts.theme.VERDICT_COLOURS)
VERDICT_BADGES = {"improved": "green", "no_change": "gray", "worse": "red", "pending": "blue", "insufficient": "gray"}
_FLASH = "_improve_flash"
_GOTO = "_improve_goto"


def acting_user() -> User:
    """The signed-in user as the write functions need them: role from the context, scope from its filters.

    The frame sets the filters' scope to the user's own (:func:`cxdash.auth.apply_scope`), so this is the same
    scope the page's reads use.
    """
    ctx = get_context()
    f = ctx.filters
    return User(email=ctx.user, name=ctx.user, role=ctx.role or None,
                scope_sites=tuple(f.scope_sites or ()), scope_teams=tuple(f.scope_teams or ()))


def can(action: str) -> bool:
    """True when the signed-in user's role allows ``action`` (see :data:`cxdash.auth.ACTIONS`)."""
    return role_can(acting_user(), action)


def scoped() -> bool:
    """True when the user sees only some sites or teams (a team lead): no brand-wide plans then."""
    f = get_context().filters
    return f.scope_sites is not None or f.scope_teams is not None


def code_label(prefix: str, code: object) -> str:
    """Translate a stored code (method, role, stage, ...) when the catalog knows it; else show it as is."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return ""
    key = f"{prefix}.{code}"
    return tr(key) if key in catalog() else str(code)


def write(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(conn, *args, user=<the signed-in user>, **kwargs)`` in one transaction; show a refusal as a
    translated error (the write functions check role and scope themselves, whatever the page showed).

    Returns the function's result, or None when the input or the user was refused (nothing is written then).
    """
    ctx = get_context()
    try:
        with ctx.engine.begin() as conn:
            return fn(conn, *args, user=acting_user(), **kwargs)
    except AccessError as exc:
        st.error(exc.message(ctx.lang), icon=":material/lock:")
        return None
    except InputError as exc:
        problems = exc.messages(ctx.lang)
        text = problems[0] if len(problems) == 1 else "\n".join(f"- {m}" for m in problems)
        st.error(text, icon=":material/error:")
        return None


def done(message: str, goto: dict[str, Any] | None = None) -> None:
    """After a successful write: remember a success message and widget values to set, then rerun."""
    st.session_state[_FLASH] = message
    if goto:
        st.session_state[_GOTO] = goto
    st.rerun()


def go(page: str, values: dict[str, Any]) -> None:
    """Switch to another page with some of its widgets preset (applied by its :func:`start_page`)."""
    st.session_state[_GOTO] = values
    st.switch_page(page_script(page))


def start_page() -> None:
    """At the top of a page: apply pending widget values and show the last write's success message."""
    for key, value in st.session_state.pop(_GOTO, {}).items():
        st.session_state[key] = value
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def view_control(key: str, views: Sequence[str], label_prefix: str) -> str:
    """The page's view switch, kept in the URL as the view's code (``?key=heatmap``), so a link opens that view.

    Not ``bind="query-params"``: that writes the translated label into the URL, and a link made in Chinese
    would not open the view in English. The URL seeds the widget once; the chosen code is written back on every
    run and left out when it is the first (default) view.
    """
    if key not in st.session_state:
        raw = st.query_params.get(key)
        st.session_state[key] = raw if raw in views else views[0]
    view = st.segmented_control(tr("improve.view"), list(views), required=True, key=key,
                                format_func=lambda v: tr(f"{label_prefix}.{v}"))
    chosen: str = view if view is not None and view in views else views[0]
    url_value(key, None if chosen == views[0] else chosen)
    return chosen



def url_int(key: str) -> int | None:
    """An integer URL parameter, None when it is absent or not a number."""
    try:
        return int(st.query_params.get(key, ""))
    except ValueError:
        return None


def downloads(df: pd.DataFrame, name: str) -> None:
    """CSV and XLSX download buttons (formula-escaped) through the frame's shared widget."""
    download_buttons(df, name, "improve.col")


def text_or(value: object, fallback: str) -> str:
    """``value`` as text, or ``fallback`` when it is empty (None, NaN or blank)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return fallback
    return str(value)


def fmt(value: object, spec: str = ".2f") -> str:
    """Format a number for display; an empty value shows as a dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return format(value, spec)


CODED_FIELDS = {"root_cause": "improve.root", "source_kind": "improve.source", "pdca_stage": "improve.stage",
                "status": "improve.status"}


def history_value(field: str, value: Any) -> Any:
    """A value of the plan's history as the page shows it: stored codes translated (touchpoints come named)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):  # a JSON null, however pandas holds it
        return None
    if field in CODED_FIELDS:
        return code_label(CODED_FIELDS[field], value)
    return value


def plan_facts(plan: dict[str, Any]) -> None:
    """A plan's PDCA stage and status, its overdue alarm and its SMART fields as a table."""
    stage, status = plan["pdca_stage"], plan["status"]
    st.markdown(" → ".join(f"**:blue[{tr(f'improve.stage.{s}')}]**" if s == stage else tr(f"improve.stage.{s}")
                           for s in PDCA) + f" · {tr(f'improve.status.{status}')}")
    if plan["overdue"]:
        st.error(tr("improve.board.overdue", days=int(plan["days_overdue"])), icon=":material/alarm:")
    facts = {
        tr("improve.col.touchpoint"): f"{plan['touchpoint_code']} · {plan['touchpoint_name']}",
        tr("improve.col.site"): text_or(plan["site_name"], tr("improve.all_sites")),
        tr("improve.col.team"): text_or(plan["team_name"], tr("improve.all_teams")),
        tr("improve.col.source"): code_label("improve.source", plan["source_kind"]),
        tr("improve.col.root_cause"): tr(f"improve.root.{plan['root_cause']}"),
        tr("improve.col.action"): plan["action"], tr("improve.col.metric"): plan["metric"],
        tr("improve.col.baseline"): fmt(plan["baseline"], ".3f"), tr("improve.col.target"): fmt(plan["target"], ".3f"),
        tr("improve.col.owner"): plan["owner"], tr("improve.col.department"): text_or(plan["department"], "–"),
        tr("improve.col.start"): str(plan["start_date"]), tr("improve.col.due"): str(plan["due_date"]),
        tr("improve.col.closed_on"): "–" if pd.isna(plan["closed_on"]) else str(plan["closed_on"]),
    }
    # st.table reads Markdown in its cells: every value (names, action, owner) is escaped.
    st.table(pd.DataFrame({tr("improve.col.field"): list(facts), tr("improve.col.value"): [plain(v) for v in facts.values()]})
             .astype("string"))


def effect_figures(eff: Effect, spec: str, before: str, after: str, delta: str) -> None:
    """Verdict, before and after means with their periods, and the change with its CI."""
    st.badge(tr(f"improve.verdict.{eff.verdict}"), color=VERDICT_BADGES[eff.verdict])  # type: ignore[arg-type]
    c1, c2, c3 = st.columns(3)
    c1.metric(before, fmt(eff.before_mean, spec))
    c1.caption(tr("improve.detail.period", lo=eff.before_from, hi=eff.before_to, n=eff.before_n))
    c2.metric(after, fmt(eff.after_mean, spec))
    if eff.after_from is not None:
        c2.caption(tr("improve.detail.period", lo=eff.after_from, hi=eff.after_to, n=eff.after_n))
    c3.metric(delta, fmt(eff.delta, "+" + spec.lstrip("+")))
    if eff.delta is not None:
        c3.caption(tr("improve.detail.ci", lo=fmt(eff.ci_low, "+.3f"), hi=fmt(eff.ci_high, "+.3f"),
                      p=fmt(eff.p_value, ".3f")))
