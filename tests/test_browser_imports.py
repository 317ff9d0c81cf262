"""End to end in headless Chromium (issue 3, "Done when"): a CX lead uploads a Qualtrics-style CSV, a GB18030 问卷星
export and a dealer's XLSX through the upload page, maps their columns, sees the rejected rows explained, loads them,
finds the new responses on the overview, re-uploads one without any duplicate, and deletes a batch.

Every text the test waits for comes from the translation catalogs (the 问卷星 upload runs in Chinese), so the test
follows the wording of the page rather than copying it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cxdash.db import make_engine
from cxdash.i18n import t
from cxdash.imports.errors import reason_text
from cxdash.schema import import_batch, survey_response
from cxdash.ui.imports import deleted_detail
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app
from tests.support.uploads import (
    answer_scale,
    check_file,
    check_qualtrics,
    dealer_xlsx,
    error_report,
    load_file,
    nps_n,
    open_page,
    overview_n,
    result_text,
    select_option,
    settle,
    upload,
    wenjuanxing_csv,
    widget,
)

pytestmark = pytest.mark.browser

# ---------------------------------------------------------------- the test

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A small demo database and the app served on it: (base URL, database URL)."""
    from cxdash.demo import build_demo

    require_chromium()
    url = f"sqlite:///{tmp_path_factory.mktemp('browser_imports') / 'demo.db'}"
    engine = make_engine(url)
    build_demo(engine, responses=1500, tickets=300, seed=7)
    engine.dispose()
    with serve_app(url) as base:
        yield base.rstrip("/"), url


def _responses(url: str, source: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(survey_response)
                                    .where(survey_response.c.source == source)).scalar_one())
    finally:
        engine.dispose()


def test_cx_lead_uploads_three_files_reuploads_one_and_deletes_a_batch(served: tuple[str, str]) -> None:
    base, url = served
    with chromium_page() as page:
        before = nps_n(page, base)
        assert before == overview_n(url) > 0

        # 1. Qualtrics CSV (English). The NPS column reads 7-11 in the sample, so the page proposes 1-11 (as
        # statistics packages export NPS); the lead declares 0-10 instead, which makes the 11 a rejected cell: that
        # response loads with its other answers and without the NPS.
        check_qualtrics(page, base)
        assert error_report(page, "en") == [
            (14, "Q1", "11", reason_text("out_of_scale", "0-10", "en")),
            (15, "RecordedDate", "not a date", reason_text("unparseable_date", "", "en")),
            (16, "Store", "S999", reason_text("unknown_site", "", "en")),
        ]
        screenshot(page, "imports_qualtrics_preview")
        qualtrics_batch = load_file(page, "en", cells=1, inserted=11, updated=0, skipped=0, rejected=2)

        # 2. 问卷星 export in GB18030, on the Chinese page: encoding and layout detected, Chinese headers mapped.
        zh = "zh-Hans"
        open_page(page, f"{base}/upload?lang={zh}")
        upload(page, "问卷星导出.csv", wenjuanxing_csv(), "text/csv")
        page.get_by_text(t("imports.ui.detected", zh, encoding="gb18030", delimiter="','",
                           layout=t("imports.layout.wenjuanxing", zh), rows="10")).wait_for(timeout=120_000)
        settle(page)
        answer_scale(page, "0-10")  # NPS answers 6-10 (and a 12): 0-10 or coded 1-11? The page asks.
        check_file(page, zh, cells=1, read=10, inserted=9, updated=0, skipped=0, rejected=1)
        assert error_report(page, zh) == [
            (10, "2、您向亲友推荐我们的可能性有多大？", "12", reason_text("out_of_scale", "0-10", zh)),
            (11, "1、门店", "不存在的门店", reason_text("unknown_site", "", zh)),
        ]
        screenshot(page, "imports_wenjuanxing_preview")
        load_file(page, zh, cells=1, inserted=9, updated=0, skipped=0, rejected=1)

        # 3. The dealer's XLSX: choose the sheet, map the comment column by hand.
        open_page(page, f"{base}/upload?lang=en")
        upload(page, "dealer.xlsx", dealer_xlsx(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        widget(page, "stSelectbox", t("imports.ui.sheet", "en")).wait_for(timeout=120_000)
        settle(page)
        select_option(page, t("imports.ui.sheet", "en"), "Responses")
        page.get_by_text(t("imports.ui.detected_xlsx", "en", sheet="Responses", layout=t("imports.layout.plain", "en"),
                           rows="8")).wait_for(timeout=120_000)
        select_option(page, t("imports.field.comment", "en"), "Bemerkung")
        answer_scale(page, "0-10")
        check_file(page, "en", cells=1, read=8, inserted=7, updated=0, skipped=0, rejected=1)
        report = error_report(page, "en")
        assert [(r[0], r[1], r[2]) for r in report] == [(8, "csat", "9"), (9, "response_id", "X000")]
        assert report[1][3] == reason_text("duplicate_id", "2", "en")
        screenshot(page, "imports_xlsx_preview")
        xlsx_batch = load_file(page, "en", cells=1, inserted=7, updated=0, skipped=0, rejected=1)

        # The overview counts the 25 new NPS answers (all dated inside its window), as cxdash computes them: the
        # out-of-scale NPS answers were left out, the CSAT of 9 too (its response and NPS loaded).
        after = nps_n(page, base)
        assert after == before + 10 + 8 + 7 == overview_n(url)
        screenshot(page, "imports_overview_after")

        # 4. The 问卷星 file again: named as already loaded before the check; every valid row is already there,
        # skipped by default, nothing doubled, and no empty batch.
        open_page(page, f"{base}/upload?lang=en")
        upload(page, "问卷星导出.csv", wenjuanxing_csv(), "text/csv")
        page.get_by_text(t("imports.layout.wenjuanxing", "en"), exact=False).first.wait_for(timeout=120_000)
        settle(page)
        assert "This file was already loaded as batch" in page.inner_text('[data-testid="stMain"]')
        answer_scale(page, "0-10")
        check_file(page, "en", cells=1, read=10, inserted=0, updated=0, skipped=9, rejected=1)
        page.get_by_role("button", name=t("imports.ui.load", "en")).click()
        nothing_new = result_text("nothing_new", "en", 1, skipped=9, rejected=1)
        page.locator('[data-testid="stAlert"]', has_text=nothing_new).wait_for(timeout=120_000)
        settle(page)
        skipped_label = t("imports.ui.metric.skipped", "en")
        assert skipped_label in page.inner_text('[data-testid="stMain"]')
        screenshot(page, "imports_reupload_skipped")
        assert _responses(url, "wenjuanxing") == 9
        assert nps_n(page, base) == after

        # 5. Import history: delete the XLSX batch (with the confirmation); only its rows go.
        open_page(page, f"{base}/import-history?lang=en")
        select_option(page, t("imports.hist.pick", "en"), f"{xlsx_batch} · dealer.xlsx")
        page.get_by_role("button", name=t("imports.hist.delete", "en")).click()
        confirm = page.get_by_role("button", name=t("imports.hist.confirm_yes", "en", batch=xlsx_batch))
        confirm.wait_for(timeout=120_000)
        settle(page)
        confirm.click()
        deleted = t("imports.hist.deleted", "en", batch=xlsx_batch, detail=deleted_detail({"touchpoint_score": 14, "survey_response": 7}, "en"))
        page.get_by_text(deleted, exact=True).wait_for(timeout=120_000)
        settle(page)
        screenshot(page, "imports_history_deleted")
        assert _responses(url, "file") == 0
        assert _responses(url, "qualtrics") == 11 and _responses(url, "wenjuanxing") == 9
        assert nps_n(page, base) == after - 7 == overview_n(url)

    engine = make_engine(url)
    with engine.connect() as conn:
        status = dict(conn.execute(select(import_batch.c.id, import_batch.c.status)).all())
    engine.dispose()
    assert status[xlsx_batch] == "deleted" and status[qualtrics_batch] == "loaded"
