"""Scales and not-applicable codes of survey and inspection uploads (issues #19 and #20.3).

Every scale decision is shown with its reason, values that fit several scales are a question nobody can skip
(the CLI stops with exit code 2, the page blocks the load), not-applicable codes are stored as missing and
counted, and inspection scores are on the checklist's scale. Stored values and figures are checked against hand
computations on SQLite and PostgreSQL.
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
from cxdash.filters import Filters
from cxdash.imports.errors import UploadError
from cxdash.imports.mapping import Mapping, Scale
from cxdash.imports.pipeline import ImportOptions, prepare, run_import
from cxdash.imports.reading import FileInput
from cxdash.imports.saved import get_mapping, save_mapping
from cxdash.imports.scales import (
    choose,
    decisions_json,
    declare,
    na_mask,
    open_questions,
    read_header,
    read_values,
)
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.nps import nps
from cxdash.schema import import_batch, inspection, survey_response, touchpoint, touchpoint_score
from tests.support.imports import NOW, counts, rows
from tests.world import IMPORTS

# An NPS question exported as 1-11 by a statistics package, from a subset that used only the codes 5-10.
NPS_CODES = [10] * 5 + [9] * 5 + [8] * 3 + [7] + [5]
# On 1-11 the stored answers are 9 x5, 8 x5, 7 x3, 6, 4: 5 promoters, 2 detractors of 15 -> NPS +20.
# Read as 0-10 it would be 10 promoters and 1 detractor: +60 (the bug of issue #19).
NPS_HAND = 100 * (5 - 2) / 15
# A 0-5 rating where 0 means "not applicable" (two touchpoints; r4 answered n/a to both).
RATINGS = [("r1", 5, 4), ("r2", 0, 3), ("r3", 4, 0), ("r4", 0, 0), ("r5", 3, 5), ("r6", 2, 1), ("r7", 5, 0),
           ("r8", 1, 4)]


def _file(header: list[str], body: list[list[object]], fmt: str) -> tuple[str, bytes]:
    if fmt == "csv":
        lines = [",".join(header), *(",".join(str(v) for v in row) for row in body)]
        return "upload.csv", ("\n".join(lines) + "\n").encode("utf-8")
    book = openpyxl.Workbook()
    for row in [header, *body]:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return "upload.xlsx", buf.getvalue()


def nps_file(fmt: str) -> tuple[str, bytes]:
    body = [[f"n{i}", "S01", "2026-11-02", code] for i, code in enumerate(NPS_CODES)]
    return _file(["response_id", "site", "visit_date", "recommend"], body, fmt)


def ratings_file(fmt: str, layout: str) -> tuple[str, bytes]:
    if layout == "wide":
        body = [[rid, "S01", "2026-11-02", a, b] for rid, a, b in RATINGS]
        return _file(["response_id", "site", "visit_date", "REC01_P", "REC02_P"], body, fmt)
    body = [[rid, "S01", "2026-11-02", code, v] for rid, a, b in RATINGS for code, v in (("REC01", a), ("REC02", b))]
    return _file(["response_id", "site", "visit_date", "touchpoint", "perceived"], body, fmt)


def cli(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    code = main(["--database-url", engine.url.render_as_string(hide_password=False), "import", *args, "--quiet"])
    captured = capsys.readouterr()
    out = captured.out
    return code, (json.loads(out) if out.strip().startswith("{") else {}), captured.err


def _column(summary: dict, column: str) -> dict:
    return next(s for s in summary["scales"] if s["column"] == column)


# -- the rules --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, group, scale, choices",
    [
        ([5, 6, 10, 8], "ltr", None, ["0-10", "1-11"]),  # neither 0 nor 11: a question
        ([0, 5, 10], "ltr", "0-10", []),
        ([1, 11, 9], "ltr", "1-11", []),
        ([0, 11, 9], "ltr", "0-10", []),  # a 0 pins 0-10: the 11 is out of scale
        ([12, 13], "ltr", "0-10", []),  # nothing within 0..11: the stored scale, all rejected
        ([0, 3, 5], "rating", None, ["0-5", "1-5|0", "0-10"]),
        ([0, 3, 7], "rating", None, ["0-10", "1-7|0"]),
        ([1, 4, 9], "rating", None, ["1-10", "0-10"]),
        ([1, 3, 5], "rating", "1-5", []),
        ([2, 7], "rating", "1-7", []),
        ([0, 8, 10], "rating", "0-10", []),
        ([1, 55, 100], "rating", "1-100", []),
        ([0, 2, 5], "csat", None, ["1-5", "1-5|0"]),
        ([1, 2, 5], "csat", "1-5", []),
    ],
)
def test_values_decide_a_scale_or_ask(values: list[float], group: str, scale: str | None, choices: list[str]) -> None:
    got, options, _ = read_values(pd.Series(values, dtype="float64"), group)
    assert (got.label() if got else None) == scale
    assert [c.key() for c in options] == choices


def test_headers_declare_scales_and_not_applicable_codes() -> None:
    assert read_header("Likelihood to recommend (0-10)")[0] == Scale(0, 10)
    assert read_header("推荐意愿（1-11分）")[0] == Scale(1, 11)
    scale, _, na = read_header("Wi-Fi (1=very poor ... 5=excellent, 0=N/A)")
    assert (scale, na) == (Scale(1, 5), ["0"])
    assert read_header("满意度（1-5分，99=不适用）")[2] == ["99"]
    assert read_header("REC01_P") == (None, "", [])
    assert read_header("Visits 2026-11") == (None, "", [])


def test_not_applicable_codes_match_numbers_and_words() -> None:
    values = pd.Series(["99", "99.0", "不适用", "N/A ", "5", None], dtype=object)
    assert na_mask(values, ["99", "n/a", "不适用"]).tolist() == [True, True, True, True, False, False]
    assert na_mask(pd.Series([99.0, 5.0, None]), ["99"]).tolist() == [True, False, False]


# -- the NPS coded 1-11 (issue #19) -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_nps_subset_coded_1_11_stops_the_cli_until_declared(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    IMPORTS.org(engine)
    name, data = nps_file(fmt)
    path = tmp_path / name
    path.write_bytes(data)
    before = counts(engine)

    code, summary, err = cli(engine, capsys, "surveys", str(path))
    assert code == 2 and summary["status"] == "scale_question"
    assert "recommend" in err and "--scale recommend=0-10" in err and "--scale recommend=1-11" in err
    decision = _column(summary, "recommend")
    assert decision["scale"] is None and decision["reason"] == "ltr_question"
    assert (decision["min"], decision["max"], decision["distinct"]) == (5.0, 10.0, [5.0, 7.0, 8.0, 9.0, 10.0])
    assert counts(engine) == before

    code, summary, _ = cli(engine, capsys, "surveys", str(path), "--dry-run", "--scale", "recommend=1-11")
    assert (code, summary["status"], summary["rows_valid"]) == (0, "dry_run", 15)
    decision = _column(summary, "recommend")
    assert (decision["scale"], decision["source"], decision["values"]) == ("1-11", "user", 15)
    assert counts(engine) == before

    code, summary, _ = cli(engine, capsys, "surveys", str(path), "--scale", "recommend=1-11")
    assert (code, summary["inserted"], summary["rows_rejected"]) == (0, 15, 0)
    stored = sorted(v for (v,) in rows(engine, select(survey_response.c.ltr)))
    assert stored == sorted(c - 1 for c in NPS_CODES)
    assert nps(engine, Filters()).score == pytest.approx(NPS_HAND)  # +20, not +60
    mapping = rows(engine, select(import_batch.c.mapping))[0][0]
    assert mapping["scales"]["ltr"]["max"] == 11 and mapping["scale_sources"]["ltr"] == "user"


def test_pipeline_refuses_an_open_question_and_a_header_answers_it(engine: Engine) -> None:
    IMPORTS.org(engine)
    name, data = nps_file("csv")
    prepared = prepare(engine, FileInput(name, data), "surveys")
    assert [q.group for q in open_questions(prepared.scales)] == ["ltr"]
    before = counts(engine)
    with pytest.raises(UploadError, match="recommend"):
        run_import(engine, prepared, ImportOptions(now=NOW))
    assert counts(engine) == before
    headed = data.replace(b"recommend", b"recommend (0-10)")
    prepared = prepare(engine, FileInput(name, headed), "surveys")
    (decision,) = prepared.scales
    assert (decision.scale, decision.source, decision.detail["text"]) == (Scale(0, 10), "header", "0-10")
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert result.inserted == 15
    assert nps(engine, Filters()).score == pytest.approx(100 * (10 - 1) / 15)  # the header said 0-10


# -- 0-5 with 0 = not applicable --------------------------------------------------------------------------------
def _hand_means() -> dict[str, float]:
    out = {}
    for code, i in (("REC01", 1), ("REC02", 2)):
        answers = [r[i] for r in RATINGS if r[i] != 0]
        out[code] = sum((a - 1) / 4 for a in answers) / len(answers)  # on the 1-5 scale
    return out


@pytest.mark.parametrize("fmt, layout", [("csv", "wide"), ("xlsx", "wide"), ("csv", "long"), ("xlsx", "long")])
def test_zero_declared_not_applicable_is_missing_counted_and_rejects_nothing(
    engine: Engine, fmt: str, layout: str
) -> None:
    IMPORTS.org(engine)
    name, data = ratings_file(fmt, layout)
    prepared = prepare(engine, FileInput(name, data), "surveys")
    (question,) = open_questions(prepared.scales)
    assert question.group == "touchpoint" and question.reason == "zero_question"
    assert [c.key() for c in question.choices] == ["0-5", "1-5|0", "0-10"]
    before = counts(engine)
    with pytest.raises(UploadError, match="1-5"):
        run_import(engine, prepared, ImportOptions(now=NOW))
    assert counts(engine) == before

    choose(prepared.mapping, question, question.choices[1])  # 1-5, 0 = not applicable
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.rows_rejected, result.inserted) == (0, 8), result.errors
    expected_na = {"REC01_P": 2, "REC02_P": 3} if layout == "wide" else {"perceived": 5}
    assert result.not_applicable == expected_na
    stored = rows(engine, select(touchpoint.c.code, touchpoint_score.c.p)
                  .join(touchpoint, touchpoint.c.id == touchpoint_score.c.touchpoint_id)
                  .where(touchpoint_score.c.p.is_not(None)).order_by(touchpoint.c.code, touchpoint_score.c.p))
    assert [p for code, p in stored if code == "REC01"] == sorted(r[1] for r in RATINGS if r[1])
    assert [p for code, p in stored if code == "REC02"] == sorted(r[2] for r in RATINGS if r[2])
    assert rows(engine, select(survey_response.c.tp_scale_min, survey_response.c.tp_scale_max).distinct()) == [(1, 5)]
    table = gap_table(engine, Filters()).set_index("touchpoint_code")
    for code, mean in _hand_means().items():
        assert table.loc[code, "mean_p"] == pytest.approx(mean)


def test_cli_not_applicable_codes_for_the_file_and_per_column(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "na.csv"
    path.write_text("response_id,site,visit_date,nps,csat\n"
                    "a1,S01,2026-11-02,0,5\na2,S01,2026-11-02,99,4\na3,S01,2026-11-02,不适用,不清楚\n"
                    "a4,S01,2026-11-02,10,99\na5,S01,2026-11-02,7,3\n", encoding="utf-8")
    code, summary, err = cli(engine, capsys, "surveys", str(path), "--na", "99", "--na", "nps=不适用",
                             "--na", "csat=不清楚")
    assert code == 0, err
    assert (summary["inserted"], summary["rows_rejected"]) == (5, 0)
    assert summary["not_applicable"] == {"nps": 2, "csat": 2}
    assert _column(summary, "nps")["na_codes"] == ["不适用", "99"]
    got = rows(engine, select(survey_response.c.external_id, survey_response.c.ltr, survey_response.c.csat)
               .order_by(survey_response.c.external_id))
    assert got == [("a1", 0, 5), ("a2", None, 4), ("a3", None, None), ("a4", 10, None), ("a5", 7, 3)]


def test_cli_refuses_unknown_columns_and_conflicting_scales(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    name, data = ratings_file("csv", "wide")
    path = tmp_path / name
    path.write_bytes(data)
    code, _, err = cli(engine, capsys, "surveys", str(path), "--scale", "wifi=1-5")
    assert code == 2 and "wifi is not a mapped score column" in err and "REC01_P" in err
    code, _, err = cli(engine, capsys, "surveys", str(path), "--scale", "REC01_P=1-5", "--scale", "REC02_P=0-10")
    assert code == 2 and "same --scale" in err
    code, _, err = cli(engine, capsys, "surveys", str(path), "--scale", "REC01_P=five")
    assert code == 2 and "COLUMN=LO-HI" in err
    code, summary, _ = cli(engine, capsys, "surveys", str(path), "--scale", "touchpoint=1-5", "--na", "0")
    assert (code, summary["inserted"], summary["not_applicable"]) == (0, 8, {"REC01_P": 2, "REC02_P": 3})


# -- inspections (issue #20.3) ----------------------------------------------------------------------------------
@pytest.mark.parametrize("saved", [False, True])
def test_inspection_scores_use_the_checklist_scale(engine: Engine, saved: bool) -> None:
    IMPORTS.org(engine)
    data = (b"inspection id,checklist item,site,inspection date,score\n"
            b"i1,CL-REC01-1,S01,2026-11-02,4\ni2,CL-REC01-1,S02,2026-11-02,8.5\n"
            b"i3,CL-REC02-1,S01,2026-11-02,11\ni4,CL-REC02-1,S02,2026-11-02,10\n")
    # A mapping saved before this fix could hold a scale detected from a file (1-11): it is ignored.
    legacy = Mapping.from_dict({"kind": "inspections", "columns": {
        "external_id": "inspection id", "item": "checklist item", "site": "site", "inspected_on": "inspection date",
        "score": "score"}, "scales": {"score": {"min": 1, "max": 11, "integer": True}}}) if saved else None
    prepared = prepare(engine, FileInput("insp.csv", data), "inspections", mapping=legacy)
    (decision,) = prepared.scales
    assert (decision.scale, decision.source) == (Scale(0, 10, integer=False), "checklist")
    result = run_import(engine, prepared, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected) == (3, 1)
    assert result.errors[["row", "reason", "detail"]].values.tolist() == [[4, "out_of_scale", "0-10"]]
    got = rows(engine, select(inspection.c.external_id, inspection.c.score).order_by(inspection.c.external_id))
    assert got == [("i1", 4.0), ("i2", 8.5), ("i4", 10.0)]


# -- saved mappings ---------------------------------------------------------------------------------------------
def test_saved_mapping_keeps_scales_and_not_applicable_codes(engine: Engine) -> None:
    IMPORTS.org(engine)
    name, data = ratings_file("csv", "wide")
    prepared = prepare(engine, FileInput(name, data), "surveys")
    declare(prepared.mapping, prepared.scales, ["touchpoint=1-5"], ["REC01_P=0", "REC02_P=0", "N/A"])
    prepared.decide_scales()
    assert not open_questions(prepared.scales)
    save_mapping(engine, "wifi monthly", prepared.mapping, "lead@example.com")
    back = get_mapping(engine, "surveys", "wifi monthly")
    assert back.na_codes == {"REC01_P": ["0"], "REC02_P": ["0"], "*": ["N/A"]}
    assert back.scales["touchpoint"] == Scale(1, 5) and back.to_dict() == prepared.mapping.to_dict()
    # Mappings saved before n/a codes existed still load.
    old = {k: v for k, v in back.to_dict().items() if k not in ("na_codes", "scale_sources")}
    assert Mapping.from_dict(old).na_codes == {}

    again = prepare(engine, FileInput(name, data), "surveys", mapping=back)
    assert {d.group: (d.source, d.scale) for d in again.scales} == {"touchpoint": ("saved", Scale(1, 5))}
    assert [c["na_answers"] for c in decisions_json(again.scales)] == [2, 3]
    result = run_import(engine, again, ImportOptions(now=NOW))
    assert (result.inserted, result.rows_rejected, result.not_applicable) == (8, 0, {"REC01_P": 2, "REC02_P": 3})
    history = rows(engine, select(import_batch.c.mapping))[0][0]
    assert history["na_codes"]["REC01_P"] == ["0"] and history["not_applicable"] == {"REC01_P": 2, "REC02_P": 3}
    mean = rows(engine, select(func.avg((touchpoint_score.c.p - 1) / 4.0)).where(touchpoint_score.c.p.is_not(None)))
    answers = [v for r in RATINGS for v in r[1:] if v]
    assert mean[0][0] == pytest.approx(sum((a - 1) / 4 for a in answers) / len(answers))


# -- the upload page --------------------------------------------------------------------------------------------
def _radio(at, prefix: str):  # noqa: ANN001, ANN202 - AppTest element
    return at.radio(key=next(r.key for r in at.radio if r.key.startswith(prefix)))


@pytest.mark.apptest
def test_upload_page_shows_decisions_and_blocks_until_the_question_is_answered(sqlite_engine: Engine) -> None:
    from tests.support.app import no_errors, page_app

    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py")
    at.run()
    at.file_uploader(key="imp_file").set_value(("nps.csv", nps_file("csv")[1], "text/csv")).run()
    no_errors(at)
    table = next(d.value for d in at.dataframe if "Scale used" in d.value.columns)
    row = table.set_index("Column").loc["recommend"]
    assert (row["Scale used"], row["Decided by"], row["Min"], row["Max"]) == ("to be chosen", "values", "5", "10")
    assert row["Distinct values"] == "5, 7, 8, 9, 10"
    assert any("neither a 0 nor an 11" in w.value and "recommend" in w.value for w in at.warning)
    question = _radio(at, "imp_scale_q_ltr_")
    assert question.value is None and question.options[1].startswith("1-11")
    assert at.button(key="imp_check").disabled and any("Answer the scale questions" in w.value for w in at.warning)

    question.set_value("1-11").run()
    no_errors(at)
    table = next(d.value for d in at.dataframe if "Scale used" in d.value.columns)
    row = table.set_index("Column").loc["recommend"]
    assert (row["Scale used"], row["Decided by"]) == ("1-11 (whole numbers)", "declared")
    assert not at.button(key="imp_check").disabled
    at.button(key="imp_check").click().run()
    at.button(key="imp_load").click().run()
    no_errors(at)
    assert nps(sqlite_engine, Filters()).score == pytest.approx(NPS_HAND)


@pytest.mark.apptest
def test_upload_page_reads_zero_as_not_applicable_and_reports_it(sqlite_engine: Engine) -> None:
    from tests.support.app import no_errors, page_app

    IMPORTS.org(sqlite_engine)
    at = page_app(sqlite_engine, "upload.py", "zh-Hans")
    at.run()
    at.file_uploader(key="imp_file").set_value(("wifi.csv", ratings_file("csv", "wide")[1], "text/csv")).run()
    no_errors(at)
    question = _radio(at, "imp_scale_q_touchpoint_")
    assert question.options == ["0-5", "1-5，0 = 不适用", "0-10"]
    question.set_value("1-5|0").run()
    at.button(key="imp_check").click().run()
    no_errors(at)
    shown = [c.value.replace("\\", "") for c in at.caption]
    assert "REC01_P：2 个回答标记为不适用" in shown and "REC02_P：3 个回答标记为不适用" in shown
    assert [m.value for m in at.metric][:3] == ["8", "8", "0"]


def test_columns_of_one_group_with_different_header_scales_are_a_question(engine: Engine) -> None:
    IMPORTS.org(engine)
    data = ("response_id,site,visit_date,REC01_P (1-5),REC02_P (0-10),nps\n"
            "h1,S01,2026-11-02,4,7,0\nh2,S01,2026-11-02,不适用,9,10\n").encode()
    prepared = prepare(engine, FileInput("h.csv", data), "surveys")
    by_group = {d.group: d for d in prepared.scales}
    question = by_group["touchpoint"]
    assert question.open and question.reason == "headers_disagree"
    assert [c.key() for c in question.choices] == ["1-5", "0-10"]
    assert question.detail["columns"] == "REC01_P (1-5): 1-5; REC02_P (0-10): 0-10"
    rec01 = next(c for c in question.columns if c.column == "REC01_P (1-5)")
    assert (rec01.values.min, rec01.values.max, rec01.values.na_words) == (4.0, 4.0, ["不适用"])
    assert (by_group["ltr"].scale, by_group["ltr"].reason) == (Scale(0, 10), "ltr_zero")
