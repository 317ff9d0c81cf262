"""Importance: stated shares, and derived relative weights against an independent numpy computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxdash.filters import Filters
from cxdash.metrics.experience.gaps import gap_table
from cxdash.metrics.experience.importance import importance_table
from cxdash.metrics.experience.ipa import ipa_matrix, quadrant
from tests.world import EXPERIENCE

CODES = ["REC01", "CON02", "HND02"]


def _johnson(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Relative weights the long way: Z = the orthonormal matrix closest to X (SVD), y on Z, X on Z."""
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    u, _, vt = np.linalg.svd(zx, full_matrices=False)
    z = (u @ vt) * np.sqrt(len(y) - 1)
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    w = (lam.T**2) @ (beta**2)
    return w, float(w.sum())


def _derived_data(engine, n=400, seed=11):
    rng = np.random.default_rng(seed)
    p = rng.integers(1, 8, size=(n, 3)).astype(float)
    p[:, 1] = np.clip(np.round(0.5 * p[:, 0] + 0.5 * p[:, 1]), 1, 7)  # correlated predictors
    overall = np.clip(0.2 * p[:, 0] + 0.6 * p[:, 1] + 0.1 * p[:, 2] + rng.normal(0, 0.8, n), 1, 7)
    EXPERIENCE.org(engine)
    rows = [{"overall_p": float(overall[i]), "overall_e": 5.0, "overall_scale_min": 1.0, "overall_scale_max": 7.0,
             "scores": [(c, float(p[i, j]), 5.0) for j, c in enumerate(CODES)]} for i in range(n)]
    EXPERIENCE.responses(engine, rows)
    return p, overall


def test_derived_relative_weights(engine):
    p, overall = _derived_data(engine)
    imp = importance_table(engine, Filters()).set_index("touchpoint_id")
    assert set(imp["importance_source"]) == {"derived"}
    assert imp["n"].iloc[0] == len(overall)
    w, r2 = _johnson((p - 1) / 6, (overall - 1) / 6)
    table = gap_table(engine, Filters()).set_index("touchpoint_code")
    got = [table.loc[c, "importance"] for c in CODES]
    assert np.allclose(got, w / r2, atol=1e-9)
    assert imp["r2"].iloc[0] == pytest.approx(r2)
    assert table.loc["CON02", "importance"] == max(got)  # the decisive one ranks first
    assert math.isnan(table.loc["VAL01", "importance"])  # never answered: no weight


def test_stated_importance(engine):
    EXPERIENCE.org(engine)
    EXPERIENCE.responses(engine, [
        {"scores": [("REC01", 5, 6, 8.0), ("CON02", 4, 6, 4.0)]},
        {"scores": [("REC01", 6, 6, 6.0), ("CON02", 3, 6, 2.0)]},
    ])
    imp = importance_table(engine, Filters()).set_index("touchpoint_id")
    table = gap_table(engine, Filters()).set_index("touchpoint_code")
    assert table.loc["REC01", "importance"] == pytest.approx(7 / 10)
    assert table.loc["CON02", "importance"] == pytest.approx(3 / 10)
    assert set(imp["importance_source"]) == {"stated"}


def test_no_data_no_importance(engine):
    EXPERIENCE.org(engine)
    assert importance_table(engine, Filters()).empty
    assert gap_table(engine, Filters())["importance"].isna().all()


def test_ipa_quadrants():
    assert quadrant(-0.1, 0.3, 0.0, 0.2) == "concentrate"
    assert quadrant(0.1, 0.3, 0.0, 0.2) == "keep_up"
    assert quadrant(-0.1, 0.1, 0.0, 0.2) == "low_priority"
    assert quadrant(0.1, 0.1, 0.0, 0.2) == "overkill"


def test_ipa_matrix_cuts_at_means(engine):
    _derived_data(engine, n=200, seed=3)
    table = gap_table(engine, Filters())
    points, kind, x_cut, y_cut = ipa_matrix(table)
    assert kind == "gap" and len(points) == 3
    assert x_cut == pytest.approx(points["x"].mean()) and y_cut == pytest.approx(points["y"].mean())
    for _, r in points.iterrows():
        assert r["quadrant"] == quadrant(r["x"], r["y"], x_cut, y_cut)


def test_derived_from_the_stored_sample(engine, monkeypatch):
    from cxdash.metrics.experience import importance
    from cxdash.summaries import refresh_summaries, sample

    monkeypatch.setattr(sample, "RATE", 1.0)  # every response in the stored sample: it must give the exact answer
    monkeypatch.setattr(importance, "MIN_STORED", 30)
    p, overall = _derived_data(engine, n=300, seed=5)
    with engine.begin() as conn:
        refresh_summaries(conn)
    imp = importance_table(engine, Filters()).set_index("touchpoint_id")
    w, r2 = _johnson((p - 1) / 6, (overall - 1) / 6)
    table = gap_table(engine, Filters()).set_index("touchpoint_code")
    assert np.allclose([table.loc[c, "importance"] for c in CODES], w / r2, atol=1e-9)
    assert imp["n"].iloc[0] == 300
    scoped = importance_table(engine, Filters(scope_sites=(), scope_teams=()))
    assert scoped.empty  # the stored sample obeys the row-level scope too
