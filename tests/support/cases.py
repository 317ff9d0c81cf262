"""Follow-up cases written directly (rules, cases, triggers) on the EXPERIENCE world's responses and customers,
so the case pages, steps and measures are tested without the rule engine (tests/test_followup_*.py).

``NOW`` is Tuesday 2026-03-10 12:00 UTC; the date range of the measures is March 2026 (:data:`MARCH`). The cases
(team = site but teams 3 and 4 at site 3; touchpoints by code; minutes = first_contact_business_min):

==== ==== ========== ================ ================ ================== ========= ========= ===========
case team customer   opened           due              first contact      minutes   status    recovered
==== ==== ========== ================ ================ ================== ========= ========= ===========
1    1    1          03-03 08:00      03-04 08:00      03-03 10:00        120       resolved  yes training
2    1    2          03-03 09:00      03-04 09:00      03-05 09:00        2880      resolved  no training
3    2    3          03-04 00:00      03-05 00:00      -                  -         new (overdue)
4    3    4          03-10 00:00      03-11 00:00      -                  -         new (due soon)
5    4    5          03-05 00:00      03-06 00:00      03-05 12:00        600       resolved  unknown other
6    1    6          03-06 00:00      03-07 00:00      -                  -         withdrawn
7    2    -          01-10 00:00      01-11 00:00      -                  -         new (overdue, before March)
==== ==== ========== ================ ================ ================== ========= ========= ===========

Customer 1 answers again on 03-03 (the closing day: not "after") and 03-08 (ltr 10, csat 5); customer 2 on 03-06
(ltr 6, csat 2). Touchpoints: cases 1, 2 and 5 at REC02, case 3 at REC03, cases 4, 6 and 7 without one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from cxdash.followup.next_answers import refresh_next_answers
from cxdash.schema import app_user, user_scope
from cxdash.schema.followup import alert_rule, case_event, case_trigger, followup_case
from tests.world import EXPERIENCE

NOW = datetime(2026, 3, 10, 12, 0)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def _d(mo: int, day: int, h: int = 0) -> datetime:
    return datetime(2026, mo, day, h)


CASES: list[dict[str, Any]] = [
    {"id": 1, "team_id": 1, "customer_id": 1, "opened_at": _d(3, 3, 8), "due_at": _d(3, 4, 8),
     "first_contact_at": _d(3, 3, 10), "first_contact_business_min": 120.0, "status": "resolved",
     "closed_at": _d(3, 3, 11), "recovered": "yes", "root_cause": "training", "tp": "REC02", "severity": "high"},
    {"id": 2, "team_id": 1, "customer_id": 2, "opened_at": _d(3, 3, 9), "due_at": _d(3, 4, 9),
     "first_contact_at": _d(3, 5, 9), "first_contact_business_min": 2880.0, "status": "resolved",
     "closed_at": _d(3, 5, 10), "recovered": "no", "root_cause": "training", "tp": "REC02"},
    {"id": 3, "team_id": 2, "customer_id": 3, "opened_at": _d(3, 4), "due_at": _d(3, 5), "status": "new",
     "tp": "REC03", "severity": "low"},
    {"id": 4, "team_id": 3, "customer_id": 4, "opened_at": _d(3, 10), "due_at": _d(3, 11), "status": "new",
     "severity": "high"},
    {"id": 5, "team_id": 4, "customer_id": 5, "opened_at": _d(3, 5), "due_at": _d(3, 6),
     "first_contact_at": _d(3, 5, 12), "first_contact_business_min": 600.0, "status": "resolved",
     "closed_at": _d(3, 5, 13), "recovered": "unknown", "root_cause": "other", "root_cause_note": "pricing",
     "tp": "REC02"},
    {"id": 6, "team_id": 1, "customer_id": 6, "opened_at": _d(3, 6), "due_at": _d(3, 7), "status": "withdrawn",
     "closed_at": _d(3, 8)},
    {"id": 7, "team_id": 2, "customer_id": None, "opened_at": _d(1, 10), "due_at": _d(1, 11), "status": "new"},
]


def build_cases(engine: Engine) -> dict[str, Any]:
    """Write the EXPERIENCE world, its customers and responses, one rule and :data:`CASES` with a trigger each;
    return the touchpoint ids, the response id of each case and the users by role."""
    ids = EXPERIENCE.org(engine)
    EXPERIENCE.customers(engine, [{"id": i, "site_id": EXPERIENCE.site_of_team(min(i, 4))} for i in range(1, 7)])
    trigger_rows = [{"customer_id": c["customer_id"] or None, "team_id": c["team_id"], "ltr": 2, "csat": 1, "tier": 0,
                     "comment": "**Never** again <b>投诉</b> [x](http://evil.example)",
                     "scores": [("REC01", 4, 6), ("REC02", 2, 6), ("REC03", 3, 5)]} for c in CASES]
    responses = EXPERIENCE.responses(engine, trigger_rows)
    EXPERIENCE.responses(engine, [
        {"customer_id": 1, "team_id": 1, "visit_date": date(2026, 3, 3), "ltr": 0, "csat": 1},
        {"customer_id": 1, "team_id": 1, "visit_date": date(2026, 3, 8), "ltr": 10, "csat": 5},
        {"customer_id": 1, "team_id": 1, "visit_date": date(2026, 3, 9), "ltr": 5, "csat": 3},
        {"customer_id": 2, "team_id": 1, "visit_date": date(2026, 3, 6), "ltr": 6, "csat": 2},
    ])
    with engine.begin() as conn:
        conn.execute(insert(alert_rule).values(
            id=1, name="LTR at most 6", kind="ltr_at_most", params={"threshold": 6}, scope_kind="all",
            severity="medium", response_hours=24.0, window_days=7, active=True, created_at=NOW, updated_at=NOW))
        users = {"admin": 1, "cx_lead": 2, "team_lead": 3, "executive": 4, "other_lead": 5}
        for role, uid in users.items():
            conn.execute(insert(app_user).values(
                id=uid, email=f"{role}@example.com", name=role.replace("_", " ").title(),
                role="team_lead" if role == "other_lead" else role, active=True, created_at=NOW))
        conn.execute(insert(user_scope), [{"user_id": 3, "team_id": 1}, {"user_id": 5, "team_id": 2}])
        for case, rid in zip(CASES, responses, strict=True):
            team_id = case["team_id"]
            site_id = EXPERIENCE.site_of_team(team_id)
            values = {k: v for k, v in case.items() if k not in ("tp", "severity")}
            conn.execute(insert(followup_case).values(
                **values, rule_id=1, source="response", region_id=EXPERIENCE.region_of_site(site_id), site_id=site_id,
                touchpoint_id=ids[case["tp"]] if case.get("tp") else None, severity=case.get("severity", "medium"),
                owner_user_id=3 if team_id == 1 else None, dedupe_key=f"1:{case['customer_id']}:{case['id']}",
                updated_at=NOW))
            conn.execute(insert(case_trigger).values(
                case_id=case["id"], rule_id=1, response_id=rid, at=case["opened_at"], detail={"ltr": 2},
                touchpoint_id=ids[case["tp"]] if case.get("tp") else None))
            conn.execute(insert(case_event).values(case_id=case["id"], at=case["opened_at"], action="open",
                                                   to_status="new"))
        refresh_next_answers(conn)  # as resolving each case in the app would
    return {"tp": ids, "responses": responses, "users": users}
