"""The one fixture world of the tests: an organisation shape and the rows written into it.

Every test that needs hand-made data builds it here, through one :class:`World` and its builders, all with
the same shape ``builder(bind, rows, **common)`` where ``bind`` is an engine (one transaction per call) or an
open connection:

- :meth:`World.org`: the catalog, checklist and SLA policies when the world seeds them, then its regions,
  sites, teams, people and customers; returns ids by key (touchpoints by code, plus the world's named ids);
- :meth:`World.responses`, :meth:`World.tickets`, :meth:`World.customers`: rows with the world's defaults
  (day, place, scales), each row's keys overriding them;
- :meth:`World.gaps` (touchpoint gaps), :meth:`World.inspections` (inspection scores).

The worlds differ only in data (the rows of their organisation and the defaults of their rows), so each
family of tests keeps exactly the rows its figures were worked out on:

========== ============================================================================================
OVERVIEW   regions 1 (sites 1, 2) and 2 (site 3); team = site; visits on 2026-03-15
LOYALTY    OVERVIEW's organisation with one advisor per team (person id = site id); visits on 2026-03-16
EXPERIENCE the catalog; three sites, four teams (teams 3 and 4 at site 3), one person per team; visits on
           2026-03-02 by person = team, touchpoints on 1-7; response ids follow the table's highest
CLOSEDLOOP the catalog and checklist; four sites (1, 2 in region 1; 3, 4 in region 2); team = site
SERVICE    regions R1, R2 with one site and team each, two agents per team, customers 1-9; tickets with
           every SLA column given (:data:`TICKET_DEFAULTS`)
IMPORTS    catalog, checklist, SLA policies; regions N and S, sites S01 and S02, team A, advisor Wang, all
           with the database's own ids (an upload adds more); named ids north, s1, s2, t1
AUTH       region 1 with sites 1 and 2, team 10 at site 1 (the scopes of users)
NAMES      the catalog; a Beijing site with names in three forms, a Shanghai site without a region, team code T1
           at both sites and T2 at Shanghai; named ids north, bj, sh, t_bj, t_sh, t2
========== ============================================================================================
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

import numpy as np
from scipy.special import expit
from sqlalchemy import Engine, insert, select
from sqlalchemy.engine import Connection

from cxdash.catalog import ensure_default_catalog, touchpoint_ids
from cxdash.db import bump_data_version
from cxdash.improve.checklist import ensure_default_checklist
from cxdash.schema import (
    checklist_item,
    customer,
    inspection,
    person,
    region,
    site,
    survey_response,
    team,
    ticket,
    touchpoint_score,
)
from cxdash.service.calendar import Calendar
from cxdash.service.compute import recompute_tickets
from cxdash.service.policies import ensure_default_policies, list_calendars, save_calendar

Bind = Engine | Connection
Row = Mapping[str, Any]

# One counter for every world's generated ids: unique within a test run, so rows never collide.
_ids = count(1)

TICKET_DEFAULTS: dict[str, Any] = {
    "customer_id": None, "region_id": 1, "site_id": 1, "team_id": 1, "agent_id": 1, "segment": None,
    "channel": "phone", "category": "billing", "priority": "normal", "first_response_at": None,
    "resolved_at": None, "closed_at": None, "status": "open", "reopen_count": 0, "reminder_count": 0,
    "merged_into": None,
}


@contextmanager
def _conn(bind: Bind) -> Iterator[Connection]:
    """The connection of ``bind``: a new transaction for an engine, the open one for a connection."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every row the same keys (missing ones None): one executemany needs one shape."""
    keys = {k for r in rows for k in r}
    return [{k: r.get(k) for k in keys} for r in rows]


@dataclass(frozen=True)
class World:
    """An organisation (rows keyed so children name their parent's ``key``) and the defaults of its rows.

    ``region_of_site`` / ``site_of_team`` place a response or ticket: a row's team gives its site and the
    site its region. ``ids_after_max`` numbers responses after the table's highest id (and bumps the data
    version as a loader does) instead of from the run's counter. ``ticket_defaults`` set: tickets carry
    every SLA column (ids required, external ids ``T<id>``), their region left as given.
    """

    name: str
    regions: tuple[Row, ...]
    sites: tuple[Row, ...]
    teams: tuple[Row, ...]
    people: tuple[Row, ...] = ()
    customer_rows: tuple[Row, ...] = ()
    catalog: bool = False
    checklist: bool = False
    policies: bool = False
    day: date = date(2026, 3, 15)
    response_defaults: Mapping[str, Any] = field(default_factory=dict)
    person_follows_team: bool = False
    ids_after_max: bool = False
    ticket_defaults: Mapping[str, Any] | None = None

    # -- placement ---------------------------------------------------------------------------------------
    def site_of_team(self, team_id: int) -> int:
        """The site of team ``team_id`` (teams with explicit ids)."""
        return next(int(t["site"]) for t in self.teams if t["id"] == team_id)

    def region_of_site(self, site_id: int) -> int:
        """The region of site ``site_id`` (sites with explicit ids)."""
        return next(int(s["region"]) for s in self.sites if s["id"] == site_id)

    # -- organisation ------------------------------------------------------------------------------------
    def org(self, bind: Bind) -> dict[str, int]:
        """Write the organisation; return the touchpoint ids by code (when the catalog is seeded) and the ids of
        the rows that carry a ``name_key``."""
        ids: dict[str, int] = {}
        with _conn(bind) as conn:
            if self.catalog:
                ensure_default_catalog(conn)
            if self.checklist:
                ensure_default_checklist(conn)
            if self.policies:
                ensure_default_policies(conn)
            keys: dict[tuple[str, Any], int] = {}
            for table, rows, parent, column in (
                (region, self.regions, None, None),
                (site, self.sites, "region", "region_id"),
                (team, self.teams, "site", "site_id"),
                (person, self.people, "team", "team_id"),
            ):
                for row in rows:
                    values = {k: v for k, v in row.items() if k not in ("region", "site", "team", "name_key")}
                    if parent is not None and column is not None and parent in row:
                        values[column] = keys[(parent, row[parent])] if (parent, row[parent]) in keys else row[parent]
                    new_id = int(conn.execute(insert(table).values(**values)).inserted_primary_key[0])
                    keys[(table.name, row.get("id", row.get("code")))] = new_id
                    if "name_key" in row:
                        ids[str(row["name_key"])] = new_id
            if self.customer_rows:
                conn.execute(insert(customer), [dict(r) for r in self.customer_rows])
            if self.catalog:
                ids = {**touchpoint_ids(conn), **ids}
        return ids

    def customers(self, bind: Bind, rows: Sequence[Row]) -> None:
        """Insert customers (``id`` required; ``external_id`` ``c<id>`` unless given)."""
        with _conn(bind) as conn:
            conn.execute(insert(customer), _uniform([{"external_id": f"c{r['id']}", **r} for r in rows]))

    # -- survey responses --------------------------------------------------------------------------------
    def responses(self, bind: Bind, rows: Sequence[Row], site_id: int = 1, day: date | None = None,
                  **common: Any) -> list[int]:
        """Insert survey responses; return their ids.

        Each row's keys override ``common``, which override the world's defaults: ``site_id`` (team and region
        follow) or, in a world where people follow teams, ``team_id`` (site, region and person follow), and
        the visit ``day``. A row's ``scores`` are (touchpoint code, P, E[, importance]) tuples.
        """
        if self.ids_after_max:
            return self._numbered_responses(bind, rows, common)
        out = []
        for r in rows:
            rid = next(_ids)
            s = r.get("site_id", common.get("site_id", site_id))
            out.append({"id": rid, "external_id": f"r{rid}", "site_id": s, "team_id": s,
                        "region_id": self.region_of_site(s), "visit_date": r.get("visit_date", day or self.day),
                        **self.response_defaults, **common, **r})
        if out:
            with _conn(bind) as conn:
                conn.execute(insert(survey_response), _uniform(out))
        return [r["id"] for r in out]

    def _numbered_responses(self, bind: Bind, rows: Sequence[Row], common: Mapping[str, Any]) -> list[int]:
        ids: list[int] = []
        with _conn(bind) as conn:
            tp = touchpoint_ids(conn)
            start = conn.execute(select(survey_response.c.id).order_by(survey_response.c.id.desc()).limit(1)).scalar()
            next_id = (start or 0) + 1
            for given in rows:
                r = {**common, **given}
                scores: Sequence[tuple] = r.pop("scores", ())
                team_id = r.get("team_id", 1)
                site_id = self.site_of_team(team_id)
                values = {"id": next_id, "external_id": f"r{next_id}", "team_id": team_id, "site_id": site_id,
                          "region_id": self.region_of_site(site_id), "visit_date": self.day,
                          **({"person_id": team_id} if self.person_follows_team else {}),
                          **self.response_defaults}
                values.update(r)
                conn.execute(insert(survey_response).values(**values))
                if scores:
                    conn.execute(insert(touchpoint_score), [
                        {"response_id": next_id, "touchpoint_id": tp[s[0]], "p": s[1], "e": s[2],
                         "importance": s[3] if len(s) > 3 else None}
                        for s in scores
                    ])
                ids.append(next_id)
                next_id += 1
            bump_data_version(conn)  # as every loader does
        return ids

    def gaps(self, bind: Bind, touchpoint_id: int, site_id: int, days: Sequence[date], gaps: Sequence[float],
             lo: float = 1, hi: float = 7, importance: float | None = None) -> None:
        """One response per (day, gap) at ``site_id`` (team = site) with P - E = gap x (hi - lo) at the touchpoint."""
        rows, scores = [], []
        for day, g in zip(days, gaps, strict=True):
            rid = next(_ids) + 100000 * site_id
            e = (lo + hi) / 2 - g * (hi - lo) / 2
            p = e + g * (hi - lo)
            rows.append({"id": rid, "external_id": f"x{rid}", "site_id": site_id, "team_id": site_id,
                         "region_id": self.region_of_site(site_id), "visit_date": day, "tp_scale_min": lo,
                         "tp_scale_max": hi})
            scores.append({"response_id": rid, "touchpoint_id": touchpoint_id, "p": p, "e": e, "importance": importance})
        with _conn(bind) as conn:
            conn.execute(insert(survey_response), rows)
            conn.execute(insert(touchpoint_score), scores)

    # -- tickets -----------------------------------------------------------------------------------------
    def tickets(self, bind: Bind, rows: Sequence[Row], site_id: int = 1) -> list[int]:
        """Insert tickets with their SLA facts given directly; return their ids.

        Default: resolved, created at noon on the world's day at ``site_id`` (team and region follow). In a world
        with ``ticket_defaults`` every column comes from them instead (ids required; the team follows the site).
        """
        if self.ticket_defaults is not None:
            full = []
            for r in rows:
                row = {**self.ticket_defaults, "external_id": f"T{r['id']}", **r}
                if "team_id" not in r:
                    row["team_id"] = next((int(t["id"]) for t in self.teams if t["site"] == row["site_id"]), row["team_id"])
                full.append(row)
            with _conn(bind) as conn:
                conn.execute(insert(ticket), full)
            return [int(r["id"]) for r in full]
        out = []
        for r in rows:
            tid = next(_ids)
            s = r.get("site_id", site_id)
            out.append({"id": tid, "external_id": f"t{tid}", "site_id": s, "team_id": s,
                        "region_id": self.region_of_site(s), "status": "resolved",
                        "created_at": datetime.combine(self.day, time(12)), **r})
        with _conn(bind) as conn:
            conn.execute(insert(ticket), _uniform(out))
        return [r["id"] for r in out]

    # -- inspections -------------------------------------------------------------------------------------
    def inspections(self, bind: Bind, rows: Sequence[tuple[int, int, date, float]]) -> None:
        """Inspection rows (item id, site id, day, score) without the form's validation."""
        with _conn(bind) as conn:
            conn.execute(insert(inspection), [
                {"item_id": i, "site_id": s, "inspected_on": d, "score": sc, "inspector": "fixture"}
                for i, s, d, sc in rows
            ])


# -- the worlds ----------------------------------------------------------------------------------------------
_NORTH_SOUTH = ({"id": 1, "code": "N", "name_en": "North"}, {"id": 2, "code": "S", "name_en": "South"})

OVERVIEW = World(
    name="overview",
    regions=_NORTH_SOUTH,
    sites=tuple({"id": s, "code": f"S{s}", "name": f"Site {s}", "region": 1 if s < 3 else 2} for s in (1, 2, 3)),
    teams=tuple({"id": s, "site": s, "code": f"T{s}", "name": f"Team {s}"} for s in (1, 2, 3)),
)

LOYALTY = World(
    name="loyalty",
    regions=({"id": 1, "code": "N", "name_en": "North", "name_zh_hans": "北区"},
             {"id": 2, "code": "S", "name_en": "South", "name_zh_hans": "南区"}),
    sites=OVERVIEW.sites,
    teams=OVERVIEW.teams,
    people=tuple({"id": s, "team": s, "code": f"P{s}", "name": n}
                 for s, n in ((1, "Wang Fang"), (2, "李明"), (3, "Zhang Wei"))),
    day=date(2026, 3, 16),  # a Monday
)

EXPERIENCE = World(
    name="experience",
    regions=({"id": 1, "code": "N", "name_en": "North", "name_zh_hans": "北区", "name_zh_hant": "北區"},
             {"id": 2, "code": "S", "name_en": "South", "name_zh_hans": "南区", "name_zh_hant": "南區"}),
    sites=({"id": 1, "code": "S1", "name": "Site one", "region": 1},
           {"id": 2, "code": "S2", "name": "Site two", "region": 1},
           {"id": 3, "code": "S3", "name": "Site three", "region": 2}),
    teams=({"id": 1, "site": 1, "code": "T1", "name": "Team one"},
           {"id": 2, "site": 2, "code": "T2", "name": "Team two"},
           {"id": 3, "site": 3, "code": "T3", "name": "Team three"},
           {"id": 4, "site": 3, "code": "T4", "name": "Team four"}),
    people=tuple({"id": i, "team": i, "code": f"P{i}", "name": f"Person {i}", "role": "advisor"} for i in range(1, 5)),
    catalog=True,
    day=date(2026, 3, 2),
    response_defaults={"tp_scale_min": 1.0, "tp_scale_max": 7.0, "channel": "workshop", "segment": "private"},
    person_follows_team=True,
    ids_after_max=True,
)

CLOSEDLOOP = World(
    name="closedloop",
    regions=_NORTH_SOUTH,
    sites=tuple({"id": s, "code": f"S{s}", "name": f"Site {s}", "region": 1 if s <= 2 else 2} for s in range(1, 5)),
    teams=tuple({"id": s, "site": s, "code": f"T{s}", "name": f"Team {s}"} for s in range(1, 5)),
    catalog=True,
    checklist=True,
)

SERVICE = World(
    name="service",
    regions=tuple({"id": i, "code": f"R{i}", "name_en": f"Region {i}"} for i in (1, 2)),
    sites=tuple({"id": i, "code": f"S{i}", "name": f"Site {i}", "region": i} for i in (1, 2)),
    teams=tuple({"id": i, "site": i, "code": f"T{i}", "name": f"Team {i}"} for i in (1, 2)),
    people=tuple({"id": i, "team": (i + 1) // 2, "code": f"P{i}", "name": f"Agent {i}", "role": "agent"}
                 for i in (1, 2, 3, 4)),
    customer_rows=tuple({"id": i, "external_id": f"C{i}"} for i in range(1, 10)),
    ticket_defaults=TICKET_DEFAULTS,
)

IMPORTS = World(
    name="imports",
    regions=({"code": "N", "name_en": "North", "name_zh_hans": "北区", "name_key": "north"},
             {"code": "S", "name_en": "South"}),
    sites=({"code": "S01", "name": "North Store", "region": "N", "name_key": "s1"},
           {"code": "S02", "name": "East Store", "region": "N", "name_key": "s2"}),
    teams=({"site": "S01", "code": "A", "name": "Team A", "name_key": "t1"},),
    people=({"code": "wang", "name": "Wang Wei", "team": "A", "role": "advisor"},),
    catalog=True,
    checklist=True,
    policies=True,
)


AUTH = World(
    name="auth",
    regions=({"id": 1, "code": "N", "name_en": "North"},),
    sites=({"id": 1, "code": "S1", "name": "One", "region": 1}, {"id": 2, "code": "S2", "name": "Two", "region": 1}),
    teams=({"id": 10, "site": 1, "code": "T10", "name": "Ten"},),
)

BEIJING = {"code": "BJ01", "name": "Beijing Chaoyang Service Centre 北京朝阳服务中心",
           "name_en": "Beijing Chaoyang Service Centre", "name_zh_hans": "北京朝阳服务中心",
           "name_zh_hant": "北京朝陽服務中心"}

NAMES = World(
    name="names",
    regions=({"code": "NORTH", "name_en": "North", "name_zh_hans": "华北", "name_zh_hant": "華北", "name_key": "north"},),
    sites=({**BEIJING, "region": "NORTH", "name_key": "bj"},
           {"code": "SH01", "name": "Shanghai Pudong Motors", "name_en": "Shanghai Pudong Motors",
            "name_zh_hans": "上海浦东汽车服务店", "name_key": "sh"}),
    teams=({"site": "BJ01", "code": "T1", "name": "Service Team A 服务一组", "name_en": "Service Team A",
            "name_zh_hans": "服务一组", "name_zh_hant": "服務一組", "name_key": "t_bj"},
           {"site": "SH01", "code": "T1", "name": "Service Team A", "name_en": "Service Team A", "name_key": "t_sh"},
           {"site": "SH01", "code": "T2", "name": "Express Desk", "name_en": "Express Desk", "name_zh_hans": "快修组",
            "name_key": "t2"}),
    catalog=True,
)


# -- worked data sets on top of a world --------------------------------------------------------------------
def values(column: str, xs: Sequence[Any], **extra: Any) -> list[dict[str, Any]]:
    """One response row per value of ``column``."""
    return [{column: x, **extra} for x in xs]


def spread(first: date, n: int, step: int = 1) -> list[date]:
    """``n`` days from ``first`` every ``step`` days."""
    return [first + timedelta(days=i * step) for i in range(n)]


def item_ids(bind: Bind) -> dict[str, int]:
    """Checklist item id by code."""
    with _conn(bind) as conn:
        return {code: i for i, code in conn.execute(checklist_item.select().with_only_columns(
            checklist_item.c.id, checklist_item.c.code))}


def sh(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall time as the naive UTC timestamp the database stores (UTC+8, no DST)."""
    return datetime(y, mo, d, h, mi) - timedelta(hours=8)


NOW = datetime(2026, 11, 20, 11, 56)  # "now" of the SERVICE metrics tickets
M = timedelta(minutes=1)


def d(mo: int, day: int, h: int = 0, mi: int = 0) -> datetime:
    """A time in 2026."""
    return datetime(2026, mo, day, h, mi)


def service_metrics(engine: Engine) -> None:
    """The hand-made tickets of tests/test_sla_metrics.py (see its table), on 24/7 UTC calendars."""
    always = Calendar.from_json("UTC", {str(i): [["00:00", "24:00"]] for i in range(7)})
    with engine.begin() as conn:
        SERVICE.org(conn)
        ensure_default_policies(conn)
        for cal_id, (name, _) in list_calendars(conn).items():
            save_calendar(conn, name, always, cal_id)
        SERVICE.tickets(conn, [
            {"id": 1, "customer_id": 1, "created_at": d(10, 1), "first_response_at": d(10, 1) + 60 * M,
             "resolved_at": d(10, 1) + 1000 * M, "status": "resolved"},
            {"id": 2, "customer_id": 2, "agent_id": 2, "created_at": d(10, 2), "first_response_at": d(10, 2) + 300 * M,
             "resolved_at": d(10, 2) + 2000 * M, "status": "resolved", "reopen_count": 1, "reminder_count": 2},
            {"id": 3, "site_id": 2, "agent_id": 3, "category": "warranty", "created_at": d(11, 20, 7)},
            {"id": 4, "created_at": d(11, 20, 8, 40), "first_response_at": d(11, 20, 9)},
            {"id": 5, "site_id": 2, "agent_id": 3, "priority": "urgent", "created_at": d(11, 20, 11, 30)},
            {"id": 6, "priority": "low", "customer_id": 1, "created_at": d(10, 3), "first_response_at": d(10, 3) + 5 * M,
             "resolved_at": d(10, 3) + 10 * M, "status": "resolved", "merged_into": "T1"},
            {"id": 7, "customer_id": 1, "created_at": d(10, 5), "first_response_at": d(10, 5) + 10 * M,
             "resolved_at": d(10, 5) + 100 * M, "status": "resolved"},
            {"id": 8, "site_id": 2, "agent_id": 4, "priority": "high", "category": "complaint", "customer_id": 3,
             "created_at": d(11, 2), "first_response_at": d(11, 2) + 100 * M, "resolved_at": d(11, 2) + 3000 * M,
             "status": "closed"},
            {"id": 9, "priority": "low", "created_at": d(11, 10)},
        ])
        recompute_tickets(conn)


CHURN_AS_OF = date(2026, 6, 30)
CHURN_CUT = CHURN_AS_OF - timedelta(days=364)  # events before this day lie at least 365 days before the as-of day


def churn_customers(engine: Engine, n: int = 240, seed: int = 5) -> np.ndarray:
    """LOYALTY customers first seen a year and a half before :data:`CHURN_AS_OF`; churn more likely after a
    detractor answer or a breach. Returns who churned."""
    rng = np.random.default_rng(seed)
    LOYALTY.org(engine)
    detractor = rng.random(n) < 0.4
    breach = rng.random(n) < 0.3
    churn = rng.random(n) < expit(-1.5 + 1.5 * detractor + 1.0 * breach)
    first = datetime.combine(CHURN_CUT - timedelta(days=200), time())
    rows, resp, tick = [], [], []
    for i in range(n):
        cid = i + 1
        last = (datetime.combine(CHURN_CUT - timedelta(days=10), time()) if churn[i]
                else datetime.combine(CHURN_AS_OF - timedelta(days=20), time()))
        rows.append({"id": cid, "first_event_at": first, "last_event_at": last, "site_id": 1})
        resp.append({"customer_id": cid, "visit_date": first.date(), "ltr": 3 if detractor[i] else 9,
                     "ces": int(rng.integers(3, 8)), "tier": 1, "contacts_needed": 1, "transfers": 0})
        if not churn[i]:
            resp.append({"customer_id": cid, "visit_date": last.date(), "ltr": 0, "ces": 1, "tier": 0})
        late = 500 if breach[i] else 10
        tick.append({"customer_id": cid, "created_at": first + timedelta(days=5), "frt_target_min": 60,
                     "frt_business_min": late, "res_target_min": 1000, "res_business_min": 100})
    LOYALTY.customers(engine, rows)
    LOYALTY.responses(engine, resp)
    LOYALTY.tickets(engine, tick)
    return churn
