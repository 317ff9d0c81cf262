"""The gap table against values computed independently with numpy and scipy on hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import GAP_COLUMNS, gap_table
from tests.world import EXPERIENCE

# (P, E) pairs at REC01 on a 1-7 scale, at CON02 on mixed scales (1-7 and 0-10 and 0-100).
REC01 = [(5, 6), (4, 6), (6, 6), (3, 5), (7, 6), (5, 7), (4, 4), (2, 5)]
CON02 = [((1, 7), 5, 6), ((0, 10), 6, 9), ((0, 100), 70, 80), ((1, 7), 7, 5), ((0, 10), 3, 3)]


def _load(engine):
    EXPERIENCE.org(engine)
    rows = [{"scores": [("REC01", p, e)]} for p, e in REC01]
    rows += [
        {"tp_scale_min": float(lo), "tp_scale_max": float(hi), "scores": [("CON02", p, e)]}
        for (lo, hi), p, e in CON02
    ]
    rows.append({"scores": [("REC01", 6, None), ("HND02", 5, None)]})  # no E: counts for P, not for the gap
    EXPERIENCE.responses(engine, rows)


def test_gap_table_statistics(engine):
    _load(engine)
    table = gap_table(engine, Filters(), with_importance=False)
    assert list(table.columns[: len(GAP_COLUMNS)]) == GAP_COLUMNS
    assert len(table) == 22 and table["touchpoint_code"].iloc[0] == "REC01"
    rec = table.set_index("touchpoint_code").loc["REC01"]
    d = np.array([(p - e) / 6 for p, e in REC01])
    t = sps.ttest_1samp(d, 0.0)
    ci = t.confidence_interval(0.95)
    assert rec["n"] == len(REC01)
    assert rec["gap"] == pytest.approx(d.mean())
    assert rec["ci_low"] == pytest.approx(ci.low) and rec["ci_high"] == pytest.approx(ci.high)
    assert rec["p_value"] == pytest.approx(t.pvalue)
    assert rec["mean_p"] == pytest.approx(np.mean([(p - 1) / 6 for p, _ in REC01]))
    assert rec["mean_e"] == pytest.approx(np.mean([(e - 1) / 6 for _, e in REC01]))
    assert rec["wilcoxon_p"] == pytest.approx(sps.wilcoxon(d).pvalue)
    # integer items on a 7-point scale: disappointed when P < E
    assert rec["share_disappointed"] == pytest.approx(np.mean([p < e for p, e in REC01]))
    assert bool(rec["low_sample"]) is True

    con = table.set_index("touchpoint_code").loc["CON02"]
    d2 = np.array([(p - e) / (hi - lo) for (lo, hi), p, e in CON02])
    assert con["gap"] == pytest.approx(d2.mean())
    assert con["p_value"] == pytest.approx(sps.ttest_1samp(d2, 0.0).pvalue)
    # 0-100 is a fine scale: disappointed needs d < -1/12 (-0.1 is); integer 1-7 and 0-10 items need d < 0
    assert con["share_disappointed"] == pytest.approx(3 / 5)

    q = sps.false_discovery_control([rec["p_value"], con["p_value"]])
    assert rec["q_value"] == pytest.approx(q[0]) and con["q_value"] == pytest.approx(q[1])
    assert bool(rec["significant"]) == (q[0] < 0.05)

    hnd = table.set_index("touchpoint_code").loc["HND02"]  # P only
    # n of a P-only touchpoint is its answers behind mean P (#19.9); it has no pairs
    assert hnd["n"] == 1 and hnd["n_pairs"] == 0 and math.isnan(hnd["gap"]) and hnd["mean_p"] == pytest.approx(4 / 6)
    assert math.isnan(hnd["q_value"]) and not hnd["significant"]


def test_gap_table_filters_and_empty(engine):
    _load(engine)
    assert gap_table(engine, Filters(site_ids=(2,)), with_importance=False)["n"].sum() == 0
    assert gap_table(engine, Filters(scope_sites=(), scope_teams=()), with_importance=False)["n"].sum() == 0
    zh = gap_table(engine, Filters(), lang="zh-Hans", with_importance=False)
    assert zh["touchpoint_name"].iloc[0] == "保安问候客户"


def test_equal_gaps_and_single_pair(engine):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [{"scores": [("REC02", 3, 5)]} for _ in range(4)] + [{"scores": [("REC03", 5, 4)]}])
    table = gap_table(engine, Filters(), with_importance=False).set_index("touchpoint_code")
    eq = table.loc["REC02"]
    assert eq["gap"] == pytest.approx(-2 / 6)
    assert eq["ci_low"] == pytest.approx(-2 / 6) and eq["ci_high"] == pytest.approx(-2 / 6)
    assert eq["p_value"] == 0.0
    one = table.loc["REC03"]
    assert one["n"] == 1 and one["gap"] == pytest.approx(1 / 6)
    assert math.isnan(one["ci_low"]) and math.isnan(one["p_value"])
