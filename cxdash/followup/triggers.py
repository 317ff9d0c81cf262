"""What a rule finds: the responses and tickets that meet it, as :class:`Trigger` values.

Each rule is one set-based ``SELECT`` with bound parameters over ``survey_response`` (with ``touchpoint_score`` for
gaps) or ``ticket``, narrowed to one import batch (``batch_id``, indexed) or to a range of visit days, and to the
rule's scope; only the rows that meet the rule come back, nothing reads a whole table. One more statement finds
each response's weakest touchpoint, once per batch for all its rules (:func:`batch_response_triggers`).

- ``ltr_at_most`` / ``csat_at_most``: the answer is given and at or below the threshold.
- ``tier_disappointed``: the response's overall tier (:mod:`cxdash.domain.tiers`, derived at load) is disappointed.
- ``touchpoint_gap``: a touchpoint perceived below expected by at least ``min_gap`` points on the response's own
  touchpoint scale (E - P >= min_gap); one touchpoint or any (the trigger names the furthest below).
- ``comment_keywords``: the comment contains any keyword or theme word, ignoring case in every script
  (:func:`cxdash.sqlfuncs.lower_for` on both sides; any language, Chinese included). LIKE wildcards in a
  keyword match themselves. Theme words are matched as words in the comment like keywords: the
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
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Connection

from cxdash.audit import jsonable
from cxdash.domain import service_sql as sla
from cxdash.domain.followup import RESPONSE_RULES, TICKET_RULES
from cxdash.domain.pairs import scale_bounds
from cxdash.domain.tiers import Tier
from cxdash.followup.rules import Rule
from cxdash.schema import survey_response, ticket, touchpoint_score
from cxdash.sqlfuncs import lower_for

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
    """The batch or the visit days, and the scope. Within a batch the days are checked on the few rows found
    instead (:func:`_in_days`): a range of days in SQL could lure the planner onto the visit-date index, which
    reads every response of those days, not the batch's."""
    where: list[ColumnElement[bool]] = []
    if batch_id is not None:
        where.append(sr.batch_id == batch_id)
    else:
        if since is not None:
            where.append(sr.visit_date >= _as_day(since))
        if until is not None:
            where.append(sr.visit_date <= _as_day(until))
    scope = scope_condition(survey_response, rule)
    if scope is not None:
        where.append(scope)
    return where


def _days(batch_id: int | None, since: datetime | None, until: datetime | None) -> tuple[date | None, date | None]:
    """The visit days still to check on the rows found (a batch's), as (first, last); (None, None): none."""
    if batch_id is None:
        return None, None
    return (_as_day(since) if since is not None else None), (_as_day(until) if until is not None else None)


def _in_days(row: Any, days: tuple[date | None, date | None]) -> bool:
    lo, hi = days
    return (lo is None or row.visit_date >= lo) and (hi is None or row.visit_date <= hi)


# response id -> (touchpoint furthest below expected, its P - E on the response's own scale, on the 0-1 scale)
Weakest = dict[int, tuple[int, float, float | None]]


def _worst_scores(where: Sequence[ColumnElement[bool]], min_gap: float | None = None) -> Any:
    """Per selected response with a touchpoint below expected: the largest E - P (``worst``), its touchpoint (the
    lowest id on a tie) and the scale's range; only those at least ``min_gap`` below when given. A grouped pass
    over the touchpoint scores in their key order, then one look-up per response: cheaper than ranking every
    score with a window."""
    _, rng = scale_bounds()
    gap = ts.e - ts.p
    worst = (select(ts.response_id.label("rid"), func.max(gap).label("worst"), func.max(rng).label("rng"))
             .select_from(survey_response.join(touchpoint_score, ts.response_id == sr.id))
             .where(*where, ts.p < ts.e)
             .group_by(ts.response_id))
    if min_gap is not None:
        worst = worst.having(func.max(gap) >= min_gap - _EPS)
    w = worst.subquery("w")
    # The touchpoint of that gap by a look-up of each response's scores (their key), not a join: PostgreSQL joined
    # every score of the table to the few responses by hash.
    tp = (select(func.min(ts.touchpoint_id)).where(ts.response_id == w.c.rid, ts.e - ts.p == w.c.worst)
          .scalar_subquery())
    return select(w.c.rid, tp.label("tp"), w.c.worst, w.c.rng)


def _norm(worst: Any, rng: Any) -> float | None:
    return None if worst is None or not rng else _float(-float(worst) / float(rng))


def weakest_touchpoints(conn: Connection, where: Sequence[ColumnElement[bool]]) -> Weakest:
    """The touchpoint each selected response scored furthest below expected (largest E - P; ties: the lowest
    touchpoint id) with its gap on the response's own scale and on the common 0-1 scale."""
    stmt = _worst_scores(where)
    if conn.dialect.name == "postgresql":
        # One sorted pass keeping each response's first score (DISTINCT ON): the grouped pass and a look-up per
        # response took 0.18 s for an upload's 10,000 responses, this 0.07 s.
        _, rng = scale_bounds()
        gap = ts.e - ts.p
        stmt = (select(ts.response_id, ts.touchpoint_id, gap, rng)
                .select_from(survey_response.join(touchpoint_score, ts.response_id == sr.id))
                .where(*where, ts.p < ts.e)
                .order_by(ts.response_id, gap.desc(), ts.touchpoint_id).ext(distinct_on(ts.response_id)))
    return {int(r): (int(tp), -float(worst), _norm(worst, rng))
            for r, tp, worst, rng in conn.execute(stmt).all()}


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
        text = lower_for(sr.comment, words)
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


def _gap_detail(touchpoint_id: int, gap: float, gap_norm: float | None) -> dict[str, Any]:
    return {"touchpoint_id": int(touchpoint_id), "gap": round(gap, 6), "gap_norm": gap_norm}


def _gap_triggers(conn: Connection, rule: Rule, where: list[ColumnElement[bool]],
                  days: tuple[date | None, date | None], weakest: Weakest | None = None) -> list[Trigger]:
    """Touchpoints perceived below expected by at least ``min_gap`` (E - P on the response's own scale): one
    trigger per response, naming the rule's touchpoint or, for any touchpoint, the response's worst one."""
    min_gap = float(rule.params["min_gap"])
    tp_id = rule.params.get("touchpoint_id")
    out = []
    if tp_id is not None:
        _, rng = scale_bounds()
        stmt = (select(*_BASE, ts.touchpoint_id, (ts.p - ts.e).label("gap"), ((ts.p - ts.e) / rng).label("norm"))
                .select_from(survey_response.join(touchpoint_score, ts.response_id == sr.id))
                .where(*where, ts.touchpoint_id == int(tp_id), ts.e - ts.p >= min_gap - _EPS)
                .order_by(sr.id))
        for row in conn.execute(stmt):
            if _in_days(row, days):
                out.append(_response_trigger(rule, row, row.touchpoint_id,
                                             _gap_detail(row.touchpoint_id, float(row.gap), _float(row.norm))))
        return out
    if weakest is not None:
        # The batch's worst touchpoints are known already: its rows that are far enough below.
        rows = [row for row in conn.execute(select(*_BASE).where(*where).order_by(sr.id))
                if int(row.id) in weakest and -weakest[int(row.id)][1] >= min_gap - _EPS and _in_days(row, days)]
        for row in rows:
            tp, gap, norm = weakest[int(row.id)]
            out.append(_response_trigger(rule, row, tp, _gap_detail(tp, gap, norm)))
        return out
    w = _worst_scores(where, min_gap).subquery("worst")
    stmt = select(*_BASE, w.c.tp, w.c.worst, w.c.rng).select_from(survey_response.join(w, w.c.rid == sr.id)) \
        .order_by(sr.id)
    for row in conn.execute(stmt):
        if _in_days(row, days):
            out.append(_response_trigger(rule, row, row.tp, _gap_detail(row.tp, -float(row.worst),
                                                                        _norm(row.worst, row.rng))))
    return out


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 6)


def response_triggers(conn: Connection, rule: Rule, *, batch_id: int | None = None, since: datetime | None = None,
                      until: datetime | None = None, touchpoints: bool = True) -> list[Trigger]:
    """The responses that meet a response rule: of one import batch and/or visited between ``since`` and
    ``until`` (days, inclusive), within the rule's scope, in id order. ``touchpoints`` False leaves out the look-up
    of each response's weakest touchpoint (a dry run over months of responses only counts them).

    Raises:
        ValueError: the rule is not a response rule.
    """
    return _response_triggers(conn, rule, batch_id, since, until, touchpoints, None)


def batch_response_triggers(conn: Connection, rules: Sequence[Rule], batch_id: int, since: datetime | None = None,
                            until: datetime | None = None) -> dict[int, list[Trigger]]:
    """:func:`response_triggers` of several rules over one import batch, by rule id; the weakest touchpoint of
    each response is looked up once for all of them."""
    rules = [r for r in rules if r.kind in RESPONSE_RULES and r.id is not None]
    if not rules:
        return {}
    weakest = weakest_touchpoints(conn, [sr.batch_id == batch_id])
    return {int(r.id): _response_triggers(conn, r, batch_id, since, until, True, weakest)  # type: ignore[arg-type]
            for r in rules}


def _response_triggers(conn: Connection, rule: Rule, batch_id: int | None, since: datetime | None,
                       until: datetime | None, touchpoints: bool, weakest: Weakest | None) -> list[Trigger]:
    if rule.kind not in RESPONSE_RULES:
        raise ValueError(f"not a response rule: {rule.kind}")
    where = _response_where(rule, batch_id, since, until)
    days = _days(batch_id, since, until)
    if rule.kind == "touchpoint_gap":
        return _gap_triggers(conn, rule, where, days, weakest)
    cond, extra = _kind_condition(rule)
    rows = [row for row in conn.execute(select(*_BASE, *extra).where(*where, cond).order_by(sr.id))
            if _in_days(row, days)]
    if touchpoints and weakest is None and rows:
        weakest = weakest_touchpoints(conn, [*where, cond])
    weakest = weakest or {}
    out = []
    for row in rows:
        detail = _detail(rule, row)
        tp, _, norm = weakest.get(int(row.id), (None, None, None))
        if tp is not None:
            detail["gap_norm"] = norm
        out.append(_response_trigger(rule, row, tp, detail))
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
    never count. In id order.

    Raises:
        ValueError: the rule is not a ticket rule.
    """
    if rule.kind not in TICKET_RULES:
        raise ValueError(f"not a ticket rule: {rule.kind}")
    since = since if since is not None else now - timedelta(days=RECENT_DAYS)
    where = [tk.merged_into.is_(None), _ticket_condition(rule, now)]
    scope = scope_condition(ticket, rule)
    if scope is not None:
        where.append(scope)
    if batch_id is not None:
        # The batch's index finds its rows; open or recent is checked on the few found (an OR of the status and
        # creation-time indexes could otherwise be chosen over it).
        rows = [r for r in _ticket_rows(conn, [*where, tk.batch_id == batch_id])
                if r.status in sla.OPEN_STATUSES or r.created_at >= since]
    else:
        # Open tickets by the status index, recent closed ones by the creation-time index: two index ranges
        # instead of one scan of every ticket for the OR of both.
        rows = _ticket_rows(conn, [*where, sla.is_open()])
        rows += _ticket_rows(conn, [*where, ~sla.is_open(), tk.created_at >= since])
        rows.sort(key=lambda r: r.id)
    return [_ticket_trigger(rule, row) for row in rows]


def _ticket_rows(conn: Connection, where: list[ColumnElement[bool]]) -> list[Any]:
    stmt = select(tk.id, tk.customer_id, tk.batch_id, tk.created_at, tk.status, tk.region_id, tk.site_id, tk.team_id,
                  tk.touchpoint_id, tk.reminder_count, tk.frt_due_at, tk.res_due_at, tk.frt_risk_at,
                  tk.res_risk_at).where(*where)
    return list(conn.execute(stmt))


def _ticket_trigger(rule: Rule, row: Any) -> Trigger:
    assert rule.id is not None
    return Trigger(rule_id=rule.id, source="ticket", customer_id=_int(row.customer_id), response_id=None,
                   ticket_id=int(row.id), batch_id=_int(row.batch_id), at=row.created_at,
                   region_id=_int(row.region_id), site_id=_int(row.site_id), team_id=_int(row.team_id),
                   touchpoint_id=_int(row.touchpoint_id), detail=_ticket_detail(rule, row))


def triggers_for(conn: Connection, rule: Rule, now: datetime, *, batch_id: int | None = None,
                 since: datetime | None = None, touchpoints: bool = True) -> list[Trigger]:
    """The triggers of a response or ticket rule at ``now`` (of one batch, or since ``since``); KPI rules find
    none here (``cxdash.alerts`` evaluates them)."""
    if rule.kind in RESPONSE_RULES:
        return response_triggers(conn, rule, batch_id=batch_id, since=since, until=now, touchpoints=touchpoints)
    if rule.kind in TICKET_RULES:
        return ticket_triggers(conn, rule, now, batch_id=batch_id, since=since)
    return []
