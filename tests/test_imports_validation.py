"""Row-level validation: every rejected cell with its row number, column, value and reason; a bad answer drops only its cell."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from cxdash.imports.errors import UploadError, error_report_csv
from cxdash.imports.mapping import Mapping, Scale, TouchpointColumns
from cxdash.imports.refs import Refs
from cxdash.imports.validation import Options, Validator, check_mapping

NOW = datetime(2026, 12, 1)


def refs() -> Refs:
    r = Refs(sites={"s01": 1, "north store": 1, "s02": 2}, site_region={1: 10, 2: 10})
    r.teams = {(1, "a"): 5}
    r.teams_any = {"a": 5}
    r.people = {"wang": 7}
    r.touchpoints = {"REC01": 1, "REC02": 2}
    return r


def survey_mapping(**extra: object) -> Mapping:
    m = Mapping(
        kind="surveys",
        columns={"external_id": "id", "site": "site", "visit_date": "date", "ltr": "nps", "comment": "comment"},
        touchpoints=[TouchpointColumns("REC01", "p1", "e1")],
        scales={"touchpoint": Scale(1, 7), "ltr": Scale(0, 10)},
    )
    for k, v in extra.items():
        setattr(m, k, v)
    return m


def frame(rows: list[list[object]], first_row: int = 2) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["id", "site", "date", "nps", "comment", "p1", "e1"], dtype=object)
    df.index = pd.RangeIndex(first_row, first_row + len(df))
    return df


def errors_of(rows: list[list[object]], mapping: Mapping | None = None, **opts: object) -> pd.DataFrame:
    v = Validator(mapping or survey_mapping(), refs(), Options(now=NOW, **opts))  # type: ignore[arg-type]
    return v.check(frame(rows)).errors


def test_each_bad_cell_is_reported_with_row_column_value_and_reason() -> None:
    errs = errors_of([
        ["r1", "S01", "2026-11-02", "9", "ok", "6", "5"],
        ["r2", "S01", "2026-02-30", "11", "", "8", "5"],
        ["r3", "S09", "2027-05-01", "-1", "", "4.5", "x"],
    ])
    got = set(map(tuple, errs[["row", "column", "value", "reason"]].to_numpy().tolist()))
    assert got == {
        (3, "date", "2026-02-30", "impossible_date"),
        (3, "nps", "11", "out_of_scale"),
        (3, "p1", "8", "out_of_scale"),
        (4, "site", "S09", "unknown_site"),
        (4, "date", "2027-05-01", "future_date"),
        (4, "nps", "-1", "out_of_scale"),
        (4, "p1", "4.5", "not_whole"),
        (4, "e1", "x", "not_a_number"),
    }


def test_valid_rows_are_typed_and_tiered() -> None:
    v = Validator(survey_mapping(), refs(), Options(now=NOW))
    checked = v.check(frame([["r1", "north store", "22.11.2026", "9", "=HYPERLINK(1)", "6", "5"],
                             ["r2", "S02", "2026年11月22日", "0", None, "3", "6"]]))
    out = checked.frame
    assert checked.rows == 2 and checked.rejected == 0
    assert out["visit_date"].tolist() == [pd.Timestamp("2026-11-22")] * 2
    assert out["ltr"].tolist() == [9.0, 0.0]
    assert out["tier"].tolist() == [2, 0]  # P > E on a 1-7 integer item: delighted; 3 < 6: disappointed
    assert out["gap_norm"].tolist() == pytest.approx([1 / 6, -3 / 6])
    assert out["comment"].iloc[0] == "=HYPERLINK(1)"  # stored as text, exactly
    assert out["comment_lang"].tolist() == ["en", None]


def test_duplicates_in_the_file_point_to_the_first_row_across_chunks() -> None:
    v = Validator(survey_mapping(), refs(), Options(now=NOW))
    first = v.check(frame([["r1", "S01", "2026-11-02", "9", "", "", ""], ["r1", "S01", "2026-11-02", "9", "", "", ""]]))
    second = v.check(frame([["r1", "S01", "2026-11-03", "8", "", "", ""]], first_row=10))
    assert first.errors[["row", "reason", "detail"]].to_numpy().tolist() == [[3, "duplicate_id", "2"]]
    assert second.errors[["row", "reason", "detail"]].to_numpy().tolist() == [[10, "duplicate_id", "2"]]


def test_required_values_and_missing_columns() -> None:
    errs = errors_of([[None, "S01", None, "9", "", "", ""]])
    assert set(errs["reason"]) == {"missing"} and set(errs["column"]) == {"id", "date"}
    with pytest.raises(UploadError) as err:
        check_mapping(Mapping(kind="tickets", columns={"external_id": "id"}))
    assert "Created" in err.value.message("en") and "创建时间" in err.value.message("zh-Hans")


def test_nps_exported_as_1_to_11_is_shifted_to_0_to_10() -> None:
    m = survey_mapping(scales={"touchpoint": Scale(1, 7), "ltr": Scale(1, 11)})
    out = Validator(m, refs(), Options(now=NOW)).check(frame([["r1", "S01", "2026-11-02", "11", "", "", ""],
                                                             ["r2", "S01", "2026-11-02", "1", "", "", ""]])).frame
    assert out["ltr"].tolist() == [10.0, 0.0]


def test_creating_unknown_sites_only_when_allowed() -> None:
    rows = [["r1", "New Site", "2026-11-02", "9", "", "", ""]]
    assert errors_of(rows)["reason"].tolist() == ["unknown_site"]
    v = Validator(survey_mapping(), refs(), Options(create_missing=True, now=NOW))
    checked = v.check(frame(rows))
    assert checked.rejected == 0 and v.unknown.sites == {"New Site"}


def test_long_comment_and_fine_scales() -> None:
    long_text = "x" * 100_000
    errs = errors_of([["r1", "S01", "2026-11-02", "9", long_text, "", ""]])
    assert errs["reason"].tolist() == ["too_long"] and len(errs["value"].iloc[0]) == 200
    m = survey_mapping(scales={"touchpoint": Scale(1, 100), "ltr": Scale(0, 10)})
    out = Validator(m, refs(), Options(now=NOW)).check(frame([["r1", "S01", "2026-11-02", "9", "", "80", "60"]])).frame
    assert out["gap_norm"].iloc[0] == pytest.approx(20 / 99)
    assert out["tier"].iloc[0] == 2  # 0.202 > 1/12 of the range


def test_no_expectation_columns_means_no_tier() -> None:
    m = survey_mapping(touchpoints=[TouchpointColumns("REC01", "p1", None)])
    out = Validator(m, refs(), Options(now=NOW)).check(frame([["r1", "S01", "2026-11-02", "9", "", "6", ""]])).frame
    assert out["tier"].isna().all() and np.isnan(out["gap_norm"].iloc[0])


def test_error_report_is_translated_and_formula_escaped() -> None:
    errs = errors_of([["r1", "S01", "=cmd|' /C calc'!A0", "9", "", "", ""]])
    text = error_report_csv(errs, "zh-Hans").decode("utf-8-sig")
    assert text.splitlines()[0] == "行号,列,值,原因,拒绝范围"  # the last column says whether the row or one value went
    assert "'=cmd" in text and "无法识别的日期" in text
