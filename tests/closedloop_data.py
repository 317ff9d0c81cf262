"""Small hand-made data for the closed-loop tests: an organisation, touchpoint gaps, inspections and plans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import count

from sqlalchemy import Engine, insert

from cxdash.catalog import ensure_default_catalog, touchpoint_ids
from cxdash.inspections.checklist import ensure_default_checklist
from cxdash.schema import checklist_item, inspection, region, site, survey_response, team, touchpoint_score

_ids = count(1)


def org(engine: Engine) -> dict[str, int]:
    """Default catalog and checklist, two regions, four sites (one team each); returns touchpoint ids by code."""
    with engine.begin() as conn:
        ensure_default_catalog(conn)
        ensure_default_checklist(conn)
        conn.execute(insert(region), [
            {"id": 1, "code": "N", "name_en": "North"},
            {"id": 2, "code": "S", "name_en": "South"},
        ])
        conn.execute(insert(site), [
            {"id": s, "code": f"S{s}", "name": f"Site {s}", "region_id": 1 if s <= 2 else 2} for s in range(1, 5)
        ])
        conn.execute(insert(team), [{"id": s, "site_id": s, "code": f"T{s}", "name": f"Team {s}"} for s in range(1, 5)])
        return touchpoint_ids(conn)


def item_ids(engine: Engine) -> dict[str, int]:
    """Checklist item id by code."""
    with engine.connect() as conn:
        return {code: i for i, code in conn.execute(checklist_item.select().with_only_columns(
            checklist_item.c.id, checklist_item.c.code))}


def add_gaps(
    engine: Engine, touchpoint_id: int, site_id: int, days: Sequence[date], gaps: Sequence[float], lo: float = 1,
    hi: float = 7, importance: float | None = None,
) -> None:
    """One response per (day, gap) at ``site_id`` (team = site) with P - E = gap x (hi - lo) at the touchpoint."""
    rows, scores = [], []
    for day, g in zip(days, gaps, strict=True):
        rid = next(_ids) + 100000 * site_id
        e = (lo + hi) / 2 - g * (hi - lo) / 2
        p = e + g * (hi - lo)
        rows.append({"id": rid, "external_id": f"x{rid}", "site_id": site_id, "team_id": site_id,
                     "region_id": 1 if site_id <= 2 else 2, "visit_date": day, "tp_scale_min": lo, "tp_scale_max": hi})
        scores.append({"response_id": rid, "touchpoint_id": touchpoint_id, "p": p, "e": e, "importance": importance})
    with engine.begin() as conn:
        conn.execute(insert(survey_response), rows)
        conn.execute(insert(touchpoint_score), scores)


def spread(first: date, n: int, step: int = 1) -> list[date]:
    """``n`` days from ``first`` every ``step`` days."""
    return [first + timedelta(days=i * step) for i in range(n)]


def add_scores(engine: Engine, rows: Sequence[tuple[int, int, date, float]]) -> None:
    """Inspection rows (item id, site id, day, score) without the form's validation (for fixtures)."""
    with engine.begin() as conn:
        conn.execute(insert(inspection), [
            {"item_id": i, "site_id": s, "inspected_on": d, "score": sc, "inspector": "fixture"} for i, s, d, sc in rows
        ])
