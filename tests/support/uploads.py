"""Driving the upload page in headless Chromium: the three test files (a Qualtrics CSV, a GB18030 问卷星 export, a
dealer's XLSX) and the steps of an upload, shared by the browser tests of imports."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

from cxdash.db import make_engine
from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.metrics.overview.cards import overview
from tests.support.browser import choose_option, screenshot

TODAY = date.today()
WINDOW = (TODAY - timedelta(days=89), TODAY)  # the overview's dates, given in its URL
UPLOADER = '[data-testid="stFileUploaderDropzoneInput"]'
IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]')
        && !document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]');
}"""
NPS_CARD = """(label) => {
    const l = [...document.querySelectorAll('[data-testid="stMetricLabel"]')].find(e => e.innerText.trim() === label);
    const card = l && l.closest('[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVerticalBlock"]');
    return card ? card.innerText : null;
}"""


def day_ago(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


# ---------------------------------------------------------------- the three files (sites and touchpoints of the demo)

def qualtrics_csv() -> bytes:
    """A Qualtrics export: three header rows (tags, question texts, ImportId JSON); NPS, two touchpoints' P and E.

    Ten good rows, then an NPS of 11 (the page declares 0-10), an unreadable date and an unknown store.
    """
    tags = ["StartDate", "EndDate", "Status", "RecordedDate", "ResponseId", "ExternalReference", "Store", "Q1",
            "Q2_1", "Q2_2", "Q3_1", "Q3_2", "Q4"]
    labels = ["Start Date", "End Date", "Response Type", "Recorded Date", "Response ID", "External Data Reference",
              "Store", "How likely are you to recommend our service to a friend?",
              "How did we do? (perceived) - Guard greets customer", "How did we do? (perceived) - Confirm repair items",
              "What did you expect? (expected) - Guard greets customer",
              "What did you expect? (expected) - Confirm repair items", "Anything else you want to tell us?"]
    ids = [json.dumps({"ImportId": i}) for i in ("startDate", "endDate", "status", "recordedDate", "_recordId",
                                                 "externalDataReference", "QID9", "QID1", "QID2_1", "QID2_2",
                                                 "QID3_1", "QID3_2", "QID4_TEXT")]
    rows = []
    for i in range(10):
        d = day_ago(3 + i)
        rows.append([f"{d} 09:00:00", f"{d} 09:05:00", "0", f"{d} 09:05:01", f"R_Q{i:03d}", "", "S01",
                     str(10 - i % 4), str(5 + i % 3), "6", "6", "6", f"visit {i}"])
    d = day_ago(4)
    rows += [
        [f"{d} 10:00:00", f"{d} 10:03:00", "0", f"{d} 10:03:01", "R_BAD1", "", "S01", "11", "6", "6", "6", "6", ""],
        [f"{d} 10:00:00", f"{d} 10:03:00", "0", "not a date", "R_BAD2", "", "S02", "7", "6", "6", "6", "6", ""],
        [f"{d} 10:00:00", f"{d} 10:03:00", "0", f"{d} 10:03:01", "R_BAD3", "", "S999", "8", "6", "6", "6", "6", ""],
    ]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([tags, labels, ids, *rows])
    return buf.getvalue().encode("utf-8")


def wenjuanxing_csv() -> bytes:
    """A 问卷星 export in GB18030: serial numbers, 提交答卷时间, Chinese question texts; a score of 12 and an unknown 门店."""
    head = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "1、门店", "2、您向亲友推荐我们的可能性有多大？",
            "3、总体满意度", "4、保安问候客户（感知）", "5、保安问候客户（期望）", "6、安顿客户（感知）", "7、安顿客户（期望）",
            "8、您还有什么意见建议？"]
    rows = []
    for i in range(8):
        d = day_ago(5 + i)
        rows.append([str(i + 1), f"{d.year}/{d.month}/{d.day} 9:05:01", "120秒", "微信", "N/A", "1.2.3.4(上海)", "S02",
                     str(6 + i % 5), str(3 + i % 3), "6", "6", "5", "6", f"服务很好，谢谢{i}"])
    d = day_ago(6)
    when = f"{d.year}/{d.month}/{d.day} 10:15:00"
    rows += [["9", when, "80秒", "微信", "N/A", "1.2.3.6(广州)", "S02", "12", "5", "7", "6", "6", "6", "分数越界"],
             ["10", when, "80秒", "微信", "N/A", "1.2.3.6(广州)", "不存在的门店", "9", "5", "7", "6", "6", "6", "门店未知"]]
    return ("\r\n".join(",".join(r) for r in [head, *rows]) + "\r\n").encode("gb18030")


def dealer_xlsx() -> bytes:
    """A dealer's workbook: a notes sheet first, the responses on the second sheet; the comment column has a German
    header nothing recognises (mapped by hand); a CSAT of 9 on 1-5 and a repeated id."""
    from openpyxl import Workbook

    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["Exported from the dealer's own survey tool; responses are on the next sheet."])
    ws = wb.create_sheet("Responses")
    ws.append(["response_id", "visit_date", "site", "nps", "csat", "REC01_P", "REC01_E", "CON04_P", "CON04_E",
               "Bemerkung"])
    for i in range(6):
        ws.append([f"X{i:03d}", day_ago(2 + i), "S03", 9 - i % 3, 4, 6, 5, 5, 6, f"dealer sheet {i}"])
    ws.append(["X100", day_ago(3), "S03", 8, 9, 6, 5, 5, 6, "csat out of 1-5"])
    ws.append(["X000", day_ago(3), "S03", 8, 4, 6, 5, 5, 6, "the same id again"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- driving the page

def settle(page: Any, timeout_ms: int = 120_000) -> None:
    """Wait until Streamlit finished the run the last action started (the state flips as soon as it is requested)."""
    page.wait_for_function(IDLE, timeout=timeout_ms)


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
    settle(page)


def upload(page: Any, name: str, data: bytes, mime: str) -> None:
    page.locator(UPLOADER).set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])


def widget(page: Any, testid: str, label: str) -> Any:
    """The widget of ``testid`` whose label is exactly ``label``."""
    exact = page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return page.locator(f'[data-testid="{testid}"]').filter(has=exact).first


def select_option(page: Any, label: str, option: str) -> None:
    choose_option(page, widget(page, "stSelectbox", label), re.compile(rf"^\s*{re.escape(option)}\s*$"))
    settle(page)


def set_number(page: Any, label: str, value: float) -> None:
    box = widget(page, "stNumberInput", label).locator("input")
    box.fill(str(value))
    box.press("Enter")
    settle(page)


def result_text(key: str, lang: str, cells: int = 0, **counts: int) -> str:
    """The result sentence with these counts, and the sentence about answers left out of loaded rows."""
    text = t(f"imports.result.{key}", lang, **{k: f"{v:,}" for k, v in counts.items()})
    return text + (" " + t("imports.result.cells", lang, cells=f"{cells:,}") if cells else "")


def answer_scale(page: Any, choice: str) -> None:
    """Answer the mapping step's scale question (a radio) with the choice labelled ``choice``."""
    page.locator('[data-testid="stRadio"]').get_by_text(choice, exact=True).first.click()
    settle(page)


def check_file(page: Any, lang: str, cells: int = 0, **counts: int) -> None:
    """Press "Check the file" and wait for the dry run's sentence with exactly these counts."""
    expect = result_text("dry_run", lang, cells, **counts)
    # A rerun the scale inputs started may still redraw the form and swallow the click; checking writes
    # nothing, so pressing again is harmless.
    for attempt in range(3):
        settle(page)
        page.get_by_role("button", name=t("imports.ui.check", lang)).click()
        try:
            page.get_by_text(expect, exact=True).wait_for(timeout=60_000)
            break
        except Exception:
            if attempt == 2:
                screenshot(page, "imports_check_failed")
                raise
    settle(page)


def error_report(page: Any, lang: str) -> list[tuple[int, str, str, str]]:
    """Download the error report the preview offers: (row, column, value, reason) per rejected cell."""
    with page.expect_download() as dl:
        page.get_by_role("button", name=t("imports.ui.download_errors", lang)).click()
    with open(dl.value.path(), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [t(f"imports.report.{c}", lang) for c in ("row", "column", "value", "reason", "scope")]
    return [(int(r[0]), r[1], r[2], r[3]) for r in rows[1:]]


def load_file(page: Any, lang: str, cells: int = 0, **counts: int) -> int:
    """Press "Load" and wait for the result with exactly these counts; return the batch id it names."""
    page.get_by_role("button", name=t("imports.ui.load", lang)).click()
    message = result_text("loaded", lang, cells, **counts)
    pattern = re.escape(t("imports.ui.loaded", lang, batch="<B>", message=message)).replace("<B>", r"(\d+)")
    alert = page.locator('[data-testid="stAlert"]', has_text=message)
    alert.wait_for(timeout=120_000)
    settle(page)
    found = re.search(pattern, alert.inner_text())
    assert found, alert.inner_text()
    return int(found.group(1))


def nps_n(page: Any, base: str) -> int:
    """The n under the overview's NPS card over :data:`WINDOW`."""
    open_page(page, f"{base}/?from={WINDOW[0]}&to={WINDOW[1]}")
    label = t("overview.kpi.nps.title", "en")
    page.wait_for_function(f"() => ({NPS_CARD})({json.dumps(label)}) !== null", timeout=120_000)
    text = page.evaluate(NPS_CARD, label)
    found = re.search(r"n = ([\d,]+)", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def check_qualtrics(page: Any, base: str) -> None:
    """Open the upload page, upload :func:`qualtrics_csv`, declare NPS as 0-10 and check it: 11 new (one without its
    NPS of 11), 2 rejected."""
    open_page(page, f"{base}/upload?lang=en")
    upload(page, "qualtrics_export.csv", qualtrics_csv(), "text/csv")
    page.get_by_text(t("imports.ui.detected", "en", encoding="utf-8", delimiter="','",
                       layout=t("imports.layout.qualtrics", "en"), rows="13")).wait_for(timeout=120_000)
    settle(page)
    group = t("imports.ui.group.ltr", "en")
    set_number(page, t("imports.ui.scale_min", "en", group=group), 0)
    set_number(page, t("imports.ui.scale_max", "en", group=group), 10)
    check_file(page, "en", cells=1, read=13, inserted=11, updated=0, skipped=0, rejected=2)


def overview_n(url: str) -> int:
    """The n of the overview's NPS card over :data:`WINDOW`, computed straight from the database at ``url``."""
    engine = make_engine(url)
    try:
        card = next(c for c in overview(engine, Filters(date_from=WINDOW[0], date_to=WINDOW[1])).cards if c.key == "nps")
        return int(card.n or 0)
    finally:
        engine.dispose()
