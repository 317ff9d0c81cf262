"""Median and 90th percentile of business minutes to first response and to resolution.

Times are counted per value **rounded down to two significant digits** (whole minutes below 100 minutes, tens of
minutes below 1,000, hundreds below 10,000, ...: :func:`cxdash.summaries.tickets.minutes_bucket`), and the ranks
are found in the cumulative counts with the interpolation of ``percentile_cont`` (numpy's default "linear"). The
counts are additive, so a selection's come from the ticket time summaries (:mod:`cxdash.summaries.tickets`)
where a grain keeps its filters and grouping, else from the raw tickets rounded the same way (``GROUP BY key,
value``): the same figure either way, on SQLite and PostgreSQL alike. Tickets without a time (still open) have
no elapsed time and are not counted; merged tickets are left out.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from cxdash.filters import Filters
from cxdash.metrics.service.counts import raw_key
from cxdash.metrics.service.sql import where_for
from cxdash.schema import ticket
from cxdash.summaries.tickets import minutes_bucket
from cxdash.summaries.tickets_read import time_counts

t = ticket.c
MEASURES = {"frt": t.frt_business_min, "res": t.res_business_min}
_MEASURE_IDS = {"frt": 0, "res": 1}  # the measure ids of the time summary (cxdash.summaries.tickets.MEASURES)
QUANTILES = (0.5, 0.9)


def _labels(q: float) -> str:
    return "median" if q == 0.5 else f"p{round(q * 100)}"


def _raw_counts(engine: Engine, conn: Any, key: Any) -> Any:
    """A function counting the raw tickets of a selection per (measure id, key) and rounded value (key None
    without ``key``)."""
    keyed = [key] if key is not None else []

    def run(filters: Filters) -> dict[tuple[int, Any], dict[float, int]]:
        out: dict[tuple[int, Any], dict[float, int]] = {}
        for name, col in MEASURES.items():
            bucket = minutes_bucket(col)
            stmt = (select(*keyed, bucket, func.count())
                    .where(where_for(engine, filters), col.is_not(None)).group_by(*keyed, bucket))
            for r in conn.execute(stmt):
                k = r[0] if keyed else None
                out.setdefault((_MEASURE_IDS[name], k), {})[float(r[-2])] = int(r[-1])
        return out

    return run


def time_percentiles(
    engine: Engine, filters: Filters, group: Any = None, quantiles: tuple[float, ...] = QUANTILES
) -> pd.DataFrame:
    """Per group and measure (frt, res): n and the quantiles of business minutes (rounded as the module says).

    ``group``: None for all tickets (key ``"all"``), a grouping name (``priority``, ``category``, ``channel``,
    ``site``, ``team``, ``agent``, ``month``, ``week``) or a SQL expression on ``ticket`` (always read raw).
    Columns: ``key``, ``frt_n``, ``frt_median``, ``frt_p90``, ``res_n``, ...
    """
    by = group if isinstance(group, str) else None
    key = raw_key(engine, by) if by else group
    with engine.connect() as conn:
        raw = _raw_counts(engine, conn, key)
        counts = raw(filters) if group is not None and by is None else time_counts(conn, filters, by, raw)
    if group is None:
        counts = {(m, "all"): hist for (m, _), hist in counts.items()}  # one group: key None throughout
    keys = sorted({k for _, k in counts}, key=lambda k: (k is None, str(k)))
    rows = []
    for k in keys:
        row: dict[str, Any] = {"key": k}
        for name in MEASURES:
            stats = _quantiles(counts.get((_MEASURE_IDS[name], k), {}), quantiles)
            row.update({f"{name}_{s}": v for s, v in stats.items()})
        rows.append(row)
    cols = ["key", *(f"{name}_{s}" for name in MEASURES for s in ("n", *(_labels(q) for q in quantiles)))]
    return pd.DataFrame(rows, columns=cols)


def _quantiles(hist: dict[float, int], quantiles: tuple[float, ...]) -> dict[str, Any]:
    """n and the quantiles (``percentile_cont``) of the values counted in ``hist`` {value: count}."""
    pairs = sorted((x, c) for x, c in hist.items() if c > 0)
    n = sum(c for _, c in pairs)
    out: dict[str, Any] = {"n": n}
    if not n:
        return {**out, **{_labels(q): float("nan") for q in quantiles}}
    values = np.array([v for v, _ in pairs])
    ends = np.cumsum([c for _, c in pairs])  # value i holds the sorted positions ends[i-1] .. ends[i] - 1
    for q in quantiles:
        rank = (n - 1) * q
        lo, hi = (values[np.searchsorted(ends, p, side="right")] for p in (math.floor(rank), math.ceil(rank)))
        out[_labels(q)] = float(lo + (rank - math.floor(rank)) * (hi - lo))
    return out
