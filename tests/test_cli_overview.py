"""``python -m cxdash report overview``: the printed figures are the overview's, in CSV and JSON, with filters."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from cxdash.cli import main
from cxdash.db import make_engine
from cxdash.demo import build_demo
from cxdash.domain.kpis import KPI_CODES
from cxdash.filters import Filters
from cxdash.metrics.overview.cards import overview, overview_trends
from cxdash.schema import metadata
from tests.support.pg import BACKENDS

pytestmark = pytest.mark.slow

END = date(2026, 6, 30)


@pytest.fixture(scope="module", params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo database per backend, built once for this module (PostgreSQL: the session's test database)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    if request.param == "postgresql":  # other modules' tests leave rows behind; start empty
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    build_demo(engine, responses=600, tickets=600, seed=5, end_date=END)
    engine.dispose()
    return url


def _run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> str:
    assert main(["--database-url", url, "report", "overview", *args]) == 0
    return capsys.readouterr().out


def test_json_cards_equal_the_overview(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    rows = json.loads(_run(capsys, db_url, "--from", "2026-04-01", "--to", "2026-06-30", "--region", "1",
                           "--as-of", "2026-06-30"))
    f = Filters(date_from=date(2026, 4, 1), date_to=END, region_ids=(1,))
    expected = {c.key: c for c in overview(make_engine(db_url), f, as_of=END).cards}
    assert [r["key"] for r in rows] == list(KPI_CODES)
    for r in rows:
        card = expected[r["key"]]
        assert r["value"] == pytest.approx(card.value)
        assert r["previous"] == pytest.approx(card.previous)
        assert r["verdict"] == card.verdict
        assert r["target"] == card.target and r["target_met"] == card.target_met
    assert rows[0]["title"] == "NPS" and rows[0]["verdict_label"] in ("significant", "within noise")


def test_csv_in_chinese(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, db_url, "--format", "csv", "--lang", "zh-Hant", "--from", "2026-04-01", "--to", "2026-06-30")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(KPI_CODES)
    assert rows[0]["title"] == "淨推薦值 (NPS)"
    assert rows[0]["verdict_label"] in ("顯著", "正常波動")
    assert float(rows[0]["n"]) > 0 and -100 <= float(rows[0]["value"]) <= 100


def test_trend_and_touchpoint_views(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    trend = json.loads(_run(capsys, db_url, "--view", "trend", "--from", "2026-05-01", "--to", "2026-06-30",
                            "--as-of", "2026-06-30"))
    frame = overview_trends(make_engine(db_url), Filters(date_from=date(2026, 5, 1), date_to=END), END)
    assert len(trend) == len(frame)
    assert trend[0]["kpi"] == "nps" and trend[0]["month"] == "2026-05"
    assert trend[0]["value"] == pytest.approx(frame.iloc[0]["value"])
    worst = json.loads(_run(capsys, db_url, "--view", "touchpoints", "--lang", "zh-Hans"))
    assert len(worst) == 3 and all(w["gap"] < 0 for w in worst)


def test_empty_database_prints_cards_without_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = json.loads(_run(capsys, f"sqlite:///{tmp_path / 'empty.db'}"))
    assert rows[0]["key"] == "nps" and rows[0]["value"] is None and rows[0]["verdict"] == "no_comparison"
