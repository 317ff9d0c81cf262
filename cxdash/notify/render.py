"""Notices written in their reader's language: the facts of a case read in SQL, and one composer that turns a
subject and sections into the plain text, the HTML (every value escaped) and the chat message of a notice.

A case notice for a chat channel carries no customer reference and its comments are stripped of e-mail addresses
and phone numbers (:func:`cxdash.notify.formats.redact_contacts`); an e-mail to a user who may see the case
carries the customer's reference so they can call back.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from cxdash.domain.followup import NEW
from cxdash.i18n import catalog, name_column, t
from cxdash.notify.formats import ChatMessage, redact_contacts
from cxdash.schema import (
    alert_rule,
    case_trigger,
    customer,
    followup_case,
    site,
    survey_response,
    team,
    ticket,
    touchpoint,
)
from cxdash.unit_names import display_expr

BASE_URL_ENV = "CXDASH_BASE_URL"  # where the app is served, for links in notices (none: no links)
MAX_TRIGGERS = 5  # a case lists every trigger on its page; a notice shows the first few
COMMENT_CHARS = 240
TIER_KEYS = {0: "common.tier.disappointed", 1: "common.tier.basic", 2: "common.tier.delighted"}


def when(value: datetime | None) -> str:
    """A stored (naive UTC) time as text, marked UTC; empty for None."""
    return "" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def app_link(path: str) -> str | None:
    """The absolute link to ``path`` in the app (``CXDASH_BASE_URL``), None when no base URL is configured."""
    base = os.environ.get(BASE_URL_ENV, "").strip().rstrip("/")
    return f"{base}/{path.lstrip('/')}" if base.startswith(("http://", "https://")) else None


# --- Composing --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Section:
    """A part of a notice: a heading, (label, value) facts, a table (headers, rows) and free lines."""

    title: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """A notice's subject, plain text, HTML and chat form."""

    subject: str
    text: str
    html: str
    chat: ChatMessage


def compose(subject: str, sections: Sequence[Section], lang: str, link: str | None = None,
            data: dict[str, Any] | None = None) -> Message:
    """Turn ``sections`` into text, HTML (values escaped) and a chat message (the facts and lines, no tables)."""
    chat_facts = tuple(f for s in sections for f in s.facts)
    chat_lines = tuple(line for s in sections
                       for line in ((s.title,) if s.title else ()) + tuple(" · ".join(r) for r in s.rows[:10]) + s.lines)
    chat = ChatMessage(subject, chat_facts, chat_lines, link, t("notify.link", lang), data or {})
    return Message(subject, _text(subject, sections, lang, link), _html(subject, sections, lang, link), chat)


def _text(subject: str, sections: Sequence[Section], lang: str, link: str | None) -> str:
    out = [subject, ""]
    for s in sections:
        if s.title:
            out += [s.title, "-" * min(len(s.title.encode()), 60)]
        out += [f"{label}: {value}" for label, value in s.facts]
        if s.rows:
            out += [" · ".join(s.headers)] + [" · ".join(r) for r in s.rows]
        out += [*s.lines, ""]
    if link:
        out.append(f"{t('notify.link', lang)}: {link}")
    return "\n".join([*out, "--", t("notify.footer", lang)]) + "\n"


def _html(subject: str, sections: Sequence[Section], lang: str, link: str | None) -> str:
    esc = html.escape
    out = [f"<h2 style=\"font-family:sans-serif\">{esc(subject)}</h2>"]
    for s in sections:
        if s.title:
            out.append(f"<h3 style=\"font-family:sans-serif\">{esc(s.title)}</h3>")
        if s.facts:
            cells = "".join(f"<tr><th align=\"left\">{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in s.facts)
            out.append(f"<table cellpadding=\"4\">{cells}</table>")
        if s.rows:
            head = "".join(f"<th align=\"left\">{esc(h)}</th>" for h in s.headers)
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in s.rows)
            out.append(f"<table cellpadding=\"4\" border=\"1\" style=\"border-collapse:collapse\"><tr>{head}</tr>{body}</table>")
        out += [f"<p>{esc(line)}</p>" for line in s.lines]
    if link:
        out.append(f"<p><a href=\"{esc(link, quote=True)}\">{esc(t('notify.link', lang))}</a></p>")
    out.append(f"<p style=\"color:#777;font-size:small\">{esc(t('notify.footer', lang))}</p>")
    return "<html><body>" + "".join(out) + "</body></html>"


# --- The facts of a case ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TriggerFact:
    """One triggering answer: when, the scores it gave and its comment."""

    at: datetime
    ltr: int | None
    csat: int | None
    tier: int | None
    comment: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    ticket_ref: str | None = None


@dataclass(frozen=True)
class CaseFacts:
    """What a notice says about a case (names in one language)."""

    id: int
    severity: str
    status: str
    source: str
    rule: str
    region_id: int | None
    site_id: int | None
    team_id: int | None
    site: str
    team: str
    touchpoint: str
    opened_at: datetime
    due_at: datetime
    customer_ref: str | None
    triggers: tuple[TriggerFact, ...]
    n_triggers: int
    detail: dict[str, Any] = field(default_factory=dict)


CHUNK = 500  # case ids per query (bound parameters stay well under every database's limit)


def case_facts(conn: Connection, case_id: int, lang: str) -> CaseFacts | None:
    """The facts of case ``case_id`` with names in ``lang`` (None when there is no such case)."""
    return cases_facts(conn, [case_id], lang).get(case_id)


def cases_facts(conn: Connection, case_ids: Sequence[int], lang: str) -> dict[int, CaseFacts]:
    """The facts of many cases with names in ``lang``, by id, in two queries per :data:`CHUNK` cases (an import
    may open hundreds inside its transaction)."""
    out: dict[int, CaseFacts] = {}
    ids = sorted({int(i) for i in case_ids})
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        triggers = _triggers(conn, chunk)
        for row in conn.execute(_case_query(lang).where(followup_case.c.id.in_(chunk))).mappings():
            trig, n = triggers.get(int(row["id"]), ((), 0))
            out[int(row["id"])] = CaseFacts(
                id=int(row["id"]), severity=row["severity"], status=row["status"], source=row["source"],
                rule=row["rule_name"] or "", region_id=row["region_id"], site_id=row["site_id"],
                team_id=row["team_id"], site=row["site_name"] or "", team=row["team_name"] or "",
                touchpoint=row["tp_name"] or "", opened_at=row["opened_at"], due_at=row["due_at"],
                customer_ref=row["customer_ref"], triggers=trig, n_triggers=n, detail=row["detail"] or {})
    return out


def _case_query(lang: str) -> Select[Any]:
    c = followup_case.c
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en, touchpoint.c.code)
    return (
        select(followup_case, alert_rule.c.name.label("rule_name"), display_expr(site, lang).label("site_name"),
               display_expr(team, lang).label("team_name"), tp_name.label("tp_name"),
               customer.c.external_id.label("customer_ref"))
        .select_from(followup_case.join(alert_rule, alert_rule.c.id == c.rule_id)
                     .outerjoin(site, site.c.id == c.site_id).outerjoin(team, team.c.id == c.team_id)
                     .outerjoin(touchpoint, touchpoint.c.id == c.touchpoint_id)
                     .outerjoin(customer, customer.c.id == c.customer_id))
    )


def _triggers(conn: Connection, case_ids: Sequence[int]) -> dict[int, tuple[tuple[TriggerFact, ...], int]]:
    """The first :data:`MAX_TRIGGERS` triggers of each case (with their response's scores and comment, or their
    ticket) and how many it has."""
    tr, r = case_trigger.c, survey_response.c
    ranked = (
        select(tr.case_id, tr.at, tr.detail, r.ltr, r.csat, r.tier, r.comment,
               ticket.c.external_id.label("ticket_ref"),
               func.row_number().over(partition_by=tr.case_id, order_by=(tr.at, tr.id)).label("rn"),
               func.count().over(partition_by=tr.case_id).label("n"))
        .select_from(case_trigger.outerjoin(survey_response, survey_response.c.id == tr.response_id)
                     .outerjoin(ticket, ticket.c.id == tr.ticket_id))
        .where(tr.case_id.in_(list(case_ids)))
        .subquery()
    )
    found: dict[int, tuple[list[TriggerFact], int]] = {}
    rows = conn.execute(select(ranked).where(ranked.c.rn <= MAX_TRIGGERS).order_by(ranked.c.case_id, ranked.c.rn))
    for x in rows.mappings():
        items, _ = found.setdefault(int(x["case_id"]), ([], int(x["n"])))
        items.append(TriggerFact(x["at"], x["ltr"], x["csat"], x["tier"], x["comment"], x["detail"] or {},
                                 x["ticket_ref"]))
    return {k: (tuple(v), n) for k, (v, n) in found.items()}


def severity_label(severity: str, lang: str) -> str:
    """The translated name of a severity code."""
    return t(f"notify.severity.{severity}", lang) if severity in ("low", "medium", "high") else severity


# What a trigger's ``detail`` may say (cxdash.followup.triggers); other keys are shown by their code.
DETAIL_KEYS = ("gap", "keywords", "themes", "contacts_needed", "repeated_story", "reminder_count", "which")


def _detail_part(key: str, value: Any, lang: str) -> str | None:
    if key in ("ltr", "csat", "tier") or value in (None, "", [], {}):
        return None  # shown with the scores, or nothing to show
    shown = ", ".join(map(str, value)) if isinstance(value, list) else f"{value:+.2f}" if key == "gap" else str(value)
    label = t(f"notify.detail.{key}", lang) if key in DETAIL_KEYS else key
    return f"{label} {shown}"


def _trigger_line(x: TriggerFact, lang: str, for_chat: bool) -> str:
    parts = [when(x.at)]
    if x.ticket_ref:
        parts.append(t("notify.case.ticket", lang, ref=x.ticket_ref))
    # The response's scores, or what the trigger recorded when the response is gone (its batch deleted).
    ltr = x.ltr if x.ltr is not None else x.detail.get("ltr")
    csat = x.csat if x.csat is not None else x.detail.get("csat")
    if ltr is not None:
        parts.append(t("notify.case.ltr", lang, value=ltr))
    if csat is not None:
        parts.append(t("notify.case.csat", lang, value=csat))
    if x.tier in TIER_KEYS:
        parts.append(t(TIER_KEYS[x.tier], lang))
    parts += [p for key, value in sorted(x.detail.items()) if (p := _detail_part(key, value, lang))]
    if x.comment:
        comment = " ".join(x.comment.split())
        if for_chat:
            comment = redact_contacts(comment)
        parts.append("“" + comment[:COMMENT_CHARS] + ("…" if len(comment) > COMMENT_CHARS else "") + "”")
    return " · ".join(p for p in parts if p)


def _kpi_facts(detail: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """A KPI case's figure: which KPI, its value and target in which period (``followup_case.detail``)."""
    kpi = detail.get("kpi")
    if not kpi:
        return []
    key = f"overview.kpi.{kpi}.title"
    name = t(key, lang) if key in catalog() else str(kpi)
    return [(t("notify.case.kpi", lang), name),
            (t("notify.case.kpi_value", lang),
             t("notify.case.kpi_figures", lang, value=detail.get("value", "–"), target=detail.get("target", "–"),
               period=detail.get("period", "–")))]


def render_case(facts: CaseFacts, lang: str, *, for_chat: bool) -> Message:
    """A new case's notice in ``lang``; ``for_chat`` leaves the customer out and redacts contact data."""
    unit = " · ".join(x for x in (facts.site, facts.team) if x) or t("notify.case.no_unit", lang)
    subject = t("notify.case.subject", lang, id=facts.id, severity=severity_label(facts.severity, lang), unit=unit)
    facts_list = [
        (t("notify.case.rule", lang), facts.rule),
        (t("notify.case.severity", lang), severity_label(facts.severity, lang)),
        (t("notify.case.site", lang), facts.site or "–"),
        (t("notify.case.team", lang), facts.team or "–"),
    ]
    if facts.touchpoint:
        facts_list.append((t("notify.case.touchpoint", lang), facts.touchpoint))
    facts_list += [(t("notify.case.opened", lang), when(facts.opened_at)),
                   (t("notify.case.due", lang), when(facts.due_at))]
    if not for_chat and facts.customer_ref:
        facts_list.append((t("notify.case.customer", lang), facts.customer_ref))
    facts_list += _kpi_facts(facts.detail, lang)
    lines = tuple(_trigger_line(x, lang, for_chat) for x in facts.triggers)
    if facts.n_triggers > len(facts.triggers):
        lines += (t("notify.case.more_triggers", lang, n=facts.n_triggers - len(facts.triggers)),)
    sections = [Section(facts=tuple(facts_list)),
                Section(title=t("notify.case.triggers", lang, n=facts.n_triggers), lines=lines)]
    data = {"type": "case", "case": {
        "id": facts.id, "severity": facts.severity, "status": facts.status, "source": facts.source,
        "rule": facts.rule, "site_id": facts.site_id, "team_id": facts.team_id, "site": facts.site,
        "team": facts.team, "touchpoint": facts.touchpoint, "opened_at": facts.opened_at.isoformat(),
        "due_at": facts.due_at.isoformat(), "triggers": facts.n_triggers}}
    return compose(subject, sections, lang, app_link(f"cases?case={facts.id}"), data)


# --- Lists of cases ----------------------------------------------------------------------------------------------
def case_list_query(lang: str) -> Select[Any]:
    """Cases as a notice lists them: id, severity, status, place (ids, and site and team names in ``lang``), rule
    name and due time; the caller adds its conditions, order and limit."""
    c = followup_case.c
    return (
        select(c.id, c.severity, c.status, c.due_at, c.site_id, c.team_id, alert_rule.c.name.label("rule"),
               display_expr(site, lang).label("site"), display_expr(team, lang).label("team"))
        .select_from(followup_case.join(alert_rule, alert_rule.c.id == c.rule_id)
                     .outerjoin(site, site.c.id == c.site_id).outerjoin(team, team.c.id == c.team_id))
    )


def is_overdue(row: Mapping[str, Any], now: datetime) -> bool:
    """A listed case still new after its first-contact due time (the case page's "overdue"; a contacted case is
    not, whatever its due time)."""
    return row["status"] == NEW and row["due_at"] < now


def case_table(rows: Sequence[dict[str, Any]], lang: str, now: datetime, title: str,
               total: int | None = None) -> Section:
    """A section listing ``rows`` of :func:`case_list_query` (case, severity, site · team, rule, due, marked when
    overdue at ``now``); with ``total`` above the rows shown, a last line says how many more the case page has."""
    headers = tuple(t(f"notify.digest.col.{k}", lang) for k in ("case", "severity", "unit", "rule", "due"))
    table = tuple(
        (f"#{r['id']}", severity_label(r["severity"], lang), " · ".join(x for x in (r["site"], r["team"]) if x),
         r["rule"] or "", when(r["due_at"]) + (f" ({t('notify.digest.overdue', lang)})" if is_overdue(r, now) else ""))
        for r in rows)
    more = (t("notify.digest.more", lang, n=total - len(rows)),) if total is not None and total > len(rows) else ()
    return Section(title=title, headers=headers, rows=table, lines=more)


def render_unassigned(rows: Sequence[dict[str, Any]], total: int, lang: str, now: datetime) -> Message:
    """The notice to an admin or CX lead of ``total`` new high-severity cases without an owner, listing ``rows``
    (the first of them, :func:`case_list_query`)."""
    subject = t("notify.unassigned.subject", lang, n=total)
    section = case_table(rows, lang, now, t("notify.unassigned.cases", lang), total)
    intro = Section(lines=(t("notify.unassigned.intro", lang),))
    return compose(subject, [intro, section], lang, app_link("cases"), {"type": "unassigned", "cases": total})


def render_test(lang: str, target: str, now: datetime) -> Message:
    """A test notice: says which channel or address it was sent to and when."""
    subject = t("notify.test.subject", lang)
    section = Section(facts=((t("notify.test.target", lang), target), (t("notify.test.sent", lang), when(now))),
                      lines=(t("notify.test.body", lang),))
    return compose(subject, [section], lang, app_link(""), {"type": "test"})
