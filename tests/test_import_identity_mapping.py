"""Real survey files land right or say exactly why (#19, #20).

Row identity without an id column (the whole raw row), identical rows named by row number, re-uploads recognised
by content, mapping suggestions that are not applied when the values do not fit, answers rejected cell by cell,
``--map`` / ``--ignore`` / ``--visit-date`` on the command line, comment headers in three languages, the
language column and free-text comment of a Qualtrics export, and the already-loaded notice. Files are made here,
as CSV and XLSX, wide and long; every database test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from cxdash.cli import main
from cxdash.imports.errors import error_report_csv, reason_text
from cxdash.imports.layouts import detect_layout
from cxdash.imports.mapping import auto_map
from cxdash.imports.pipeline import ImportOptions, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.saved import get_mapping
from cxdash.schema import import_batch, survey_response, touchpoint_score
from tests.support.imports import NOW, answer_usual_scales, load, rows, scalar
from tests.world import IMPORTS

CITIES = ["Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Xi'an", "Nanjing", "Suzhou", "Tianjin"]


def xlsx(text: str) -> bytes:
    """The same table as an XLSX workbook (numbers as numbers, the rest as text)."""
    book = openpyxl.Workbook()
    for line in text.strip().splitlines():
        book.active.append([_cell(v) for v in line.split(",")])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _cell(value: str) -> object:
    try:
        return int(value)
    except ValueError:
        return value or None


def as_file(text: str, fmt: str) -> tuple[bytes, str]:
    return (text.encode("utf-8"), "survey.csv") if fmt == "csv" else (xlsx(text), "survey.xlsx")


def same_answers_file() -> str:
    """30 respondents who share visit date, score and segment and differ only in an unmapped column."""
    lines = ["visit_date,nps,segment,city"]
    lines += [f"2026-11-02,9,retail,{CITIES[i % 10]} {i // 10}" for i in range(30)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_file_without_ids_loads_every_respondent(engine: Engine, fmt: str) -> None:
    IMPORTS.org(engine)
    data, name = as_file(same_answers_file(), fmt)
    result = load(engine, data, name=name)
    assert (result.status, result.rows_read, result.inserted, result.rows_rejected) == ("loaded", 30, 30, 0)
    assert len(result.errors) == 0
    stored = rows(engine, select(survey_response.c.ltr, survey_response.c.segment, survey_response.c.visit_date,
                                 survey_response.c.external_id))
    assert len(stored) == 30 and len({r[3] for r in stored}) == 30
    assert {(r[0], r[1], str(r[2])[:10]) for r in stored} == {(9, "retail", "2026-11-02")}
    # The same file again is recognised by its content: every row skipped, no empty batch.
    again = load(engine, data, name=name)
    assert (again.status, again.inserted, again.skipped, again.batch_id) == ("nothing_new", 0, 30, None)
    assert scalar(engine, select(func.count()).select_from(survey_response)) == 30
    assert scalar(engine, select(func.count()).select_from(import_batch)) == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_identical_rows_are_reported_by_row_number_never_by_hash(engine: Engine, fmt: str) -> None:
    IMPORTS.org(engine)
    text = "visit_date,nps,segment,city\n2026-11-02,9,retail,Wuhan\n2026-11-02,9,retail,Xi'an\n2026-11-02,9,retail,Wuhan\n"
    data, name = as_file(text, fmt)
    result = load(engine, data, name=name)
    assert (result.inserted, result.rows_rejected) == (2, 1)
    errors = result.errors[["row", "column", "value", "reason", "detail", "scope"]].to_numpy().tolist()
    assert errors == [[4, "", "", "identical_row", "2", "row"]]
    report = error_report_csv(result.errors).decode("utf-8-sig")
    assert reason_text("identical_row", "2") in report and "identical to row 2" in report
    assert not any(v.startswith("h") and len(v) == 17 for v in report.replace("\n", ",").split(","))


def test_ids_come_from_every_column_not_only_the_mapped_ones(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = "visit_date,nps,note\n2026-11-02,9,a\n2026-11-02,9,b\n"
    prepared = prepare(engine, FileInput("n.csv", text.encode()), "surveys")
    prepared.mapping.unmap("note")
    assert "note" not in prepared.mapping.used_columns() and prepared.mapping.identified_by_content()
    answer_usual_scales(prepared)  # two NPS of 9 fit several scales: 0-10, as a user would answer
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected) == (2, 0)


def test_text_satisfaction_column_is_suggested_not_applied(engine: Engine) -> None:
    IMPORTS.org(engine)
    lines = ["response_id,visit_date,satisfaction,nps"]
    lines += [f"s{i},2026-11-0{1 + i % 5},{'satisfied' if i % 3 else 'neutral or dissatisfied'},{i % 11}"
              for i in range(40)]
    prepared = prepare(engine, FileInput("airline.csv", ("\n".join(lines) + "\n").encode()), "surveys")
    assert "csat" not in prepared.mapping.columns and prepared.mapping.columns["ltr"] == "nps"
    assert [(p.field, p.column, p.reason, p.applied) for p in prepared.proposals] == [
        ("csat", "satisfaction", "not_numbers", False)]
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected, result.cells_rejected) == (40, 0, 0)
    stored = dict(rows(engine, select(survey_response.c.external_id, survey_response.c.ltr)))
    assert stored["s7"] == 7 and stored["s10"] == 10
    assert scalar(engine, select(func.count()).where(survey_response.c.csat.isnot(None))) == 0


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_bad_optional_answer_rejects_only_its_cell(engine: Engine, fmt: str) -> None:
    IMPORTS.org(engine)
    text = ("response_id,visit_date,REC01_P,REC01_E,nps,csat\n"
            "c1,2026-11-02,6,5,9,4\nc2,2026-11-02,6,5,lots,5\nc3,2026-11-02,x,5,7,3\nc4,2026-02-30,6,5,8,2\n")
    data, name = as_file(text, fmt)
    result = load(engine, data, name=name)
    assert (result.inserted, result.rows_rejected, result.cells_rejected) == (3, 1, 2)
    got = result.errors[["row", "column", "reason", "scope"]].to_numpy().tolist()
    assert got == [[3, "nps", "not_a_number", "cell"], [4, "REC01_P", "not_a_number", "cell"],
                   [5, "visit_date", "impossible_date", "row"]]  # a required value still rejects the row
    stored = {r[0]: r[1:] for r in rows(engine, select(survey_response.c.external_id, survey_response.c.ltr,
                                                        survey_response.c.csat))}
    assert stored == {"c1": (9, 4), "c2": (None, 5), "c3": (7, 3)}
    c3 = scalar(engine, select(survey_response.c.id).where(survey_response.c.external_id == "c3"))
    assert rows(engine, select(touchpoint_score.c.p, touchpoint_score.c.e)
                .where(touchpoint_score.c.response_id == c3)) == [(None, 5)]
    report = error_report_csv(result.errors).decode("utf-8-sig")
    assert "this value only (the rest of the row was loaded)" in report and "whole row" in report
    assert "2 answers that did not fit their field were left out" in result.message("en")


def test_main_problem_names_the_column_and_the_fix(engine: Engine) -> None:
    IMPORTS.org(engine)
    lines = ["response_id,visit_date,Rating,nps"] + [f"m{i},2026-11-02,{'good' if i % 4 else 4},9" for i in range(20)]
    prepared = prepare(engine, FileInput("m.csv", ("\n".join(lines) + "\n").encode()), "surveys")
    prepared.mapping.assign("csat", "Rating")
    answer_usual_scales(prepared)  # NPS 9 and CSAT 4 fit several scales: the usual ones
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.cells_rejected) == (20, 15)
    assert result.main_problem("en", cli=True) == (
        "Column Rating caused most rejections: 15 values — not a number. Unmap it or map it to another field "
        "(--ignore \"Rating\" or --map \"Rating=FIELD\").")
    assert "Rating" in result.main_problem("zh-Hans") and "Rating" in result.main_problem("zh-Hant")


def cli(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["--database-url", engine.url.render_as_string(hide_password=False), "import", "surveys", *args,
                 "--quiet"])
    captured = capsys.readouterr()
    out = captured.out
    return code, (json.loads(out) if out.strip().startswith("{") else {}), captured.err


def test_cli_map_and_ignore(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "s.csv"
    path.write_text("response_id,visit_date,Rating,nps,satisfaction\n"
                    "k1,2026-11-02,4,9,satisfied\nk2,2026-11-03,2,3,dissatisfied\n", encoding="utf-8")
    report = tmp_path / "e.csv"
    code, summary, err = cli(engine, capsys, str(path), "--map", "Rating=csat", "--ignore", "nps",
                             "--error-report", str(report))
    assert code == 0 and summary["inserted"] == 2
    assert summary["columns"]["csat"] == "Rating" and "ltr" not in summary["columns"]
    assert rows(engine, select(survey_response.c.external_id, survey_response.c.csat, survey_response.c.ltr)
                .order_by(survey_response.c.external_id)) == [("k1", 4, None), ("k2", 2, None)]
    assert "--map \"satisfaction=csat\"" not in err  # csat was chosen: the suggestion is moot
    # Mistakes are refused with the file's columns / the kind's fields named, and nothing changes.
    code, _, err = cli(engine, capsys, str(path), "--ignore", "Score")
    assert code == 2 and "no column \"Score\"" in err and "Rating" in err
    code, _, err = cli(engine, capsys, str(path), "--map", "Rating=happiness")
    assert code == 2 and "\"happiness\" is not a field" in err and "csat" in err
    assert scalar(engine, select(func.count()).select_from(survey_response)) == 2


def test_cli_prints_the_suggestion_with_its_map_option(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "s.csv"
    path.write_text("response_id,visit_date,satisfaction,nps\nq1,2026-11-02,satisfied,9\n", encoding="utf-8")
    code = main(["--database-url", engine.url.render_as_string(hide_password=False), "import", "surveys", str(path),
                 "--dry-run", "--scale", "nps=0-10"])
    err = capsys.readouterr().err
    assert code == 0 and "Suggestion, not applied: column satisfaction could be Satisfaction (CSAT)" in err
    assert "--map \"satisfaction=csat\"" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_cli_fixed_visit_date_is_stored_and_saved(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    IMPORTS.org(engine)
    data, name = as_file("response_id,nps,segment\nw1,9,fleet\nw2,4,retail\n", fmt)
    path = tmp_path / name
    path.write_bytes(data)
    nps = ("--scale", "nps=0-10")  # two answers (9, 4) fit several scales: declared
    code, _, err = cli(engine, capsys, str(path), *nps)
    assert code == 2 and "Visit date" in err  # a survey needs a date: refused with the missing field named
    code, _, err = cli(engine, capsys, str(path), *nps, "--visit-date", "2026-30-01")
    assert code == 2 and "YYYY-MM-DD" in err
    code, summary, _ = cli(engine, capsys, str(path), *nps, "--visit-date", "2026-10-15", "--save-mapping", "wave 3")
    assert code == 0 and summary["inserted"] == 2 and summary["visit_date"] == "2026-10-15"
    assert {str(d)[:10] for d in (r[0] for r in rows(engine, select(survey_response.c.visit_date)))} == {"2026-10-15"}
    assert scalar(engine, select(import_batch.c.mapping))["visit_date"] == "2026-10-15"
    assert get_mapping(engine, "surveys", "wave 3").visit_date == "2026-10-15"


def test_fixed_visit_date_fills_only_rows_without_one_in_a_long_file(engine: Engine) -> None:
    IMPORTS.org(engine)
    text = ("response_id,visit_date,touchpoint,perceived,expected\n"
            "g1,2026-11-02,REC01,5,6\ng1,2026-11-02,CON01,6,6\ng2,,REC01,4,4\n")
    prepared = prepare(engine, FileInput("long.csv", text.encode()), "surveys")
    assert prepared.mapping.layout == "long"
    prepared.mapping.visit_date = "2026-10-01"
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected) == (2, 0)
    got = {r[0]: str(r[1])[:10] for r in rows(engine, select(survey_response.c.external_id,
                                                             survey_response.c.visit_date))}
    assert got == {"g1": "2026-11-02", "g2": "2026-10-01"}
    assert scalar(engine, select(func.count()).select_from(touchpoint_score)) == 3


def test_already_loaded_file_is_named_before_loading(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "same.csv"
    path.write_text(same_answers_file(), encoding="utf-8")
    code, first, err = cli(engine, capsys, str(path), "--scale", "nps=0-10")  # NPS all 9: declared
    assert code == 0 and first["already_loaded_as"] == [] and "already loaded" not in err
    prepared = prepare(engine, FileInput.from_path(path), "surveys")
    assert [b for b, _ in prepared.loaded_as] == [first["batch_id"]]
    code, again, err = cli(engine, capsys, str(path), "--scale", "nps=0-10")
    assert code == 0 and again["already_loaded_as"] == [first["batch_id"]]
    assert f"already loaded as batch {first['batch_id']}" in err
    assert (again["status"], again["skipped"], again["batch_id"]) == ("nothing_new", 30, None)
    assert scalar(engine, select(func.count()).select_from(import_batch)) == 1


@pytest.mark.parametrize("header", ["review", "Feedback", "Customer feedback", "Remarks", "comments", "评价", "评论",
                                    "意见", "留言", "備註", "备注", "評價", "評論", "您的意见"])
def test_comment_headers_in_three_languages(header: str) -> None:
    layout = detect_layout([["response_id", "visit_date", header], ["a", "2026-11-02", "ok"]])
    sample = pd.DataFrame({"response_id": ["a"], "visit_date": ["2026-11-02"], header: ["ok"]}, dtype="str")
    assert auto_map("surveys", layout, sample, []).columns.get("comment") == header


def test_qualtrics_language_codes_and_free_text_question() -> None:
    """A German export: UserLanguage "DE" is not a comment language cxdash knows; its open question is."""
    header = ["ResponseId", "RecordedDate", "UserLanguage", "Q1", "Q7"]
    labels = ["Antwort-ID", "Erfassungsdatum", "Benutzersprache", "Wie zufrieden sind Sie?", "Was können wir besser machen?"]
    answers = ["Die Wartezeit war viel zu lang und niemand hat uns informiert.",
               "Freundliches Personal, aber die Rechnung war falsch.", "Alles bestens, gerne wieder!",
               "Parkplatz schwer zu finden, sonst gut."]
    data = [[f"R_{i}", f"2026-11-0{i + 1} 10:00:00", "DE", str(3 + i % 3), a] for i, a in enumerate(answers)]
    layout = detect_layout([header, labels, *[[f'{{"ImportId":"{h}"}}' for h in header]], *data])
    sample = pd.DataFrame(data, columns=header, dtype="str")
    proposals: list = []
    mapping = auto_map("surveys", layout, sample, [], proposals)
    assert "comment_lang" not in mapping.columns and mapping.columns["comment"] == "Q7"
    assert {(p.field, p.column, p.reason, p.applied) for p in proposals} == {
        ("comment_lang", "UserLanguage", "unknown_language", False), ("comment", "Q7", "free_text", True)}
    sample["UserLanguage"] = ["EN", "ZH-S", "EN", "zh-Hant"]
    assert auto_map("surveys", layout, sample, []).columns["comment_lang"] == "UserLanguage"


def test_row_estimate_is_right_for_files_larger_than_the_head(tmp_path: Path) -> None:
    from cxdash.imports.reading import open_table

    path = tmp_path / "big.csv"
    path.write_text("response_id,visit_date,nps\n" + "".join(f"r{i},2026-11-02,{i % 11}\n" for i in range(120_000)))
    table = open_table(FileInput.from_path(path))
    assert abs(table.estimated_rows() - 120_000) < 2_000  # within 2 % (it was 7x too low)
    small = tmp_path / "small.csv"
    small.write_text("response_id,visit_date,nps\n" + "".join(f"r{i},2026-11-02,9\n" for i in range(7043)))
    assert open_table(FileInput.from_path(small)).estimated_rows() == 7043  # fits in the head: exact


def _key(widgets: object, prefix: str) -> str:
    return next(w.key for w in widgets if w.key and w.key.startswith(prefix))  # type: ignore[attr-defined]


@pytest.mark.apptest
@pytest.mark.parametrize("lang", ["en", "zh-Hans", "zh-Hant"])
def test_page_unmaps_a_column_and_sets_a_fixed_visit_date(sqlite_engine: Engine, lang: str) -> None:
    from datetime import date

    from cxdash.i18n import t
    from tests.support.app import no_errors, page_app
    from tests.support.imports import count

    IMPORTS.org(sqlite_engine)
    text = "response_id,satisfaction,nps,segment,remarks\np1,satisfied,9,fleet,ok\np2,dissatisfied,3,retail,slow\n"
    at = page_app(sqlite_engine, "upload.py", lang)
    at.run()
    at.file_uploader(key="imp_file").set_value(("wave.csv", text.encode(), "text/csv")).run()
    no_errors(at)
    assert any("satisfaction" in i.value for i in at.info)  # the suggestion, not applied
    assert at.selectbox(key=_key(at.selectbox, "imp_col_csat_")).value == ""  # "—": not mapped
    assert at.selectbox(key=_key(at.selectbox, "imp_col_ltr_")).value == "nps"
    assert at.selectbox(key=_key(at.selectbox, "imp_col_visit_date_")).label.endswith(" *")
    at.radio(key=_key(at.radio, "imp_scale_q_ltr_")).set_value("0-10").run()  # NPS 9 and 3: 0-10 or 1-11
    at.button(key="imp_check").click().run()
    assert any(t("imports.field.visit_date", lang) in e.value for e in at.error)  # no date: refused, named
    at.date_input(key=_key(at.date_input, "imp_visit_date_")).set_value(date(2026, 10, 15)).run()
    at.multiselect(key=_key(at.multiselect, "imp_ignore_")).set_value(["nps"]).run()
    at.button(key="imp_check").click().run()
    no_errors(at)
    at.button(key="imp_load").click().run()
    no_errors(at)
    assert at.success and count(sqlite_engine, survey_response) == 2
    got = rows(sqlite_engine, select(survey_response.c.external_id, survey_response.c.ltr,
                                     survey_response.c.comment, survey_response.c.visit_date)
               .order_by(survey_response.c.external_id))
    assert [(r[0], r[1], r[2], str(r[3])[:10]) for r in got] == [("p1", None, "ok", "2026-10-15"),
                                                                  ("p2", None, "slow", "2026-10-15")]
    mapping = scalar(sqlite_engine, select(import_batch.c.mapping))
    assert mapping["visit_date"] == "2026-10-15" and "ltr" not in mapping["columns"]
