"""Demo KPI targets (scope "all"): what the overview compares each KPI with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.schema import kpi_target

TARGETS = {
    "nps": 40.0,
    "csat": 0.85,
    "ces": 5.5,
    "sla_first_response": 0.9,
    "sla_resolution": 0.85,
    "ftf": 0.8,
    "churn": 0.2,
    "share_disappointed": 0.15,
}


def ensure_targets(conn: Connection) -> int:
    """Insert the demo target of every KPI that has no brand-wide target yet; return how many were added."""
    have = set(conn.execute(select(kpi_target.c.kpi).where(kpi_target.c.scope_kind == "all")).scalars())
    rows = [{"kpi": k, "scope_kind": "all", "scope_id": None, "value": v} for k, v in TARGETS.items() if k not in have]
    if rows:
        conn.execute(kpi_target.insert(), rows)
    return len(rows)
