"""``python -m cxdash report plans|inspections`` prints the same figures as the library functions."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest

from cxdash.auth import local_user
from cxdash.cli import main
from cxdash.filters import Filters
from cxdash.improve import plans
from cxdash.metrics.improve.effect import plan_effect
from cxdash.metrics.improve.weak_items import weak_items
from tests.world import CLOSEDLOOP, item_ids, spread

TODAY = date(2026, 6, 30)


def _seed(engine) -> int:
    tps = CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    CLOSEDLOOP.gaps(engine, tps["CON02"], 1, spread(date(2025, 10, 5), 20, 4), [-0.2, -0.3] * 10)
    CLOSEDLOOP.gaps(engine, tps["CON02"], 1, spread(date(2026, 3, 1), 20, 4), [0.0, -0.1] * 10)
    CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], 1, date(2026, 5, 1), 3.0), (items["CL-REC01-1"], 2, date(2026, 5, 1), 8.0)])
    with engine.begin() as conn:
        return plans.create_plan(conn, {
            "touchpoint_id": tps["CON02"], "site_id": 1, "root_cause": "standard", "action": "=HYPERLINK(\"x\")",
            "metric": "gap", "owner": "Li", "start_date": date(2026, 1, 1), "due_date": date(2026, 2, 28),
        }, user=local_user())


def _run(engine, capsys, *argv: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    assert main(["--database-url", url, "report", *argv]) == 0
    return capsys.readouterr().out


def test_report_plans_json_and_csv(engine, capsys) -> None:
    pid = _seed(engine)
    rows = json.loads(_run(engine, capsys, "plans", "--format", "json", "--as-of", TODAY.isoformat()))
    eff = plan_effect(engine, pid, today=TODAY)
    assert len(rows) == 1
    assert rows[0]["verdict"] == eff.verdict == "improved"
    assert rows[0]["delta"] == pytest.approx(eff.delta)
    assert rows[0]["p_value"] == pytest.approx(eff.p_value)
    assert rows[0]["due_date"] == "2026-02-28" and rows[0]["overdue"] is True
    out = _run(engine, capsys, "plans", "--format", "csv", "--as-of", TODAY.isoformat(), "--region", "2")
    assert out == ""  # no plan in region 2
    out = _run(engine, capsys, "plans", "--format", "csv", "--as-of", TODAY.isoformat(), "--lang", "zh-Hans")
    row = next(csv.DictReader(io.StringIO(out)))
    assert row["action"].startswith("'=")  # formula escaped
    assert row["touchpoint_name"] == "结算费用时间及付款方式确认"


def test_report_inspections_views(engine, capsys) -> None:
    _seed(engine)
    weak = json.loads(_run(engine, capsys, "inspections", "--format", "json"))
    expected = weak_items(engine, Filters(), "en")
    assert [w["item_code"] for w in weak] == expected["item_code"].tolist()
    assert weak[0]["weakness"] == pytest.approx(expected["weakness"].iloc[0])
    heat = json.loads(_run(engine, capsys, "inspections", "--view", "heatmap", "--format", "json", "--site", "1"))
    assert [(h["site_id"], h["touchpoint_code"], h["score"]) for h in heat] == [(1, "CON02", 3.0)]
    res = _run(engine, capsys, "inspections", "--view", "results", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(res)))) == 2
