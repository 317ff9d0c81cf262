"""Demo action plans: rows for ``action_plan`` and ``action_plan_history`` from :class:`PlanSpec` s.

Each plan reads like one a CX lead would write: a SMART action in Chinese and English matched to its root
cause, the touchpoint gap as its metric with the gap at its start as the baseline, an owner from the site's
advisors, and a history that walks it through PDCA on plausible dates.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert, next_id, reset_sequences
from cxdash.demo import structure as st
from cxdash.demo.closedloop import ACTIONS, DEPARTMENTS, PlanSpec, true_gap
from cxdash.demo.organisation import Org
from cxdash.demo.timeline import N_DAYS, Timeline
from cxdash.schema import action_plan, action_plan_history, checklist_item

PLAN_COLUMNS = [
    "id", "title", "touchpoint_id", "site_id", "team_id", "source_kind", "checklist_item_id", "root_cause",
    "action", "metric", "baseline", "target", "owner", "department", "start_date", "due_date", "pdca_stage",
    "status", "closed_on", "created_by", "created_at", "updated_at",
]
HISTORY_COLUMNS = ["id", "plan_id", "changed_at", "changed_by", "changes"]
AUTHOR = "demo@cxdash.local"


def _stages(kind: str, rng: np.random.Generator) -> tuple[str, str, list[str]]:
    """Final PDCA stage, status and the stages passed through after "plan"."""
    if kind in ("worked", "no_effect"):
        return "act", "done", ["do", "check", "act"]
    if kind == "open":
        return ("check", "open", ["do", "check"]) if rng.random() < 0.4 else ("do", "open", ["do"])
    if kind == "overdue":
        return "do", "open", ["do"]
    if kind == "cancelled":
        return "do", "cancelled", ["do"]
    return "plan", "open", []


def insert_plans(conn: Connection, rng: np.random.Generator, org: Org, tl: Timeline, specs: list[PlanSpec],
                 catalog: list[dict[str, Any]], site_offset: np.ndarray, imps: list[st.Improvement]) -> int:
    """Insert the plans and their history; return the number of plans.

    Args:
        catalog: touchpoints in catalog order, each with ``id``, ``code``, ``name_en``, ``name_zh_hans``.
    """
    if not specs:
        return 0
    codes = [c["code"] for c in catalog]
    items = {int(t): int(i) for i, t in conn.execute(select(checklist_item.c.id, checklist_item.c.touchpoint_id)
                                                     .order_by(checklist_item.c.id.desc()))}
    weak_tp = np.array([c in st.WEAK_TOUCHPOINTS for c in codes], dtype=float)
    starts = np.array([min(s.start_day, N_DAYS - 1) for s in specs])
    base_gap = true_gap(st.baseline_gaps(codes), weak_tp, org, site_offset, np.array([s.site for s in specs]),
                        np.array([s.tp for s in specs]), starts, tl, imps) / (st.TP_MAX - st.TP_MIN)
    plan_id0, hist_id = next_id(conn, action_plan), next_id(conn, action_plan_history)
    plans, history = [], []
    for k, (spec, gap) in enumerate(zip(specs, base_gap.tolist(), strict=True)):
        tp = catalog[spec.tp]
        pid = plan_id0 + k
        stage, status, path = _stages(spec.kind, rng)
        start, due = tl.start + timedelta(days=spec.start_day), tl.start + timedelta(days=spec.due_day)
        closed = min(due + timedelta(days=int(rng.integers(0, 20))), tl.end) if status == "done" else None
        if status == "cancelled":
            closed = min(start + timedelta(days=int(rng.integers(20, 50))), tl.end)
        events = _history(start, due, closed, path, status, tl.end)
        owners = org.advisor_ids[org.team_site[org.advisor_team] == spec.site]
        owner = org.names[int(rng.choice(owners))] if len(owners) else "—"
        source = ("weak_item", "gap", "service")[k % 3]
        zh, en = ACTIONS[spec.root_cause]
        plans.append((
            pid, f"提升「{tp['name_zh_hans']}」 Improve '{tp['name_en']}'", tp["id"], int(org.site_ids[spec.site]),
            int(org.team_ids[spec.team]) if spec.team >= 0 else None, source,
            items.get(int(tp["id"])) if source == "weak_item" else None, spec.root_cause,
            zh.format(zh=tp["name_zh_hans"]) + "\n" + en.format(en=tp["name_en"]),
            f"「{tp['name_zh_hans']}」差距 P−E（0-1 标度） Gap of {tp['code']} (P − E, 0-1 scale)", round(gap, 3),
            round(gap * 0.4, 3), owner,
            DEPARTMENTS[k % len(DEPARTMENTS)], start, due, stage, status, closed, AUTHOR,
            _at(start, 9), _at(events[-1][0], 10),
        ))
        for when, changes in events:
            history.append((hist_id, pid, _at(when, 10), AUTHOR, changes))
            hist_id += 1
    n = bulk_insert(conn, action_plan, PLAN_COLUMNS, plans)
    bulk_insert(conn, action_plan_history, HISTORY_COLUMNS, history)
    reset_sequences(conn, [action_plan, action_plan_history])
    return n


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


def _history(start: date, due: date, closed: date | None, path: list[str], status: str,
             end: date) -> list[tuple[date, dict[str, Any]]]:
    """Creation, then one change per PDCA step on dates between start and due (or closing), never after end."""
    events: list[tuple[date, dict[str, Any]]] = [(start, {"status": [None, "open"], "pdca_stage": [None, "plan"]})]
    last_day = closed or min(due, end)
    span = max((last_day - start).days, len(path) + 1)
    previous = "plan"
    for i, step in enumerate(path, start=1):
        when = min(start + timedelta(days=span * i // (len(path) + 1)), end)
        events.append((when, {"pdca_stage": [previous, step]}))
        previous = step
    if status != "open" and closed is not None:
        events.append((closed, {"status": ["open", status]}))
    return events
