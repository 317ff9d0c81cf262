"""What a rule finds: the responses and tickets that meet it, as :class:`Trigger` values, each one SQL statement.

Each rule kind is one set-based ``SELECT`` with bound parameters over ``survey_response`` (joined to
``touchpoint_score`` for gaps) or ``ticket``, narrowed to one import batch (``batch_id``, indexed) or to a range of
visit days, and to the rule's scope. Only the rows that meet the rule come back; nothing reads a whole table.

- ``ltr_at_most`` / ``csat_at_most``: the answer is given and at or below the threshold.
- ``tier_disappointed``: the response's overall tier (:mod:`cxdash.domain.tiers`, derived at load) is disappointed.
- ``touchpoint_gap``: a touchpoint perceived below expected by at least ``min_gap`` points on the response's own
  touchpoint scale (E - P >= min_gap); one touchpoint or any (the trigger names the furthest below).
- ``comment_keywords``: the comment contains any keyword or theme word, ignoring case (``lower()`` on both
  sides; any language, Chinese included). Theme words are matched as words in the comment like keywords: the
  themes of the voice page are terms the comments use, so a theme is matched by the term itself.
- ``repeat_contact``: contacts needed at or above ``min_contacts``, or the customer had to tell the story again.
- tickets (merged tickets never count): ``ticket_at_risk`` (open and past the at-risk point of a pending first
  response or resolution, not yet breached; :mod:`cxdash.domain.service_sql`), ``ticket_breached`` (answered after
  its target, or still pending after its due time), ``ticket_chased`` (``reminder_count`` at or above ``times``).
  Tickets are judged when open or created within :data:`RECENT_DAYS` (a history import of last year's closed
  tickets opens nothing).

Responses carry the touchpoint the customer scored furthest below expected (``touchpoint_id``, and its gap on the
common 0-1 scale as ``gap_norm`` in ``detail``), so a case can name its weakest touchpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, false, func, or_, select
from sqlalchemy.engine import Connection

from cxdash.audit import jsonable
from cxdash.domain import service_sql as sla
from cxdash.domain.followup import RESPONSE_RULES, TICKET_RULES
from cxdash.domain.pairs import scale_bounds
from cxdash.domain.tiers import Tier
from cxdash.followup.rules import Rule
from cxdash.schema import survey_response, ticket, touchpoint_score

# Responses visited and tickets created longer ago than this open no case on import or from ``alerts run``: nobody
# calls a customer back about a visit months ago, and a backfill of history must not open thousands of cases.
RECENT_DAYS = 90
_EPS = 1e-9
sr, ts, tk = survey_response.c, touchpoint_score.c, ticket.c


@dataclass(frozen=True)
class Trigger:
    """One response or ticket (or, from KPI rules, one unit and period) that meets a rule."""

    rule_id: int
    source: str  # response | ticket | kpi
    customer_id: int | None
    response_id: int | None
    ticket_id: int | None
    batch_id: int | None
    at: datetime  # when the answer was given (response time, else the visit day) or the ticket was created
    region_id: int | None
    site_id: int | None
    team_id: int | None
    touchpoint_id: int | None
    detail: dict[str, Any]


def scope_condition(table: Table, rule: Rule) -> ColumnElement[bool] | None:
    """The rule's scope as a condition on a table with ``region_id``, ``site_id`` and ``team_id`` (None: all)."""
    if rule.scope_kind == "all" or rule.scope_id is None:
        return None
    column = {"region": "region_id", "site": "site_id", "team": "team_id"}.get(rule.scope_kind)
    return table.c[column] == rule.scope_id if column else false()


def _as_day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _response_where(rule: Rule, batch_id: int | None, since: datetime | None,
                    until: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if batch_id is not None:
        where.append(sr.batch_id == batch_id)
    if since is not None:
        where.append(sr.visit_date >= _as_day(since))
    if until is not None:
        where.append(sr.visit_date <= _as_day(until))
    scope = scope_condition(survey_response, rule)
    if scope is not None:
        where.append(scope)
    return where


def _weakest_columns() -> list[Any]:
    """Correlated look-ups (by the touchpoint scores' key) of the touchpoint furthest below expected and its gap."""
    _, rng = scale_bounds()
    below = and_(ts.response_id == sr.id, ts.p < ts.e)
    worst = select(ts.touchpoint_id).where(below).order_by((ts.e - ts.p).desc(), ts.touchpoint_id).limit(1)
    gap = select(func.max(ts.e - ts.p)).where(below)
    return [worst.scalar_subquery().label("tp"), (-gap.scalar_subquery() / rng).label("gap_norm")]


def _kind_condition(rule: Rule) -> tuple[ColumnElement[bool], list[Any]]:
    """The condition of a response rule (not the gap rule) and the columns its detail reports."""
    p = rule.params
    if rule.kind == "ltr_at_most":
        return and_(sr.ltr.is_not(None), sr.ltr <= float(p["threshold"])), [sr.ltr]
    if rule.kind == "csat_at_most":
        return and_(sr.csat.is_not(None), sr.csat <= float(p["threshold"])), [sr.csat]
    if rule.kind == "tier_disappointed":
        return sr.tier == int(Tier.DISAPPOINTED), [sr.gap_norm.label("overall_gap_norm")]
    if rule.kind == "comment_keywords":
        words = keywords_of(rule)
        text = func.lower(sr.comment)
        matches = [text.contains(w.lower(), autoescape=True) for w in words]
        return and_(sr.comment.is_not(None), or_(*matches) if matches else false()), [sr.comment]
    if rule.kind == "repeat_contact":
        cond = or_(sr.contacts_needed >= int(p["min_contacts"]), sr.repeated_story.is_(True))
        return cond, [sr.contacts_needed, sr.repeated_story]
    raise ValueError(f"not a response rule: {rule.kind}")


def keywords_of(rule: Rule) -> list[str]:
    """The words a comment rule looks for: its keywords, then its theme words (stripped, no blanks, no repeats)."""
    words = [*(rule.params.get("keywords") or []), *(rule.params.get("themes") or [])]
    return list(dict.fromkeys(w.strip() for w in words if isinstance(w, str) and w.strip()))


def _moment(responded_at: datetime | None, visit_date: date) -> datetime:
    return responded_at if responded_at is not None else datetime.combine(visit_date, time())


def _detail(rule: Rule, row: Any) -> dict[str, Any]:
    """What matched, without the customer's own words (a case shows the response itself)."""
    if rule.kind == "ltr_at_most":
        return {"ltr": int(row.ltr)}
    if rule.kind == "csat_at_most":
        return {"csat": int(row.csat)}
    if rule.kind == "tier_disappointed":
        return {"tier": int(Tier.DISAPPOINTED)}
    if rule.kind == "comment_keywords":
        text = (row.comment or "").lower()
        keywords = [w for w in rule.params.get("keywords") or [] if w.strip().lower() in text]
        themes = [w for w in rule.params.get("themes") or [] if w.strip().lower() in text]
        return {k: v for k, v in (("keywords", keywords), ("themes", themes)) if v}
    if rule.kind == "repeat_contact":
        return {"contacts_needed": None if row.contacts_needed is None else int(row.contacts_needed),
                "repeated_story": bool(row.repeated_story)}
    return {}


def _response_trigger(rule: Rule, row: Any, touchpoint_id: Any, detail: dict[str, Any]) -> Trigger:
    assert rule.id is not None
    return Trigger(
        rule_id=rule.id, source="response", customer_id=_int(row.customer_id), response_id=int(row.id),
        ticket_id=None, batch_id=_int(row.batch_id), at=_moment(row.responded_at, row.visit_date),
        region_id=_int(row.region_id), site_id=_int(row.site_id), team_id=_int(row.team_id),
        touchpoint_id=_int(touchpoint_id), detail=detail,
    )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


_BASE = [sr.id, sr.customer_id, sr.batch_id, sr.visit_date, sr.responded_at, sr.region_id, sr.site_id, sr.team_id]


def _gap_triggers(conn: Connection, rule: Rule, where: list[ColumnElement[bool]]) -> list[Trigger]:
    """Touchpoints perceived below expected by at least ``min_gap``: one trigger per response (its worst one)."""
    min_gap = float(rule.params["min_gap"])
    _, rng = scale_bounds()
    cond = [ts.p.is_not(None), ts.e.is_not(None), ts.e - ts.p >= min_gap - _EPS]
    if rule.params.get("touchpoint_id") is not None:
        cond.append(ts.touchpoint_id == int(rule.params["touchpoint_id"]))
    stmt = (select(*_BASE, ts.touchpoint_id, ts.p, ts.e, ((ts.p - ts.e) / rng).label("gap_norm"))
            .select_from(survey_response.join(touchpoint_score, ts.response_id == sr.id))
            .where(*where, *cond)
            .order_by(sr.id, (ts.e - ts.p).desc(), ts.touchpoint_id))
    out: dict[int, Trigger] = {}
    for row in conn.execute(stmt):
        if int(row.id) in out:
            continue  # the worst touchpoint of this response came first
        detail = {"touchpoint_id": int(row.touchpoint_id), "p": float(row.p), "e": float(row.e),
                  "gap": round(float(row.p) - float(row.e), 6), "gap_norm": _float(row.gap_norm)}
        out[int(row.id)] = _response_trigger(rule, row, row.touchpoint_id, detail)
    return list(out.values())


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def response_triggers(conn: Connection, rule: Rule, *, batch_id: int | None = None, since: datetime | None = None,
                      until: datetime | None = None) -> list[Trigger]:
    """The responses that meet a response rule: of one import batch and/or visited between ``since`` and
    ``until`` (days, inclusive), within the rule's scope, in id order.

    Raises:
        ValueError: the rule is not a response rule.
    """
    if rule.kind not in RESPONSE_RULES:
        raise ValueError(f"not a response rule: {rule.kind}")
    where = _response_where(rule, batch_id, since, until)
    if rule.kind == "touchpoint_gap":
        return _gap_triggers(conn, rule, where)
    cond, extra = _kind_condition(rule)
    stmt = select(*_BASE, *extra, *_weakest_columns()).where(*where, cond).order_by(sr.id)
    out = []
    for row in conn.execute(stmt):
        detail = _detail(rule, row)
        if row.tp is not None:
            detail["gap_norm"] = _float(row.gap_norm)
        out.append(_response_trigger(rule, row, row.tp, detail))
    return out


# --- Tickets ------------------------------------------------------------------------------------------------
def _which(rule: Rule) -> str:
    return str(rule.params.get("which") or "either")


def _ticket_condition(rule: Rule, now: datetime) -> ColumnElement[bool]:
    which = _which(rule)
    if rule.kind == "ticket_at_risk":
        frt = and_(sla.is_open(), sla.frt_pending(), tk.frt_risk_at <= now, tk.frt_due_at > now)
        res = and_(sla.is_open(), sla.res_pending(), tk.res_risk_at <= now, tk.res_due_at > now)
        return {"first_response": frt, "resolution": res}.get(which, sla.at_risk(now))
    if rule.kind == "ticket_breached":
        frt, res = sla.frt_breached(now), sla.res_breached(now)
        return {"first_response": frt, "resolution": res}.get(which, or_(frt, res))
    if rule.kind == "ticket_chased":
        return func.coalesce(tk.reminder_count, 0) >= int(rule.params["times"])
    raise ValueError(f"not a ticket rule: {rule.kind}")


def _ticket_detail(rule: Rule, row: Any) -> dict[str, Any]:
    if rule.kind == "ticket_chased":
        return {"reminders": int(row.reminder_count or 0)}
    detail: dict[str, Any] = {"which": _which(rule)}
    for name in ("frt_due_at", "res_due_at") if rule.kind == "ticket_breached" else ("frt_risk_at", "res_risk_at"):
        if row._mapping[name] is not None:
            detail[name] = jsonable(row._mapping[name])
    return detail


def ticket_triggers(conn: Connection, rule: Rule, now: datetime, *, batch_id: int | None = None,
                    since: datetime | None = None) -> list[Trigger]:
    """The tickets that meet a ticket rule at ``now``: open ones, and those created since ``since`` (default
    :data:`RECENT_DAYS` before ``now``), of one import batch when given, within the rule's scope; merged tickets
    never count.

    Raises:
        ValueError: the rule is not a ticket rule.
    """
    if rule.kind not in TICKET_RULES:
        raise ValueError(f"not a ticket rule: {rule.kind}")
    assert rule.id is not None
    since = since if since is not None else now - timedelta(days=RECENT_DAYS)
    where = [or_(sla.is_open(), tk.created_at >= since), tk.merged_into.is_(None), _ticket_condition(rule, now)]
    if batch_id is not None:
        where.append(tk.batch_id == batch_id)
    scope = scope_condition(ticket, rule)
    if scope is not None:
        where.append(scope)
    stmt = select(tk.id, tk.customer_id, tk.batch_id, tk.created_at, tk.region_id, tk.site_id, tk.team_id,
                  tk.touchpoint_id, tk.reminder_count, tk.frt_due_at, tk.res_due_at, tk.frt_risk_at,
                  tk.res_risk_at).where(*where).order_by(tk.id)
    return [
        Trigger(rule_id=rule.id, source="ticket", customer_id=_int(row.customer_id), response_id=None,
                ticket_id=int(row.id), batch_id=_int(row.batch_id), at=row.created_at, region_id=_int(row.region_id),
                site_id=_int(row.site_id), team_id=_int(row.team_id), touchpoint_id=_int(row.touchpoint_id),
                detail=_ticket_detail(rule, row))
        for row in conn.execute(stmt)
    ]


def triggers_for(conn: Connection, rule: Rule, now: datetime, *, batch_id: int | None = None,
                 since: datetime | None = None) -> Sequence[Trigger]:
    """The triggers of a response or ticket rule (KPI rules: none here, see ``cxdash.followup.scheduled``)."""
    if rule.kind in RESPONSE_RULES:
        return response_triggers(conn, rule, batch_id=batch_id, since=since, until=None if batch_id else now)
    if rule.kind in TICKET_RULES:
        return ticket_triggers(conn, rule, now, batch_id=batch_id, since=since)
    return []
