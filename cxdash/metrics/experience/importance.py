"""Importance of each touchpoint (docs/metrics.md): stated when the survey asks it, otherwise derived.

Stated importance is the mean of ``touchpoint_score.importance`` in the selection, or the catalog's
``touchpoint.stated_importance``. Derived importance is the relative weight (Johnson 2000) of each touchpoint's
P score in a regression of the overall outcome (overall P, likelihood to recommend or CSAT) on all touchpoint P
scores. The correlation matrix comes from a bounded, evenly spread sample of the selection's responses (at most
``SAMPLE_SIZE``; the sample size is reported), with pairwise-complete correlations so that touchpoints a customer
skipped do not discard the whole response. Either way importance is reported as a share: of the total stated
importance, or of R^2, so the two read alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from cxdash.domain.frames import rows_frame
from cxdash.domain.pairs import scale_bounds
from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters
from cxdash.metrics import stats
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.sampling import spread_condition
from cxdash.schema import response_sample, survey_response, touchpoint, touchpoint_score
from cxdash.summaries import summaries_fresh
from cxdash.summaries.sample import read_sample

SAMPLE_SIZE = 2000  # live sample (no stored sample for the selection)
STORED_LIMIT = 5000  # rows read from the stored response sample
MIN_STORED = 500  # below this the stored sample is too thin for the selection: sample live
MIN_ANSWERS = 30  # a touchpoint answered fewer times than this in the sample gets no derived weight
OUTCOMES = ("overall", "ltr", "csat")


@dataclass(frozen=True)
class DerivedModel:
    """A relative-weights model: weights per touchpoint id (share of R^2), R^2, responses used, outcome."""

    weights: dict[int, float]
    r2: float
    n: int
    outcome: str


def stated_importance(conn: Connection, filters: Filters, sums: pd.DataFrame | None = None) -> pd.Series:
    """Mean stated importance per touchpoint id: from the responses of the selection, else from the catalog.

    ``sums`` are the selection's touchpoint sums when the caller has them already (the gap table does).
    """
    if sums is None:
        sums = touchpoint_sums(conn, filters, get_tolerance(conn))
    sums = sums[pd.to_numeric(sums["n_imp"]) > 0]
    if not sums.empty:
        mean = sums["s_imp"].astype(float).to_numpy() / sums["n_imp"].astype(float).to_numpy()
        return pd.Series(mean, index=sums["touchpoint_id"].astype(int).to_numpy(), dtype=float)
    stmt = select(touchpoint.c.id, touchpoint.c.stated_importance).where(touchpoint.c.stated_importance.isnot(None))
    rows = dict(conn.execute(stmt).all())
    return pd.Series({int(k): float(v) for k, v in rows.items()}, dtype=float)


def _outcome_column(outcome: str):  # noqa: ANN202 - a SQL expression
    sr = survey_response.c
    if outcome == "ltr":
        return sr.ltr * 1.0
    if outcome == "csat":
        return sr.csat * 1.0
    rng = sr.overall_scale_max - sr.overall_scale_min
    return (sr.overall_p - sr.overall_scale_min) / rng


def sample_responses(conn: Connection, filters: Filters, outcome: str, size: int = SAMPLE_SIZE) -> pd.DataFrame:
    """Up to ``size`` evenly spread responses of the selection that have the outcome (:mod:`.sampling`),
    with their touchpoint scale (``lo``, ``rng``) for normalising the P scores."""
    y = _outcome_column(outcome)
    lo, rng = scale_bounds()
    where = spread_condition(conn, filters, size, [y.isnot(None)])
    stmt = select(survey_response.c.id, y.label("y"), lo, rng).where(where).limit(size)
    return rows_frame(conn.execute(stmt), ["response_id", "y", "lo", "rng"])


def _touchpoint_matrix(conn: Connection, sample: pd.DataFrame) -> pd.DataFrame:
    """Normalised P of every touchpoint (columns) for the sampled responses (rows).

    Reads the scores alone by key (no join) and normalises with the scale the sample brought along.
    """
    ts = touchpoint_score.c
    ids = [int(i) for i in sample["response_id"]]
    frames = []
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        stmt = select(ts.response_id, ts.touchpoint_id, ts.p).where(ts.response_id.in_(chunk), ts.p.isnot(None))
        frames.append(rows_frame(conn.execute(stmt), ["response_id", "touchpoint_id", "p"]))
    long = pd.concat(frames) if frames else pd.DataFrame(columns=["response_id", "touchpoint_id", "p"])
    scale = sample.set_index("response_id")[["lo", "rng"]].astype(float)
    long = long.join(scale, on="response_id")
    long = long[long["rng"] > 0]
    long["p"] = (long["p"].astype(float) - long["lo"]) / long["rng"]
    return long.pivot_table(index="response_id", columns="touchpoint_id", values="p", aggfunc="mean")


def _stored_matrix(conn: Connection, filters: Filters, outcome: str) -> pd.DataFrame | None:
    """Touchpoint P (columns) and the outcome ``y`` from the stored response sample, when the summaries are fresh
    and the selection has at least ``MIN_STORED`` sampled responses with the outcome; else None."""
    if not summaries_fresh(conn):
        return None
    col = {"overall": "overall", "ltr": "ltr", "csat": "csat"}[outcome]
    rows = read_sample(conn, filters, ["response_id", col, "scores"], [response_sample.c[col].isnot(None)],
                       limit=STORED_LIMIT)
    if len(rows) < MIN_STORED:
        return None
    wide = pd.DataFrame.from_records(rows["scores"].tolist(), index=rows["response_id"].to_numpy())
    wide.columns = [int(c) for c in wide.columns]
    wide["y"] = pd.to_numeric(rows[col], errors="coerce").astype(float).to_numpy()
    return wide


def _live_matrix(conn: Connection, filters: Filters, outcome: str, size: int) -> pd.DataFrame:
    """Touchpoint P (columns) and the outcome ``y`` for an evenly spread live sample of the selection."""
    sample = sample_responses(conn, filters, outcome, size)
    if len(sample) < MIN_ANSWERS:
        return pd.DataFrame(columns=["y"])
    wide = _touchpoint_matrix(conn, sample)
    return wide.join(sample.set_index("response_id")["y"].astype(float), how="inner")


def derived_model(conn: Connection, filters: Filters, outcome: str = "auto", size: int = SAMPLE_SIZE) -> DerivedModel:
    """Relative weights of the touchpoint P scores on the outcome; ``outcome`` "auto" takes the first available
    of overall P, likelihood to recommend and CSAT.

    The rows come from the stored response sample (:mod:`cxdash.summaries.sample`) when it holds enough of the
    selection, else from a live evenly spread sample of at most ``size`` responses.
    """
    candidates = OUTCOMES if outcome == "auto" else (outcome,)
    data = pd.DataFrame(columns=["y"])
    chosen = candidates[0]
    for chosen in candidates:
        stored = _stored_matrix(conn, filters, chosen)
        data = stored if stored is not None else _live_matrix(conn, filters, chosen, size)
        if len(data) >= MIN_ANSWERS:
            break
    if len(data) < MIN_ANSWERS:
        return DerivedModel({}, math.nan, len(data), chosen)
    predictors = [c for c in data.columns if c != "y"]
    keep = [c for c in predictors if data[c].count() >= MIN_ANSWERS and data[c].std() > 0]
    if not keep or data["y"].std() == 0:
        return DerivedModel({}, math.nan, len(data), chosen)
    corr = data[keep + ["y"]].corr(min_periods=MIN_ANSWERS).fillna(0.0).to_numpy(copy=True)
    np.fill_diagonal(corr, 1.0)
    raw, r2 = stats.relative_weights(corr)
    shares = raw / r2 if r2 > 0 else np.zeros_like(raw)
    return DerivedModel({int(c): float(w) for c, w in zip(keep, shares, strict=True)}, r2, len(data), chosen)


def importance_frame(conn: Connection, filters: Filters, outcome: str = "auto",
                     sums: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`importance_table` on an open connection (``sums``: the selection's touchpoint sums, if known)."""
    stated = stated_importance(conn, filters, sums)
    if not stated.empty and stated.sum() > 0:
        share = stated / stated.sum()
        return pd.DataFrame(
            {
                "touchpoint_id": share.index.astype(int),
                "importance": share.to_numpy(),
                "importance_source": "stated",
                "r2": math.nan,
                "n": 0,
                "outcome": None,
            }
        )
    model = derived_model(conn, filters, outcome)
    return pd.DataFrame(
        {
            "touchpoint_id": list(model.weights.keys()),
            "importance": list(model.weights.values()),
            "importance_source": "derived",
            "r2": model.r2,
            "n": model.n,
            "outcome": model.outcome,
        }
    ).astype({"touchpoint_id": int, "importance": float})


def importance_table(engine: Engine, filters: Filters, outcome: str = "auto") -> pd.DataFrame:
    """Importance per touchpoint as a share, with its source ("stated" or "derived"), the model R^2 and n.

    Columns: touchpoint_id, importance, importance_source, r2 (derived only), n (responses behind it), outcome
    ("overall", "ltr" or "csat"; derived only).
    """
    with engine.connect() as conn:
        return importance_frame(conn, filters, outcome)
