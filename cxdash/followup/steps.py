"""The steps of a follow-up case: contact, note, resolve, unreachable, withdraw, reassign, link a plan, root cause.

A case moves along :data:`cxdash.domain.followup.TRANSITIONS` (new -> contacted -> resolved / unreachable /
withdrawn; contacting again records another call; an unreachable customer may call back). Every step writes one
``case_event`` row and one audit-log entry in the caller's transaction and bumps the data version, so the case page,
the overview's case cards and ``report cases`` show it at once.

Who may act: admins and CX leads on every case, team leads on the cases of their teams and sites (the same scope
their reads use, :func:`can_see`), executives on none (they read). Reassigning needs an admin or a CX lead. A
refused step raises :class:`StepDenied` (a :class:`PermissionError`) before anything is written; a step the case's
state or the input does not allow raises :class:`StepError`. Both carry a ``followup.error.*`` key.

The first contact stores ``first_contact_at`` and ``first_contact_business_min`` (business minutes from the
case's opening, on the business calendar of its rule: the rule's calendar, else the calendar with the smallest id,
else around the clock) once; later calls change neither.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.audit import record_audit
from cxdash.auth import AuthError, User
from cxdash.db import bump_data_version
from cxdash.domain.followup import (
    CLOSED_STATUSES,
    CONTACTED,
    OUTCOMES,
    REASSIGN_ROLES,
    RESOLVED,
    ROOT_CAUSES,
    TRANSITIONS,
    UNREACHABLE,
    WITHDRAWN,
)
from cxdash.followup.due import business_minutes_between
from cxdash.followup.next_answers import refresh_next_answers
from cxdash.i18n import t
from cxdash.schema import action_plan, app_user
from cxdash.schema.followup import alert_rule, case_event, followup_case

ACTING_ROLES = frozenset({"admin", "cx_lead", "team_lead"})
NOTE_MAX = 4000  # a call's note; longer text is a pasted document, not a note
ROOT_NOTE_MAX = 200  # followup_case.root_cause_note


class StepError(ValueError):
    """A step the case's state or the input does not allow; ``key`` (``followup.error.*``) translates it."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The message in ``lang``."""
        return t(self.key, lang, **self.params)


class StepDenied(AuthError):
    """A step the acting user may not take (role or scope); ``key`` translates it. A :class:`PermissionError`."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.params: dict[str, Any] = {}
        super().__init__(t(key, "en"))

    def message(self, lang: str) -> str:
        """The refusal in ``lang``."""
        return t(self.key, lang)


def can_see(user: User, case_row: Mapping[str, Any]) -> bool:
    """True when ``user`` may see the case: every role but "none" sees every case, except a team lead, who sees the
    cases of their teams and of their sites (``case_row`` needs ``site_id`` and ``team_id``)."""
    if user.role is None:
        return False
    if not user.scoped:
        return True
    return (case_row.get("team_id") is not None and case_row["team_id"] in user.scope_teams) or (
        case_row.get("site_id") is not None and case_row["site_id"] in user.scope_sites)


def _load(conn: Connection, case_id: int, actor: User) -> dict[str, Any]:
    """The case row, locked for the step; refuses an unknown case, a role that cannot act and a case out of scope."""
    if actor.role not in ACTING_ROLES:
        raise StepDenied("followup.error.role")
    row = conn.execute(select(followup_case).where(followup_case.c.id == case_id).with_for_update()).mappings().first()
    if row is None:
        raise StepError("followup.error.not_found", case=case_id)
    case = dict(row)
    if not can_see(actor, case):
        # the same answer as "not found" would hide it better, but the lead needs to know why the link failed
        raise StepDenied("followup.error.scope")
    return case


def _note(note: str | None, required: bool = False) -> str | None:
    text = (note or "").strip() or None
    if required and text is None:
        raise StepError("followup.error.note_required")
    if text is not None and len(text) > NOTE_MAX:
        raise StepError("followup.error.note_too_long", limit=NOTE_MAX)
    return text


def _record(conn: Connection, case: Mapping[str, Any], actor: User, now: datetime, action: str,
            to_status: str | None = None, note: str | None = None, values: Mapping[str, Any] | None = None,
            detail: Mapping[str, Any] | None = None) -> None:
    """Write the case's new values, its event and the audit entry; bump the data version."""
    changes = dict(values or {})
    if to_status is not None:
        changes["status"] = to_status
    conn.execute(followup_case.update().where(followup_case.c.id == case["id"]).values(**changes, updated_at=now))
    event_detail = {k: v for k, v in (detail or {}).items() if v is not None} or None
    conn.execute(case_event.insert().values(
        case_id=case["id"], at=now, actor=actor.email, action=action, from_status=case["status"],
        to_status=to_status or case["status"], note=note, detail=event_detail))
    record_audit(conn, actor.email, f"case.{action}", "followup_case", case["id"],
                 {"from": case["status"], "to": to_status or case["status"], **(detail or {}),
                  **({"note": note} if note else {})})
    bump_data_version(conn, responses_unchanged=True)


def _move_to(case: Mapping[str, Any], to_status: str) -> None:
    if to_status not in TRANSITIONS.get(case["status"], ()):
        raise StepError("followup.error.transition", start=case["status"], end=to_status)


def case_business_minutes(conn: Connection, rule_id: Any, start: datetime, end: datetime) -> float:
    """Business minutes from ``start`` to ``end`` on the calendar of rule ``rule_id`` (its own, else the calendar
    with the smallest id, else around the clock); never negative."""
    calendar_id = conn.execute(select(alert_rule.c.calendar_id).where(alert_rule.c.id == rule_id)).scalar()
    minutes = business_minutes_between(conn, calendar_id, start, end)
    return 0.0 if math.isnan(minutes) else max(0.0, minutes)


def contact(conn: Connection, case_id: int, actor: User, now: datetime, note: str | None = None) -> None:
    """Record a call that reached the customer; the first one sets the first-contact time (once)."""
    case = _load(conn, case_id, actor)
    _move_to(case, CONTACTED)
    text = _note(note)
    values: dict[str, Any] = {"closed_at": None}
    if case["first_contact_at"] is None:
        values["first_contact_at"] = now
        values["first_contact_business_min"] = case_business_minutes(conn, case["rule_id"], case["opened_at"], now)
    _record(conn, case, actor, now, "contact", CONTACTED, text, values,
            {"first_contact_business_min": values.get("first_contact_business_min")})


def add_note(conn: Connection, case_id: int, actor: User, now: datetime, note: str) -> None:
    """Add a note to a case in any state (the status stays)."""
    case = _load(conn, case_id, actor)
    _record(conn, case, actor, now, "note", None, _note(note, required=True))


def _root_values(root_cause: str | None, root_cause_note: str | None) -> dict[str, Any]:
    if root_cause is not None and root_cause not in ROOT_CAUSES:
        raise StepError("followup.error.root_cause", value=root_cause)
    text = (root_cause_note or "").strip() or None
    if text is not None and len(text) > ROOT_NOTE_MAX:
        raise StepError("followup.error.root_note_too_long", limit=ROOT_NOTE_MAX)
    if root_cause == "other" and text is None:
        raise StepError("followup.error.other_needs_note")
    return {"root_cause": root_cause, "root_cause_note": text}


def resolve(conn: Connection, case_id: int, actor: User, now: datetime, recovered: str, root_cause: str | None,
            root_cause_note: str | None, note: str | None = None) -> None:
    """Close a contacted case with its outcome (recovered yes / no / unknown) and root cause."""
    case = _load(conn, case_id, actor)
    _move_to(case, RESOLVED)
    if recovered not in OUTCOMES:
        raise StepError("followup.error.outcome", value=recovered)
    values = {**_root_values(root_cause, root_cause_note), "recovered": recovered, "closed_at": now}
    _record(conn, case, actor, now, "resolve", RESOLVED, _note(note), values,
            {"recovered": recovered, "root_cause": values["root_cause"], "root_cause_note": values["root_cause_note"]})
    refresh_next_answers(conn, case_ids=[case_id])  # an answer given after today's closing is found at its import


def mark_unreachable(conn: Connection, case_id: int, actor: User, now: datetime, note: str | None = None) -> None:
    """Close a case whose customer could not be reached (a later call may reopen it as contacted)."""
    case = _load(conn, case_id, actor)
    _move_to(case, UNREACHABLE)
    _record(conn, case, actor, now, "unreachable", UNREACHABLE, _note(note), {"closed_at": now})


def withdraw(conn: Connection, case_id: int, actor: User, now: datetime, note: str | None = None) -> None:
    """Close a case that should not have been opened (a test answer, a mistaken import); its history stays."""
    case = _load(conn, case_id, actor)
    _move_to(case, WITHDRAWN)
    _record(conn, case, actor, now, "withdraw", WITHDRAWN, _note(note), {"closed_at": now})


def reassign(conn: Connection, case_id: int, actor: User, now: datetime, owner_user_id: int) -> None:
    """Give an open case to another active user (admins and CX leads only).

    Raises:
        StepDenied: the actor is neither admin nor CX lead.
        StepError: the case is closed or the user unknown or inactive.
    """
    if actor.role not in REASSIGN_ROLES:
        raise StepDenied("followup.error.reassign_role")
    case = _load(conn, case_id, actor)
    if case["status"] in CLOSED_STATUSES:
        raise StepError("followup.error.closed")
    active = conn.execute(select(app_user.c.active).where(app_user.c.id == owner_user_id)).scalar()
    if not active:
        raise StepError("followup.error.owner", user=owner_user_id)
    _record(conn, case, actor, now, "reassign", None, None, {"owner_user_id": owner_user_id},
            {"owner_from": case["owner_user_id"], "owner_to": owner_user_id})


def link_plan(conn: Connection, case_id: int, actor: User, now: datetime, plan_id: int | None) -> None:
    """Link the case to an action plan that answers its cause (``None`` unlinks)."""
    case = _load(conn, case_id, actor)
    if plan_id is not None and conn.execute(
            select(action_plan.c.id).where(action_plan.c.id == plan_id)).first() is None:
        raise StepError("followup.error.plan", plan=plan_id)
    _record(conn, case, actor, now, "link_plan", None, None, {"action_plan_id": plan_id},
            {"plan_from": case["action_plan_id"], "plan_to": plan_id})


def set_root_cause(conn: Connection, case_id: int, actor: User, now: datetime, root_cause: str | None,
                   note: str | None) -> None:
    """Record (or correct) the root cause: standard, training, incentive, monitoring or other with a free note."""
    case = _load(conn, case_id, actor)
    values = _root_values(root_cause, note)
    _record(conn, case, actor, now, "root_cause", None, None, values,
            {"root_cause": values["root_cause"], "root_cause_note": values["root_cause_note"]})
