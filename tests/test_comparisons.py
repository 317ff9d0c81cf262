"""A unit against the rest (Welch from aggregates) and units ranked for one touchpoint, against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from cxdash.filters import Filters
from cxdash.metrics.comparisons import group_vs_rest, unit_ranking
from cxdash.metrics.experience.gap_trend import gap_trend
from cxdash.summaries import refresh_summaries
from tests.world import EXPERIENCE

# (team, P, E) at CON02 on a 1-7 scale: team 1 (site 1) falls short, the others less so
PAIRS = {1: [(3, 6), (4, 6), (2, 5), (4, 5), (3, 5), (5, 6), (3, 6)],
         2: [(5, 6), (6, 6), (5, 5), (4, 5), (6, 5)],
         3: [(6, 6), (5, 6), (7, 6), (6, 5)],
         4: [(5, 5), (4, 6), (6, 6)]}


def _load(engine, summaries):
    EXPERIENCE.org(engine)
    rows = [{"team_id": team, "scores": [("CON02", p, e), ("REC01", 6, 5)]}
            for team, pairs in PAIRS.items() for p, e in pairs]
    EXPERIENCE.responses(engine, rows)
    if summaries:
        with engine.begin() as conn:
            refresh_summaries(conn)


def _d(teams):
    return np.array([(p - e) / 6 for t in teams for p, e in PAIRS[t]])


@pytest.mark.parametrize("summaries", [False, True])
def test_site_vs_rest(engine, summaries):
    _load(engine, summaries)
    cmp = group_vs_rest(engine, Filters(), "site", 1).set_index("touchpoint_code")
    row = cmp.loc["CON02"]
    a, b = _d([1]), _d([2, 3, 4])
    ref = sps.ttest_ind(a, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert row["n_group"] == len(a) and row["n_rest"] == len(b)
    assert row["diff"] == pytest.approx(a.mean() - b.mean())
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert bool(row["significant"]) == (ref.pvalue < 0.05) and bool(row["low_sample"])
    rec = cmp.loc["REC01"]  # every gap equal on both sides: zero variance, zero difference
    assert rec["diff"] == pytest.approx(0.0) and not rec["significant"]
    assert "VAL01" not in cmp.index or cmp.loc["VAL01", "n_group"] == 0
    with pytest.raises(ValueError):
        group_vs_rest(engine, Filters(site_ids=(2,)), "site", 1)


@pytest.mark.parametrize("summaries", [False, True])
def test_unit_ranking(engine, summaries):
    _load(engine, summaries)
    tp = int(group_vs_rest(engine, Filters(), "site", 1).set_index("touchpoint_code").loc["CON02", "touchpoint_id"])
    rank = unit_ranking(engine, Filters(), tp, "site")
    assert list(rank["key"]) == [1, 2, 3]  # worst first
    assert list(rank["name"]) == ["Site one", "Site two", "Site three"]
    ref = sps.ttest_1samp(_d([3, 4]), 0.0)
    three = rank.set_index("key").loc[3]
    assert three["gap"] == pytest.approx(_d([3, 4]).mean()) and three["p_value"] == pytest.approx(ref.pvalue)
    q = sps.false_discovery_control(rank["p_value"].to_numpy())
    assert np.allclose(rank["q_value"], q)
    teams = unit_ranking(engine, Filters(site_ids=(3,)), tp, "team")
    assert set(teams["key"]) == {3, 4} and "Site three / Team three" in set(teams["name"])
    people = unit_ranking(engine, Filters(), tp, "person")
    assert people.iloc[0]["name"] == "Person 1" and people["low_sample"].all()


def test_gap_trend(engine):
    _load(engine, True)
    tp = int(group_vs_rest(engine, Filters(), "site", 1).set_index("touchpoint_code").loc["CON02", "touchpoint_id"])
    trend = gap_trend(engine, Filters(), tp)
    assert list(trend["period"]) == ["2026-03"]
    assert trend["gap"].iloc[0] == pytest.approx(_d([1, 2, 3, 4]).mean())
    weekly = gap_trend(engine, Filters(), tp, "week")
    assert list(weekly["period"]) == ["2026-03-02"] and weekly["n"].iloc[0] == 19
