"""Shared pieces of the usual-way references (:mod:`bench.reference` and its ``reference_*`` modules):
the figure types, the :class:`Reader` of whole tables, the filters and the SLA flags in pandas, and the bounded
samples cxdash reads, reproduced on the whole tables so both sides compute over the same rows.

Nothing here asks the database anything but whole tables (``pd.read_sql`` of ``select(table)``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, Table, select

from cxdash.filters import Filters
from cxdash.metrics.sampling import MAX_CANDIDATES

TOLERANCE = 1e-6
Figures = dict[str, float | None]
FigureFn = Callable[[Engine, Filters, datetime], Figures]
ReferenceFn = Callable[["Reader", Filters, datetime], Figures]


# --- Reading whole tables (the usual way) ------------------------------------------------------------------
class Reader:
    """Reads whole tables into DataFrames, as ``pd.read_sql`` gives them, and keeps the time and rows it took."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seconds = 0.0
        self.rows = 0

    def table(self, table: Table) -> pd.DataFrame:
        """The whole table (typed through the table's columns, as a dashboard reading it would get it)."""
        t0 = time.perf_counter()
        with self.engine.connect() as conn:
            frame = pd.read_sql(select(table), conn)
        self.seconds += time.perf_counter() - t0
        self.rows += len(frame)
        return frame


def _org_mask(df: pd.DataFrame, f: Filters, person_col: str) -> pd.Series:
    mask = pd.Series(True, index=df.index)
    for ids, col in ((f.region_ids, "region_id"), (f.site_ids, "site_id"), (f.team_ids, "team_id"),
                     (f.person_ids, person_col), (f.channels, "channel"), (f.segments, "segment")):
        if ids:
            mask &= df[col].isin(ids)
    if f.scope_sites is not None or f.scope_teams is not None:
        scoped = df["site_id"].isin(f.scope_sites or ()) | df["team_id"].isin(f.scope_teams or ())
        mask &= scoped
    return mask


def filter_responses(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The filters' responses (visit date in the range, organisation, channel, segment, scope) in pandas."""
    mask = _org_mask(df, f, "person_id")
    visit = pd.to_datetime(df["visit_date"])
    if f.date_from is not None:
        mask &= visit >= pd.Timestamp(f.date_from)
    if f.date_to is not None:
        mask &= visit <= pd.Timestamp(f.date_to)
    return df[mask]


def filter_tickets(df: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """The filters' tickets (created in the range, organisation, scope) in pandas, merged ones included."""
    mask = _org_mask(df, f, "agent_id")
    created = pd.to_datetime(df["created_at"])
    if f.date_from is not None:
        mask &= created >= pd.Timestamp(datetime.combine(f.date_from, dtime.min))
    if f.date_to is not None:
        mask &= created < pd.Timestamp(datetime.combine(f.date_to + timedelta(days=1), dtime.min))
    return df[mask]


def share(k: float, n: float) -> float | None:
    """k / n as a float, None when n is 0."""
    return float(k) / float(n) if n else None


def nan_none(value: Any) -> float | None:
    """A number as a float, None for None and NaN."""
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def sla_flags(tk: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Per ticket (merged ones left out): met and breached first response and resolution, resolved, FTF."""
    tk = tk[tk["merged_into"].isna()]
    open_ = tk["status"].isin(("open", "pending"))
    now_ts = pd.Timestamp(now)
    out = pd.DataFrame(index=tk.index)
    for pre in ("frt", "res"):
        target, elapsed = tk[f"{pre}_target_min"], tk[f"{pre}_business_min"]
        has = target.notna()
        pending = has & elapsed.isna() & open_
        due = pd.to_datetime(tk[f"{pre}_due_at"])
        out[f"{pre}_met"] = has & (elapsed <= target)
        out[f"{pre}_breached"] = has & ((elapsed > target) | (pending & (due <= now_ts)))
    resolved = tk["status"].isin(("resolved", "closed"))
    out["resolved"] = resolved
    repeat = tk["has_repeat_7d"].astype("boolean").fillna(False).astype(bool)
    out["ftf"] = resolved & (tk["reopen_count"].fillna(0) == 0) & ~repeat
    out["priority"] = tk["priority"]
    return out



# --- cxdash's bounded samples, reproduced on whole tables ----------------------------------------------------
def every_kth(ids: pd.Series, all_ids: pd.Series, total: int, size: int, max_candidates: int = MAX_CANDIDATES) -> pd.Series:
    """The rows :func:`cxdash.metrics.response_sample.response_sample` keeps: every one when ``total`` is at most
    ``size``, else every k-th id (k = ceil(total / size)), counted from the table's lowest id when at most
    ``max_candidates`` ids of the whole range are candidates, else the ids divisible by k. A boolean mask of
    ``ids``; ``all_ids`` are the whole table's ids (the range).
    """
    step = max(1, math.ceil(total / max(size, 1)))
    if step == 1 or all_ids.empty:
        return pd.Series(True, index=ids.index)
    lo, hi = int(all_ids.min()), int(all_ids.max())
    if (hi - lo) // step + 1 <= max_candidates:
        return (ids.astype(np.int64) - lo) % step == 0
    return ids.astype(np.int64) % step == 0


def response_sample(sel: pd.DataFrame, all_ids: pd.Series, size: int, extra: pd.Series | None = None,
                    max_candidates: int = MAX_CANDIDATES) -> pd.DataFrame:
    """The selected responses ``sel`` cxdash samples at ``size`` (the selection's size decides the step, ``extra``
    narrows the sample afterwards, as the SQL's extra conditions do)."""
    mask = every_kth(sel["id"], all_ids, len(sel), size, max_candidates)
    if extra is not None:
        mask &= extra
    return sel[mask]


def nps_counts(ltr: pd.Series) -> tuple[int, int, int]:
    """(n, promoters, detractors) of likelihood-to-recommend answers (0-10 only)."""
    v = ltr.dropna()
    v = v[(v >= 0) & (v <= 10)]
    return len(v), int((v >= 9).sum()), int((v <= 6).sum())


def nps_figures(ltr: pd.Series, prefix: str) -> Figures:
    """``{prefix}nps_n``, ``{prefix}nps`` of likelihood-to-recommend answers."""
    n, pro, det = nps_counts(ltr)
    return {f"{prefix}nps_n": float(n), f"{prefix}nps": 100 * (pro - det) / n if n else None}


def gap_pairs(sr: pd.DataFrame, ts: pd.DataFrame) -> pd.DataFrame:
    """The touchpoint pairs of the responses ``sr`` (the gap table's definition): scores with both P and E on a
    scale of positive range (the response's touchpoint scale, else its overall scale), with ``d`` = (P - E) /
    range and the response's ``site_id``, ``team_id`` and ``visit_date`` beside them."""
    lo = sr["tp_scale_min"].fillna(sr["overall_scale_min"])
    hi = sr["tp_scale_max"].fillna(sr["overall_scale_max"])
    scale = pd.DataFrame({"response_id": sr["id"], "site_id": sr["site_id"], "team_id": sr["team_id"],
                          "visit_date": sr["visit_date"], "lo": lo, "rng": hi - lo})
    x = ts.merge(scale, on="response_id", how="inner")
    x = x[(x["rng"] > 0) & x["p"].notna() & x["e"].notna()]
    return x.assign(d=(x["p"] - x["e"]) / x["rng"])
