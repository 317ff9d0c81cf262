"""Follow-up cases on both databases: dedupe, idempotent runs, due times on a business calendar, owners, batch
deletion, ticket rules, and the cases an upload opens inside its own transaction."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, insert, select, update

from cxdash.db import data_version
from cxdash.followup.cases import open_cases, run_for_batch, run_ticket_rules
from cxdash.followup.due import business_minutes_between, due_at
from cxdash.followup.owners import pick_owner
from cxdash.followup.rules import Rule
from cxdash.followup.triggers import Trigger
from cxdash.imports.batches import delete_batch
from cxdash.schema import audit_log, case_event, case_trigger, followup_case, ticket, user_scope
from cxdash.service.calendar import Calendar
from cxdash.service.policies import save_calendar
from tests.support.followup_world import NOW, WORLD, batch, rule, setup, user
from tests.support.imports import load
from tests.world import IMPORTS

fc, ct, ev = followup_case.c, case_trigger.c, case_event.c
DAY = date(2026, 12, 1)
OFFICE = {str(d): [["09:00", "18:00"]] for d in range(5)}  # Monday to Friday, 09-18
HOLIDAY = "2026-12-07"  # the Monday after NOW


def _cases(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(followup_case).order_by(fc.id)).mappings()]


def _triggers_of(engine: Engine, case_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(ct.response_id).where(ct.case_id == case_id).order_by(ct.response_id))
                    .scalars())


def _events(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(ev.case_id, ev.action, ev.from_status, ev.to_status)
                                               .order_by(ev.id))]


def _count(engine: Engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def _bad(engine: Engine, b: int, rows: list[dict]) -> list[int]:
    """Detractor responses (likelihood to recommend 2) of batch ``b`` on ``DAY`` unless a row says otherwise."""
    return WORLD.responses(engine, [{"batch_id": b, "visit_date": DAY, "ltr": 2, **r} for r in rows])


def _run(engine: Engine, b: int, now: datetime = NOW) -> list[int]:
    with engine.begin() as conn:
        return run_for_batch(conn, b, now)


# --- dedupe -----------------------------------------------------------------------------------------------
def test_a_customer_found_by_several_rules_gets_one_case_with_the_highest_severity(engine: Engine) -> None:
    setup(engine)
    low = rule(engine, "ltr_at_most", {"threshold": 6}, severity="low")
    high = rule(engine, "tier_disappointed", {}, severity="high")
    b = batch(engine)
    both = _bad(engine, b, [{"customer_id": 1, "tier": 0}])  # a detractor, disappointed: both rules find them
    _bad(engine, b, [{"customer_id": 2}])  # a detractor only
    _run(engine, b)
    cases = _cases(engine)
    assert [(c["customer_id"], c["rule_id"], c["severity"]) for c in cases] == [(1, high.id, "high"), (2, low.id, "low")]
    with engine.connect() as conn:
        listed = conn.execute(select(ct.rule_id, ct.response_id).where(ct.case_id == cases[0]["id"])
                              .order_by(ct.rule_id)).all()
    assert sorted(tuple(r) for r in listed) == sorted([(low.id, both[0]), (high.id, both[0])])
    assert _run(engine, b) == [] and len(_cases(engine)) == 2  # idempotent


def test_an_answer_without_a_customer_found_by_several_rules_gets_one_case(engine: Engine) -> None:
    """Whoever gave the answer is one unhappy customer: one call, however many rules the answer met."""
    setup(engine)
    low = rule(engine, "ltr_at_most", {"threshold": 6}, severity="low")
    high = rule(engine, "tier_disappointed", {}, severity="high")
    b = batch(engine)
    both, alone = _bad(engine, b, [{"tier": 0}, {}])  # no customer: both rules find the first, one the second
    opened = _run(engine, b)
    cases = _cases(engine)
    assert opened == [c["id"] for c in cases]
    assert [(c["dedupe_key"], c["rule_id"], c["severity"]) for c in cases] == [
        (f"response:id:{both}:batch:{b}", high.id, "high"), (f"response:id:{alone}:batch:{b}", low.id, "low")]
    with engine.connect() as conn:
        listed = conn.execute(select(ct.rule_id, ct.response_id).where(ct.case_id == cases[0]["id"])).all()
    assert sorted(tuple(r) for r in listed) == sorted([(low.id, both), (high.id, both)])
    with engine.connect() as conn:  # opened by the import with both triggers: one "open" event naming both rules
        opening = conn.execute(select(ev.action, ev.detail).where(ev.case_id == cases[0]["id"])).all()
    assert [(a, d["triggers"], d["rules"]) for a, d in opening] == [("open", 2, [high.id, low.id])]
    assert _run(engine, b) == [] and len(_cases(engine)) == 2  # idempotent


def test_one_customer_with_several_answers_gets_one_case_listing_every_trigger(engine: Engine) -> None:
    setup(engine)
    r = rule(engine, "ltr_at_most", {"threshold": 6}, severity="high")
    b = batch(engine)
    c1 = _bad(engine, b, [{"customer_id": 1, "visit_date": DAY - timedelta(days=d)} for d in (0, 2, 4)])
    c2 = _bad(engine, b, [{"customer_id": 2, "site_id": 2}])
    anon = _bad(engine, b, [{}, {"site_id": 3}])
    _bad(engine, b, [{"customer_id": 3, "ltr": 9}])  # a promoter: no case
    version = data_version(engine)
    opened = _run(engine, b)
    cases = _cases(engine)
    assert opened == [c["id"] for c in cases] and len(cases) == 4
    by_key = {c["dedupe_key"]: c for c in cases}
    one = by_key["response:customer:1"]
    assert _triggers_of(engine, one["id"]) == sorted(c1)
    assert (one["customer_id"], one["site_id"], one["team_id"], one["region_id"], one["severity"], one["status"],
            one["opened_at"], one["batch_id"], one["source"]) == (1, 1, 1, 1, "high", "new", NOW, b, "response")
    assert one["detail"]["triggers"] == 3 and one["detail"]["ltr"] == 2
    assert _triggers_of(engine, by_key["response:customer:2"]["id"]) == c2
    assert [_triggers_of(engine, by_key[f"response:id:{i}:batch:{b}"]["id"]) for i in anon] == [[i] for i in anon]
    assert by_key[f"response:id:{anon[1]}:batch:{b}"]["site_id"] == 3
    assert _events(engine) == [(c["id"], "open", None, "new") for c in cases]
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log.c.action, audit_log.c.entity_id, audit_log.c.detail)
                             .where(audit_log.c.action == "followup_case.open")).all()
    assert [(a, e, d["opened"], d["triggers"]) for a, e, d in audit] == [("followup_case.open", str(r.id), 4, 6)]
    assert data_version(engine) == version  # an import bumps the version itself

    # Running again opens nothing and records nothing.
    before = (_count(engine, followup_case), _count(engine, case_trigger), _count(engine, case_event))
    assert _run(engine, b) == []
    assert (_count(engine, followup_case), _count(engine, case_trigger), _count(engine, case_event)) == before


def test_a_later_answer_joins_the_open_case_and_a_closed_old_one_does_not_take_it(engine: Engine) -> None:
    setup(engine)
    rule(engine, "ltr_at_most", {"threshold": 6}, window_days=7)
    first = batch(engine)
    _bad(engine, first, [{"customer_id": 1}, {"customer_id": 2}, {"customer_id": 3}, {"customer_id": 4}])
    _run(engine, first)
    ids = {c["customer_id"]: c["id"] for c in _cases(engine)}
    with engine.begin() as conn:
        # Customer 2's case was resolved long ago, 3's yesterday, 4's was withdrawn.
        conn.execute(update(followup_case).where(fc.id == ids[2]).values(status="resolved",
                                                                          opened_at=NOW - timedelta(days=20)))
        conn.execute(update(followup_case).where(fc.id == ids[3]).values(status="resolved"))
        conn.execute(update(followup_case).where(fc.id == ids[4]).values(status="withdrawn"))
    later = batch(engine)
    again = _bad(engine, later, [{"customer_id": c, "visit_date": DAY + timedelta(days=2)} for c in (1, 2, 3, 4, 5)])
    opened = _run(engine, later, NOW + timedelta(hours=2))
    cases = {c["id"]: c for c in _cases(engine)}
    assert sorted(cases[i]["customer_id"] for i in opened) == [2, 4, 5]
    assert len(_triggers_of(engine, ids[1])) == 2 and again[0] in _triggers_of(engine, ids[1])
    assert again[2] in _triggers_of(engine, ids[3]) and cases[ids[3]]["status"] == "resolved"
    assert cases[ids[1]]["updated_at"] == NOW + timedelta(hours=2)
    trig = [e for e in _events(engine) if e[1] == "trigger"]
    assert sorted(e[0] for e in trig) == sorted([ids[1], ids[3]])


def test_kpi_triggers_name_their_key_and_open_one_case_per_period(engine: Engine) -> None:
    setup(engine)
    r = rule(engine, "kpi_below_target", {"kpi": "nps", "level": "site"})
    t = Trigger(rule_id=r.id, source="kpi", customer_id=None, response_id=None, ticket_id=None,  # type: ignore[arg-type]
                batch_id=None, at=datetime(2026, 11, 30), region_id=1, site_id=2, team_id=None, touchpoint_id=None,
                detail={"kpi": "nps", "value": 12.5, "target": 30, "period": "2026-11",
                        "dedupe_key": f"rule:{r.id}:site:2:2026-11"})
    version = data_version(engine)
    with engine.begin() as conn:
        first = open_cases(conn, r, [t], NOW)
        assert open_cases(conn, r, [t], NOW + timedelta(days=1)) == []
    (case,) = _cases(engine)
    assert first == [case["id"]] and case["source"] == "kpi" and case["batch_id"] is None
    assert case["detail"]["value"] == 12.5 and "dedupe_key" not in case["detail"]
    assert data_version(engine) > version  # outside an import the run bumps it


# --- due times --------------------------------------------------------------------------------------------
def test_due_time_counts_business_hours_across_a_weekend_and_a_holiday(engine: Engine) -> None:
    setup(engine)
    opened = NOW  # Friday 2026-12-04 17:00
    r = Rule(id=1, name="r", kind="ltr_at_most", params={"threshold": 6}, response_hours=24)
    with engine.begin() as conn:
        assert due_at(conn, r, opened) == opened + timedelta(hours=24)  # no calendar at all: 24x7
        office = save_calendar(conn, "Office", Calendar.from_json("UTC", OFFICE, [HOLIDAY]))
        save_calendar(conn, "Round the clock", Calendar.from_json("UTC", {str(d): [["00:00", "24:00"]]
                                                                          for d in range(7)}))
        # Friday 17-18 (1 h), the weekend and Monday's holiday closed, Tuesday and Wednesday 9 h each, Thursday
        # 09-14 (5 h): 24 business hours.
        expected = datetime(2026, 12, 10, 14, 0)
        assert due_at(conn, r, opened) == expected  # no calendar named: the first one
        assert business_minutes_between(conn, r, opened, expected) == pytest.approx(24 * 60)
        assert business_minutes_between(conn, office, opened, datetime(2026, 12, 8, 10)) == pytest.approx(120)
    with_cal = rule(engine, "ltr_at_most", {"threshold": 6}, calendar_id=office, response_hours=24)
    b = batch(engine)
    _bad(engine, b, [{"customer_id": 1}])
    (case_id,) = _run(engine, b)
    assert _cases(engine)[0]["due_at"] == expected and _cases(engine)[0]["id"] == case_id
    with engine.connect() as conn:
        assert due_at(conn, Rule(**{**with_cal.__dict__, "calendar_id": office + 1}), opened) == opened + timedelta(
            hours=24)


# --- owners -----------------------------------------------------------------------------------------------
def test_the_owner_is_the_team_lead_else_the_site_manager_else_the_named_user(engine: Engine) -> None:
    setup(engine)
    lead1 = user(engine, "lead1@x.org", "team_lead", teams=(1,))
    manager1 = user(engine, "mgr1@x.org", "team_lead", sites=(1,))
    user(engine, "lead2@x.org", "team_lead", teams=(2,), active=False)
    manager2 = user(engine, "mgr2@x.org", "team_lead", sites=(2,))
    named = user(engine, "cx@x.org", "cx_lead")
    gone = user(engine, "gone@x.org", "cx_lead", active=False)
    r = Rule(id=1, name="r", kind="ltr_at_most", params={"threshold": 6}, owner_user_id=named)
    with engine.begin() as conn:
        conn.execute(insert(user_scope).values(user_id=named, site_id=4, team_id=None))  # a CX lead as site manager
        got = {(s, tm): pick_owner(conn, r, s, tm) for s, tm in ((1, 1), (1, None), (2, 2), (3, 3), (4, 4))}
        assert pick_owner(conn, Rule(**{**r.__dict__, "owner_user_id": None}), 3, 3) is None
        assert pick_owner(conn, Rule(**{**r.__dict__, "owner_user_id": gone}), 3, 3) is None
    assert got == {(1, 1): lead1, (1, None): manager1, (2, 2): manager2, (3, 3): named, (4, 4): named}
    saved = rule(engine, "ltr_at_most", {"threshold": 6}, owner_user_id=named)
    b = batch(engine)
    _bad(engine, b, [{"customer_id": 1, "site_id": 1}, {"customer_id": 2, "site_id": 2},
                     {"customer_id": 3, "site_id": 3}])
    _run(engine, b)
    assert {c["customer_id"]: c["owner_user_id"] for c in _cases(engine)} == {1: lead1, 2: manager2, 3: named}
    assert saved.owner_user_id == named


# --- batch deletion ---------------------------------------------------------------------------------------
def test_deleting_a_batch_withdraws_its_open_cases_and_keeps_their_history(engine: Engine) -> None:
    setup(engine)
    rule(engine, "ltr_at_most", {"threshold": 6})
    first, second = batch(engine), batch(engine)
    _bad(engine, first, [{"customer_id": 1}, {"customer_id": 2}, {"customer_id": 3}])
    _run(engine, first)
    _bad(engine, second, [{"customer_id": 3}])  # customer 3's case now rests on both batches
    _run(engine, second)
    ids = {c["customer_id"]: c["id"] for c in _cases(engine)}
    with engine.begin() as conn:
        conn.execute(update(followup_case).where(fc.id == ids[2]).values(status="resolved"))
    delete_batch(engine, first, actor="admin@x.org")
    status = {c["customer_id"]: (c["status"], c["closed_at"] is not None) for c in _cases(engine)}
    assert status == {1: ("withdrawn", True), 2: ("resolved", False), 3: ("new", False)}
    assert len(_triggers_of(engine, ids[1])) == 1  # the history stays
    assert (ids[1], "withdraw", "new", "withdrawn") in _events(engine)
    with engine.connect() as conn:
        audit = conn.execute(select(audit_log.c.actor, audit_log.c.detail)
                             .where(audit_log.c.action == "followup_case.withdraw_batch")).all()
    assert [(a, d) for a, d in audit] == [("admin@x.org", {"cases": 1})]
    delete_batch(engine, second)
    assert {c["customer_id"]: c["status"] for c in _cases(engine)}[3] == "withdrawn"


# --- ticket rules -----------------------------------------------------------------------------------------
def test_ticket_rules_run_idempotently(engine: Engine) -> None:
    setup(engine)
    rule(engine, "ticket_chased", {"times": 2})
    rule(engine, "ticket_at_risk", {"which": "either"}, active=False)
    WORLD.tickets(engine, [{"status": "open", "created_at": NOW - timedelta(hours=5), "reminder_count": n,
                            "customer_id": c} for n, c in ((3, 1), (2, 1), (1, 2), (4, None))])
    with engine.begin() as conn:
        opened = run_ticket_rules(conn, NOW)
    assert len(opened) == 2  # customer 1's two tickets in one case, the anonymous one alone
    assert sorted(len(_ticket_triggers(engine, i)) for i in opened) == [1, 2]
    version = data_version(engine)
    with engine.begin() as conn:
        assert run_ticket_rules(conn, NOW + timedelta(hours=1)) == []
    assert _count(engine, case_trigger) == 3 and data_version(engine) == version


def _ticket_triggers(engine: Engine, case_id: int) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(ct.ticket_id).where(ct.case_id == case_id)).scalars())


# --- uploads ----------------------------------------------------------------------------------------------
SURVEY = """response_id,customer_id,site,team,visit_date,nps,csat,comment
u1,C1,S01,A,2026-11-20,3,2,waited too long
u2,C1,S01,A,2026-11-22,5,3,still waiting
u3,C2,S02,,2026-11-25,10,5,great
u4,C3,S01,A,2026-11-26,2,1,
u5,C4,S01,A,2026-05-01,0,1,an old visit
"""


def test_an_upload_opens_its_cases_in_its_transaction_and_a_refused_or_dry_run_opens_none(engine: Engine) -> None:
    ids = IMPORTS.org(engine)
    lead = user(engine, "lead@x.org", "team_lead", teams=(ids["t1"],))
    rule(engine, "ltr_at_most", {"threshold": 6}, severity="high")
    assert load(engine, SURVEY, dry_run=True).status == "dry_run"
    refused = load(engine, SURVEY + "u6,C5,S01,A,not a date,1,1,\n", all_or_nothing=True)
    assert refused.status == "refused"
    assert _count(engine, followup_case) == 0
    result = load(engine, SURVEY, actor="cx@x.org")
    assert result.status == "loaded" and "alerts" in result.timings
    cases = _cases(engine)
    # C1's two detractor answers make one case, C3's another; u5's visit is too old to call about.
    assert [(c["batch_id"], c["owner_user_id"], c["team_id"], c["detail"]["triggers"]) for c in cases] == [
        (result.batch_id, lead, ids["t1"], 2), (result.batch_id, lead, ids["t1"], 1)]
    assert all(c["opened_at"] == datetime(2026, 12, 1, 12, 0) for c in cases)  # the upload's moment
    again = load(engine, SURVEY.replace("\nu", "\nv"), name="again.csv")  # new responses, same customers: joined
    assert again.status == "loaded" and len(_cases(engine)) == 2
    assert _count(engine, case_trigger) == 6
    delete_batch(engine, result.batch_id)  # type: ignore[arg-type]
    assert [c["status"] for c in _cases(engine)] == ["new", "new"]  # both rest on the second upload too
    delete_batch(engine, again.batch_id)  # type: ignore[arg-type]
    assert [c["status"] for c in _cases(engine)] == ["withdrawn", "withdrawn"]


def test_a_ticket_upload_runs_the_ticket_rules_on_its_tickets(engine: Engine) -> None:
    IMPORTS.org(engine)
    chased = rule(engine, "ticket_chased", {"times": 2})
    breached = rule(engine, "ticket_breached", {"which": "either"})
    rule(engine, "ltr_at_most", {"threshold": 6})  # a response rule: not run on tickets
    text = ("Ticket ID,Created,First response,Resolved,Ticket Priority,Status,Site,Category,Customer,Reminders\n"
            "T1,2026-11-30 09:00,,,Normal,open,S01,billing,C1,3\n"
            "T2,2026-11-30 09:00,2026-11-30 09:10,2026-11-30 10:00,Normal,resolved,S01,billing,C2,0\n"
            "T3,2026-12-01 19:00,,,Normal,open,S02,repair,C3,2\n")
    result = load(engine, text, kind="tickets")  # judged at 2026-12-01 12:00 UTC (20:00 in Shanghai)
    assert (result.status, result.inserted) == ("loaded", 3)
    with engine.connect() as conn:
        got = conn.execute(select(ct.rule_id, fc.source, ticket.c.external_id, ct.batch_id)
                           .join(case_trigger, ct.case_id == fc.id).join(ticket, ticket.c.id == ct.ticket_id)).all()
        per_case = conn.execute(select(ticket.c.external_id, ct.case_id)
                                .join(case_trigger, ticket.c.id == ct.ticket_id)).all()
    assert sorted(tuple(g) for g in got) == sorted([
        (chased.id, "ticket", "T1", result.batch_id), (chased.id, "ticket", "T3", result.batch_id),
        (breached.id, "ticket", "T1", result.batch_id)])
    # T1, chased and breached, is one case (one customer, one call) listing both triggers; T3 another.
    assert len({case for ext, case in per_case if ext == "T1"}) == 1 and len({case for _, case in per_case}) == 2
