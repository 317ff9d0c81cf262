"""Benchmark data of the inner loop (#23): a realistic rule set for the upload, and follow-up cases in bulk.

:func:`save_bench_rules` saves the rules a CX lead would start with (likelihood to recommend at most 6, high; overall
tier disappointed; a touchpoint perceived at least 3 points below expected; complaint keywords in the three
languages), so the upload benchmark (:mod:`bench.upload`) times the import with its ``alerts`` phase, the rules
running in the import's transaction (:func:`cxdash.followup.cases.run_for_batch`).

:func:`generate_cases` writes ``n`` follow-up cases straight into the tables in bulk (no rule runs: the point is the
case page at scale, not how the cases came to be): cases of the view's responses with a customer, opened on the
visit day, one or two triggers each, an ``open`` event and the events of the steps taken, in a realistic mix of
states (recent cases mostly new, older ones mostly resolved with an outcome and a root cause, some unreachable,
withdrawn or left overdue). The case page (:func:`bench.pages.cases_page`) and ``report cases``
(:func:`bench.pages.report_cases`) are then timed like every page.

Everything written belongs to rules named ``bench-...`` (:data:`RULE_PREFIX`), so :func:`remove_bench_cases`
takes it out again (cases, triggers, events, notices, rules) and a reused benchmark database stays what its marker
says; leftovers of an interrupted run are removed the same way first.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Engine, delete, func, insert, select, text
from sqlalchemy.engine import Connection

from cxdash.domain.followup import ROOT_CAUSES
from cxdash.filters import Filters
from cxdash.schema import alert_rule, survey_response, touchpoint
from cxdash.schema.followup import case_event, case_trigger, followup_case, notice

RULE_PREFIX = "bench-"
CASE_RULE = "bench-cases"
CHUNK = 10_000
STEP = {"resolved": "resolve", "unreachable": "unreachable", "withdrawn": "withdraw"}  # case_event.action
# Complaint words as customers write them, in the three languages (and one the upload's comments contain).
KEYWORDS = ["投诉", "再也不", "太差", "complaint", "never again", "not washed", "等待时间太长", "投訴", "再也不會"]


def bench_rules(conn: Connection) -> list[Any]:
    """The rule set of the upload benchmark (see the module docstring), as unsaved rules."""
    from cxdash.followup.rules import Rule

    tp = conn.execute(select(touchpoint.c.id).where(touchpoint.c.code == "CON02")).scalar()
    return [
        Rule(None, f"{RULE_PREFIX}detractors", "ltr_at_most", {"threshold": 6}, severity="high", response_hours=24),
        Rule(None, f"{RULE_PREFIX}disappointed", "tier_disappointed", {}, severity="medium", response_hours=48),
        Rule(None, f"{RULE_PREFIX}gap", "touchpoint_gap", {"touchpoint_id": tp, "min_gap": 3}, severity="medium"),
        Rule(None, f"{RULE_PREFIX}complaints", "comment_keywords", {"keywords": KEYWORDS}, severity="high"),
    ]


def save_bench_rules(engine: Engine, now: datetime) -> list[int]:
    """Save :func:`bench_rules` (after removing any leftovers); return their ids."""
    from cxdash.followup.rules import save_rule

    remove_bench_cases(engine)
    with engine.begin() as conn:
        return [save_rule(conn, rule, "bench", now) for rule in bench_rules(conn)]


def remove_bench_cases(engine: Engine) -> dict[str, int]:
    """Delete every case of the rules named ``bench-...`` with its triggers, events and notices, then the rules;
    return how many cases and rules went."""
    with engine.begin() as conn:
        rules = select(alert_rule.c.id).where(alert_rule.c.name.like(f"{RULE_PREFIX}%")).scalar_subquery()
        cases = select(followup_case.c.id).where(followup_case.c.rule_id.in_(rules)).scalar_subquery()
        conn.execute(delete(notice).where(notice.c.case_id.in_(cases)))
        conn.execute(delete(case_event).where(case_event.c.case_id.in_(cases)))
        conn.execute(delete(case_trigger).where(case_trigger.c.case_id.in_(cases)))
        n_cases = conn.execute(delete(followup_case).where(followup_case.c.rule_id.in_(rules))).rowcount
        n_rules = conn.execute(delete(alert_rule).where(alert_rule.c.name.like(f"{RULE_PREFIX}%"))).rowcount
    return {"cases": int(n_cases or 0), "rules": int(n_rules or 0)}


def _sample_responses(conn: Connection, filters: Filters, n: int) -> dict[str, np.ndarray]:
    """About ``n`` responses of the view with a customer, evenly spread by id (every k-th), at most one per
    customer's visit day."""
    sr = survey_response.c
    conds: list[ColumnElement[bool]] = [sr.customer_id.is_not(None)]
    if filters.date_from is not None:
        conds.append(sr.visit_date >= filters.date_from)
    if filters.date_to is not None:
        conds.append(sr.visit_date <= filters.date_to)
    total = int(conn.execute(select(func.count()).where(*conds)).scalar_one())
    step = max(1, total // max(n, 1))
    rows = conn.execute(select(sr.id, sr.batch_id, sr.customer_id, sr.region_id, sr.site_id, sr.team_id,
                               sr.visit_date).where(*conds, sr.id % step == 0).order_by(sr.id).limit(n)).all()
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [()] * 7
    names = ("response_id", "batch_id", "customer_id", "region_id", "site_id", "team_id", "visit_date")
    return {k: np.array(v, dtype=object) for k, v in zip(names, cols, strict=True)}


def _states(rng: np.random.Generator, age_days: np.ndarray) -> np.ndarray:
    """A status per case by its age: recent cases mostly new or contacted, older ones mostly closed."""
    recent = age_days < 3
    old = rng.choice(["new", "contacted", "resolved", "unreachable", "withdrawn"], len(age_days),
                     p=[0.03, 0.05, 0.75, 0.12, 0.05])
    young = rng.choice(["new", "contacted"], len(age_days), p=[0.6, 0.4])
    return np.where(recent, young, old)


def generate_cases(engine: Engine, filters: Filters, n: int, now: datetime, seed: int = 23) -> dict[str, Any]:
    """Write about ``n`` follow-up cases of the view's responses in bulk (see the module docstring); return the
    counts written and the seconds it took.

    Raises:
        ValueError: the view holds no response with a customer.
    """
    from cxdash.db import bump_data_version, refresh_statistics
    from cxdash.followup.next_answers import refresh_next_answers
    from cxdash.followup.rules import Rule, save_rule

    t0 = time.perf_counter()
    remove_bench_cases(engine)
    rng = np.random.default_rng(seed)
    with engine.begin() as conn:
        rule_id = save_rule(conn, Rule(None, CASE_RULE, "ltr_at_most", {"threshold": 6}, severity="high"),
                            "bench", now)
        picked = _sample_responses(conn, filters, n)
        tps = [int(i) for i in conn.execute(select(touchpoint.c.id).order_by(touchpoint.c.id)).scalars()]
        m = len(picked["response_id"])
        if m == 0:
            raise ValueError("the view holds no response with a customer to open cases for")
        start = int(conn.execute(select(func.coalesce(func.max(followup_case.c.id), 0))).scalar_one()) + 1
        ids = np.arange(start, start + m)
        visit = np.array([datetime.combine(d, datetime.min.time()) for d in picked["visit_date"]], dtype=object)
        opened = visit + np.array([timedelta(minutes=int(x)) for x in rng.integers(8 * 60, 20 * 60, m)])
        opened = np.array([min(o, now) for o in opened], dtype=object)
        due = opened + timedelta(hours=24)
        age = np.array([(now - o).total_seconds() / 86_400 for o in opened])
        status = _states(rng, age)
        contacted = np.isin(status, ["contacted", "resolved"])
        to_contact = rng.exponential(16 * 60, m)  # minutes; about one in five after the 24 h target
        first = [o + timedelta(minutes=float(x)) if c else None for o, x, c in zip(opened, to_contact, contacted,
                                                                                  strict=True)]
        first = [min(f, now) if f is not None else None for f in first]
        resolved = status == "resolved"
        closed = [(f or o) + timedelta(hours=float(h)) if s in ("resolved", "unreachable", "withdrawn") else None
                  for f, o, h, s in zip(first, opened, rng.exponential(30, m), status, strict=True)]
        closed = [min(c, now) if c is not None else None for c in closed]
        outcome = rng.choice(["yes", "no", "unknown"], m, p=[0.55, 0.3, 0.15])
        recovered = [str(o) if r else None for o, r in zip(outcome, resolved, strict=True)]
        causes = rng.choice(list(ROOT_CAUSES), m)
        with_cause = resolved & (rng.random(m) < 0.8)
        cause = [str(c) if w else None for c, w in zip(causes, with_cause, strict=True)]
        severity = rng.choice(["high", "medium", "low"], m, p=[0.3, 0.5, 0.2])
        tp = np.array(tps, dtype=object)[rng.integers(0, len(tps), m)] if tps else np.full(m, None)
        cases = [{
            "id": int(ids[i]), "rule_id": rule_id, "source": "response", "customer_id": int(picked["customer_id"][i]),
            "region_id": picked["region_id"][i], "site_id": picked["site_id"][i], "team_id": picked["team_id"][i],
            "touchpoint_id": tp[i], "severity": str(severity[i]), "status": str(status[i]), "owner_user_id": None,
            "opened_at": opened[i], "due_at": due[i], "first_contact_at": first[i],
            # Business minutes are about a third of the wall-clock ones on a 9-to-6 calendar.
            "first_contact_business_min": None if first[i] is None else round(
                (first[i] - opened[i]).total_seconds() / 180, 1),
            "closed_at": closed[i], "root_cause": cause[i], "root_cause_note": None, "recovered": recovered[i],
            "action_plan_id": None, "batch_id": picked["batch_id"][i],
            "dedupe_key": f"response:customer:{picked['customer_id'][i]}", "detail": None, "updated_at": now,
        } for i in range(m)]
        second = rng.random(m) < 0.2  # one case in five lists a second trigger of another rule's kind
        triggers = [{"case_id": int(ids[i]), "rule_id": rule_id, "response_id": int(picked["response_id"][i]),
                     "ticket_id": None, "batch_id": picked["batch_id"][i], "at": visit[i],
                     "touchpoint_id": tp[i], "detail": {"ltr": int(rng.integers(0, 7))}}
                    for i in range(m) for _ in range(2 if second[i] else 1)]
        events: list[dict[str, Any]] = []
        for i in range(m):
            cid = int(ids[i])
            events.append({"case_id": cid, "at": opened[i], "actor": None, "action": "open", "from_status": None,
                           "to_status": "new", "note": None, "detail": None})
            if first[i] is not None:
                events.append({"case_id": cid, "at": first[i], "actor": "bench", "action": "contact",
                               "from_status": "new", "to_status": "contacted", "note": "called", "detail": None})
            if closed[i] is not None:
                before = "contacted" if first[i] is not None else "new"
                events.append({"case_id": cid, "at": closed[i], "actor": "bench", "action": STEP[str(status[i])],
                               "from_status": before, "to_status": str(status[i]), "note": None, "detail": None})
        for table, rows in ((followup_case, cases), (case_trigger, triggers), (case_event, events)):
            for lo in range(0, len(rows), CHUNK):
                conn.execute(insert(table), rows[lo:lo + CHUNK])
        refresh_next_answers(conn, case_ids=ids.tolist())  # as resolving each case in the app would
        if conn.dialect.name == "postgresql":  # the ids were given: the sequence must move past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('followup_case', 'id'), "
                              "(SELECT max(id) FROM followup_case))"))
        bump_data_version(conn, responses_unchanged=True)  # cases only, as the app writes them
    # Settle the bulk write of half a million rows as a running database settles its trickle of cases (autovacuum's
    # VACUUM sets PostgreSQL's visibility map, which index-only scans need; SQLite checkpoints its write-ahead
    # log), so the pages are timed on a settled database, not on whatever state the write left.
    refresh_statistics(engine, ("followup_case", "case_trigger", "case_event"), vacuum=True)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"cases": m, "triggers": len(triggers), "events": len(events),
            "status": {str(k): int(v) for k, v in zip(*np.unique(status, return_counts=True), strict=True)},
            "seconds": round(time.perf_counter() - t0, 2)}
