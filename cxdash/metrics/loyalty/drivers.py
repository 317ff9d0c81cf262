"""Key drivers of likelihood to recommend (or CSAT): relative weights (Johnson 2000) of the touchpoint P scores
and the effort facts, each as a share of the model's R^2 (docs/metrics.md, issue 5).

The predictors are every touchpoint's perceived score (on the common 0-1 scale) and the four effort answers
(CES, contacts needed, transfers, had to repeat the story). Their correlations with each other and with the
outcome come from a bounded, evenly spread sample of the selection's responses (at most ``SAMPLE_SIZE``):
up to ``SAMPLE_SIZE`` rows of the stored response sample (:mod:`cxdash.summaries.sample`, whose touchpoint P
scores are kept normalised) when it holds at least ``MIN_STORED`` of the selection, else a live sample
(:mod:`cxdash.metrics.sampling`), which reads the whole selection up to ``SAMPLE_SIZE`` responses;
correlations are pairwise-complete so that a skipped touchpoint does not discard the response; the
weights follow from that matrix (:func:`cxdash.metrics.stats.relative_weights`). Predictors answered fewer than
30 times in the sample, or constant there, are left out. ``direction`` is the sign of a driver's correlation
with the outcome (effort facts work against loyalty, so theirs is negative except CES).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Text, case, cast, func, select, true
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.filters import Filters, response_where
from cxdash.i18n import name_column, t
from cxdash.metrics import stats
from cxdash.metrics.sampling import spread_condition
from cxdash.schema import response_sample, stage, survey_response, touchpoint, touchpoint_score
from cxdash.sqlfuncs import in_ids
from cxdash.summaries import summaries_fresh
from cxdash.summaries.sample import HASH_MULTIPLIER, HASH_RANGE, RATE

SAMPLE_SIZE = 5000
# The stored 2 % sample serves selections of about 100,000 responses and more, where a live sample costs most
# (0.3-0.5 s for the 90-day view at a million); smaller ones are sampled live, small ones read whole.
MIN_STORED = 2000
MIN_ANSWERS = 30
OUTCOMES = ("ltr", "csat")
EFFORT = ("ces", "contacts_needed", "transfers", "repeated_story")
COLUMNS = ["driver", "kind", "code", "name", "weight", "share", "direction", "answers"]
sr, ts = survey_response.c, touchpoint_score.c


@dataclass(frozen=True)
class DriverModel:
    """Relative weights per driver (:data:`COLUMNS`, largest share first), model R^2, responses in the sample."""

    table: pd.DataFrame
    r2: float
    n: int
    outcome: str


def _sample(conn: Connection, filters: Filters, outcome: str, size: int) -> pd.DataFrame:
    y = sr[outcome]
    repeated = _repeated()
    valid = y.between(0, 10) if outcome == "ltr" else y.between(1, 5)
    where = spread_condition(conn, filters, size, [valid])
    stmt = select(sr.id, y * 1.0, sr.ces * 1.0, sr.contacts_needed * 1.0, sr.transfers * 1.0, repeated) \
        .where(where).limit(size)
    frame = rows_frame(conn.execute(stmt), ["response_id", "y", *EFFORT])
    return frame.set_index("response_id").apply(pd.to_numeric, errors="coerce").astype(float)


def _repeated() -> Any:
    return case((sr.repeated_story.is_(true()), 1.0), (sr.repeated_story.is_(None), None), else_=0.0)


def _stored(conn: Connection, filters: Filters, outcome: str, size: int) -> pd.DataFrame | None:
    """Outcome, effort facts and touchpoint P (columns ``tp:<id>``) of about ``size`` rows of the stored response
    sample (all it holds of the selection when fewer), or None when the summaries are stale or the sample holds
    fewer than ``min(size, MIN_STORED)`` of the selection's responses with the outcome.

    Touchpoint P comes normalised with the sample; responses without their own touchpoint scale keep no P, as in
    :func:`_touchpoint_p`. The effort facts come from the responses, joined by key.
    """
    rs = response_sample.c
    valid = rs.ltr.between(0, 10) if outcome == "ltr" else rs.csat.between(1, 5)
    if not summaries_fresh(conn):
        return None
    held = conn.execute(select(func.count()).select_from(response_sample)
                        .where(response_where(filters, response_sample), valid)).scalar_one()
    if int(held) < min(size, MIN_STORED):
        return None
    # A pseudo-random part of the sample, by the hash that chose it: about ``size`` rows, spread like the sample.
    part = (rs.response_id * HASH_MULTIPLIER) % HASH_RANGE < int(size / int(held) * RATE * HASH_RANGE)
    own_scale = sr.tp_scale_min.is_not(None) & sr.tp_scale_max.is_not(None)
    # The scores as their JSON text, decoded in one call: decoding row by row cost 0.07 s of 5,000 rows.
    stmt = (select(rs.response_id, rs[outcome], sr.ces * 1.0, sr.contacts_needed * 1.0, sr.transfers * 1.0,
                   _repeated(), own_scale, cast(rs.scores, Text))
            .select_from(response_sample.join(survey_response, sr.id == rs.response_id))
            .where(response_where(filters, response_sample), valid, part))
    rows = rows_frame(conn.execute(stmt), ["response_id", "y", *EFFORT, "own_scale", "scores"])
    decoded = json.loads("[" + ",".join(s or "{}" for s in rows["scores"]) + "]")
    scores = [d if own else {} for d, own in zip(decoded, rows["own_scale"].astype(bool), strict=True)]
    index = pd.Index(rows["response_id"].astype(int), name="response_id")
    wide = pd.DataFrame.from_records(scores, index=index)
    wide.columns = [f"tp:{int(c)}" for c in wide.columns]
    data = rows[["y", *EFFORT]].set_axis(index).apply(pd.to_numeric, errors="coerce").astype(float)
    return data.join(wide.astype(float), how="left")


def _live(conn: Connection, filters: Filters, outcome: str, size: int) -> pd.DataFrame:
    """Outcome, effort facts and touchpoint P (columns ``tp:<id>``) of an evenly spread live sample."""
    sample = _sample(conn, filters, outcome, size)
    wide = _touchpoint_p(conn, [int(i) for i in sample.index]) if len(sample) else pd.DataFrame()
    wide.columns = [f"tp:{int(c)}" for c in wide.columns]
    return sample.join(wide, how="left")


def _touchpoint_p(conn: Connection, ids: list[int]) -> pd.DataFrame:
    """P of every touchpoint on the 0-1 scale (columns: touchpoint id) for the sampled responses.

    The ids are bound once (:func:`cxdash.sqlfuncs.in_ids`) and restrict both sides of the join: PostgreSQL does
    not carry a list on the scores over to the responses, and hashed all million responses for each slice of 900
    ids (0.4 s a slice, 2.5 s for the default 90-day view at a million responses).
    """
    rng = sr.tp_scale_max - sr.tp_scale_min
    dialect = conn.dialect.name
    stmt = (select(ts.response_id, ts.touchpoint_id, (ts.p - sr.tp_scale_min) / rng)
            .select_from(touchpoint_score.join(survey_response, sr.id == ts.response_id))
            .where(in_ids(ts.response_id, ids, dialect), in_ids(sr.id, ids, dialect), ts.p.is_not(None), rng > 0))
    long = rows_frame(conn.execute(stmt), ["response_id", "touchpoint_id", "p"])
    if long.empty:
        return pd.DataFrame(index=pd.Index([], name="response_id"))
    long["p"] = long["p"].astype(float)
    # One score per response and touchpoint (the table's primary key): a plain reshape, no aggregation needed.
    return long.set_index(["response_id", "touchpoint_id"])["p"].unstack("touchpoint_id")


def _touchpoint_names(conn: Connection, lang: str) -> pd.DataFrame:
    name = touchpoint.c[name_column(lang)]
    stmt = (select(touchpoint.c.id, touchpoint.c.code, name, touchpoint.c.name_en)
            .join(stage, stage.c.id == touchpoint.c.stage_id).order_by(stage.c.sort_order, touchpoint.c.sort_order))
    frame = rows_frame(conn.execute(stmt), ["id", "code", "name", "name_en"])
    frame["name"] = frame["name"].where(frame["name"].notna() & (frame["name"] != ""), frame["name_en"])
    return frame


def key_drivers(engine: Engine, filters: Filters, outcome: str = "ltr", lang: str = "en",
                size: int = SAMPLE_SIZE) -> DriverModel:
    """Relative weights of the touchpoint P scores and effort facts on ``outcome`` ("ltr" or "csat").

    Raises:
        ValueError: an unknown outcome.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; use one of {OUTCOMES}")
    with engine.connect() as conn:
        stored = _stored(conn, filters, outcome, size)
        data = stored if stored is not None else _live(conn, filters, outcome, size)
        names = _touchpoint_names(conn, lang)
    empty = DriverModel(pd.DataFrame(columns=COLUMNS), math.nan, len(data), outcome)
    if len(data) < MIN_ANSWERS or data["y"].std() == 0:
        return empty
    preds = [c for c in data.columns if c != "y" and data[c].count() >= MIN_ANSWERS and data[c].std() > 0]
    if not preds:
        return empty
    corr = data[[*preds, "y"]].corr(min_periods=MIN_ANSWERS).fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(corr, 1.0)
    raw, r2 = stats.relative_weights(corr)
    table = _table(preds, raw, r2, corr[:-1, -1], data, names, lang)
    return DriverModel(table, r2, len(data), outcome)


def _table(preds: list[str], raw: np.ndarray, r2: float, r_y: np.ndarray, data: pd.DataFrame,
           names: pd.DataFrame, lang: str) -> pd.DataFrame:
    by_id = names.set_index("id")
    rows: list[dict[str, object]] = []
    for col, w, r in zip(preds, raw, r_y, strict=True):
        if col.startswith("tp:"):
            tp = int(col[3:])
            code = str(by_id.loc[tp, "code"]) if tp in by_id.index else str(tp)
            name = str(by_id.loc[tp, "name"]) if tp in by_id.index else code
            rows.append({"driver": col, "kind": "touchpoint", "code": code, "name": name})
        else:
            rows.append({"driver": col, "kind": "effort", "code": col, "name": t(f"loyalty.driver.{col}", lang)})
        rows[-1].update({"weight": float(w), "share": float(w / r2) if r2 > 0 else math.nan,
                         "direction": int(np.sign(r)), "answers": int(data[col].count())})
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("share", ascending=False, kind="stable") \
        .reset_index(drop=True)
