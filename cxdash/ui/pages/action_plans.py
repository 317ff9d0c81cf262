"""Action plans (Improve): create SMART plans from weak items, gaps or service problems, run them through PDCA,
and see each plan's measured effect on its touchpoint."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from cxdash.charts.improve import effects_chart
from cxdash.formatting import display_frame
from cxdash.improve.plans import (
    PDCA,
    ROOT_CAUSES,
    SOURCES,
    advance_stage,
    cancel_plan,
    close_plan,
    create_plan,
    next_stage,
    reopen_plan,
    update_plan,
)
from cxdash.metrics.improve.baseline import baseline_for
from cxdash.metrics.improve.effect import Effect
from cxdash.metrics.improve.options import team_options
from cxdash.ui import improve as ui
from cxdash.ui.cache import cached
from cxdash.ui.context import get_context, tr
from cxdash.ui.text import plain
from cxdash.views.action_plans import (
    BOARD_STATUSES,
    ActionPlansView,
    action_plans_view,
    plan_detail_view,
    plan_effects_view,
    plan_sources_view,
)

VIEWS = ("board", "create", "detail", "effects")
ctx = get_context()
lang = ctx.lang


def _counts(view: ActionPlansView) -> None:
    counts = view.counts
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("improve.kpi.open"), counts.open, help=tr("improve.help.open"), border=True)
    c2.metric(tr("improve.kpi.overdue"), counts.overdue, help=tr("improve.help.overdue"), border=True)
    c3.metric(tr("improve.kpi.closed"), counts.closed, help=tr("improve.help.closed"), border=True)
    share = "–" if counts.improved_share is None else f"{counts.improved_share:.0%}"
    c4.metric(tr("improve.kpi.improved"), f"{counts.closed_improved} / {counts.closed_measured}",
              delta=share, delta_color="off", help=tr("improve.help.improved"), border=True)


def _board_picked() -> dict[str, tuple]:
    """The board filters' values as the widgets hold them (the view is computed before they are drawn)."""
    state = st.session_state
    return {"touchpoint_ids": tuple(int(x) for x in state.get("board_tp", ())),
            "site_ids": tuple(int(x) for x in state.get("board_site", ())),
            "plan_owners": tuple(state.get("board_owner", ())),
            "statuses": tuple(state.get("board_status", BOARD_STATUSES))}


def _board_filters(view: ActionPlansView) -> dict[str, tuple]:
    tp_names, site_names = view.touchpoints, view.sites
    c1, c2, c3, c4 = st.columns(4)
    every = tr("improve.board.any")
    tp = c1.multiselect(tr("improve.col.touchpoint"), list(tp_names), format_func=tp_names.get, key="board_tp",
                        placeholder=every)
    st_ = c2.multiselect(tr("improve.col.site"), list(site_names), format_func=site_names.get, key="board_site",
                         placeholder=every)
    ow = c3.multiselect(tr("improve.col.owner"), view.owners, key="board_owner", placeholder=every)
    status = c4.multiselect(tr("improve.col.status"), ["open", "done", "cancelled"], default=list(BOARD_STATUSES),
                            format_func=lambda v: tr(f"improve.status.{v}"), key="board_status", placeholder=every)
    return {"touchpoint_ids": tuple(int(x) for x in tp), "site_ids": tuple(int(x) for x in st_),
            "plan_owners": tuple(ow), "statuses": tuple(status)}


def _open_detail(plan_id: int) -> None:
    """Card button callback: show the plan's details (runs before the widgets are drawn again)."""
    st.session_state["plan_view"] = "detail"
    st.session_state["detail_plan"] = plan_id


def _card(plan: pd.Series) -> None:
    with st.container(border=True):
        st.markdown(f"**#{plan['id']} {plain(plan['title'])}**")
        st.caption(f"{plain(plan['touchpoint_code'])} · {plain(plan['touchpoint_name'])} · "
                   f"{plain(ui.text_or(plan['site_name'], tr('improve.all_sites')))}")
        st.caption(f"{tr('improve.col.owner')}: {plain(plan['owner'])} · {tr('improve.col.due')}: {plan['due_date']}")
        if plan["overdue"]:
            st.badge(tr("improve.board.overdue", days=int(plan["days_overdue"])), icon=":material/alarm:", color="red")
        st.button(tr("improve.board.details"), key=f"card_{plan['id']}", on_click=_open_detail,
                  args=(int(plan["id"]),), type="tertiary", icon=":material/open_in_new:")


def _finished(plans: pd.DataFrame) -> None:
    """Closed and cancelled plans of a stage: one line each with the verdict, folded away."""
    with st.expander(tr("improve.board.finished", n=len(plans))):
        for _, plan in plans.iterrows():
            verdict = plan["verdict"] if plan["status"] == "done" else plan["status"]
            colour = ui.VERDICT_BADGES.get(verdict, "gray")
            label = tr(f"improve.verdict.{verdict}") if plan["status"] == "done" else tr("improve.status.cancelled")
            st.button(f"#{plan['id']} {plain(plan['touchpoint_code'])} · {plain(ui.text_or(plan['site_name'], ''))}",
                      key=f"card_{plan['id']}", on_click=_open_detail, args=(int(plan["id"]),), type="tertiary")
            st.badge(label, color=colour)


def _board_view() -> None:
    picked = _board_picked()
    view = cached(action_plans_view, ctx.filters, lang, **picked)
    _counts(view)
    chosen = _board_filters(view)
    if chosen != picked:  # a widget dropped a value its options no longer hold
        view = cached(action_plans_view, ctx.filters, lang, **chosen)
    board = view.board
    if board.empty:
        st.info(tr("improve.board.none"))
        return
    columns = st.columns(len(PDCA))
    for col, stage in zip(columns, view.stages, strict=True):
        with col:
            st.subheader(tr(f"improve.stage.{stage.stage}"))
            st.caption(tr("improve.board.column", open=stage.n_open, other=stage.n_finished))
            for _, plan in stage.open_plans.iterrows():
                _card(plan)
            if stage.n_open > len(stage.open_plans):
                st.caption(tr("improve.board.more", n=stage.n_open - len(stage.open_plans)))
            if not stage.finished.empty:
                _finished(stage.finished)
    table = board.assign(
        pdca_stage=[tr(f"improve.stage.{s}") for s in board["pdca_stage"]],
        status=[tr(f"improve.status.{s}") for s in board["status"]],
        root_cause=[tr(f"improve.root.{r}") for r in board["root_cause"]],
        verdict=[tr(f"improve.verdict.{v}") for v in board["verdict"]],
    )
    st.subheader(tr("improve.board.all"))
    table = display_frame(table, lang, kinds=_PLAN_KINDS)
    st.dataframe(
        table.style.apply(lambda r: ["color: #c62828; font-weight: 600" if r["overdue"] else "" for _ in r], axis=1),
        hide_index=True, key="board_table",
        column_order=["id", "title", "touchpoint_name", "site_name", "owner", "root_cause", "pdca_stage", "status",
                      "start_date", "due_date", "overdue", "days_overdue", "baseline", "target", "verdict", "delta"],
        column_config=_plan_columns(),
    )
    ui.downloads(board, "action_plans")


# plan figures are means of a 0-1 measure: three decimals, the change with its sign (cxdash.formatting)
_PLAN_KINDS: dict[str, str | None] = {"baseline": "score3", "target": "score3", "before_mean": "score3",
                                      "after_mean": "score3", "delta": "gap", "overdue": None}


def _plan_columns() -> dict[str, Any]:
    return {
        "id": "#", "title": tr("improve.col.title"), "touchpoint_name": tr("improve.col.touchpoint"),
        "site_name": tr("improve.col.site"), "owner": tr("improve.col.owner"),
        "root_cause": tr("improve.col.root_cause"), "pdca_stage": tr("improve.col.stage"),
        "status": tr("improve.col.status"), "start_date": tr("improve.col.start"), "due_date": tr("improve.col.due"),
        "overdue": tr("improve.col.overdue"), "days_overdue": tr("improve.col.days_overdue"),
        "baseline": tr("improve.col.baseline"),
        "target": tr("improve.col.target"),
        "verdict": st.column_config.TextColumn(tr("improve.col.verdict"), help=tr("improve.help.effect")),
        "delta": st.column_config.Column(tr("improve.col.delta"), help=tr("improve.help.effect")),
    }


def _source() -> dict[str, Any] | None:
    """The thing the plan answers: a weak item, a touchpoint gap or a service problem, and its scope."""
    if st.session_state.get("create_source") not in SOURCES:  # seeded here, not by default=, so a preset wins
        st.session_state["create_source"] = "weak_item"
    source = st.segmented_control(tr("improve.create.source"), SOURCES, required=True,
                                  format_func=lambda v: tr(f"improve.source.{v}"), key="create_source")
    source = source if source in SOURCES else "weak_item"
    out: dict[str, Any] = {"source_kind": source, "checklist_item_id": None}
    view = cached(plan_sources_view, ctx.filters, lang, source=source)
    if source == "weak_item":
        weak = view.choices
        if weak.empty:
            st.info(tr("improve.weak.none"))
            return None
        labels = {int(r.item_id): f"{r.touchpoint_code} · {r.pain_point} ({tr('improve.col.weakness')} "
                  f"{r.weakness:.3f}, {tr('improve.col.mean_score')} {r.mean_score:.1f})" for r in weak.itertuples()}
        item = st.selectbox(tr("improve.create.weak_item"), list(labels), format_func=labels.get, key="create_item")
        row = weak.set_index("item_id").loc[item]
        out.update(touchpoint_id=int(row["touchpoint_id"]), checklist_item_id=int(item),
                   label=f"{row['touchpoint_name']}: {row['pain_point']}")
    elif source == "gap":
        gaps = view.choices
        labels = {int(r.touchpoint_id): f"{r.touchpoint_code} · {r.touchpoint_name}"
                  + ("" if pd.isna(r.gap) else f" ({tr('improve.col.gap')} {r.gap:+.3f}, n={r.n})")
                  for r in gaps.itertuples()}
        names = {int(r.touchpoint_id): f"{r.touchpoint_code} · {r.touchpoint_name}" for r in gaps.itertuples()}
        tp = st.selectbox(tr("improve.create.gap_tp"), list(labels), format_func=labels.get, key="create_tp")
        out.update(touchpoint_id=int(tp), label=names[int(tp)])
    else:
        problems = view.choices
        labels = {int(r.touchpoint_id): f"{r.touchpoint_code} · {r.touchpoint_name}"
                  + (tr("improve.create.service_counts", tickets=r.tickets, reopened=r.reopened, repeats=r.repeats,
                        breached=r.breached) if r.tickets else "")
                  for r in problems.itertuples()}
        names = {int(r.touchpoint_id): f"{r.touchpoint_code} · {r.touchpoint_name}" for r in problems.itertuples()}
        st.caption(tr("improve.help.service_problems"))
        tp = st.selectbox(tr("improve.create.service_tp"), list(labels), format_func=labels.get, key="create_svc")
        out.update(touchpoint_id=int(tp), label=names[int(tp)])
    site_names = view.sites
    c1, c2 = st.columns(2)
    # A team lead's plan must lie in their scope: no brand-wide plan, and a team unless the whole site is theirs.
    site = c1.selectbox(tr("improve.col.site"), [*([] if ui.scoped() else [None]), *site_names], key="create_site",
                        format_func=lambda v: tr("improve.all_sites") if v is None else site_names[v])
    teams = cached(team_options, ctx.filters, None if site is None else int(site), ctx.lang)
    team_names = dict(zip(teams["id"], teams["name"], strict=True)) if site is not None else {}
    whole_site = not ui.scoped() or site in (ctx.filters.scope_sites or ())
    team = c2.selectbox(tr("improve.col.team"), [*([None] if whole_site else []), *team_names], key="create_team",
                        format_func=lambda v: tr("improve.all_teams") if v is None else team_names[v])
    out.update(site_id=None if site is None else int(site), team_id=None if team is None else int(team))
    return out


def _create_view() -> None:
    if not ui.can(ui.EDIT_PLANS):
        st.info(tr("improve.err.not_allowed"))
        return
    src = _source()
    if src is None:
        return
    base = cached(baseline_for, src["touchpoint_id"], src["source_kind"], src["site_id"], src["team_id"],
                  src["checklist_item_id"], filters=ctx.filters)
    metric = tr(f"improve.create.metric_{base.kind}", what=src["label"])
    st.caption(tr(f"improve.help.baseline_{base.kind}", n=base.n))
    key = f"{src['source_kind']}_{src['touchpoint_id']}_{src['checklist_item_id']}_{src['site_id']}_{src['team_id']}"
    with st.form("plan_form"):
        title = st.text_input(tr("improve.col.title"), value=src["label"][:120], key=f"pf_title_{key}")
        root = st.selectbox(tr("improve.col.root_cause"), ROOT_CAUSES, index=None, key="pf_root",
                            placeholder=tr("improve.create.choose"), format_func=lambda v: tr(f"improve.root.{v}"),
                            help=tr("improve.help.root_cause"))
        action = st.text_area(tr("improve.col.action"), key="pf_action", help=tr("improve.help.action"))
        c1, c2, c3 = st.columns(3)
        metric_v = c1.text_input(tr("improve.col.metric"), value=metric, key=f"pf_metric_{key}")
        baseline = c2.number_input(tr("improve.col.baseline"), value=base.value, format="%.3f", key=f"pf_base_{key}")
        target = c3.number_input(tr("improve.col.target"), value=None, format="%.3f", key=f"pf_target_{key}")
        c4, c5, c6, c7 = st.columns(4)
        owner = c4.text_input(tr("improve.col.owner"), key="pf_owner")
        department = c5.text_input(tr("improve.col.department"), key="pf_department")
        start = c6.date_input(tr("improve.col.start"), value=date.today(), key="pf_start")
        due = c7.date_input(tr("improve.col.due"), value=date.today() + timedelta(days=60), key="pf_due")
        submitted = st.form_submit_button(tr("improve.create.submit"), type="primary")
    if submitted:
        values = {"title": title, "root_cause": root, "action": action, "metric": metric_v, "baseline": baseline,
                  "target": target, "owner": owner, "department": department, "start_date": start, "due_date": due,
                  **{k: src[k] for k in ("touchpoint_id", "site_id", "team_id", "source_kind", "checklist_item_id")}}
        plan_id = ui.write(create_plan, values)
        if plan_id:
            ui.done(tr("improve.create.saved", id=plan_id), {"plan_view": "detail", "detail_plan": plan_id})


def _detail_view() -> None:
    requested = st.session_state.get("detail_plan", ui.url_int("plan"))
    view = cached(plan_detail_view, ctx.filters, lang, plan_id=requested)
    if not view.plans:
        st.info(tr("improve.board.none"))
        return
    labels = view.plans
    if "detail_plan" not in st.session_state and ui.url_int("plan") in labels:  # a shared link to one plan
        st.session_state["detail_plan"] = ui.url_int("plan")
    if st.session_state.get("detail_plan") not in labels:
        st.session_state.pop("detail_plan", None)
    plan_id = st.selectbox(tr("improve.col.plan"), list(labels), format_func=labels.get, key="detail_plan")
    if plan_id != view.plan_id:  # the view guessed another plan than the widget holds
        view = cached(plan_detail_view, ctx.filters, lang, plan_id=plan_id)
    ui.url_value("plan", plan_id)
    plan = view.plan
    assert plan is not None  # a view with plans has its chosen plan
    ui.plan_facts(plan)
    if ui.can(ui.EDIT_PLANS):
        _plan_actions(int(plan_id), plan)
    _effect(view.effect, view.item_effect)
    st.subheader(tr("improve.detail.history"))
    hist = view.history
    hist = hist.assign(
        old=[ui.history_value(f, v) for f, v in zip(hist["field"], hist["old"], strict=True)],
        new=[ui.history_value(f, v) for f, v in zip(hist["field"], hist["new"], strict=True)],
        field=[ui.code_label("improve.field", f) for f in hist["field"]],
    )
    st.dataframe(hist.astype({"old": "string", "new": "string"}), hide_index=True, key="history_table",
                 column_config={"changed_at": tr("improve.col.changed_at"), "changed_by": tr("improve.col.changed_by"),
                                "field": tr("improve.col.field"), "old": tr("improve.col.old"),
                                "new": tr("improve.col.new")})


def _plan_actions(plan_id: int, plan: dict[str, Any]) -> None:
    cols = st.columns(3)
    if plan["status"] == "open":
        nxt = next_stage(plan["pdca_stage"])
        advance = cols[0].button(tr("improve.detail.advance", stage=tr(f"improve.stage.{nxt}")), type="primary",
                                 key="btn_advance")
        if advance and ui.write(advance_stage, plan_id):
            ui.done(tr("improve.detail.moved", stage=tr(f"improve.stage.{nxt}")))
        if cols[1].button(tr("improve.detail.close"), key="btn_close") and ui.write(close_plan, plan_id) is not None:
            ui.done(tr("improve.detail.closed"))
        if cols[2].button(tr("improve.detail.cancel"), key="btn_cancel") and ui.write(cancel_plan, plan_id) is not None:
            ui.done(tr("improve.detail.cancelled"))
    elif cols[0].button(tr("improve.detail.reopen"), key="btn_reopen") and ui.write(reopen_plan, plan_id) is not None:
        ui.done(tr("improve.detail.reopened"))
    with st.expander(tr("improve.detail.edit")), st.form(f"edit_plan_{plan_id}"):
        owner = st.text_input(tr("improve.col.owner"), value=plan["owner"])
        department = st.text_input(tr("improve.col.department"), value=plan["department"] or "")
        action = st.text_area(tr("improve.col.action"), value=plan["action"])
        c1, c2 = st.columns(2)
        target = c1.number_input(tr("improve.col.target"), value=None if pd.isna(plan["target"]) else
                                 float(plan["target"]), format="%.3f")
        due = c2.date_input(tr("improve.col.due"), value=plan["due_date"])
        if st.form_submit_button(tr("improve.detail.save")):
            changes = {"owner": owner, "department": department, "action": action, "target": target, "due_date": due}
            if ui.write(update_plan, plan_id, changes) is not None:
                ui.done(tr("improve.detail.saved"))


def _effect(effect: Effect | None, score: Effect | None) -> None:
    st.subheader(tr("improve.detail.effect"))
    st.caption(tr("improve.help.effect"))
    assert effect is not None  # every plan of the view has its effect
    ui.effect_figures(effect, "+.3f", tr("improve.col.before"), tr("improve.col.after"), tr("improve.col.delta"))
    if score is not None:  # a plan from a weak item: did the checked standard itself move?
        st.markdown(f"**{tr('improve.detail.item_score')}**")
        st.caption(tr("improve.help.item_score"))
        ui.effect_figures(score, ".2f", tr("improve.col.score_before"), tr("improve.col.score_after"),
                        tr("improve.col.score_delta"))


def _effects_view() -> None:
    view = cached(plan_effects_view, ctx.filters, lang)
    summary = view.summary
    st.caption(tr("improve.help.effect"))
    cols = st.columns(5)
    for col, (key, value) in zip(cols, [("closed", summary.closed), ("improved", summary.improved),
                                        ("no_change", summary.no_change), ("worse", summary.worse),
                                        ("insufficient", summary.insufficient)], strict=True):
        label = tr("improve.kpi.closed") if key == "closed" else tr(f"improve.verdict.{key}")
        col.metric(label, value, border=True)
    measured = view.measured
    if measured.empty:
        st.info(tr("improve.effects.none"))
        return
    st.altair_chart(effects_chart(measured, lang), width="stretch")
    table = measured.assign(verdict=[tr(f"improve.verdict.{v}") for v in measured["verdict"]])
    st.dataframe(display_frame(table, lang, kinds=_PLAN_KINDS), hide_index=True, key="effects_table",
                 column_order=["id", "title", "touchpoint_name", "site_name", "status", "verdict", "before_mean",
                               "after_mean", "delta", "ci_low", "ci_high", "p_value", "before_n", "after_n"],
                 column_config={**_plan_columns(), "before_mean": tr("improve.col.before"),
                                "after_mean": tr("improve.col.after"), "ci_low": tr("improve.col.ci_low"),
                                "ci_high": tr("improve.col.ci_high"), "p_value": tr("improve.col.p_value"),
                                "before_n": tr("improve.col.before_n"), "after_n": tr("improve.col.after_n")})
    ui.downloads(measured, "plan_effects")


st.title(tr("improve.page.action_plans"))
ui.start_page()
view = ui.view_control("plan_view", VIEWS, "improve.pview")
if view != "detail":
    ui.url_value("plan", None)
{"board": _board_view, "create": _create_view, "detail": _detail_view, "effects": _effects_view}[view]()
