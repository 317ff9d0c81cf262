"""Closing the loop in headless Chromium (#23, "Done when"): a CX lead uploads a survey file with two disappointed
customers at one team; that team's lead gets a notice in Chinese, follows its link to the case page, sees exactly
those two cases, records a call and a recovery, and watches the share contacted within target and the recovery rate
change on the case page and on the overview's case cards; another team's lead sees no case.

Everyone signs in through a local OpenID Connect provider (``oidc-provider-mock``) as stored users made beforehand:
the CX lead, and two team leads scoped to one team each (the first one's notice language zh-Hans). The alert rule
(overall tier disappointed, high severity, so an immediate notice is queued with each case) is created through the
library, as the rules page would. The notices go out by ``python -m cxdash notify run`` to a real SMTP server
(aiosmtpd on 127.0.0.1) started by the test, whose messages are parsed and checked.

Every text waited for comes from the catalogs (:func:`cxdash.i18n.t`); the team lead works in 简体中文.
Runs on SQLite and PostgreSQL; screenshots go to ``test-artifacts/followup-*.png``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bench import browser as bench_browser
from bench.browser import free_port
from cxdash.audit import audit_entries, now_utc
from cxdash.auth import save_user
from cxdash.db import make_engine
from cxdash.followup.rules import Rule, save_rule
from cxdash.i18n import t
from cxdash.metrics.significance import wilson
from cxdash.notify.channels import save_notice_settings
from cxdash.notify.render import cases_facts, severity_label
from cxdash.schema import app_user, followup_case, team
from tests.support.browser import (
    ARTIFACTS,
    ROOT,
    app_python,
    choose_option,
    chromium_page,
    require_chromium,
    screenshot,
)
from tests.support.notify import smtp_server
from tests.support.pg import BACKENDS, scratch_database
from tests.support.uploads import IDLE, check_file, load_file, settle, upload, widget
from tests.support.uploads import NPS_CARD as CARD

pytestmark = pytest.mark.browser

CX_LEAD, LEAD, OTHER = "cai@x.org", "lin@x.org", "wu@x.org"
NAMES = {CX_LEAD: "Cai CX", LEAD: "Lin Team A", OTHER: "Wu Team B"}
ZH = "zh-Hans"
TODAY = date.today()
# (site, team, customer, LTR, CSAT, REC01 P, E, CON02 P, E, comment): two disappointed customers at S01/T1, two
# happy ones there, two happy ones at S01/T2 and one at S02/T1. Scores span their scales, so none is asked about.
ROWS = [
    ("S01", "T1", "C-9001", 2, 1, 1, 7, 2, 7, "等了两个小时没人理"),
    ("S01", "T1", "C-9002", 0, 2, 2, 7, 1, 6, "Nobody told me the cost before the repair"),
    ("S01", "T1", "C-9003", 10, 5, 7, 6, 7, 6, "很好"),
    ("S01", "T1", "C-9004", 9, 4, 6, 6, 6, 5, "fine"),
    ("S01", "T2", "C-9005", 10, 5, 7, 7, 6, 6, "great"),
    ("S01", "T2", "C-9006", 8, 4, 6, 5, 7, 6, "ok"),
    ("S02", "T1", "C-9007", 9, 5, 6, 6, 7, 7, "好"),
]
UNHAPPY = ("C-9001", "C-9002")


def survey_csv() -> bytes:
    """The upload: :data:`ROWS` visited in the last three days."""
    head = ["response id", "site", "team", "customer id", "visit date", "likelihood to recommend", "csat",
            "REC01_P", "REC01_E", "CON02_P", "CON02_E", "comment"]
    rows = [[f"FB{i:03d}", s, tm, cust, str(TODAY - timedelta(days=1 + i % 3)), *scores]
            for i, (s, tm, cust, *scores) in enumerate(ROWS)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([head, *rows])
    return buf.getvalue().encode("utf-8")


# --- the database, the servers -------------------------------------------------------------------------------

def _prepare(url: str) -> None:
    """A small demo (three sites, their teams and touchpoints), the three users and the alert rule."""
    from cxdash.demo import build_demo

    engine = make_engine(url)
    try:
        build_demo(engine, responses=300, tickets=100, seed=7, sites=3)
        with engine.begin() as conn:
            teams = {code: int(i) for i, code in conn.execute(
                select(team.c.id, team.c.code).where(team.c.site_id == 1).order_by(team.c.id))}
            save_user(conn, "test", CX_LEAD, "cx_lead", NAMES[CX_LEAD])
            save_user(conn, "test", LEAD, "team_lead", NAMES[LEAD], team_ids=[teams["T1"]])
            save_user(conn, "test", OTHER, "team_lead", NAMES[OTHER], team_ids=[teams["T2"]])
            save_notice_settings(conn, LEAD, "test", language=ZH, immediate=True, daily=False, weekly=False)
            save_notice_settings(conn, OTHER, "test", language=ZH, immediate=True, daily=False, weekly=False)
            save_rule(conn, Rule(None, "Disappointed customer", "tier_disappointed", {}, severity="high",
                                 response_hours=24.0), "test", now_utc())
    finally:
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The prepared database on each backend."""
    require_chromium()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'followup.db'}"
        _prepare(url)
        yield url
        return
    pg_url = request.getfixturevalue("pg_url")
    with scratch_database(pg_url, f"cxdash_followup_{uuid.uuid4().hex[:8]}") as url:
        _prepare(url)
        yield url


@contextmanager
def served(url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The OIDC test provider (the three users) and the app with sign-in on it: (app base URL, issuer)."""
    oidc = pytest.importorskip("oidc_provider_mock")
    users = [oidc.User(sub=email, claims={"email": email, "email_verified": True, "name": name})
             for email, name in NAMES.items()]
    port = free_port()
    base = f"http://localhost:{port}"
    with oidc.run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "{base}/oauth2callback"\n'
            'cookie_secret = "test-only-cookie-secret-followup"\n'
            'client_id = "cxdash"\n'
            'client_secret = "test-only"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        # CXDASH_BASE_URL: the notices queued by the import link to the case page.
        with bench_browser.serve_app(url, ARTIFACTS / f"streamlit-followup-{port}.log", 120,
                                     env={"CXDASH_BASE_URL": base}, port=port,
                                     extra_args=["--secrets.files", str(secrets)], python=app_python()):
            yield base, issuer


def notify_run(url: str, smtp_port: int) -> dict[str, Any]:
    """``python -m cxdash notify run`` with the app's environment and the test's SMTP server; its printed result."""
    env = {**os.environ, "CXDASH_DATABASE_URL": url, "CXDASH_SMTP_HOST": "127.0.0.1",
           "CXDASH_SMTP_PORT": str(smtp_port), "CXDASH_SMTP_SECURITY": "none", "CXDASH_SMTP_FROM": "cxdash@x.org"}
    done = subprocess.run([app_python(), "-m", "cxdash", "notify", "run"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


# --- the browser ---------------------------------------------------------------------------------------------

def _settle(page: Any) -> None:
    """Wait until the run the last action started is over and the page stopped changing."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    last = None
    for _ in range(30):
        page.wait_for_function(IDLE, timeout=120_000)
        now = page.inner_text('[data-testid="stMain"]')
        if now == last:
            break
        last = now
        page.wait_for_timeout(400)
    if page.locator('[data-testid="stException"]').count():
        screenshot(page, "followup-error")
        pytest.fail(" | ".join(page.locator('[data-testid="stException"]').all_inner_texts())[:3000])


def _open(page: Any, url: str) -> None:
    page.goto(url)
    _settle(page)


def new_page(page: Any) -> Any:
    """A page in a fresh context of the same browser (another person at another desk)."""
    other = page.context.browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    fresh = other.new_page()
    fresh.set_default_timeout(90_000)
    return fresh


def sign_in(page: Any, base: str, issuer: str, email: str) -> None:
    """Through the provider: the app's sign-in button, the provider's user button, back to the app."""
    page.goto(base + "/?lang=en", wait_until="domcontentloaded")
    page.get_by_role("button", name=t("auth.signin.button", "en")).click()
    page.wait_for_url(f"{issuer}/**", timeout=30_000)
    page.get_by_role("button", name=email).click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    _settle(page)
    assert NAMES[email] in page.inner_text('[data-testid="stSidebar"]')


def card(page: Any, key: str, lang: str) -> str:
    """The text of the case card ``followup.kpi.<key>`` (its value and its caption)."""
    label = t(f"followup.kpi.{key}", lang)
    page.wait_for_function(f"() => ({CARD})({json.dumps(label)}) !== null", timeout=60_000)
    return str(page.evaluate(CARD, label))


def value(page: Any, key: str, lang: str) -> str:
    """The value a case card shows (the line after its label)."""
    lines = [x.strip() for x in card(page, key, lang).splitlines() if x.strip()]
    return lines[lines.index(t(f"followup.kpi.{key}", lang)) + 1]


def case_options(page: Any, lang: str) -> list[str]:
    """The cases the case picker offers (open it, read the options, close it)."""
    box = widget(page, "stSelectbox", t("followup.detail.pick", lang))
    choose_option(page, box)  # opens the list and picks the first (already chosen) case
    settle(page)
    box.locator("input").first.click()
    page.locator('[role="option"]').first.wait_for(timeout=30_000)
    options = [str(o) for o in page.locator('[role="option"]').all_inner_texts()]
    page.keyboard.press("Escape")
    settle(page)
    return options


def picked(page: Any) -> str:
    """The label of the case the picker shows (its id and status first)."""
    box = widget(page, "stSelectbox", t("followup.detail.pick", ZH))
    return str(box.locator("input").first.input_value())


def step(page: Any, action: str, lang: str, note: str, recovered: str | None = None,
         root: str | None = None) -> None:
    """Choose the step ``action`` for the shown case, fill its form and save; wait for the saved message."""
    action_label = t(f"followup.action.{action}", lang)
    box = widget(page, "stSelectbox", t("followup.step.action", lang))
    if box.locator("input").first.input_value() != action_label:
        choose_option(page, box, re.compile(rf"^\s*{re.escape(action_label)}\s*$"))
        _settle(page)
    form = page.locator('[data-testid="stForm"]').last
    if recovered is not None:
        form.locator('[data-testid="stRadio"]').get_by_text(t(f"followup.recovered.{recovered}", lang),
                                                           exact=True).click()
    if root is not None:
        choose_option(page, widget(page, "stSelectbox", t("followup.step.root_cause", lang)),
                      re.compile(rf"^\s*{re.escape(t(f'followup.root.{root}', lang))}\s*$"))
    area = form.locator('[data-testid="stTextArea"] textarea').first
    area.fill(note)
    form.get_by_role("button", name=t("followup.step.submit", lang)).click()
    saved = t("followup.step.saved", lang, step=action_label)
    page.locator('[data-testid="stAlertContentSuccess"]', has_text=saved).wait_for(timeout=120_000)
    _settle(page)


def share(k: int, n: int) -> str:
    return f"{k / n:.1%}"


def interval(k: int, n: int, lang: str) -> str:
    low, high = wilson(k, n)
    assert low is not None and high is not None
    return t("followup.measures.interval", lang, low=f"{low:.1%}", high=f"{high:.1%}", n=n)


# --- the mail ------------------------------------------------------------------------------------------------

def _header(msg: Message, name: str) -> str:
    return str(make_header(decode_header(str(msg[name]))))


def _plain(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no plain-text part")


def check_notices(url: str, messages: list[Message], recipients: list[list[str]], base: str) -> dict[int, str]:
    """The team lead's two notices, in Chinese: subject, facts and link per case; returns {case id: link}."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cases = conn.execute(select(followup_case.c.id, followup_case.c.owner_user_id)
                                 .order_by(followup_case.c.id)).all()
            lead_id = conn.execute(select(app_user.c.id).where(app_user.c.email == LEAD)).scalar_one()
            facts = cases_facts(conn, [c.id for c in cases], ZH)
    finally:
        engine.dispose()
    assert [c.owner_user_id for c in cases] == [lead_id, lead_id]
    assert recipients == [[LEAD], [LEAD]]  # nobody else: the other lead's team has no case
    links = {}
    by_subject = {_header(m, "Subject"): m for m in messages}
    for case_id, f in facts.items():
        subject = t("notify.case.subject", ZH, id=case_id, severity=severity_label("high", ZH),
                    unit=f"{f.site} · {f.team}")
        assert subject in by_subject, (subject, list(by_subject))
        text = _plain(by_subject[subject])
        for label in ("notify.case.rule", "notify.case.site", "notify.case.team", "notify.case.customer"):
            assert t(label, ZH) in text, (label, text)
            assert t(label, "en") not in text
        assert f.customer_ref in UNHAPPY and f.customer_ref in text
        found = re.search(re.escape(base) + r"/cases\?case=(\d+)", text)
        assert found and int(found.group(1)) == case_id, text
        links[case_id] = found.group(0)
    return links


# --- the test ------------------------------------------------------------------------------------------------

def test_team_lead_calls_back_and_recovers_a_disappointed_customer(database: str, tmp_path: Path) -> None:
    with smtp_server() as smtp, served(database, tmp_path) as (base, issuer), chromium_page() as cx:
        lead = new_page(cx)
        other = new_page(cx)
        current = cx
        try:
            # 1. The CX lead uploads the survey file: seven responses, two disappointed customers at S01/T1.
            sign_in(cx, base, issuer, CX_LEAD)
            _open(cx, f"{base}/upload?lang=en")
            upload(cx, "after_sales_survey.csv", survey_csv(), "text/csv")
            cx.get_by_role("button", name=t("imports.ui.check", "en")).wait_for(timeout=120_000)
            settle(cx)
            check_file(cx, "en", read=7, inserted=7, updated=0, skipped=0, rejected=0)
            screenshot(cx, "followup-1-upload-checked")
            load_file(cx, "en", inserted=7, updated=0, skipped=0, rejected=0)
            screenshot(cx, "followup-2-upload-loaded")

            # 2. The notices the import queued go out: the team lead's two, in Chinese, each linking to its case.
            run = notify_run(database, smtp.port)
            assert run["sent"] == 2 and run["failed"] == 0, run
            links = check_notices(database, smtp.messages, smtp.recipients, base)

            # 3. The team lead: the overview's case cards before any step (nothing contacted or resolved yet).
            current = lead
            sign_in(lead, base, issuer, LEAD)
            _open(lead, f"{base}/?lang={ZH}")
            lead.locator('[data-testid="stMain"]').get_by_text(t("followup.overview.title", ZH), exact=True).wait_for(
                timeout=60_000)
            assert value(lead, "opened", ZH) == "2" and value(lead, "open", ZH) == "2"
            assert value(lead, "within_target", ZH) == "–" and value(lead, "recovery", ZH) == "–"
            screenshot(lead, "followup-3-overview-before")

            # 4. The e-mail's link opens the case page on that case: exactly the two disappointed customers.
            first = min(links)
            _open(lead, links[first] + f"&lang={ZH}")
            lead.get_by_text(t("followup.list.count", ZH, n="2"), exact=False).first.wait_for(timeout=60_000)
            offered = case_options(lead, ZH)
            assert len(offered) == 2, offered
            assert sorted(c for o in offered for c in UNHAPPY if c in o) == sorted(UNHAPPY), offered
            assert picked(lead).startswith(f"#{first} · {t('followup.status.new', ZH)} · ")
            assert value(lead, "within_target", ZH) == "–" and value(lead, "recovery", ZH) == "–"
            screenshot(lead, "followup-4-cases")

            # 5. A call: contacted within the target time (due in 24 business hours).
            step(lead, "contact", ZH, "已电话联系客户，客户同意重新安排维修")
            assert picked(lead).startswith(f"#{first} · {t('followup.status.contacted', ZH)} · ")
            assert value(lead, "within_target", ZH) == share(1, 1)
            assert interval(1, 1, ZH) in card(lead, "within_target", ZH)
            assert value(lead, "recovery", ZH) == "–"
            screenshot(lead, "followup-5-called")

            # 6. The recovery: resolved, the customer won back (root cause: training).
            step(lead, "resolve", ZH, "免费补做保养，客户满意", recovered="yes", root="training")
            assert picked(lead).startswith(f"#{first} · {t('followup.status.resolved', ZH)} · ")
            assert value(lead, "recovery", ZH) == share(1, 1)
            assert interval(1, 1, ZH) in card(lead, "recovery", ZH)
            assert value(lead, "within_target", ZH) == share(1, 1)
            assert value(lead, "open", ZH) == "1"
            screenshot(lead, "followup-6-recovered")

            # 7. The overview's case cards moved with it.
            _open(lead, f"{base}/?lang={ZH}")
            assert value(lead, "within_target", ZH) == share(1, 1)
            assert value(lead, "recovery", ZH) == share(1, 1)
            assert interval(1, 1, ZH) in card(lead, "recovery", ZH)
            assert value(lead, "open", ZH) == "1" and value(lead, "opened", ZH) == "2"
            screenshot(lead, "followup-7-overview-after")

            # 8. The other team's lead: no case on the case page, no case cards on the overview.
            current = other
            sign_in(other, base, issuer, OTHER)
            _open(other, f"{base}/cases?lang=en")
            empty = re.split(r"[.。]", t("followup.page.empty", "en"))[0]
            other.get_by_text(empty, exact=False).first.wait_for(timeout=60_000)
            assert t("followup.list.count", "en", n="2") not in other.inner_text('[data-testid="stMain"]')
            assert value(other, "opened", "en") == "0" and value(other, "open", "en") == "0"
            screenshot(other, "followup-8-other-lead-cases")
            _open(other, f"{base}/?lang=en")
            assert t("followup.overview.title", "en") not in other.inner_text('[data-testid="stMain"]')
            screenshot(other, "followup-9-other-lead-overview")
        except BaseException:
            screenshot(current, "followup-failure")
            raise
        assert len(smtp.messages) == 2  # nothing more was sent meanwhile

    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(followup_case.c.id, followup_case.c.status, followup_case.c.recovered,
                                       followup_case.c.root_cause, followup_case.c.first_contact_at,
                                       followup_case.c.due_at).order_by(followup_case.c.id)).all()
        assert [(r.id, r.status, r.recovered, r.root_cause) for r in rows] == [
            (first, "resolved", "yes", "training"), (rows[1].id, "new", None, None)]
        assert rows[0].first_contact_at <= rows[0].due_at
        steps = audit_entries(engine, actor=LEAD)
        assert {"case.contact", "case.resolve"} <= set(steps["action"]), steps["action"].tolist()
    finally:
        engine.dispose()
