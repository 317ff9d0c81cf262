"""``python -m cxdash report sla`` and ``sla recompute`` on the hand-made tickets of test_sla_metrics."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import Engine, update

from cxdash.cli import main
from cxdash.schema import ticket
from tests.world import NOW, service_metrics


def run(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    url = engine.url.render_as_string(hide_password=False)
    code = main(["--database-url", url, *args])
    out = capsys.readouterr().out
    assert code == 0
    return out


def test_overall_json(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    service_metrics(engine)
    rows = json.loads(run(engine, capsys, "report", "sla", "--format", "json", "--now", NOW.isoformat()))
    assert len(rows) == 1
    r = rows[0]
    assert (r["n"], r["frt_n"], r["res_n"], r["merged"], r["at_risk"], r["breached_open"]) == (8, 7, 5, 1, 1, 2)
    assert r["first_response_rate"] == pytest.approx(4 / 7) and r["ftf_rate"] == 0.5
    assert r["frt_median"] == pytest.approx(60) and r["res_p90"] == pytest.approx(2700)


def test_by_team_csv_with_filters(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    service_metrics(engine)
    out = run(engine, capsys, "report", "sla", "--by", "team", "--format", "csv", "--now", NOW.isoformat())
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["key"], r["n"], r["merged"]) for r in rows] == [("1", "5", "1"), ("2", "3", "0")]
    assert float(rows[0]["first_response_rate"]) == pytest.approx(0.6)
    out = run(engine, capsys, "report", "sla", "--by", "priority", "--site", "2", "--format", "csv", "--now", NOW.isoformat())
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["key"]: int(r["n"]) for r in rows} == {"urgent": 1, "high": 1, "normal": 1}


def test_by_month_and_lists(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    service_metrics(engine)
    rows = json.loads(run(engine, capsys, "report", "sla", "--by", "month", "--now", NOW.isoformat()))
    assert [(r["key"], r["n"]) for r in rows] == [("2026-10", 3), ("2026-11", 5)]
    assert rows[0]["frt_median"] == pytest.approx(60)
    late = json.loads(run(engine, capsys, "report", "sla", "--view", "breached", "--now", NOW.isoformat()))
    assert [r["id"] for r in late] == [9, 3] and late[1]["minutes_left"] == pytest.approx(-56)
    risk = json.loads(run(engine, capsys, "report", "sla", "--view", "at-risk", "--now", NOW.isoformat()))
    assert [(r["id"], r["agent"], r["target"]) for r in risk] == [(5, "Agent 3", "first_response")]
    pareto = json.loads(run(engine, capsys, "report", "sla", "--view", "pareto", "--measure", "repeats"))
    assert [(r["category"], r["repeats"]) for r in pareto][0] == ("billing", 1)


def test_empty_csv_list_keeps_its_header(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    service_metrics(engine)
    out = run(engine, capsys, "report", "sla", "--view", "at-risk", "--site", "99", "--format", "csv")
    assert out.splitlines() == ["id,external_id,priority,category,channel,site,team,agent,status,created_at,"
                                "age_hours,target,due_at,minutes_left"]


def test_recompute_command(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    service_metrics(engine)
    with engine.begin() as conn:
        conn.execute(update(ticket).values(policy_id=None, frt_target_min=None, is_repeat_7d=None))
    assert "recomputed 9 tickets" in run(engine, capsys, "sla", "recompute")
    rows = json.loads(run(engine, capsys, "report", "sla", "--now", NOW.isoformat()))
    assert rows[0]["frt_n"] == 7 and rows[0]["repeat_rate"] == 0.125


def test_bad_option_is_an_error(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "sla", "--by", "colour"])
