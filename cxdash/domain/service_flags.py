"""The SLA outcomes of a ticket that do not depend on the moment of asking, as one integer of bits.

Stored in ``ticket.sla_flags`` with the other SLA facts, so compliance, first-time fix, reopen, repeat and
chased counts over a million tickets are sums of bits. What does depend on ``now`` (a pending first response or
resolution past its due or at-risk time) is judged on the few open tickets only (:mod:`cxdash.domain.service_sql`).

:func:`flags_from_columns` computes the bits vectorised (when tickets are recomputed); :func:`flags_sql` is the
same rule in SQL, for tickets whose repeat neighbours changed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, or_

from cxdash.schema import ticket

FRT_MET = 1 << 0  # first response within target
FRT_LATE = 1 << 1  # first response after the target
RES_MET = 1 << 2  # resolved within target
RES_LATE = 1 << 3  # resolved after the target
RESOLVED = 1 << 4  # status resolved or closed
FTF = 1 << 5  # resolved, never reopened, no repeat within 7 days after
WAS_RESOLVED = 1 << 6  # resolved now, or reopened (resolved before)
REOPENED = 1 << 7  # reopened at least once
REPEAT = 1 << 8  # a repeat contact (an earlier ticket of the customer and category within 7 days)
CHASED = 1 << 9  # at least one customer reminder
OPEN = 1 << 10  # status open or pending
FRT_PENDING = 1 << 11  # open, a first-response target applies, no first response yet
RES_PENDING = 1 << 12  # open, a resolution target applies, not resolved yet
MERGED = 1 << 13  # merged into another ticket: this bit alone, so merged tickets add to no other count

OPEN_STATUSES = ("open", "pending")
DONE_STATUSES = ("resolved", "closed")


def flags_from_columns(
    status: np.ndarray, reopen_count: np.ndarray, reminder_count: np.ndarray, frt_min: np.ndarray,
    frt_target: np.ndarray, res_min: np.ndarray, res_target: np.ndarray, is_repeat: np.ndarray, has_repeat: np.ndarray,
    merged: np.ndarray,
) -> np.ndarray:
    """The bits per ticket from aligned arrays (minutes and targets as floats, NaN = none; counts as numbers;
    ``merged`` true for tickets merged into another, which get :data:`MERGED` alone)."""
    st = status.astype(object)
    is_open = np.isin(st, OPEN_STATUSES)
    done = np.isin(st, DONE_STATUSES)
    reopened = np.nan_to_num(reopen_count.astype(float)) > 0
    chased = np.nan_to_num(reminder_count.astype(float)) > 0
    has_frt_t, has_res_t = ~np.isnan(frt_target), ~np.isnan(res_target)
    with np.errstate(invalid="ignore"):
        bits = [
            (FRT_MET, has_frt_t & (frt_min <= frt_target)),
            (FRT_LATE, has_frt_t & (frt_min > frt_target)),
            (RES_MET, has_res_t & (res_min <= res_target)),
            (RES_LATE, has_res_t & (res_min > res_target)),
            (RESOLVED, done),
            (FTF, done & ~reopened & ~has_repeat.astype(bool)),
            (WAS_RESOLVED, done | reopened),
            (REOPENED, reopened),
            (REPEAT, is_repeat.astype(bool)),
            (CHASED, chased),
            (OPEN, is_open),
            (FRT_PENDING, is_open & has_frt_t & np.isnan(frt_min)),
            (RES_PENDING, is_open & has_res_t & np.isnan(res_min)),
        ]
    out = np.zeros(len(st), dtype=np.int64)
    for bit, cond in bits:
        out |= np.where(cond, bit, 0)
    return np.where(merged.astype(bool), MERGED, out)


def flags_sql() -> Any:
    """The same bits computed in SQL from a ticket's stored columns."""
    t = ticket.c
    is_open = t.status.in_(OPEN_STATUSES)
    done = t.status.in_(DONE_STATUSES)
    reopened = func.coalesce(t.reopen_count, 0) > 0
    parts = [
        (FRT_MET, and_(t.frt_target_min.is_not(None), t.frt_business_min <= t.frt_target_min)),
        (FRT_LATE, and_(t.frt_target_min.is_not(None), t.frt_business_min > t.frt_target_min)),
        (RES_MET, and_(t.res_target_min.is_not(None), t.res_business_min <= t.res_target_min)),
        (RES_LATE, and_(t.res_target_min.is_not(None), t.res_business_min > t.res_target_min)),
        (RESOLVED, done),
        (FTF, and_(done, ~reopened, func.coalesce(t.has_repeat_7d, False).is_(False))),
        (WAS_RESOLVED, or_(done, reopened)),
        (REOPENED, reopened),
        (REPEAT, t.is_repeat_7d.is_(True)),
        (CHASED, func.coalesce(t.reminder_count, 0) > 0),
        (OPEN, is_open),
        (FRT_PENDING, and_(is_open, t.frt_target_min.is_not(None), t.frt_business_min.is_(None))),
        (RES_PENDING, and_(is_open, t.res_target_min.is_not(None), t.res_business_min.is_(None))),
    ]
    expr: Any = None
    for bit, cond in parts:
        term = case((cond, bit), else_=0)
        expr = term if expr is None else expr + term
    return case((t.merged_into.is_not(None), MERGED), else_=expr)
