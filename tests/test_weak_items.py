"""Weak items: weakness = (10 - mean score) / 10 x normalised importance, gaps beside them, site correlation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxdash.filters import Filters
from cxdash.metrics.improve.weak_items import normalise_importance, site_correlation, weak_items
from tests.world import CLOSEDLOOP, item_ids, spread


def test_normalise_importance() -> None:
    norm, source = normalise_importance(pd.Series([0.2, 0.4, np.nan, -0.1]))
    assert source == "drivers"
    # Negative weights clip to 0; the missing one gets the mean (0.2 + 0.4 + 0) / 3 = 0.2; all divided by 0.4.
    assert norm.tolist() == pytest.approx([0.5, 1.0, 0.5, 0.0])
    eq, source = normalise_importance(pd.Series([np.nan, np.nan]))
    assert source == "equal" and eq.tolist() == [1.0, 1.0]


def test_equal_weights_without_survey_data(engine) -> None:
    CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    CLOSEDLOOP.inspections(engine, [
        (items["CL-CON02-1"], 1, date(2026, 5, 1), 3.0), (items["CL-CON02-1"], 2, date(2026, 5, 1), 5.0),
        (items["CL-REC01-1"], 1, date(2026, 5, 1), 9.0),
        (items["CL-HND03-1"], 1, date(2026, 5, 1), 6.0),
    ])
    weak = weak_items(engine, Filters(), "en")
    assert weak["item_code"].tolist() == ["CL-CON02-1", "CL-HND03-1", "CL-REC01-1"]
    assert weak["weakness"].tolist() == pytest.approx([0.6, 0.4, 0.1])
    assert weak["importance_source"].unique().tolist() == ["equal"]
    assert weak.loc[0, "n"] == 2 and weak.loc[0, "sites"] == 2
    assert weak.loc[0, "pain_point"] == "Cost surprises at pick-up"
    assert weak["gap_n"].tolist() == [0, 0, 0]
    assert weak_items(engine, Filters(date_from=date(2026, 6, 1)), "en").empty


def test_stated_importance_and_gap_side_by_side(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    days = spread(date(2026, 4, 1), 4)
    # Stated importance 6 at CON02 and 3 at REC01 (shares 2/3 and 1/3 -> normalised 1 and 0.5).
    CLOSEDLOOP.gaps(engine, tps["CON02"], 1, days, [-0.2, -0.1, -0.3, -0.2], importance=6)
    CLOSEDLOOP.gaps(engine, tps["REC01"], 1, days, [0.1, 0.0, 0.1, 0.2], importance=3)
    CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], 1, date(2026, 5, 1), 8.0), (items["CL-REC01-1"], 1, date(2026, 5, 1), 6.0)])
    weak = weak_items(engine, Filters(), "zh-Hans").set_index("item_code")
    assert weak.loc["CL-CON02-1", "importance_norm"] == pytest.approx(1.0)
    assert weak.loc["CL-REC01-1", "importance_norm"] == pytest.approx(0.5)
    assert weak.loc["CL-CON02-1", "weakness"] == pytest.approx(0.2)
    assert weak.loc["CL-REC01-1", "weakness"] == pytest.approx(0.2)
    assert weak.loc["CL-CON02-1", "gap"] == pytest.approx(-0.2)
    assert weak.loc["CL-CON02-1", "gap_n"] == 4
    ref = stats.ttest_1samp([-0.2, -0.1, -0.3, -0.2], 0).confidence_interval(0.95)
    assert weak.loc["CL-CON02-1", "gap_ci_low"] == pytest.approx(ref.low)
    assert weak.loc["CL-CON02-1", "touchpoint_name"] == "结算费用时间及付款方式确认"


def test_site_correlation_matches_scipy(engine) -> None:
    tps = CLOSEDLOOP.org(engine)
    items = item_ids(engine)
    site_scores = {1: [4.0, 5.0], 2: [7.0], 3: [9.0, 8.0], 4: [6.0]}
    site_gaps = {1: [-0.3, -0.2], 2: [-0.05, 0.0], 3: [0.1, 0.15], 4: [-0.15, -0.1]}
    for s, scores in site_scores.items():
        CLOSEDLOOP.inspections(engine, [(items["CL-CON02-1"], s, date(2026, 5, 1), sc) for sc in scores])
        CLOSEDLOOP.gaps(engine, tps["CON02"], s, spread(date(2026, 5, 1), 2), site_gaps[s])
    CLOSEDLOOP.gaps(engine, tps["REC02"], 1, spread(date(2026, 5, 1), 2), [0.9, 0.9])  # REC02 is checked by CL-REC02-1
    corr = site_correlation(engine, Filters(), tps["CON02"])
    x = [np.mean(site_scores[s]) for s in (1, 2, 3, 4)]
    y = [np.mean(site_gaps[s]) for s in (1, 2, 3, 4)]
    assert corr.n_sites == 4
    assert corr.pairs["gap"].tolist() == pytest.approx(y)
    assert corr.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic)
    assert corr.pearson_p == pytest.approx(stats.pearsonr(x, y).pvalue)
    assert corr.spearman_rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert corr.spearman_p == pytest.approx(stats.spearmanr(x, y).pvalue)
    everything = site_correlation(engine, Filters(), None)  # all covered touchpoints pooled per site
    assert everything.pairs.set_index("site_id").loc[1, "n_gaps"] == 4
    few = site_correlation(engine, Filters(site_ids=(1, 2)), tps["CON02"])
    assert few.n_sites == 2 and np.isnan(few.pearson_r)
