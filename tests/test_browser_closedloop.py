"""End to end in headless Chromium: the closed loop on the demo data, as a CX lead works it.

In English: record an inspection (a visit without an inspector is refused first), open the weak items, create a
plan from the weakest item with its baseline filled in (after a plan without root cause, owner and with the due
date before the start is refused with a message for each), move it plan -> do -> check -> act and close it;
the history and the audit log keep every step; the heat map and the trends are drawn. In Simplified Chinese: the effects of the demo's older plans
(some improved their touchpoint, some did not), a plan's before/after figures, the board with its overdue plans
and the owner filter, a checklist item added in the app, and a plan without an owner refused in Chinese.

Texts are looked up in the catalogs, so the test follows the wording; screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.schema import action_plan, action_plan_history, audit_log, checklist_item, inspection
from tests.support.browser import (
    choose_option,
    chromium_page,
    require_chromium,
    screenshot,
    serve_app,
    wait_for_app,
)

pytestmark = pytest.mark.browser
INSPECTOR = "Li Wei 李伟"
OWNER = "Wang Fang 王芳"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Engine]]:
    """The small demo database (the one the issue asks for) and an engine on it."""
    require_chromium()
    from cxdash.demo import build_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('browser_closedloop') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, responses=3000, tickets=300, seed=7)
    yield url, engine
    engine.dispose()


@pytest.fixture(scope="module")
def app(demo: tuple[str, Engine]) -> Iterator[str]:
    """A Streamlit server on the demo database; yields its base URL."""
    with serve_app(demo[0]) as base:
        yield base


# --- small Playwright helpers -------------------------------------------------------------------------------


def _stable(page: Any, rounds: int = 40) -> None:
    """Wait until the page stops changing: a run can end and the next one (the frame's own rerun, a fragment)
    start a moment later, so "not running" alone does not mean the page is drawn."""
    wait_for_app(page)
    last = None
    for _ in range(rounds):
        now = page.inner_text('[data-testid="stMain"]')
        if now == last:
            break
        last = now
        page.wait_for_timeout(700)
        wait_for_app(page)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    _stable(page)


def _settle(page: Any) -> None:
    """Wait for the rerun a click or a submit started to finish."""
    page.wait_for_timeout(400)
    _stable(page)


def _main(page: Any) -> str:
    return str(page.inner_text('[data-testid="stMain"]'))


def _widget(page: Any, testid: str, label: str, within: Any = None) -> Any:
    """The widget ``testid`` labelled ``label`` (in ``within``, else anywhere on the page)."""
    return (within or page).locator(f'[data-testid="{testid}"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=label)).first


def _select(page: Any, label: str, option: str | None = None) -> str:
    """Pick ``option`` (else the first option) in the selectbox labelled ``label``; return the chosen text."""
    return choose_option(page, _widget(page, "stSelectbox", label), option)


def _type(page: Any, testid: str, label: str, value: str, within: Any = None) -> None:
    field = _widget(page, testid, label, within).locator("input, textarea").first
    field.scroll_into_view_if_needed()
    field.fill(value)
    field.press("Tab")


def _date(page: Any, label: str, day: date) -> None:
    """Type a date into the date field's segments (year, month, day; each moves on to the next when full)."""
    year = _widget(page, "stDateInput", label).locator('[data-type="year"]')
    year.scroll_into_view_if_needed()
    year.click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    page.wait_for_timeout(200)


def _click(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).first.click()
    _settle(page)


def _alerts(page: Any, kind: str) -> str:
    """The text of the error / success alerts on the page."""
    return "\n".join(str(a.inner_text()) for a in page.locator(f'[data-testid="stAlertContent{kind}"]').all())


def _metric(page: Any, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return str(card.locator('[data-testid="stMetricValue"]').inner_text())


# --- the flows ----------------------------------------------------------------------------------------------


def test_cx_lead_records_an_inspection_and_runs_a_plan_through_pdca(app: str, demo: tuple[str, Engine]) -> None:
    lang, engine = "en", demo[1]
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    with chromium_page() as page:
        # 1. A site visit: refused without an inspector, saved with one.
        _open(page, f"{app}/inspections?insp_view=record")
        site = _select(page, tr("improve.col.site"))
        scores = page.locator('[data-testid="stNumberInput"] input')
        for k, value in enumerate(("3", "4.5", "6")):
            scores.nth(k).fill(value)
            scores.nth(k).press("Tab")
        _click(page, tr("improve.record.submit"))
        assert tr("improve.err.inspector_required") in _alerts(page, "Error")
        _select(page, tr("improve.col.site"), site)
        for k, value in enumerate(("3", "4.5", "6")):
            scores.nth(k).fill(value)
            scores.nth(k).press("Tab")
        _type(page, "stTextInput", tr("improve.col.inspector"), INSPECTOR)
        _click(page, tr("improve.record.submit"))
        assert tr("improve.record.saved", n=3, site=site) in _alerts(page, "Success")
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).where(inspection.c.inspector == INSPECTOR)).scalar() == 3
        screenshot(page, "closedloop_en_1_inspection_recorded")
        for view, what in (("heatmap", "improve.help.heatmap"), ("results", "improve.col.touchpoint")):
            _open(page, f"{app}/inspections?insp_view={view}")
            assert tr(what) in _main(page) and page.locator('[data-testid="stVegaLiteChart"]').count() >= 1
            assert page.locator('[data-testid="stDownloadButton"]').count() == 2  # CSV and Excel
            screenshot(page, f"closedloop_en_1_{view}")

        # 2. The weak items, weakest first, with the survey gap and the site correlation beside them.
        _open(page, f"{app}/inspections")
        text = _main(page)
        weakest = re.search(re.escape(tr("improve.weak.pick", item="@")).replace("@", "(.+?)"), text)
        assert weakest is not None
        assert tr("improve.corr.title") in text and tr("improve.corr.agrees") in text
        screenshot(page, "closedloop_en_2_weak_items")

        # 3. A plan from the weakest item: the baseline is its current score; invalid input is refused.
        _click(page, tr("improve.weak.make_plan"))
        page.get_by_text(tr("improve.create.submit")).first.wait_for(timeout=60_000)
        _settle(page)
        assert page.url.endswith("plan_view=create")
        chosen = _widget(page, "stSelectbox", tr("improve.create.weak_item")).locator("input").input_value()
        assert weakest.group(1).split(" · ")[1][:30] in chosen
        baseline = float(_widget(page, "stNumberInput", tr("improve.col.baseline")).locator("input").input_value())
        assert 0 < baseline < 10
        start = date.today()
        _date(page, tr("improve.col.due"), start - timedelta(days=3))
        _type(page, "stTextArea", tr("improve.col.action"), "Cashier accepts every card; queue checked hourly")
        _click(page, tr("improve.create.submit"))
        refused = _alerts(page, "Error")
        assert tr("improve.err.root_cause_required") in refused
        assert tr("improve.err.owner_required") in refused
        assert tr("improve.err.due_before_start", due=start - timedelta(days=3), start=start) in refused
        screenshot(page, "closedloop_en_3_plan_refused")
        with engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(action_plan)).scalar_one()
        _select(page, tr("improve.col.root_cause"), tr("improve.root.training"))
        _type(page, "stTextInput", tr("improve.col.owner"), OWNER)
        _type(page, "stTextInput", tr("improve.col.department"), "After-sales")
        _type(page, "stNumberInput", tr("improve.col.target"), "8")
        _date(page, tr("improve.col.due"), start + timedelta(days=60))
        _click(page, tr("improve.create.submit"))
        plan_id = before + 1
        page.get_by_text(tr("improve.create.saved", id=plan_id)).wait_for(timeout=60_000)
        _settle(page)
        assert f"plan={plan_id}" in page.url and "plan_view=detail" in page.url
        text = _main(page)
        assert OWNER in text and tr("improve.detail.item_score") in text  # a weak item's plan shows its score too

        # 4. Through PDCA, one step at a time, then closed.
        for stage in ("do", "check", "act"):
            _click(page, tr("improve.detail.advance", stage=tr(f"improve.stage.{stage}")))
            assert tr("improve.detail.moved", stage=tr(f"improve.stage.{stage}")) in _alerts(page, "Success")
        _click(page, tr("improve.detail.close"))
        assert tr("improve.detail.closed") in _alerts(page, "Success")
        assert tr("improve.status.done") in _main(page)
        screenshot(page, "closedloop_en_4_plan_closed")
    with engine.connect() as conn:
        plan = conn.execute(select(action_plan).where(action_plan.c.id == plan_id)).mappings().one()
        assert (plan["pdca_stage"], plan["status"], plan["owner"]) == ("act", "done", OWNER)
        assert plan["source_kind"] == "weak_item" and plan["baseline"] == pytest.approx(baseline, abs=1e-3)
        assert plan["root_cause"] == "training" and plan["checklist_item_id"] is not None
        steps = conn.execute(select(func.count()).where(action_plan_history.c.plan_id == plan_id)).scalar()
        audited = conn.execute(select(func.count()).where(audit_log.c.entity == "action_plan",
                                                          audit_log.c.entity_id == str(plan_id))).scalar()
    assert steps == 5 and audited == 5  # created, three moves, closed


def test_effects_board_and_refusals_in_chinese(app: str, demo: tuple[str, Engine]) -> None:
    lang, engine = "zh-Hans", demo[1]
    tr = lambda key, **kw: t(key, lang, **kw)  # noqa: E731
    from cxdash.filters import Filters
    from cxdash.metrics.improve.plans import plan_board

    board = plan_board(engine, Filters(), lang)
    closed = board[board["status"] == "done"]
    worked = closed[closed["verdict"] == "improved"]
    not_worked = closed[closed["verdict"] == "no_change"]
    assert len(worked) and len(not_worked)  # the demo holds plans that worked and plans that did not
    with chromium_page() as page:
        # 1. The effects of the older plans, summarised as on the overview card.
        _open(page, f"{app}/action-plans?plan_view=effects&lang={lang}")
        assert int(_metric(page, tr("improve.verdict.improved"))) >= 1
        assert int(_metric(page, tr("improve.verdict.no_change"))) >= 1
        assert int(_metric(page, tr("improve.kpi.closed"))) == len(closed)
        screenshot(page, "closedloop_zh_1_effects")

        # 2. One plan that worked and one that did not: verdict, before and after, CI.
        for plan_id, verdict in ((int(worked["id"].iloc[0]), "improved"), (int(not_worked["id"].iloc[0]), "no_change")):
            _open(page, f"{app}/action-plans?plan_view=detail&plan={plan_id}&lang={lang}")
            text = _main(page)
            assert tr(f"improve.verdict.{verdict}") in text
            assert tr("improve.col.before") in text and tr("improve.detail.ci", lo="@", hi="", p="").split("@")[0] in text
            screenshot(page, f"closedloop_zh_2_effect_{verdict}")

        # 3. The board: plans by stage, overdue ones stand out, filter by owner.
        _open(page, f"{app}/action-plans?lang={lang}")
        overdue = board[board["overdue"]]
        assert len(overdue) >= 1
        text = _main(page)
        for days in overdue["days_overdue"]:
            assert tr("improve.board.overdue", days=int(days)) in text
        assert int(_metric(page, tr("improve.kpi.overdue"))) == len(overdue)
        screenshot(page, "closedloop_zh_3_board")
        owner = str(overdue["owner"].iloc[0])
        box = _widget(page, "stMultiSelect", tr("improve.col.owner"))
        box.locator("input").click()
        box.locator("input").fill(owner)
        page.locator('[role="option"]').filter(has_text=owner).first.click()
        page.keyboard.press("Escape")
        _settle(page)
        text = _main(page)
        shown = {int(i) for i in re.findall(r"#(\d+) ", text)}
        theirs = board[board["owner"] == owner]
        assert set(theirs.loc[theirs["status"] == "open", "id"]) <= shown <= set(theirs["id"])

        # 4. The checklist is edited in the app: a new item, in Chinese.
        _open(page, f"{app}/inspections?insp_view=checklist&lang={lang}")
        adder = page.locator('[data-testid="stExpander"]', has_text=tr("improve.checklist.add")).first
        adder.locator("summary").click()
        _type(page, "stTextInput", tr("improve.col.pain_point"), "结算时发票打印机故障，客户久等", adder)
        _type(page, "stTextArea", tr("improve.col.standard"), "每天开门前测试发票打印机", adder)
        adder.get_by_role("button", name=tr("improve.checklist.save")).click()
        _settle(page)
        assert tr("improve.checklist.saved") in _alerts(page, "Success")
        with engine.connect() as conn:
            added = conn.execute(select(checklist_item.c.pain_point, checklist_item.c.standard)
                                 .order_by(checklist_item.c.id.desc()).limit(1)).one()
        assert added.pain_point[lang] == "结算时发票打印机故障，客户久等" and "打印机" in added.standard[lang]
        screenshot(page, "closedloop_zh_4_checklist_item_added")

        # 5. A plan without an owner is refused, in Chinese.
        _open(page, f"{app}/action-plans?plan_view=create&lang={lang}")
        page.locator('[data-testid="stButtonGroup"] button', has_text=tr("improve.source.gap")).click()
        _settle(page)
        _select(page, tr("improve.col.root_cause"), tr("improve.root.monitoring"))
        _type(page, "stTextArea", tr("improve.col.action"), "每周神秘客检查并通报")
        _click(page, tr("improve.create.submit"))
        refused = _alerts(page, "Error")
        assert tr("improve.err.owner_required") in refused
        assert tr("improve.err.root_cause_required") not in refused
        screenshot(page, "closedloop_zh_5_no_owner_refused")
