"""The figure summary (#9): the overview's survey figures from summaries equal the raw query's, on both backends."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.metrics.overview.trends import response_trend
from cxdash.metrics.response_figures import response_figures
from cxdash.schema import figure_summary
from cxdash.summaries import refresh_summaries
from cxdash.summaries.figures import figure_measures, figure_sums, raw_figure_sums
from tests.world import EXPERIENCE


def _rows(n: int, seed: int = 11) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        rows.append({
            "team_id": int(rng.integers(1, 5)),
            "visit_date": date(2026, 1, 1) + timedelta(days=int(rng.integers(0, 120))),
            "channel": ["workshop", "phone"][i % 2],
            "segment": ["private", "fleet", None][i % 3],
            "ltr": None if i % 9 == 0 else int(rng.integers(0, 11)),
            "csat": None if i % 5 == 0 else int(rng.integers(1, 6)),
            "ces": None if i % 4 == 0 else int(rng.integers(1, 8)),
            "tier": None if i % 6 == 0 else int(rng.integers(0, 3)),
            "contacts_needed": None if i % 3 == 0 else int(rng.integers(1, 4)),
            "transfers": None if i % 7 == 0 else int(rng.integers(0, 3)),
            "repeated_story": None if i % 8 == 0 else bool(i % 2),
        })
    return rows


SELECTIONS = [
    Filters(),
    Filters(date_from=date(2026, 1, 10), date_to=date(2026, 3, 20)),
    Filters(date_from=date(2026, 2, 3), date_to=date(2026, 2, 9)),
    Filters(date_from=date(2026, 1, 15), date_to=date(2026, 4, 2), channels=("phone",)),
    Filters(segments=("fleet",), site_ids=(3,)),
    Filters(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), region_ids=(1,), scope_teams=(2,)),
    Filters(person_ids=(2,)),
]


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    out = df.copy()
    for m in figure_measures():
        out[m] = pd.to_numeric(out[m]).astype(float).fillna(0.0)
    return out.sort_values(keys).reset_index(drop=True) if keys else out.reset_index(drop=True)


def _summarised(engine: Engine) -> None:
    """EXPERIENCE with 300 random responses and its summaries (seeded once a session: see tests/support/snapshots.py)."""
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _rows(300))
    with engine.begin() as conn:
        refresh_summaries(conn)


@pytest.mark.parametrize("filters", SELECTIONS)
def test_figure_sums_equal_raw(engine, snapshots, filters):
    snapshots.seed(engine, _summarised)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(figure_summary)).scalar() > 0
        for keys in ([], ["month"], ["site_id"]):
            fast = _sorted(figure_sums(conn, filters, keys), keys)
            raw = _sorted(raw_figure_sums(conn, filters, keys), keys)
            pd.testing.assert_frame_equal(fast, raw, check_dtype=False, check_exact=False, rtol=1e-12)


def test_overview_figures_follow_an_unrefreshed_load(engine):
    """A loader that forgot the refresh leaves the figures right (raw rows), and a refresh makes them fast again."""
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, _rows(120))
    with engine.begin() as conn:
        refresh_summaries(conn)
    before = response_figures(engine, Filters())
    EXPERIENCE.responses(engine, [{"visit_date": date(2026, 2, 14), "ltr": 10, "csat": 5, "ces": 7}])
    after = response_figures(engine, Filters())
    assert after.nps.n == before.nps.n + 1 and after.csat.n == before.csat.n + 1 and after.ces.n == before.ces.n + 1
    with engine.begin() as conn:
        refresh_summaries(conn, date(2026, 2, 14), date(2026, 2, 14))
    assert response_figures(engine, Filters()) == after
    trend = response_trend(engine, Filters())
    feb = trend[(trend["month"] == "2026-02") & (trend["kpi"] == "nps")]
    assert int(feb["n"].iloc[0]) == int(raw_figure_sums_for(engine, "2026-02")["nps_n"])


def raw_figure_sums_for(engine, month: str) -> pd.Series:
    with engine.connect() as conn:
        raw = raw_figure_sums(conn, Filters(), ["month"])
    return raw[raw["month"] == month].iloc[0]
