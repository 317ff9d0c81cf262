"""``python -m cxdash report tiers|touchpoints`` prints what the pages show, as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from cxdash.cli import main
from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import gap_table
from tests.world import EXPERIENCE


def _load(engine):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [
        {"team_id": 1 + i % 4, "tier": i % 3, "ltr": 9 if i % 3 == 2 else 5, "visit_date": date(2026, 3, 1 + i % 20),
         "comment": "=HYPERLINK(\"x\")" if i == 0 else "ok", "scores": [("CON02", 3 + i % 2, 6), ("REC01", 6, 5)]}
        for i in range(40)
    ])


def _run(engine, capsys, *args):
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "report", *args]) == 0
    return capsys.readouterr().out


def test_report_touchpoints_json_matches_gap_table(engine, capsys):
    _load(engine)
    rows = json.loads(_run(engine, capsys, "touchpoints", "--format", "json"))
    table = gap_table(engine, Filters()).set_index("touchpoint_code")
    by_code = {r["touchpoint_code"]: r for r in rows}
    assert len(rows) == 22
    con = by_code["CON02"]
    assert con["n"] == 40 and con["gap"] == pytest.approx(table.loc["CON02", "gap"])
    assert con["q_value"] == pytest.approx(table.loc["CON02", "q_value"]) and con["significant"] is True
    assert con["ci_low"] < con["gap"] < con["ci_high"]
    assert by_code["VAL01"]["gap"] is None and by_code["VAL01"]["n"] == 0


def test_report_touchpoints_csv_with_filters_and_language(engine, capsys):
    _load(engine)
    out = _run(engine, capsys, "touchpoints", "--format", "csv", "--site", "1", "--lang", "zh-Hans",
               "--from", "2026-03-01", "--to", "2026-03-10")
    rows = list(csv.DictReader(io.StringIO(out)))
    con = next(r for r in rows if r["touchpoint_code"] == "CON02")
    assert con["touchpoint_name"] == "结算费用时间及付款方式确认"
    expected = sum(1 for i in range(40) if i % 4 == 0 and 1 + i % 20 <= 10)
    assert int(con["n"]) == expected


def test_report_tiers(engine, capsys):
    _load(engine)
    rows = json.loads(_run(engine, capsys, "tiers"))
    assert {r["tier"]: r["n"] for r in rows} == {"disappointed": 14, "basic": 13, "delighted": 13, "none": 0}
    by_site = json.loads(_run(engine, capsys, "tiers", "--by", "site"))
    assert sum(r["n"] for r in by_site) == 40 and by_site[0]["name"].startswith("Site")
    monthly = list(csv.DictReader(io.StringIO(_run(engine, capsys, "tiers", "--by", "month", "--format", "csv"))))
    assert {r["period"] for r in monthly} == {"2026-03"}
    value = json.loads(_run(engine, capsys, "tiers", "--view", "value"))
    assert next(r for r in value if r["tier"] == "delighted")["nps"] == pytest.approx(100.0)
