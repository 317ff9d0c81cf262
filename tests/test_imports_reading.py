"""Reading uploads: encodings, delimiters, platform header layouts, XLSX sheets, merged cells and formulas."""

from __future__ import annotations

import codecs
from pathlib import Path

import openpyxl
import pytest

from cxdash.imports.errors import UploadError
from cxdash.imports.layouts import QUALTRICS, QUALTRICS_LEGACY, SURVEYMONKEY, WENJUANXING, detect_layout
from cxdash.imports.reading import FileInput, Limits, detect_encoding, open_table, sniff_delimiter

FIX = Path(__file__).resolve().parent / "fixtures" / "imports"
TEXT = "id,门店,评论\n1,S01,服务很好，很专业\n2,S02,等待时间太长了\n"


def read_all(table) -> list:
    return [row for frame in table.frames(1000, text_columns=set(table.columns)) for row in frame.itertuples()]


@pytest.mark.parametrize(
    "encoding, expected",
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"), ("utf-16", "utf-16")],
)
def test_encodings_are_detected_and_decoded(encoding: str, expected: str) -> None:
    table = open_table(FileInput("x.csv", TEXT.encode(encoding)))
    assert table.encoding == expected
    assert table.columns == ["id", "门店", "评论"]
    assert [r[3] for r in read_all(table)] == ["服务很好，很专业", "等待时间太长了"]


def test_big5_fixture_is_read_as_traditional_chinese() -> None:
    table = open_table(FileInput.from_path(FIX / "survey_big5.csv"))
    assert table.encoding == "big5"  # every Big5 flavour is read by one decoder (see encodings.BIG5)
    assert "服務顧問" in table.columns
    assert read_all(table)[0][4] == "王小明"


def test_excel_unicode_text_is_utf16_with_tabs() -> None:
    table = open_table(FileInput.from_path(FIX / "survey_utf16.txt"))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert read_all(table)[1][7] == "不好"


def test_gb18030_wenjuanxing_export() -> None:
    table = open_table(FileInput.from_path(FIX / "wenjuanxing_gb18030.csv"))
    assert table.encoding == "gb18030"
    assert table.layout.name == WENJUANXING
    assert table.layout.labels["2、您向亲友推荐我们的可能性有多大？"] == "您向亲友推荐我们的可能性有多大？"
    frame = table.sample()
    assert frame.index.tolist() == [2, 3, 4]  # spreadsheet row numbers: header is row 1
    assert frame["6、安顿客户（感知）"].isna().tolist() == [False, False, True]  # (跳过) means skipped


def test_encoding_can_be_overridden_and_a_wrong_choice_is_explained() -> None:
    data = TEXT.encode("gb18030")
    with pytest.raises(UploadError) as err:
        list(open_table(FileInput("x.csv", data), encoding="utf-8").frames())
    assert "cannot be read as utf-8" in str(err.value)


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters_are_sniffed(delim: str) -> None:
    text = "\n".join(delim.join(r) for r in [["a", "b", "c"], ["1", "x, y", "3"], ["4", "5", "6"]])
    if delim == ",":
        text = 'a,b,c\n1,"x, y",3\n4,5,6'
    assert sniff_delimiter(text) == delim


def test_qualtrics_three_header_rows() -> None:
    table = open_table(FileInput.from_path(FIX / "qualtrics_like.csv"))
    assert table.layout.name == QUALTRICS
    assert table.layout.top_rows == 3
    assert table.layout.labels["Q1"].startswith("How likely")
    assert table.sample().index[0] == 4


def test_legacy_qualtrics_and_surveymonkey_layouts() -> None:
    legacy = detect_layout([["V1", "V2", "Q1", ""], ["ResponseID", "ResponseSet", "How likely?", ""], ["R_1", "x", "9", ""]])
    assert legacy.name == QUALTRICS_LEGACY and legacy.top_rows == 2
    assert legacy.columns[:3] == ["ResponseID", "ResponseSet", "Q1"]
    table = open_table(FileInput.from_path(FIX / "surveymonkey_like.csv"))
    assert table.layout.name == SURVEYMONKEY and table.layout.top_rows == 2
    assert "Please rate each step (perceived) - Settle the customer in" in table.columns


def test_title_row_above_header_is_skipped() -> None:
    table = open_table(FileInput("t.csv", b"Survey export May\nid,site,nps\n1,S1,9\n"))
    assert table.columns == ["id", "site", "nps"]
    assert table.sample().index.tolist() == [3]


def test_duplicate_and_blank_header_names_are_made_unique() -> None:
    table = open_table(FileInput("t.csv", b"a,a,,b\n1,2,3,4\n"))
    assert table.columns == ["a", "a (2)", "column_3", "b"]


def test_multiline_quoted_cells_count_as_one_row() -> None:
    table = open_table(FileInput("t.csv", b'id,comment\n1,"line one\nline two"\n2,ok\n'))
    frame = table.sample()
    assert frame.index.tolist() == [2, 3]
    assert frame.loc[2, "comment"] == "line one\nline two"


def test_size_limit_is_enforced_with_a_clear_message() -> None:
    with pytest.raises(UploadError) as err:
        open_table(FileInput("t.csv", b"a,b\n" + b"1,2\n" * 1000), limit=Limits(max_bytes=1024))
    assert "uploads are limited to 0 MB" in str(err.value) or "limited to" in str(err.value)


def test_row_limit_is_enforced_while_reading() -> None:
    table = open_table(FileInput("t.csv", b"a,b\n" + b"1,2\n" * 50), limit=Limits(max_rows=10))
    with pytest.raises(UploadError) as err:
        list(table.frames(5))
    assert "more than 10 data rows" in str(err.value)


def test_env_limit_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from cxdash.imports.reading import limits

    monkeypatch.setenv("CXDASH_MAX_UPLOAD_MB", "3")
    assert limits(100).max_bytes == 3 * 1024 * 1024


def test_detect_encoding_refuses_mixed_and_cut_text() -> None:
    mixed = "a,b\n1,服务很好\n".encode() + "2,等待太长\n".encode("gbk")
    with pytest.raises(UploadError, match="Line 3"):
        detect_encoding(mixed, complete=True)
    # A character cut at the very end is not an encoding question: the file is UTF-8 and the reader reports its
    # last record as truncated (tests/test_import_bad_files.py).
    cut = "a,b\n1,服务很好\n".encode()[:-2]
    assert detect_encoding(cut, complete=True) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + b"a,b\n", complete=True) == "utf-8-sig"


def _workbook(path: Path) -> None:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    data = book.create_sheet("Data")
    data.append(["response_id", "site", "visit_date", "REC01_P", "REC01_E", "total"])
    data.append(["X1", "S01", "2026-03-02", 6, 5, "=D2+E2"])
    data.append(["X2", None, "2026-03-03", 4, 6, "=D3+E3"])
    data.merge_cells("B2:B3")
    book.save(path)


def test_xlsx_sheet_choice_merged_cells_and_formulas(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _workbook(path)
    with pytest.raises(UploadError) as err:
        open_table(FileInput.from_path(path))
    assert "Notes" in str(err.value) and "Data" in str(err.value)
    with pytest.raises(UploadError) as err:
        open_table(FileInput.from_path(path), sheet="Data")
    assert "formulas without a saved result" in str(err.value) and "F2" in str(err.value)
    book = openpyxl.load_workbook(path)
    book["Data"]["F2"] = 11
    book["Data"]["F3"] = 10
    book.save(path)
    table = open_table(FileInput.from_path(path), sheet="Data")
    assert table.sheets == ["Notes", "Data"]
    frame = table.sample()
    assert frame["site"].tolist() == ["S01", "S01"]  # the merged cell fills both rows
    assert frame.index.tolist() == [2, 3]


def test_not_text_and_old_xls_are_refused() -> None:
    with pytest.raises(UploadError, match="binary"):
        open_table(FileInput("g.csv", bytes(range(256)) * 20))
    with pytest.raises(UploadError, match="old Excel"):
        open_table(FileInput("o.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100))


def test_western_single_byte_text_is_not_mistaken_for_chinese() -> None:
    table = open_table(FileInput("l.csv", "name,comment\nJosé,très bien été\nRenée,café crème\n".encode("cp1252")))
    assert table.encoding == "cp1252"
    assert read_all(table)[0][2] == "très bien été"
