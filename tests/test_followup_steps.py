"""The case state machine (cxdash.followup.steps) on both databases: transitions, first contact once and on the
rule's business calendar, root cause and outcome, reassigning by role, scope, audit and case events."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from cxdash.auth import User
from cxdash.followup import steps
from cxdash.followup.steps import StepDenied, StepError
from cxdash.schema import action_plan, audit_log
from cxdash.schema.followup import alert_rule, case_event, followup_case
from cxdash.service.calendar import Calendar
from cxdash.service.policies import save_calendar
from tests.support.cases import NOW, build_cases

ADMIN = User("admin@example.com", "Admin", "admin")
CX = User("cx_lead@example.com", "CX", "cx_lead")
LEAD = User("team_lead@example.com", "Lead", "team_lead", scope_teams=(1,))
OTHER = User("other_lead@example.com", "Other", "team_lead", scope_teams=(2,))
EXEC = User("executive@example.com", "Exec", "executive")


def _case(engine, case_id):
    with engine.connect() as conn:
        return conn.execute(select(followup_case).where(followup_case.c.id == case_id)).mappings().one()


def _counts(engine, case_id):
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(case_event).where(case_event.c.case_id == case_id)).scalar()
        audits = conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.entity == "followup_case", audit_log.c.entity_id == str(case_id))).scalar()
    return events, audits


def test_contact_resolve_and_first_contact_once(engine):
    build_cases(engine)
    with engine.begin() as conn:  # case 6 is withdrawn; reopen a fresh one: case 3 (new, team 2)
        steps.contact(conn, 3, CX, NOW, "Called, apologised")
    row = _case(engine, 3)
    assert row["status"] == "contacted" and row["first_contact_at"] == NOW
    # no calendar at all: around the clock, opened 03-04 00:00 -> 03-10 12:00
    assert row["first_contact_business_min"] == pytest.approx(6.5 * 24 * 60)
    with engine.begin() as conn:
        steps.contact(conn, 3, CX, NOW + timedelta(hours=2), "Second call")
        steps.resolve(conn, 3, CX, NOW + timedelta(hours=3), "yes", "other", "parts delay", "Won back")
    row = _case(engine, 3)
    assert row["first_contact_at"] == NOW  # the first contact is kept
    assert (row["status"], row["recovered"], row["root_cause"], row["root_cause_note"]) == (
        "resolved", "yes", "other", "parts delay")
    assert row["closed_at"] == NOW + timedelta(hours=3)
    events, audits = _counts(engine, 3)
    assert (events, audits) == (4, 3)  # the fixture's "open" event + three steps; one audit entry per step
    with engine.connect() as conn:
        actions = [a for (a,) in conn.execute(select(case_event.c.action).where(case_event.c.case_id == 3)
                                              .order_by(case_event.c.id))]
        audit_actions = sorted(a for (a,) in conn.execute(select(audit_log.c.action).where(
            audit_log.c.entity == "followup_case")))
    assert actions == ["open", "contact", "contact", "resolve"]
    assert audit_actions == ["case.contact", "case.contact", "case.resolve"]


def test_transitions_refused(engine):
    build_cases(engine)
    with engine.begin() as conn, pytest.raises(StepError) as err:
        steps.resolve(conn, 3, CX, NOW, "yes", None, None)  # new -> resolved needs a contact first
    assert err.value.key == "followup.error.transition"
    for fn in (lambda c: steps.contact(c, 1, CX, NOW), lambda c: steps.withdraw(c, 2, CX, NOW)):
        with engine.begin() as conn, pytest.raises(StepError):
            fn(conn)  # resolved is final
    with engine.begin() as conn, pytest.raises(StepError) as err:
        steps.add_note(conn, 3, CX, NOW, "   ")
    assert err.value.key == "followup.error.note_required"
    with engine.begin() as conn:
        steps.contact(conn, 3, CX, NOW)
    for bad in ({"recovered": "maybe", "root_cause": None, "root_cause_note": None},
                {"recovered": "yes", "root_cause": "luck", "root_cause_note": None},
                {"recovered": "yes", "root_cause": "other", "root_cause_note": ""}):
        with engine.begin() as conn, pytest.raises(StepError):
            steps.resolve(conn, 3, CX, NOW, **bad)
    assert _case(engine, 3)["status"] == "contacted"


def test_unreachable_then_call_back(engine):
    build_cases(engine)
    with engine.begin() as conn:
        steps.mark_unreachable(conn, 3, CX, NOW, "No answer three times")
    assert _case(engine, 3)["status"] == "unreachable" and _case(engine, 3)["closed_at"] == NOW
    with engine.begin() as conn:
        steps.contact(conn, 3, CX, NOW + timedelta(days=1))
    row = _case(engine, 3)
    assert row["status"] == "contacted" and row["closed_at"] is None
    assert row["first_contact_at"] == NOW + timedelta(days=1)


def test_scope_and_roles(engine):
    build_cases(engine)
    assert steps.can_see(LEAD, {"site_id": 1, "team_id": 1})
    assert not steps.can_see(LEAD, {"site_id": 2, "team_id": 2})
    assert steps.can_see(User("s", "s", "team_lead", scope_sites=(3,)), {"site_id": 3, "team_id": 4})
    assert steps.can_see(EXEC, {"site_id": 2, "team_id": 2}) and not steps.can_see(User("x", "x", None), {})
    before = _counts(engine, 3)
    with engine.begin() as conn, pytest.raises(StepDenied) as err:
        steps.contact(conn, 3, LEAD, NOW)  # team 2's case
    assert err.value.key == "followup.error.scope" and isinstance(err.value, PermissionError)
    with engine.begin() as conn, pytest.raises(StepDenied):
        steps.add_note(conn, 3, EXEC, NOW, "read-only")
    with engine.begin() as conn, pytest.raises(StepDenied) as err:
        steps.reassign(conn, 3, OTHER, NOW, 3)  # in scope, but a team lead may not reassign
    assert err.value.key == "followup.error.reassign_role"
    assert _counts(engine, 3) == before and _case(engine, 3)["status"] == "new"
    with engine.begin() as conn:
        steps.contact(conn, 3, OTHER, NOW)
        steps.reassign(conn, 3, ADMIN, NOW, 5)
    assert _case(engine, 3)["owner_user_id"] == 5
    with engine.begin() as conn, pytest.raises(StepError) as err:
        steps.reassign(conn, 3, ADMIN, NOW, 99)
    assert err.value.key == "followup.error.owner"
    with engine.begin() as conn, pytest.raises(StepError):
        steps.contact(conn, 999, ADMIN, NOW)


def test_link_plan_and_root_cause(engine):
    ids = build_cases(engine)
    with engine.begin() as conn:
        plan_id = conn.execute(insert(action_plan).values(
            title="Retrain reception", touchpoint_id=ids["tp"]["REC02"], site_id=1, root_cause="training",
            action="Role play", metric="gap", owner="Lead", start_date=NOW.date(), due_date=NOW.date(),
            pdca_stage="plan", status="open", created_at=NOW, updated_at=NOW)).inserted_primary_key[0]
        steps.link_plan(conn, 1, LEAD, NOW, plan_id)
        steps.set_root_cause(conn, 1, LEAD, NOW, "standard", None)
    row = _case(engine, 1)
    assert row["action_plan_id"] == plan_id and row["root_cause"] == "standard"
    with engine.begin() as conn, pytest.raises(StepError):
        steps.link_plan(conn, 1, LEAD, NOW, plan_id + 100)
    with engine.begin() as conn:
        steps.link_plan(conn, 1, LEAD, NOW, None)
    assert _case(engine, 1)["action_plan_id"] is None


def test_first_contact_on_the_rules_calendar(engine):
    build_cases(engine)
    office = Calendar.from_json("UTC", {str(d): [["09:00", "18:00"]] for d in range(5)})
    with engine.begin() as conn:
        save_calendar(conn, "Office", Calendar.from_json("UTC", {str(d): [["00:00", "24:00"]] for d in range(7)}))
        cal_id = save_calendar(conn, "Office hours", office)
        conn.execute(alert_rule.update().where(alert_rule.c.id == 1).values(calendar_id=cal_id))
        # opened Friday 2026-03-06 17:00, contacted Monday 03-09 10:00: one hour each side of the weekend
        conn.execute(followup_case.update().where(followup_case.c.id == 3).values(
            opened_at=datetime(2026, 3, 6, 17), due_at=datetime(2026, 3, 9, 17)))
        steps.contact(conn, 3, CX, datetime(2026, 3, 9, 10))
    assert _case(engine, 3)["first_contact_business_min"] == pytest.approx(120)
