"""Uploaded codes (channel, segment, ticket category, priority, effort measures) are shown by name in the user's
language, unknown codes as uploaded; chart specs and page tables carry the names, and downloads carry translated
headers (#20: "untranslated text in the Chinese UIs").
"""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest

from cxdash.charts.service import pareto_chart
from cxdash.code_labels import code_label, known_codes, label_codes
from cxdash.export import header_label, to_csv_bytes, to_xlsx_bytes, translated_headers
from cxdash.i18n import t
from cxdash.metrics.loyalty.effort import COLUMNS as EFFORT_COLUMNS
from cxdash.metrics.org_names import org_names
from tests.support.app import make_app, no_errors

CODES = {"urgent", "high", "normal", "low", "complaint", "billing", "warranty", "appointment", "app", "email",
         "phone", "chat", "fleet", "private", "vip", "ces", "contacts", "transfers", "repeated", "open", "pending",
         "resolved", "closed"}
CHINESE = ("zh-Hans", "zh-Hant")
# Page views showing codes: the page, the session state that opens the view, and a name it must show.
VIEWS = [
    ("loyalty.py", {"loy_view": "effort"}, ("measure", "ces")),
    ("loyalty.py", {"loy_view": "breakdowns", "loy_by": "channel"}, ("channel", "visit")),
    ("loyalty.py", {"loy_view": "breakdowns", "loy_by": "segment"}, ("segment", "fleet")),
    ("service.py", {"sla_view": "compliance", "sla_by": "priority"}, ("priority", "urgent")),
    ("service.py", {"sla_view": "compliance", "sla_by": "category"}, ("category", "complaint")),
    ("service.py", {"sla_view": "compliance", "sla_by": "channel"}, ("channel", "app")),
    ("service.py", {"sla_view": "warning"}, None),
    ("tiers.py", {"tier_by": "segment"}, ("segment", "vip")),
]


@pytest.mark.parametrize("lang", ["en", *CHINESE])
def test_known_codes_have_names_and_unknown_codes_stay_as_uploaded(lang: str) -> None:
    assert code_label("channel", "app", lang) == t("shell.channel.app", lang)
    assert code_label("channel", " App ", lang) == t("shell.channel.app", lang)  # case and spaces do not matter
    assert code_label("category", "complaint", lang) == t("common.codes.category.complaint", lang)
    assert code_label("priority", "urgent", lang) == t("service.priority.urgent", lang)
    assert code_label("measure", "contacts", lang) == t("loyalty.effort.contacts", lang)
    assert code_label("channel", "kiosk*", lang) == "kiosk*"  # a user's own code, shown as uploaded
    assert code_label("segment", None, lang) == ""
    shown = label_codes(pd.DataFrame({"channel": ["email", "kiosk", None], "n": [1, 2, 3]}),
                        {"channel": "channel", "absent": "segment"}, lang)
    assert shown["channel"].tolist()[:2] == [t("shell.channel.email", lang), "kiosk"]
    assert shown["n"].tolist() == [1, 2, 3]


def test_every_demo_code_has_a_name_in_the_catalogs() -> None:
    from cxdash.demo.customers import SEGMENTS
    from cxdash.demo.responses import CHANNELS as VISIT_CHANNELS
    from cxdash.demo.tickets import CATEGORIES, CHANNELS, STATUSES

    assert set(CATEGORIES) <= set(known_codes("category"))
    assert set(CHANNELS) | set(VISIT_CHANNELS) <= set(known_codes("channel"))
    assert set(SEGMENTS) <= set(known_codes("segment"))
    assert set(STATUSES) <= set(known_codes("status"))
    assert {"urgent", "high", "normal", "low"} <= set(known_codes("priority"))


def test_org_names_name_channels_and_segments(sqlite_engine) -> None:  # noqa: ANN001
    with sqlite_engine.connect() as conn:
        assert org_names(conn, "segment", ["fleet", "own"], "zh-Hant") == {"fleet": t("shell.segment.fleet", "zh-Hant"),
                                                                          "own": "own"}


@pytest.mark.parametrize("lang", CHINESE)
def test_pareto_chart_shows_category_names_and_keeps_codes_for_the_click(lang: str) -> None:
    data = pd.DataFrame({"category": ["complaint", "billing", "own code", None], "value": [5, 3, 2, 1],
                         "share": [0.45, 0.27, 0.18, 0.1], "cum_share": [0.45, 0.72, 0.9, 1.0]})
    spec = pareto_chart(data, lang).to_dict()
    x = spec["layer"][0]["encoding"]["x"]
    assert x["field"] == "category"  # the click still drills by the stored code
    assert t("common.codes.category.complaint", lang) in x["axis"]["labelExpr"]
    assert t("common.codes.category.billing", lang) in x["axis"]["labelExpr"]
    rows = next(iter(spec["datasets"].values()))
    names = {r["category"]: r["category_name"] for r in rows}
    assert names["complaint"] == t("common.codes.category.complaint", lang) and names["own code"] == "own code"
    tooltips = [tt["field"] for layer in spec["layer"] for tt in layer["encoding"]["tooltip"]]
    assert "category" not in tooltips and "category_name" in tooltips


@pytest.mark.parametrize("lang", CHINESE)
def test_downloads_have_translated_headers(lang: str) -> None:
    table = pd.DataFrame([["ces", "3", 120, 12.5]], columns=EFFORT_COLUMNS[:4])
    out = translated_headers(table, lang)
    assert list(out.columns) == [t(f"loyalty.col.{c}", lang) for c in EFFORT_COLUMNS[:4]]
    assert to_csv_bytes(out).decode("utf-8-sig").splitlines()[0] == ",".join(out.columns)
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(out)))
    assert [c.value for c in book.active[1]] == list(out.columns)
    # A page's own headers first; the overview's records through their own prefix; unknown columns as stored.
    cfg = translated_headers(pd.DataFrame(columns=["n", "zz_custom"]), lang, {"n": "N!"})
    assert list(cfg.columns) == ["N!", "zz_custom"]
    overview = translated_headers(pd.DataFrame(columns=["key", "value", "previous", "verdict"]), lang,
                                  prefixes=("common.export.overview",))
    assert list(overview.columns) == [t(f"common.export.overview.{c}", lang) for c in ("key", "value", "previous", "verdict")]
    assert header_label("ticket_id_unknown", lang) == "ticket_id_unknown"


def test_two_columns_with_one_header_stay_apart() -> None:
    out = translated_headers(pd.DataFrame(columns=["a", "b"]), "en", {"a": "Same", "b": "Same"})
    assert list(out.columns) == ["Same (a)", "Same (b)"]


def _codes_in_tables(at) -> dict[str, set[str]]:  # noqa: ANN001
    found: dict[str, set[str]] = {}
    for frame in at.dataframe:
        df = frame.value
        for col in df.columns:
            if df[col].dtype == object:
                hits = {str(v) for v in df[col].dropna().unique()} & CODES
                if hits:
                    found.setdefault(str(col), set()).update(hits)
    return found


@pytest.mark.apptest
@pytest.mark.parametrize("lang", CHINESE)
@pytest.mark.parametrize(("page", "state", "expect"), VIEWS, ids=lambda v: str(v).replace(" ", ""))
def test_pages_show_no_english_codes_in_chinese(page: str, state: dict[str, str], expect: tuple[str, str] | None,
                                                lang: str) -> None:
    at = make_app(lang)
    at.run()
    at.switch_page(f"ui/pages/{page}")
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    no_errors(at)
    assert at.dataframe, "the view shows a table"
    assert _codes_in_tables(at) == {}
    if expect is not None:
        name = code_label(*expect, lang)
        assert any(name in set(map(str, f.value.stack().unique())) for f in at.dataframe), name


@pytest.mark.parametrize("lang", ["en", *CHINESE])
def test_uploader_drop_zone_text_is_replaced_in_the_users_language(lang: str) -> None:
    from cxdash.ui.uploader import _css_string, dropzone_css

    css = dropzone_css(lang)
    assert _css_string(t("imports.ui.dropzone.button", lang)) in css
    assert _css_string(t("imports.ui.dropzone.hint", lang)) in css
    assert "stFileUploaderDropzoneInstructions" in css
    assert _css_string('a"b\\c</style>') == '"a\\"b\\\\c\\3c /style>"'  # nothing can end the string or the sheet
