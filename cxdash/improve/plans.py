"""SMART action plans: create, edit, move through plan-do-check-act, close, with a history of every change.

Validation refuses a plan without an owner, without a root-cause dimension (standard, training, incentive,
monitoring), without a specific action or metric, or with a due date before its start, each with its own
translated message (:class:`cxdash.improve.errors.InputError`). Every change is written to
``action_plan_history`` and the audit log, and bumps the data version, in the caller's transaction.

Every write takes the acting :class:`~cxdash.auth.User` and refuses (:class:`cxdash.improve.errors.AccessError`, a
:class:`PermissionError`) before anything is written when the role may not edit plans (executives) or when the plan,
as it is and as it would be, lies outside a team lead's sites and teams (:mod:`cxdash.improve.plan_access`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.audit import jsonable, now_utc, record_audit
from cxdash.auth import User
from cxdash.db import bump_data_version
from cxdash.filters import Filters, scope_conditions
from cxdash.improve.errors import InputError, raise_all
from cxdash.improve.plan_access import EDIT_PLANS, require_plan_scope, require_role
from cxdash.schema import action_plan, action_plan_history, checklist_item, site, team, touchpoint

ROOT_CAUSES = ("standard", "training", "incentive", "monitoring")
PDCA = ("plan", "do", "check", "act")
STATUSES = ("open", "done", "cancelled")
SOURCES = ("weak_item", "gap", "service")
FIELDS = (
    "title", "touchpoint_id", "site_id", "team_id", "source_kind", "checklist_item_id", "root_cause", "action",
    "metric", "baseline", "target", "owner", "department", "start_date", "due_date", "pdca_stage", "status",
    "closed_on",
)
TEXT_FIELDS = ("title", "root_cause", "action", "metric", "owner", "department", "source_kind")


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in FIELDS:
            raise InputError("improve.err.not_editable", field=key)
        if key in TEXT_FIELDS and isinstance(value, str):
            value = value.strip() or None
        out[key] = value
    return out


def _exists(conn: Connection, table: Any, row_id: Any) -> bool:
    return conn.execute(select(table.c.id).where(table.c.id == row_id)).first() is not None


def _validate_scope(conn: Connection, p: dict[str, Any]) -> None:
    if p.get("touchpoint_id") is None or not _exists(conn, touchpoint, p["touchpoint_id"]):
        raise InputError("improve.err.touchpoint_required")
    if p.get("site_id") is not None and not _exists(conn, site, p["site_id"]):
        raise InputError("improve.err.unknown_site", site=p["site_id"])
    if p.get("team_id") is not None:
        team_site = conn.execute(select(team.c.site_id).where(team.c.id == p["team_id"])).scalar()
        if team_site is None:
            raise InputError("improve.err.unknown_team", team=p["team_id"])
        if p.get("site_id") is None:
            p["site_id"] = team_site  # a team's plan belongs to the team's site
        elif team_site != p["site_id"]:
            raise InputError("improve.err.team_not_in_site")
    if p.get("checklist_item_id") is not None:
        item_tp = conn.execute(
            select(checklist_item.c.touchpoint_id).where(checklist_item.c.id == p["checklist_item_id"])
        ).scalar()
        if item_tp != p["touchpoint_id"]:
            raise InputError("improve.err.item_not_in_touchpoint")


def validate(conn: Connection, p: dict[str, Any]) -> None:
    """Check a complete plan (a dict of :data:`FIELDS`); raise :class:`InputError` when it is not valid.

    Missing or contradictory SMART fields are reported together (the error's ``also``); the rest on the first.
    The plan is modified in place only to derive the site from a team.
    """
    problems: list[InputError] = []  # the form's own fields: report them all at once
    if not p.get("root_cause"):
        problems.append(InputError("improve.err.root_cause_required"))
    elif p["root_cause"] not in ROOT_CAUSES:
        problems.append(InputError("improve.err.bad_root_cause", value=p["root_cause"]))
    if not p.get("owner"):
        problems.append(InputError("improve.err.owner_required"))
    if not p.get("action"):
        problems.append(InputError("improve.err.action_required"))
    if not p.get("metric"):
        problems.append(InputError("improve.err.metric_required"))
    if not isinstance(p.get("start_date"), date) or not isinstance(p.get("due_date"), date):
        problems.append(InputError("improve.err.dates_required"))
    elif p["due_date"] < p["start_date"]:
        problems.append(InputError("improve.err.due_before_start", start=p["start_date"], due=p["due_date"]))
    raise_all(problems)
    if p.get("pdca_stage") not in PDCA:
        raise InputError("improve.err.bad_stage", value=p.get("pdca_stage"))
    if p.get("status") not in STATUSES:
        raise InputError("improve.err.bad_status", value=p.get("status"))
    if p.get("source_kind") is not None and p["source_kind"] not in SOURCES:
        raise InputError("improve.err.bad_source", value=p["source_kind"])
    for key in ("baseline", "target"):
        if p.get(key) is not None and not isinstance(p[key], (int, float)):
            raise InputError("improve.err.not_a_number", field=key)
    _validate_scope(conn, p)


def _record(conn: Connection, plan_id: int, actor: str | None, diff: dict[str, list[Any]], action: str) -> None:
    conn.execute(
        action_plan_history.insert().values(plan_id=plan_id, changed_at=now_utc(), changed_by=actor,
                                            changes=jsonable(diff))
    )
    record_audit(conn, actor, action, "action_plan", plan_id, diff)
    bump_data_version(conn, responses_unchanged=True)


def create_plan(conn: Connection, values: Mapping[str, Any], *, user: User) -> int:
    """Create a plan from ``values`` (keys of :data:`FIELDS`) as ``user``; stage defaults to "plan", status "open".

    A missing title is made from the action. Raises :class:`AccessError` when the user may not edit plans or the
    plan's site/team is outside their scope, and :class:`InputError` when the plan is not valid.
    """
    require_role(user, EDIT_PLANS)
    actor = user.email
    p: dict[str, Any] = {key: None for key in FIELDS}
    p.update(pdca_stage="plan", status="open")
    p.update(_clean(values))
    # Before validation: a plan outside the scope is refused whatever else is wrong with it.
    require_plan_scope(conn, user, p)
    if not p.get("title") and p.get("action"):
        p["title"] = str(p["action"])[:80]
    validate(conn, p)
    if p["status"] == "done" and p.get("closed_on") is None:
        p["closed_on"] = date.today()
    now = now_utc()
    result = conn.execute(action_plan.insert().values(**p, created_by=actor, created_at=now, updated_at=now))
    plan_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    _record(conn, plan_id, actor, {k: [None, v] for k, v in p.items() if v is not None}, "create")
    return plan_id


def get_plan(conn: Connection, plan_id: int, user: User | None = None) -> dict[str, Any]:
    """One plan as a dict; raises :class:`InputError` when it does not exist.

    With ``user``, a plan outside the user's scope is refused (:class:`AccessError`) as well.
    """
    row = conn.execute(select(action_plan).where(action_plan.c.id == plan_id)).mappings().first()
    if row is None:
        raise InputError("improve.err.unknown_plan", plan=plan_id)
    plan = dict(row)
    if user is not None:
        require_plan_scope(conn, user, plan)
    return plan


def _editable_plan(conn: Connection, plan_id: int, user: User) -> dict[str, Any]:
    """The plan, after checking that ``user`` may edit plans and that this one is in their scope."""
    require_role(user, EDIT_PLANS)
    return get_plan(conn, plan_id, user)


def update_plan(
    conn: Connection, plan_id: int, changes: Mapping[str, Any], *, user: User
) -> dict[str, list[Any]]:
    """Apply ``changes`` to a plan as ``user`` after validating the result; return ``{field: [old, new]}``.

    The plan must be in the user's scope before and after the change (a team lead cannot move a plan to another
    site or team, nor make it brand-wide).
    """
    old = _editable_plan(conn, plan_id, user)
    new = {k: old[k] for k in FIELDS}
    new.update(_clean(changes))
    require_plan_scope(conn, user, new)
    validate(conn, new)
    diff = {k: [old[k], new[k]] for k in FIELDS if old[k] != new[k]}
    if diff:
        conn.execute(action_plan.update().where(action_plan.c.id == plan_id).values(**new, updated_at=now_utc()))
        _record(conn, plan_id, user.email, diff, "update")
    return diff


def next_stage(current: str) -> str:
    """The PDCA stage after ``current``; after "act" a new cycle starts at "plan"."""
    return PDCA[(PDCA.index(current) + 1) % len(PDCA)]


def set_stage(conn: Connection, plan_id: int, stage: str, *, user: User) -> dict[str, list[Any]]:
    """Move a plan to ``stage``: one step forward (plan->do->check->act, act->plan) or back to an earlier stage.

    Skipping a stage (plan -> check) is refused, as is moving a closed or cancelled plan.
    """
    plan = _editable_plan(conn, plan_id, user)
    if stage not in PDCA:
        raise InputError("improve.err.bad_stage", value=stage)
    if plan["status"] != "open":
        raise InputError("improve.err.plan_not_open")
    current = plan["pdca_stage"]
    if stage != next_stage(current) and PDCA.index(stage) >= PDCA.index(current):
        raise InputError("improve.err.stage_skip", current=current, stage=stage, next=next_stage(current))
    return update_plan(conn, plan_id, {"pdca_stage": stage}, user=user)


def advance_stage(conn: Connection, plan_id: int, *, user: User) -> str:
    """Move a plan one PDCA step forward and return its new stage."""
    stage = next_stage(_editable_plan(conn, plan_id, user)["pdca_stage"])
    set_stage(conn, plan_id, stage, user=user)
    return stage


def close_plan(
    conn: Connection, plan_id: int, *, on: date | None = None, user: User
) -> dict[str, list[Any]]:
    """Close a plan (status done) on ``on`` (default today); only from the check or act stage."""
    plan = _editable_plan(conn, plan_id, user)
    if plan["status"] != "open":
        raise InputError("improve.err.plan_not_open")
    if plan["pdca_stage"] not in ("check", "act"):
        raise InputError("improve.err.close_too_early")
    closed_on = on or date.today()
    if closed_on < plan["start_date"]:
        raise InputError("improve.err.close_before_start")
    return update_plan(conn, plan_id, {"status": "done", "closed_on": closed_on}, user=user)


def cancel_plan(conn: Connection, plan_id: int, *, user: User) -> dict[str, list[Any]]:
    """Cancel an open plan (it stays on record with its history)."""
    if _editable_plan(conn, plan_id, user)["status"] != "open":
        raise InputError("improve.err.plan_not_open")
    return update_plan(conn, plan_id, {"status": "cancelled"}, user=user)


def reopen_plan(conn: Connection, plan_id: int, *, user: User) -> dict[str, list[Any]]:
    """Reopen a closed or cancelled plan (clears the closing date)."""
    return update_plan(conn, plan_id, {"status": "open", "closed_on": None}, user=user)


def plan_history(engine: Engine, plan_id: int, filters: Filters | None = None) -> pd.DataFrame:
    """The plan's changes, oldest first: one row per field changed (changed_at, changed_by, field, old, new).

    With ``filters``, their scope applies: a plan outside a team lead's scope has no history for them.
    """
    h = action_plan_history.c
    stmt = (select(h.changed_at, h.changed_by, h.changes).where(h.plan_id == plan_id).order_by(h.changed_at, h.id))
    if filters is not None and (scope := scope_conditions(filters, action_plan)):
        stmt = stmt.where(h.plan_id.in_(select(action_plan.c.id).where(*scope)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    out = [
        {"changed_at": at, "changed_by": by, "field": field, "old": pair[0], "new": pair[1]}
        for at, by, changes in rows
        for field, pair in (changes or {}).items()
    ]
    frame = pd.DataFrame(out, columns=["changed_at", "changed_by", "field", "old", "new"])
    # Old and new values mix types (ids, numbers, dates, text, JSON null). Left to inference, pandas turns a column
    # of only text and nulls (a new plan's creation plus a stage move) into a string column and every null into
    # NaN, so a touchpoint id that was "none" became a float NaN the history view could not show (#20.2).
    for col in ("old", "new"):
        frame[col] = pd.Series([r[col] for r in out], index=frame.index, dtype=object)
    return frame
