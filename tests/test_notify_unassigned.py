"""Cases nobody owns (#23) on SQLite and PostgreSQL: a rule without a fallback owner opens high-severity cases at a
team without a lead, and the admins and CX leads who want immediate notices get one notice per run of the rules
listing them (in their language, at most 20 rows, sent once); their daily digest lists the open cases without an
owner."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.header import decode_header, make_header
from html.parser import HTMLParser

import pytest
from sqlalchemy import Engine, select, update

from cxdash.followup.cases import run_for_batch
from cxdash.i18n import t
from cxdash.notify.channels import save_channel, save_notice_settings
from cxdash.notify.deliver import deliver_due
from cxdash.notify.mail import SmtpSettings
from cxdash.notify.outbox import enqueue_case_notices
from cxdash.schema import followup_case, notice
from cxdash.views.digests import queue_daily_digests
from tests.support.followup_world import NOW, WORLD, batch, rule, setup, user
from tests.support.notify import case, smtp_server

ADMIN = "admin@x.org"
CX = "cx@x.org"  # a CX lead who reads Chinese
QUIET = "quiet@x.org"  # an admin who turned immediate notices and the daily digest off
GONE = "gone@x.org"  # an inactive CX lead
EXEC = "exec@x.org"  # an executive: reads every case, assigns none
LEAD = "lead@x.org"  # team 1's lead; team 2 has none
DAY = date(2026, 12, 1)
BASE = "https://cx.example.com"


def world(engine: Engine) -> dict[str, int]:
    """The CLOSEDLOOP organisation with 30 customers and the users above; returns their ids by e-mail."""
    setup(engine, customers=30)
    ids = {ADMIN: user(engine, ADMIN, "admin"), CX: user(engine, CX, "cx_lead"), QUIET: user(engine, QUIET, "admin"),
           GONE: user(engine, GONE, "cx_lead", active=False), EXEC: user(engine, EXEC, "executive"),
           LEAD: user(engine, LEAD, "team_lead", teams=(1,))}
    with engine.begin() as conn:
        save_notice_settings(conn, CX, None, language="zh-Hans", immediate=True, daily=True, weekly=False)
        save_notice_settings(conn, QUIET, None, language="en", immediate=False, daily=False, weekly=False)
    return ids


def run_rule(engine: Engine, sites: list[int], severity: str = "high") -> list[int]:
    """A rule without a fallback owner and one detractor per entry of ``sites`` (customers 1, 2 ...), run as
    an import does; returns the ids of the cases opened."""
    rule(engine, "ltr_at_most", {"threshold": 6}, severity=severity)
    b = batch(engine)
    WORLD.responses(engine, [{"batch_id": b, "visit_date": DAY, "ltr": 2, "customer_id": i + 1, "site_id": s}
                             for i, s in enumerate(sites)])
    with engine.begin() as conn:
        return run_for_batch(conn, b, NOW)


def notices(engine: Engine, kind: str | None = None) -> list[dict]:
    """The notices (of ``kind``), by id."""
    stmt = select(notice).order_by(notice.c.id)
    if kind is not None:
        stmt = stmt.where(notice.c.kind == kind)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


class Tables(HTMLParser):
    """The cells of every table row of an HTML notice."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Start a row or a cell."""
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        """Close a cell."""
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        """Collect a cell's text."""
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str) -> list[list[str]]:
    """The rows (header first) of the tables in ``html``."""
    parser = Tables()
    parser.feed(html)
    return parser.rows


def listed_cases(text: str) -> list[int]:
    """The case numbers a notice's plain text lists, in order."""
    return [int(n) for n in re.findall(r"^#(\d+) · ", text, flags=re.MULTILINE)]


def test_unassigned_high_cases_reach_each_admin_and_cx_lead_once(engine: Engine,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXDASH_BASE_URL", BASE)
    ids = world(engine)
    # Team 1 has a lead (its case is theirs); team 2 has none and the rule names nobody: three cases nobody owns.
    opened = run_rule(engine, [1, 2, 2, 2])
    with engine.connect() as conn:
        owners = dict(conn.execute(select(followup_case.c.id, followup_case.c.owner_user_id)).all())
    owned = [c for c in opened if owners[c] is not None]
    unowned = [c for c in opened if owners[c] is None]
    assert owners[owned[0]] == ids[LEAD] and len(unowned) == 3
    got = notices(engine, "unassigned")
    assert sorted(n["user_id"] for n in got) == sorted([ids[ADMIN], ids[CX]])  # not the quiet, gone, exec or lead
    assert {n["idempotency_key"] for n in got} == {f"unassigned:{min(opened)}:user:{ids[u]}" for u in (ADMIN, CX)}
    assert [n["user_id"] for n in notices(engine, "case")] == [ids[LEAD]]  # the owned case: its owner, as before
    by_user = {n["user_id"]: n for n in got}
    en = by_user[ids[ADMIN]]
    assert en["language"] == "en" and en["subject"] == t("notify.unassigned.subject", "en", n=3)
    assert listed_cases(en["body_text"]) == unowned and "Team 2" in en["body_text"]
    assert f"{BASE}/cases" in en["body_text"] and "more on the case page" not in en["body_text"]
    rows = table_rows(en["body_html"])
    assert rows[0] == ["Case", "Severity", "Site · team", "Rule", "First contact due"]
    assert [r[0] for r in rows[1:]] == [f"#{c}" for c in unowned]
    assert all(r[1] == "High" and r[3] == "ltr_at_most" for r in rows[1:])
    # Running the import's rules or queueing the same call again queues nothing new.
    with engine.begin() as conn:
        assert enqueue_case_notices(conn, opened, NOW) == 0
    assert len(notices(engine, "unassigned")) == 2
    # The CX lead's e-mail, as delivered: in Chinese, a table of the three cases, a link to the case page.
    with engine.begin() as conn:
        conn.execute(update(notice).where(notice.c.user_id != ids[CX]).values(status="sent"))
    with smtp_server() as smtp:
        run = deliver_due(engine, NOW, smtp=SmtpSettings("127.0.0.1", smtp.port, "none", None, None,
                                                        "cxdash@example.com", timeout=5))
    assert run.sent == 1 and smtp.recipients == [[CX]]
    msg = smtp.messages[0]
    assert str(make_header(decode_header(msg["Subject"]))) == "[cxdash] 无人负责的新高严重度案例：3 个"
    plain, html = (next(p for p in msg.walk() if p.get_content_type() == f"text/{sub}") for sub in ("plain", "html"))
    plain_text = plain.get_payload(decode=True).decode("utf-8")
    assert "无人负责的新案例" in plain_text and "案例页面为每个案例指定负责人" in plain_text
    zh_rows = table_rows(html.get_payload(decode=True).decode("utf-8"))
    assert zh_rows[0] == ["案例", "严重度", "门店 · 团队", "规则", "首次联系截止"]
    assert [r[0] for r in zh_rows[1:]] == [f"#{c}" for c in unowned] and {r[1] for r in zh_rows[1:]} == {"高"}


def test_many_unassigned_cases_list_twenty_and_say_how_many_more(engine: Engine) -> None:
    ids = world(engine)
    with engine.begin() as conn:  # an active channel: the notices read every new case (not the fast path)
        save_channel(conn, {"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook",
                            "min_severity": "high"}, ADMIN, NOW)
    opened = run_rule(engine, [2] * 23)
    assert len(opened) == 23 and len(notices(engine, "case")) == 23  # the channel's, one per case
    got = {n["user_id"]: n for n in notices(engine, "unassigned")}
    assert set(got) == {ids[ADMIN], ids[CX]}
    en, zh = got[ids[ADMIN]], got[ids[CX]]
    assert en["subject"] == t("notify.unassigned.subject", "en", n=23)
    assert listed_cases(en["body_text"]) == sorted(opened)[:20]
    assert "… and 3 more on the case page" in en["body_text"]
    assert len(table_rows(en["body_html"])) == 21 and "… and 3 more on the case page</p>" in en["body_html"]
    assert "……案例页面上还有 3 个" in zh["body_text"] and "无人负责的新高严重度案例：23 个" in zh["subject"]


def test_medium_severity_and_owned_cases_tell_no_admin(engine: Engine) -> None:
    world(engine)
    run_rule(engine, [2, 2], severity="medium")
    run_rule(engine, [1])  # high, owned by team 1's lead
    assert notices(engine, "unassigned") == []


def test_the_daily_digest_lists_unowned_cases_for_admins_and_cx_leads_only(engine: Engine) -> None:
    ids = world(engine)
    r = rule(engine, "ltr_at_most", {"threshold": 6}, severity="medium").id
    assert r is not None
    with engine.begin() as conn:
        due = case(conn, r, site_id=2, team_id=2, severity="medium", opened_at=NOW)
        overdue = case(conn, r, site_id=3, team_id=3, opened_at=NOW - timedelta(days=3))
        case(conn, r, site_id=2, team_id=2, status="resolved", opened_at=NOW - timedelta(hours=1))  # not listed
        mine = case(conn, r, site_id=1, team_id=1, owner=ids[LEAD], opened_at=NOW - timedelta(hours=2))
    assert queue_daily_digests(engine, NOW) == 3  # the admin, the CX lead and the team lead; not the quiet admin
    assert queue_daily_digests(engine, NOW) == 0
    digests = {n["user_id"]: n for n in notices(engine, "daily")}
    assert set(digests) == {ids[ADMIN], ids[CX], ids[LEAD]}
    admin = digests[ids[ADMIN]]
    assert admin["subject"] == t("notify.daily.subject_unowned", "en", day="2026-12-04", n=0, overdue=0, unowned=2)
    text = admin["body_text"]
    assert "Your open cases, overdue first\n" in text and "None." in text
    assert text.index("Open cases without an owner, overdue first") < text.index(f"#{overdue}")
    assert listed_cases(text) == [overdue, due] and "(overdue)" in text
    assert [r[0] for r in table_rows(admin["body_html"])[1:]] == [f"#{overdue}", f"#{due}"]
    assert "无人负责的未结案例（逾期优先）" in digests[ids[CX]]["body_text"]
    # The team lead's digest is as before: their own case, no section of cases without an owner.
    lead = digests[ids[LEAD]]
    assert listed_cases(lead["body_text"]) == [mine] and "without an owner" not in lead["body_text"]
    assert lead["subject"] == t("notify.daily.subject", "en", day="2026-12-04", n=1, overdue=0)
