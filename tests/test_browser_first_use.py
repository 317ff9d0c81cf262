"""First real use (#20): a journey in headless Chromium that starts from an empty database, not the demo.

The app is served from the runtime-only environment (``tests.support.browser.app_python``) with sign-in through a local
OpenID Connect provider. The admin signs in (the first admin comes from ``CXDASH_ADMIN_EMAILS``), adds a CX lead
on the Users page, creates two sites on the Organisation page (one named in Chinese and English, one in English
and Chinese, and is asked about a near-duplicate), and sets targets. The CX lead signs in in another browser,
uploads a touchpoint catalog and a survey file naming one site by its Chinese name and the other by its English
name, adds a checklist item, records an inspection today and sees it, then creates a plan and takes it through
every PDCA step with its details page opened at each, in English, 简体中文 and 繁體中文.

After every step the page must show no Streamlit exception and no "could not be shown" box (the catalog's text),
in any language. Runs on SQLite and on PostgreSQL; screenshots (and one on failure) go to ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bench import browser as bench_browser
from bench.browser import free_port
from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import action_plan, action_plan_history, inspection, kpi_target, site, survey_response
from tests.support.browser import (
    ARTIFACTS,
    app_python,
    choose_option,
    chromium_page,
    require_chromium,
    screenshot,
)
from tests.support.pg import BACKENDS, scratch_database

pytestmark = pytest.mark.browser

LANGS = ("en", "zh-Hans", "zh-Hant")
ADMIN, CX_LEAD = "ada@x.org", "cai@x.org"
BJ = {"code": "BJ01", "zh-Hans": "北京朝阳服务中心", "en": "Beijing Chaoyang"}
SH = {"code": "SH01", "en": "Shanghai Pudong", "zh-Hans": "上海浦东服务中心"}
TODAY = date.today()
IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]');
}"""
# "This view could not be shown": the frame's box around a page that raised, in every language (first sentence).
NOT_SHOWN = [re.split(r"[.。]", t("shell.error.page", lang))[0] for lang in LANGS]


# --- the files the CX lead uploads ---------------------------------------------------------------------------

def catalog_csv() -> bytes:
    """Two touchpoints of one stage, named in the three languages."""
    rows = [["stage", "touchpoint code", "name (en)", "name (zh-hans)", "name (zh-hant)", "order"],
            ["REC", "REC01", "Greeting at the door", "门口迎接", "門口迎接", "1"],
            ["REC", "REC02", "Explaining the repair", "解释维修项目", "解釋維修項目", "2"]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def survey_csv() -> bytes:
    """Twelve responses in the last weeks: the Beijing site named by its Chinese name, Shanghai by its English one.

    Scores span their whole scales (NPS 0-10, CSAT 1-5, touchpoints 1-7), so the detected scales are the real ones.
    """
    head = ["response id", "site", "visit date", "likelihood to recommend", "csat", "REC01_P", "REC01_E",
            "REC02_P", "REC02_E", "comment"]
    rows = []
    for i in range(12):
        where = BJ["zh-Hans"] if i % 2 == 0 else SH["en"]
        rows.append([f"FU{i:03d}", where, str(TODAY - timedelta(days=2 + i)), str([0, 10, 9, 7, 8, 6][i % 6]),
                     str([1, 5, 4, 3][i % 4]), str([1, 7, 5, 6][i % 4]), str([7, 1, 6, 6][i % 4]),
                     str(3 + i % 4), "6", f"第一次使用 {i}"])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([head, *rows])
    return buf.getvalue().encode("utf-8")


# --- serving, signing in, checking ---------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database (no demo) on each backend."""
    require_chromium()
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'first_use.db'}"
        make_engine(url).dispose()
        yield url
        return
    pg_url = request.getfixturevalue("pg_url")
    with scratch_database(pg_url, f"cxdash_first_{uuid.uuid4().hex[:8]}") as url:
        make_engine(url).dispose()
        yield url


@contextmanager
def served(url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The OIDC test provider (admin and CX lead) and the app with sign-in on it: (app base URL, issuer)."""
    oidc = pytest.importorskip("oidc_provider_mock")
    users = [oidc.User(sub=email, claims={"email": email, "email_verified": True, "name": name})
             for email, name in ((ADMIN, "Ada Admin"), (CX_LEAD, "Cai Lead"))]
    port = free_port()
    with oidc.run_server_in_thread(user_claims=users) as provider:
        issuer = f"http://localhost:{provider.server_port}"
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            'cookie_secret = "test-only-cookie-secret-first-use"\n'
            'client_id = "cxdash"\n'
            'client_secret = "test-only"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        with bench_browser.serve_app(url, ARTIFACTS / f"streamlit-first-use-{port}.log", 120,
                                     env={"CXDASH_ADMIN_EMAILS": ADMIN}, port=port,
                                     extra_args=["--secrets.files", str(secrets)], python=app_python()):
            yield f"http://localhost:{port}", issuer


def _settle(page: Any) -> None:
    """Wait until the run the last action started is over and the page stopped changing."""
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    last = None
    for _ in range(30):
        page.wait_for_function(IDLE, timeout=120_000)
        now = page.inner_text('[data-testid="stMain"]')
        if now == last:
            return
        last = now
        page.wait_for_timeout(500)


def no_error(page: Any, step: str) -> None:
    """Fail (with a screenshot) on a Streamlit exception or a "could not be shown" box on the page."""
    _settle(page)
    text = page.inner_text("body")
    broken = page.locator('[data-testid="stException"]').count()
    shown = [m for m in NOT_SHOWN if m in text]
    if broken or shown:
        screenshot(page, f"first_use_error_{step}")
        detail = " | ".join(page.locator('[data-testid="stException"]').all_inner_texts())[:3000]
        pytest.fail(f"step {step!r}: the page shows an error: {shown or ''} {detail}")


def _open(page: Any, url: str, step: str) -> None:
    page.goto(url)
    no_error(page, step)


def sign_in(page: Any, base: str, issuer: str, email: str) -> None:
    """Sign in through the provider: the app's sign-in button, the provider's user button, back to the app."""
    page.goto(base + "/?lang=en", wait_until="domcontentloaded")
    page.get_by_role("button", name=t("auth.signin.button", "en")).click()
    page.wait_for_url(f"{issuer}/**", timeout=30_000)
    page.get_by_role("button", name=email).click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    no_error(page, f"signed_in_{email}")


def _widget(page: Any, testid: str, label: str) -> Any:
    exact = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator(f'[data-testid="{testid}"]').filter(has=exact).first


def _type(page: Any, testid: str, label: str, value: str, within: Any = None) -> None:
    box = (within or page).locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first
    field = box.locator("input, textarea").first
    field.scroll_into_view_if_needed()
    field.fill(value)
    field.press("Tab")
    _settle(page)


def _select(page: Any, label: str, option: str) -> None:
    choose_option(page, _widget(page, "stSelectbox", label), option)
    _settle(page)


def _click(page: Any, name: str, step: str) -> None:
    page.get_by_role("button", name=name, exact=True).first.click()
    page.wait_for_timeout(400)
    no_error(page, step)


def _success(page: Any) -> str:
    """The success boxes' text (without the word joiners ``plain`` puts into e-mail addresses and links)."""
    return "\n".join(page.locator('[data-testid="stAlertContentSuccess"]').all_inner_texts()).replace("\u2060", "")


def _date(page: Any, label: str, day: date) -> None:
    year = _widget(page, "stDateInput", label).locator('[data-type="year"]')
    year.scroll_into_view_if_needed()
    year.click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    page.wait_for_timeout(200)


# --- the steps ----------------------------------------------------------------------------------------------

def admin_sets_up(page: Any, base: str) -> None:
    """Users page (a CX lead), Organisation page (two sites, a near-duplicate asked about), Targets page."""
    lang = "en"
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    # Every page on the empty database: tests/test_first_use_pages.py (AppTest, quicker than a browser).

    _open(page, f"{base}/users?lang={lang}", "users")
    _type(page, "stTextInput", tr("auth.users.email"), CX_LEAD)
    _type(page, "stTextInput", tr("auth.users.name"), "Cai Lead")
    _select(page, tr("auth.users.role"), tr("auth.role.cx_lead"))
    _click(page, tr("auth.users.save"), "user_saved")
    assert tr("auth.users.saved", email=CX_LEAD) in _success(page)

    _open(page, f"{base}/organisation?lang={lang}", "organisation")
    for unit in (BJ, SH):
        _type(page, "stTextInput", tr("org.names.col.code"), unit["code"])
        for ul in ("en", "zh-Hans"):
            _type(page, "stTextInput", tr(f"org.names.col.name_{ul.lower().replace('-', '_')}"), unit[ul])
        _click(page, tr("org.create.submit"), f"site_{unit['code']}")
        assert tr("org.create.saved", kind=tr("org.create.kind.site"), code=unit["code"]) in _success(page)
    # The Beijing site again in traditional characters: asked about, not created.
    _type(page, "stTextInput", tr("org.names.col.code"), "BJ02")
    _type(page, "stTextInput", tr("org.names.col.name_zh_hant"), "北京朝陽服務中心")
    assert tr("org.create.near", units=f"{BJ['code']} {BJ['en']}") in page.inner_text('[data-testid="stMain"]')
    _click(page, tr("org.create.submit"), "near_duplicate")
    assert tr("org.create.confirm_first") in page.inner_text('[data-testid="stMain"]')
    screenshot(page, "first_use_1_organisation")

    _open(page, f"{base}/targets?lang={lang}", "targets")
    field = page.locator('[data-testid="stForm"] [data-testid="stNumberInput"] input').first
    field.fill("40")
    field.press("Tab")
    _click(page, tr("targets.set.submit"), "target_all")
    assert tr("targets.set.saved") in _success(page)
    _select(page, tr("targets.field.kind"), tr("targets.kind.site"))
    _select(page, tr("targets.field.scope"), BJ["en"])
    field = page.locator('[data-testid="stForm"] [data-testid="stNumberInput"] input').first
    field.fill("50")
    field.press("Tab")
    _click(page, tr("targets.set.submit"), "target_site")
    assert tr("targets.set.saved") in _success(page)
    screenshot(page, "first_use_2_targets")


def upload(page: Any, base: str, lang: str, kind: str, name: str, data: bytes, rows: int) -> None:
    """Upload ``data`` as ``kind`` on the upload page in ``lang``, check it (all ``rows`` new) and load it."""
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    _open(page, f"{base}/upload?lang={lang}", f"upload_{kind}")
    if kind != "surveys":
        page.locator('[data-testid="stButtonGroup"] button', has_text=tr(f"imports.kind.{kind}")).click()
        no_error(page, f"upload_{kind}_kind")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name=tr("imports.ui.check")).wait_for(timeout=120_000)
    no_error(page, f"upload_{kind}_mapped")
    checked = tr("imports.result.dry_run", read=rows, inserted=rows, updated=0, skipped=0, rejected=0)
    for attempt in range(3):  # a rerun the mapping started may swallow the click; checking writes nothing
        page.get_by_role("button", name=tr("imports.ui.check")).click()
        try:
            page.get_by_text(checked, exact=True).wait_for(timeout=60_000)
            break
        except Exception:
            if attempt == 2:
                raise
            _settle(page)
    no_error(page, f"upload_{kind}_checked")
    screenshot(page, f"first_use_3_{kind}_checked")
    page.get_by_role("button", name=tr("imports.ui.load")).click()
    loaded = tr("imports.result.loaded", inserted=rows, updated=0, skipped=0, rejected=0)
    page.locator('[data-testid="stAlert"]', has_text=loaded).wait_for(timeout=120_000)
    no_error(page, f"upload_{kind}_loaded")


def inspect_today(page: Any, base: str) -> None:
    """In 繁體中文: a checklist item for a touchpoint, an inspection of the Beijing site today, then its results."""
    lang = "zh-Hant"
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    _open(page, f"{base}/inspections?insp_view=checklist&lang={lang}", "checklist")
    adder = page.locator('[data-testid="stExpander"]', has_text=tr("improve.checklist.add")).first
    adder.locator("summary").click()
    _type(page, "stTextInput", tr("improve.col.pain_point"), "門口無人迎接", adder)
    _type(page, "stTextArea", tr("improve.col.standard"), "客戶到店三十秒內有人迎接", adder)
    adder.get_by_role("button", name=tr("improve.checklist.save")).click()
    no_error(page, "checklist_saved")
    assert tr("improve.checklist.saved") in _success(page)

    _open(page, f"{base}/inspections?insp_view=record&lang={lang}", "record")
    site_label = _widget(page, "stSelectbox", tr("improve.col.site")).locator("input").input_value()
    score = page.locator('[data-testid="stForm"] [data-testid="stNumberInput"] input').first
    score.fill("4")
    score.press("Tab")
    _type(page, "stTextInput", tr("improve.col.inspector"), "李偉")
    _click(page, tr("improve.record.submit"), "inspection_saved")
    assert tr("improve.record.saved", n=1, site=site_label) in _success(page)
    for view in ("results", "heatmap", "weak"):
        _open(page, f"{base}/inspections?insp_view={view}&lang={lang}", f"inspections_{view}")
        assert tr("improve.results.none") not in page.inner_text('[data-testid="stMain"]')
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
    screenshot(page, "first_use_4_inspection")


def plan_through_pdca(page: Any, base: str, lang: str) -> int:
    """Create a plan from the weak item in ``lang``, move it do -> check -> act, close it; the details page is
    opened (by its link) after every step. Returns the plan's id."""
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    _open(page, f"{base}/action-plans?plan_view=create&lang={lang}", f"plan_create_{lang}")
    _select(page, tr("improve.col.root_cause"), tr("improve.root.training"))
    _type(page, "stTextArea", tr("improve.col.action"), f"Greeter at the door every hour ({lang})")
    _type(page, "stTextInput", tr("improve.col.owner"), "王芳")
    _type(page, "stNumberInput", tr("improve.col.target"), "8")
    _date(page, tr("improve.col.due"), TODAY + timedelta(days=30))
    _click(page, tr("improve.create.submit"), f"plan_created_{lang}")
    found = re.search(re.escape(tr("improve.create.saved", id="@")).replace("@", r"(\d+)"), _success(page))
    assert found, _success(page)
    plan_id = int(found.group(1))
    detail = f"{base}/action-plans?plan_view=detail&plan={plan_id}&lang={lang}"
    _open(page, detail, f"plan_{plan_id}_plan_{lang}")
    for stage in ("do", "check", "act"):
        _click(page, tr("improve.detail.advance", stage=tr(f"improve.stage.{stage}")), f"plan_{stage}_{lang}")
        assert tr("improve.detail.moved", stage=tr(f"improve.stage.{stage}")) in _success(page)
        _open(page, detail, f"plan_{plan_id}_{stage}_{lang}")
        shown = _widget(page, "stSelectbox", tr("improve.col.plan")).locator("input").input_value()
        assert shown.startswith(f"#{plan_id}"), shown
    _click(page, tr("improve.detail.close"), f"plan_closed_{lang}")
    assert tr("improve.detail.closed") in _success(page)
    _open(page, detail, f"plan_{plan_id}_done_{lang}")
    assert tr("improve.status.done") in page.inner_text('[data-testid="stMain"]')
    screenshot(page, f"first_use_5_plan_{lang}")
    _open(page, f"{base}/action-plans?plan_view=board&lang={lang}", f"plans_board_{lang}")
    return plan_id


def test_first_use_from_an_empty_database(database: str, tmp_path: Path) -> None:
    with served(database, tmp_path) as (base, issuer), chromium_page() as admin:
        lead = admin.context.browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US").new_page()
        lead.set_default_timeout(90_000)
        current = admin
        try:
            sign_in(admin, base, issuer, ADMIN)
            admin_sets_up(admin, base)
            current = lead
            sign_in(lead, base, issuer, CX_LEAD)
            assert t("auth.role.cx_lead", "en") in lead.inner_text('[data-testid="stSidebar"]')
            upload(lead, base, "en", "catalog", "touchpoints.csv", catalog_csv(), 2)
            upload(lead, base, "zh-Hans", "surveys", "第一批问卷.csv", survey_csv(), 12)
            inspect_today(lead, base)
            plans = [plan_through_pdca(lead, base, lang) for lang in LANGS]
            for lang in LANGS:  # the overview the uploads and the targets fed, in each language
                _open(lead, f"{base}/?lang={lang}", f"after_overview_{lang}")
            screenshot(lead, "first_use_6_overview")
        except BaseException:
            screenshot(current, "first_use_failure")
            raise
    engine = make_engine(database)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(site)).scalar_one() == 2
            by_site = dict(conn.execute(select(site.c.code, func.count()).join(
                survey_response, survey_response.c.site_id == site.c.id).group_by(site.c.code)).all())
            assert by_site == {"BJ01": 6, "SH01": 6}  # one named in Chinese, the other in English
            assert conn.execute(select(func.count()).select_from(kpi_target)).scalar_one() == 2
            assert conn.execute(select(inspection.c.inspected_on)).scalars().all() == [TODAY]
            done = conn.execute(select(action_plan.c.id, action_plan.c.pdca_stage, action_plan.c.status)
                                .order_by(action_plan.c.id)).all()
            assert [tuple(r) for r in done] == [(p, "act", "done") for p in plans]
            steps = conn.execute(select(func.count()).select_from(action_plan_history)).scalar_one()
            assert steps == 5 * len(plans)  # created, three moves, closed
    finally:
        engine.dispose()
