"""Follow-up cases opened from triggers: one case per unhappy customer, its owner and due time, its history.

**Keys.** A trigger's case is keyed by the customer, whichever rule found them (``response:customer:C`` for the
response rules, ``ticket:customer:C`` for the ticket rules): a customer who answers with a low likelihood to
recommend, a disappointed tier and a complaint gets one call, and the case lists every trigger with its rule. A
response or ticket without a customer stands for its own customer, whichever rules found it
(``response:id:N:batch:B``, ``ticket:id:N:batch:B``: the batch as well, since SQLite gives a deleted batch's ids
to the next upload); a KPI trigger names its key in ``detail["dedupe_key"]`` (one case per rule, unit and period).
Rules run high severity first, so a customer's case takes the highest severity of the rules that found them in
one run.

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

**Withdrawal.** Deleting an import batch withdraws the open cases whose every trigger came from that batch or from
batches deleted before (status ``withdrawn``, a ``withdraw`` event; the case and its triggers stay as history).

Trigger rows keep the ids of their responses and tickets without foreign keys. SQLite gives the ids of a deleted
batch's rows to the next upload, so a trigger names its row by id *and* batch: whoever reads a trigger's response
should match both (``survey_response.batch_id = case_trigger.batch_id``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, exists, or_, select, text, update
from sqlalchemy.engine import Connection

from cxdash.audit import jsonable, record_audit
from cxdash.bulk import SQLITE_DATETIME, bulk_insert, next_id
from cxdash.db import bump_data_version
from cxdash.domain.followup import (
    KPI_RULES,
    NEW,
    OPEN_STATUSES,
    RESPONSE_RULES,
    SEVERITIES,
    TICKET_RULES,
    WITHDRAWN,
)
from cxdash.followup.due import due_at
from cxdash.followup.owners import Owners
from cxdash.followup.rules import Rule, RuleError, list_rules, validate_rule
from cxdash.followup.triggers import RECENT_DAYS, Trigger, batch_response_triggers, triggers_for
from cxdash.memory import collector_paused
from cxdash.notify.outbox import enqueue_case_notices
from cxdash.schema import case_event, case_trigger, followup_case, import_batch
from cxdash.sqlfuncs import in_ids, in_texts

CHUNK = 5000  # ids per IN list
DRY_RUN_DAYS = 90
fc, ct = followup_case.c, case_trigger.c


def case_key(trigger: Trigger) -> str:
    """The dedupe key of a trigger's case: the customer, else the response or ticket (with its batch), else (KPI)
    the trigger's own ``detail["dedupe_key"]``."""
    given = trigger.detail.get("dedupe_key")
    if given:
        return str(given)[:300]
    # Shared by the rules of one source: one case per customer, or per answer or ticket of an unknown customer.
    if trigger.customer_id is not None:
        return f"{trigger.source}:customer:{trigger.customer_id}"
    if trigger.response_id is not None:
        return f"response:id:{trigger.response_id}:batch:{trigger.batch_id}"
    if trigger.ticket_id is not None:
        return f"ticket:id:{trigger.ticket_id}:batch:{trigger.batch_id}"
    detail = trigger.detail
    return (f"rule:{trigger.rule_id}:kpi:{trigger.region_id}:{trigger.site_id}:{trigger.team_id}:"
            f"{detail.get('kpi')}:{detail.get('period')}")


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _recorded(conn: Connection, rule_id: int, triggers: Sequence[Trigger]) -> set[tuple[str, int, int | None]]:
    """Which responses and tickets of ``triggers`` already triggered this rule, as (kind, id, batch): an id alone
    is not enough, as SQLite hands the ids of a deleted batch's rows to the next upload's. A batch that triggered
    this rule nowhere (a new upload) is answered by one look-up of its index instead of one per row."""
    by_batch: dict[int | None, list[Trigger]] = defaultdict(list)
    for t in triggers:
        if t.response_id is not None or t.ticket_id is not None:
            by_batch[t.batch_id].append(t)
    found: set[tuple[str, int, int | None]] = set()
    for batch, group in by_batch.items():
        same_batch = ct.batch_id.is_(None) if batch is None else ct.batch_id == batch
        if batch is not None and conn.execute(select(ct.id).where(ct.rule_id == rule_id, same_batch).limit(1)).first() \
                is None:
            continue
        for kind, column in (("r", ct.response_id), ("t", ct.ticket_id)):
            ids = sorted(i for i in {t.response_id if kind == "r" else t.ticket_id for t in group} if i is not None)
            for part in _chunks(ids):
                stmt = select(column).where(ct.rule_id == rule_id, same_batch, column.in_(part))
                found.update((kind, int(v), batch) for v in conn.execute(stmt).scalars())
    return found


def _keys_with_cases(conn: Connection, rule_id: int, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(keys):
        found.update(conn.execute(select(fc.dedupe_key).where(fc.rule_id == rule_id, fc.dedupe_key.in_(part)))
                     .scalars())
    return found


def _identity(t: Trigger) -> tuple[str, Any, int | None]:
    if t.response_id is not None:
        return "r", t.response_id, t.batch_id
    if t.ticket_id is not None:
        return "t", t.ticket_id, t.batch_id
    return "k", case_key(t), None


def _fresh(conn: Connection, rule_id: int, triggers: Sequence[Trigger]) -> list[Trigger]:
    """The triggers not recorded before (nor repeated within ``triggers``)."""
    seen: set[tuple[str, Any, int | None]] = set(_recorded(conn, rule_id, triggers))
    others = sorted({case_key(t) for t in triggers if t.response_id is None and t.ticket_id is None})
    seen.update(("k", k, None) for k in (_keys_with_cases(conn, rule_id, others) if others else ()))
    out = []
    for t in triggers:
        ident = _identity(t)
        if ident not in seen:
            seen.add(ident)
            out.append(t)
    return out


def _absorbing(conn: Connection, rule: Rule, keys: Sequence[str], now: datetime) -> dict[str, int]:
    """Existing cases that take new triggers of their key: open, or opened within the window (not withdrawn);
    the latest per key. A response's own key is not looked up: only the run that imports its batch finds it
    (``_Writes.run_cases`` holds the cases opened by that run's earlier rules)."""
    keys = [k for k in keys if not k.startswith("response:id:")]
    since = now - timedelta(days=int(rule.window_days))
    out: dict[str, int] = {}
    if not keys:
        return out
    # Customer, response and ticket keys are shared by every rule of their source; a KPI key is its rule's.
    mine = or_(fc.rule_id == rule.id, fc.dedupe_key.like("response:%"), fc.dedupe_key.like("ticket:%"))
    stmt = (select(fc.id, fc.dedupe_key)
            .where(mine, in_texts(fc.dedupe_key, keys, conn.dialect.name), fc.status != WITHDRAWN,
                   (fc.status.in_(OPEN_STATUSES)) | (fc.opened_at >= since))
            .order_by(fc.id))
    for case_id, key in conn.execute(stmt):
        out[str(key)] = int(case_id)  # ordered by id: the latest wins
    return out


def _weakest(triggers: Sequence[Trigger]) -> int | None:
    """The touchpoint furthest below expected among the triggers (else the first one named)."""
    if len(triggers) == 1:
        return triggers[0].touchpoint_id
    scored = [(t.detail["gap_norm"], i, t.touchpoint_id) for i, t in enumerate(triggers)
              if t.touchpoint_id is not None and isinstance(t.detail.get("gap_norm"), int | float)]
    if scored:
        return min(scored)[2]
    return next((t.touchpoint_id for t in triggers if t.touchpoint_id is not None), None)


def _json(t: Trigger, detail: dict[str, Any]) -> dict[str, Any]:
    """A trigger's detail as JSON holds it (responses' details are plain numbers and words already)."""
    return detail if t.source == "response" else jsonable(detail)


def _new_case_ids(conn: Connection, n: int, planned: Iterable[int] = ()) -> list[int]:
    """``n`` ids for new cases, so cases, triggers and events go in as three bulk statements: from the id
    sequence on PostgreSQL (safe beside another writer), on SQLite (one writer at a time) after the largest id
    stored or ``planned`` (given to cases of this run not written yet)."""
    if conn.dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence('followup_case', 'id')) FROM generate_series(1, :n)")
        return [int(v) for v in conn.execute(stmt, {"n": n}).scalars()]
    start = max(next_id(conn, followup_case), max(planned, default=0) + 1)
    return list(range(start, start + n))


CASE_COLUMNS = ("id", "rule_id", "source", "customer_id", "region_id", "site_id", "team_id", "touchpoint_id",
                "severity", "status", "owner_user_id", "opened_at", "due_at", "batch_id", "dedupe_key", "detail",
                "updated_at")
TRIGGER_COLUMNS = ("case_id", "rule_id", "response_id", "ticket_id", "batch_id", "at", "touchpoint_id", "detail")
EVENT_COLUMNS = ("case_id", "at", "actor", "action", "from_status", "to_status", "note", "detail")


@dataclass
class _Writes:
    """What one run of rules writes, gathered rule by rule and written at its end with one statement per table
    (a run of four rules over an upload wrote twelve bulk statements and four notice look-ups before)."""

    cases: list[tuple[Any, ...]] = field(default_factory=list)
    triggers: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)  # cases that existed before the run and took new triggers
    opened: list[int] = field(default_factory=list)
    audits: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (rule id, detail)
    run_cases: dict[str, int] = field(default_factory=dict)  # key -> case opened by this run
    openings: dict[int, dict[str, Any]] = field(default_factory=dict)  # case opened by this run -> its event's detail


def open_cases(conn: Connection, rule: Rule, triggers: Sequence[Trigger], now: datetime,
               batch_id: int | None = None) -> list[int]:
    """Open the cases of ``triggers`` of ``rule`` (or add them to the key's existing case); return the new case ids.

    See the module's notes on keys and dedupe. Writes the cases, their triggers and events (one bulk statement
    each), one audit entry, and queues the new cases' notices (:func:`cxdash.notify.outbox.enqueue_case_notices`),
    in ``conn``'s transaction. Outside an import (``batch_id`` None) the data version is bumped when anything was
    written.
    """
    writes = _Writes()
    opened = _plan(conn, rule, triggers, now, batch_id, writes)
    _write(conn, writes, now, batch_id)
    return opened


def _plan(conn: Connection, rule: Rule, triggers: Sequence[Trigger], now: datetime, batch_id: int | None,
          writes: _Writes) -> list[int]:
    """Add what ``rule``'s triggers write to ``writes`` (see :func:`open_cases`); return the new case ids. A key
    whose case an earlier rule of the same run opened joins that case (``writes.run_cases``)."""
    if rule.id is None or not triggers:
        return []
    fresh = _fresh(conn, rule.id, triggers)
    if not fresh:
        return []
    by_key: dict[str, list[Trigger]] = defaultdict(list)
    for t in fresh:
        by_key[case_key(t)].append(t)
    existing = _absorbing(conn, rule, [k for k in by_key if k not in writes.run_cases], now)
    writes.touched.update(existing.values())
    existing.update({k: writes.run_cases[k] for k in by_key if k in writes.run_cases})
    new_keys = [k for k in by_key if k not in existing]
    new_ids = (dict(zip(new_keys, _new_case_ids(conn, len(new_keys), writes.opened), strict=True))
               if new_keys else {})
    # Every row of this run carries the same moment: formatted once for SQLite instead of once per row.
    at_now = now.strftime(SQLITE_DATETIME) if conn.dialect.name == "sqlite" else now
    if new_keys:
        owners = Owners.load(conn, {rule.owner_user_id} if rule.owner_user_id is not None else None)
        due_time = due_at(conn, rule, now)
        due = due_time.strftime(SQLITE_DATETIME) if conn.dialect.name == "sqlite" else due_time
        for key, case_id in new_ids.items():
            group = by_key[key]
            latest = group[0] if len(group) == 1 else max(group, key=lambda t: (t.at, t.response_id or t.ticket_id or 0))
            detail = {"kind": rule.kind, "triggers": len(group),
                      **{k: v for k, v in latest.detail.items() if k != "dedupe_key"}}
            writes.cases.append((case_id, rule.id, latest.source, latest.customer_id, latest.region_id,
                                 latest.site_id, latest.team_id, _weakest(group), rule.severity, NEW,
                                 owners.pick(rule, latest.site_id, latest.team_id), at_now, due, batch_id, key,
                                 _json(latest, detail), at_now))
            opening: dict[str, Any] = {"rule_id": rule.id, "triggers": len(group), "batch_id": batch_id}
            writes.openings[case_id] = opening
            writes.events.append((case_id, at_now, None, "open", None, NEW, None, opening))
    for key, group in by_key.items():
        case_id = new_ids[key] if key in new_ids else existing[key]
        writes.triggers += [(case_id, t.rule_id, t.response_id, t.ticket_id, t.batch_id, t.at, t.touchpoint_id,
                             _json(t, t.detail)) for t in group]
        if case_id in writes.openings and key not in new_ids:
            # Opened by an earlier rule of this run: the case opened with these triggers too, so its one "open"
            # event counts them and names every rule (case_trigger lists each).
            opening = writes.openings[case_id]
            opening["triggers"] += len(group)
            opening["rules"] = [*opening.get("rules", [opening["rule_id"]]), rule.id]
        elif key not in new_ids:
            writes.events += [(case_id, at_now, None, "trigger", None, None, None,
                               _json(t, {"rule_id": rule.id, "response_id": t.response_id, "ticket_id": t.ticket_id,
                                         "batch_id": t.batch_id, **t.detail})) for t in group]
    opened = sorted(new_ids.values())
    writes.run_cases.update(new_ids)
    writes.opened += opened
    added = len({existing[k] for k in by_key if k in existing})
    writes.audits.append((rule.id, {"opened": len(opened), "triggers": len(fresh), "added_to": added,
                                    "batch_id": batch_id}))
    return opened


def _write(conn: Connection, writes: _Writes, now: datetime, batch_id: int | None) -> None:
    """Write what :func:`_plan` gathered: cases, triggers and events, the touched cases' time, one audit entry per
    rule that found something new, the new cases' notices; bump the data version outside an import."""
    if not writes.audits:
        return
    if writes.cases:
        bulk_insert(conn, followup_case, CASE_COLUMNS, writes.cases)
    bulk_insert(conn, case_trigger, TRIGGER_COLUMNS, writes.triggers)
    bulk_insert(conn, case_event, EVENT_COLUMNS, writes.events)
    if writes.touched:
        conn.execute(update(followup_case).where(in_ids(fc.id, sorted(writes.touched), conn.dialect.name))
                     .values(updated_at=now))
    for rule_id, detail in writes.audits:
        record_audit(conn, None, "followup_case.open", "alert_rule", rule_id, detail)
    if writes.opened:
        enqueue_case_notices(conn, sorted(writes.opened), now)
    if batch_id is None:
        bump_data_version(conn, responses_unchanged=True)  # an import bumps it itself, once


def _runnable(conn: Connection, kinds: Sequence[str]) -> list[Rule]:
    """The active rules of these kinds that validate (a rule stored by hand that does not is skipped, not run)."""
    out = []
    rank = {severity: n for n, severity in enumerate(reversed(SEVERITIES))}
    for rule in sorted(list_rules(conn, active_only=True), key=lambda r: (rank.get(r.severity, len(rank)), r.id or 0)):
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
    rules = _runnable(conn, kinds)
    writes = _Writes()
    with collector_paused():
        found = batch_response_triggers(conn, rules, batch_id, since, now) if kind == "surveys" else {}
        for rule in rules:
            triggers = found[rule.id] if rule.id in found else triggers_for(conn, rule, now, batch_id=batch_id,
                                                                             since=since)
            _plan(conn, rule, triggers, now, batch_id, writes)
        _write(conn, writes, now, batch_id)
    return writes.opened


def run_ticket_rules(conn: Connection, now: datetime) -> list[int]:
    """Run every active ticket rule over the open tickets and those created in the last
    :data:`~cxdash.followup.triggers.RECENT_DAYS`; return the ids of the cases opened. Idempotent: a ticket
    triggers a rule once."""
    writes = _Writes()
    for rule in _runnable(conn, TICKET_RULES):
        _plan(conn, rule, triggers_for(conn, rule, now), now, None, writes)
    _write(conn, writes, now, None)
    return writes.opened


def withdraw_batch(conn: Connection, batch_id: int, actor: str | None, now: datetime) -> int:
    """Withdraw the open cases whose every trigger came from import batch ``batch_id`` (its data is being
    deleted) or from batches deleted before; keep them, their triggers and their events as history; return how
    many were withdrawn."""
    # Driven from the batch's triggers (an index), not from every open case.
    from_batch = fc.id.in_(select(ct.case_id).where(ct.batch_id == batch_id))
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
    detail = {"batch_id": batch_id, "reason": "batch_deleted"}
    bulk_insert(conn, case_event, EVENT_COLUMNS,
                [(int(r.id), now, actor, "withdraw", r.status, WITHDRAWN, None, detail) for r in rows])
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
    KPI rules are evaluated elsewhere (``cxdash.alerts``): pass their ``triggers`` to count them here.

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
            triggers = triggers_for(bind, rule, now, since=since, touchpoints=False)
        else:
            with bind.connect() as conn:
                triggers = triggers_for(conn, rule, now, since=since, touchpoints=False)
    cases = simulate(triggers, int(rule.window_days))
    by_site: dict[int | None, int] = defaultdict(int)
    for group in cases:
        by_site[max(group, key=lambda t: t.at).site_id] += 1
    customers = {t.customer_id for t in triggers if t.customer_id is not None}
    return DryRun(len(cases), len(triggers), len(customers), dict(by_site), days)

