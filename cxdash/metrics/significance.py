"""Shares with their Wilson interval, and the period-over-period change tests of the overview's KPI cards.

Every change is reported the same way, as :class:`Change`: the difference ``delta`` (current minus previous),
the ``threshold`` that ``|delta|`` must exceed to count as significant at the 5 % level, and the verdict. The
tests (docs/metrics.md):

- NPS: ``|delta| > 1.96 x sqrt(SE1^2 + SE2^2)`` (:func:`cxdash.metrics.nps.compare`),
- shares (CSAT, tier shares, SLA compliance, first-time fix, churn): the pooled two-proportion z-test,
  ``|p1 - p2| > 1.96 x sqrt(p (1 - p) (1/n1 + 1/n2))`` with ``p`` the pooled share,
- means (CES): Welch's t-test, ``|m1 - m2| > t(0.975, df) x sqrt(s1^2/n1 + s2^2/n2)``.

A change is undefined (``None`` everywhere) when either period has no observations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats as sps

Z95 = 1.96  # the two-sided 95 % normal quantile, rounded as docs/metrics.md states it
NPS_TEST, PROPORTION_TEST, WELCH_TEST = "nps_se", "two_proportion_z", "welch_t"


@dataclass(frozen=True)
class Change:
    """Current minus previous, and whether it is beyond noise (``|delta| > threshold``).

    ``significant`` is None when the change cannot be judged (a period without data); ``test`` names the rule.
    """

    delta: float | None
    threshold: float | None
    significant: bool | None
    test: str = ""

    @classmethod
    def undefined(cls, test: str) -> Change:
        """A change that cannot be computed (one period has no data)."""
        return cls(None, None, None, test)

    @classmethod
    def judge(cls, delta: float, threshold: float, test: str) -> Change:
        """Build a change whose verdict is ``|delta| > threshold`` (a zero threshold: any non-zero delta)."""
        delta, threshold = float(delta), float(threshold)  # plain floats, also when numpy values come in
        return cls(delta, threshold, bool(abs(delta) > threshold + 1e-12), test)


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` with the share and its Wilson 95 % interval; ``rate`` and the interval are None at n = 0."""

    n: int
    k: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None


def wilson(k: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    """Wilson score interval of ``k`` successes in ``n`` trials; ``(None, None)`` when n = 0.

    Preferred to the normal (Wald) interval because it stays inside [0, 1] and keeps its coverage for small n and
    shares near 0 or 1, which KPI cards of small sites meet every day.
    """
    if n <= 0:
        return None, None
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(k: int | None, n: int | None) -> Proportion:
    """A :class:`Proportion` from counts (None counts as 0)."""
    k_, n_ = int(k or 0), int(n or 0)
    low, high = wilson(k_, n_)
    return Proportion(n_, k_, k_ / n_ if n_ else None, low, high)


def compare_proportions(cur: Proportion, prev: Proportion) -> Change:
    """Pooled two-proportion z-test of ``cur.rate - prev.rate`` at the 5 % level (see module docstring)."""
    if cur.n == 0 or prev.n == 0 or cur.rate is None or prev.rate is None:
        return Change.undefined(PROPORTION_TEST)
    pooled = (cur.k + prev.k) / (cur.n + prev.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / cur.n + 1 / prev.n))
    return Change.judge(cur.rate - prev.rate, Z95 * se, PROPORTION_TEST)


def compare_means(n1: int, mean1: float | None, sd1: float | None,
                  n2: int, mean2: float | None, sd2: float | None) -> Change:
    """Welch's t-test of ``mean1 - mean2`` at the 5 % level; undefined when a period has fewer than 2 values."""
    if n1 < 2 or n2 < 2 or None in (mean1, mean2, sd1, sd2):
        return Change.undefined(WELCH_TEST)
    assert mean1 is not None and mean2 is not None and sd1 is not None and sd2 is not None
    v1, v2 = sd1 * sd1 / n1, sd2 * sd2 / n2
    se2 = v1 + v2
    if se2 == 0:
        return Change.judge(mean1 - mean2, 0.0, WELCH_TEST)
    dof = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))  # Welch-Satterthwaite
    threshold = float(sps.t.ppf(0.975, dof)) * math.sqrt(se2)
    return Change.judge(mean1 - mean2, threshold, WELCH_TEST)
