"""Alert rules (Improve; admin and CX lead): the rules with on/off, and a form to create or edit one.

The form's parameter inputs follow the kind (:mod:`cxdash.ui.alerts`); scope, severity, fallback owner, first
contact within business hours on a calendar, and the customer window complete it. A **dry run** (how many cases the
rule would have opened over the last 90 days, customers, cases by site) must be seen before the rule is saved, and
again after any change that alters what it finds. Rules are written by :mod:`cxdash.followup.rules`; the dry run
and the choices come from :mod:`cxdash.views.alert_rules`. Names are shown as plain text.
"""

from __future__ import annotations

import json

import streamlit as st

from cxdash.domain.followup import RULE_KINDS, SCOPE_KINDS, SEVERITIES, SOURCE_OF
from cxdash.domain.service_sql import utcnow
from cxdash.followup.rules import Rule, RuleError, save_rule, set_rule_active, validate_rule
from cxdash.i18n import t
from cxdash.ui.admin import require_action
from cxdash.ui.alerts import error_text, param_inputs, params_text
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.views.alert_rules import DRY_RUN_DAYS, DryRunView, alert_rules_view, dry_run_view

_FLASH, _DRY, _PICK, _NEXT = "alerts_flash", "alerts_dry", "alerts_pick", "alerts_pick_next"
NEW = 0  # the "new rule" choice of the rule picker
MAX_HOURS, MAX_DAYS = 24.0 * 365, 365  # the rules' own bounds (cxdash.followup.rules)

ctx = get_context()
lang = ctx.lang  # format functions get it bound: AppTest calls them outside the page's run
st.title(tr("alerts.page.title"))
require_action("edit_policies")  # admin and CX lead, as the SLA settings the due times run on
st.caption(tr("alerts.intro"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")

view = alert_rules_view(ctx.engine, lang)


def kind_name(kind: object) -> str:
    """A rule kind's name in the current language (the code for a kind the app no longer knows)."""
    return t(f"alerts.kind.{kind}", lang) if kind in RULE_KINDS else str(kind)


def done(message: str) -> None:
    st.session_state[_FLASH] = message
    st.session_state.pop(_DRY, None)
    st.rerun()


# --- The rules, each with its switch -------------------------------------------------------------------------
st.subheader(tr("alerts.list.title"))
tp_names = dict(view.touchpoints)
if not view.rules:
    st.info(tr("alerts.list.none"), icon=":material/notifications_off:")
else:
    table = view.table.assign(
        kind=view.table["kind"].map(kind_name),
        source=view.table["source"].map(lambda s: t(f"alerts.source.{s}", lang) if s else ""),
        params=[params_text(kind, p, tp_names) for kind, p in zip(view.table["kind"], view.table["params"],
                                                                      strict=True)],
        # Only response rules merge a customer's answers within a window; tickets and KPI units are their own keys.
        window_days=[w if src == "response" else None for w, src in zip(view.table["window_days"],
                                                                          view.table["source"], strict=True)],
        scope_kind=view.table["scope_kind"].map(lambda s: t(f"alerts.scope.{s}", lang) if s in SCOPE_KINDS else s),
        severity=view.table["severity"].map(lambda s: t(f"alerts.severity.{s}", lang) if s in SEVERITIES else s),
    ).drop(columns=["scope_id", "owner_user_id", "calendar_id"])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: tr(f"alerts.col.{c}") for c in table.columns})
    st.caption(tr("alerts.list.switches"))
    for rule in view.rules:
        on = st.toggle(tr("alerts.list.switch", name=plain(rule.name), kind=kind_name(rule.kind)),
                       value=bool(rule.active), key=f"alerts_active_{rule.id}")
        if on != bool(rule.active) and rule.id is not None:
            with ctx.engine.begin() as conn:
                set_rule_active(conn, rule.id, on, ctx.user, utcnow())
            st.session_state.pop(f"alerts_active_{rule.id}", None)  # the next run shows the stored state
            done(tr("alerts.switch.on" if on else "alerts.switch.off", name=plain(rule.name)))

# --- Create or edit ------------------------------------------------------------------------------------------
st.subheader(tr("alerts.form.title"))
if not view.has_data:
    st.info(tr("alerts.no_data"), icon=":material/database:")
if _NEXT in st.session_state:  # a rule just saved stays picked (a widget's value is set before it is drawn)
    st.session_state[_PICK] = st.session_state.pop(_NEXT)
ids = [NEW, *(int(r.id) for r in view.rules if r.id is not None)]
names = {int(r.id): r.name for r in view.rules if r.id is not None}
pick = st.selectbox(tr("alerts.form.pick"), ids, key=_PICK,
                    format_func=lambda i: t("alerts.form.new", lang) if i == NEW else f"{names.get(i, i)} (#{i})")
base = view.rule(pick) if pick else Rule(id=None, name="", kind="ltr_at_most", params={"threshold": 6})
k = str(pick or "new")

name = st.text_input(tr("alerts.field.name"), base.name, key=f"alerts_name_{k}", max_chars=200)
kind = st.selectbox(tr("alerts.field.kind"), RULE_KINDS, index=RULE_KINDS.index(base.kind) if base.kind in RULE_KINDS
                    else 0, format_func=kind_name, key=f"alerts_kind_{k}")
st.caption(tr(f"alerts.source_help.{SOURCE_OF[kind]}"))
row = st.container(horizontal=True)
scope_kind = row.selectbox(tr("alerts.field.scope_kind"), SCOPE_KINDS,
                           index=SCOPE_KINDS.index(base.scope_kind) if base.scope_kind in SCOPE_KINDS else 0,
                           format_func=lambda s: t(f"alerts.scope.{s}", lang), key=f"alerts_scope_kind_{k}")
units = view.units(scope_kind)
unit_names = dict(units)
unit_ids: list[int | None] = [i for i, _ in units] or [None]
scope_id = row.selectbox(tr("alerts.field.scope_unit"), unit_ids,
                         index=unit_ids.index(base.scope_id) if base.scope_id in unit_ids else 0,
                         format_func=lambda i: unit_names.get(i, "") if i is not None else "",
                         key=f"alerts_scope_id_{scope_kind}_{k}", disabled=scope_kind == "all")
if scope_kind != "all" and not units:
    st.warning(tr("alerts.field.no_units", kind=t(f"alerts.scope.{scope_kind}", lang)), icon=":material/warning:")
params = param_inputs(kind, base.params if kind == base.kind else {}, k, view.touchpoints,
                      team_scope=scope_kind == "team")

row2 = st.container(horizontal=True)
severity = row2.selectbox(tr("alerts.field.severity"), SEVERITIES,
                          index=SEVERITIES.index(base.severity) if base.severity in SEVERITIES else 1,
                          format_func=lambda s: t(f"alerts.severity.{s}", lang), key=f"alerts_severity_{k}")
user_names = dict(view.users)
owners: list[int | None] = [None, *user_names]
owner = row2.selectbox(tr("alerts.field.owner"), owners,
                       index=owners.index(base.owner_user_id) if base.owner_user_id in owners else 0,
                       format_func=lambda u: t("alerts.field.owner_none", lang) if u is None else user_names[u],
                       help=tr("alerts.field.owner_help"), key=f"alerts_owner_{k}")
row3 = st.container(horizontal=True)
hours = row3.number_input(tr("alerts.field.response_hours"), 0.25, MAX_HOURS,
                          min(MAX_HOURS, max(0.25, float(base.response_hours))), 1.0, key=f"alerts_hours_{k}")
cal_names = dict(view.calendars)
calendars: list[int | None] = [None, *cal_names]
calendar_id = row3.selectbox(tr("alerts.field.calendar"), calendars,
                             index=calendars.index(base.calendar_id) if base.calendar_id in calendars else 0,
                             format_func=lambda c: t("alerts.field.calendar_default", lang) if c is None
                             else cal_names[c], key=f"alerts_calendar_{k}")
window = base.window_days
if SOURCE_OF[kind] == "response":  # tickets and KPI units are their own keys: no customer window
    window = int(row3.number_input(tr("alerts.field.window_days"), 1, MAX_DAYS,
                                   min(MAX_DAYS, max(1, int(base.window_days))), 1, key=f"alerts_window_{k}"))
active = st.checkbox(tr("alerts.field.active"), bool(base.active), key=f"alerts_on_{k}")

# PostgreSQL refuses NUL in text: a pasted one is dropped rather than failing the save.
rule = Rule(id=base.id, name=(name or "").replace("\x00", "").strip(), kind=kind, params=params, scope_kind=scope_kind,
            scope_id=None if scope_kind == "all" else scope_id, severity=severity, owner_user_id=owner,
            response_hours=float(hours), calendar_id=calendar_id, window_days=window, active=active)
# What the dry run depends on: a new name or owner needs no new dry run, a new threshold or scope does.
signature = json.dumps([kind, params, rule.scope_kind, rule.scope_id, window], sort_keys=True, default=str)


def refused(exc: Exception) -> str:
    if isinstance(exc, RuleError):
        return error_text(getattr(exc, "key", None), getattr(exc, "params", None), exc)
    if rule.kind in ("kpi_below_target", "kpi_significant_drop") and isinstance(exc, ValueError):
        return tr("alerts.form_error.kpi_params")
    return plain(exc)


def checked() -> str | None:
    """Why the rule cannot be dry-run or saved as entered (None: it can)."""
    if not rule.name:
        return tr("alerts.form_error.name_missing")
    if rule.scope_kind != "all" and rule.scope_id is None:
        return tr("alerts.form_error.unit_missing")
    try:
        validate_rule(rule)
    except ValueError as exc:
        return refused(exc)
    return None


buttons = st.container(horizontal=True)
run_dry = buttons.button(tr("alerts.dry.button"), icon=":material/science:", key="alerts_dry_run")
stored: tuple[str, DryRunView] | None = st.session_state.get(_DRY)
fresh = stored is not None and stored[0] == f"{k}:{signature}"
save = buttons.button(tr("alerts.save.button"), type="primary", icon=":material/save:", key="alerts_save",
                      disabled=not fresh)
if run_dry:
    problem = checked()
    if problem:
        st.error(tr("alerts.dry.refused", error=problem), icon=":material/error:")
    else:
        try:
            result = dry_run_view(ctx.engine, rule, utcnow(), lang, DRY_RUN_DAYS)
        except ValueError as exc:
            st.error(tr("alerts.dry.refused", error=refused(exc)), icon=":material/error:")
        else:
            st.session_state[_DRY] = (f"{k}:{signature}", result)
            st.rerun()  # the save button is drawn above: enable it
if save and fresh:
    problem = checked()
    if problem:
        st.error(tr("alerts.save.refused", error=problem), icon=":material/error:")
    else:
        try:
            with ctx.engine.begin() as conn:
                saved_id = save_rule(conn, rule, ctx.user, utcnow())
        except ValueError as exc:
            st.error(tr("alerts.save.refused", error=refused(exc)), icon=":material/error:")
        else:
            st.session_state[_NEXT] = int(saved_id)
            done(tr("alerts.save.saved", name=plain(rule.name)))


def show_dry_run(dry: DryRunView) -> None:
    r = dry.result
    st.markdown(f"**{tr('alerts.dry.title', start=f'{dry.start:%Y-%m-%d}', end=f'{dry.end:%Y-%m-%d}')}**")
    st.caption(tr("alerts.dry.caption", days=r.days))
    figures = st.container(horizontal=True)
    figures.metric(tr("alerts.dry.cases"), r.cases)
    figures.metric(tr("alerts.dry.triggers"), r.triggers)
    figures.metric(tr("alerts.dry.customers"), r.customers)
    if not r.cases:
        st.info(tr("alerts.dry.none"), icon=":material/check_circle:")
        return
    by_site = dry.by_site.assign(site=[s if s else t("alerts.dry.no_site", lang) for s in dry.by_site["site"]])
    st.dataframe(by_site.drop(columns=["site_id"]), hide_index=True, width="stretch",
                 column_config={c: tr(f"alerts.col.{c}") for c in ("site", "cases")})


if stored is not None and fresh:
    show_dry_run(stored[1])
elif stored is not None and stored[0].startswith(f"{k}:"):
    st.warning(tr("alerts.dry.stale"), icon=":material/history:")
else:
    st.caption(tr("alerts.dry.needed"))
