"""Kaplan-Meier retention curves (docs/metrics.md): the share of customers still retained t days after their first
event, by tier.

Per customer (as of the day A, see :mod:`cxdash.metrics.loyalty.churn`): the time runs from the first event (visit,
response or ticket). A churned customer's relationship ends at their last event, or on their churn date when an
upload flagged them with one; that is the event time. A customer who has not churned is still a customer on A
and is censored at A. Customers are grouped by the tier of their first answered response (a fact known at time
zero, so a long relationship with more chances of a bad visit does not flatter the "disappointed" curve).

:func:`kaplan_meier` is the estimator itself (pure numpy): S(t) = prod over event times t_i <= t of
(1 - d_i / n_i), with Greenwood's variance and the log(-log) 95 % interval, which stays inside [0, 1].
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.tiers import TIER_NAMES
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn_definition import ChurnDefinition, get_definition
from cxdash.metrics.loyalty.churn_facts import churn_samples
from cxdash.metrics.significance import Z95

KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "ci_low", "ci_high"]
CURVE_COLUMNS = ["group", "n", *KM_COLUMNS]


def kaplan_meier(durations: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """The Kaplan-Meier estimate at every distinct time with an event or a censoring.

    Args:
        durations: time of each subject (event or censoring), >= 0.
        events: 1 (or True) where the subject's time is an event, 0 where it is censored.

    Returns:
        Columns :data:`KM_COLUMNS`; at equal times events come before censorings (the usual convention).
        The interval is NaN where S is 0 or 1 or the variance is undefined.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    if len(t) == 0:
        return pd.DataFrame(columns=KM_COLUMNS)
    times, index = np.unique(t, return_inverse=True)
    d = np.bincount(index, weights=e, minlength=len(times)).astype(int)
    c = np.bincount(index, weights=~e, minlength=len(times)).astype(int)
    at_risk = len(t) - np.concatenate([[0], np.cumsum(d + c)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = 1 - d / at_risk
        s = np.cumprod(factor)
        # Greenwood: Var(log S) = sum d / (n (n - d)); undefined once everyone at risk has had the event.
        terms = np.where(d > 0, d / (at_risk * (at_risk - d)), 0.0)
        green = np.cumsum(terms)
        low, high = _loglog_interval(s, green)
    return pd.DataFrame({"time": times, "at_risk": at_risk, "events": d, "censored": c, "survival": s,
                         "ci_low": low, "ci_high": high})


def _loglog_interval(s: np.ndarray, green: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The log(-log S) interval: S^exp(+/- z sqrt(V) / log S), V the Greenwood sum."""
    low = np.full(len(s), math.nan)
    high = np.full(len(s), math.nan)
    ok = (s > 0) & (s < 1) & np.isfinite(green)
    log_s = np.log(s[ok])
    half = Z95 * np.sqrt(green[ok]) / np.abs(log_s)
    low[ok] = s[ok] ** np.exp(half)
    high[ok] = s[ok] ** np.exp(-half)
    return low, high


def survival_at(curve: pd.DataFrame, t: float) -> float:
    """S(t) read off a :func:`kaplan_meier` table (1 before the first time)."""
    before = curve[curve["time"] <= t]
    return 1.0 if before.empty else float(before["survival"].iloc[-1])


def curves_by_tier(hist: pd.DataFrame) -> pd.DataFrame:
    """Kaplan-Meier retention of customer histories
    (:data:`~cxdash.metrics.loyalty.customer_features.HISTORY_COLUMNS`) by tier of the first response, plus "all".

    Columns :data:`CURVE_COLUMNS` (``group``: disappointed / basic / delighted / none / all; ``n`` customers in
    the group; ``time`` in days since the first event).
    """
    if hist.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    frames = []
    groups = [("all", hist), *[(g, hist[hist["first_tier"] == g]) for g in TIER_NAMES]]
    for name, part in groups:
        if part.empty:
            continue
        km = kaplan_meier(part["duration"].to_numpy(), part["churned"].to_numpy())
        frames.append(km.assign(group=name, n=len(part)))
    return pd.concat(frames, ignore_index=True)[CURVE_COLUMNS]


def retention_curves(engine: Engine, filters: Filters, as_of: date | None = None,
                     definition: ChurnDefinition | None = None) -> pd.DataFrame:
    """:func:`curves_by_tier` of the bounded customer sample the drivers page follows
    (:func:`cxdash.metrics.loyalty.churn_facts.churn_samples`); the sample size is the ``n`` of "all"."""
    with engine.connect() as conn:
        d = definition or get_definition(conn)
        hist = churn_samples(conn, filters, as_of, d).histories
    return curves_by_tier(hist)
