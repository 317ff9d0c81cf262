"""Scale decisions and cell-level rejection together (the two halves of issues #19 and #20).

An answer outside its declared scale is a value left out of a row that still loads (scope "this value only"),
not-applicable answers are counted on every loaded row (also rows that lost another answer), the main-problem
hint for out-of-scale values points at the scale, and ``--map`` happens before ``--scale`` can name the column.
Every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from cxdash.cli import main
from cxdash.imports.errors import error_report_csv
from cxdash.imports.pipeline import ImportOptions, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.scales import declare
from cxdash.schema import survey_response
from tests.support.imports import NOW, rows
from tests.world import IMPORTS

# nps on 0-10, csat on 1-5 with 99 = not applicable; b2 has an NPS of 12 and an n/a CSAT, b4 a CSAT of 7.
FILE = ("response_id,visit_date,nps,csat\n"
        "b1,2026-11-02,9,4\nb2,2026-11-02,12,99\nb3,2026-11-02,0,99\nb4,2026-11-02,10,7\nb5,2026-11-02,6,1\n")


def test_out_of_scale_answers_are_left_out_and_na_counted_on_loaded_rows(engine: Engine) -> None:
    IMPORTS.org(engine)
    prepared = prepare(engine, FileInput("b.csv", FILE.encode()), "surveys")
    declare(prepared.mapping, prepared.scales, ["nps=0-10", "csat=1-5"], ["99"])
    prepared.decide_scales()
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected, result.cells_rejected) == (5, 0, 2)
    # b2 lost its NPS, but its "not applicable" CSAT is still an answer on a loaded row: counted.
    assert result.not_applicable == {"csat": 2}
    got = result.errors[["row", "column", "reason", "detail", "scope"]].to_numpy().tolist()
    assert got == [[3, "nps", "out_of_scale", "0-10", "cell"], [5, "csat", "out_of_scale", "1-5", "cell"]]
    report = error_report_csv(result.errors).decode("utf-8-sig")
    assert report.count("this value only (the rest of the row was loaded)") == 2 and "whole row" not in report
    stored = rows(engine, select(survey_response.c.external_id, survey_response.c.ltr, survey_response.c.csat)
                  .order_by(survey_response.c.external_id))
    assert stored == [("b1", 9, 4), ("b2", None, None), ("b3", 0, None), ("b4", 10, None), ("b5", 6, 1)]


def test_na_on_a_rejected_row_is_not_counted(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = FILE + "b6,2026-02-30,8,99\n"  # an impossible visit date rejects the whole row, its n/a with it
    prepared = prepare(engine, FileInput("b.csv", text.encode()), "surveys")
    declare(prepared.mapping, prepared.scales, ["nps=0-10", "csat=1-5"], ["99"])
    prepared.decide_scales()
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected, result.cells_rejected) == (5, 1, 2)
    assert result.not_applicable == {"csat": 2}


def test_main_problem_for_out_of_scale_values_suggests_the_scale(engine: Engine) -> None:
    IMPORTS.org(engine)
    lines = ["response_id,visit_date,Rating,nps"] + [f"m{i},2026-11-02,{1 + i % 7},9" for i in range(21)]
    prepared = prepare(engine, FileInput("m.csv", ("\n".join(lines) + "\n").encode()), "surveys")
    prepared.mapping.assign("csat", "Rating")
    declare(prepared.mapping, prepared.decide_scales(), ["Rating=1-5", "nps=0-10"], [])
    prepared.decide_scales()
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected, result.cells_rejected) == (21, 0, 6)
    assert result.main_problem("en", cli=True) == (
        "Column Rating caused most rejections: 6 values — outside the scale. Declare the scale the survey used "
        "(--scale \"Rating=LO-HI\") or unmap it (--ignore \"Rating\").")
    assert "Scales and not-applicable codes" in (result.main_problem("en") or "")
    for lang in ("zh-Hans", "zh-Hant"):
        assert "--scale" in (result.main_problem(lang, cli=True) or "")


def test_cli_scale_can_name_a_column_mapped_with_map(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "r.csv"
    path.write_text("response_id,visit_date,nps,Rating\n" + "".join(
        f"r{i},2026-11-02,{i % 11},{1 + i % 5}\n" for i in range(12)), encoding="utf-8")
    url = engine.url.render_as_string(hide_password=False)
    code = main(["--database-url", url, "import", "surveys", str(path), "--map", "Rating=csat",
                 "--scale", "Rating=1-5", "--scale", "nps=0-10", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["inserted"], summary["rows_rejected"], summary["cells_rejected"]) == (12, 0, 0)
    got = rows(engine, select(survey_response.c.csat).where(survey_response.c.external_id == "r9"))
    assert got == [(5,)]


def test_rows_without_answers_blame_the_mapping_not_a_column() -> None:
    """A file whose questions map to nothing: the hint asks for the answers' mapping, not to unmap the first column."""
    import pandas as pd

    from cxdash.imports.errors import row_errors
    from cxdash.imports.pipeline import ImportResult

    rows = pd.Series([2, 3, 4])
    errors = row_errors(rows, "Timestamp", pd.Series(["1/14/2026", "1/15/2026", "1/16/2026"]), "no_answers")
    result = ImportResult("surveys", "forms.csv", "nothing_loaded", errors=errors)
    for lang in ("en", "zh-Hans", "zh-Hant"):
        text = result.main_problem(lang, cli=True)
        assert text is not None and "Timestamp" not in text and "--map" in text and text.startswith("3")
