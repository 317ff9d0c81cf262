"""Seeded demo data: the same builder makes the demo database, test fixtures and benchmark data at any size.

``build_demo(engine, responses=20000, tickets=30000, seed=7)`` loads, in one transaction: the default touchpoint
catalog, 4 regions, 40 sites with teams, advisors and ticket agents, customers, two years of survey responses
with P and E per touchpoint, tickets with SLA facts, the default checklist with a year of inspections, about
30 action plans, and KPI targets. Same seed and end date, same data. Everything is drawn with numpy column by
column and bulk-loaded (:mod:`cxdash.bulk`), so a million responses take minutes, not hours.

The structure the pages must find (numbers in :mod:`cxdash.demo.structure`):

- **Touchpoint gaps**: persistent, clearly significant shortfalls at CON02 (confirm cost, time and payment),
  RES03 (notify customer to collect) and HND02 (warm, quick checkout); REC01 (guard greets customer) and HND03
  (hand-over and farewell) exceed expectations; the other touchpoints sit near zero.
- **Weak sites**: S12 Shanghai Minhang, S22 Guangzhou Baiyun, S24 Shenzhen Longgang and S34 Chongqing
  Jiulongpo have bigger negative gaps everywhere (more at the weak touchpoints), lower NPS, more effort and
  more late tickets. In each, the first advisor of the first team is weak; S12 has a second weak advisor (the
  first of its second team).
- **Trend and season**: the weak touchpoints' shortfall shrinks by a third over the two years and all gaps rise
  a little; troughs around the Spring Festival (early February) and in August.
- **Loyalty drivers**: likelihood to recommend follows the overall disconfirmation and the perceived scores of
  CON02, VAL01 and HND02 (the decisive touchpoints); more contacts, transfers, repeating the story and a low
  CES lower it, and so does a breached ticket of the same customer (which also lowers CSAT).
- **Churn**: customers seen in year 1 never come back (last event more than 365 days before the end date)
  more often after disappointment, effort, breached and reopened tickets; 30 % of them carry an explicit churn
  flag and date as well.
- **Comments** (about 30 %, mostly Chinese, some English) name the touchpoint a customer felt most: the
  weak ones in complaints ("取车通知太晚，等了很久", "结账排队太久", "费用比预估高，没有提前说明"), REC01 and
  HND03 in praise ("保安很热情", "The farewell was lovely"), and effort ("打了好几次电话才解决").
- **Tickets**: business-hours timing on the default SLA policies; breaches concentrated at the weak sites and
  in "parts delay"; reopenings mostly in "repair quality"; about 8 % repeat contacts (same customer and
  category within 7 days) and 2 % merged; an open backlog at the end date, some at risk or breached.
- **Closed loop**: monthly inspections per site over the last year whose scores follow the true gaps; action
  plans of which 8 worked (their touchpoint's gap in their scope rose after the due date), 5 closed without
  effect, 8 open, 4 overdue, 3 new and 2 cancelled, root causes spread over the four dimensions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from time import perf_counter
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert, next_id, trusted_load
from cxdash.customers import refresh_customer_events
from cxdash.db import bump_data_version, refresh_statistics
from cxdash.demo import build as b
from cxdash.demo import closedloop, plans
from cxdash.demo import responses as rs
from cxdash.demo import tickets as tk
from cxdash.demo.customers import SEGMENTS, make_pool
from cxdash.demo.organisation import DEFAULT_SITES, ensure_organisation
from cxdash.demo.targets import ensure_targets
from cxdash.demo.timeline import Timeline
from cxdash.improve.checklist import ensure_default_checklist
from cxdash.schema import customer, ticket
from cxdash.service.compute import recompute_tickets
from cxdash.service.policies import ensure_default_policies
from cxdash.summaries import refresh_summaries

__all__ = ["DemoSummary", "build_demo"]


@dataclass(frozen=True)
class DemoSummary:
    """What one :func:`build_demo` call loaded (organisation counts are the demo organisation's size)."""

    seed: int
    start_date: date
    end_date: date
    regions: int
    sites: int
    teams: int
    people: int
    customers: int
    responses: int
    touchpoint_scores: int
    tickets: int
    inspections: int
    action_plans: int
    kpi_targets: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per build step, for benchmarks

    def as_dict(self) -> dict[str, Any]:
        """Plain values (dates as ISO strings) for printing."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


class _Steps:
    """Forwards progress to the caller and times each step (a step lasts until the next message)."""

    def __init__(self, progress: b.Progress | None) -> None:
        self.progress = progress
        self.phases: dict[str, float] = {}
        self._current: tuple[str, float] | None = None

    def __call__(self, fraction: float, message: str) -> None:
        now = perf_counter()
        if self._current is not None:
            name, since = self._current
            self.phases[name] = round(self.phases.get(name, 0.0) + now - since, 2)
        self._current = (message, now)
        if self.progress is not None:
            self.progress(fraction, message)


def build_demo(
    engine: Engine,
    responses: int = 20000,
    tickets: int = 30000,
    seed: int = 7,
    end_date: date | None = None,
    progress: b.Progress | None = None,
    sites: int = DEFAULT_SITES,
) -> DemoSummary:
    """Build the seeded demo data set in one transaction and bump the data version.

    Args:
        engine: a migrated database (SQLite or PostgreSQL); existing data stays, demo rows are added.
        responses, tickets: how many survey responses and tickets to generate (0 allowed).
        seed: the random seed; the same seed and end date give the same data.
        end_date: the last day of the two years of data (default today).
        progress: optional ``progress(fraction, message)`` callback (fraction 0-1).
        sites: how many service sites a new demo organisation has (40 named ones, then numbered branches).

    Raises:
        ValueError: a negative size, or fewer than one site.
    """
    if responses < 0 or tickets < 0:
        raise ValueError("responses and tickets must not be negative")
    started = perf_counter()
    report = _Steps(progress)
    rng = np.random.default_rng(seed)
    tl = Timeline(end_date) if end_date else Timeline(date.today(), np.datetime64(datetime.now(UTC).replace(tzinfo=None)))
    with engine.begin() as conn:
        report(0.0, "organisation")
        counts = _build(conn, rng, tl, responses, tickets, report, sites)
        bump_data_version(conn)
    report(0.99, "statistics")
    refresh_statistics(engine, vacuum=True)  # PostgreSQL plans bulk-loaded tables as empty without them
    report(1.0, "done")
    return DemoSummary(seed=seed, start_date=tl.start, end_date=tl.end, seconds=round(perf_counter() - started, 2),
                       phases=report.phases, **counts)


def _build(conn: Connection, rng: np.random.Generator, tl: Timeline, n_resp: int, n_tick: int,
           report: b.Progress, sites: int = DEFAULT_SITES) -> dict[str, int]:
    catalog = b.ensure_catalog(conn)
    codes = [c["code"] for c in catalog]
    tp_ids = np.array([c["id"] for c in catalog], dtype=np.int64)
    org = ensure_organisation(conn, rng, sites)
    site_offset = rng.normal(0.0, 0.15, len(org.site_ids))
    specs = closedloop.plan_specs(rng, org, codes)
    imps = closedloop.improvements(specs, org, codes, site_offset, tl)
    ctx = rs.Context(codes, org, tl, imps, site_offset)

    report(0.05, "generating")
    r = rs.generate(rng, org, n_resp, tl)
    rs.allocate_scores(r, len(codes))
    t = tk.generate(rng, org, n_tick, tl)
    pool = make_pool(rng, org, n_resp + n_tick)
    r_y1 = np.flatnonzero(r.day < tl.boundary_day)
    r_y2 = np.flatnonzero(r.day >= tl.boundary_day)
    t_first = tl.utc_to_day(t.created) < tl.boundary_day
    base = t.origin < 0
    b.assign_year(rng, pool, r, t, r_y1, np.flatnonzero(t_first & base), np.flatnonzero(pool.early))
    t_y1 = np.flatnonzero(t_first)
    b.score_year(rng, pool, r, t, r_y1, ctx, t_y1)
    b.decide_churn(rng, pool, r, t, r_y1, t_y1)
    stayed = np.flatnonzero(~pool.churned)
    b.assign_year(rng, pool, r, t, r_y2, np.flatnonzero(~t_first & base), stayed)
    b.score_year(rng, pool, r, t, r_y2, ctx, np.arange(len(t)))
    rs.center_unplanted(rng, r, ctx)

    report(0.3, "customers")
    had_customers = next_id(conn, customer) > 1
    had_tickets = next_id(conn, ticket) > 1
    cust_ids, cust_rows = b.customer_table(rng, pool, org, r, t, tl, next_id(conn, customer))
    segment = np.array(SEGMENTS, dtype=object)[pool.segment]
    lookups = {"org": org, "timeline": tl, "customer_id": cust_ids, "segment": segment,
               "touchpoint_id": dict(zip(codes, tp_ids.tolist(), strict=True))}
    # Every key below points at rows created above or at ids handed out in this build (tests check them).
    with trusted_load(conn):
        n_cust = bulk_insert(conn, customer, b.CUSTOMER_COLUMNS, cust_rows)
        report(0.35, "responses")
        r_ids, t_ids, n_scores = b.load_events(conn, r, t, lookups, tp_ids, report)

    report(0.75, "summaries")
    _summaries(conn, tl)
    report(0.8, "SLA")
    _sla(conn, None if not had_tickets else t_ids.tolist())
    refresh_customer_events(conn, None if not had_customers else cust_ids[cust_ids >= 0].tolist())
    report(0.9, "inspections and action plans")
    n_insp = closedloop.insert_inspections(conn, rng, org, tl, codes, tp_ids, site_offset, imps) if _checklist(conn) else 0
    n_plans = plans.insert_plans(conn, rng, org, tl, specs, catalog, site_offset, imps)
    return {
        "regions": len(org.region_ids), "sites": len(org.site_ids), "teams": len(org.team_ids),
        "people": len(org.names), "customers": n_cust, "responses": len(r), "touchpoint_scores": n_scores,
        "tickets": len(t), "inspections": n_insp, "action_plans": n_plans, "kpi_targets": ensure_targets(conn),
    }


def _sla(conn: Connection, ticket_ids: list[int] | None) -> None:
    """Default SLA policies, then the stored SLA facts of the new tickets (all tickets on a fresh database)."""
    ensure_default_policies(conn)
    if ticket_ids is None and conn.execute(select(func.count()).select_from(ticket)).scalar_one() == 0:
        return
    recompute_tickets(conn, ticket_ids)


def _checklist(conn: Connection) -> bool:
    """Make sure the default checklist exists (always True: the demo then builds inspections)."""
    ensure_default_checklist(conn)
    return True


def _summaries(conn: Connection, tl: Timeline) -> None:
    """Rebuild the response summary tables over the demo's two years."""
    refresh_summaries(conn, tl.start, tl.end)
