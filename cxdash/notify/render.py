"""Notices written in their reader's language: the facts of a case read in SQL, and one composer that turns a
subject and sections into the plain text, the HTML (every value escaped) and the chat message of a notice.

A case notice for a chat channel carries no customer reference and its comments are stripped of e-mail addresses
and phone numbers (:func:`cxdash.notify.formats.redact_contacts`); an e-mail to a user who may see the case
carries the customer's reference so they can call back.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from cxdash.i18n import name_column, t
from cxdash.notify.formats import ChatMessage, redact_contacts
from cxdash.schema import (
    alert_rule,
    case_trigger,
    customer,
    followup_case,
    site,
    survey_response,
    team,
    touchpoint,
)
from cxdash.unit_names import display_expr

BASE_URL_ENV = "CXDASH_BASE_URL"  # where the app is served, for links in notices (none: no links)
MAX_TRIGGERS = 5  # a case lists every trigger on its page; a notice shows the first few
COMMENT_CHARS = 240
TIER_KEYS = {0: "tier.disappointed", 1: "tier.basic", 2: "tier.delighted"}


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
    text_parts = [subject, ""]
    html_parts = [f"<h2 style=\"font-family:sans-serif\">{html.escape(subject)}</h2>"]
    chat_facts: list[tuple[str, str]] = []
    chat_lines: list[str] = []
    for s in sections:
        if s.title:
            text_parts += [s.title, "-" * min(len(s.title) * 2, 60)]
            html_parts.append(f"<h3 style=\"font-family:sans-serif\">{html.escape(s.title)}</h3>")
            chat_lines.append(s.title)
        if s.facts:
            text_parts += [f"{label}: {value}" for label, value in s.facts]
            cells = "".join(f"<tr><th align=\"left\">{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                            for label, value in s.facts)
            html_parts.append(f"<table cellpadding=\"4\">{cells}</table>")
            chat_facts += s.facts
        if s.rows:
            text_parts += [" · ".join(s.headers)] + [" · ".join(r) for r in s.rows]
            head = "".join(f"<th align=\"left\">{html.escape(h)}</th>" for h in s.headers)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in s.rows)
            html_parts.append(f"<table cellpadding=\"4\" border=\"1\" style=\"border-collapse:collapse\">"
                              f"<tr>{head}</tr>{body}</table>")
            chat_lines += [" · ".join(r) for r in s.rows[:10]]
        for line in s.lines:
            text_parts.append(line)
            html_parts.append(f"<p>{html.escape(line)}</p>")
            chat_lines.append(line)
        text_parts.append("")
    if link:
        text_parts.append(f"{t('notify.link', lang)}: {link}")
        html_parts.append(f"<p><a href=\"{html.escape(link, quote=True)}\">{html.escape(t('notify.link', lang))}</a></p>")
    text_parts += ["--", t("notify.footer", lang)]
    html_parts.append(f"<p style=\"color:#777;font-size:small\">{html.escape(t('notify.footer', lang))}</p>")
    chat = ChatMessage(subject, tuple(chat_facts), tuple(chat_lines), link, t("notify.link", lang), data or {})
    return Message(subject, "\n".join(text_parts).strip() + "\n", "<html><body>" + "".join(html_parts) + "</body></html>",
                   chat)


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


def case_facts(conn: Connection, case_id: int, lang: str) -> CaseFacts | None:
    """The facts of case ``case_id`` with names in ``lang`` (None when there is no such case)."""
    c = followup_case.c
    tp_name = func.coalesce(touchpoint.c[name_column(lang)], touchpoint.c.name_en, touchpoint.c.code)
    row = conn.execute(
        select(followup_case, alert_rule.c.name.label("rule_name"), display_expr(site, lang).label("site_name"),
               display_expr(team, lang).label("team_name"), tp_name.label("tp_name"),
               customer.c.external_id.label("customer_ref"))
        .select_from(followup_case.join(alert_rule, alert_rule.c.id == c.rule_id)
                     .outerjoin(site, site.c.id == c.site_id).outerjoin(team, team.c.id == c.team_id)
                     .outerjoin(touchpoint, touchpoint.c.id == c.touchpoint_id)
                     .outerjoin(customer, customer.c.id == c.customer_id))
        .where(c.id == case_id)
    ).mappings().first()
    if row is None:
        return None
    r = survey_response.c
    tr = case_trigger.c
    trig = conn.execute(
        select(tr.at, tr.detail, r.ltr, r.csat, r.tier, r.comment)
        .select_from(case_trigger.outerjoin(survey_response, survey_response.c.id == tr.response_id))
        .where(tr.case_id == case_id).order_by(tr.at, tr.id).limit(MAX_TRIGGERS)
    ).mappings().all()
    n = conn.execute(select(func.count()).select_from(case_trigger).where(tr.case_id == case_id)).scalar_one()
    return CaseFacts(
        id=int(row["id"]), severity=row["severity"], status=row["status"], source=row["source"],
        rule=row["rule_name"] or "", region_id=row["region_id"], site_id=row["site_id"], team_id=row["team_id"],
        site=row["site_name"] or "", team=row["team_name"] or "", touchpoint=row["tp_name"] or "",
        opened_at=row["opened_at"], due_at=row["due_at"], customer_ref=row["customer_ref"],
        triggers=tuple(TriggerFact(x["at"], x["ltr"], x["csat"], x["tier"], x["comment"], x["detail"] or {})
                       for x in trig),
        n_triggers=int(n), detail=row["detail"] or {},
    )


def severity_label(severity: str, lang: str) -> str:
    """The translated name of a severity code."""
    return t(f"notify.severity.{severity}", lang) if severity in ("low", "medium", "high") else severity


def _trigger_line(x: TriggerFact, lang: str, for_chat: bool) -> str:
    parts = [when(x.at)]
    if x.ltr is not None:
        parts.append(t("notify.case.ltr", lang, value=x.ltr))
    if x.csat is not None:
        parts.append(t("notify.case.csat", lang, value=x.csat))
    if x.tier in TIER_KEYS:
        parts.append(t(TIER_KEYS[x.tier], lang))
    for key, value in sorted(x.detail.items()):
        if key in ("ltr", "csat", "tier") or isinstance(value, (dict, list)) and not value:
            continue
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key} {shown}")
    if x.comment:
        comment = " ".join(x.comment.split())
        if for_chat:
            comment = redact_contacts(comment)
        parts.append("“" + comment[:COMMENT_CHARS] + ("…" if len(comment) > COMMENT_CHARS else "") + "”")
    return " · ".join(p for p in parts if p)


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


def render_test(lang: str, target: str, now: datetime) -> Message:
    """A test notice: says which channel or address it was sent to and when."""
    subject = t("notify.test.subject", lang)
    section = Section(facts=((t("notify.test.target", lang), target), (t("notify.test.sent", lang), when(now))),
                      lines=(t("notify.test.body", lang),))
    return compose(subject, [section], lang, app_link(""), {"type": "test"})
