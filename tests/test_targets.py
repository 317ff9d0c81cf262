"""KPI targets: the most specific scope wins, validity dates apply, and "met" follows each KPI's direction."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert

from cxdash.domain.kpis import target_met
from cxdash.filters import Filters
from cxdash.metrics.targets import target_for, targets_for
from cxdash.schema import kpi_target
from tests.world import OVERVIEW

ON = date(2026, 6, 1)


def _targets(engine, rows) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.execute(insert(kpi_target), [
            {"kpi": k, "scope_kind": kind, "scope_id": sid, "value": v, "valid_from": vf, "valid_to": vt}
            for k, kind, sid, v, vf, vt in rows
        ])


def test_most_specific_scope_and_validity(engine) -> None:  # noqa: ANN001
    OVERVIEW.org(engine)
    _targets(engine, [
        ("nps", "all", None, 30.0, None, None),
        ("nps", "all", None, 35.0, date(2026, 1, 1), None),  # a newer brand-wide target
        ("nps", "all", None, 99.0, date(2027, 1, 1), None),  # not yet valid
        ("nps", "region", 1, 40.0, None, date(2026, 12, 31)),
        ("nps", "site", 2, 50.0, None, None),
        ("nps", "team", 1, 60.0, None, date(2026, 5, 31)),  # expired by ON
        ("csat", "all", None, 0.8, None, None),
    ])
    assert target_for(engine, "nps", Filters(), ON) == 35.0
    assert target_for(engine, "nps", Filters(), date(2025, 6, 1)) == 30.0
    assert target_for(engine, "nps", Filters(region_ids=(1,)), ON) == 40.0
    assert target_for(engine, "nps", Filters(region_ids=(1, 2)), ON) == 35.0
    assert target_for(engine, "nps", Filters(site_ids=(2,)), ON) == 50.0
    assert target_for(engine, "nps", Filters(site_ids=(1,)), ON) == 40.0  # site 1 lies in region 1
    assert target_for(engine, "nps", Filters(team_ids=(1,)), ON) == 40.0  # team target expired
    assert target_for(engine, "nps", Filters(team_ids=(1,)), date(2026, 5, 1)) == 60.0
    assert target_for(engine, "nps", Filters(site_ids=(3,)), ON) == 35.0
    assert target_for(engine, "ces", Filters(), ON) is None
    assert targets_for(engine, Filters(site_ids=(2,)), ON) == {"nps": 50.0, "csat": 0.8}


@pytest.mark.parametrize(("kpi", "value", "target", "met"), [
    ("nps", 41.0, 40.0, True),
    ("nps", 39.9, 40.0, False),
    ("csat", 0.85, 0.85, True),
    ("churn", 0.19, 0.2, True),
    ("churn", 0.21, 0.2, False),
    ("share_disappointed", 0.15, 0.15, True),
    ("plans_overdue", 3.0, 0.0, False),
    ("nps", None, 40.0, None),
    ("nps", 10.0, None, None),
])
def test_target_met_direction(kpi: str, value: float | None, target: float | None, met: bool | None) -> None:
    assert target_met(kpi, value, target) is met
