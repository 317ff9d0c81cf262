"""``python -m cxdash alerts run|list|dry-run`` on SQLite and PostgreSQL (the OVERVIEW world, March 2026)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, insert

from cxdash.cli import main
from cxdash.followup.rules import Rule, save_rule
from cxdash.schema import kpi_target
from tests.world import OVERVIEW

NOW = "2026-04-10T06:00"


def run(engine: Engine, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> str:
    url = engine.url.render_as_string(hide_password=False)
    got = main(["--database-url", url, *args])
    captured = capsys.readouterr()
    assert got == code, captured.err
    return captured.out if code == 0 else captured.err


def _kpi_world(engine: Engine) -> int:
    OVERVIEW.org(engine)
    # March: site 1 NPS -40 (1 promoter, 4 passives, 5 detractors), site 2 NPS 80; target 0 everywhere.
    OVERVIEW.responses(engine, [{"ltr": 10}] + [{"ltr": 7}] * 4 + [{"ltr": 1}] * 5, site_id=1, day=date(2026, 3, 9))
    OVERVIEW.responses(engine, [{"ltr": 10}] * 8 + [{"ltr": 7}] * 2, site_id=2, day=date(2026, 3, 9))
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [{"kpi": "nps", "scope_kind": "all", "value": 0.0}])
        return save_rule(conn, Rule(id=None, name="NPS under target", kind="kpi_below_target",
                                    params={"kpi": "nps", "level": "site"}), "test", datetime(2026, 3, 1))


def test_run_twice_opens_once(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    _kpi_world(engine)
    first = json.loads(run(engine, capsys, "alerts", "run", "--now", NOW, "--format", "json"))
    assert (first["opened"], first["kpi_cases"], first["ticket_cases"], first["kpi_rules"]) == (1, 1, 0, 1)
    second = run(engine, capsys, "alerts", "run", "--now", NOW)
    assert "0 new case(s)" in second and "1 KPI rule(s)" in second


def test_list_and_dry_run(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    rule_id = _kpi_world(engine)
    rows = json.loads(run(engine, capsys, "alerts", "list"))
    assert [(r["id"], r["name"], r["kind"], r["source"], r["params"]["kpi"], r["active"]) for r in rows] == [
        (rule_id, "NPS under target", "kpi_below_target", "kpi", "nps", True)]
    table = list(csv.DictReader(io.StringIO(run(engine, capsys, "alerts", "list", "--format", "csv"))))
    assert table[0]["params"] == "kpi=nps, level=site" and table[0]["scope_kind"] == "all"
    dry = json.loads(run(engine, capsys, "alerts", "dry-run", "--rule", str(rule_id), "--now", NOW, "--format", "json"))
    assert (dry["cases"], dry["days"], dry["by_site"][0]["site"], dry["by_site"][0]["cases"]) == (1, 90, "Site 1", 1)
    text = run(engine, capsys, "alerts", "dry-run", "--rule", str(rule_id), "--now", NOW)
    assert "1 case(s)" in text and "Site 1: 1" in text


def test_empty_database_and_unknown_rule(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert json.loads(run(engine, capsys, "alerts", "list")) == []
    assert run(engine, capsys, "alerts", "list", "--format", "csv").startswith("id,name,kind")
    assert "0 new case(s)" in run(engine, capsys, "alerts", "run")
    err = run(engine, capsys, "alerts", "dry-run", "--rule", "42", code=2)
    assert err.startswith("error:") and "Traceback" not in err
    err = run(engine, capsys, "alerts", "dry-run", "--rule", "42", "--days", "0", code=2)
    assert "--days" in err
