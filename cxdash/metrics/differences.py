"""Differences between two groups with their 95 % intervals: NPS (from the SEs) and shares (Newcombe).

- NPS: delta = NPS1 - NPS2, SE = sqrt(SE1^2 + SE2^2) (independent groups), interval delta +/- 1.96 SE; the same
  rule as the period-over-period test of docs/metrics.md.
- Shares: delta = p1 - p2 with Newcombe's hybrid score interval (method 10, from the two Wilson intervals),
  which keeps its coverage for small groups and shares near 0 or 1 where the Wald interval does not.

A difference is ``significant`` when its interval excludes zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxdash.metrics.nps import NpsResult
from cxdash.metrics.significance import Z95, Proportion


@dataclass(frozen=True)
class Diff:
    """Group 1 minus group 2 with its 95 % interval (all None when either group is empty)."""

    delta: float | None
    ci_low: float | None
    ci_high: float | None

    @property
    def significant(self) -> bool | None:
        """True when the interval excludes zero; None when undefined."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low > 0 or self.ci_high < 0


NONE = Diff(None, None, None)


def nps_diff(a: NpsResult, b: NpsResult) -> Diff:
    """NPS of ``a`` minus NPS of ``b`` with the normal interval from both standard errors."""
    if a.score is None or b.score is None or a.se is None or b.se is None:
        return NONE
    delta = a.score - b.score
    half = Z95 * math.hypot(a.se, b.se)
    return Diff(delta, delta - half, delta + half)


def proportion_diff(a: Proportion, b: Proportion) -> Diff:
    """Share of ``a`` minus share of ``b`` with Newcombe's hybrid score interval."""
    if a.rate is None or b.rate is None or a.ci_low is None or b.ci_low is None:
        return NONE
    assert a.ci_high is not None and b.ci_high is not None
    p1, p2 = a.rate, b.rate
    delta = p1 - p2
    low = delta - math.sqrt((p1 - a.ci_low) ** 2 + (b.ci_high - p2) ** 2)
    high = delta + math.sqrt((a.ci_high - p1) ** 2 + (p2 - b.ci_low) ** 2)
    return Diff(delta, low, high)
