"""The structure the demo plants for the pages to find: which touchpoints, sites and advisors are weak, how
things change over time, what drives loyalty. Fixed numbers (not drawn from the seed), so every demo database
tells the same story; the seed only changes the noise around it.

Gaps are in points of the 1-10 touchpoint scale (P - E); the pages show them divided by 9 (the 0-1 scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TP_MIN, TP_MAX = 1, 10
# Persistent shortfalls: clearly significant at every size the demo is built.
WEAK_TOUCHPOINTS = {"CON02": -1.4, "RES03": -1.2, "HND02": -1.0}
# Exceeded expectations ("possible overkill" or "keep up" on the matrix).
STRONG_TOUCHPOINTS = {"REC01": 0.7, "HND03": 0.6}
# The touchpoints whose perceived score moves likelihood to recommend most (the drivers page).
DECISIVE_TOUCHPOINTS = ("CON02", "VAL01", "HND02")
# Touchpoints that only some visits pass through, so fewer responses answer them.
PARTLY_ANSWERED = {"REC06": 0.45, "REC07": 0.35}
ANSWER_RATE = 0.97

# Sites (codes of organisation.SITES) with bigger negative gaps and lower NPS; the first has two weak advisors.
WEAK_SITES = ("S12", "S22", "S24", "S34")
WEAK_SITE_ALL = -0.7  # on every touchpoint
WEAK_SITE_WEAK_TP = -0.6  # extra on the weak touchpoints
WEAK_ADVISOR = -1.1  # on every touchpoint, doubled on the weak ones

TREND_SHRINK = 0.35  # the weak touchpoints' shortfall shrinks by this share over the two years
TREND_ALL = 0.1  # every touchpoint's gap rises by this much over the two years
SEASON_AMPLITUDE = 0.15  # worse around the Spring Festival (early February) and the summer peak (August)

# Expectations: mean E per touchpoint before customer and noise effects.
EXPECTATION_MEAN = 7.7
SHARE_WITHOUT_E = 0.03  # surveys without expectation items: their responses get "no tier"

# Effects of a closed action plan that worked, on its touchpoint and site after its due date (points).
PLAN_EFFECT = 1.3


def baseline_gaps(codes: list[str]) -> np.ndarray:
    """Mean gap per touchpoint code: the planted weak and strong ones, zero for the rest."""
    return np.array([WEAK_TOUCHPOINTS.get(c, STRONG_TOUCHPOINTS.get(c, 0.0)) for c in codes])


def planted(codes: list[str]) -> np.ndarray:
    """True for the touchpoints with a planted gap (weak or strong)."""
    return np.array([c in WEAK_TOUCHPOINTS or c in STRONG_TOUCHPOINTS for c in codes])


def answer_rates(codes: list[str]) -> np.ndarray:
    """Probability that a response answers each touchpoint."""
    return np.array([PARTLY_ANSWERED.get(c, ANSWER_RATE) for c in codes])


def seasonality(day_of_year: np.ndarray) -> np.ndarray:
    """Season term of the gap: two troughs a year, early February and early August."""
    return -SEASON_AMPLITUDE * np.cos(2 * np.pi * (day_of_year - 35) / 182.5)


def volume_weight(day_of_year: np.ndarray) -> np.ndarray:
    """Relative visit volume by day of year: a dip over the Spring Festival, more in summer."""
    dip = 1 - 0.35 * np.exp(-(((day_of_year - 38) / 9) ** 2))
    return dip * (1 + 0.12 * np.sin(2 * np.pi * (day_of_year - 100) / 365))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1 / (1 + np.exp(-x))


@dataclass(frozen=True)
class Improvement:
    """A lasting rise of one touchpoint's gap in one site (or team) from a day on: a plan that worked."""

    site: int  # site position
    team: int  # team position, or -1 for the whole site
    tp: int  # touchpoint position
    from_day: int  # day index after which the effect applies
    effect: float = PLAN_EFFECT
