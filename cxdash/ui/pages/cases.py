"""Follow-up cases (Improve): the cases of the signed-in user's scope, overdue first, a case's response, customer
history and touchpoint gap, the steps (call, resolve with root cause and outcome, ...), and the case measures.
Figures come from :mod:`cxdash.views.cases`."""

from __future__ import annotations

import streamlit as st

from cxdash.charts.followup import open_by_site_chart
from cxdash.ui import followup as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.widgets import download_buttons
from cxdash.views.cases import CasesView, case_detail_view, cases_view

ctx = get_context()
lang = ctx.lang
now = ui.now_minute()
PICK_KEY = "cases_pick"


def _header(view: CasesView) -> None:
    st.title(tr("followup.page.title"))
    st.caption(tr("followup.page.caption"))
    ui.flash()
    f = ctx.filters
    if f.date_from and f.date_to:
        st.caption(tr("followup.measures.caption", start=f.date_from.isoformat(), end=f.date_to.isoformat()))
    else:
        st.caption(tr("followup.measures.caption.all"))
    ui.cards(view.measures)
    ui.definitions()


def _pick(ids: list[int]) -> int | None:
    """The case to show: a ``?case=`` link's when it is on this page of the list, else the chosen or first one."""
    wanted = st.query_params.get("case")
    if wanted and wanted.isdigit() and int(wanted) in ids and PICK_KEY not in st.session_state:
        st.session_state[PICK_KEY] = int(wanted)
    if st.session_state.get(PICK_KEY) not in ids:
        st.session_state.pop(PICK_KEY, None)
    elif PICK_KEY in st.session_state:
        # The label shows the case's status, which a step has just changed: the browser keeps the old label
        # unless the value is set again.
        st.session_state[PICK_KEY] = st.session_state[PICK_KEY]
    if not ids:
        return None
    return st.selectbox(tr("followup.detail.pick"), ids, key=PICK_KEY, format_func=lambda i: _case_label(i))


def _case_label(case_id: int) -> str:
    rows = VIEW.page.rows.set_index("id")
    row = rows.loc[case_id]
    parts = [f"#{case_id}", ui.label("status", row["status"]), ui.label("severity", row["severity"]),
             str(row["rule_name"]), str(row["customer_ref"] or "")]
    if row["overdue"]:
        parts.insert(1, tr("followup.flag.overdue"))
    return " · ".join(p for p in parts if p)


def _list(view: CasesView) -> None:
    page = view.page
    st.caption(tr("followup.list.count", n=f"{page.total:,}") + " · " + tr("followup.list.legend"))
    if page.rows.empty:
        st.info(tr("followup.list.empty"))
        return
    if page.total > len(page.rows):
        st.caption(tr("followup.list.more", shown=len(page.rows), total=page.total))
    table = ui.list_table(page.rows)
    config = ui.column_config()
    st.dataframe(ui.styled(table, page.rows), hide_index=True, width="stretch", column_config=config)
    download_buttons(table, "cxdash_cases", config)


def _detail(case_id: int) -> None:
    detail_view = cached(case_detail_view, ctx.filters, lang, case_id=case_id, now=now)
    detail = detail_view.detail
    if detail is None:
        st.warning(tr("followup.detail.out_of_scope"))
        return
    st.divider()
    st.header(tr("followup.detail.title"))
    ui.facts(detail)
    left, right = st.columns(2)
    with left:
        ui.response(detail)
        ui.site_gap(detail)
    with right:
        ui.history(detail)
        ui.steps_log(detail)
    ui.step_form(detail, detail_view.plans, detail_view.owners)


def _measures(view: CasesView) -> None:
    m = view.measures
    st.subheader(tr("followup.after.title"), help=tr("followup.after.help"))
    if m.after.empty:
        st.caption(tr("followup.after.none"))
    else:
        after = m.after.assign(recovered=[ui.label("recovered", r) for r in m.after["recovered"]])
        st.dataframe(after, hide_index=True, width="stretch", column_config={
            "recovered": tr("followup.col.recovered"), "n": tr("followup.col.n"),
            "nps": st.column_config.NumberColumn(tr("followup.col.nps"), format="%.1f"),
            "nps_n": tr("followup.col.nps_n"),
            "csat": st.column_config.NumberColumn(tr("followup.col.csat"), format="percent"),
            "csat_n": tr("followup.col.csat_n")})
    st.subheader(tr("followup.units.title"))
    if m.by_unit.empty:
        st.caption(tr("followup.none"))
    else:
        if int(m.by_unit["open"].sum()) > 0:
            st.altair_chart(open_by_site_chart(m.by_unit, lang), width="stretch")
        st.dataframe(m.by_unit.drop(columns=["site_id", "team_id"]), hide_index=True, width="stretch",
                     column_config={c: tr(f"followup.col.{c}") for c in
                                    ("site_name", "team_name", "opened", "open", "overdue")})
    causes, tps = st.columns(2)
    with causes:
        st.subheader(tr("followup.causes.title"))
        frame = m.root_causes.assign(root_cause=[ui.label("root", r) for r in m.root_causes["root_cause"]])
        st.dataframe(frame, hide_index=True, width="stretch",
                     column_config={"root_cause": tr("followup.col.root_cause"), "n": tr("followup.col.n")})
    with tps:
        st.subheader(tr("followup.touchpoints.title"))
        st.dataframe(m.touchpoints.drop(columns=["touchpoint_id"]), hide_index=True, width="stretch",
                     column_config={"touchpoint_code": tr("followup.col.touchpoint_name"), "touchpoint_name": " ",
                                    "n": tr("followup.col.n")})
    download_buttons(view.table.drop(columns=["key"]), "cxdash_case_measures",
                     {"title": tr("followup.col.measure"), "value": tr("followup.col.value"),
                      "ci_low": tr("followup.col.ci_low"), "ci_high": tr("followup.col.ci_high"), "n": "n"})


picked = ui.picked_filters()
VIEW = cached(cases_view, ctx.filters, lang, now=now, **picked)
_header(VIEW)
if not VIEW.any_cases:
    st.info(tr("followup.page.empty"), icon=":material/inbox:")
else:
    list_tab, measures_tab = st.tabs([tr("followup.tab.list"), tr("followup.tab.measures")])
    with list_tab:
        chosen = ui.filter_row(VIEW.options)
        if chosen != picked:  # a filter changed in this run: list what it selects now
            VIEW = cached(cases_view, ctx.filters, lang, now=now, **chosen)
        _list(VIEW)
        case_id = _pick([int(i) for i in VIEW.page.rows["id"]])
        if case_id is not None:
            _detail(case_id)
    with measures_tab:
        _measures(VIEW)
