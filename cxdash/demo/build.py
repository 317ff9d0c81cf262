"""The demo build: draw everything in memory with numpy, then bulk-load it in one transaction.

Order matters because the story is causal: tickets and year-1 visits are assigned to customers first, year-1
responses are scored (knowing which customers had breached tickets), churn is decided from year-1 experience,
and only then are year-2 events given to the customers who stayed (or newly arrived) and scored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert, date_strings, next_id, reset_sequences
from cxdash.catalog import ensure_default_catalog
from cxdash.demo import responses as rs
from cxdash.demo import tickets as tk
from cxdash.demo.customers import SEGMENTS, CustomerPool, assign, churn_decision, churn_flags
from cxdash.demo.organisation import Org
from cxdash.demo.timeline import Timeline
from cxdash.schema import customer, stage, survey_response, ticket, touchpoint, touchpoint_score

Progress = Callable[[float, str], None]
INSERT_CHUNK = 50_000


def catalog_rows(conn: Connection) -> list[dict[str, Any]]:
    """Touchpoints in journey order (stage order, then touchpoint order) with id, code and names."""
    stmt = (select(touchpoint.c.id, touchpoint.c.code, touchpoint.c.name_en, touchpoint.c.name_zh_hans)
            .join(stage, stage.c.id == touchpoint.c.stage_id).order_by(stage.c.sort_order, touchpoint.c.sort_order))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def ensure_catalog(conn: Connection) -> list[dict[str, Any]]:
    """The default catalog (created when missing) in journey order."""
    ensure_default_catalog(conn)
    return catalog_rows(conn)


def assign_year(rng: np.random.Generator, pool: CustomerPool, r: rs.Responses, t: tk.Tickets,
                r_rows: np.ndarray, t_rows: np.ndarray, members: np.ndarray) -> None:
    """Give customers to one year's responses and first-contact tickets, then to its follow-ups."""
    sites = np.concatenate([r.site[r_rows], t.site[t_rows]])
    chosen = assign(rng, sites, members, pool)
    r.customer[r_rows] = chosen[: len(r_rows)]
    t.customer[t_rows] = chosen[len(r_rows):]
    follow = np.flatnonzero((t.origin >= 0) & (t.customer < 0))
    # Origins always come earlier (tickets are sorted by creation), and follow-ups never cross into year 2.
    t.customer[follow] = t.customer[t.origin[follow]]


def per_customer(index: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Sum (or count) per customer position, ignoring unassigned (-1) entries."""
    ok = index >= 0
    return np.bincount(index[ok], weights=None if weights is None else weights[ok], minlength=n)


def decide_churn(rng: np.random.Generator, pool: CustomerPool, r: rs.Responses, t: tk.Tickets,
                 r_rows: np.ndarray, t_rows: np.ndarray) -> None:
    """Churn from year-1 experience: disappointment, effort, breached and reopened tickets."""
    n = len(pool)
    cust = r.customer[r_rows]
    tiered = r.cols["tier"][r_rows] >= 0
    churn_decision(
        rng, pool,
        disappointed=per_customer(np.where(tiered, cust, -1), n, (r.cols["tier"][r_rows] == 0).astype(float)),
        responses=per_customer(np.where(tiered, cust, -1), n),
        effort=per_customer(cust, n, rs.effort_score(r, r_rows)),
        breached=per_customer(t.customer[t_rows], n, (t.late[t_rows] & ~t.merged[t_rows]).astype(float)),
        reopened=per_customer(t.customer[t_rows], n, (t.reopen[t_rows] > 0).astype(float)),
    )


def score_year(rng: np.random.Generator, pool: CustomerPool, r: rs.Responses, t: tk.Tickets, rows: np.ndarray,
               ctx: rs.Context, upto: np.ndarray) -> None:
    """Score responses ``rows``; a customer's breached tickets among ``upto`` lower their answers."""
    breached = per_customer(t.customer[upto], len(pool), (t.late[upto] & ~t.merged[upto]).astype(float)) > 0
    cust = r.customer[rows]
    rs.score(rng, r, rows, ctx, pool.expectation[cust], breached[cust].astype(float))


def customer_table(rng: np.random.Generator, pool: CustomerPool, org: Org, r: rs.Responses, t: tk.Tickets,
                   tl: Timeline, first_id: int) -> tuple[np.ndarray, list[tuple]]:
    """Ids per pool position (-1 for customers without events) and the customer rows to load."""
    n = len(pool)
    t_day = tl.utc_to_day(t.created)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, -1)
    for cust, day in ((r.customer, r.day), (t.customer, t_day)):
        ok = cust >= 0
        np.minimum.at(first, cust[ok], day[ok])
        np.maximum.at(last, cust[ok], day[ok])
    used = last >= 0
    ids = np.full(n, -1, dtype=np.int64)
    ids[used] = first_id + np.arange(int(used.sum()))
    flagged = churn_flags(rng, pool) & used
    churn_day = np.minimum(last + rng.integers(180, 360, n), (tl.end - tl.start).days)
    start = tl.start64
    first_seen = date_strings(start + np.where(used, first, 0).astype("timedelta64[D]"))
    churn_date = date_strings(start + churn_day.astype("timedelta64[D]"))
    pos = np.flatnonzero(used)
    home = org.site_ids[pool.site].tolist()
    rows = [(int(ids[p]), f"DEMO-C{ids[p]}", SEGMENTS[pool.segment[p]], home[p], first_seen[p],
             True if flagged[p] else None, churn_date[p] if flagged[p] else None) for p in pos.tolist()]
    return ids, rows

CUSTOMER_COLUMNS = ["id", "external_id", "segment", "site_id", "first_seen", "churn_flag", "churn_date"]


def chunked(make: Callable[[int, int], Iterable[Sequence[Any]]], n: int, size: int = INSERT_CHUNK) -> Iterator[Sequence[Any]]:
    """Rows ``0:n`` produced ``size`` at a time, so memory stays flat at any scale."""
    return chain.from_iterable(make(lo, min(lo + size, n)) for lo in range(0, n, size))


def load_events(conn: Connection, r: rs.Responses, t: tk.Tickets, lookups: dict[str, Any],
                tp_ids: np.ndarray, report: Callable[[float, str], None]) -> tuple[np.ndarray, np.ndarray, int]:
    """Insert responses, their touchpoint scores and tickets; return the new response and ticket ids and the
    number of scores."""
    r0, t0 = next_id(conn, survey_response), next_id(conn, ticket)
    r_ids = np.arange(r0, r0 + len(r), dtype=np.int64)
    t_ids = np.arange(t0, t0 + len(t), dtype=np.int64)
    bulk_insert(conn, survey_response, rs.RESPONSE_COLUMNS,
                chunked(lambda lo, hi: rs.response_rows(r, r_ids, lookups, lo, hi), len(r)))
    report(0.45, "touchpoint scores")
    n_scores = bulk_insert(conn, touchpoint_score, rs.SCORE_COLUMNS,
                           chunked(lambda lo, hi: rs.score_rows(r, r_ids, tp_ids, lo, hi), len(r), 20_000))
    report(0.7, "tickets")
    bulk_insert(conn, ticket, tk.TICKET_COLUMNS, chunked(lambda lo, hi: tk.ticket_rows(t, t_ids, lookups, lo, hi), len(t)))
    reset_sequences(conn, [customer, survey_response, ticket])
    return r_ids, t_ids, n_scores
