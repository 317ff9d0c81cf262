"""The drivers page's three customer samples, read in one walk: the churn model's, the at-risk list's and the
retention curves'.

The model is fitted on a sample of the judged customers with their facts before the observation end; the
at-risk list scores a sample of the active customers with their facts up to A (both as in
:mod:`cxdash.metrics.loyalty.customer_features`); the retention curves follow a sample of every customer seen by A from
their first event (:mod:`cxdash.metrics.loyalty.survival`). Read apart, that walks the customers three times and seeks
the responses and tickets of three samples. Here all three are taken by customer id in one pass:

- the judged sample is every k-th judged customer id, k = judged / ``size`` rounded up (as
  :func:`~cxdash.metrics.loyalty.customer_features.customer_features` takes it);
- the active sample is every (m x k)-th active customer id, m = (active / k) / ``active_size`` rounded up, so at
  most about ``active_size`` active customers are scored; an upper bound of the active count from an index
  range stands in for the count where no organisation filter applies;
- the history sample is every (h x k)-th customer seen by A, h = (seen / k) / ``history_size`` rounded up, the
  same way;
- every fact is aggregated for both windows (before the observation end, up to A) in one grouped query per
  event table, so a customer in several samples is read once; the tier of each customer's first response comes
  from the same grouped query (the smallest of day, id and tier packed into one integer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, and_, case, cast, func, literal, or_, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from cxdash.domain.frames import rows_frame
from cxdash.domain.service_sql import frt_breached, res_breached
from cxdash.filters import Filters
from cxdash.metrics.loyalty.churn import customer_selection, has_org_filter, resolve_as_of
from cxdash.metrics.loyalty.churn_definition import (
    ChurnDefinition,
    churned,
    ended,
    flagged,
    judged,
    observation_end,
    seen,
    undated_status,
)
from cxdash.metrics.loyalty.customer_features import (
    FEATURE_COLUMNS,
    RESPONSE_COLUMNS,
    SAMPLE_CUSTOMERS,
    TICKET_COLUMNS,
    active_condition,
    histories_from,
    typed_facts,
)
from cxdash.schema import customer, site, survey_response, ticket
from cxdash.sqlfuncs import as_float, epoch_days, in_ids, min_max

WINDOWS = ("model", "now")  # before the observation end (fitting), up to A (scoring)
cu, sr, tk = customer.c, survey_response.c, ticket.c


def _when(cond: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    """``value`` where ``cond`` holds, else NULL (aggregates skip it)."""
    return case((cond, value), else_=None)


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((cond, 1), else_=0))


# The first response (earliest visit day, then lowest id) and its tier as one orderable integer, so MIN finds it
# in the grouped query that reads the customer's responses anyway: day x 2^42 + id x 4 + tier (3: no tier).
# Days since 1970 stay below 2^21 and ids below 2^40, well inside 64 bits.
FIRST_DAY_SHIFT, FIRST_ID_SHIFT, NO_TIER = 2**42, 4, 3


def _first_key(dialect: str) -> ColumnElement[Any]:
    """A response's day, id and tier packed so that the smallest value is the customer's first response."""
    day = cast(epoch_days(sr.visit_date, dialect), BigInteger)
    return day * literal(FIRST_DAY_SHIFT, BigInteger) + sr.id * FIRST_ID_SHIFT + func.coalesce(sr.tier, NO_TIER)


def _response_facts(chosen: ColumnElement[bool], untils: dict[str, datetime], dialect: str) -> Any:
    """Per customer whose responses meet ``chosen``: :data:`RESPONSE_COLUMNS` for each window, suffixed
    ``_<window>``, and ``first_key`` (:func:`_first_key` of the first response up to A)."""
    repeated = case((sr.repeated_story.is_(true()), 1), else_=0)
    cols: list[Any] = [sr.customer_id]
    for until in untils.values():
        before = sr.visit_date < until.date()
        cols += [_count_if(before), func.min(_when(before, sr.tier)), func.min(_when(before, sr.ltr)),
                 func.avg(_when(before, as_float(sr.ces))), func.max(_when(before, sr.contacts_needed)),
                 func.max(_when(before, sr.transfers)), func.max(_when(before, repeated))]
    last = max(untils.values())
    cols.append(func.min(_first_key(dialect)))
    return select(*cols).where(chosen, sr.visit_date < last.date()).group_by(sr.customer_id)


def _ticket_facts(chosen: ColumnElement[bool], untils: dict[str, datetime]) -> Any:
    """Per customer whose tickets meet ``chosen``: :data:`TICKET_COLUMNS` for each window (breaches judged at its end)."""
    repeat = or_(tk.is_repeat_7d.is_(true()), tk.has_repeat_7d.is_(true()))
    cols: list[Any] = [tk.customer_id]
    for until in untils.values():
        before = tk.created_at < until
        cols += [_count_if(before), _count_if(and_(before, or_(frt_breached(until), res_breached(until)))),
                 _count_if(and_(before, tk.reopen_count > 0)), _count_if(and_(before, repeat))]
    last = max(untils.values())
    return (select(*cols).where(chosen, tk.created_at < last, tk.merged_into.is_(None))
            .group_by(tk.customer_id))


def _windowed(names: list[str]) -> list[str]:
    return [names[0], *[f"{c}_{w}" for w in WINDOWS for c in names[1:]]]


def _active_bound(conn: Connection, filters: Filters, definition: ChurnDefinition, as_of: date) -> int:
    """The number of active customers, or (without organisation filters) an upper bound read from an index range:
    those seen within the window (inactivity), or seen by A (flag)."""
    if has_org_filter(filters):
        where = and_(customer_selection(filters), active_condition(definition, as_of))
    elif definition.mode == "flag":
        where = seen(as_of)
    else:
        where = or_(cu.last_event_at >= observation_end(as_of, definition), undated_status())
    return int(conn.execute(select(func.count()).select_from(customer).where(where)).scalar_one())


def _every(step: int) -> ColumnElement[bool]:
    return true() if step == 1 else cu.id % step == 0


@dataclass(frozen=True)
class ChurnSamples:
    """The drivers page's customer samples: the judged one's facts before the observation end
    (:data:`FEATURE_COLUMNS`), the active one's facts up to A, the history sample
    (:data:`~cxdash.metrics.loyalty.customer_features.HISTORY_COLUMNS`) and A (None without any customer event)."""

    judged: pd.DataFrame
    active: pd.DataFrame
    histories: pd.DataFrame
    as_of: date | None


def _counts(conn: Connection, filters: Filters, definition: ChurnDefinition, a: date) -> tuple[int, int]:
    """Judged customers among the selection, and the number seen by A or (without organisation filters) an upper
    bound of it: the span of customer ids, read at both ends of the key (counting them walks an index)."""
    selection = customer_selection(filters)

    def count(cond: ColumnElement[bool]) -> int:
        return int(conn.execute(select(func.count()).select_from(customer).where(selection, cond)).scalar_one())

    n_judged = count(judged(definition, a))
    if has_org_filter(filters):
        return n_judged, count(seen(a))
    lo, hi = min_max(conn, cu.id)
    return n_judged, 0 if lo is None else int(hi) - int(lo) + 1


def churn_samples(conn: Connection, filters: Filters, as_of: date | None, definition: ChurnDefinition,
                  size: int = SAMPLE_CUSTOMERS, active_size: int = SAMPLE_CUSTOMERS,
                  history_size: int = SAMPLE_CUSTOMERS) -> ChurnSamples:
    """The judged sample's facts (as :func:`~cxdash.metrics.loyalty.customer_features.customer_features`), the active
    sample's facts (as :func:`~cxdash.metrics.loyalty.customer_features.active_features`), the history sample and A,
    read together (see the module docstring)."""
    a = resolve_as_of(conn, filters, as_of)
    empty = pd.DataFrame(columns=FEATURE_COLUMNS)
    if a is None:
        return ChurnSamples(empty, empty, histories_from(pd.DataFrame(), date.min), None)
    selection, is_judged, is_active = customer_selection(filters), judged(definition, a), active_condition(definition, a)
    dialect = conn.dialect.name
    n_judged, n_seen = _counts(conn, filters, definition, a)
    k = max(1, math.ceil(n_judged / max(size, 1)))
    m = max(1, math.ceil(_active_bound(conn, filters, definition, a) / k / max(active_size, 1)))
    h = max(1, math.ceil(n_seen / k / max(history_size, 1)))
    in_model, in_scoring, in_history = and_(_every(k), is_judged), and_(_every(k * m), is_active), _every(k * h)
    # All samples are every k-th id seen by A: one range of the first-event index holds them (an OR alone reads
    # it twice), and the cheap test on the id comes first, so the others run for the sampled ids only.
    who = and_(_every(k), seen(a), selection, or_(is_judged, in_scoring, in_history))
    base = rows_frame(conn.execute(select(
        cu.id, case((is_judged, 1), else_=0), case((churned(definition, a), 1), else_=0),
        case((in_model, 1), else_=0), case((in_scoring, 1), else_=0), case((in_history, 1), else_=0),
        epoch_days(cu.first_event_at, dialect), epoch_days(cu.last_event_at, dialect),
        case((flagged(a), 1), else_=0), epoch_days(cu.churn_date, dialect), case((ended(definition, a), 1), else_=0),
        cu.tenure_months, cu.segment, site.c.name,
    ).select_from(customer.outerjoin(site, site.c.id == cu.site_id)).where(who)),
        ["customer_id", "judged", "churned", "in_model", "in_scoring", "in_history", "first_day", "last_day",
         "flagged", "churn_day", "ended", "tenure_months", "segment", "site"])
    # The sampled ids as one bound list: as a subquery, each of the two fact queries walked the customers again.
    ids = base["customer_id"].astype("int64").tolist()
    untils = dict(zip(WINDOWS, (observation_end(a, definition), observation_end(a, ChurnDefinition("flag"))),
                      strict=True))
    resp = rows_frame(conn.execute(_response_facts(in_ids(sr.customer_id, ids, dialect), untils, dialect)),
                      [*_windowed(RESPONSE_COLUMNS), "first_key"])
    resp["first_tier"] = _first_tier(resp.pop("first_key"))
    tick = rows_frame(conn.execute(_ticket_facts(in_ids(tk.customer_id, ids, dialect), untils)),
                      _windowed(TICKET_COLUMNS))
    both = base.merge(resp, on="customer_id", how="left").merge(tick, on="customer_id", how="left")
    return ChurnSamples(_window(both, "in_model", "model"), _window(both, "in_scoring", "now"),
                        _histories(both[both["in_history"] == 1], a), a)


def _first_tier(keys: pd.Series) -> pd.Series:
    """The tier code packed into each :func:`_first_key` (NaN: no tier), read as exact integers (a float64 has too
    few digits for the key)."""
    codes = [int(v) % FIRST_ID_SHIFT for v in keys.tolist()]
    return pd.Series([float(c) if c != NO_TIER else float("nan") for c in codes], index=keys.index, dtype=float)


def _histories(part: pd.DataFrame, a: date) -> pd.DataFrame:
    """The history sample's spans with the tier of each one's first response."""
    rows = pd.DataFrame({"customer_id": part["customer_id"], "first_day": part["first_day"],
                         "last_day": part["last_day"], "flagged": part["flagged"], "churn_day": part["churn_day"],
                         "churned": part["ended"], "tier": part["first_tier"],
                         "tenure_months": part["tenure_months"]})
    return histories_from(rows.reset_index(drop=True), a)


def _window(both: pd.DataFrame, member: str, tag: str) -> pd.DataFrame:
    """The members of one sample with that window's facts under the plain names."""
    part = both[both[member] == 1]
    facts = {c: part[f"{c}_{tag}"] for c in [*RESPONSE_COLUMNS[1:], *TICKET_COLUMNS[1:]]}
    out = pd.DataFrame({"customer_id": part["customer_id"], "judged": part["judged"], "churned": part["churned"],
                        **facts})
    out = typed_facts(out.reset_index(drop=True))
    # Who the customer is (a customer list's segment, home site and tenure), for churn by group and the model.
    out["segment"] = part["segment"].to_numpy()
    out["site"] = part["site"].to_numpy()
    out["tenure_months"] = pd.to_numeric(part["tenure_months"]).astype(float).to_numpy()
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)
