"""Statistics from aggregates against scipy and numpy on small hand-made data, edge cases included."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from cxdash.metrics import stats

X = np.array([0.2, -0.1, 0.05, -0.3, 0.15, -0.25, -0.05, 0.1, -0.4])


def _sums(x):
    x = np.asarray(x, dtype=float)
    return len(x), float(x.sum()), float((x * x).sum())


def test_mean_ci_matches_scipy():
    r = stats.mean_ci(*_sums(X))
    t = sps.ttest_1samp(X, 0.0)
    ci = t.confidence_interval(0.95)
    assert r.n == len(X) and r.mean == pytest.approx(X.mean())
    assert r.sd == pytest.approx(X.std(ddof=1))
    assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert r.p_value == pytest.approx(t.pvalue)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_mean_ci_edge_cases():
    empty = stats.mean_ci(0, 0.0, 0.0)
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.p_value)
    one = stats.mean_ci(*_sums([0.3]))
    assert one.mean == pytest.approx(0.3) and math.isnan(one.ci_low) and math.isnan(one.p_value)
    equal = stats.mean_ci(*_sums([0.2] * 5))
    assert equal.ci_low == pytest.approx(0.2) and equal.ci_high == pytest.approx(0.2)
    assert equal.p_value == sps.ttest_1samp([0.2] * 5, 0.0).pvalue == 0.0
    zeros = stats.mean_ci(*_sums([0.0] * 4))
    assert math.isnan(zeros.p_value) and math.isnan(sps.ttest_1samp([0.0] * 4, 0.0).pvalue)


def test_mean_ci_arrays():
    groups = [X[:4], X[4:], np.array([]), np.array([0.5])]
    sums = [_sums(g) for g in groups]
    out = stats.mean_ci_arrays(*zip(*sums, strict=True))
    assert out["mean"][0] == pytest.approx(X[:4].mean())
    assert out["p_value"][1] == pytest.approx(sps.ttest_1samp(X[4:], 0).pvalue)
    assert math.isnan(out["mean"][2]) and math.isnan(out["ci_low"][3])


def test_bh_qvalues_skip_nan():
    p = [0.01, np.nan, 0.04, 0.03, 0.2]
    q = stats.bh_qvalues(p)
    expected = sps.false_discovery_control([0.01, 0.04, 0.03, 0.2])
    assert math.isnan(q[1])
    assert np.allclose(q[[0, 2, 3, 4]], expected)
    # by hand: sorted p 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.0533, 0.0533, 0.2
    assert np.allclose(q[[0, 3, 2, 4]], [0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert stats.bh_qvalues([]).size == 0 and np.isnan(stats.bh_qvalues([np.nan])).all()


def test_wilcoxon():
    assert stats.wilcoxon_p(X) == pytest.approx(sps.wilcoxon(X).pvalue)
    assert math.isnan(stats.wilcoxon_p([]))
    assert math.isnan(stats.wilcoxon_p([0.0, 0.0]))
    assert math.isnan(stats.wilcoxon_p(np.ones(6), max_pairs=5))
    assert stats.wilcoxon_p([0.1] * 6) == pytest.approx(sps.wilcoxon([0.1] * 6).pvalue)


def test_welch_matches_scipy():
    a, b = X[:5], np.array([0.3, 0.1, 0.4, 0.2, 0.35, 0.05])
    r = stats.welch(*_sums(a), *_sums(b))
    t = sps.ttest_ind(a, b, equal_var=False)
    ci = t.confidence_interval(0.95)
    assert r.diff == pytest.approx(a.mean() - b.mean())
    assert r.p_value == pytest.approx(t.pvalue)
    assert (r.ci_low, r.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert r.significant == (t.pvalue < 0.05)
    small = stats.welch(*_sums([0.1]), *_sums(b))
    assert math.isnan(small.p_value) and not small.significant
    flat = stats.welch(*_sums([0.1, 0.1]), *_sums([0.3, 0.3]))
    assert flat.diff == pytest.approx(-0.2) and flat.p_value == 0.0


def test_chi_square_matches_scipy():
    table = [[30, 50, 20], [45, 40, 15]]
    r = stats.chi_square(table)
    ref = sps.chi2_contingency(np.array(table), correction=False)
    assert r.statistic == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
    assert r.dof == 2 and r.n == 200
    # an empty column (no "no tier" answers) is dropped rather than breaking the test
    r2 = stats.chi_square([[30, 50, 20, 0], [45, 40, 15, 0]])
    assert r2.p_value == pytest.approx(ref.pvalue)
    assert math.isnan(stats.chi_square([[1, 2, 3]]).p_value)
    assert math.isnan(stats.chi_square([[0, 0], [0, 0]]).p_value)


def _relative_weights_reference(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson (2000) the long way: orthogonal Z = X Rxx^-1/2 by SVD, regress y on Z, weights via Lambda."""
    zx = (x - x.mean(0)) / x.std(0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    u, _, vt = np.linalg.svd(zx, full_matrices=False)
    z = u @ vt  # the orthonormal matrix closest to X (columns scaled to unit variance below)
    z = z * np.sqrt(len(y) - 1)
    lam = np.linalg.lstsq(z, zx, rcond=None)[0]  # X = Z Lambda
    beta = np.linalg.lstsq(z, zy, rcond=None)[0]
    weights = (lam.T**2) @ (beta**2)
    ols = np.linalg.lstsq(np.c_[np.ones(len(y)), x], y, rcond=None)[0]
    resid = y - np.c_[np.ones(len(y)), x] @ ols
    r2 = 1 - (resid @ resid) / ((y - y.mean()) @ (y - y.mean()))
    return weights, r2


def test_relative_weights_against_regression():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 3))
    x[:, 1] += 0.6 * x[:, 0]  # correlated predictors: where relative weights differ from squared betas
    y = 0.8 * x[:, 0] + 0.3 * x[:, 1] + 0.1 * x[:, 2] + rng.normal(size=200)
    corr = np.corrcoef(np.c_[x, y], rowvar=False)
    w, r2 = stats.relative_weights(corr)
    ref_w, ref_r2 = _relative_weights_reference(x, y)
    assert r2 == pytest.approx(ref_r2)
    assert w.sum() == pytest.approx(r2)
    assert np.allclose(w, ref_w)
    assert np.argmax(w) == 0


def test_relative_weights_uncorrelated_equals_squared_correlations():
    corr = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.3], [0.5, 0.3, 1.0]])
    w, r2 = stats.relative_weights(corr)
    assert np.allclose(w, [0.25, 0.09]) and r2 == pytest.approx(0.34)


def test_correlation_from_sums():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(50, 3))
    data[:, 2] = 1.0  # constant column: correlation 0 instead of NaN
    corr = stats.correlation_from_sums(len(data), data.sum(0), data.T @ data)
    ref = np.corrcoef(data[:, :2], rowvar=False)
    assert np.allclose(corr[:2, :2], ref)
    assert corr[2, 2] == 1.0 and corr[0, 2] == 0.0
