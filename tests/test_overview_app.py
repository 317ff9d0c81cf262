"""The overview page in AppTest: its KPI cards show the same numbers as ``python -m cxdash report overview``."""

from __future__ import annotations

import json
import os

import pytest

from cxdash.cli import main
from cxdash.i18n import t
from cxdash.ui.widgets import fmt_value
from tests.support.app import LANGS, make_app, no_errors

pytestmark = pytest.mark.apptest

CARDS = ("nps", "csat", "ces", "churn", "share_disappointed", "share_basic", "share_delighted", "share_none",
         "sla_first_response", "sla_resolution", "ftf", "plans_open", "plans_overdue")


@pytest.mark.parametrize("lang", LANGS)
def test_cards_match_the_cli_report(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    at = make_app(lang)
    at.run()
    no_errors(at)
    shown = {m.label: m.value for m in at.metric}
    start, end = at.session_state["flt_from"], at.session_state["flt_to"]
    capsys.readouterr()
    assert main(["--database-url", os.environ["CXDASH_DATABASE_URL"], "report", "overview", "--from",
                 start.isoformat(), "--to", end.isoformat(), "--lang", lang, "--format", "json"]) == 0
    report = {r["key"]: r for r in json.loads(capsys.readouterr().out)}
    for key in CARDS:
        row = report[key]
        title = t(f"overview.kpi.{key}.title", lang)
        assert row["title"] == title
        assert title in shown, f"card {key} missing"
        assert shown[title] == fmt_value(row["value"], row["unit"]), key
        if key == "nps":
            assert row["value"] is not None and row["n"] > 100  # the demo has numbers, not dashes
