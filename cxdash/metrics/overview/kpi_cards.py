"""A KPI card: one figure with its interval, the previous period, the change verdict and the target.

Builders turn a metric's current and previous result into a :class:`KpiCard`; which change test applies follows
from the kind of figure (:mod:`cxdash.metrics.significance`). Cards are plain frozen data, so pages, the CLI and
caches handle them alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from cxdash.domain.kpis import COUNT, LOWER_IS_BETTER, POINTS, SCALE, SHARE, target_met
from cxdash.metrics.nps import NpsResult, compare
from cxdash.metrics.satisfaction import CesResult
from cxdash.metrics.significance import Change, Proportion, compare_means, compare_proportions

SIGNIFICANT, WITHIN_NOISE, NO_COMPARISON = "significant", "within_noise", "no_comparison"


@dataclass(frozen=True)
class KpiCard:
    """One KPI of the overview: current value, interval, previous value, change, target."""

    key: str
    group: str
    unit: str
    value: float | None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    previous: float | None = None
    change: Change | None = None
    target: float | None = None
    target_met: bool | None = None

    @property
    def lower_is_better(self) -> bool:
        """True for KPIs where a smaller value is the better one (churn, disappointed share, ...)."""
        return self.key in LOWER_IS_BETTER

    @property
    def verdict(self) -> str:
        """``significant``, ``within_noise`` or ``no_comparison`` (no previous period or no data in one)."""
        if self.change is None or self.change.significant is None:
            return NO_COMPARISON
        return SIGNIFICANT if self.change.significant else WITHIN_NOISE

    @property
    def delta(self) -> float | None:
        """Current minus previous value (None without a comparison)."""
        return None if self.change is None else self.change.delta

    def as_record(self) -> dict[str, Any]:
        """Flat plain values: the card's fields with the change spread into delta, threshold, verdict, test."""
        rec = {k: v for k, v in asdict(self).items() if k != "change"}
        ch = self.change
        rec.update(delta=self.delta, threshold=None if ch is None else ch.threshold,
                   verdict=self.verdict, test=None if ch is None else ch.test)
        return rec


def _with_target(card: KpiCard, targets: dict[str, float]) -> KpiCard:
    target = targets.get(card.key)
    return replace(card, target=target, target_met=target_met(card.key, card.value, target))


def nps_card(cur: NpsResult, prev: NpsResult | None, targets: dict[str, float]) -> KpiCard:
    """The NPS card: score, its 95 % interval, and the change judged by the NPS SE rule."""
    card = KpiCard("nps", "loyalty", POINTS, cur.score, cur.n, cur.ci_low, cur.ci_high,
                   None if prev is None else prev.score, None if prev is None else compare(cur, prev))
    return _with_target(card, targets)


def share_card(key: str, group: str, cur: Proportion, prev: Proportion | None,
               targets: dict[str, float]) -> KpiCard:
    """A share card: rate, Wilson interval, and the change judged by the two-proportion z-test."""
    card = KpiCard(key, group, SHARE, cur.rate, cur.n, cur.ci_low, cur.ci_high,
                   None if prev is None else prev.rate,
                   None if prev is None else compare_proportions(cur, prev))
    return _with_target(card, targets)


def ces_card(cur: CesResult, prev: CesResult | None, targets: dict[str, float]) -> KpiCard:
    """The CES card: mean, t-interval, and the change judged by Welch's t-test."""
    change = None if prev is None else compare_means(cur.n, cur.mean, cur.sd, prev.n, prev.mean, prev.sd)
    card = KpiCard("ces", "effort", SCALE, cur.mean, cur.n, cur.ci_low, cur.ci_high,
                   None if prev is None else prev.mean, change)
    return _with_target(card, targets)


def count_card(key: str, group: str, value: int, targets: dict[str, float]) -> KpiCard:
    """A count card (open or overdue plans): a state as of a day, without interval or comparison."""
    return _with_target(KpiCard(key, group, COUNT, float(value)), targets)
