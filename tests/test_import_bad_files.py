"""Every file gets a message, not a crash, a memory flood or a half-read (#19.6, #19.8, #21.6-#21.11).

Each case goes through the command line (``python -m cxdash import``) on SQLite and PostgreSQL and checks the
message a person reads (stderr, the JSON summary's warnings, or the error report), the exit code (2: the file was
refused, 1: nothing loaded, 0: rows loaded) and the row count of every table: unchanged when the file is refused,
otherwise changed by exactly the rows that were good. Files are generated here.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from sqlalchemy import Engine, select

from cxdash.cli import main
from cxdash.imports.encodings import trailing_cut
from cxdash.imports.parsing import parse_numbers
from cxdash.imports.reading import NA_VALUES, FileInput, open_table
from cxdash.schema import customer, survey_response
from tests.support.imports import counts, load, rows
from tests.world import IMPORTS

ROOT = Path(__file__).resolve().parents[1]
HEAD = "response_id,site,visit_date,REC01_P,REC01_E,nps,comment\n"
ROW = "r{i},S01,2026-11-02,5,6,{nps},fine\n"


def ok(i: int, nps: int = 9) -> str:
    return ROW.format(i=i, nps=nps)


def _chart_only() -> bytes:
    book = openpyxl.Workbook()
    data = book.active
    for row in [["a", "b"], [1, 2], [3, 4]]:
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    sheet = book.create_chartsheet("Chart")
    sheet.add_chart(chart)
    book.remove(data)  # the chart keeps nothing to show, which is what such a workbook is
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _with_chart() -> bytes:
    book = openpyxl.Workbook()
    data = book.active
    data.title = "Data"
    for row in [["response_id", "site", "visit_date", "nps"], ["x1", "S01", "2026-11-02", 9]]:
        data.append(row)
    chart = BarChart()
    chart.add_data(Reference(data, min_col=4, min_row=1, max_row=2), titles_from_data=True)
    book.create_chartsheet("Chart").add_chart(chart)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _dates_xlsx() -> bytes:
    from datetime import datetime

    book = openpyxl.Workbook()
    for row in [["response_id", "site", "visit_date", "nps"], ["x1", "S01", datetime(9999, 12, 31), 9],
                ["x2", "S01", -1, 9], ["x3", "S01", datetime(2026, 11, 2), 0]]:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@dataclass
class Case:
    """A bad file, how it is imported, what a person must read, the exit code and the rows it may load."""

    name: str
    content: bytes
    expect: str
    code: int
    loaded: int = 0  # survey responses (or customers) the good rows add
    kind: str = "surveys"
    file_name: str = "bad.csv"
    args: list[str] = field(default_factory=list)


CASES = [
    # #19.6 truncated files: the cut record is never loaded, the rest is
    Case("last record cut inside its scores", (HEAD + ok(1) + "r2,S01,2026-11-02,5").encode(),
         "the file looks truncated at line 3", 0, loaded=1),
    Case("unterminated quote at the end", (HEAD + ok(1) + 'r2,S01,2026-11-02,5,6,9,"the comment never\nends').encode(),
         "the file looks truncated at line 3", 0, loaded=1),
    Case("multi-byte character cut at the end", (HEAD + ok(1) + "r2,S01,2026-11-02,5,6,9,服务很好").encode()[:-1],
         "the file looks truncated at line 3", 0, loaded=1),
    Case("GB18030 character cut at the end", ("序号,门店,到店日期,推荐意愿,评论\n1,S01,2026-11-02,9,服务很好\n"
         "2,S01,2026-11-02,8,等待时间太长").encode("gb18030")[:-1], "the file looks truncated at line 3", 0, loaded=1),
    Case("stray quote swallowing the rows after it", (HEAD + ok(1) + 'r2,S01,2026-11-02,5,6,9,"oops\n'
         + "".join(ok(i) for i in range(3, 40))).encode(), "A quote opened near line 3 is never closed", 2),
    Case("only record truncated", (HEAD + "r1,S01,2026-11-02,5").encode(), "the file looks truncated at line 2", 1),
    # #21.7 every row's field count against the header
    Case("first data row with an unquoted comma", (HEAD + "r1,S01,2026-11-02,5,6,9,Great service, thanks a lot\n"
         + ok(2)).encode(), "this row has more fields than the header (8 / 7)", 0, loaded=1),
    Case("third row with an unquoted comma", (HEAD + ok(1) + ok(2) + "r3,S01,2026-11-02,5,6,9,Great, thanks\n")
         .encode(), "this row has more fields than the header (8 / 7)", 0, loaded=2),
    Case("short row in the middle", (HEAD + "r1,S01,2026-11-02,5\n" + ok(2)).encode(),
         "this row has fewer fields than the header (4 / 7)", 0, loaded=1),
    Case("ragged rows only", (HEAD + "r1,S01,2026-11-02,5,6,9,a,b\n").encode(),
         "this row has more fields than the header (8 / 7)", 1),
    Case("legacy trailing comma on every line", (HEAD.replace("\n", ",\n") + ok(1).replace("\n", ",\n")
         + ok(2).replace("\n", ",\n")).encode(), '"rows_rejected": 0', 0, loaded=2),
    # #21.8 one impossible date rejects its row only
    Case("out-of-range dates", (HEAD + ok(1) + "".join(f"d{i},S01,{d},5,6,9,x\n" for i, d in enumerate(
         ["9999-12-31", "3026-11-20", "0001-01-01", "-1", "2026-02-30"]))).encode(), "impossible date", 0, loaded=1),
    Case("out-of-range dates in a workbook", _dates_xlsx(), "impossible date", 0, loaded=1, file_name="d.xlsx"),
    # #21.9 text longer than its column (segment is 64 characters in the schema)
    Case("text longer than its column", ("response_id,site,visit_date,nps,segment\nr1,S01,2026-11-02,9,"
         + "S" * 65 + "\nr2,S01,2026-11-02,8,fleet\n").encode(), "text too long (at most 64 characters)", 0, loaded=1),
    Case("ticket category longer than its column", ("id,created,category\nT1,2026-11-02 10:00," + "c" * 101
         + "\nT2,2026-11-02 10:00,brakes\n").encode(), "text too long (at most 100 characters)", 0, loaded=1, kind="tickets"),
    # #21.10 tracebacks on ordinary input
    Case("CR-only line endings", (HEAD + ok(1) + ok(2)).replace("\n", "\r").encode(), '"rows_rejected": 0', 0,
         loaded=2),
    Case("a field over 131,072 characters", (HEAD + "r1,S01,2026-11-02,5,6,9," + "x" * 140_000 + "\n" + ok(2))
         .encode(), "text too long (at most 20,000 characters)", 0, loaded=2),  # the comment alone is rejected
    Case("workbook with only a chart sheet", _chart_only(), "only chart sheets (Chart)", 2, file_name="c.xlsx"),
    Case("chart sheet chosen", _with_chart(), 'The sheet "Chart" is a chart', 2, file_name="c.xlsx",
         args=["--sheet", "Chart"]),
    Case("two-character delimiter", (HEAD + ok(1)).encode(), "';;' cannot be a delimiter", 2,
         args=["--delimiter", ";;"]),
    Case("rot13 as the encoding", (HEAD + ok(1)).encode(), '"rot13" is not an encoding cxdash knows', 2,
         args=["--encoding", "rot13"]),
    Case("no such encoding", (HEAD + ok(1)).encode(), '"klingon" is not an encoding cxdash knows', 2,
         args=["--encoding", "klingon"]),
    # #21.11
    Case("repeated header names", (HEAD.replace("comment\n", "comment,nps\n") + ok(1).replace("\n", ",3\n"))
         .encode(), 'The header repeats "nps" (columns 6, 8); the later copies are called "nps (2)"', 0, loaded=1),
    Case("forced wrong encoding", (HEAD + "r1,S01,2026-11-02,5,6,9,très bien café crème\n"
         "r2,S01,2026-11-02,5,6,8,服务很好，等待时间太长\n").encode(), "look garbled", 0, loaded=2,
         args=["--encoding", "latin-1"]),
    Case("churn date without churn, churn before first seen", (b"customer id,first seen,churned,churn date\n"
         b"C1,2026-01-05,0,2026-03-01\nC2,2026-05-01,1,2026-03-01\nC3,2026-01-05,1,2026-06-01\n"),
         "a churn date, but churned is", 0, loaded=1, kind="customers"),
    Case("churn before first seen", (b"customer id,first seen,churned,churn date\nC2,2026-05-01,1,2026-03-01\n")
, "the churn date is before the first-seen date (2026-05-01)", 1, kind="customers"),
]


def cli(engine: Engine, capsys: pytest.CaptureFixture[str], tmp_path: Path, case: Case) -> tuple[int, str]:
    """Import ``case`` through the command line; return the exit code and everything a person would read."""
    path = tmp_path / case.file_name
    path.write_bytes(case.content)
    report = tmp_path / "errors.csv"
    args = ["--database-url", engine.url.render_as_string(hide_password=False), "import", case.kind, str(path),
            "--quiet", "--error-report", str(report), *case.args]
    code = main(args)
    out = capsys.readouterr()
    if code == 2 and '"status": "scale_question"' in out.out:
        # These files are about reading, not scales: their few NPS answers (9) ask 0-10 or the 1-11 coding.
        # Answer 0-10, as a person would, and read on.
        asked = [d["column"] for d in json.loads(out.out)["scales"] if d["scale"] is None]
        code = main([*args, *[f for c in asked for f in ("--scale", f"{c}=0-10")]])
        out = capsys.readouterr()
    text = out.out + out.err
    if out.out.strip().startswith("{"):
        text += "\n".join(json.loads(out.out).get("warnings", []))
    if report.exists():
        text += report.read_text(encoding="utf-8-sig")
    return code, text


# One case of each kind of damage stays in the fast lane (a cut record, a cut character, a ragged row, impossible
# values, a refused workbook, a refused customer row); the rest, one command line each, run in the full suite.
FAST_CASES = {"last record cut inside its scores", "GB18030 character cut at the end", "short row in the middle",
              "out-of-range dates", "workbook with only a chart sheet", "churn before first seen"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=() if c.name in FAST_CASES else pytest.mark.slow)
                                  for c in CASES])
def test_bad_file_gets_a_message_and_loads_only_good_rows(
    engine: Engine, case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    before = counts(engine)
    code, text = cli(engine, capsys, tmp_path, case)
    assert "Traceback" not in text
    assert case.expect in text, text[:3000]
    assert code == case.code, text[:3000]
    after = counts(engine)
    table = {"customers": "customer", "tickets": "ticket"}.get(case.kind, "survey_response")
    assert after[table] - before[table] == case.loaded
    if case.code != 0:
        assert after == before


def test_the_fast_cases_are_cases() -> None:
    assert {c.name for c in CASES} >= FAST_CASES, "a renamed case would leave the fast lane without it"


def test_first_row_comma_is_not_stored_cut(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    content = (HEAD + 'r1,S01,2026-11-02,5,6,9,"Great service, thanks a lot"\n'
               + "r2,S01,2026-11-02,5,6,9,Great service, thanks a lot\n").encode()
    code, text = cli(engine, capsys, tmp_path, Case("quoted", content, "", 0))
    assert code == 0 and "this row has more fields than the header (8 / 7)" in text
    assert rows(engine, select(survey_response.c.comment)) == [("Great service, thanks a lot",)]


def test_thousands_separator_is_a_thousand_never_an_ambiguous_guess() -> None:
    values, bad = parse_numbers(pd.Series(["1,000", "12,500.5", "4,5", "3"], dtype="str"))
    # The column writes a decimal comma (4,5): "1,000" could be either, so it is refused, not guessed.
    assert values.isna()[0] and bad[0] and values[1] == 12500.5 and values[2] == 4.5
    values, bad = parse_numbers(pd.Series(["1,000", "2,000", "3"], dtype="str"))
    assert values.tolist() == [1000.0, 2000.0, 3.0] and not bad.any()


def test_thousands_separator_loads_as_a_thousand(engine: Engine) -> None:
    IMPORTS.org(engine)
    result = load(engine, "response_id,site,visit_date,nps,contacts needed\nr1,S01,2026-11-02,9,\"1,000\"\n"
                  "r2,S01,2026-11-02,8,2\n")
    assert result.rows_valid == 2, result.errors
    assert sorted(rows(engine, select(survey_response.c.contacts_needed))) == [(2,), (1000,)]


def test_bom_and_zero_width_characters_are_stripped_from_ids(engine: Engine) -> None:
    IMPORTS.org(engine)
    first = load(engine, "customer id,segment\n\ufeffC1,fleet\nC\u200b2,retail\n", kind="customers")
    assert first.inserted == 2
    again = load(engine, "customer id,segment\nC1,fleet\nC2,retail\n", kind="customers")
    assert (again.inserted, again.skipped) == (0, 2)
    assert sorted(rows(engine, select(customer.c.external_id))) == [("C1",), ("C2",)]


def test_every_big5_character_round_trips() -> None:
    chars = []
    for lead in range(0x81, 0xFF):
        for trail in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            try:
                ch = bytes([lead, trail]).decode("big5")
            except UnicodeDecodeError:
                continue
            if ch.encode("big5") == bytes([lead, trail]):
                chars.append(ch)
    assert "／" in chars and "＼" in chars and len(chars) > 13000
    # One character a cell (a "," or quote never appears: every Big5 character here is two bytes).
    body = "\n".join(f"{i},{ch}" for i, ch in enumerate(chars))
    data = ("編號,文字\n" + body + "\n").encode("big5")
    table = open_table(FileInput("big5.csv", data), encoding="big5")
    frame = pd.concat(table.frames(5000, text_columns={"文字"}))
    read = frame["文字"].astype(object).where(frame["文字"].notna(), None).tolist()
    # "—" is one of the words that mean "no answer" (NA_VALUES); every other character comes back as written.
    assert read == [None if ch in NA_VALUES else ch for ch in chars]
    assert [c for c in chars if c in NA_VALUES] == ["—"]


def test_microsoft_big5_extensions_still_read() -> None:
    data = "編號,文字\n1,售價€100／件\n2,路徑＼目錄\n".encode("cp950")
    frame = next(open_table(FileInput("b.csv", data), encoding="cp950").frames(10, text_columns={"文字"}))
    assert frame["文字"].tolist() == ["售價€100／件", "路徑＼目錄"]


def test_trailing_cut_counts_the_bytes_of_the_unfinished_character() -> None:
    for encoding, text in (("utf-8", "a,服"), ("gb18030", "a,服"), ("big5", "a,服")):
        data = text.encode(encoding)[:-1]
        assert trailing_cut(io.BytesIO(data), len(data), encoding) == len("服".encode(encoding)) - 1, encoding
    assert trailing_cut(io.BytesIO(b"a,b\n"), 4, "utf-8") == 0
    assert trailing_cut(io.BytesIO(codecs.BOM_UTF16_LE + b"a\x00b"), 5, "utf-16") == 1


# -- the zip bomb: a few hundred KB that unpack to millions of cells ------------------------------------------------

def _bomb(path: Path, rows: int, cols: int, declare: bool) -> Path:
    """An XLSX whose one sheet holds ``rows`` x ``cols`` numeric cells, written straight as XML (deflated)."""
    book = openpyxl.Workbook()
    book.active.append(["x"])
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item, src.read(item))
        with out.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
                        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if declare:
                sheet.write(f'<dimension ref="A1:{openpyxl.utils.get_column_letter(cols)}{rows}"/>'.encode())
            sheet.write(b"<sheetData>")
            cells = b"<c><v>1</v></c>" * cols
            for r in range(1, rows + 1):
                sheet.write(b'<row r="%d">' % r + cells + b"</row>")
            sheet.write(b"</sheetData></worksheet>")
    return path


PEAK = """
import resource, sys
from cxdash.cli import main
code = main(sys.argv[1:])
print("PEAK", code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, flush=True)
"""


def _peak_mb(engine: Engine, path: Path, cwd: Path) -> tuple[int, int, str]:
    """Run the CLI import of ``path`` in a fresh process; return its exit code, peak RSS (MB) and stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CXDASH_MAX_XLSX_CELLS", None)
    done = subprocess.run(
        [sys.executable, "-c", PEAK, "--database-url", engine.url.render_as_string(hide_password=False),
         "import", "surveys", str(path), "--quiet"],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=600, check=False,
    )
    peak = [line.split() for line in done.stdout.splitlines() if line.startswith("PEAK")]
    assert peak, done.stderr[-2000:]
    return int(peak[0][1]), int(peak[0][2]), done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("declare", [True, False], ids=["declared", "undeclared"])
def test_xlsx_zip_bomb_is_refused_within_200_mb(sqlite_engine: Engine, tmp_path: Path, declare: bool) -> None:
    path = _bomb(tmp_path / "bomb.xlsx", 40_000, 100, declare)  # 4 M cells
    assert path.stat().st_size < 1_000_000
    small = tmp_path / "small.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["x"])
    book.save(small)
    before = counts(sqlite_engine)
    # The CLI itself (pandas, SQLAlchemy, openpyxl, the migrations) peaks at about 210 MB on a one-cell workbook
    # it refuses the same way (exit 2): what the bomb may add on top of that is the 200 MB.
    base_code, base_mb, _ = _peak_mb(sqlite_engine, small, tmp_path)
    code, peak_mb, stderr = _peak_mb(sqlite_engine, path, tmp_path)
    assert base_code == 2 and code == 2
    assert "cxdash reads at most 2,000,000 cells" in stderr
    assert peak_mb - base_mb < 200, (peak_mb, base_mb)  # reading this bomb took 1.67 GB before
    assert counts(sqlite_engine) == before


def test_xlsx_summary_warns_of_repeated_headers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row in [["id", "score", "score"], ["a", 1, 2]]:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    table = open_table(FileInput("r.xlsx", buf.getvalue()))
    assert table.columns == ["id", "score", "score (2)"]
    assert table.warnings == [("imports.warn.repeated_header", {"name": "score", "positions": "2, 3",
                                                                 "renamed": '"score (2)"'})]


def test_cli_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "1 = nothing loaded" in text and "2 = bad input" in text


@pytest.mark.apptest
def test_upload_page_shows_file_problems_as_messages(sqlite_engine: Engine) -> None:
    """The page never shows "This view could not be shown" for a file: each problem is a message or a warning."""
    from tests.support.app import page_app

    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py")
    at.run()
    uploads = [
        ("c.xlsx", _chart_only(), "error", "only chart sheets"),
        ("cr.csv", (HEAD + ok(1) + ok(2)).replace("\n", "\r").encode(), None, ""),
        ("long.csv", (HEAD + "r1,S01,2026-11-02,5,6,9," + "x" * 140_000 + "\n" + ok(2)).encode(), None, ""),
        ("dup.csv", (HEAD.replace("comment\n", "comment,nps\n") + ok(1).replace("\n", ",3\n")).encode(), "warning",
         'The header repeats "nps"'),
        ("cut.csv", (HEAD + ok(1) + "r2,S01,2026-11-02,5").encode(), None, ""),
    ]
    for name, data, where, text in uploads:
        at.file_uploader(key="imp_file").set_value((name, data, "text/csv")).run()
        assert not at.exception, (name, [e.value for e in at.exception])
        if where:
            assert any(text in e.value for e in getattr(at, where)), (name, [e.value for e in getattr(at, where)])
    # Its one NPS answer (9) asks 0-10 or the 1-11 coding: answer 0-10, as the other tests of reading do.
    at.radio(key=next(r.key for r in at.radio if r.key.startswith("imp_scale_q_ltr_"))).set_value("0-10").run()
    at.button(key="imp_check").click().run()  # the truncated file: its preview lists the cut record
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(df.value.to_dict()) for df in at.dataframe)
    assert "the file looks truncated at line 3" in shown, shown[:2000]
