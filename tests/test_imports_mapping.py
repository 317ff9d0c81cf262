"""Column mapping: fields by English or Chinese headers, touchpoints by code or name, scales, saved mappings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from cxdash.catalog import STAGES, ensure_default_catalog
from cxdash.imports.errors import UploadError
from cxdash.imports.layouts import detect_layout
from cxdash.imports.mapping import CatalogEntry, Mapping, Scale, auto_map, detect_scale, unknown_touchpoints
from cxdash.imports.saved import delete_mapping, get_mapping, list_mappings, save_mapping

CATALOG = [CatalogEntry(tp.code, (tp.en, tp.zh_hans, tp.zh_hant)) for _, tps in STAGES for tp in tps]


def _map(header: list[str], rows: list[list[str]] | None = None, kind: str = "surveys") -> Mapping:
    layout = detect_layout([header, *(rows or [])])
    sample = pd.DataFrame(rows or [], columns=layout.columns, dtype="str")
    return auto_map(kind, layout, sample, CATALOG)


def test_english_and_chinese_headers_find_their_fields() -> None:
    m = _map(["Response ID", "Store", "Service Advisor", "Visit date", "Likelihood to recommend", "Satisfaction",
              "Customer effort", "Comments"])
    assert m.columns == {"external_id": "Response ID", "site": "Store", "person": "Service Advisor",
                         "visit_date": "Visit date", "ltr": "Likelihood to recommend", "csat": "Satisfaction",
                         "ces": "Customer effort", "comment": "Comments"}
    zh = _map(["序号", "门店", "服务顾问", "到店日期", "推荐意愿", "满意度", "评论"])
    assert zh.columns == {"external_id": "序号", "site": "门店", "person": "服务顾问", "visit_date": "到店日期",
                          "ltr": "推荐意愿", "csat": "满意度", "comment": "评论"}
    assert _map(["NPS"]).columns == {"ltr": "NPS"}


def test_generic_words_do_not_swallow_specific_headers() -> None:
    m = _map(["Ticket ID", "Customer Name", "Customer Age", "Created", "Ticket Priority"], kind="tickets")
    assert "customer" not in m.columns
    assert m.columns["priority"] == "Ticket Priority"


@pytest.mark.parametrize(
    "p_col, e_col",
    [
        ("REC01_P", "REC01_E"),
        ("Guard greets customer (perceived)", "Guard greets customer (expected)"),
        ("保安问候客户_感知", "保安问候客户_期望"),
        ("保安問候客戶（感知）", "保安問候客戶（期望）"),
        ("4、保安问候客户（感知）", "5、保安问候客户（期望）"),
    ],
)
def test_touchpoint_columns_match_by_code_or_name_in_three_languages(p_col: str, e_col: str) -> None:
    m = _map(["id", p_col, e_col, "HND03"], [["1", "5", "6", "7"]])
    codes = {tp.code: (tp.p, tp.e) for tp in m.touchpoints}
    assert codes["REC01"] == (p_col, e_col)
    assert codes["HND03"] == ("HND03", None)  # no marker: perceived
    assert m.layout == "wide"


def test_long_layout_is_recognised() -> None:
    m = _map(["response_id", "visit_date", "touchpoint", "perceived", "expected"], [["1", "2026-01-01", "REC01", "5", "6"]])
    assert m.layout == "long"
    assert (m.columns["touchpoint"], m.columns["tp_p"], m.columns["tp_e"]) == ("touchpoint", "perceived", "expected")


def test_unknown_touchpoint_columns_are_offered_not_dropped() -> None:
    header = ["id", "Parking space_P", "Parking space_E", "E-mail"]
    rows = [["1", "5", "6", "a@b.c"], ["2", "4", "4", "c@d.e"]]
    layout = detect_layout([header, *rows])
    sample = pd.DataFrame(rows, columns=header, dtype="str")
    m = auto_map("surveys", layout, sample, CATALOG)
    assert unknown_touchpoints(layout, m, CATALOG, sample) == {"parking space": ["Parking space_P", "Parking space_E"]}


@pytest.mark.parametrize(
    "values, fixed, expected",
    [
        (["1", "3", "5"], None, Scale(1, 5)),
        (["1", "7", "4"], None, Scale(1, 7)),
        (["0", "10", "8"], None, Scale(0, 10)),
        (["1", "10", "8"], None, Scale(1, 10)),
        (["1", "88", "100"], None, Scale(1, 100)),
        (["0", "55", "100"], None, Scale(0, 100)),
        (["1", "11", "9"], (0.0, 10.0), Scale(1, 11)),  # NPS exported as 1-11 by statistics packages
        (["0", "11", "9"], (0.0, 10.0), Scale(0, 10)),  # a 0 means 0-10: the 11 is out of scale
        (["4.5", "3.5", "5.5"], None, Scale(1, 7, integer=False)),
    ],
)
def test_scales_are_detected(values: list[str], fixed: tuple[float, float] | None, expected: Scale) -> None:
    assert detect_scale(pd.Series(values), fixed) == expected


def test_mapping_round_trips_through_json_and_saved_mappings(engine: Engine) -> None:
    with engine.begin() as conn:
        ensure_default_catalog(conn)
    m = _map(["id", "REC01_P", "REC01_E", "nps"], [["1", "5", "6", "9"]])
    m.date_order, m.source = "dmy", "dealer-x"
    save_mapping(engine, "Dealer X monthly", m, "lead@example.com")
    save_mapping(engine, "Dealer X monthly", m, "lead@example.com")  # replaces, no duplicate
    assert list_mappings(engine, "surveys") == ["Dealer X monthly"]
    back = get_mapping(engine, "surveys", "Dealer X monthly")
    assert back == m
    assert back.to_dict() == Mapping.from_dict(m.to_dict()).to_dict()
    with pytest.raises(UploadError, match="no saved mapping"):
        get_mapping(engine, "tickets", "Dealer X monthly")
    assert delete_mapping(engine, "surveys", "Dealer X monthly")


def test_fixture_exports_map_without_help() -> None:
    from cxdash.imports.reading import FileInput, open_table

    fix = Path(__file__).resolve().parent / "fixtures" / "imports"
    table = open_table(FileInput.from_path(fix / "wenjuanxing_gb18030.csv"))
    m = auto_map("surveys", table.layout, table.sample(), CATALOG)
    assert m.source == "wenjuanxing"
    assert m.columns["external_id"] == "序号" and m.columns["responded_at"] == "提交答卷时间"
    assert m.columns["ltr"] == "2、您向亲友推荐我们的可能性有多大？" and m.columns["csat"] == "3、总体满意度"
    assert {tp.code for tp in m.touchpoints} == {"REC01", "CON04"}
