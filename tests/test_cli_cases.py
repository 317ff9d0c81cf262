"""``python -m cxdash report cases`` prints the case page's measures and lists (both databases), scoped by
``--as-user`` as the page is."""

from __future__ import annotations

import csv
import io
import json

import pytest

from cxdash.cli import main
from cxdash.metrics.significance import wilson
from tests.support.cases import MARCH, NOW, build_cases

RANGE = ["--from", MARCH[0].isoformat(), "--to", MARCH[1].isoformat(), "--now", NOW.isoformat()]


def _run(engine, capsys, *argv: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "report", "cases", *RANGE, *argv]) == 0
    return capsys.readouterr().out


def test_report_cases(engine, capsys) -> None:
    build_cases(engine)
    rows = {r["key"]: r for r in json.loads(_run(engine, capsys))}
    assert [rows[k]["value"] for k in ("opened", "open", "overdue")] == [6, 3, 2]
    assert rows["within_target"]["value"] == pytest.approx(0.5) and rows["within_target"]["n"] == 4
    assert rows["median_contact"]["value"] == pytest.approx(10.0)  # 600 business minutes
    low, high = wilson(1, 2)
    assert (rows["recovery"]["ci_low"], rows["recovery"]["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert rows["nps_after_yes"]["value"] == pytest.approx(100) and rows["csat_after_no"]["value"] == 0
    cases = json.loads(_run(engine, capsys, "--view", "cases", "--status", "new"))
    assert [c["id"] for c in cases] == [7, 3, 4] and cases[0]["overdue"] is True
    lead = json.loads(_run(engine, capsys, "--view", "cases", "--as-user", "team_lead@example.com"))
    assert sorted(c["id"] for c in lead) == [1, 2, 6]
    units = list(csv.DictReader(io.StringIO(_run(engine, capsys, "--view", "units", "--format", "csv"))))
    assert units[0]["team_id"] == "2" and units[0]["overdue"] == "2"
    causes = json.loads(_run(engine, capsys, "--view", "causes", "--lang", "zh-Hans"))
    assert causes == [{"root_cause": "training", "n": 2}, {"root_cause": "other", "n": 1}]


def test_report_cases_empty(engine, capsys) -> None:
    rows = json.loads(_run(engine, capsys))
    assert [r["value"] for r in rows[:3]] == [0, 0, 0] and rows[3]["value"] is None
    assert json.loads(_run(engine, capsys, "--view", "cases")) == []
