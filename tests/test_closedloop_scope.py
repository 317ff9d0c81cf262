"""Role and scope of the closed loop's writes, enforced in the cxdash layer whoever calls it (issue 8).

Organisation (tests.world.CLOSEDLOOP): sites 1-4, team n at site n. Lead A is a team lead of site 1; lead T a
team lead of team 2 (at site 2). A refused write raises a translated PermissionError and changes nothing: no plan,
history, inspection, checklist or audit row, and the data version stays where it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from cxdash.auth import User, apply_scope, local_user
from cxdash.db import data_version
from cxdash.filters import Filters
from cxdash.i18n import LANGUAGES, catalog
from cxdash.improve import checklist, plans
from cxdash.improve import inspection_results as results
from cxdash.improve.errors import AccessError, InputError
from cxdash.metrics.improve.baseline import baseline_for
from cxdash.metrics.improve.effect import plan_effect
from cxdash.metrics.improve.plans import owners, plan_board, plan_counts
from cxdash.schema import action_plan, action_plan_history, audit_log, checklist_item, inspection
from tests.world import CLOSEDLOOP, item_ids, spread

TODAY = date(2026, 6, 30)
ADMIN = local_user()
CX_LEAD = User(email="cx@x.org", name="Cai", role="cx_lead")
EXEC = User(email="exec@x.org", name="Eve", role="executive")
LEAD_A = User(email="lead.a@x.org", name="Lena", role="team_lead", scope_sites=(1,))
LEAD_T = User(email="lead.t@x.org", name="Tom", role="team_lead", scope_teams=(2,))
NO_ROLE = User(email="new@x.org", name="New", role=None)
REFUSAL_KEYS = ("improve.err.denied_plans", "improve.err.denied_inspection", "improve.err.denied_checklist",
                "improve.err.plan_out_of_scope", "improve.err.site_out_of_scope")


def _values(tp: int, **kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "touchpoint_id": tp, "site_id": 1, "root_cause": "training", "action": "Explain costs before work",
        "metric": "Gap at CON02", "baseline": -0.2, "target": 0.0, "owner": "Li Wei", "department": "Service",
        "start_date": date(2026, 1, 1), "due_date": date(2026, 12, 31), "source_kind": "gap",
    }
    base.update(kw)
    return base


def _setup(engine: Engine) -> dict[str, int]:
    """Plans made by an admin: one per site 1 and 3, one of team 2, one of site 2 without team, one brand-wide."""
    tp = CLOSEDLOOP.org(engine)["CON02"]
    with engine.begin() as conn:
        ids = {
            "tp": tp,
            "a": plans.create_plan(conn, _values(tp, owner="Owner A"), user=ADMIN),
            "b": plans.create_plan(conn, _values(tp, site_id=3, owner="Owner B"), user=ADMIN),
            "t": plans.create_plan(conn, _values(tp, site_id=None, team_id=2, owner="Owner T"), user=ADMIN),
            "site2": plans.create_plan(conn, _values(tp, site_id=2, owner="Owner S2"), user=ADMIN),
            "brand": plans.create_plan(conn, _values(tp, site_id=None, owner="Owner all"), user=ADMIN),
        }
    return ids


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything a write could change: plans, history, inspections, checklist, audit, data version."""
    with engine.connect() as conn:
        def rows(table: Any) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]

        counts = tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (action_plan_history, audit_log, inspection))
        return rows(action_plan), rows(checklist_item), counts, data_version(engine)


def _refused(engine: Engine, write: Any, key: str | None = None) -> AccessError:
    """Run ``write(conn)`` and assert it raises a PermissionError that wrote nothing."""
    before = _state(engine)
    with pytest.raises(PermissionError) as err, engine.begin() as conn:
        write(conn)
    assert isinstance(err.value, AccessError)
    if key is not None:
        assert err.value.key == key
    assert _state(engine) == before
    return err.value


def _plan_writes(pid: int) -> list[Any]:
    """Every way to change an existing plan, as functions of (conn, user)."""
    return [
        lambda c, u: plans.update_plan(c, pid, {"owner": "Someone else"}, user=u),
        lambda c, u: plans.set_stage(c, pid, "do", user=u),
        lambda c, u: plans.advance_stage(c, pid, user=u),
        lambda c, u: plans.close_plan(c, pid, on=date(2026, 3, 1), user=u),
        lambda c, u: plans.cancel_plan(c, pid, user=u),
        lambda c, u: plans.reopen_plan(c, pid, user=u),
    ]


def test_a_team_lead_cannot_create_or_change_plans_of_another_site(engine) -> None:
    ids = _setup(engine)
    tp = ids["tp"]
    for values in (_values(tp, site_id=3), _values(tp, site_id=None, team_id=3), _values(tp, site_id=None),
                   _values(tp, site_id=2, team_id=2), _values(tp, site_id=3, owner=None)):  # scope before validation
        _refused(engine, lambda c, v=values: plans.create_plan(c, v, user=LEAD_A), "improve.err.plan_out_of_scope")
    for pid in (ids["b"], ids["t"], ids["site2"], ids["brand"]):
        for write in _plan_writes(pid):
            _refused(engine, lambda c, w=write: w(c, LEAD_A), "improve.err.plan_out_of_scope")
    # A plan of their own cannot be moved out of the scope either.
    for change in ({"site_id": 3}, {"site_id": None}, {"site_id": 2, "team_id": 2}):
        _refused(engine, lambda c, ch=change: plans.update_plan(c, ids["a"], ch, user=LEAD_A),
                 "improve.err.plan_out_of_scope")
    with engine.connect() as conn, pytest.raises(AccessError):
        plans.get_plan(conn, ids["b"], user=LEAD_A)


def test_a_team_lead_runs_the_loop_on_plans_of_their_own_site(engine) -> None:
    ids = _setup(engine)
    with engine.begin() as conn:
        own = plans.create_plan(conn, _values(ids["tp"], owner="Lena"), user=LEAD_A)
        team_plan = plans.create_plan(conn, _values(ids["tp"], site_id=None, team_id=1), user=LEAD_A)
        assert plans.get_plan(conn, team_plan, user=LEAD_A)["site_id"] == 1
        assert plans.update_plan(conn, ids["a"], {"owner": "Lena"}, user=LEAD_A) == {"owner": ["Owner A", "Lena"]}
    for _ in range(3):
        with engine.begin() as conn:
            plans.advance_stage(conn, own, user=LEAD_A)
    with engine.begin() as conn:
        plans.set_stage(conn, own, "check", user=LEAD_A)
        plans.close_plan(conn, own, on=date(2026, 3, 1), user=LEAD_A)
        plans.reopen_plan(conn, own, user=LEAD_A)
        plans.cancel_plan(conn, team_plan, user=LEAD_A)
        assert plans.get_plan(conn, own)["status"] == "open"
    hist = plans.plan_history(engine, own)
    assert set(hist["changed_by"]) == {LEAD_A.email}
    with engine.connect() as conn:
        audited = conn.execute(select(func.count()).where(audit_log.c.actor == LEAD_A.email,
                                                          audit_log.c.entity == "action_plan")).scalar_one()
    assert audited == 2 + 1 + 3 + 3 + 1  # two creates, one edit, three moves, back / close / reopen, one cancel


def test_a_team_lead_of_a_team_acts_on_that_team_only(engine) -> None:
    ids = _setup(engine)
    with engine.begin() as conn:
        pid = plans.create_plan(conn, _values(ids["tp"], site_id=None, team_id=2), user=LEAD_T)
        plans.advance_stage(conn, ids["t"], user=LEAD_T)
    _refused(engine, lambda c: plans.create_plan(c, _values(ids["tp"], site_id=2), user=LEAD_T),
             "improve.err.plan_out_of_scope")  # the whole site is not theirs, only the team
    _refused(engine, lambda c: plans.advance_stage(c, ids["site2"], user=LEAD_T), "improve.err.plan_out_of_scope")
    _refused(engine, lambda c: plans.update_plan(c, pid, {"team_id": None}, user=LEAD_T),
             "improve.err.plan_out_of_scope")


def test_team_leads_record_inspections_only_for_sites_in_scope(engine) -> None:
    CLOSEDLOOP.org(engine)
    item = item_ids(engine)["CL-CON02-1"]

    def visit(user: User, site_id: int) -> Any:
        return lambda c: results.record_inspection(c, site_id=site_id, inspected_on=date(2026, 6, 1), inspector="Chen",
                                                   scores={item: 6}, user=user, today=TODAY)

    for user, site_id in ((LEAD_A, 2), (LEAD_A, 3), (LEAD_T, 1), (LEAD_T, 3), (LEAD_A, 99)):
        _refused(engine, visit(user, site_id), "improve.err.site_out_of_scope")
    with engine.begin() as conn:
        assert len(visit(LEAD_A, 1)(conn)) == 1
        assert len(visit(LEAD_T, 2)(conn)) == 1  # the site of their team
    with engine.connect() as conn:
        actors = set(conn.execute(select(audit_log.c.actor).where(audit_log.c.entity == "inspection")).scalars())
    assert actors == {LEAD_A.email, LEAD_T.email}
    # The checklist is brand-wide: only CX leads and admins edit it.
    for user in (LEAD_A, LEAD_T, EXEC, NO_ROLE):
        _refused(engine, lambda c, u=user: checklist.create_item(c, touchpoint_id=1, pain_point="p", standard="s",
                                                                 user=u), "improve.err.denied_checklist")
        _refused(engine, lambda c, u=user: checklist.update_item(c, item, {"frequency": "weekly"}, user=u),
                 "improve.err.denied_checklist")
        _refused(engine, lambda c, u=user: checklist.deactivate_item(c, item, user=u), "improve.err.denied_checklist")


@pytest.mark.parametrize("user", [EXEC, NO_ROLE], ids=["executive", "no_role"])
def test_executives_and_users_without_a_role_write_nothing(engine, user) -> None:
    ids = _setup(engine)
    item = item_ids(engine)["CL-CON02-1"]
    _refused(engine, lambda c: plans.create_plan(c, _values(ids["tp"]), user=user), "improve.err.denied_plans")
    _refused(engine, lambda c: plans.create_plan(c, _values(ids["tp"], owner=None), user=user),
             "improve.err.denied_plans")  # refused as a role, not as an invalid plan
    for pid in (ids["a"], ids["b"], ids["brand"]):
        for write in _plan_writes(pid):
            _refused(engine, lambda c, w=write: w(c, user), "improve.err.denied_plans")
    _refused(engine, lambda c: results.record_inspection(c, site_id=1, inspected_on=date(2026, 6, 1), inspector="x",
                                                         scores={item: 5}, user=user, today=TODAY),
             "improve.err.denied_inspection")


@pytest.mark.parametrize("user", [CX_LEAD, ADMIN], ids=["cx_lead", "admin"])
def test_cx_leads_and_admins_act_everywhere(engine, user) -> None:
    ids = _setup(engine)
    item = item_ids(engine)["CL-CON02-1"]
    with engine.begin() as conn:
        brand = plans.create_plan(conn, _values(ids["tp"], site_id=None), user=user)
        other = plans.create_plan(conn, _values(ids["tp"], site_id=4, team_id=4), user=user)
        for pid in (ids["a"], ids["b"], ids["t"], brand, other):
            plans.update_plan(conn, pid, {"owner": "New owner"}, user=user)
            plans.advance_stage(conn, pid, user=user)
            plans.advance_stage(conn, pid, user=user)
            plans.close_plan(conn, pid, on=date(2026, 3, 1), user=user)
            plans.reopen_plan(conn, pid, user=user)
            plans.cancel_plan(conn, pid, user=user)
        plans.update_plan(conn, ids["site2"], {"site_id": 3}, user=user)
        for site_id in (1, 2, 3, 4):
            results.record_inspection(conn, site_id=site_id, inspected_on=date(2026, 6, 1), inspector="Chen",
                                      scores={item: 7}, user=user, today=TODAY)
        new_item = checklist.create_item(conn, touchpoint_id=ids["tp"], pain_point="p", standard="s", user=user)
        checklist.update_item(conn, new_item, {"frequency": "weekly"}, user=user)
        checklist.deactivate_item(conn, new_item, user=user)
    with engine.connect() as conn:
        statuses = conn.execute(select(action_plan.c.status).where(
            action_plan.c.id.in_([ids["a"], ids["b"], ids["t"], brand, other]))).scalars().all()
        actors = set(conn.execute(select(audit_log.c.actor).where(audit_log.c.actor != ADMIN.email)).scalars())
    assert statuses == ["cancelled"] * 5
    assert actors == ({user.email} if user != ADMIN else set())


def test_validation_still_applies_inside_the_scope(engine) -> None:
    ids = _setup(engine)
    before = _state(engine)
    with pytest.raises(InputError) as err, engine.begin() as conn:
        plans.create_plan(conn, _values(ids["tp"], owner=None, due_date=date(2025, 1, 1)), user=LEAD_A)
    assert set(err.value.keys) == {"improve.err.owner_required", "improve.err.due_before_start"}
    assert _state(engine) == before


def test_refusals_are_translated_permission_errors() -> None:
    cat = catalog()
    for key in REFUSAL_KEYS:
        assert all(cat[key][lang].strip() for lang in LANGUAGES), key
        err = AccessError(key)
        assert isinstance(err, PermissionError)
        assert str(err) == err.message("en") != err.message("zh-Hans") != err.message("zh-Hant")


def test_reads_of_plans_and_inspections_are_limited_to_the_scope(engine) -> None:
    ids = _setup(engine)
    items = item_ids(engine)
    CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], s, date(2026, 5, 1), float(s)) for s in (1, 2, 3)])
    CLOSEDLOOP.gaps(engine, ids["tp"], 3, spread(date(2026, 5, 1), 5), [-0.3] * 5)
    f_a, f_t = apply_scope(Filters(), LEAD_A), apply_scope(Filters(), LEAD_T)
    assert set(plan_board(engine, f_a, with_effect=False)["id"]) == {ids["a"]}
    assert set(plan_board(engine, f_t, with_effect=False)["id"]) == {ids["t"]}
    every = {pid for key, pid in ids.items() if key != "tp"}
    assert set(plan_board(engine, apply_scope(Filters(), CX_LEAD), with_effect=False)["id"]) == every
    assert owners(engine, f_a) == ["Owner A"]
    assert plan_counts(engine, f_a, today=TODAY).open == 1
    assert plans.plan_history(engine, ids["b"], f_a).empty
    assert not plans.plan_history(engine, ids["a"], f_a).empty
    with pytest.raises(LookupError):  # another site's plan: its effect is as unknown as a plan that doesn't exist
        plan_effect(engine, ids["b"], today=TODAY, filters=f_a)
    assert plan_effect(engine, ids["a"], today=TODAY, filters=f_a).plan_id == ids["a"]
    assert set(results.inspection_results(engine, f_a)["site_id"]) == {1}
    assert set(results.inspection_results(engine, f_t)["site_id"]) == {2}
    assert set(results.heatmap(engine, f_a)["site_id"]) == {1}
    assert set(results.site_options(engine, f_t)["id"]) == {2}
    # A baseline is an aggregate of the chosen site's rows: none for a site outside the scope.
    outside = baseline_for(engine, ids["tp"], "gap", site_id=3, on=TODAY, filters=f_a)
    assert (outside.value, outside.n) == (None, 0)
    inside = baseline_for(engine, ids["tp"], "gap", site_id=3, on=TODAY, filters=apply_scope(Filters(), CX_LEAD))
    assert inside.n == 5 and inside.value == pytest.approx(-0.3)


def _refusal_page(url: str) -> None:
    """A page run as lead A (site 1) that tries to create a plan for site 3 through the pages' write helper."""
    from datetime import date

    import streamlit as st

    from cxdash.db import make_engine
    from cxdash.filters import Filters
    from cxdash.improve.plans import create_plan
    from cxdash.ui import improve as ui
    from cxdash.ui.context import PageContext, set_context

    engine = make_engine(url, migrate=False)
    set_context(PageContext(engine, "test", "zh-Hans", Filters(scope_sites=(1,), scope_teams=()), role="team_lead",
                            user="lead.a@x.org"))
    values = {"touchpoint_id": int(st.query_params.get("tp", "1")), "site_id": int(st.query_params.get("site", "3")),
              "root_cause": "training", "action": "a", "metric": "m", "owner": "o", "start_date": date(2026, 1, 1),
              "due_date": date(2026, 2, 1)}
    st.write(f"result={ui.write(create_plan, values)}")


@pytest.mark.apptest
@pytest.mark.parametrize(("site_id", "refused"), [(3, True), (1, False)])
def test_the_page_shows_a_refusal_as_a_clear_translated_message(engine, site_id, refused) -> None:
    ids = _setup(engine)
    before = _state(engine)
    at = AppTest.from_function(_refusal_page, args=(engine.url.render_as_string(hide_password=False),),
                               default_timeout=60)
    at.query_params["tp"] = str(ids["tp"])
    at.query_params["site"] = str(site_id)
    at.run()
    assert not at.exception
    if refused:
        assert [e.value for e in at.error] == [catalog()["improve.err.plan_out_of_scope"]["zh-Hans"]]
        assert at.markdown[-1].value == "result=None"
        assert _state(engine) == before
    else:
        assert not at.error
        assert at.markdown[-1].value != "result=None"
        assert _state(engine) != before
