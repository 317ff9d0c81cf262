"""The bad-input corpus: every bad file gets a human-readable message and leaves every table unchanged.

Files are generated here (small and deterministic); the million-row file is written to a temp file on the fly.
Each case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from sqlalchemy import Engine

from cxdash.imports.errors import UploadError, reason_text
from cxdash.imports.mapping import Mapping
from cxdash.imports.pipeline import ImportOptions, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.scales import choose, open_questions
from tests.support.imports import NOW, counts
from tests.world import IMPORTS

HEAD = "response_id,site,visit_date,REC01_P,REC01_E,nps,comment\n"
OK_ROW = "r1,S01,2026-11-02,5,6,0,fine\n"  # a 0 pins NPS to the 0-10 scale


def xlsx_bytes(build: Callable[[openpyxl.Workbook], None]) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _sheets(book: openpyxl.Workbook) -> None:
    book.active.title = "Cover"
    data = book.create_sheet("Data")
    for row in [["response_id", "site", "visit_date", "nps"], ["x1", "S01", "2026-11-02", 9]]:
        data.append(row)


def _formulas(book: openpyxl.Workbook) -> None:
    ws = book.active
    for row in [["response_id", "site", "visit_date", "REC01_P", "REC01_E", "nps"],
                ["x1", "S01", "2026-11-02", 5, 6, "=D2*2"]]:
        ws.append(row)


def _merged(book: openpyxl.Workbook) -> None:
    ws = book.active
    for row in [["response_id", "site", "visit_date", "nps"], ["x1", "Nowhere", "2026-11-02", 9],
                ["x2", None, "2026-11-03", 8]]:
        ws.append(row)
    ws.merge_cells("B2:B3")


def _broken_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


@dataclass
class Case:
    """One bad upload: its content, how it is imported, and words the message must contain."""

    name: str
    content: bytes | Callable[[Path], Path]
    expect: str
    kind: str = "surveys"
    file_name: str = "bad.csv"
    options: dict = field(default_factory=dict)
    prepare_args: dict = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    mapping: Mapping | None = None


def _million_rows(tmp: Path) -> Path:
    path = tmp / "million.csv"
    ids = np.char.add("m", np.arange(1_000_000).astype(str))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("response_id,site,visit_date,nps\n")
        for lo in range(0, 1_000_000, 250_000):
            fh.write("".join(f"{i},S01,2026-11-02,9\n" for i in ids[lo:lo + 250_000]))
    return path


rng = random.Random(3)
GARBAGE = bytes(rng.randrange(256) for _ in range(4000))
CASES = [
    Case("empty file", b"", "The file is empty"),
    Case("blank lines only", b"\n\n   \n", "The file is empty"),
    Case("header only", HEAD.encode(), "header but no data rows"),
    Case("header and blank lines", (HEAD + "\n,,,,,,\n\n").encode(), "header but no data rows"),
    Case("binary garbage renamed .csv", GARBAGE, "not a text table"),
    Case("PNG renamed .csv", b"\x89PNG\r\n\x1a\n" + GARBAGE, "not a text table"),
    Case("zip that is not a workbook", _broken_zip(), "cannot be opened", file_name="bad.xlsx"),
    Case("old .xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls", file_name="bad.xls"),
    Case("XLSX with several sheets, data not on the first", xlsx_bytes(_sheets), "Cover, Data", file_name="b.xlsx"),
    Case("XLSX formulas without saved results", xlsx_bytes(_formulas), "formulas without a saved result",
         file_name="b.xlsx"),
    Case("XLSX merged cells naming an unknown site", xlsx_bytes(_merged), "unknown site", file_name="b.xlsx"),
    Case("wrong delimiter chosen", (HEAD + OK_ROW).replace(",", ";").encode(), "Choose ';' as the delimiter",
         prepare_args={"delimiter": ","}),
    # A row with more fields than the header is rejected (its values could sit in the wrong columns); the other
    # rows would load, so all or nothing keeps this case a refusal.
    Case("ragged rows", (HEAD + OK_ROW + "r2,S01,2026-11-02,5,6,9,a,b,c,d\n").encode(),
         "this row has more fields than the header (10 / 7)", options={"all_or_nothing": True}),
    Case("mixed encodings", (HEAD + "r1,S01,2026-11-02,5,6,9,服务很好\n").encode() + "r2,S01,2026-11-02,5,6,9,等待太长\n"
         .encode("gbk"), "mixes text encodings"),
    Case("multi-byte character cut at the end", (HEAD + "r1,S01,2026-11-02,5,6,9,服务很好").encode()[:-1],
         "the file looks truncated at line 2"),
    Case("GB18030 file with a cut character inside", ("序号,门店,到店日期,推荐意愿,评论\n1,S01,2026-11-02,9,服务很好\n"
         "2,S01,2026-11-02,8,").encode("gb18030") + b"\xb7\n3,S01,2026-11-02,7," + "等待时间太长了\n".encode("gb18030"),
         "cannot be read as gb18030"),
    Case("UTF-16 cut in the middle of a character", (HEAD + OK_ROW).encode("utf-16")[:-1],
         "the file looks truncated at line 2"),
    Case("NUL bytes", (HEAD + "r1,S01,2026-11-02,5,6,9,fi\x00ne\n").encode(), "NUL (zero) bytes, first on line 2"),
    # A bad answer rejects only its cell (the rest of the row loads); all or nothing refuses the file for it.
    Case("11 on a 0-10 scale", (HEAD + OK_ROW.replace("r1", "r0") + "r1,S01,2026-11-02,5,6,11,x\n").encode(),
         "outside the scale 0-10", options={"all_or_nothing": True}),
    Case("negative score", (HEAD + "r1,S01,2026-11-02,-3,6,9,x\n").encode(), "outside the scale", options={"all_or_nothing": True}),
    Case("decimal where whole numbers are declared", (HEAD + "r1,S01,2026-11-02,5,6,9,x\nr2,S01,2026-11-02,4.5,6,8,y\n"
         "r3,S01,2026-11-02,6,6,7,z\n").encode(), "a decimal where whole numbers are expected",
         options={"all_or_nothing": True}),
    Case("text where numbers belong", (HEAD + "r1,S01,2026-11-02,good,6,9,x\n").encode(), "not a number", options={"all_or_nothing": True}),
    Case("impossible date", (HEAD + "r1,S01,2026-02-30,5,6,9,x\n").encode(), "impossible date"),
    Case("future date", (HEAD + "r1,S01,2031-01-01,5,6,9,x\n").encode(), "date in the future"),
    Case("unreadable date", (HEAD + "r1,S01,next tuesday,5,6,9,x\n").encode(), "not a date cxdash can read"),
    Case("duplicate ids", (HEAD + OK_ROW + OK_ROW).encode(), "duplicate id in the file (first on row 2)",
         options={"all_or_nothing": True}),
    Case("one million rows over the row limit", _million_rows, "more than 200,000 data rows",
         env={"CXDASH_MAX_IMPORT_ROWS": "200000"}),
    Case("file over the size limit", (HEAD + OK_ROW * 3000).encode(), "uploads are limited to 0 MB",
         env={"CXDASH_MAX_UPLOAD_MB": "0.01"}),
    Case("comment of 100,000 characters", (HEAD + "r1,S01,2026-11-02,5,6,9," + "x" * 100_000 + "\n").encode(),
         "text too long (at most 20,000 characters)", options={"all_or_nothing": True}),
    Case("formula, script and SQL comments (dry run)", (HEAD + 'r1,S01,2026-11-02,5,6,9,"=HYPERLINK(""http://x"")"\n'
         "r2,S01,2026-11-02,5,6,9,<script>alert(1)</script>\nr3,S01,2026-11-02,5,6,9,'; DROP TABLE customer; --\n")
         .encode(), "3 would be loaded as new", options={"dry_run": True}),
    Case("unknown touchpoints in a long file", b"response_id,visit_date,touchpoint,perceived,expected\n"
         b"l1,2026-11-02,Valet parking,5,6\n", "unknown touchpoint"),
    Case("unknown touchpoint columns in a wide file", b"response_id,visit_date,Valet parking_P,Valet parking_E\n"
         b"w1,2026-11-02,5,6\n", "the row has no answers"),
    Case("missing required column", b"Ticket ID,Subject\nT1,Brakes\n", "A required column is missing: Created",
         kind="tickets"),
    Case("unknown site without consent", (HEAD + "r1,Atlantis,2026-11-02,5,6,9,x\n").encode(), "unknown site"),
    Case("unknown checklist item", "检查项,门店,检查日期,得分\nNOPE,S01,2026-11-02,8\n".encode(),
         "unknown checklist item code", kind="inspections"),
    Case("ticket answered before it was created", b"id,created,first response\nT1,2026-11-02 10:00,2026-11-02 09:00\n",
         "earlier than the ticket's creation time", kind="tickets"),
    Case("saved mapping from another source", (HEAD + OK_ROW).encode(), "which this file does not have",
         mapping=Mapping(kind="surveys", columns={"external_id": "Respondent ID", "visit_date": "Date"})),
]


def attempt(engine: Engine, case: Case, tmp_path: Path) -> str:
    """Run one case through the pipeline; return every message a person would read."""
    if callable(case.content):
        file = FileInput.from_path(case.content(tmp_path))
    else:
        file = FileInput(case.file_name, case.content)
    try:
        prepared = prepare(engine, file, case.kind, mapping=case.mapping, **case.prepare_args)
        # A row or two cannot show NPS's scale (no 0, no 11): answer as a user would (0-10); see test_import_scales.
        for question in open_questions(prepared.scales):
            choose(prepared.mapping, question, question.choices[0])
        result = run_import(engine, prepared, ImportOptions(now=NOW, **case.options))
    except UploadError as exc:
        assert exc.message("zh-Hans") and exc.message("zh-Hant")
        return exc.message("en")
    reasons = [reason_text(r, str(d), "en") for r, d in zip(result.errors["reason"], result.errors["detail"], strict=True)]
    return " | ".join([result.message("en"), *reasons])


def test_corpus_has_at_least_thirty_files() -> None:
    assert len(CASES) >= 30


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_explained_and_changes_nothing(
    engine: Engine, case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    IMPORTS.org(engine)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    before = counts(engine)
    message = attempt(engine, case, tmp_path)
    assert case.expect in message, message
    assert counts(engine) == before
