"""SLA settings (Data; admin and CX lead): policies per priority, business-hours calendars, holidays upload.

Saving a policy or a calendar recomputes every ticket's SLA facts in the same transaction, with a progress bar,
and shows the compliance before and after.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import pandas as pd
import streamlit as st

from cxdash.auth import ACTIONS
from cxdash.formatting import display_frame
from cxdash.i18n import t
from cxdash.metrics.service.compliance import sla_summary
from cxdash.service.calendar import Calendar, format_day_text, parse_day_text
from cxdash.service.compute import Write, change_and_recompute, sla_settings
from cxdash.service.holidays import holiday_csv, parse_holiday_csv
from cxdash.service.policies import PRIORITIES, save_calendar, save_policy
from cxdash.ui import service as ui
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain

ctx = get_context()
lang = ctx.lang
TIMEZONES = sorted(available_timezones())


def _save_and_recompute(write: Write) -> None:
    """Run ``write`` and the recompute in one transaction with a progress bar; report compliance before/after."""
    before = sla_summary(ctx.engine, ctx.filters)
    bar = st.progress(0.0, text=tr("service.settings.recomputing"))
    try:
        n = change_and_recompute(ctx.engine, write, lambda d, t: bar.progress(min(d / max(t, 1), 1.0),
                                                                               text=tr("service.settings.recomputing")))
    except ValueError as exc:
        bar.empty()
        st.error(tr("service.err.invalid", error=plain(exc, 1000)))
        return
    after = sla_summary(ctx.engine, ctx.filters)
    bar.progress(1.0, text=tr("service.settings.done"))
    st.success(tr("service.settings.saved", n=n, frt_before=ui.pct(before.first_response.rate),
                  frt_after=ui.pct(after.first_response.rate), res_before=ui.pct(before.resolution.rate),
                  res_after=ui.pct(after.resolution.rate)))


def _policies() -> None:
    policies, calendars = sla_settings(ctx.engine)
    cal_names = {k: v[0] for k, v in calendars.items()}
    table = pd.DataFrame([{**p.__dict__, "calendar": cal_names.get(p.calendar_id, "")} for p in policies])
    cols = ["name", "priority", "category", "channel", "first_response_min", "resolution_min", "calendar",
            "at_risk_ratio", "active"]
    if not table.empty:
        st.dataframe(display_frame(ui.translate_codes(table[cols]), ctx.lang,
                                   kinds={"first_response_min": "duration", "resolution_min": "duration",
                                          "at_risk_ratio": "percent"}), hide_index=True, column_config={c: tr(f"service.policy.{c}") for c in cols})
    by_id = {p.id: p for p in policies}
    pid = st.selectbox(tr("service.settings.pick_policy"), [None, *by_id], key="sla_policy_pick",
                       format_func=lambda i: t("service.settings.new_policy", lang) if i is None else by_id[i].name)
    p = by_id.get(pid)
    with st.form(f"policy_form_{pid}"):
        name = st.text_input(tr("service.policy.name"), value=p.name if p else "")
        c1, c2, c3 = st.columns(3)
        prio = c1.selectbox(tr("service.policy.priority"), PRIORITIES, index=PRIORITIES.index(p.priority) if p else 2,
                            format_func=lambda v: t(f"service.priority.{v}", lang))
        category = c2.text_input(tr("service.policy.category"), value=(p.category or "") if p else "",
                                 help=tr("service.help.policy_narrow"))
        channel = c3.text_input(tr("service.policy.channel"), value=(p.channel or "") if p else "",
                                help=tr("service.help.policy_narrow"))
        c4, c5, c6 = st.columns(3)
        frt = c4.number_input(tr("service.policy.first_response_min"), min_value=1, step=5,
                              value=int(p.first_response_min) if p else 240)
        res = c5.number_input(tr("service.policy.resolution_min"), min_value=1, step=30,
                              value=int(p.resolution_min) if p else 1440)
        ids = list(cal_names)
        cal = c6.selectbox(tr("service.policy.calendar"), ids, index=ids.index(p.calendar_id) if p else 0,
                           format_func=cal_names.get)
        ratio = st.slider(tr("service.policy.at_risk_ratio"), 0.05, 1.0, float(p.at_risk_ratio) if p else 0.8, 0.05,
                          help=tr("service.help.at_risk_ratio"))
        active = st.checkbox(tr("service.policy.active"), value=p.active if p else True)
        submitted = st.form_submit_button(tr("service.settings.save"), type="primary")
    if submitted:
        values = {"name": name, "priority": prio, "category": category, "channel": channel,
                  "first_response_min": int(frt), "resolution_min": int(res), "calendar_id": cal,
                  "at_risk_ratio": float(ratio), "active": active}
        _save_and_recompute(lambda conn: save_policy(conn, values, pid, actor=ctx.user))


def _calendars() -> None:
    _, calendars = sla_settings(ctx.engine)
    if not calendars:
        st.info(tr("service.settings.no_calendar"))
        return
    cid = st.selectbox(tr("service.settings.pick_calendar"), list(calendars), key="sla_calendar_pick",
                       format_func=lambda i: calendars[i][0])
    name, cal = calendars[cid]
    stored = cal.to_json()
    with st.form(f"calendar_form_{cid}"):
        new_name = st.text_input(tr("service.calendar.name"), value=name)
        tz = st.selectbox(tr("service.calendar.timezone"), TIMEZONES,
                          index=TIMEZONES.index(cal.timezone) if cal.timezone in TIMEZONES else 0)
        st.caption(tr("service.help.weekly_hours"))
        days = [st.text_input(tr(f"service.weekday.{d}"), value=format_day_text(stored["weekly_hours"][str(d)]))
                for d in range(7)]
        submitted = st.form_submit_button(tr("service.settings.save"), type="primary")
    if submitted:
        def write(conn) -> None:  # noqa: ANN001 - the edit's Connection (cxdash.service.compute.Write)
            weekly = {str(d): parse_day_text(text) for d, text in enumerate(days)}
            new = Calendar.from_json(tz, weekly, stored["holidays"], stored["workdays"])
            save_calendar(conn, new_name, new, cid, actor=ctx.user)

        _save_and_recompute(write)
    _special_days(cid, new_name if submitted else name, cal, stored)


def _special_days(cid: int, name: str, cal: Calendar, stored: dict) -> None:
    st.subheader(tr("service.calendar.special_days"))
    st.caption(tr("service.help.special_days", holidays=len(stored["holidays"]), workdays=len(stored["workdays"])))
    st.download_button(tr("service.calendar.download_days"), holiday_csv(stored["holidays"], stored["workdays"]),
                       file_name="special_days.csv", mime="text/csv", key="dl_special_days")
    upload = st.file_uploader(tr("service.calendar.upload_days"), type=["csv"], key=f"days_upload_{cid}")
    if upload is None:
        return
    try:
        holidays, workdays = parse_holiday_csv(upload.getvalue())
    except ValueError as exc:
        st.error(tr("service.err.invalid", error=plain(exc, 1000)))
        return
    st.info(tr("service.calendar.preview", holidays=len(holidays), workdays=len(workdays)))
    if st.button(tr("service.calendar.apply_days"), type="primary", key=f"apply_days_{cid}"):
        new = Calendar.from_json(cal.timezone, stored["weekly_hours"], holidays, workdays)
        _save_and_recompute(lambda conn: save_calendar(conn, name, new, cid, actor=ctx.user))


st.title(tr("service.page.settings"))
if "edit_policies" not in ACTIONS.get(ctx.role, frozenset()):
    st.error(tr("service.err.not_allowed"))
    st.stop()
st.caption(tr("service.help.settings"))
ui.from_url("sla_settings_view", ("policies", "calendars"), "policies")
view = st.segmented_control(tr("service.view.label"), ["policies", "calendars"], key="sla_settings_view", required=True,
                            format_func=lambda v: t(f"service.settings.{v}", lang))
ui.to_url({"sla_settings_view": "policies"})
if view == "calendars":
    _calendars()
else:
    _policies()
