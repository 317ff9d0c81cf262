"""Stored SLA facts per ticket: policy match, business minutes, due and at-risk times, repeat flags.

Default policies (cxdash.service.policies): normal = 240 min first response, 1440 min resolution on the service
calendar (Shanghai, Mon-Fri 09-12 and 13-18, Sat 09-12); urgent = 30 / 480 min on the extended calendar
(08-20 every day); at risk at 80 %. November 2026 has no holidays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select, update

from cxdash.schema import business_calendar, sla_policy, ticket
from cxdash.service.compute import recompute_for_policy_change, recompute_tickets
from cxdash.service.policies import (
    ensure_default_policies,
    list_calendars,
    list_policies,
    match_policies,
    save_calendar,
    save_policy,
)
from tests.world import SERVICE, sh

COLS = ("policy_id", "frt_target_min", "res_target_min", "frt_business_min", "res_business_min",
        "frt_due_at", "res_due_at", "frt_risk_at", "res_risk_at", "is_repeat_7d", "has_repeat_7d")


def stored(engine: Engine) -> dict[int, dict]:
    with engine.connect() as conn:
        return {r.id: dict(r._mapping) for r in conn.execute(select(ticket.c.id, *(ticket.c[c] for c in COLS)))}


def policy_id(engine: Engine, priority: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(sla_policy.c.id).where(sla_policy.c.priority == priority, sla_policy.c.category.is_(None), sla_policy.c.channel.is_(None))).scalar_one())


def test_default_policies_are_idempotent(engine: Engine) -> None:
    with engine.begin() as conn:
        ensure_default_policies(conn)
        ensure_default_policies(conn)
        pols = list_policies(conn)
        cals = list_calendars(conn)
    assert [p.priority for p in pols] == ["urgent", "high", "normal", "low"]
    assert all(p.at_risk_ratio == 0.8 and p.active for p in pols)
    assert len(cals) == 2
    service = next(c for name, c in cals.values() if name == "Service hours")
    assert service.timezone == "Asia/Shanghai" and service.weekly_minutes() == 5 * 480 + 180


def test_hand_computed_timings(engine: Engine) -> None:
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        SERVICE.tickets(conn, [
            {"id": 1, "created_at": sh(2026, 11, 23, 9), "first_response_at": sh(2026, 11, 23, 10),
             "resolved_at": sh(2026, 11, 24, 11), "status": "resolved"},
            {"id": 2, "created_at": sh(2026, 11, 27, 17)},
            {"id": 3, "priority": "urgent", "created_at": sh(2026, 11, 28, 19, 30), "resolved_at": sh(2026, 11, 29, 8, 30), "status": "closed"},
            {"id": 4, "created_at": sh(2026, 11, 23, 10), "first_response_at": sh(2026, 11, 23, 9)},
            {"id": 5, "priority": None, "created_at": sh(2026, 11, 23, 9)},
            {"id": 6, "created_at": sh(2026, 11, 23, 9), "closed_at": sh(2026, 11, 23, 9, 45), "status": "closed"},
            {"id": 7, "created_at": sh(2026, 11, 23, 9), "first_response_at": sh(2026, 11, 23, 9, 5),
             "resolved_at": sh(2026, 11, 23, 9, 30), "status": "open", "reopen_count": 1},
        ])
        assert recompute_tickets(conn) == 7
    got = stored(engine)
    normal, urgent = policy_id(engine, "normal"), policy_id(engine, "urgent")
    t1 = got[1]
    assert (t1["policy_id"], t1["frt_target_min"], t1["res_target_min"]) == (normal, 240, 1440)
    assert t1["frt_business_min"] == 60 and t1["res_business_min"] == 480 + 120
    assert t1["frt_due_at"] == sh(2026, 11, 23, 14) and t1["frt_risk_at"] == sh(2026, 11, 23, 13, 12)
    assert t1["res_due_at"] == sh(2026, 11, 25, 18) and t1["res_risk_at"] == sh(2026, 11, 25, 13, 12)
    t2 = got[2]  # Friday 17:00: one hour on Friday, then Saturday morning
    assert t2["frt_business_min"] is None and t2["res_business_min"] is None
    assert t2["frt_due_at"] == sh(2026, 11, 28, 12) and t2["frt_risk_at"] == sh(2026, 11, 28, 11, 12)
    t3 = got[3]  # urgent, solved without a first response: the resolution answers it
    assert t3["policy_id"] == urgent and t3["frt_business_min"] == 60 and t3["res_business_min"] == 60
    assert t3["frt_due_at"] == sh(2026, 11, 28, 20) and t3["frt_risk_at"] == sh(2026, 11, 28, 19, 54)
    assert got[4]["frt_business_min"] is None  # a response before creation is left empty
    assert got[5]["policy_id"] == normal  # no priority counts as normal
    assert got[6]["res_business_min"] == 45 and got[6]["frt_business_min"] == 45  # closed_at when never resolved
    assert got[7]["frt_business_min"] == 5 and got[7]["res_business_min"] is None  # reopened: open again


def test_most_specific_policy_wins(engine: Engine) -> None:
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        cal = int(conn.execute(select(func.min(business_calendar.c.id))).scalar_one())
        base = {"priority": "normal", "first_response_min": 60, "resolution_min": 600, "calendar_id": cal}
        by_cat = save_policy(conn, {**base, "name": "billing", "category": "billing"})
        by_chan = save_policy(conn, {**base, "name": "chat", "channel": "chat"})
        both = save_policy(conn, {**base, "name": "billing chat", "category": "billing", "channel": "chat"})
        save_policy(conn, {**base, "name": "inactive", "category": "billing", "channel": "chat", "active": False})
        SERVICE.tickets(conn, [
            {"id": 1, "created_at": sh(2026, 11, 23, 9), "category": "billing", "channel": "chat"},
            {"id": 2, "created_at": sh(2026, 11, 23, 9), "category": "billing", "channel": "phone"},
            {"id": 3, "created_at": sh(2026, 11, 23, 9), "category": "warranty", "channel": "chat"},
            {"id": 4, "created_at": sh(2026, 11, 23, 9), "category": "warranty", "channel": "phone"},
            {"id": 5, "created_at": sh(2026, 11, 23, 9), "category": "billing", "channel": "chat", "priority": "low"},
        ])
        recompute_tickets(conn)
        pols = list_policies(conn)
    got = stored(engine)
    assert [got[i]["policy_id"] for i in range(1, 6)] == [both, by_cat, by_chan, policy_id(engine, "normal"), policy_id(engine, "low")]
    assert got[1]["frt_target_min"] == 60
    # The in-memory matcher agrees with the SQL one.
    frame = pd.DataFrame({"priority": ["normal", "normal", "normal", "normal", "low"],
                          "category": ["billing", "billing", "warranty", "warranty", "billing"],
                          "channel": ["chat", "phone", "chat", "phone", "chat"]})
    assert match_policies(pols, frame["priority"], frame["category"], frame["channel"]).tolist() == [got[i]["policy_id"] for i in range(1, 6)]


def test_repeat_flags(engine: Engine) -> None:
    day0 = sh(2026, 11, 2, 10)
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        SERVICE.tickets(conn, [
            # customer 1, billing: day 0 (resolved day 3), day 9 (6 days after that resolution), day 20
            {"id": 1, "customer_id": 1, "created_at": day0, "resolved_at": day0 + timedelta(days=3), "status": "resolved"},
            {"id": 2, "customer_id": 1, "created_at": day0 + timedelta(days=9)},
            {"id": 3, "customer_id": 1, "created_at": day0 + timedelta(days=20)},
            # customer 2: two tickets 5 days apart; another category in between; a merged duplicate
            {"id": 4, "customer_id": 2, "created_at": day0},
            {"id": 5, "customer_id": 2, "created_at": day0 + timedelta(days=2), "category": "warranty"},
            {"id": 6, "customer_id": 2, "created_at": day0 + timedelta(days=1), "merged_into": "T4"},
            {"id": 7, "customer_id": 2, "created_at": day0 + timedelta(days=5)},
            # exactly 7 days apart counts; no customer never counts
            {"id": 8, "customer_id": 3, "created_at": day0},
            {"id": 9, "customer_id": 3, "created_at": day0 + timedelta(days=7)},
            {"id": 10, "customer_id": None, "created_at": day0},
            {"id": 11, "customer_id": None, "created_at": day0 + timedelta(days=1)},
        ])
        recompute_tickets(conn)
    got = stored(engine)
    flags = {i: (got[i]["is_repeat_7d"], got[i]["has_repeat_7d"]) for i in got}
    assert flags == {
        1: (False, True), 2: (False, False), 3: (False, False),
        4: (False, True), 5: (False, False), 6: (False, False), 7: (True, False),
        8: (False, True), 9: (True, False), 10: (False, False), 11: (False, False),
    }


def test_subset_recompute_updates_neighbours(engine: Engine) -> None:
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        SERVICE.tickets(conn, [{"id": 1, "customer_id": 1, "created_at": sh(2026, 11, 2, 10), "status": "resolved",
                            "resolved_at": sh(2026, 11, 3, 10)},
                           {"id": 2, "customer_id": 2, "created_at": sh(2026, 11, 2, 10)}])
        recompute_tickets(conn)
        SERVICE.tickets(conn, [{"id": 3, "customer_id": 1, "created_at": sh(2026, 11, 4, 10)}])
        assert recompute_tickets(conn, [3]) == 1
        assert recompute_tickets(conn, []) == 0
    got = stored(engine)
    assert got[1]["has_repeat_7d"] is True and got[3]["is_repeat_7d"] is True
    from cxdash.domain.service_flags import flags_sql

    with engine.connect() as conn:
        assert all(r[0] == r[1] for r in conn.execute(select(ticket.c.sla_flags, flags_sql())))
    assert got[3]["frt_target_min"] == 240 and got[2]["frt_target_min"] == 240


def test_policy_change_recomputes_with_progress(engine: Engine) -> None:
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        SERVICE.tickets(conn, [{"id": i, "created_at": sh(2026, 11, 23, 9), "first_response_at": sh(2026, 11, 23, 11),
                            "customer_id": 1} for i in range(1, 6)])
        recompute_tickets(conn)
    assert stored(engine)[1]["frt_due_at"] == sh(2026, 11, 23, 14)
    normal = policy_id(engine, "normal")
    seen: list[tuple[int, int]] = []
    with engine.begin() as conn:
        pol = next(p for p in list_policies(conn) if p.id == normal)
        save_policy(conn, {**pol.__dict__, "first_response_min": 60}, normal)
        # A calendar without the lunch break: 09:00-18:00 on weekdays.
        cal_id, (name, cal) = next((k, v) for k, v in list_calendars(conn).items() if v[0] == "Service hours")
        hours = {str(d): [["09:00", "18:00"]] for d in range(5)}
        save_calendar(conn, name, type(cal).from_json(cal.timezone, hours, [], []), cal_id)
        assert recompute_for_policy_change(conn, lambda d, t: seen.append((d, t))) == 5
    got = stored(engine)[1]
    assert got["frt_target_min"] == 60 and got["frt_due_at"] == sh(2026, 11, 23, 10)
    assert got["frt_business_min"] == 120  # 09:00-11:00 without a lunch break in between
    assert got["is_repeat_7d"] is False and stored(engine)[2]["is_repeat_7d"] is True  # flags untouched
    assert seen and seen[-1] == (5, 5) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_invalid_policies_are_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        ensure_default_policies(conn)
        cal = int(conn.execute(select(func.min(business_calendar.c.id))).scalar_one())
        good = {"name": "x", "priority": "normal", "first_response_min": 10, "resolution_min": 20, "calendar_id": cal}
        for bad in ({"priority": "asap"}, {"first_response_min": 0}, {"resolution_min": -5},
                    {"at_risk_ratio": 1.5}, {"name": " "}, {"calendar_id": 999}):
            with pytest.raises(ValueError):
                save_policy(conn, {**good, **bad})


def test_business_time_matches_numpy_reference(engine: Engine) -> None:
    """Random tickets on a 24/7 UTC calendar: business minutes equal wall minutes; due = created + target."""
    rng = np.random.default_rng(5)
    starts = [datetime(2026, 1, 1) + timedelta(minutes=int(m)) for m in rng.integers(0, 200_000, 200)]
    waits = rng.integers(1, 5000, 200)
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        cal = save_calendar(conn, "24/7", type(list_calendars(conn)[1][1]).from_json("UTC", {str(d): [["00:00", "24:00"]] for d in range(7)}))
        conn.execute(update(sla_policy).values(calendar_id=cal))
        SERVICE.tickets(conn, [{"id": i + 1, "created_at": s, "first_response_at": s + timedelta(minutes=int(w))}
                           for i, (s, w) in enumerate(zip(starts, waits, strict=True))])
        recompute_tickets(conn)
    got = stored(engine)
    assert [got[i + 1]["frt_business_min"] for i in range(200)] == waits.astype(float).tolist()
    assert all(got[i + 1]["frt_due_at"] == starts[i] + timedelta(minutes=240) for i in range(200))


def test_outcome_bits_match_sql(engine: Engine) -> None:
    """The bits computed in numpy at recompute equal the same rule in SQL, on varied tickets."""
    from cxdash.domain.service_flags import flags_sql
    from tests.world import service_metrics

    service_metrics(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(ticket.c.id, ticket.c.sla_flags, flags_sql().label("sql"))).all()
    assert rows and all(r.sla_flags == r.sql for r in rows)
    assert len({r.sla_flags for r in rows}) >= 5
