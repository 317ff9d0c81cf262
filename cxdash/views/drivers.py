"""The drivers page's views: what moves likelihood to recommend (or CSAT), and what drives churn.

The two parts change with different controls (the outcome; the churn rule), so each is its own view and a click
on one does not recompute the other; :func:`drivers_view` is the whole page (what ``report drivers`` and the
benchmark read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import Engine

from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import churn_rate, churn_trend
from cxdash.metrics.loyalty.churn_definition import ChurnRule, load_rule
from cxdash.metrics.loyalty.churn_model import ChurnDrivers, churn_drivers
from cxdash.metrics.loyalty.churn_notes import ChurnNote, churn_note, trend_lines
from cxdash.metrics.loyalty.drivers import DriverModel, key_drivers
from cxdash.metrics.significance import Proportion

AT_RISK_SHOWN = 200  # customers in the at-risk list


@dataclass(frozen=True)
class KeyDriversView:
    """Relative weights of the drivers of one outcome, the model's R^2 and its n."""

    model: DriverModel


@dataclass(frozen=True)
class ChurnView:
    """The churn part under one rule: the rule and its notes, the rate, the monthly trend with why months are
    missing, and from one customer walk churn by group, the model, the retention curves and the at-risk list."""

    rule: ChurnRule
    note: ChurnNote
    rate: Proportion
    trend: pd.DataFrame
    trend_lines: tuple[str, ...]
    drivers: ChurnDrivers


@dataclass(frozen=True)
class DriversView:
    """Everything the drivers page shows."""

    key_drivers: KeyDriversView
    churn: ChurnView


def key_drivers_view(engine: Engine, filters: Filters, lang: str = "en", *, outcome: str = "ltr") -> KeyDriversView:
    """The key drivers of ``outcome`` (ltr or csat), touchpoints named in ``lang``."""
    return KeyDriversView(key_drivers(engine, filters, outcome, lang))


def churn_view(engine: Engine, filters: Filters, lang: str = "en", *, churn_mode: str | None = None,
               window_days: int | None = None, as_of: date | None = None, limit: int = AT_RISK_SHOWN) -> ChurnView:
    """The churn part under the rule ``churn_mode`` / ``window_days`` (None: the rule in force), judged as of
    ``as_of`` (None: the end of the range or of the data), with the ``limit`` customers most at risk.

    Raises:
        ValueError: an unknown ``churn_mode`` or a window outside 1..3650 days.
    """
    rule = load_rule(engine, churn_mode, window_days)
    d = rule.definition
    return ChurnView(
        rule, churn_note(engine, filters, as_of, churn_mode, window_days),
        churn_rate(engine, filters, as_of, d.window_days, d.mode),
        churn_trend(engine, filters, as_of, d.window_days, mode=d.mode),
        tuple(trend_lines(engine, filters, lang, d.mode, d.window_days)),
        churn_drivers(engine, filters, lang, limit, as_of, d),
    )


def drivers_view(engine: Engine, filters: Filters, lang: str = "en", *, outcome: str = "ltr",
                 churn_mode: str | None = None) -> DriversView:
    """The drivers page: the key drivers of ``outcome`` and the churn part under ``churn_mode``."""
    return DriversView(key_drivers_view(engine, filters, lang, outcome=outcome),
                       churn_view(engine, filters, lang, churn_mode=churn_mode))
