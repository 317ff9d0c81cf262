"""Touchpoint gaps (docs/metrics.md): mean of paired differences P - E per touchpoint, with uncertainty.

Every score is first put on the common 0-1 scale of its survey, ``(x - min) / (max - min)`` with the touchpoint
scale stored on the response, so surveys on different scales can be pooled. Per touchpoint SQL returns n, the
sum and the sum of squares of the normalised differences; the mean, its t-interval and the one-sample t-test
follow from those (:mod:`cxdash.metrics.stats`), and Benjamini-Hochberg q-values are taken across the
touchpoints shown. Where a touchpoint has at most 5,000 pairs in the selection, the differences themselves are
fetched for a Wilcoxon signed-rank p-value as a robustness check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from cxdash.db import SCALES_KEY, data_version
from cxdash.domain.frames import rows_frame
from cxdash.domain.pairs import pair_expressions, scale_bounds
from cxdash.domain.tiers import get_tolerance
from cxdash.filters import Filters, response_where
from cxdash.i18n import name_column
from cxdash.metrics import stats
from cxdash.metrics.experience.gap_sums import touchpoint_sums
from cxdash.metrics.experience.importance import importance_frame
from cxdash.schema import setting, stage, survey_response, touchpoint, touchpoint_score
from cxdash.summaries import TP_MEASURES

GAP_COLUMNS = [
    "stage_code",
    "stage_name",
    "touchpoint_id",
    "touchpoint_code",
    "touchpoint_name",
    "n",
    "mean_p",
    "mean_e",
    "gap",
    "ci_low",
    "ci_high",
    "gap_points",
    "ci_low_points",
    "ci_high_points",
    "scale",
    "p_value",
    "q_value",
    "wilcoxon_p",
    "share_disappointed",
    "importance",
    "importance_source",
    "low_sample",
    "significant",
    "n_pairs",
]


def touchpoint_catalog(conn: Connection, lang: str = "en") -> pd.DataFrame:
    """Stages and touchpoints in journey order with names in ``lang`` (English where a name is missing)."""
    col = name_column(lang)
    stmt = (
        select(
            stage.c.code.label("stage_code"),
            func.coalesce(stage.c[col], stage.c.name_en).label("stage_name"),
            touchpoint.c.id.label("touchpoint_id"),
            touchpoint.c.code.label("touchpoint_code"),
            func.coalesce(touchpoint.c[col], touchpoint.c.name_en).label("touchpoint_name"),
            stage.c.sort_order.label("stage_order"),
            touchpoint.c.sort_order.label("touchpoint_order"),
        )
        .select_from(touchpoint.join(stage, stage.c.id == touchpoint.c.stage_id))
        .order_by(stage.c.sort_order, stage.c.id, touchpoint.c.sort_order, touchpoint.c.id)
    )
    return rows_frame(conn.execute(stmt), list(stmt.selected_columns.keys()))


def _scale_label(lo: float, hi: float) -> str:
    return f"{lo:g}-{hi:g}"


def touchpoint_scales(conn: Connection, filters: Filters) -> pd.DataFrame:
    """The survey scale each touchpoint was answered on in the selection: ``touchpoint_id``, ``scale_min``,
    ``scale_max`` (NaN where its answers mix scales) and ``scale_mixed``.

    One survey uses one touchpoint scale, and most databases hold one scale only: the bounds of every response are
    read first (:func:`stored_scale_bounds`: one stored row per data version; a GROUP BY over the selection, which
    took the date index and a sorter, cost seconds at a million responses). When they differ, the selection's
    bounds are read, and only when those differ too is each touchpoint's own range read from its scores. A
    touchpoint not listed had no answer; one listed with ``scale_mixed`` has no single scale to express its gap in.
    """
    lo, rng = scale_bounds()
    hi = lo + rng
    bounds = (func.min(lo), func.max(lo), func.min(hi), func.max(hi))
    everywhere = stored_scale_bounds(conn)
    if everywhere[0] is None:
        return _scales_frame([])
    single = _single(everywhere)
    if single is None:
        single = _single(conn.execute(select(*bounds).where(response_where(filters), rng > 0)).one())
    if single is not None:
        ids = conn.execute(select(touchpoint.c.id)).scalars().all()
        return _scales_frame([(int(i), single[0], single[1], False) for i in ids])
    ts = touchpoint_score.c
    stmt = (
        select(ts.touchpoint_id, *bounds)
        .select_from(touchpoint_score.join(survey_response, survey_response.c.id == ts.response_id))
        .where(response_where(filters), rng > 0, ts.p.isnot(None))
        .group_by(ts.touchpoint_id)
    )
    rows = []
    for tp_id, *tp_bounds in conn.execute(stmt):
        one = _single(tp_bounds)
        rows.append((int(tp_id), one[0] if one else math.nan, one[1] if one else math.nan, one is None))
    return _scales_frame(rows)


def stored_scale_bounds(conn: Connection) -> tuple[Any, Any, Any, Any]:
    """(min lo, max lo, min hi, max hi) of the touchpoint scales of every response, kept in ``setting`` for the
    current data version.

    The plain aggregate is a pass over every response (0.3 s at 200,000 responses on SQLite, half of the
    touchpoints page's cold time), yet its answer changes only when the data does. So the first reader after a
    write reads it once and stores it under the data version; every later reader, in any process, reads one row.
    A write bumps the version, so a stale answer is never used; a write that left the responses alone (a case
    step, an action plan) carries the row to its version (:func:`cxdash.db.bump_data_version`). Storing is best
    effort: a database the app may not write to just reads the bounds each time.
    """
    version = data_version(conn)
    # the highest id (one index end) as well: a loader that forgot to bump the version must not serve old bounds
    max_id = int(conn.execute(select(func.max(survey_response.c.id))).scalar() or 0)
    saved = conn.execute(select(setting.c.value).where(setting.c.key == SCALES_KEY)).scalar()
    if isinstance(saved, dict) and saved.get("data_version") == version and saved.get("max_id") == max_id \
            and len(saved.get("bounds") or ()) == 4:
        b = saved["bounds"]
        return b[0], b[1], b[2], b[3]
    lo, rng = scale_bounds()
    hi = lo + rng
    row = conn.execute(select(func.min(lo), func.max(lo), func.min(hi), func.max(hi)).where(rng > 0)).one()
    bounds = tuple(None if v is None else float(v) for v in row)
    try:
        with conn.engine.begin() as w:
            if data_version(w) == version:  # a write in between would make the answer stale
                w.execute(delete(setting).where(setting.c.key == SCALES_KEY))
                w.execute(insert(setting).values(key=SCALES_KEY, value={"data_version": version, "max_id": max_id,
                                                                        "bounds": list(bounds)}))
    except SQLAlchemyError:
        pass  # read-only or busy: the next reader tries again
    return bounds[0], bounds[1], bounds[2], bounds[3]


def _single(bounds: Sequence[Any]) -> tuple[float, float] | None:
    """``(min, max)`` of the scale when (min lo, max lo, min hi, max hi) describe one scale, else None."""
    lo_min, lo_max, hi_min, hi_max = bounds
    if lo_min is None or lo_min != lo_max or hi_min != hi_max:
        return None
    return float(lo_min), float(hi_min)


def _scales_frame(rows: list[tuple[int, float, float, bool]]) -> pd.DataFrame:
    ids, lows, highs, mixed = (list(col) for col in zip(*rows, strict=True)) if rows else ([], [], [], [])
    return pd.DataFrame({"touchpoint_id": pd.Series(ids, dtype="int64"), "scale_min": pd.Series(lows, dtype=float),
                         "scale_max": pd.Series(highs, dtype=float), "scale_mixed": pd.Series(mixed, dtype=bool)})


def add_gap_points(table: pd.DataFrame, scales: pd.DataFrame) -> pd.DataFrame:
    """``gap_points``, ``ci_low_points``, ``ci_high_points`` (the gap and its interval in points of the
    touchpoint's own scale: the 0-1 figure times the scale's range), ``scale`` ("1-7") and ``scale_mixed``."""
    out = table.drop(columns=[c for c in ("scale_min", "scale_max", "scale_mixed") if c in table]).merge(
        scales, on="touchpoint_id", how="left")
    points = (out["scale_max"] - out["scale_min"]).astype(float)
    for col in ("gap", "ci_low", "ci_high"):
        out[f"{col}_points"] = out[col].astype(float) * points
    answered = out["n"] > 0 if "n" in out else pd.Series(True, index=out.index)
    out["scale"] = [_scale_label(a, b) if a == a and b == b and has else None
                    for a, b, has in zip(out["scale_min"], out["scale_max"], answered, strict=True)]
    out["scale_mixed"] = out["scale_mixed"].astype("boolean").fillna(False).astype(bool)
    return out


def touchpoint_differences(
    conn: Connection, filters: Filters, touchpoint_ids: list[int], limit: int = stats.WILCOXON_MAX_PAIRS
) -> dict[int, np.ndarray]:
    """The normalised differences of each given touchpoint in the selection, at most ``limit`` per touchpoint.

    Only called for touchpoints whose n is known to be within the limit, so one query fetches at most
    ``limit`` x their number of values (the LIMIT guards against summaries that disagree with the rows).
    """
    if not touchpoint_ids:
        return {}
    x = pair_expressions(0.0)
    ts = touchpoint_score.c
    stmt = (
        select(ts.touchpoint_id, x["d"])
        .select_from(touchpoint_score.join(survey_response, survey_response.c.id == ts.response_id))
        .where(response_where(filters), x["valid"], x["paired"], ts.touchpoint_id.in_(touchpoint_ids))
        .limit(limit * len(touchpoint_ids) + 1)
    )
    pairs = rows_frame(conn.execute(stmt), ["touchpoint_id", "d"])
    out: dict[int, np.ndarray] = {}
    for tp_id in touchpoint_ids:
        values = pairs.loc[pairs["touchpoint_id"] == tp_id, "d"].to_numpy(dtype=float)
        out[tp_id] = values if values.size <= limit else np.array([], dtype=float)
    return out


def gap_statistics(agg: pd.DataFrame, keys: Sequence[str] = ("touchpoint_id",)) -> pd.DataFrame:
    """Turn sums (``TP_MEASURES`` by ``keys``) into means, intervals and p-values, one row per group."""
    a = agg.copy()
    for col in TP_MEASURES:
        a[col] = pd.to_numeric(a[col], errors="coerce").astype(float).fillna(0.0)
    res = stats.mean_ci_arrays(a["n"], a["s_d"], a["ss_d"])
    n = a["n"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_p = np.where(n > 0, a["s_p"] / n, np.where(a["n_p"] > 0, a["s_p_all"] / a["n_p"], np.nan))
        mean_e = np.where(n > 0, a["s_e"] / n, np.nan)
        share_dis = np.where(n > 0, a["n_dis"] / n, np.nan)
    return pd.DataFrame(
        {
            **{k: a[k].to_numpy() for k in keys},
            "n": n.astype(int),
            "n_p": a["n_p"].to_numpy().astype(int),
            "mean_p": mean_p,
            "mean_e": mean_e,
            "gap": res["mean"],
            "ci_low": res["ci_low"],
            "ci_high": res["ci_high"],
            "p_value": res["p_value"],
            "share_disappointed": share_dis,
        }
    )


def _importance(conn: Connection, filters: Filters, sums: pd.DataFrame) -> pd.DataFrame:
    return importance_frame(conn, filters, sums=sums)


def gap_table(engine: Engine, filters: Filters, lang: str = "en", with_importance: bool = True,
              with_points: bool = True, with_wilcoxon: bool = True) -> pd.DataFrame:
    """The gap table of the selection: one row per touchpoint of the catalog, in journey order.

    Columns (``GAP_COLUMNS``): stage and touchpoint codes and names, n (pairs with both P and E; for a touchpoint
    answered with P only, the answers behind its mean P), mean P, mean E and gap (mean P - E) on the 0-1 scale,
    the 95 % t-interval of the gap, the gap and its interval in points of the touchpoint's own scale
    (``gap_points`` = gap x (max - min); empty where the selection mixes scales, see ``scale_mixed``) with the
    ``scale`` ("1-7"), the one-sample t-test p-value, the
    Benjamini-Hochberg q-value across the touchpoints with a p-value, the Wilcoxon signed-rank p-value (only
    where n <= 5,000), the share of pairs that are disappointed, importance as a share (stated or derived, see
    :mod:`cxdash.metrics.experience.importance`), ``low_sample`` (n < 30), ``significant`` (q < 0.05) and ``n_pairs``
    (the pairs alone). Touchpoints without data keep their row with n = 0 and empty figures. ``with_points=False``
    skips the scale query (one pass over the selected responses) and leaves the points empty, for callers that
    show only the 0-1 gap; ``with_wilcoxon=False`` skips reading every pair for the Wilcoxon test (its p-value
    stays empty), for callers that show the interval only.
    """
    with engine.connect() as conn:
        tolerance = get_tolerance(conn)
        cat = touchpoint_catalog(conn, lang)
        sums = touchpoint_sums(conn, filters, tolerance)
        figures = gap_statistics(sums)
        figures["touchpoint_id"] = figures["touchpoint_id"].astype(int)
        small = figures.loc[(figures["n"] > 0) & (figures["n"] <= stats.WILCOXON_MAX_PAIRS), "touchpoint_id"]
        diffs = touchpoint_differences(conn, filters, [int(v) for v in small]) if with_wilcoxon else {}
        imp = _importance(conn, filters, sums) if with_importance else None
        scales = touchpoint_scales(conn, filters) if with_points else _scales_frame([])
    table = cat.merge(figures, on="touchpoint_id", how="left")
    table["n_pairs"] = table["n"].fillna(0).astype(int)
    table["n_p"] = table["n_p"].fillna(0).astype(int)
    # A touchpoint answered with P only shows a mean P over its answers: its n is those answers (#19.9), not the
    # zero pairs, which flagged a mean over 25,000 answers as a low sample.
    table["n"] = table["n_pairs"].where(table["n_pairs"] > 0, table["n_p"])
    table = add_gap_points(table, scales)
    table["q_value"] = stats.bh_qvalues(table["p_value"].to_numpy(dtype=float))
    table["wilcoxon_p"] = [stats.wilcoxon_p(diffs.get(int(t), [])) for t in table["touchpoint_id"]]
    table["low_sample"] = table["n"] < stats.LOW_SAMPLE
    table["significant"] = (table["q_value"] < stats.ALPHA).fillna(False).astype(bool)
    if imp is not None and not imp.empty:
        imp = imp.rename(columns={"r2": "importance_r2", "n": "importance_n", "outcome": "importance_outcome"})
        cols = ["touchpoint_id", "importance", "importance_source", "importance_r2", "importance_n",
                "importance_outcome"]
        table = table.merge(imp[cols], on="touchpoint_id", how="left")
    else:
        table["importance"] = math.nan
        table["importance_source"] = None
    extra = [c for c in table.columns if c not in GAP_COLUMNS and c not in ("stage_order", "touchpoint_order")]
    return table[GAP_COLUMNS + extra].reset_index(drop=True)
