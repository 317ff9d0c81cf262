"""Ticket SLA compliance, first-time fix, reopen and repeat contacts, times and backlog (docs/metrics.md).

Everything aggregates in SQL over the stored per-ticket SLA facts (:mod:`cxdash.service.compute`) and a moment
``now`` (default: the current UTC time), so results are deterministic in tests. Merged tickets are left out of
every figure here and counted on their own (:attr:`SlaSummary.merged`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, and_, select

from cxdash.domain.service_sql import breached_open, count_if, is_open, ratio, utcnow
from cxdash.filters import Filters
from cxdash.metrics.service.counts import outcome_counts
from cxdash.metrics.service.sql import base_where
from cxdash.metrics.significance import wilson
from cxdash.schema import ticket

t = ticket.c


@dataclass(frozen=True)
class Rate:
    """A share: ``k`` of ``n`` (rate NaN when n = 0)."""

    n: int
    k: int
    rate: float

    @classmethod
    def of(cls, k: int | None, n: int | None) -> Rate:
        """Build from counts (None counts as 0)."""
        return cls(int(n or 0), int(k or 0), ratio(k, n))

    @property
    def ci(self) -> tuple[float | None, float | None]:
        """The Wilson 95 % interval of the share (``(None, None)`` when n = 0), as the overview's share cards."""
        return wilson(self.k, self.n)


@dataclass(frozen=True)
class SlaSummary:
    """The headline SLA figures for a selection of tickets.

    ``first_response`` / ``resolution``: compliance = met / (met + breached) (``n`` = met + breached);
    ``ftf``: first-time fixes over resolved tickets; ``reopen``: reopened over tickets resolved at least once;
    ``repeat``: repeat contacts over all tickets; ``chased``: tickets with a customer reminder over all tickets.
    ``reopen_rate`` / ``repeat_rate`` repeat those rates as plain numbers. ``at_risk`` and ``breached_open``
    count open tickets; ``n`` counts the selected tickets, ``merged`` the merged ones left out.
    """

    n: int
    first_response: Rate
    resolution: Rate
    ftf: Rate
    reopen: Rate
    repeat: Rate
    chased: Rate
    reopen_rate: float
    repeat_rate: float
    at_risk: int
    breached_open: int
    open: int
    merged: int


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


def summary_from_row(row: dict, merged: int = 0) -> SlaSummary:
    """Build a :class:`SlaSummary` from one row of :func:`cxdash.metrics.service.counts.outcome_counts`."""
    g = {k: int(v or 0) for k, v in row.items() if k in _COUNT_KEYS}
    reopen = Rate.of(g["reopened"], g["was_resolved"])
    repeat = Rate.of(g["repeats"], g["n"])
    return SlaSummary(
        n=g["n"],
        first_response=Rate.of(g["frt_met"], g["frt_met"] + g["frt_breached"]),
        resolution=Rate.of(g["res_met"], g["res_met"] + g["res_breached"]),
        ftf=Rate.of(g["ftf"], g["resolved"]),
        reopen=reopen,
        repeat=repeat,
        chased=Rate.of(g["chased"], g["n"]),
        reopen_rate=reopen.rate,
        repeat_rate=repeat.rate,
        at_risk=g["at_risk"],
        breached_open=g["breached_open"],
        open=g["open"],
        merged=merged,
    )


_COUNT_KEYS = (
    "n", "frt_met", "frt_breached", "res_met", "res_breached", "resolved", "ftf", "was_resolved",
    "reopened", "repeats", "chased", "at_risk", "breached_open", "open",
)


def sla_summary(engine: Engine, filters: Filters, now: datetime | None = None) -> SlaSummary:
    """Headline SLA figures for the filters' tickets (created in the date range) as of ``now``."""
    now = _now(now)
    row = outcome_counts(engine, filters, now)[0]
    return summary_from_row(row, row["merged"])


def sla_trend(engine: Engine, filters: Filters, now: datetime | None = None, period: str = "month") -> pd.DataFrame:
    """Per creation month (or week: ``period="week"``, labelled by its Monday) the SLA rates and counts.

    Columns: ``month`` (or ``week``), ``n``, ``first_response_rate``, ``resolution_rate``, ``ftf_rate``,
    ``reopen_rate``, ``repeat_rate``, ``chased_rate``, plus the counts behind them
    (``frt_n``, ``res_n``, ``resolved``, ...).
    """
    if period not in ("month", "week"):
        raise ValueError("period must be 'month' or 'week'")
    now = _now(now)
    rows = outcome_counts(engine, filters, now, by=period)
    rows = sorted(({**r, period: r.pop("key")} for r in rows), key=lambda r: str(r[period]))
    return rates_frame(rows, period)


# Rate column -> the column of its denominator, for the trend charts' interval bands and tooltips.
INTERVAL_RATES = {"first_response_rate": "frt_n", "resolution_rate": "res_n", "ftf_rate": "resolved",
                  "reopen_rate": "reopen_n", "repeat_rate": "n"}


def rates_frame(rows: list[dict], key: str) -> pd.DataFrame:
    """Turn rows of outcome counts (with a grouping column ``key``) into rates with their n.

    Every rate of :data:`INTERVAL_RATES` also gets its Wilson 95 % interval (``<rate>_ci_low`` /
    ``<rate>_ci_high``), and ``reopen_n`` holds the reopen rate's denominator (tickets resolved at least once).
    """
    cols = [key, "n", "first_response_rate", "frt_n", "resolution_rate", "res_n", "ftf_rate", "resolved",
            "reopen_rate", "reopen_n", "repeat_rate", "chased_rate", "at_risk", "breached_open", "open",
            *[f"{r}_ci_{end}" for r in INTERVAL_RATES for end in ("low", "high")]]
    out = []
    for r in rows:
        s = summary_from_row(r)
        out.append({
            key: r[key], "n": s.n,
            "first_response_rate": s.first_response.rate, "frt_n": s.first_response.n,
            "resolution_rate": s.resolution.rate, "res_n": s.resolution.n,
            "ftf_rate": s.ftf.rate, "resolved": s.ftf.n,
            "reopen_rate": s.reopen.rate, "reopen_n": s.reopen.n, "repeat_rate": s.repeat.rate,
            "chased_rate": s.chased.rate, "at_risk": s.at_risk, "breached_open": s.breached_open, "open": s.open,
        })
        for name, rate in (("first_response_rate", s.first_response), ("resolution_rate", s.resolution),
                           ("ftf_rate", s.ftf), ("reopen_rate", s.reopen), ("repeat_rate", s.repeat)):
            out[-1][f"{name}_ci_low"], out[-1][f"{name}_ci_high"] = rate.ci
    return pd.DataFrame(out, columns=cols)


BACKLOG_BUCKETS: tuple[tuple[str, float, float], ...] = (
    ("lt1d", 0, 1),
    ("1to3d", 1, 3),
    ("3to7d", 3, 7),
    ("7to30d", 7, 30),
    ("gt30d", 30, float("inf")),
)


def backlog_by_age(engine: Engine, filters: Filters, now: datetime | None = None) -> pd.DataFrame:
    """Open tickets by calendar age at ``now`` (buckets of :data:`BACKLOG_BUCKETS`): columns bucket, n, breached.

    Ages become creation-time bounds computed here, so SQL only counts rows between two bound timestamps.
    """
    now = _now(now)
    cols = []
    for code, lo, hi in BACKLOG_BUCKETS:
        cond = t.created_at <= now - timedelta(days=lo)
        if hi != float("inf"):
            cond = and_(cond, t.created_at > now - timedelta(days=hi))
        cols += [count_if(cond).label(f"n_{code}"), count_if(and_(cond, breached_open(now))).label(f"b_{code}")]
    stmt = select(*cols).where(base_where(filters), is_open())
    with engine.connect() as conn:
        row = conn.execute(stmt).one()._mapping
    return pd.DataFrame(
        [{"bucket": code, "n": int(row[f"n_{code}"]), "breached": int(row[f"b_{code}"])} for code, _, _ in BACKLOG_BUCKETS]
    )
