"""Targets (Data; admin and CX lead): the value each KPI card is held against, per scope and validity dates.

Lists the targets, sets one (KPI, scope, value, valid from / to, note), ends one, and shows every change. All the
rules and writes are in :mod:`cxdash.targets`; notes and names are shown as plain text (dataframe cells).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from cxdash.domain.kpis import KPI_CODES, LOWER_IS_BETTER
from cxdash.i18n import t
from cxdash.targets import (
    SCOPE_KINDS,
    TargetError,
    end_target,
    format_entry,
    parse_scope,
    set_target,
    stored_value,
    unit_of,
)
from cxdash.ui.admin import plain, require_action
from cxdash.ui.context import get_context, tr
from cxdash.views.targets import current_target_view, targets_view

_FLASH = "targets_flash"
ANY = ""
STEPS = {"points": 1.0, "share": 1.0, "scale": 0.1, "count": 1.0}
FORMATS = {"points": "%.1f", "share": "%.1f", "scale": "%.2f", "count": "%.0f"}

ctx = get_context()
lang = ctx.lang  # format functions get it bound: AppTest calls them outside the page's run
st.title(tr("targets.page.title"))
require_action("edit_targets")
st.caption(tr("targets.intro"))
st.caption(tr("targets.rules"))
flash = st.session_state.pop(_FLASH, None)
if flash:
    st.success(flash, icon=":material/check_circle:")



def kpi_name(kpi: object) -> str:
    """The KPI's card title in the current language (the code for a KPI the app no longer knows)."""
    return t(f"overview.kpi.{kpi}.title", lang) if kpi in KPI_CODES else str(kpi)


def shown(kpi: str, entered: object) -> str:
    """A value in entry units as text (a share with its percent sign), empty when there is none."""
    if entered is None or pd.isna(entered):  # type: ignore[call-overload]
        return ""
    return format_entry(kpi, stored_value(kpi, float(entered))) if kpi in KPI_CODES else str(entered)


def day_text(day: object) -> str:
    """A validity day as text; an open start or end says so instead of an empty cell."""
    return t("targets.open", lang) if day is None or pd.isna(day) else str(day)  # type: ignore[call-overload]


def error(exc: TargetError) -> None:
    """Show a refused edit in the current language, its parameters escaped so they show as typed."""
    params = {k: plain(v) for k, v in exc.params.items()}
    if exc.params.get("kpi") in KPI_CODES:
        params["kpi"] = kpi_name(exc.params["kpi"])
    st.error(tr("targets.err.not_saved", error=tr(f"targets.err.{exc.code}", **params)), icon=":material/error:")


def saved(message: str) -> None:
    st.session_state[_FLASH] = message
    st.rerun()


# --- The targets -----------------------------------------------------------------------------------------
only = st.selectbox(tr("targets.list.filter_kpi"), [ANY, *KPI_CODES], key="targets_filter_kpi",
                    format_func=lambda k: kpi_name(k) if k else t("targets.list.all_kpis", lang))
view = targets_view(ctx.engine, ctx.filters, lang, kpi=only or None)
today, options, labels, targets = view.today, view.scopes, view.labels, view.targets
st.subheader(tr("targets.list.title"))
if targets.empty:
    st.info(tr("targets.list.none"), icon=":material/flag:")
else:
    table = targets.assign(
        value=[shown(k, v) for k, v in zip(targets["kpi"], targets["value"], strict=True)],
        kpi=targets["kpi"].map(kpi_name),
        scope=targets["scope"].map(lambda s: labels.get(s, s)),
        status=targets["status"].map(lambda s: tr(f"targets.status.{s}")),
        valid_from=targets["valid_from"].map(day_text),
        valid_to=targets["valid_to"].map(day_text),
    )
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: tr(f"targets.col.{c}") for c in table.columns})

# --- Set a target ----------------------------------------------------------------------------------------
st.subheader(tr("targets.set.title"))
row = st.container(horizontal=True)
kpi = row.selectbox(tr("targets.field.kpi"), KPI_CODES, key="targets_kpi", format_func=kpi_name)
kind = row.selectbox(tr("targets.field.kind"), SCOPE_KINDS, key="targets_kind",
                     format_func=lambda k: t(f"targets.kind.{k}", lang))
choices = [text for k, text, _ in options if k == kind]
scope_text = row.selectbox(tr("targets.field.scope"), choices, key=f"targets_scope_{kind}",
                           format_func=labels.__getitem__, disabled=kind == "all")
unit = unit_of(kpi)
st.caption(tr("targets.direction.lower" if kpi in LOWER_IS_BETTER else "targets.direction.higher"))
current_value = None if scope_text is None else current_target_view(
    ctx.engine, ctx.filters, lang, kpi=kpi, scope_text=scope_text, today=today).value
with st.form("targets_form"):
    value = st.number_input(tr("targets.field.value", unit=tr(f"targets.unit.{unit}")), value=current_value,
                            step=STEPS[unit], format=FORMATS[unit], key=f"targets_value_{kpi}_{scope_text}")
    dates = st.container(horizontal=True)
    valid_from = dates.date_input(tr("targets.field.valid_from"), value=None, key="targets_from",
                                  format="YYYY-MM-DD", min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
    valid_to = dates.date_input(tr("targets.field.valid_to"), value=None, key="targets_to",
                                format="YYYY-MM-DD", min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
    note = st.text_area(tr("targets.field.note"), key="targets_note", max_chars=500)
    submitted = st.form_submit_button(tr("targets.set.submit"), type="primary", icon=":material/save:")
if submitted:
    if scope_text is None:
        st.error(tr("targets.set.no_scope"), icon=":material/error:")
    else:
        try:
            with ctx.engine.begin() as conn:
                set_target(conn, ctx.user, kpi, parse_scope(conn, scope_text),
                           value, valid_from, valid_to, note)
        except TargetError as exc:
            error(exc)
        else:
            saved(tr("targets.set.saved"))

# --- End a target ----------------------------------------------------------------------------------------
st.subheader(tr("targets.end.title"))
open_targets = view.open_targets
if open_targets.empty:
    st.info(tr("targets.end.none"), icon=":material/event_busy:")
else:
    by_id = {int(r.id): r for r in open_targets.itertuples(index=False)}

    def describe(target_id: int) -> str:
        r = by_id[target_id]
        return f"{kpi_name(r.kpi)} · {labels.get(str(r.scope), str(r.scope))} · {shown(str(r.kpi), r.value)} " \
               f"· {day_text(r.valid_from)} – {day_text(r.valid_to)}"

    with st.form("targets_end_form"):
        pick = st.selectbox(tr("targets.end.pick"), list(by_id), format_func=describe, key="targets_end_pick")
        last_day = st.date_input(tr("targets.end.last_day"), value=today, key="targets_end_day", format="YYYY-MM-DD")
        end_note = st.text_input(tr("targets.field.note"), key="targets_end_note", max_chars=500)
        ended = st.form_submit_button(tr("targets.end.submit"), icon=":material/event_busy:")
    if ended and pick is not None:
        try:
            with ctx.engine.begin() as conn:
                end_target(conn, ctx.user, int(pick), last_day or today, end_note)
        except TargetError as exc:
            error(exc)
        else:
            saved(tr("targets.end.saved"))

# --- History ---------------------------------------------------------------------------------------------
st.subheader(tr("targets.history.title"))
history = view.history
if history.empty:
    st.info(tr("targets.history.none"), icon=":material/history:")
else:
    kpis, actions = history["kpi"], history["action"]
    history = history.assign(
        old_value=[shown(k, v) for k, v in zip(kpis, history["old_value"], strict=True)],
        new_value=[shown(k, v) for k, v in zip(kpis, history["new_value"], strict=True)],
        action=history["action"].map(lambda a: tr(f"targets.action.{a}")),
        kpi=kpis.map(kpi_name),
        scope=history["scope"].map(lambda s: labels.get(s, s)),
        # A first "set" had no period before it: its old days stay empty rather than read "open".
        **{c: [day_text(d) if c.startswith("new") or a != "set" else "" for a, d in zip(actions, history[c],
                                                                                      strict=True)]
           for c in ("old_from", "old_to", "new_from", "new_to")},
    )
    st.dataframe(history, hide_index=True, width="stretch",
                 column_config={c: tr(f"targets.col.{c}") for c in history.columns})
