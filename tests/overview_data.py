"""Small hand-made rows for the overview metric tests: an organisation, responses, customers and tickets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from itertools import count
from typing import Any

from sqlalchemy import Engine, insert

from cxdash.schema import customer, region, site, survey_response, team, ticket

_ids = count(1)
D0 = date(2026, 3, 15)  # the default visit day


def org(engine: Engine) -> None:
    """Two regions; sites 1, 2 in region 1 and site 3 in region 2; team = site."""
    with engine.begin() as conn:
        conn.execute(insert(region), [{"id": 1, "code": "N", "name_en": "North"},
                                      {"id": 2, "code": "S", "name_en": "South"}])
        conn.execute(insert(site), [{"id": s, "code": f"S{s}", "name": f"Site {s}", "region_id": 1 if s < 3 else 2}
                                    for s in (1, 2, 3)])
        conn.execute(insert(team), [{"id": s, "site_id": s, "code": f"T{s}", "name": f"Team {s}"} for s in (1, 2, 3)])


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (missing ones None): one executemany needs one shape."""
    keys = {k for r in rows for k in r}
    return [{k: r.get(k) for k in keys} for r in rows]


def responses(engine: Engine, rows: Sequence[dict[str, Any]], site_id: int = 1, day: date = D0,
              **common: Any) -> None:
    """Insert survey responses; each row's keys override ``site_id`` (team and region follow), ``day``, ``common``."""
    out = []
    for r in rows:
        rid = next(_ids)
        s = r.get("site_id", site_id)
        out.append({"id": rid, "external_id": f"r{rid}", "site_id": s, "team_id": s, "region_id": 1 if s < 3 else 2,
                    "visit_date": r.get("visit_date", day), **common, **r})
    with engine.begin() as conn:
        conn.execute(insert(survey_response), _uniform(out))


def values(column: str, xs: Sequence[Any], **extra: Any) -> list[dict[str, Any]]:
    """One response row per value of ``column``."""
    return [{column: x, **extra} for x in xs]


def customers(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert customers (``id`` required; ``external_id`` derived from it)."""
    with engine.begin() as conn:
        conn.execute(insert(customer), _uniform([{"external_id": f"c{r['id']}", **r} for r in rows]))


def tickets(engine: Engine, rows: Sequence[dict[str, Any]], site_id: int = 1) -> None:
    """Insert tickets with SLA facts given directly (``created_at`` defaults to noon on :data:`D0`)."""
    out = []
    for r in rows:
        tid = next(_ids)
        s = r.get("site_id", site_id)
        out.append({"id": tid, "external_id": f"t{tid}", "site_id": s, "team_id": s, "region_id": 1 if s < 3 else 2,
                    "status": "resolved", "created_at": datetime.combine(D0, datetime.min.time()).replace(hour=12),
                    **r})
    with engine.begin() as conn:
        conn.execute(insert(ticket), _uniform(out))
