"""The Improve pages' views (inspections, action plans) hold what their pages show, computed once: the same
figures as the library functions they compose, with the pages' own filtering, ordering and fallbacks."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date

import pytest
from sqlalchemy import Engine

from cxdash.auth import local_user
from cxdash.filters import Filters
from cxdash.improve import plans
from cxdash.improve.inspection_results import heatmap, inspection_results, score_trend
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.improve.effect import item_score_effect, plan_effect
from cxdash.metrics.improve.options import service_problems
from cxdash.metrics.improve.plans import effect_summary, plan_board, plan_counts
from cxdash.metrics.improve.weak_items import site_correlation, weak_items
from cxdash.views.action_plans import (
    CARDS_PER_STAGE,
    action_plans_view,
    plan_detail_view,
    plan_effects_view,
    plan_sources_view,
)
from cxdash.views.inspections import (
    checklist_view,
    correlation_view,
    heatmap_view,
    inspections_view,
    record_view,
    results_view,
)
from tests.world import CLOSEDLOOP, item_ids, spread

TODAY = date(2026, 6, 30)
F = Filters()


def _world(engine: Engine) -> dict[str, int]:
    """Gaps at two touchpoints, inspections at two sites, and three plans: one closed, one open and overdue from a
    weak item, one moved to another touchpoint and cancelled."""
    tps = CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    CLOSEDLOOP.gaps(engine, tps["CON02"], 1, spread(date(2025, 10, 5), 20, 4), [-0.2, -0.3] * 10)
    CLOSEDLOOP.gaps(engine, tps["CON02"], 1, spread(date(2026, 3, 1), 20, 4), [0.0, -0.1] * 10)
    CLOSEDLOOP.gaps(engine, tps["REC01"], 2, spread(date(2026, 3, 1), 10, 4), [0.1, -0.1] * 5)
    CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], 1, date(2026, 5, 1), 3.0), (items["CL-REC01-1"], 2, date(2026, 5, 1), 8.0),
                        (items["CL-CON02-1"], 2, date(2026, 5, 2), 6.0)])
    user = local_user()
    base = {"root_cause": "standard", "action": "train", "metric": "gap", "start_date": date(2026, 1, 1)}
    with engine.begin() as conn:
        closed = plans.create_plan(conn, {**base, "touchpoint_id": tps["CON02"], "site_id": 1, "owner": "Li",
                                          "title": "Explain fees", "due_date": date(2026, 2, 28)}, user=user)
        plans.advance_stage(conn, closed, user=user)
        plans.advance_stage(conn, closed, user=user)
        plans.close_plan(conn, closed, on=date(2026, 2, 28), user=user)
        weak = plans.create_plan(conn, {**base, "touchpoint_id": tps["CON02"], "site_id": 1, "owner": "Wang",
                                        "source_kind": "weak_item", "checklist_item_id": items["CL-CON02-1"],
                                        "title": "Fee sheet", "due_date": date(2026, 3, 31)}, user=user)
        cancelled = plans.create_plan(conn, {**base, "touchpoint_id": tps["CON02"], "site_id": 2, "owner": "Li",
                                             "title": "Greeting", "due_date": date(2026, 9, 1)}, user=user)
        plans.update_plan(conn, cancelled, {"touchpoint_id": tps["REC01"]}, user=user)
        plans.cancel_plan(conn, cancelled, user=user)
    return {"closed": closed, "weak": weak, "cancelled": cancelled, **{f"tp_{k}": v for k, v in tps.items()}}


def test_views_are_frozen_and_cacheable(engine: Engine) -> None:
    _world(engine)
    for view in (inspections_view(engine, F), action_plans_view(engine, F, today=TODAY),
                 plan_detail_view(engine, F, today=TODAY), plan_effects_view(engine, F, today=TODAY)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.lang = "en"  # type: ignore[misc,union-attr]
        pickle.loads(pickle.dumps(view))  # Streamlit's cache pickles what it keeps


def test_inspections_view_is_weak_items_with_their_correlation(engine: Engine) -> None:
    ids = _world(engine)
    view = inspections_view(engine, F, "zh-Hans")
    weak = weak_items(engine, F, "zh-Hans")
    assert view.weak.equals(weak)
    assert view.touchpoints == dict(zip(weak["touchpoint_id"], weak["touchpoint_name"], strict=False))
    assert view.equal_weights == bool((weak["importance_source"] == "equal").all())
    corr = site_correlation(engine, F, None, "zh-Hans")
    assert (view.correlation.n_sites, view.correlation.pairs.to_dict()) == (corr.n_sites, corr.pairs.to_dict())
    one = correlation_view(engine, F, "en", touchpoint_id=ids["tp_CON02"])
    assert one.pairs.equals(site_correlation(engine, F, ids["tp_CON02"]).pairs)


def test_inspection_views_other_than_weak_items(engine: Engine) -> None:
    ids = _world(engine)
    assert heatmap_view(engine, F).heatmap.equals(heatmap(engine, F, "en"))
    res = results_view(engine, F, touchpoint_id=ids["tp_CON02"])
    assert res.trend.equals(score_trend(engine, F, ids["tp_CON02"]))
    assert res.results.equals(inspection_results(engine, F, "en", (), (ids["tp_CON02"],)))
    assert len(res.results) == 2 and ids["tp_CON02"] in res.touchpoints
    assert len(results_view(engine, F, limit=1).results) == 1
    rec = record_view(engine, Filters(site_ids=[2]))
    assert rec.sites["id"].tolist() == [2] and rec.items["active"].all()
    cl = checklist_view(engine, F)
    assert cl.touchpoints[ids["tp_CON02"]].startswith("CON02 · ")
    assert len(cl.items) == len(rec.items)  # none retired yet


def test_board_filters_statuses_and_stages(engine: Engine) -> None:
    ids = _world(engine)
    view = action_plans_view(engine, F, today=TODAY)
    assert view.counts == plan_counts(engine, F, TODAY)
    assert sorted(view.board["id"]) == sorted([ids["closed"], ids["weak"]])  # cancelled folded away at first
    everything = action_plans_view(engine, F, statuses=(), today=TODAY).board
    assert everything.reset_index(drop=True).equals(plan_board(engine, F, "en", today=TODAY))
    assert view.owners == ["Li", "Wang"] and set(view.sites) == {1, 2, 3, 4}
    assert view.touchpoints[ids["tp_REC01"]].startswith("REC01 · ")
    mine = action_plans_view(engine, F, plan_owners=("Li",), statuses=("cancelled",), today=TODAY)
    assert mine.board["id"].tolist() == [ids["cancelled"]]
    by_stage = {s.stage: s for s in view.stages}
    assert [s.stage for s in view.stages] == list(plans.PDCA)
    assert by_stage["plan"].open_plans["id"].tolist() == [ids["weak"]] and by_stage["plan"].n_open == 1
    assert sum(s.n_finished for s in view.stages) == 1
    assert all(len(s.open_plans) <= CARDS_PER_STAGE for s in view.stages)


def test_plan_detail_view(engine: Engine) -> None:
    ids = _world(engine)
    first = plan_detail_view(engine, F, today=TODAY)
    assert set(first.plans) == {ids["closed"], ids["weak"], ids["cancelled"]}
    assert first.plan_id == next(iter(first.plans))  # no plan asked for: the first, by due date
    assert plan_detail_view(engine, F, plan_id=999, today=TODAY).plan_id == first.plan_id
    view = plan_detail_view(engine, F, plan_id=ids["weak"], today=TODAY)
    assert view.plan is not None and view.plan["title"] == "Fee sheet" and view.plan["overdue"]
    assert view.effect == plan_effect(engine, ids["weak"], TODAY, F)
    assert view.item_effect == item_score_effect(engine, ids["weak"], TODAY, F)
    assert view.item_effect is not None  # a plan from a weak item
    moved = plan_detail_view(engine, F, plan_id=ids["cancelled"]).history
    moved = moved[moved["field"] == "touchpoint_id"]
    assert moved["old"].tolist()[0] is None and moved["new"].tolist()[0].startswith("CON02 · ")
    assert moved["old"].tolist()[-1].startswith("CON02 · ") and moved["new"].tolist()[-1].startswith("REC01 · ")
    assert plan_detail_view(engine, F, plan_id=ids["closed"], today=TODAY).item_effect is None


def test_plan_detail_view_without_plans(engine: Engine) -> None:
    CLOSEDLOOP.org(engine)
    view = plan_detail_view(engine, F)
    assert (view.plans, view.plan_id, view.plan, view.effect) == ({}, None, None, None)
    assert view.history.empty


def test_plan_sources_and_effects(engine: Engine) -> None:
    _world(engine)
    assert plan_sources_view(engine, F).choices.equals(weak_items(engine, F, "en"))
    gaps = plan_sources_view(engine, F, source="gap").choices
    assert gaps.equals(gap_table(engine, F, "en").sort_values("gap", na_position="last"))
    service = plan_sources_view(engine, F, "zh-Hant", source="service")
    assert service.choices.equals(service_problems(engine, F, "zh-Hant")) and set(service.sites) == {1, 2, 3, 4}
    eff = plan_effects_view(engine, F, today=TODAY)
    assert eff.summary == effect_summary(engine, F, TODAY)
    board = plan_board(engine, F, "en", today=TODAY)
    assert eff.measured.equals(board[board["delta"].notna()]) and not eff.measured.empty
