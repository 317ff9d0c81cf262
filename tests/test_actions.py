"""Action plans: validation with clear messages, PDCA moves, history and audit, baselines, counts, effects."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import func, insert, select

from cxdash.auth import User, local_user
from cxdash.db import data_version
from cxdash.filters import Filters
from cxdash.improve import plans
from cxdash.improve.errors import InputError
from cxdash.metrics.improve.baseline import baseline_for
from cxdash.metrics.improve.effect import item_score_effect, plan_effect
from cxdash.metrics.improve.options import service_problems
from cxdash.metrics.improve.plans import effect_summary, plan_board, plan_counts
from cxdash.schema import action_plan_history, audit_log, ticket
from tests.world import CLOSEDLOOP, item_ids, spread

TODAY = date(2026, 6, 30)
ADMIN = local_user()
CX_LEAD = User(email="lead@x", name="Lead", role="cx_lead")


def _values(tp: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "touchpoint_id": tp, "site_id": 1, "root_cause": "training", "action": "Train advisors on cost talks",
        "metric": "Gap at CON02", "baseline": -0.2, "target": 0.0, "owner": "Li Wei", "department": "Service",
        "start_date": date(2026, 1, 1), "due_date": date(2026, 2, 28), "source_kind": "gap",
    }
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("change", "key", "text"),
    [
        ({"owner": "  "}, "improve.err.owner_required", "owner"),
        ({"owner": None}, "improve.err.owner_required", "owner"),
        ({"root_cause": None}, "improve.err.root_cause_required", "root cause"),
        ({"root_cause": "luck"}, "improve.err.bad_root_cause", "luck"),
        ({"due_date": date(2025, 12, 31)}, "improve.err.due_before_start", "before"),
        ({"action": ""}, "improve.err.action_required", "action"),
        ({"metric": ""}, "improve.err.metric_required", "metric"),
        ({"start_date": None}, "improve.err.dates_required", "date"),
        ({"team_id": 2}, "improve.err.team_not_in_site", "team"),
        ({"touchpoint_id": None}, "improve.err.touchpoint_required", "touchpoint"),
    ],
)
def test_invalid_plans_are_refused_with_a_clear_message(engine, change, key, text) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    with pytest.raises(InputError) as err, engine.begin() as conn:
        plans.create_plan(conn, _values(tp, **change), user=ADMIN)
    assert err.value.key == key
    assert text in str(err.value).lower()
    assert err.value.message("zh-Hans") != str(err.value)  # translated
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(action_plan_history)).scalar_one() == 0


def test_create_records_history_audit_and_bumps_the_version(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    v0 = data_version(engine)
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp, team_id=3, site_id=None), user=CX_LEAD)
        plan = plans.get_plan(conn, pid)
    assert plan["site_id"] == 3  # derived from the team
    assert (plan["pdca_stage"], plan["status"]) == ("plan", "open")
    assert plan["title"] == "Train advisors on cost talks"
    assert data_version(engine) > v0
    hist = plans.plan_history(engine, pid)
    assert set(hist["field"]) >= {"owner", "root_cause", "due_date"}
    assert (hist["old"].isna()).all()
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log.c.action, audit_log.c.entity, audit_log.c.actor)).all()
    assert ("create", "action_plan", "lead@x") in audit


def test_pdca_moves_forward_one_step_and_history_keeps_each_move(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp), user=ADMIN)
    with engine.begin() as conn, pytest.raises(InputError) as err:
        plans.set_stage(conn, pid, "check", user=ADMIN)
    assert err.value.key == "improve.err.stage_skip"
    with engine.begin() as conn, pytest.raises(InputError) as err2:
        plans.close_plan(conn, pid, on=date(2026, 3, 1), user=ADMIN)
    assert err2.value.key == "improve.err.close_too_early"
    stages = []
    for _ in range(3):
        with engine.begin() as conn:
            stages.append(plans.advance_stage(conn, pid, user=ADMIN))
    assert stages == ["do", "check", "act"]
    with engine.begin() as conn:
        plans.set_stage(conn, pid, "check", user=ADMIN)  # going back is allowed
        plans.close_plan(conn, pid, on=date(2026, 3, 1), user=ADMIN)
        plan = plans.get_plan(conn, pid)
    assert (plan["status"], plan["closed_on"]) == ("done", date(2026, 3, 1))
    with engine.begin() as conn, pytest.raises(InputError) as err3:
        plans.advance_stage(conn, pid, user=ADMIN)
    assert err3.value.key == "improve.err.plan_not_open"
    hist = plans.plan_history(engine, pid)
    changes = hist[hist["old"].notna()]
    moves = changes[changes["field"] == "pdca_stage"][["old", "new"]].values.tolist()
    assert moves == [["plan", "do"], ["do", "check"], ["check", "act"], ["act", "check"]]
    assert changes[changes["field"] == "status"][["old", "new"]].values.tolist() == [["open", "done"]]


def test_update_validates_the_result_and_records_only_real_changes(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp), user=ADMIN)
    with engine.begin() as conn, pytest.raises(InputError):
        plans.update_plan(conn, pid, {"due_date": date(2025, 1, 1)}, user=ADMIN)
    with engine.begin() as conn:
        diff = plans.update_plan(conn, pid, {"owner": "Wang Fang", "department": "Service"}, user=ADMIN)
    assert diff == {"owner": ["Li Wei", "Wang Fang"]}
    with engine.connect() as conn:
        assert plans.get_plan(conn, pid)["due_date"] == date(2026, 2, 28)


def _effect_data(engine, tp: int) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(3)
    before = list(np.round(rng.normal(-0.15, 0.1, 40), 4))
    after = list(np.round(rng.normal(-0.05, 0.12, 35), 4))
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2025, 10, 5), 40, 2), before)  # inside the 90 days before 2026-01-01
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2026, 3, 1), 35, 3), after)  # after the due date
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2026, 1, 10), 10, 3), [0.9] * 10)  # during the plan: ignored
    CLOSEDLOOP.gaps(engine, tp, 2, spread(date(2026, 3, 1), 10, 3), [-0.9] * 10)  # another site: ignored
    return before, after


def test_effect_matches_scipy_welch(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    before, after = _effect_data(engine, tp)
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp), user=ADMIN)
    eff = plan_effect(engine, pid, today=TODAY)
    ref = stats.ttest_ind(after, before, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert (eff.before_n, eff.after_n) == (40, 35)
    assert eff.before_mean == pytest.approx(np.mean(before))
    assert eff.after_mean == pytest.approx(np.mean(after))
    assert eff.delta == pytest.approx(np.mean(after) - np.mean(before))
    assert eff.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert (eff.ci_low, eff.ci_high) == (pytest.approx(ci.low, rel=1e-6), pytest.approx(ci.high, rel=1e-6))
    assert eff.verdict == ("improved" if ref.pvalue < 0.05 else "no_change")
    assert eff.before_from == date(2026, 1, 1) - timedelta(days=90)
    assert eff.after_from == date(2026, 3, 1)


def test_effect_verdicts_pending_worse_and_closing_day(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2025, 11, 1), 20), [0.1, 0.2] * 10)
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2026, 3, 5), 20), [-0.2, -0.1] * 10)
    with engine.begin() as conn:
        pending = plans.create_plan(conn, _values(tp, due_date=date(2026, 12, 31)), user=ADMIN)
        closed = plans.create_plan(conn, _values(tp, due_date=date(2026, 12, 31)), user=ADMIN)
        for _ in range(2):
            plans.advance_stage(conn, closed, user=ADMIN)
        plans.close_plan(conn, closed, on=date(2026, 3, 4), user=ADMIN)
    assert plan_effect(engine, pending, today=TODAY).verdict == "pending"
    eff = plan_effect(engine, closed, today=TODAY)
    assert (eff.after_from, eff.after_n, eff.verdict) == (date(2026, 3, 5), 20, "worse")
    assert eff.delta == pytest.approx(-0.3)


def test_counts_board_and_summary(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    _effect_data(engine, tp)
    with engine.begin() as conn:
        done = plans.create_plan(conn, _values(tp), user=ADMIN)
        plans.advance_stage(conn, done, user=ADMIN)
        plans.advance_stage(conn, done, user=ADMIN)
        plans.close_plan(conn, done, on=date(2026, 2, 28), user=ADMIN)
        plans.create_plan(conn, _values(tp, owner="Zhao", site_id=3), user=ADMIN)  # overdue (due 2026-02-28)
        plans.create_plan(conn, _values(tp, owner="Sun", due_date=date(2026, 9, 1)), user=ADMIN)
        cancelled = plans.create_plan(conn, _values(tp, owner="Qian"), user=ADMIN)
        plans.cancel_plan(conn, cancelled, user=ADMIN)
    counts = plan_counts(engine, Filters(), today=TODAY)
    assert (counts.open, counts.overdue, counts.closed) == (2, 1, 1)
    assert counts.closed_measured == 1 and counts.closed_improved == 1
    assert plan_counts(engine, Filters(region_ids=(2,)), today=TODAY).open == 1
    assert plan_counts(engine, Filters(scope_sites=(1,)), today=TODAY).overdue == 0
    # Closed plans count when closed by the end of the range (their effect runs from closing to today).
    assert plan_counts(engine, Filters(date_from=date(2026, 3, 1)), today=TODAY).closed == 1
    assert plan_counts(engine, Filters(date_to=date(2026, 2, 27)), today=TODAY).closed == 0
    board = plan_board(engine, Filters(), today=TODAY)
    assert len(board) == 4
    overdue = board[board["overdue"]]
    assert overdue["owner"].tolist() == ["Zhao"] and overdue["days_overdue"].iloc[0] == 122
    assert board.set_index("id").loc[done, "verdict"] == "improved"
    assert plan_board(engine, Filters(), owners=("Sun",), today=TODAY)["owner"].tolist() == ["Sun"]
    summary = effect_summary(engine, Filters(), today=TODAY)
    assert (summary.closed, summary.improved, summary.measured) == (1, 1, 1)


def test_baseline_prefills_gap_or_item_score(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    items = item_ids(engine)
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2026, 5, 1), 4), [-0.1, -0.2, -0.3, -0.2])
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2025, 1, 1), 4), [0.5] * 4)  # older than 90 days: not current
    CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], 1, date(2026, 6, 1), 6.0), (items["CL-CON02-1"], 1, date(2026, 6, 2), 7.0),
                        (items["CL-CON02-1"], 2, date(2026, 6, 2), 2.0)])
    gap = baseline_for(engine, tp, "gap", site_id=1, on=TODAY)
    assert (gap.kind, gap.n) == ("gap", 4) and gap.value == pytest.approx(-0.2)
    score = baseline_for(engine, tp, "weak_item", site_id=1, checklist_item_id=items["CL-CON02-1"], on=TODAY)
    assert (score.kind, score.n, score.value) == ("score", 2, 6.5)
    everywhere = baseline_for(engine, tp, "weak_item", checklist_item_id=items["CL-CON02-1"], on=TODAY)
    assert everywhere.value == pytest.approx(5.0)
    old = baseline_for(engine, tp, "gap", site_id=1, on=date(2025, 6, 1))
    assert old.value == pytest.approx(0.5) and old.date_from is None  # falls back to all earlier data


def test_brand_wide_plan_pools_every_site(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    CLOSEDLOOP.gaps(engine, tp, 1, spread(date(2025, 11, 1), 6), [-0.3, -0.2, -0.1, -0.3, -0.2, -0.25])
    CLOSEDLOOP.gaps(engine, tp, 3, spread(date(2025, 11, 1), 4), [-0.1, 0.0, -0.2, -0.15])
    CLOSEDLOOP.gaps(engine, tp, 2, spread(date(2026, 4, 1), 5), [0.1, 0.0, 0.05, 0.2, 0.1])
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp, site_id=None), user=ADMIN)
    eff = plan_effect(engine, pid, today=TODAY)
    before = [-0.3, -0.2, -0.1, -0.3, -0.2, -0.25, -0.1, 0.0, -0.2, -0.15]
    after = [0.1, 0.0, 0.05, 0.2, 0.1]
    ref = stats.ttest_ind(after, before, equal_var=False)
    assert (eff.before_n, eff.after_n, eff.verdict) == (10, 5, "improved")
    assert eff.p_value == pytest.approx(ref.pvalue, rel=1e-6)


def test_every_problem_of_a_plan_is_reported_at_once(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    bad = _values(tp, owner="", root_cause=None, due_date=date(2025, 12, 1))
    with pytest.raises(InputError) as err, engine.begin() as conn:
        plans.create_plan(conn, bad, user=ADMIN)
    assert err.value.keys == ("improve.err.root_cause_required", "improve.err.owner_required",
                              "improve.err.due_before_start")
    zh = err.value.messages("zh-Hans")
    assert len(zh) == 3 and "负责人" in zh[1] and "2025-12-01" in zh[2]
    assert "owner" in str(err.value) and "before the start date" in str(err.value)


def test_item_score_effect_of_a_plan_from_a_weak_item(engine) -> None:
    tp = CLOSEDLOOP.org(engine)["CON02"]
    item = item_ids(engine)["CL-CON02-1"]
    before, after = [5.0, 6.0, 5.5, 6.5, 5.0], [8.0, 7.5, 9.0, 8.5]
    CLOSEDLOOP.inspections(engine, [(item, 1, d, s) for d, s in zip(spread(date(2025, 10, 10), 5, 15), before, strict=True)])
    CLOSEDLOOP.inspections(engine, [(item, 1, d, s) for d, s in zip(spread(date(2026, 3, 10), 4, 20), after, strict=True)])
    CLOSEDLOOP.inspections(engine, [(item, 2, date(2026, 4, 1), 0.0), (item, 2, date(2026, 4, 2), 1.0)])  # another site
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(tp, source_kind="weak_item", checklist_item_id=item), user=ADMIN)
        other = plans.create_plan(conn, _values(tp), user=ADMIN)
    eff = item_score_effect(engine, pid, today=TODAY)
    assert eff is not None and (eff.before_n, eff.after_n) == (5, 4)
    ref = stats.ttest_ind(after, before, equal_var=False)
    assert eff.delta == pytest.approx(np.mean(after) - np.mean(before))
    assert eff.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert eff.verdict == "improved"
    assert item_score_effect(engine, other, today=TODAY) is None  # not made from a checklist item
    assert item_score_effect(engine, pid, today=date(2026, 2, 1)).verdict == "pending"  # type: ignore[union-attr]


def test_service_problems_rank_touchpoints_by_their_tickets(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    created = datetime(2026, 5, 4, 10)
    rows = [
        {"id": i + 1, "external_id": f"T{i}", "site_id": 1, "team_id": 1, "region_id": 1, "category": "billing",
         "priority": "normal", "created_at": created, "status": "closed", "touchpoint_id": tp,
         "reopen_count": reopen}
        for i, (tp, reopen) in enumerate([(tps["CON02"], 1), (tps["CON02"], 0), (tps["CON02"], 0),
                                          (tps["REC01"], 0), (None, 0)])
    ]
    with engine.begin() as conn:
        conn.execute(insert(ticket), rows)
    problems = service_problems(engine, Filters(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)))
    assert problems["touchpoint_code"].tolist()[:3] == ["CON02", "REC01", "REC02"]  # then journey order
    first = problems.iloc[0]
    assert (first["tickets"], first["reopened"]) == (3, 1)
    assert len(problems) == len(tps) and problems["tickets"].sum() == 4
    assert service_problems(engine, Filters(site_ids=(2,)))["tickets"].sum() == 0
