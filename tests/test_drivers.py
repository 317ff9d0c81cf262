"""Key drivers: relative weights against an independent computation from the raw data (Johnson's SVD route and
the OLS R^2), and the ranking on a small database where one touchpoint and effort drive likelihood to recommend."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert

from cxdash.filters import Filters
from cxdash.metrics.loyalty.drivers import key_drivers
from cxdash.metrics.stats import relative_weights
from cxdash.schema import stage, touchpoint, touchpoint_score
from tests.world import LOYALTY


def _johnson_from_data(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson (2000) as published: SVD of the standardised X = P D Q', Z = P Q' (the closest orthogonal
    matrix), beta of y on Z, Lambda of X on Z; raw weight_j = sum_k Lambda_jk^2 beta_k^2."""
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    p, _d, qt = np.linalg.svd(zx, full_matrices=False)
    z = p @ qt * np.sqrt(len(y) - 1)  # orthonormal columns rescaled to unit variance, like zx
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]
    return (lam.T**2) @ (beta**2), float(1 - np.sum((zy - z @ beta) ** 2) / np.sum(zy**2))


def test_relative_weights_match_the_svd_route_and_sum_to_r2() -> None:
    rng = np.random.default_rng(11)
    n = 400
    base = rng.normal(size=(n, 1))
    x = np.column_stack([base[:, 0] + rng.normal(size=n) * 0.5, base[:, 0] + rng.normal(size=n), rng.normal(size=n)])
    y = 0.8 * x[:, 0] + 0.3 * x[:, 1] + 0.5 * x[:, 2] + rng.normal(size=n)
    corr = np.corrcoef(np.column_stack([x, y]), rowvar=False)
    weights, r2 = relative_weights(corr)
    expected, r2_svd = _johnson_from_data(x, y)
    assert weights == pytest.approx(expected, rel=1e-6)
    ols = np.linalg.lstsq(np.column_stack([np.ones(n), x]), y, rcond=None)[0]
    resid = y - np.column_stack([np.ones(n), x]) @ ols
    assert r2 == pytest.approx(1 - resid.var() / y.var(), rel=1e-9) == pytest.approx(r2_svd)
    assert weights.sum() == pytest.approx(r2)


def test_uncorrelated_predictors_get_their_squared_correlations() -> None:
    corr = np.array([[1.0, 0.0, 0.3], [0.0, 1.0, 0.5], [0.3, 0.5, 1.0]])
    weights, r2 = relative_weights(corr)
    assert weights == pytest.approx([0.09, 0.25]) and r2 == pytest.approx(0.34)


def _world(engine, n: int = 240) -> list[int]:  # noqa: ANN001
    """Two touchpoints: T1 drives likelihood to recommend, T2 is noise; transfers lower it. Returns the ids."""
    rng = np.random.default_rng(4)
    LOYALTY.org(engine)
    with engine.begin() as conn:
        conn.execute(insert(stage), [{"id": 1, "code": "S", "sort_order": 1, "name_en": "Stage"}])
        conn.execute(insert(touchpoint), [{"id": 1, "stage_id": 1, "code": "T1", "sort_order": 1, "name_en": "Driver",
                                           "name_zh_hans": "驱动"},
                                          {"id": 2, "stage_id": 1, "code": "T2", "sort_order": 2, "name_en": "Noise",
                                           "name_zh_hans": "噪声"}])
    p1, p2 = rng.integers(1, 11, n), rng.integers(1, 11, n)
    transfers = rng.integers(0, 3, n)
    ltr = np.clip(np.rint(0.8 * p1 - 1.0 * transfers + 2 + rng.normal(0, 0.8, n)), 0, 10).astype(int)
    ids = LOYALTY.responses(engine, [{"ltr": int(v), "csat": 3, "ces": 5, "contacts_needed": 1, "transfers": int(tr),
                                 "repeated_story": False, "tp_scale_min": 1, "tp_scale_max": 10,
                                 "visit_date": date(2026, 3, 1)} for v, tr in zip(ltr, transfers, strict=True)])
    with engine.begin() as conn:
        conn.execute(insert(touchpoint_score), [{"response_id": r, "touchpoint_id": tp, "p": float(v)}
                                                for r, a, b in zip(ids, p1, p2, strict=True) for tp, v in ((1, a), (2, b))])
    return ids


def test_key_drivers_rank_the_planted_driver_first(engine) -> None:  # noqa: ANN001
    _world(engine)
    model = key_drivers(engine, Filters(), "ltr", "zh-Hans")
    assert model.n == 240 and 0.5 < model.r2 < 1
    top = model.table.iloc[0]
    assert (top["code"], top["name"], top["kind"]) == ("T1", "驱动", "touchpoint")
    t = model.table.set_index("code")
    assert t.loc["transfers", "direction"] == -1 and t.loc["transfers", "share"] > t.loc["T2", "share"]
    assert t["share"].sum() == pytest.approx(1.0)
    assert "ces" not in t.index  # constant in the data: left out
    assert key_drivers(engine, Filters(date_to=date(2020, 1, 1))).table.empty
    with pytest.raises(ValueError):
        key_drivers(engine, Filters(), "happiness")


def test_the_stored_sample_holds_what_the_live_sample_reads(engine) -> None:  # noqa: ANN001
    """With fresh summaries and enough of the selection in the stored response sample, key drivers read a part of
    it chosen by the sample's hash; its rows carry the same outcome, effort facts and normalised touchpoint P as
    the live path reads for those responses, and the model states their number."""
    from sqlalchemy import select

    from cxdash.metrics.loyalty.drivers import _stored, _touchpoint_p
    from cxdash.schema import survey_response
    from cxdash.summaries import refresh_summaries

    _world(engine, n=3000)
    with engine.begin() as conn:
        refresh_summaries(conn)
    sr = survey_response.c
    with engine.connect() as conn:
        stored = _stored(conn, Filters(), "ltr", 40)
        assert stored is not None and 25 <= len(stored) <= 60  # about 40 of the about 60 sampled responses
        ids = [int(i) for i in stored.index]
        rows = conn.execute(select(sr.id, sr.ltr, sr.ces, sr.contacts_needed, sr.transfers).where(sr.id.in_(ids)))
        live = pd.DataFrame([tuple(r) for r in rows], columns=["response_id", "y", "ces", "contacts_needed",
                                                                "transfers"]).set_index("response_id").astype(float)
        live["repeated_story"] = 0.0
        wide = _touchpoint_p(conn, ids)
        live = live.join(wide.set_axis([f"tp:{c}" for c in wide.columns], axis=1))
        assert _stored(conn, Filters(), "ltr", 100) is None  # the sample holds fewer: read live
    pd.testing.assert_frame_equal(stored.sort_index(), live.sort_index()[stored.columns], check_dtype=False,
                                  check_names=False)
    model = key_drivers(engine, Filters(), "ltr", "en", size=40)
    assert model.n == len(stored) and model.table.iloc[0]["code"] == "T1"
    assert key_drivers(engine, Filters(), "ltr", "en", size=100).n == 100  # live


def test_a_stored_sample_of_at_least_min_stored_rows_is_read_whole(engine, monkeypatch) -> None:  # noqa: ANN001
    """Fewer than ``size`` but at least ``MIN_STORED`` of the selection in the stored sample: all of them are read
    (the sample serves big selections, where a live sample costs most)."""
    from cxdash.metrics.loyalty import drivers
    from cxdash.summaries import refresh_summaries

    _world(engine, n=3000)
    with engine.begin() as conn:
        refresh_summaries(conn)
    with engine.connect() as conn:
        assert drivers._stored(conn, Filters(), "ltr", 100) is None  # about 60 held, fewer than min(100, 2,000)
        monkeypatch.setattr(drivers, "MIN_STORED", 40)
        held = drivers._stored(conn, Filters(), "ltr", 100)
    assert held is not None and 40 <= len(held) < 100
    assert key_drivers(engine, Filters(), "ltr", "en", size=100).n == len(held)
