"""SLA figures by priority, category, channel, site, team or agent, and the Pareto of categories.

One grouped pass computes every outcome count per group (:func:`cxdash.domain.service_sql.outcome_columns`);
percentiles come from :mod:`cxdash.metrics.service.percentiles`; merged tickets are counted per group on their own.
Organisation groups carry their names; groups keep their raw key (id or value) for drill-downs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from cxdash.domain.service_sql import utcnow
from cxdash.filters import Filters
from cxdash.metrics.org_names import org_names
from cxdash.metrics.service.compliance import rates_frame
from cxdash.metrics.service.counts import GROUPINGS, outcome_counts, raw_sums
from cxdash.metrics.service.percentiles import time_percentiles
from cxdash.schema import person, site, team, ticket
from cxdash.summaries.tickets_read import count_sums

t = ticket.c
_NAME_TABLES = {"site": site, "team": team, "agent": person}
PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def group_column(by: str) -> Any:
    """The ticket column behind a grouping name; ``ValueError`` for an unknown one."""
    try:
        return GROUPINGS[by]
    except KeyError:
        raise ValueError(f"unknown grouping {by!r}; use one of {', '.join(GROUPINGS)}") from None


def group_names(engine: Engine, by: str, keys: list[Any], lang: str = "en") -> dict[Any, str]:
    """Display names of organisation keys (site, team, agent) in ``lang`` (:func:`cxdash.metrics.org_names.org_names`:
    fallbacks, teams with their site, look-alikes told apart by code); other groupings are their own names."""
    clean = [k for k in keys if k is not None]
    if by not in _NAME_TABLES or not clean:
        return {k: ("" if k is None else str(k)) for k in keys}
    with engine.connect() as conn:
        names = org_names(conn, "person" if by == "agent" else by, clean, lang)
    return {k: names.get(int(k), str(k)) if k is not None else "" for k in keys}


def sla_breakdown(engine: Engine, filters: Filters, by: str, now: datetime | None = None, lang: str = "en"
                  ) -> pd.DataFrame:
    """SLA rates per group with their n, median and p90 business minutes, and the merged tickets set aside.

    Columns: ``key`` (raw value or id; None = not set), ``name``, ``n``, ``first_response_rate``, ``frt_n``,
    ``resolution_rate``, ``res_n``, ``ftf_rate``, ``resolved``, ``reopen_rate``, ``repeat_rate``,
    ``chased_rate``, ``at_risk``, ``breached_open``, ``open``, ``frt_median``, ``frt_p90``, ``res_median``,
    ``res_p90``, ``merged``; names in ``lang``. Sorted by n (priorities in their natural order).
    """
    now = now if now is not None else utcnow()
    group_column(by)  # an unknown grouping fails here
    counts = outcome_counts(engine, filters, now, by=by)
    merged = {r["key"]: r["merged"] for r in counts if r["merged"]}
    rows = [r for r in counts if r["n"] > 0]
    out = rates_frame(rows, "key")
    pct = time_percentiles(engine, filters, by)
    out = out.merge(pct.drop(columns=["frt_n", "res_n"]), on="key", how="left")
    out["merged"] = [merged.pop(k, 0) for k in out["key"]]
    if merged:  # groups that only hold merged tickets
        extra = pd.DataFrame({"key": list(merged), "n": 0, "merged": list(merged.values())})
        out = pd.concat([out, extra], ignore_index=True)
    names = group_names(engine, by, out["key"].tolist(), lang)
    out.insert(1, "name", [names[k] for k in out["key"]])
    if by == "priority":
        out = out.assign(_o=out["key"].map(PRIORITY_ORDER).fillna(9)).sort_values(["_o", "key"]).drop(columns="_o")
    else:
        out = out.sort_values(["n", "name"], ascending=[False, True])
    return out.reset_index(drop=True)


def category_pareto(engine: Engine, filters: Filters, measure: str = "volume") -> pd.DataFrame:
    """Categories by ticket volume (``measure="volume"``) or by repeat contacts (``"repeats"``), largest first,
    with each one's share and the cumulative share of the measure. Columns: category, n, repeats, value,
    share, cum_share."""
    if measure not in ("volume", "repeats"):
        raise ValueError("measure must be 'volume' or 'repeats'")
    with engine.connect() as conn:
        sums = count_sums(conn, filters, "category", raw_sums(engine, conn, t.category))
    rows = [{"category": k, "n": c["n"] - c["merged"], "repeats": c["repeats"]}
            for k, c in sums.items() if c["n"] > c["merged"]]  # merged tickets are left out
    df = pd.DataFrame(rows, columns=["category", "n", "repeats"])
    df["value"] = df["n"] if measure == "volume" else df["repeats"]
    df = df.sort_values(["value", "category"], ascending=[False, True], na_position="last").reset_index(drop=True)
    total = df["value"].sum()
    df["share"] = df["value"] / total if total else float("nan")
    df["cum_share"] = df["share"].cumsum()
    return df
