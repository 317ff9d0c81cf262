"""Notices of the inner loop (#23) on SQLite and PostgreSQL, with real servers: the outbox (who is told what,
idempotency keys), e-mail through a real aiosmtpd server (parsed, in the reader's language), webhooks to a real
HTTP server that checks the payload and its signature and fails twice before it accepts, a down SMTP server, the
scope of a team lead and of a channel, and the digests.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
from datetime import timedelta
from email.header import decode_header, make_header
from email.message import Message
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine, insert, select, update

from cxdash.auth import save_user
from cxdash.notify.channels import save_channel, save_notice_settings
from cxdash.notify.deliver import MAX_ATTEMPTS, deliver_due, send_test
from cxdash.notify.formats import SIGNATURE_HEADER, TIMESTAMP_HEADER
from cxdash.notify.mail import SmtpSettings
from cxdash.notify.outbox import enqueue_case_notices, retry_notices
from cxdash.schema import app_user, case_trigger, notice
from cxdash.views.digests import queue_daily_digests, queue_weekly_digests
from tests.support.notify import NOW, case, free_port, http_server, rule, smtp_server
from tests.world import CLOSEDLOOP

ADMIN = "admin@example.com"
LEAD1 = "lead1@example.com"  # team lead of team 1 (site 1), zh-Hans
LEAD2 = "lead2@example.com"  # team lead of team 2 (site 2)
SECRET = "s3cret-key"
PHONE = "13800138000"


def smtp_at(port: int) -> SmtpSettings:
    """Plain SMTP to the local test server."""
    return SmtpSettings("127.0.0.1", port, "none", None, None, "cxdash@example.com", timeout=5)


def setup(engine: Engine) -> dict[str, int]:
    """The CLOSEDLOOP organisation, a customer whose reference is a phone number, a disappointed response with
    contact data in its comment, two team leads and an admin; returns ids."""
    CLOSEDLOOP.org(engine)
    CLOSEDLOOP.customers(engine, [{"id": 501, "external_id": PHONE, "site_id": 1}])
    rid = CLOSEDLOOP.responses(engine, [{"customer_id": 501, "ltr": 2, "tier": 0,
                                          "comment": "太慢了 <b>bad</b>, call me on 138-0013-8000 or me@mail.example.org"}],
                               site_id=1)[0]
    with engine.begin() as conn:
        save_user(conn, ADMIN, LEAD1, "team_lead", "Li", team_ids=[1])
        save_user(conn, ADMIN, LEAD2, "team_lead", "Wang", team_ids=[2])
        save_notice_settings(conn, LEAD1, ADMIN, language="zh-Hans", immediate=True, daily=True, weekly=True)
        ids = {e: int(i) for e, i in conn.execute(select(app_user.c.email, app_user.c.id))}
        ids["rule"] = rule(conn, name="LTR <= 6 <script>")
        ids["response"] = rid
    return ids


def notices(engine: Engine) -> list[dict]:
    """Every notice, by id."""
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(notice).order_by(notice.c.id)).mappings()]


def text_part(msg: Message, subtype: str) -> str:
    """The decoded ``text/<subtype>`` part of a parsed message."""
    for part in msg.walk():
        if part.get_content_type() == f"text/{subtype}":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError(f"no text/{subtype} part")


def test_case_notice_reaches_the_owner_by_email_in_their_language(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        cid = case(conn, ids["rule"], site_id=1, team_id=1, region_id=1, owner=ids[LEAD1], customer_id=501,
                   response_id=ids["response"])
        assert enqueue_case_notices(conn, [cid], NOW) == 1
    with smtp_server() as smtp:
        run = deliver_due(engine, NOW, smtp=smtp_at(smtp.port))
    assert (run.claimed, run.sent) == (1, 1)
    assert len(smtp.messages) == 1 and smtp.recipients == [[LEAD1]]
    msg = smtp.messages[0]
    subject = str(make_header(decode_header(msg["Subject"])))
    assert f"#{cid}" in subject and "高严重度案例" in subject
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = text_part(msg, "plain"), text_part(msg, "html")
    assert "首次联系截止" in plain and "规则" in plain and "推荐意愿 2" in plain
    # The owner may call back: the e-mail carries the customer's reference; user text is escaped in the HTML.
    assert PHONE in plain
    assert "&lt;script&gt;" in html and "<script>" not in html and "&lt;b&gt;bad&lt;/b&gt;" in html
    [row] = notices(engine)
    assert (row["status"], row["attempts"], row["language"]) == ("sent", 1, "zh-Hans")


def test_webhook_is_signed_retried_with_backoff_and_delivered_once(engine: Engine) -> None:
    ids = setup(engine)
    with http_server([500, 500, 200]) as web:
        with engine.begin() as conn:
            ch = save_channel(conn, {"name": "ops", "kind": "webhook", "url": web.url, "secret": SECRET,
                                     "scope_kind": "all", "min_severity": "high", "language": "en"}, ADMIN, NOW)
            cid = case(conn, ids["rule"], site_id=1, team_id=1, region_id=1, customer_id=501,
                       response_id=ids["response"])
            assert enqueue_case_notices(conn, [cid], NOW) == 1
        first = deliver_due(engine, NOW)
        assert (first.claimed, first.retrying) == (1, 1)
        assert deliver_due(engine, NOW + timedelta(seconds=30)).claimed == 0  # backing off: 1 minute
        second = deliver_due(engine, NOW + timedelta(minutes=1))
        assert second.retrying == 1
        assert deliver_due(engine, NOW + timedelta(minutes=2)).claimed == 0  # then 2 minutes
        third = deliver_due(engine, NOW + timedelta(minutes=3, seconds=1))
        assert third.sent == 1
        assert deliver_due(engine, NOW + timedelta(hours=5)).claimed == 0  # never sent twice
    assert [r[3] for r in web.requests] == [500, 500, 200]
    delivered = [r for r in web.requests if r[3] == 200]
    assert len(delivered) == 1
    path, headers, body, _ = delivered[0]
    assert path == "/hook?key=k1"
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
    data = json.loads(body)
    assert data["timestamp"] == int(headers[TIMESTAMP_HEADER])
    assert data["type"] == "case" and data["case"]["id"] == cid and data["case"]["severity"] == "high"
    assert data["idempotency_key"] == f"case:{cid}:channel:{ch}"
    # A chat message never carries the customer's phone or e-mail, not even from their comment.
    assert PHONE not in body.decode() and "138-0013-8000" not in body.decode() and "mail.example.org" not in body.decode()
    [row] = notices(engine)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 3, None)


def test_queueing_and_running_twice_sends_once(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        cid = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1])
        assert enqueue_case_notices(conn, [cid], NOW) == 1
    with engine.begin() as conn:
        assert enqueue_case_notices(conn, [cid], NOW) == 0
    assert len(notices(engine)) == 1
    with smtp_server() as smtp:
        assert deliver_due(engine, NOW, smtp=smtp_at(smtp.port)).sent == 1
        assert deliver_due(engine, NOW + timedelta(days=1), smtp=smtp_at(smtp.port)).claimed == 0
        # Retrying a sent notice does nothing either.
        with engine.begin() as conn:
            assert retry_notices(conn, [notices(engine)[0]["id"]], ADMIN, NOW) == 0
        assert deliver_due(engine, NOW + timedelta(days=2), smtp=smtp_at(smtp.port)).claimed == 0
    assert len(smtp.messages) == 1


def test_a_down_smtp_server_is_recorded_retried_then_failed_and_never_raises(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        cid = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1])
        enqueue_case_notices(conn, [cid], NOW)
    down = smtp_at(free_port())  # nobody listens there
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        run = deliver_due(engine, now, smtp=down)
        assert run.claimed == 1
        [row] = notices(engine)
        assert row["attempts"] == attempt and row["last_error"]
        now = row["next_attempt_at"] if row["status"] == "pending" else now
    assert row["status"] == "failed" and "refused" in row["last_error"].lower()
    assert deliver_due(engine, now + timedelta(days=1), smtp=down).claimed == 0
    # An admin's retry gives it one more attempt, which a working server accepts.
    with engine.begin() as conn:
        assert retry_notices(conn, [row["id"]], ADMIN, now) == 1
    with smtp_server() as smtp:
        assert deliver_due(engine, now, smtp=smtp_at(smtp.port)).sent == 1
    assert len(smtp.messages) == 1


def test_no_smtp_configured_is_an_error_on_the_notice_not_an_exception(engine: Engine,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CXDASH_SMTP_HOST", raising=False)
    ids = setup(engine)
    with engine.begin() as conn:
        enqueue_case_notices(conn, [case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1])], NOW)
    assert deliver_due(engine, NOW).retrying == 1
    assert "CXDASH_SMTP_HOST" in notices(engine)[0]["last_error"]


def test_a_team_lead_is_never_told_of_another_teams_case_nor_a_channel_outside_its_scope(engine: Engine) -> None:
    ids = setup(engine)
    with http_server([200]) as web:
        with engine.begin() as conn:
            team2 = save_channel(conn, {"name": "team 2", "kind": "webhook", "url": web.url, "scope_kind": "team",
                                        "scope_id": 2, "min_severity": "low"}, ADMIN, NOW)
            site1 = save_channel(conn, {"name": "site 1", "kind": "slack", "url": web.url, "scope_kind": "site",
                                        "scope_id": 1, "min_severity": "high"}, ADMIN, NOW)
            north = save_channel(conn, {"name": "north", "kind": "wecom", "url": web.url, "scope_kind": "region",
                                        "scope_id": 1, "min_severity": "medium"}, ADMIN, NOW)
            # A case of team 1 whose owner (by a rule's fallback) is team 2's lead: nobody outside team 1 hears.
            c1 = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD2])
            # A medium case of team 2: its lead is not told (immediate notices are for high severity only).
            c2 = case(conn, ids["rule"], site_id=2, team_id=2, owner=ids[LEAD2], severity="medium")
            enqueue_case_notices(conn, [c1, c2], NOW)
        got = {(n["case_id"], n["user_id"], n["channel_id"]) for n in notices(engine)}
    assert got == {(c1, None, site1), (c1, None, north), (c2, None, team2), (c2, None, north)}
    assert not any(n["user_id"] == ids[LEAD2] for n in notices(engine))


def test_chat_formats_reach_a_real_server_with_their_shapes_and_signatures(engine: Engine) -> None:
    ids = setup(engine)
    with http_server([200], answer=b'{"code": 0, "errcode": 0}') as web:
        with engine.begin() as conn:
            chans = {kind: save_channel(conn, {"name": kind, "kind": kind, "url": web.url,
                                               "secret": SECRET if kind in ("feishu", "dingtalk") else None,
                                               "language": "zh-Hant", "min_severity": "high"}, ADMIN, NOW)
                     for kind in ("feishu", "dingtalk", "wecom", "slack")}
            cid = case(conn, ids["rule"], site_id=1, team_id=1, customer_id=501, response_id=ids["response"])
            assert enqueue_case_notices(conn, [cid], NOW) == 4
        assert deliver_due(engine, NOW).sent == 4
    by_kind = {}
    for path, _headers, body, _ in web.requests:
        data = json.loads(body)
        kind = ("feishu" if "msg_type" in data else "slack" if "blocks" in data
                else "dingtalk" if "timestamp=" in path else "wecom")
        by_kind[kind] = (path, data, body.decode())
        assert PHONE not in body.decode() and "138-0013-8000" not in body.decode() and "@mail" not in body.decode()
    assert set(by_kind) == set(chans)
    ts = calendar.timegm(NOW.timetuple())
    # Feishu / Lark: post, signed with HMAC keyed by "timestamp\nsecret" over nothing.
    _, feishu, _ = by_kind["feishu"]
    key = f"{feishu['timestamp']}\n{SECRET}".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert int(feishu["timestamp"]) == ts
    post = feishu["content"]["post"]["zh_cn"]
    assert "高嚴重度案例" in post["title"] and all(p[0]["tag"] in ("text", "a") for p in post["content"])
    # DingTalk: markdown, timestamp (ms) and sign as query parameters.
    path, ding, _ = by_kind["dingtalk"]
    query = parse_qs(urlsplit(path).query)
    assert query["key"] == ["k1"] and query["timestamp"] == [str(ts * 1000)]
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{ts * 1000}\n{SECRET}".encode(), hashlib.sha256).digest())
    assert query["sign"] == [expected.decode()]
    assert ding["msgtype"] == "markdown" and "首次聯繫截止" in ding["markdown"]["text"]
    # User text cannot format or link in Markdown.
    assert "<script>" not in ding["markdown"]["text"] and "‹script›" in ding["markdown"]["text"]
    _, wecom, _ = by_kind["wecom"]
    assert wecom["msgtype"] == "markdown" and len(wecom["markdown"]["content"].encode()) <= 4096
    _, slack, _ = by_kind["slack"]
    assert slack["text"] and [b["type"] for b in slack["blocks"]] == ["header", "section"]
    assert slack["blocks"][1]["text"]["type"] == "mrkdwn"


def test_a_bot_that_answers_200_with_an_error_code_is_a_failure(engine: Engine) -> None:
    ids = setup(engine)
    with http_server([200], answer=b'{"errcode": 310000, "errmsg": "sign not match"}') as web:
        with engine.begin() as conn:
            save_channel(conn, {"name": "d", "kind": "dingtalk", "url": web.url, "secret": "wrong"}, ADMIN, NOW)
            enqueue_case_notices(conn, [case(conn, ids["rule"], site_id=1, team_id=1)], NOW)
        assert deliver_due(engine, NOW).retrying == 1
    assert "310000" in notices(engine)[0]["last_error"]


def test_test_sends_to_a_channel_and_a_user(engine: Engine) -> None:
    setup(engine)
    with http_server([200]) as web, smtp_server() as smtp:
        with engine.begin() as conn:
            ch = save_channel(conn, {"name": "ops", "kind": "webhook", "url": web.url, "secret": SECRET}, ADMIN, NOW)
        assert send_test(engine, channel_id=ch, actor=ADMIN, now=NOW)["status"] == "sent"
        assert send_test(engine, email=LEAD1, actor=ADMIN, now=NOW, smtp=smtp_at(smtp.port))["status"] == "sent"
    assert len(web.requests) == 1 and json.loads(web.requests[0][2])["type"] == "test"
    assert "测试通知" in str(make_header(decode_header(smtp.messages[0]["Subject"])))


def test_daily_digest_lists_my_open_cases_once_per_day(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        overdue = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], opened_at=NOW - timedelta(days=3))
        due = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], severity="medium")
        case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], status="resolved")
        case(conn, ids["rule"], site_id=2, team_id=2, owner=ids[LEAD2])
        # Lead 2 turned the daily digest off.
        save_notice_settings(conn, LEAD2, ADMIN, language="en", immediate=True, daily=False, weekly=False)
    assert queue_daily_digests(engine, NOW) == 1
    assert queue_daily_digests(engine, NOW + timedelta(hours=3)) == 0  # the same day: nothing new
    [digest] = [n for n in notices(engine) if n["kind"] == "daily"]
    assert digest["user_id"] == ids[LEAD1] and digest["idempotency_key"] == f"daily:{ids[LEAD1]}:2026-03-16"
    assert "2 个未结，1 个逾期" in digest["subject"]
    body = digest["body_text"]
    assert body.index(f"#{overdue}") < body.index(f"#{due}") and "已逾期" in body
    assert queue_daily_digests(engine, NOW + timedelta(days=1)) == 1


def test_daily_digest_counts_every_case_and_calls_overdue_what_the_case_page_does(engine: Engine) -> None:
    ids = setup(engine)
    late = NOW - timedelta(days=3)
    with engine.begin() as conn:
        for _ in range(22):  # nobody called in time: overdue
            case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], opened_at=late)
        # Called, past the first-contact due time: open, not overdue (as on the case page).
        called = [case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], opened_at=late - timedelta(days=1),
                       status="contacted") for _ in range(3)]
    assert queue_daily_digests(engine, NOW) == 1
    [digest] = [n for n in notices(engine) if n["kind"] == "daily"]
    assert "25 个未结，22 个逾期" in digest["subject"]  # all of them, not the 20 listed
    body = digest["body_text"]
    assert body.count("已逾期") == 20 and "案例页面上还有 5 个" in body  # overdue first; the rest on the page
    assert all(f"#{c} " not in body for c in called)


def test_weekly_summary_within_scope_once_per_week(engine: Engine) -> None:
    ids = setup(engine)
    CLOSEDLOOP.responses(engine, [{"ltr": 9, "csat": 5, "tier": 2}] * 4 + [{"ltr": 3, "csat": 2, "tier": 0}] * 2,
                         site_id=1, day=NOW.date() - timedelta(days=3))
    with engine.begin() as conn:
        case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1], opened_at=NOW - timedelta(days=4))
        other = case(conn, ids["rule"], site_id=2, team_id=2, owner=ids[LEAD2], opened_at=NOW - timedelta(days=4))
        conn.execute(update(notice).values(status="sent"))
    assert queue_weekly_digests(engine, NOW) == 1  # only lead 1 wants it
    assert queue_weekly_digests(engine, NOW + timedelta(days=2)) == 0  # the same week
    [weekly] = [n for n in notices(engine) if n["kind"] == "weekly"]
    assert weekly["idempotency_key"] == f"weekly:{ids[LEAD1]}:2026-W11"
    assert "2026-03-09 – 2026-03-15" in weekly["subject"]
    body = weekly["body_text"]
    for heading in ("KPI 与目标对比", "最低于预期的触点", "逾期案例", "逾期改进计划"):
        assert heading in body
    assert f"#{other}" not in body  # team 2's overdue case is outside lead 1's scope


def test_a_case_with_many_triggers_lists_the_first_five_of_each_case(engine: Engine) -> None:
    ids = setup(engine)
    with engine.begin() as conn:
        busy = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1])
        calm = case(conn, ids["rule"], site_id=1, team_id=1, owner=ids[LEAD1])
        conn.execute(insert(case_trigger), [{"case_id": busy, "rule_id": ids["rule"], "at": NOW - timedelta(minutes=i),
                                             "detail": {"gap": -1.0 - i}} for i in range(6)])
        assert enqueue_case_notices(conn, [busy, calm], NOW) == 2
    by_case = {n["case_id"]: n["body_text"] for n in notices(engine)}
    assert "触发原因（7 条）" in by_case[busy]
    # The oldest five (the first trigger, then four of the six later ones), then how many more.
    assert "案例页面上还有 2 条" in by_case[busy] and by_case[busy].count("\n2026-03-16 ") == 5 and "推荐意愿 3" in by_case[busy]
    assert by_case[busy].count("差距 ") == 4 and "差距 -6.00" in by_case[busy] and "差距 -2.00" not in by_case[busy]
    assert "触发原因（1 条）" in by_case[calm] and "还有" not in by_case[calm]


def test_a_redirect_is_a_failure_and_a_failing_channel_waits_for_the_next_run(engine: Engine) -> None:
    ids = setup(engine)
    with http_server([302, 200]) as web:
        with engine.begin() as conn:
            save_channel(conn, {"name": "moved", "kind": "webhook", "url": web.url}, ADMIN, NOW)
            cases = [case(conn, ids["rule"], site_id=1, team_id=1) for _ in range(3)]
            assert enqueue_case_notices(conn, cases, NOW) == 3
        run = deliver_due(engine, NOW)
        # The first notice met the redirect (not followed); the other two wait, no attempt counted.
        assert (run.claimed, run.retrying) == (1, 1)
        assert [r[0] for r in web.requests] == ["/hook?key=k1"]
        rows = notices(engine)
        assert [r["attempts"] for r in rows] == [1, 0, 0] and "HTTP 302" in rows[0]["last_error"]
        assert deliver_due(engine, NOW).sent == 2  # the next run: the channel answers again
        assert deliver_due(engine, NOW + timedelta(minutes=1)).sent == 1
    assert [r["status"] for r in notices(engine)] == ["sent"] * 3
