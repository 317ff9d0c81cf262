"""Statistics from aggregates: what SQL can sum up (count, sum, sum of squares) turned into tests and intervals.

Every function here is pure (no database) so it can be checked against scipy and numpy on small data. The
database returns ``n``, ``sum x`` and ``sum x^2`` per group; means, t-intervals, one-sample t-tests and Welch
comparisons follow from those three numbers without ever loading the rows.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
WILCOXON_MAX_PAIRS = 5000
LOW_SAMPLE = 30
ALPHA = 0.05
_ZERO = 1e-12  # means and differences of normalised scores closer to 0 than this are 0 (rounding dust)


@dataclass(frozen=True)
class MeanCI:
    """Mean of a sample with its t-based interval and the one-sample t-test against zero."""

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class Difference:
    """A difference of two means (Welch): estimate, interval, p-value."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool


@dataclass(frozen=True)
class ChiSquare:
    """A chi-square test of independence on a contingency table."""

    statistic: float
    dof: int
    p_value: float
    n: int


def variance_from_sums(n: float, s: float, ss: float) -> float:
    """Sample variance (n - 1 denominator) from count, sum and sum of squares; NaN when n < 2.

    For constant data rounding leaves ``ss - s^2/n`` a hair off zero (either side); anything within a relative
    1e-10 of the sum of squares is zero variance, so "all gaps equal" is recognised as such.
    """
    if n < 2:
        return math.nan
    centred = ss - s * s / n
    if centred <= 1e-10 * abs(ss):
        return 0.0
    return centred / (n - 1)


def _zero_variance_p(mean: float) -> float:
    """With no spread a non-zero mean is certain (p = 0); a zero mean is 0/0 (NaN), as in scipy."""
    return math.nan if abs(mean) <= _ZERO else 0.0


def mean_ci(n: float, s: float, ss: float, confidence: float = CONFIDENCE) -> MeanCI:
    """Mean, t-interval and two-sided one-sample t-test p-value (H0: mean = 0) from n, sum and sum of squares.

    n = 0 gives all NaN; n = 1 gives the mean with NaN interval and p. With zero variance the interval collapses
    on the mean and p is 0 (mean != 0) or NaN (mean = 0), as ``scipy.stats.ttest_1samp`` does.
    """
    n = int(n or 0)
    if n == 0:
        return MeanCI(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = s / n
    var = variance_from_sums(n, s, ss)
    if math.isnan(var):
        return MeanCI(n, mean, math.nan, math.nan, math.nan, math.nan)
    sd = math.sqrt(var)
    se = sd / math.sqrt(n)
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1)) * se
    p = _zero_variance_p(mean) if se == 0 else float(2 * sps.t.sf(abs(mean / se), n - 1))
    return MeanCI(n, mean, sd, mean - half, mean + half, p)


def mean_ci_arrays(
    n: Sequence[float] | np.ndarray,
    s: Sequence[float] | np.ndarray,
    ss: Sequence[float] | np.ndarray,
    confidence: float = CONFIDENCE,
) -> dict[str, np.ndarray]:
    """Vectorised :func:`mean_ci` over groups: returns arrays ``mean, sd, ci_low, ci_high, p_value``."""
    rows = [mean_ci(a, b, c, confidence) for a, b, c in zip(n, s, ss, strict=True)]
    return {
        "mean": np.array([r.mean for r in rows], dtype=float),
        "sd": np.array([r.sd for r in rows], dtype=float),
        "ci_low": np.array([r.ci_low for r in rows], dtype=float),
        "ci_high": np.array([r.ci_high for r in rows], dtype=float),
        "p_value": np.array([r.p_value for r in rows], dtype=float),
    }


def bh_qvalues(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values; NaN p-values stay NaN and do not count towards the number of tests."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = sps.false_discovery_control(np.clip(p[ok], 0.0, 1.0), method="bh")
    return q


def wilcoxon_p(diffs: Sequence[float] | np.ndarray, max_pairs: int = WILCOXON_MAX_PAIRS) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences against zero.

    NaN when there are no pairs, more than ``max_pairs`` pairs (too costly to fetch; the t-test stands alone),
    or every difference is zero (no ranks to test).
    """
    d = np.asarray(diffs, dtype=float)
    d = d[~np.isnan(d)]
    if d.size == 0 or d.size > max_pairs or np.all(d == 0):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about ties / small n; the p-value is still the right one
        return float(sps.wilcoxon(d, zero_method="wilcox").pvalue)


def welch(
    n1: float, s1: float, ss1: float, n2: float, s2: float, ss2: float, confidence: float = CONFIDENCE
) -> Difference:
    """Welch's t-test and interval for mean1 - mean2 from each group's n, sum and sum of squares.

    NaN (and not significant) when either group has fewer than 2 values or both variances are zero.
    """
    if n1 < 2 or n2 < 2:
        diff = (s1 / n1 - s2 / n2) if n1 and n2 else math.nan
        return Difference(diff, math.nan, math.nan, math.nan, False)
    m1, m2 = s1 / n1, s2 / n2
    v1, v2 = variance_from_sums(n1, s1, ss1) / n1, variance_from_sums(n2, s2, ss2) / n2
    diff = m1 - m2
    se2 = v1 + v2
    if se2 == 0:
        if abs(diff) <= _ZERO:  # sums subtracted from sums leave rounding dust where the truth is zero
            return Difference(0.0, 0.0, 0.0, math.nan, False)
        return Difference(diff, diff, diff, 0.0, True)
    dof = se2**2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    se = math.sqrt(se2)
    half = float(sps.t.ppf(0.5 + confidence / 2, dof)) * se
    p = float(2 * sps.t.sf(abs(diff / se), dof))
    return Difference(diff, diff - half, diff + half, p, p < 1 - confidence)


def chi_square(table: Sequence[Sequence[float]] | np.ndarray) -> ChiSquare:
    """Chi-square test of independence (no continuity correction) on a rows x columns table of counts.

    Rows or columns that are all zero are dropped first (they carry no information and would make the expected
    counts zero); with fewer than two rows or columns left the result is NaN.
    """
    arr = np.asarray(table, dtype=float)
    total = int(arr.sum()) if arr.size else 0
    if arr.ndim != 2:
        return ChiSquare(math.nan, 0, math.nan, total)
    arr = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        return ChiSquare(math.nan, 0, math.nan, total)
    res = sps.chi2_contingency(arr, correction=False)
    return ChiSquare(float(res.statistic), int(res.dof), float(res.pvalue), total)


def relative_weights(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's (2000) relative weights from a correlation matrix whose LAST row/column is the outcome.

    Returns ``(weights, r2)``: raw weights per predictor that sum to the model R^2. Divide by ``r2`` for the
    share of R^2. Predictors are made orthogonal through the symmetric square root of their correlation matrix
    (eigen-decomposition); near-zero eigenvalues (collinear or constant predictors) are dropped.
    """
    c = np.asarray(corr, dtype=float)
    rxx, rxy = c[:-1, :-1], c[:-1, -1]
    evals, evecs = np.linalg.eigh(rxx)
    keep = evals > 1e-10
    if not keep.any():
        return np.zeros(rxx.shape[0]), 0.0
    lam = evecs[:, keep] @ np.diag(np.sqrt(evals[keep])) @ evecs[:, keep].T  # Rxx^(1/2)
    inv_sqrt = evecs[:, keep] @ np.diag(1 / np.sqrt(evals[keep])) @ evecs[:, keep].T
    beta = inv_sqrt @ rxy  # outcome regressed on the orthogonal counterparts Z
    weights = (lam**2) @ (beta**2)
    r2 = float(beta @ beta)
    return weights, r2


def correlation_from_sums(n: float, sx: np.ndarray, sxx: np.ndarray) -> np.ndarray:
    """Correlation matrix from n, the vector of sums and the matrix of sums of cross products.

    Constant variables get correlation 0 with everything else (and 1 with themselves) instead of NaN.
    """
    sx = np.asarray(sx, dtype=float)
    cov = (np.asarray(sxx, dtype=float) - np.outer(sx, sx) / n) / (n - 1)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[~np.isfinite(corr)] = 0.0
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)
