"""Small hand-made rows for the loyalty tests: an organisation, customers, responses and tickets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from itertools import count
from typing import Any

from sqlalchemy import Engine, insert

from cxdash.schema import customer, person, region, site, survey_response, team, ticket

_ids = count(1)
D0 = date(2026, 3, 16)  # a Monday: the default visit day


def org(engine: Engine) -> None:
    """Regions 1 (sites 1, 2) and 2 (site 3); team = site; one advisor per team (person id = site id)."""
    with engine.begin() as conn:
        conn.execute(insert(region), [{"id": 1, "code": "N", "name_en": "North", "name_zh_hans": "北区"},
                                      {"id": 2, "code": "S", "name_en": "South", "name_zh_hans": "南区"}])
        conn.execute(insert(site), [{"id": s, "code": f"S{s}", "name": f"Site {s}", "region_id": 1 if s < 3 else 2}
                                    for s in (1, 2, 3)])
        conn.execute(insert(team), [{"id": s, "site_id": s, "code": f"T{s}", "name": f"Team {s}"} for s in (1, 2, 3)])
        conn.execute(insert(person), [{"id": s, "team_id": s, "code": f"P{s}", "name": n}
                                      for s, n in ((1, "Wang Fang"), (2, "李明"), (3, "Zhang Wei"))])


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = {k for r in rows for k in r}
    return [{k: r.get(k) for k in keys} for r in rows]


def customers(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert customers (``id`` required)."""
    with engine.begin() as conn:
        conn.execute(insert(customer), _uniform([{"external_id": f"c{r['id']}", **r} for r in rows]))


def responses(engine: Engine, rows: Sequence[dict[str, Any]], **common: Any) -> list[int]:
    """Insert survey responses (site 1 and day :data:`D0` unless given); returns their ids."""
    out = []
    for r in rows:
        rid = next(_ids)
        s = r.get("site_id", common.get("site_id", 1))
        out.append({"id": rid, "external_id": f"r{rid}", "site_id": s, "team_id": s, "region_id": 1 if s < 3 else 2,
                    "visit_date": D0, **common, **r})
    if out:
        with engine.begin() as conn:
            conn.execute(insert(survey_response), _uniform(out))
    return [r["id"] for r in out]


def tickets(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Insert tickets with their SLA facts given directly (created at noon on :data:`D0` unless given)."""
    out = []
    for r in rows:
        tid = next(_ids)
        s = r.get("site_id", 1)
        out.append({"id": tid, "external_id": f"t{tid}", "site_id": s, "team_id": s, "region_id": 1 if s < 3 else 2,
                    "status": "resolved", "created_at": datetime.combine(D0, time(12)), **r})
    with engine.begin() as conn:
        conn.execute(insert(ticket), _uniform(out))
