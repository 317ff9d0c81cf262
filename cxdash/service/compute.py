"""Store each ticket's SLA facts: policy, targets, elapsed business minutes, due and at-risk times, repeats.

Computed once when tickets load or a policy changes, so pages only compare stored columns with ``now``.
The policy match and the start/end instants come from one SQL read (in chunks, timestamps parsed
vectorised), the business time from :mod:`cxdash.service.calendar` per calendar, repeats from one sort; results
go back with :mod:`cxdash.service.writeback`.

Rules (docs/metrics.md, "SLA and service"):
- first response is the first response time, or the resolution time when a ticket was solved without one;
- resolution is ``resolved_at`` (else ``closed_at``) of tickets whose status is resolved or closed;
- an elapsed time that would be negative (an event before creation, which the importer rejects) is left empty;
- ``is_repeat_7d``: an earlier ticket of the same customer and category was created in the 7 days before;
  ``has_repeat_7d``: a later ticket of the same customer and category was created no later than 7 days after
  this one's resolution (or creation, when unresolved). Merged tickets and tickets without customer or
  category take no part in repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Float, String, and_, case, cast, func, or_, select, true, type_coerce, update
from sqlalchemy.engine import Connection, Engine

from cxdash.db import bump_data_version, is_sqlite
from cxdash.domain.periods import month_floor
from cxdash.domain.service_flags import flags_from_columns, flags_sql
from cxdash.schema import ticket
from cxdash.service.calendar import NS_PER_MIN, Calendar, add_on, expansion_covering
from cxdash.service.policies import DEFAULT_PRIORITY, Policy, list_calendars, list_policies
from cxdash.service.writeback import FLAG_COLS, OUT_COLS, TIMING_COLS, write_back
from cxdash.summaries.tickets import refresh_ticket_summary

Progress = Callable[[int, int], None]
Write = Callable[[Connection], object]  # a policy or calendar edit inside the recompute's transaction
CHUNK = 100_000
WINDOW_NS = 7 * 24 * 60 * NS_PER_MIN
NAT = np.iinfo(np.int64).min
DONE_STATUSES = ("resolved", "closed")
# Stored columns the outcome bits need besides the timings (cxdash.domain.service_flags).
_STATE_COLS = ("status", "reopen_count", "reminder_count", "is_repeat_7d", "has_repeat_7d")


def policy_case(policies: Sequence[Policy]) -> Any:
    """SQL giving each ticket the id of its most specific active policy (0 when none matches)."""
    prio = func.coalesce(ticket.c.priority, DEFAULT_PRIORITY)
    whens = []
    for p in sorted((p for p in policies if p.active), key=lambda p: (-p.specificity, p.id)):
        cond = [prio == p.priority]
        if p.category:
            cond.append(ticket.c.category == p.category)
        if p.channel:
            cond.append(ticket.c.channel == p.channel)
        whens.append((and_(*cond), p.id))
    return case(*whens, else_=0) if whens else case((true(), 0), else_=0)


def _instants() -> dict[str, Any]:
    done = ticket.c.status.in_(DONE_STATUSES)
    res_end = case((done, func.coalesce(ticket.c.resolved_at, ticket.c.closed_at)), else_=None)
    return {"created_at": ticket.c.created_at, "frt_end": func.coalesce(ticket.c.first_response_at, res_end), "res_end": res_end}


def _time_column(expr: Any, name: str, sqlite: bool) -> Any:
    # SQLite keeps timestamps as text, parsed here in one vectorised call; PostgreSQL sends epoch seconds.
    if sqlite:
        return type_coerce(expr, String).label(name)
    return cast(func.extract("epoch", expr), Float).label(name)


def _to_ns(values: np.ndarray, sqlite: bool) -> np.ndarray:
    if sqlite:
        parsed = pd.to_datetime(pd.Series(values, dtype="object"), format="ISO8601")
        return pd.DatetimeIndex(parsed).as_unit("ns").asi8.copy()
    secs = np.where(values == None, np.nan, values).astype(float)  # noqa: E711
    us = np.round(secs * 1_000_000)
    return np.where(np.isnan(us), NAT, np.nan_to_num(us).astype(np.int64) * 1000)


def raw_rows(conn: Connection, stmt: Any, chunk: int) -> Iterator[np.ndarray]:
    """Run a Core SELECT on the DBAPI cursor and yield blocks of rows as 2-D object arrays.

    At a million rows SQLAlchemy's Row objects and per-value processing cost more than the query; values
    arrive as the driver gives them (SQLite: timestamps as text).
    """
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = compiled.params
    if compiled.positional:
        params = tuple(compiled.params[k] for k in compiled.positiontup or ())
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(str(compiled), params)
        while rows := cur.fetchmany(chunk):
            yield np.array(rows, dtype=object).reshape(len(rows), -1)
    finally:
        cur.close()


def load_tickets(
    conn: Connection, policies: Sequence[Policy], where: Any = None, repeats: bool = True,
    progress: Progress | None = None, total: int = 0,
) -> pd.DataFrame:
    """Read, in chunks: id, matched policy_id, created_at, frt_end, res_end (int64 ns, NaT = int64 min) and,
    with ``repeats``, customer_id and the category of tickets taking part in repeats (None otherwise)."""
    sqlite = is_sqlite(conn)
    inst = _instants()
    cols = [ticket.c.id, policy_case(policies).label("policy_id")]
    cols += [_time_column(expr, name, sqlite) for name, expr in inst.items()]
    cols += [ticket.c[c] for c in _STATE_COLS]
    cols.append(case((ticket.c.merged_into.is_(None), 0), else_=1).label("is_merged"))
    if repeats:
        cols += [ticket.c.customer_id, case((ticket.c.merged_into.is_(None), ticket.c.category), else_=None).label("category")]
    names = [c.key if hasattr(c, "key") else c.name for c in cols]
    stmt = select(*cols).order_by(ticket.c.id)
    if where is not None:
        stmt = stmt.where(where)
    parts: list[pd.DataFrame] = []
    done = 0
    for block in raw_rows(conn, stmt, CHUNK):
        columns = dict(zip(names, block.T, strict=True))
        frame = {
            "id": columns["id"].astype(np.int64),
            "policy_id": columns["policy_id"].astype(np.int64),
            **{name: _to_ns(columns[name], sqlite) for name in inst},
        }
        frame["status"] = columns["status"]
        frame["is_merged"] = columns["is_merged"].astype(bool)
        for c in _STATE_COLS[1:3]:
            frame[c] = np.where(columns[c] == None, 0, columns[c]).astype(np.int64)  # noqa: E711
        for c in _STATE_COLS[3:]:
            frame[c] = np.where(columns[c] == None, False, columns[c]).astype(bool)  # noqa: E711
        if repeats:
            cust = columns["customer_id"]
            frame["customer_id"] = np.where(cust == None, -1, cust).astype(np.int64)  # noqa: E711
            frame["category"] = columns["category"]
        parts.append(pd.DataFrame(frame))
        done += len(block)
        if progress and total:
            progress(min(done, total) * 2 // 5, total)
    if not parts:
        return pd.DataFrame({n: np.array([], dtype=np.int64) for n in names})
    return pd.concat(parts, ignore_index=True)


def compute_sla(df: pd.DataFrame, policies: Sequence[Policy], calendars: dict[int, tuple[str, Calendar]]) -> pd.DataFrame:
    """Vectorised SLA timing columns for ``df`` (columns id, policy_id, created_at, frt_end, res_end as int64 ns)."""
    n = len(df)
    pid = df["policy_id"].to_numpy()
    frt_t, res_t, ratio = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    cal_of = np.zeros(n, dtype=np.int64)
    for p in policies:
        m = pid == p.id
        frt_t[m], res_t[m], ratio[m], cal_of[m] = p.first_response_min, p.resolution_min, p.at_risk_ratio, p.calendar_id
    created, frt_end, res_end = (df[c].to_numpy() for c in ("created_at", "frt_end", "res_end"))
    out: dict[str, np.ndarray] = {"frt_business_min": np.full(n, np.nan), "res_business_min": np.full(n, np.nan)}
    for c in ("frt_due_at", "res_due_at", "frt_risk_at", "res_risk_at"):
        out[c] = np.full(n, NAT, dtype=np.int64)
    for cal_id in np.unique(cal_of[cal_of > 0]):
        m = cal_of == cal_id
        exp = expansion_covering(calendars[int(cal_id)][1], [created[m], frt_end[m], res_end[m]], float(np.nanmax(res_t[m])))
        base = exp.clock(created[m])
        out["frt_business_min"][m] = exp.clock(frt_end[m]) - base
        out["res_business_min"][m] = exp.clock(res_end[m]) - base
        out["frt_due_at"][m] = add_on(exp, created[m], frt_t[m])
        out["res_due_at"][m] = add_on(exp, created[m], res_t[m])
        out["frt_risk_at"][m] = add_on(exp, created[m], frt_t[m] * ratio[m])
        out["res_risk_at"][m] = add_on(exp, created[m], res_t[m] * ratio[m])
    for c in ("frt_business_min", "res_business_min"):
        out[c] = np.where(out[c] < 0, np.nan, np.round(out[c], 3))
    return pd.DataFrame({"id": df["id"].to_numpy(), "policy_id": pid, "frt_target_min": frt_t, "res_target_min": res_t, **out})


def repeat_flags(df: pd.DataFrame) -> pd.DataFrame:
    """``is_repeat_7d`` / ``has_repeat_7d`` per ticket of ``df`` (id, customer_id (-1 = none), category (None =
    takes no part), created_at, res_end), by one integer sort; see the module doc for the rules."""
    n = len(df)
    is_rep = np.zeros(n, dtype=bool)
    has_rep = np.zeros(n, dtype=bool)
    cat_codes, _ = pd.factorize(df["category"].to_numpy(dtype=object), use_na_sentinel=True)
    cust = df["customer_id"].to_numpy()
    eligible = np.flatnonzero((cust >= 0) & (cat_codes >= 0))
    if len(eligible):
        created = df["created_at"].to_numpy()[eligible]
        order = np.lexsort((df["id"].to_numpy()[eligible], created, cat_codes[eligible], cust[eligible]))
        pos = eligible[order]
        c, k, t = cust[pos], cat_codes[pos], created[order]
        res_end = df["res_end"].to_numpy()[pos]
        same_prev = np.r_[False, (c[1:] == c[:-1]) & (k[1:] == k[:-1])]
        is_rep[pos] = same_prev & (t - np.r_[t[:1], t[:-1]] <= WINDOW_NS)
        anchor = np.where(res_end != NAT, np.maximum(res_end, t), t)
        same_next = np.r_[same_prev[1:], False]
        has_rep[pos] = same_next & (np.r_[t[1:], t[-1:]] - anchor <= WINDOW_NS)
    return pd.DataFrame({"id": df["id"].to_numpy(), "is_repeat_7d": is_rep, "has_repeat_7d": has_rep})


def recompute_tickets(
    conn: Connection, ticket_ids: Sequence[int] | None = None, progress: Progress | None = None, repeats: bool = True,
    months: Iterable[date] = (),
) -> int:
    """Recompute the stored SLA columns of the given tickets (all when None); return how many were updated.

    With ``repeats`` the repeat flags are recomputed too, for every ticket of the customers concerned (a new
    ticket changes its neighbours' flags). ``progress(done, total)`` is called as work advances. Bumps the
    data version. Call it in the transaction that loaded the tickets.

    Then refreshes the ticket summaries (:func:`cxdash.summaries.tickets.refresh_ticket_summary`): every month
    when all tickets were recomputed, else the creation months of the tickets read plus ``months`` (e.g. the
    months updated tickets were created in before an import changed their creation time).
    """
    n = _recompute(conn, ticket_ids, progress, repeats)
    _refresh_summary(conn, None if ticket_ids is None else _months_of(n[1], months))
    return n[0]


def _months_of(created_ns: np.ndarray, extra: Iterable[date]) -> set[date]:
    """First days of the creation months of ``created_ns`` (int64 ns) and of ``extra``."""
    valid = created_ns[created_ns != NAT]
    found = np.unique(valid.astype("datetime64[ns]").astype("datetime64[M]"))
    return {month_floor(d) for d in extra} | {date.fromisoformat(f"{m}-01") for m in found.astype(str)}


def _refresh_summary(conn: Connection, months: set[date] | None) -> None:
    if months is None or months:
        refresh_ticket_summary(conn, months)


def _recompute(
    conn: Connection, ticket_ids: Sequence[int] | None, progress: Progress | None, repeats: bool
) -> tuple[int, np.ndarray]:
    """:func:`recompute_tickets` without the summary refresh: the tickets updated and the creation times read."""
    policies = list_policies(conn)
    calendars = list_calendars(conn)
    where: Any = None
    ids: list[int] = []
    if ticket_ids is not None:
        ids = sorted({int(i) for i in ticket_ids})
        if not ids:
            return 0, np.array([], dtype=np.int64)
        where = _customers_of(conn, ids) if repeats else ticket.c.id.in_(ids)
    total = int(conn.execute(select(func.count()).select_from(ticket).where(where if where is not None else true())).scalar_one())
    df = load_tickets(conn, policies, where, repeats, progress, total)
    if df.empty:
        return 0, np.array([], dtype=np.int64)
    wanted = df["id"].isin(ids).to_numpy() if ticket_ids is not None else np.ones(len(df), dtype=bool)
    sub = df.loc[wanted].reset_index(drop=True)
    frame = compute_sla(sub, policies, calendars)
    if progress:
        progress(total * 3 // 5, total)
    if repeats:
        flags = repeat_flags(df)
        frame["is_repeat_7d"] = flags["is_repeat_7d"].to_numpy()[wanted]
        frame["has_repeat_7d"] = flags["has_repeat_7d"].to_numpy()[wanted]
    else:
        frame["is_repeat_7d"] = sub["is_repeat_7d"].to_numpy()
        frame["has_repeat_7d"] = sub["has_repeat_7d"].to_numpy()
    frame["sla_flags"] = flags_from_columns(
        sub["status"].to_numpy(), sub["reopen_count"].to_numpy(), sub["reminder_count"].to_numpy(),
        frame["frt_business_min"].to_numpy(), frame["frt_target_min"].to_numpy(), frame["res_business_min"].to_numpy(),
        frame["res_target_min"].to_numpy(), frame["is_repeat_7d"].to_numpy(), frame["has_repeat_7d"].to_numpy(),
        sub["is_merged"].to_numpy(),
    )
    write_back(conn, frame, OUT_COLS if repeats else TIMING_COLS, progress, total)
    if repeats and not wanted.all():
        neighbours = flags.loc[~wanted]
        write_back(conn, neighbours, FLAG_COLS)
        _refresh_flags(conn, neighbours["id"].astype("int64").tolist())
    bump_data_version(conn)
    if progress:
        progress(total, total)
    return int(len(frame)), df["created_at"].to_numpy()


def _refresh_flags(conn: Connection, ids: list[int]) -> None:
    """Recompute the stored outcome bits of ``ids`` in SQL (their repeat flags changed, timings did not)."""
    for start in range(0, len(ids), 10_000):
        part = ids[start : start + 10_000]
        conn.execute(update(ticket).where(ticket.c.id.in_(part)).values(sla_flags=flags_sql()))


def _customers_of(conn: Connection, ids: list[int]) -> Any:
    """WHERE clause for the tickets ``ids`` plus every ticket of their customers (for repeat flags)."""
    customers: set[int] = set()
    for start in range(0, len(ids), 10_000):
        part = ids[start : start + 10_000]
        stmt = select(ticket.c.customer_id).where(ticket.c.id.in_(part), ticket.c.customer_id.is_not(None))
        customers.update(int(r[0]) for r in conn.execute(stmt.distinct()))
    cond = ticket.c.id.in_(ids)
    return or_(cond, ticket.c.customer_id.in_(sorted(customers))) if customers else cond


def recompute_for_policy_change(conn: Connection, progress: Progress | None = None) -> int:
    """After a policy or calendar edit: recompute every ticket's policy match and timings (a changed policy can
    move tickets between policies, so all matches are redone; repeat flags do not depend on policies)."""
    return recompute_tickets(conn, None, progress, repeats=False)


def change_and_recompute(engine: Engine, write: Write,
                         progress: Progress | None = None) -> int:
    """Run ``write`` (a policy or calendar edit) and the recompute of every ticket in one transaction, so tickets
    are never judged by half an edit; return the tickets recomputed. A ``ValueError`` from ``write`` rolls back."""
    with engine.begin() as conn:
        write(conn)
        return recompute_for_policy_change(conn, progress)


def sla_settings(engine: Engine) -> tuple[list[Policy], dict[int, tuple[str, Calendar]]]:
    """The policies and the calendars (id -> (name, calendar)) for the settings page."""
    with engine.connect() as conn:
        return list_policies(conn), list_calendars(conn)
