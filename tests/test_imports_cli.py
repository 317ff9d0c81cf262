"""``python -m cxdash import``: the same pipeline, a JSON summary, an error report, and honest exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cxdash.cli import main
from cxdash.imports.saved import list_mappings
from tests.world import IMPORTS

CSV = ("response_id,site,visit_date,REC01_P,REC01_E,nps,comment\n"
       "c1,S01,2026-11-02,6,5,9,\"=HYPERLINK(\"\"http://evil\"\")\"\nc2,S01,2026-11-02,6,5,13,ok\n")


def run(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["--database-url", engine.url.render_as_string(hide_password=False), *args])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip().startswith("{") else {})


def test_import_prints_summary_writes_escaped_error_report_and_saves_mapping(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "s.csv"
    path.write_text(CSV, encoding="utf-8")
    report = tmp_path / "errors.csv"
    code, summary = run(engine, capsys, "import", "surveys", str(path), "--error-report", str(report),
                        "--save-mapping", "dealer", "--quiet", "--scale", "nps=0-10")
    assert code == 0
    # The out-of-scale NPS is rejected alone: row 3 loads with its other answers.
    assert (summary["inserted"], summary["rows_rejected"], summary["cells_rejected"], summary["layout"]) == (
        2, 0, 1, "plain")
    text = report.read_text(encoding="utf-8-sig")
    assert "outside the scale 0-10" in text and text.splitlines()[1].startswith("3,nps,13")
    assert list_mappings(engine, "surveys") == ["dealer"]
    code, summary = run(engine, capsys, "import", "surveys", str(path), "--mapping", "dealer", "--quiet",
                        "--error-report", str(report))
    assert (code, summary["inserted"], summary["skipped"], summary["status"]) == (0, 0, 2, "nothing_new")


def test_exit_codes(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    bad = tmp_path / "bad.csv"
    bad.write_text("response_id,site,visit_date,nps\nx,S01,2026-02-30,9\n", encoding="utf-8")
    code, summary = run(engine, capsys, "import", "surveys", str(bad), "--quiet", "--error-report",
                        str(tmp_path / "e.csv"), "--scale", "nps=0-10")
    assert code == 1 and summary["status"] == "nothing_loaded"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["--database-url", engine.url.render_as_string(hide_password=False), "import", "surveys",
                 str(empty)]) == 2
    assert "The file is empty" in capsys.readouterr().err
    dry = tmp_path / "ok.csv"
    dry.write_text("response_id,site,visit_date,nps\nx,S01,2026-11-02,9\n", encoding="utf-8")
    code, summary = run(engine, capsys, "import", "surveys", str(dry), "--dry-run", "--quiet", "--scale", "nps=0-10")
    assert (code, summary["status"], summary["batch_id"]) == (0, "dry_run", None)


def test_batches_list_and_delete(engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    IMPORTS.org(engine)
    path = tmp_path / "t.csv"
    path.write_text("ticket id,created,priority\nT1,2026-11-02 09:00,high\n", encoding="utf-8")
    code, summary = run(engine, capsys, "import", "tickets", str(path), "--quiet")
    assert code == 0 and summary["inserted"] == 1
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "batches", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["kind"] for b in listed] == ["tickets"]
    code, deleted = run(engine, capsys, "batches", "delete", str(listed[0]["id"]))
    assert code == 0 and deleted["deleted"] == {"ticket": 1}
