"""Follow-up cases opened from triggers: one case per rule and customer, its owner and due time, its history.

**Keys.** A trigger's case is keyed by the rule and the customer (``rule:R:customer:C``); a response or ticket
without a customer gets its own (``rule:R:response:N``, ``rule:R:ticket:N``); a KPI trigger names its key in
``detail["dedupe_key"]`` (one case per rule, unit and period).

**Dedupe.** A trigger already recorded for its rule (the same response or ticket; for KPI triggers, a case of the
same key) is skipped, so running the rules twice opens nothing new. The triggers of one key in one run make one
case listing them all. A key that already has a case which is open, or was opened within the rule's
``window_days`` (and not withdrawn), takes the new triggers (``case_trigger`` rows and a ``trigger`` event each)
instead of a second case.

**New cases** get the rule's severity, the place (region, site, team) of their latest trigger, the weakest touchpoint
of their triggers (furthest below expected on the common 0-1 scale), an owner (:mod:`cxdash.followup.owners`), a
due time (:mod:`cxdash.followup.due`; every case of one run shares it, as they open at the same moment), an
``open`` event each, one audit entry per rule and run, and their immediate notices in the outbox, all in the
caller's transaction and written with one statement per table.

**Withdrawal.** Deleting an import batch withdraws the open cases whose every trigger came from that batch (status
``withdrawn``, a ``withdraw`` event; the case and its triggers stay as history).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, insert, or_, select, update
from sqlalchemy.engine import Connection

from cxdash.audit import jsonable, record_audit
from cxdash.db import bump_data_version
from cxdash.domain.followup import (
    KPI_RULES,
    NEW,
    OPEN_STATUSES,
    RESPONSE_RULES,
    TICKET_RULES,
    WITHDRAWN,
)
from cxdash.followup.due import due_at
from cxdash.followup.owners import Owners
from cxdash.followup.rules import Rule, RuleError, list_rules, validate_rule
from cxdash.followup.triggers import RECENT_DAYS, Trigger, triggers_for
from cxdash.notify.outbox import enqueue_case_notices
from cxdash.schema import case_event, case_trigger, followup_case, import_batch

CHUNK = 5000  # ids per IN list
DRY_RUN_DAYS = 90
fc, ct = followup_case.c, case_trigger.c


def case_key(trigger: Trigger) -> str:
    """The dedupe key of a trigger's case: rule and customer, else rule and response or ticket, else (KPI) the
    trigger's own ``detail["dedupe_key"]``."""
    given = trigger.detail.get("dedupe_key")
    if given:
        return str(given)[:300]
    if trigger.customer_id is not None:
        return f"rule:{trigger.rule_id}:customer:{trigger.customer_id}"
    if trigger.response_id is not None:
        return f"rule:{trigger.rule_id}:response:{trigger.response_id}"
    if trigger.ticket_id is not None:
        return f"rule:{trigger.rule_id}:ticket:{trigger.ticket_id}"
    detail = trigger.detail
    return (f"rule:{trigger.rule_id}:kpi:{trigger.region_id}:{trigger.site_id}:{trigger.team_id}:"
            f"{detail.get('kpi')}:{detail.get('period')}")


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _recorded(conn: Connection, rule_id: int, column: Any, ids: set[int]) -> set[int]:
    """Which of ``ids`` (responses or tickets) already triggered this rule."""
    found: set[int] = set()
    for part in _chunks(sorted(ids)):
        found.update(int(v) for v in conn.execute(select(column).where(ct.rule_id == rule_id, column.in_(part)))
                     .scalars())
    return found


def _keys_with_cases(conn: Connection, rule_id: int, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(keys):
        found.update(conn.execute(select(fc.dedupe_key).where(fc.rule_id == rule_id, fc.dedupe_key.in_(part)))
                     .scalars())
    return found


def _fresh(conn: Connection, rule_id: int, triggers: Sequence[Trigger]) -> list[Trigger]:
    """The triggers not recorded before (nor repeated within ``triggers``)."""
    responses = {t.response_id for t in triggers if t.response_id is not None}
    tickets = {t.ticket_id for t in triggers if t.ticket_id is not None}
    seen_r = _recorded(conn, rule_id, ct.response_id, responses) if responses else set()
    seen_t = _recorded(conn, rule_id, ct.ticket_id, tickets) if tickets else set()
    others = sorted({case_key(t) for t in triggers if t.response_id is None and t.ticket_id is None})
    seen_k = _keys_with_cases(conn, rule_id, others) if others else set()
    out, taken = [], set()
    for t in triggers:
        ident = ("r", t.response_id) if t.response_id is not None else (
            ("t", t.ticket_id) if t.ticket_id is not None else ("k", case_key(t)))
        if ident in taken or t.response_id in seen_r or t.ticket_id in seen_t or (ident[0] == "k" and ident[1] in seen_k):
            continue
        taken.add(ident)
        out.append(t)
    return out


def _absorbing(conn: Connection, rule: Rule, keys: Sequence[str], now: datetime) -> dict[str, int]:
    """Existing cases that take new triggers of their key: open, or opened within the window (not withdrawn);
    the latest per key."""
    since = now - timedelta(days=int(rule.window_days))
    out: dict[str, int] = {}
    for part in _chunks(keys):
        stmt = (select(fc.id, fc.dedupe_key)
                .where(fc.rule_id == rule.id, fc.dedupe_key.in_(part), fc.status != WITHDRAWN,
                       (fc.status.in_(OPEN_STATUSES)) | (fc.opened_at >= since))
                .order_by(fc.id))
        for case_id, key in conn.execute(stmt):
            out[str(key)] = int(case_id)  # ordered by id: the latest wins
    return out


def _weakest(triggers: Sequence[Trigger]) -> int | None:
    """The touchpoint furthest below expected among the triggers (else the first one named)."""
    scored = [(t.detail["gap_norm"], i, t.touchpoint_id) for i, t in enumerate(triggers)
              if t.touchpoint_id is not None and isinstance(t.detail.get("gap_norm"), int | float)]
    if scored:
        return min(scored)[2]
    return next((t.touchpoint_id for t in triggers if t.touchpoint_id is not None), None)


def _trigger_row(case_id: int, t: Trigger) -> dict[str, Any]:
    return {"case_id": case_id, "rule_id": t.rule_id, "response_id": t.response_id, "ticket_id": t.ticket_id,
            "batch_id": t.batch_id, "at": t.at, "touchpoint_id": t.touchpoint_id, "detail": jsonable(t.detail)}


def _case_detail(rule: Rule, latest: Trigger, count: int) -> dict[str, Any]:
    detail = {k: v for k, v in latest.detail.items() if k != "dedupe_key"}
    return jsonable({"kind": rule.kind, "triggers": count, **detail})


def _insert_cases(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert the new cases in one statement; their ids by dedupe key."""
    result = conn.execute(insert(followup_case).returning(fc.id, fc.dedupe_key, sort_by_parameter_order=True), rows)
    return {str(key): int(case_id) for case_id, key in result}


def open_cases(conn: Connection, rule: Rule, triggers: Sequence[Trigger], now: datetime,
               batch_id: int | None = None) -> list[int]:
    """Open the cases of ``triggers`` of ``rule`` (or add them to the key's existing case); return the new case ids.

    See the module's notes on keys and dedupe. Writes the cases, their triggers and events, one audit entry, and
    queues the new cases' notices (:func:`cxdash.notify.outbox.enqueue_case_notices`), in ``conn``'s transaction.
    Outside an import (``batch_id`` None) the data version is bumped when anything was written.
    """
    if rule.id is None or not triggers:
        return []
    fresh = _fresh(conn, rule.id, triggers)
    if not fresh:
        return []
    by_key: dict[str, list[Trigger]] = defaultdict(list)
    for t in fresh:
        by_key[case_key(t)].append(t)
    existing = _absorbing(conn, rule, sorted(by_key), now)
    new_keys = [k for k in by_key if k not in existing]
    new_ids: dict[str, int] = {}
    if new_keys:
        owners = Owners.load(conn, {rule.owner_user_id} if rule.owner_user_id is not None else None)
        due = due_at(conn, rule, now)
        rows = []
        for key in new_keys:
            group = by_key[key]
            latest = max(group, key=lambda t: (t.at, t.response_id or t.ticket_id or 0))
            rows.append({
                "rule_id": rule.id, "source": latest.source, "customer_id": latest.customer_id,
                "region_id": latest.region_id, "site_id": latest.site_id, "team_id": latest.team_id,
                "touchpoint_id": _weakest(group), "severity": rule.severity, "status": NEW,
                "owner_user_id": owners.pick(rule, latest.site_id, latest.team_id), "opened_at": now, "due_at": due,
                "batch_id": batch_id, "dedupe_key": key, "detail": _case_detail(rule, latest, len(group)),
                "updated_at": now,
            })
        new_ids = _insert_cases(conn, rows)
    trigger_rows, events = [], []
    for key, group in by_key.items():
        case_id = new_ids.get(key) or existing[key]
        trigger_rows += [_trigger_row(case_id, t) for t in group]
        if key in new_ids:
            events.append({"case_id": case_id, "at": now, "actor": None, "action": "open", "from_status": None,
                           "to_status": NEW, "note": None,
                           "detail": {"rule_id": rule.id, "triggers": len(group), "batch_id": batch_id}})
        else:
            events += [{"case_id": case_id, "at": now, "actor": None, "action": "trigger", "from_status": None,
                        "to_status": None, "note": None,
                        "detail": jsonable({"rule_id": rule.id, "response_id": t.response_id, "ticket_id": t.ticket_id,
                                            "batch_id": t.batch_id, **t.detail})} for t in group]
    conn.execute(insert(case_trigger), trigger_rows)
    conn.execute(insert(case_event), events)
    added = sorted({existing[k] for k in by_key if k in existing})
    if added:
        conn.execute(update(followup_case).where(fc.id.in_(added)).values(updated_at=now))
    opened = sorted(new_ids.values())
    record_audit(conn, None, "followup_case.open", "alert_rule", rule.id,
                 {"opened": len(opened), "triggers": len(fresh), "added_to": len(added), "batch_id": batch_id})
    if opened:
        enqueue_case_notices(conn, opened, now)
    if batch_id is None:
        bump_data_version(conn)  # an import bumps it itself, once
    return opened


def _runnable(conn: Connection, kinds: Sequence[str]) -> list[Rule]:
    """The active rules of these kinds that validate (a rule stored by hand that does not is skipped, not run)."""
    out = []
    for rule in list_rules(conn, active_only=True):
        if rule.kind not in kinds:
            continue
        try:
            validate_rule(rule)
        except RuleError:
            continue
        out.append(rule)
    return out


def run_for_batch(conn: Connection, batch_id: int, now: datetime) -> list[int]:
    """Run every active response rule (survey batches) or ticket rule (ticket batches) over the rows of one import
    batch, in the caller's (the import's) transaction; return the ids of the cases opened.

    Responses visited and tickets created more than :data:`~cxdash.followup.triggers.RECENT_DAYS` before ``now``
    open nothing (a backfill of history does not call customers back about old visits).
    """
    kind = conn.execute(select(import_batch.c.kind).where(import_batch.c.id == batch_id)).scalar()
    kinds = {"surveys": RESPONSE_RULES, "tickets": TICKET_RULES}.get(str(kind))
    if not kinds:
        return []
    since = now - timedelta(days=RECENT_DAYS)
    opened: list[int] = []
    for rule in _runnable(conn, kinds):
        opened += open_cases(conn, rule, triggers_for(conn, rule, now, batch_id=batch_id, since=since), now,
                             batch_id=batch_id)
    return opened


def run_ticket_rules(conn: Connection, now: datetime) -> list[int]:
    """Run every active ticket rule over the open tickets and those created in the last
    :data:`~cxdash.followup.triggers.RECENT_DAYS`; return the ids of the cases opened. Idempotent: a ticket
    triggers a rule once."""
    opened: list[int] = []
    for rule in _runnable(conn, TICKET_RULES):
        opened += open_cases(conn, rule, triggers_for(conn, rule, now), now)
    return opened


def withdraw_batch(conn: Connection, batch_id: int, actor: str | None, now: datetime) -> int:
    """Withdraw the open cases whose every trigger came from import batch ``batch_id`` (its data is being
    deleted) or from batches deleted before; keep them, their triggers and their events as history; return how
    many were withdrawn."""
    from_batch = exists().where(ct.case_id == fc.id, ct.batch_id == batch_id)
    # A trigger from a batch deleted earlier no longer holds its case open; one without a batch always does.
    loaded = exists().where(import_batch.c.id == ct.batch_id, import_batch.c.status != "deleted")
    from_elsewhere = exists().where(ct.case_id == fc.id, or_(ct.batch_id.is_(None),
                                                               and_(ct.batch_id != batch_id, loaded)))
    rows = conn.execute(select(fc.id, fc.status).where(fc.status.in_(OPEN_STATUSES), from_batch, ~from_elsewhere)
                        .order_by(fc.id)).all()
    if not rows:
        return 0
    ids = [int(r.id) for r in rows]
    for part in _chunks(ids):
        conn.execute(update(followup_case).where(and_(fc.id.in_(part), fc.status.in_(OPEN_STATUSES)))
                     .values(status=WITHDRAWN, closed_at=now, updated_at=now))
    conn.execute(insert(case_event), [
        {"case_id": int(r.id), "at": now, "actor": actor, "action": "withdraw", "from_status": r.status,
         "to_status": WITHDRAWN, "note": None, "detail": {"batch_id": batch_id, "reason": "batch_deleted"}}
        for r in rows
    ])
    record_audit(conn, actor, "followup_case.withdraw_batch", "import_batch", batch_id, {"cases": len(ids)})
    return len(ids)


# --- Dry run ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DryRun:
    """What a rule would have opened over the last ``days``: cases, triggers, distinct customers, cases by site."""

    cases: int
    triggers: int
    customers: int
    by_site: dict[int | None, int]
    days: int


def simulate(triggers: Sequence[Trigger], window_days: int) -> list[list[Trigger]]:
    """The cases a series of triggers would open, one after the other: per key, a trigger joins the key's case
    while it lies within ``window_days`` of that case's first trigger, else starts the next case."""
    by_key: dict[str, list[Trigger]] = defaultdict(list)
    for t in triggers:
        by_key[case_key(t)].append(t)
    window = timedelta(days=window_days)
    cases: list[list[Trigger]] = []
    for group in by_key.values():
        current: list[Trigger] = []
        for t in sorted(group, key=lambda t: t.at):
            if current and t.at - current[0].at > window:
                cases.append(current)
                current = []
            current.append(t)
        cases.append(current)
    return cases


def dry_run(bind: Engine | Connection, rule: Rule, now: datetime, days: int = DRY_RUN_DAYS,
            triggers: Sequence[Trigger] | None = None) -> DryRun:
    """How many cases ``rule`` would have opened over the ``days`` before ``now`` (writes nothing).

    Response rules read the responses visited in those days, ticket rules the tickets open or created in them.
    KPI rules are evaluated elsewhere (``cxdash.followup.scheduled``): pass their ``triggers`` to count them here.

    Raises:
        RuleError: the rule does not validate, or is a KPI rule without ``triggers``.
    """
    validate_rule(rule)
    rule = rule if rule.id is not None else replace(rule, id=0)  # an unsaved rule: its triggers need an id
    if triggers is None:
        if rule.kind in KPI_RULES:
            raise RuleError("alerts.error.dry_run_kpi")
        since = now - timedelta(days=days)
        if isinstance(bind, Connection):
            triggers = triggers_for(bind, rule, now, since=since)
        else:
            with bind.connect() as conn:
                triggers = triggers_for(conn, rule, now, since=since)
    cases = simulate(triggers, int(rule.window_days))
    by_site: dict[int | None, int] = defaultdict(int)
    for group in cases:
        by_site[max(group, key=lambda t: t.at).site_id] += 1
    customers = {t.customer_id for t in triggers if t.customer_id is not None}
    return DryRun(len(cases), len(triggers), len(customers), dict(by_site), days)

