"""End to end in headless Chromium (issue 19, "Real survey files land right or say exactly why"): a CX lead uploads a
dateless 0-5 survey file where 0 means "not applicable" and a text ``satisfaction`` column, confirms the scale and the
n/a code on the mapping step, sets one visit date for the file, loads it, and the touchpoint means on the touchpoints
page match a hand computation; then uploads a customer file with churn flags alone and sees the churn rate on the
overview and on the drivers page.

Runs on SQLite and PostgreSQL (the ``engine`` fixture). Every text the test waits for comes from the translation
catalogs.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.i18n import t
from cxdash.imports.pipeline import prepare, proposal_text
from cxdash.imports.reading import FileInput
from cxdash.metrics.experience.gaps import gap_table
from cxdash.schema import customer, survey_response
from cxdash.ui.widgets import fmt_value
from tests.support.browser import chromium_page, require_chromium, screenshot, serve_app
from tests.support.uploads import answer_scale, check_file, load_file, open_page, settle, upload, widget
from tests.world import IMPORTS

pytestmark = pytest.mark.browser

TODAY = date.today()
VISIT = TODAY - timedelta(days=3)  # the one visit date the lead sets for the whole file
WINDOW = (TODAY - timedelta(days=89), TODAY)
# Touchpoint columns of the demo catalog (P = perceived, E = expected), answered 0-5 where 0 = not applicable.
TOUCHPOINTS = {"REC01": "Guard greets customer", "CON01": "Confirm repair items"}
SURVEY_ROWS = 24


def survey_csv() -> bytes:
    """No date, no id: a site, two touchpoints' P and E on 0-5 (some 0s: not applicable) and a text satisfaction."""
    lines = ["site,REC01_P,REC01_E,CON01_P,CON01_E,satisfaction"]
    for i in range(SURVEY_ROWS):
        # (REC01 P, REC01 E) differ on every row: without an id column identical rows would be one response twice.
        p1, e1, p2, e2 = i % 5 + 1, (i // 5) % 5 + 1, (i * 4 + 1) % 5 + 1, (i * 3 + 2) % 5 + 1
        if i % 5 == 0:
            p1 = 0
        if i % 7 == 0:
            e2 = 0
        mood = "satisfied" if i % 3 else "neutral or dissatisfied"
        lines.append(f"{'S01' if i % 2 else 'S02'},{p1},{e1},{p2},{e2},{mood}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def hand_means() -> dict[str, tuple[int, float, float]]:
    """Per touchpoint: pairs with both answers (a 0 is no answer), mean P and mean E on 0-1 ((x - 1) / 4)."""
    rows = list(csv.DictReader(io.StringIO(survey_csv().decode())))
    out = {}
    for code in TOUCHPOINTS:
        pairs = [(int(r[f"{code}_P"]), int(r[f"{code}_E"])) for r in rows
                 if r[f"{code}_P"] != "0" and r[f"{code}_E"] != "0"]
        out[code] = (len(pairs), sum((p - 1) / 4 for p, _ in pairs) / len(pairs),
                     sum((e - 1) / 4 for _, e in pairs) / len(pairs))
    return out


# A customer list: id, segment, tenure (months), churned; no dates.
CUSTOMERS = [(f"K{i:03d}", "Fleet" if i % 3 == 0 else "Retail", (i * 7) % 60 + 1, i % 4 == 0 or i % 7 == 0)
             for i in range(1, 61)]


def customers_csv() -> bytes:
    return ("id,segment,tenure,churn\n" + "".join(f"{c},{s},{n},{'Yes' if y else 'No'}\n"
                                                  for c, s, n, y in CUSTOMERS)).encode("utf-8")


def _set_visit_date(page: Any, day: date) -> None:
    box = widget(page, "stDateInput", t("imports.ui.visit_date_fixed", "en")).locator("input")
    box.scroll_into_view_if_needed()
    box.fill(day.isoformat())  # typing needs no pointer: the sidebar may cover the box's corner
    box.press("Enter")
    box.press("Escape")
    settle(page)
    assert box.input_value() == day.isoformat()


def _touchpoint_csv(page: Any, base: str) -> dict[str, dict[str, str]]:
    """The touchpoints page's gap table, as its CSV download gives it, by touchpoint name."""
    open_page(page, f"{base}/touchpoints?from={WINDOW[0]}&to={WINDOW[1]}&lang=en")
    button = page.locator(".st-key-dl_touchpoint_gaps_csv button")
    button.wait_for(timeout=120_000)
    settle(page)
    with page.expect_download() as dl:
        button.click()
    with open(dl.value.path(), encoding="utf-8-sig", newline="") as fh:
        found = list(csv.DictReader(fh))
    # The download's headers are in the page's language: read them back to the stored column names.
    from cxdash.export import HEADER_PREFIXES, header_label

    stored = {header_label(c, "en", ("experience.col", *HEADER_PREFIXES)): c
              for c in ("touchpoint_name", "n", "mean_p", "mean_e")}
    return {r[next(h for h, c in stored.items() if c == "touchpoint_name")]: {stored.get(k, k): v for k, v in r.items()}
            for r in found}


def _metric(page: Any, label: str) -> str:
    """The value of the metric labelled ``label`` once it is drawn."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))).first
    metric.wait_for(timeout=120_000)
    return str(metric.locator('[data-testid="stMetricValue"]').inner_text()).strip()


def test_dateless_survey_file_and_a_customer_list(engine: Engine) -> None:
    require_chromium()
    IMPORTS.org(engine)
    url = engine.url.render_as_string(hide_password=False)
    suggestion = [proposal_text(p, "en") for p in prepare(engine, FileInput("survey.csv", survey_csv()), "surveys").proposals
                  if p.field == "csat"]
    assert len(suggestion) == 1  # a suggestion, not a match: the column holds words, not scores
    with serve_app(url) as served, chromium_page() as page:
        base = served.rstrip("/")
        # 1. The survey file: the page asks what the 0s are; the lead picks "1-5, 0 = not applicable".
        open_page(page, f"{base}/upload?lang=en")
        upload(page, "survey.csv", survey_csv(), "text/csv")
        choice = t("imports.scale.choice_na", "en", scale="1-5", codes="0")
        page.locator('[data-testid="stRadio"]').get_by_text(choice, exact=True).first.wait_for(timeout=120_000)
        settle(page)
        main = page.locator('[data-testid="stMain"]')
        assert suggestion[0] in main.inner_text()  # satisfaction shown as a suggestion, not mapped to CSAT
        assert page.get_by_role("button", name=t("imports.ui.check", "en")).is_disabled()  # the question is open
        answer_scale(page, choice)
        _set_visit_date(page, VISIT)
        screenshot(page, "real_files_mapping")
        check_file(page, "en", read=SURVEY_ROWS, inserted=SURVEY_ROWS, updated=0, skipped=0, rejected=0)
        load_file(page, "en", inserted=SURVEY_ROWS, updated=0, skipped=0, rejected=0)
        with engine.connect() as conn:
            dates = conn.execute(select(survey_response.c.visit_date, func.count(), func.count(survey_response.c.csat))
                                 .group_by(survey_response.c.visit_date)).all()
        assert [(str(d)[:10], n, csat) for d, n, csat in dates] == [(VISIT.isoformat(), SURVEY_ROWS, 0)]

        # 2. The touchpoints page's means (0-1) match the hand computation, and cxdash's own figures.
        shown = _touchpoint_csv(page, base)
        ours = gap_table(engine, Filters(date_from=WINDOW[0], date_to=WINDOW[1])).set_index("touchpoint_code")
        for code, (n, mean_p, mean_e) in hand_means().items():
            row = shown[TOUCHPOINTS[code]]
            assert int(row["n"]) == n == int(ours.loc[code, "n"])
            assert float(row["mean_p"]) == pytest.approx(mean_p) == ours.loc[code, "mean_p"]
            assert float(row["mean_e"]) == pytest.approx(mean_e) == ours.loc[code, "mean_e"]
        screenshot(page, "real_files_touchpoints")

        # 3. The customer list: flags alone.
        open_page(page, f"{base}/upload?lang=en")
        kind = re.compile(rf"^\s*{re.escape(t('imports.kind.customers', 'en'))}\s*$")
        page.locator('[data-testid="stButtonGroup"] button').filter(has_text=kind).first.click()
        # The kind's rerun redraws the uploader: a file given before it lands is dropped, so the file goes in
        # again until the page has read it.
        rows = len(CUSTOMERS)
        detected = page.get_by_text(t("imports.ui.detected", "en", encoding="utf-8", delimiter="','",
                                      layout=t("imports.layout.plain", "en"), rows=str(rows)))
        for attempt in range(4):
            page.wait_for_timeout(1500)
            settle(page)
            upload(page, "customers.csv", customers_csv(), "text/csv")
            try:
                detected.wait_for(timeout=30_000)
                break
            except Exception:
                if attempt == 3:
                    raise
        page.get_by_text(t("imports.field.churn_flag", "en")).first.wait_for(timeout=60_000)
        settle(page)
        screenshot(page, "real_files_customers_mapping")
        check_file(page, "en", read=rows, inserted=rows, updated=0, skipped=0, rejected=0)
        load_file(page, "en", inserted=rows, updated=0, skipped=0, rejected=0)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(customer)).scalar_one() == rows
        n, k = rows, sum(1 for *_, y in CUSTOMERS if y)
        rate = fmt_value(k / n, "share")

        # 4. The churn rate on the overview and on the drivers page: flagged / all.
        open_page(page, f"{base}/?from={WINDOW[0]}&to={WINDOW[1]}&lang=en")
        assert _metric(page, t("overview.kpi.churn.title", "en")) == rate
        screenshot(page, "real_files_overview")
        open_page(page, f"{base}/drivers?from={WINDOW[0]}&to={WINDOW[1]}&lang=en")
        assert _metric(page, t("loyalty.kpi.churn", "en")) == rate
        caption = t("loyalty.churn.rate.caption", "en", k=f"{k:,}", n=f"{n:,}", low="<L>", high="<H>")
        pattern = re.escape(caption).replace("<L>", r"[\d.]+%").replace("<H>", r"[\d.]+%")
        page.get_by_text(re.compile(pattern)).first.wait_for(timeout=120_000)
        # The at-risk list from the list's own fields, saying so.
        page.get_by_text(t("loyalty.churn.risk.from_list", "en"), exact=True).wait_for(timeout=120_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        screenshot(page, "real_files_drivers")
