"""Small hand-made survey data for the experience tests (tiers, gaps, importance, drill-down)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, insert, select

from cxdash.catalog import ensure_default_catalog, touchpoint_ids
from cxdash.db import bump_data_version
from cxdash.schema import person, region, site, survey_response, team, touchpoint_score


def base_org(engine: Engine) -> dict[str, int]:
    """The default catalog, two regions, three sites, four teams and four people; returns their ids by code."""
    with engine.begin() as conn:
        ensure_default_catalog(conn)
        conn.execute(insert(region), [
            {"id": 1, "code": "N", "name_en": "North", "name_zh_hans": "北区", "name_zh_hant": "北區"},
            {"id": 2, "code": "S", "name_en": "South", "name_zh_hans": "南区", "name_zh_hant": "南區"},
        ])
        conn.execute(insert(site), [
            {"id": 1, "code": "S1", "name": "Site one", "region_id": 1},
            {"id": 2, "code": "S2", "name": "Site two", "region_id": 1},
            {"id": 3, "code": "S3", "name": "Site three", "region_id": 2},
        ])
        conn.execute(insert(team), [
            {"id": 1, "site_id": 1, "code": "T1", "name": "Team one"},
            {"id": 2, "site_id": 2, "code": "T2", "name": "Team two"},
            {"id": 3, "site_id": 3, "code": "T3", "name": "Team three"},
            {"id": 4, "site_id": 3, "code": "T4", "name": "Team four"},
        ])
        conn.execute(insert(person), [
            {"id": i, "team_id": i, "code": f"P{i}", "name": f"Person {i}", "role": "advisor"} for i in range(1, 5)
        ])
        return touchpoint_ids(conn)


def add_responses(engine: Engine, rows: Iterable[dict[str, Any]]) -> list[int]:
    """Insert responses (with an optional ``scores`` list of (touchpoint code, P, E[, importance])); return ids.

    Defaults: team 1 / site 1 / region 1 / person 1, visit 2026-03-02, touchpoint scale 1-7.
    """
    ids: list[int] = []
    with engine.begin() as conn:
        tp = touchpoint_ids(conn)
        start = conn.execute(select(survey_response.c.id).order_by(survey_response.c.id.desc()).limit(1)).scalar()
        next_id = (start or 0) + 1
        for r in rows:
            r = dict(r)
            scores: Sequence[tuple] = r.pop("scores", ())
            team_id = r.get("team_id", 1)
            site_id = {1: 1, 2: 2, 3: 3, 4: 3}[team_id]
            values = {
                "id": next_id,
                "external_id": f"r{next_id}",
                "team_id": team_id,
                "site_id": site_id,
                "region_id": 1 if site_id in (1, 2) else 2,
                "person_id": team_id,
                "visit_date": date(2026, 3, 2),
                "tp_scale_min": 1.0,
                "tp_scale_max": 7.0,
                "channel": "workshop",
                "segment": "private",
            }
            values.update(r)
            conn.execute(insert(survey_response).values(**values))
            if scores:
                conn.execute(insert(touchpoint_score), [
                    {"response_id": next_id, "touchpoint_id": tp[s[0]], "p": s[1], "e": s[2],
                     "importance": s[3] if len(s) > 3 else None}
                    for s in scores
                ])
            ids.append(next_id)
            next_id += 1
        bump_data_version(conn)  # as every loader does
    return ids
