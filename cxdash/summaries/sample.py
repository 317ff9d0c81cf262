"""The response sample: a fixed pseudo-random 2 % of the responses, kept with the summaries.

Models that need rows (derived importance, the value of each tier) would otherwise read a few thousand
responses scattered over millions, and their touchpoint scores, at random places of a big file: seconds on a
cold cache. The sample holds those rows together, each with its filter columns, tier, outcomes and its
normalised touchpoint P scores as one JSON object, so a selection's sample is one indexed read.

A response belongs to the sample when a multiplicative hash of its id falls below 2 % of the hash range: the
same rows on every rebuild, independent of load order and spread over every site and period.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert
from cxdash.domain.frames import rows_frame
from cxdash.domain.periods import between
from cxdash.filters import Filters, response_where
from cxdash.schema import response_sample, survey_response, touchpoint_score

HASH_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: consecutive ids land far apart
HASH_RANGE = 1 << 32
RATE = 0.02
SAMPLE_COLUMNS = ["response_id", "visit_date", "region_id", "site_id", "team_id", "person_id", "channel", "segment",
                  "customer_id", "tier", "overall", "ltr", "csat", "scores"]


def in_sample(id_col: Any) -> ColumnElement[bool]:
    """SQL predicate: the response with this id belongs to the sample."""
    return (id_col * HASH_MULTIPLIER) % HASH_RANGE < int(RATE * HASH_RANGE)


def build_sample(conn: Connection, lo: date | None, hi: date | None) -> int:
    """Rebuild the sample rows of the visits in ``[lo, hi]`` (all without dates); return the rows written."""
    conn.execute(delete(response_sample).where(between(response_sample.c.visit_date, lo, hi)))
    return add_sample(conn, between(survey_response.c.visit_date, lo, hi))


def add_sample(conn: Connection, where: ColumnElement[bool]) -> int:
    """Insert the sample rows of the responses matching ``where`` (none of them may be in the sample yet)."""
    sr = survey_response.c
    rng = sr.overall_scale_max - sr.overall_scale_min
    overall = (sr.overall_p - sr.overall_scale_min) / rng
    tp_lo = func.coalesce(sr.tp_scale_min, sr.overall_scale_min)
    tp_rng = func.coalesce(sr.tp_scale_max, sr.overall_scale_max) - tp_lo
    stmt = select(sr.id, sr.visit_date, sr.region_id, sr.site_id, sr.team_id, sr.person_id, sr.channel, sr.segment,
                  sr.customer_id, sr.tier, overall, sr.ltr, sr.csat, tp_lo, tp_rng).where(where, in_sample(sr.id))
    resp = rows_frame(conn.execute(stmt), [*SAMPLE_COLUMNS[:-1], "lo", "rng"])
    if resp.empty:
        return 0
    scores = _scores(conn, [int(i) for i in resp["response_id"]], resp.set_index("response_id")[["lo", "rng"]])
    resp["scores"] = [scores.get(int(i), {}) for i in resp["response_id"]]
    resp["overall"] = pd.to_numeric(resp["overall"], errors="coerce")
    rows = resp[SAMPLE_COLUMNS].astype(object).where(resp[SAMPLE_COLUMNS].notna(), None)
    return bulk_insert(conn, response_sample, SAMPLE_COLUMNS, rows.itertuples(index=False, name=None))


def _scores(conn: Connection, ids: list[int], scale: pd.DataFrame) -> dict[int, dict[str, float]]:
    ts = touchpoint_score.c
    frames = []
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        stmt = select(ts.response_id, ts.touchpoint_id, ts.p).where(ts.response_id.in_(chunk), ts.p.isnot(None))
        frames.append(rows_frame(conn.execute(stmt), ["response_id", "touchpoint_id", "p"]))
    x = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if x.empty:
        return {}
    # whole columns at once: a lookup of the scale per score row cost seconds at a few thousand responses
    bounds = scale.apply(pd.to_numeric, errors="coerce").astype(float)
    x = x.join(bounds, on="response_id")
    x = x[x["rng"] > 0]  # also drops missing bounds (NaN compares false)
    norm = (x["p"].astype(float).to_numpy() - x["lo"].to_numpy()) / x["rng"].to_numpy()
    out: dict[int, dict[str, float]] = {}
    for rid, tp, value in zip(x["response_id"].astype(int).tolist(), x["touchpoint_id"].astype(int).tolist(),
                              norm.tolist(), strict=True):
        out.setdefault(rid, {})[str(tp)] = value
    return out


def read_sample(conn: Connection, filters: Filters, columns: list[str], extra: list[ColumnElement[bool]] | None = None,
                limit: int = 20_000) -> pd.DataFrame:
    """The sample rows of the selection (every filter applies, scope included), at most ``limit``, spread by id.

    ``scores`` come back as dicts {touchpoint id: normalised P}.
    """
    rs = response_sample.c
    where = and_(response_where(filters, response_sample), *(extra or []))
    total = conn.execute(select(func.count()).select_from(response_sample).where(where)).scalar_one()
    step = max(1, -(-int(total) // limit))
    if step > 1:
        where = and_(where, rs.response_id % step == 0)
    out = rows_frame(conn.execute(select(*[rs[c] for c in columns]).where(where).limit(limit)), columns)
    if "scores" in out:
        out["scores"] = [s if isinstance(s, dict) else json.loads(s or "{}") for s in out["scores"]]
    return out
