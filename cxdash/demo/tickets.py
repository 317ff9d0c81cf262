"""Demo service tickets: two years of contacts with business-hours timing, breaches, reopenings and repeats.

Tickets mostly arrive in Shanghai office hours, some at night and at weekends. Each one is drawn as on time or
late against the default SLA targets of :mod:`cxdash.service.policies` (late more often at the weak sites and for
parts delays), and its first response and resolution are placed that many *business* minutes after creation
on the policy's calendar, so the SLA pages find the breaches the demo meant. About 10 % are follow-ups of an
earlier ticket of the same customer and category within 7 days (repeat contacts), a fifth of those merged
into their origin (about 2 % in all). Tickets not yet resolved at the demo's "now" form the open backlog, some
of them at risk or already breached. Breaches lower the ticket's CSAT; the builder also passes them on to the
customer's survey answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cxdash.bulk import datetime_strings
from cxdash.demo.organisation import Org, pick_child
from cxdash.demo.timeline import UTC_OFFSET_H, Timeline
from cxdash.service.calendar import Calendar, add_business_minutes
from cxdash.service.holidays import CN_HOLIDAYS, CN_WORKDAYS
from cxdash.service.policies import (
    DEFAULT_CALENDAR,
    DEFAULT_TARGETS,
    DEFAULT_TIMEZONE,
    EXTENDED_CALENDAR,
    EXTENDED_HOURS,
    PRIORITIES,
    SERVICE_HOURS,
)

CHANNELS = ("phone", "email", "chat", "app")
CHANNEL_SHARE = (0.35, 0.15, 0.3, 0.2)
CATEGORIES = ("billing", "repair quality", "appointment", "parts delay", "warranty", "complaint")
CATEGORY_SHARE = (0.2, 0.18, 0.22, 0.14, 0.12, 0.14)
PRIORITY_SHARE = (0.05, 0.2, 0.55, 0.2)
STATUSES = ("open", "pending", "resolved", "closed")
FOLLOW_UP_SHARE = 0.10
MERGED_SHARE_OF_FOLLOW_UPS = 0.2
CATEGORY_TOUCHPOINTS = {
    "billing": ("CON02", "HND02", "VAL03"),
    "repair quality": ("VAL01", "RES04", "CON01"),
    "appointment": ("REC02", "CON05"),
    "parts delay": ("CON05", "RES03"),
    "warranty": ("REC07", "VAL03"),
    "complaint": ("RES03", "HND02", "CON04"),
}
SUBJECTS = {
    "billing": ("发票金额与报价不符", "Invoice does not match the quote", "结算多收费用"),
    "repair quality": ("维修后问题仍未解决", "Same noise again after the repair", "保养后发动机灯亮"),
    "appointment": ("预约改期", "Need to move my appointment", "预约时间确认"),
    "parts delay": ("配件迟迟未到", "Still waiting for the parts", "配件到货时间查询"),
    "warranty": ("质保范围咨询", "Is this covered by warranty?", "索赔进度查询"),
    "complaint": ("对服务态度不满", "Complaint about the service desk", "取车等待时间太长"),
}
MIN = np.timedelta64(1, "m")
SEC = np.timedelta64(1, "s")
NAT = np.datetime64("NaT", "s")


@dataclass
class Tickets:
    """All tickets as columns, sorted by creation time; positions refer to the organisation."""

    created: np.ndarray  # datetime64[s], naive UTC
    site: np.ndarray
    team: np.ndarray
    agent: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    priority: np.ndarray
    origin: np.ndarray  # position of the ticket a follow-up repeats, -1 for first contacts
    merged: np.ndarray
    first_response: np.ndarray
    resolved: np.ndarray
    closed: np.ndarray
    status: np.ndarray
    reopen: np.ndarray
    reminders: np.ndarray
    late: np.ndarray  # first response or resolution beyond target (or open past it)
    csat: np.ndarray  # -1 = none
    touchpoint: np.ndarray  # code or None
    subject: np.ndarray
    customer: np.ndarray  # pool position, -1 until assigned

    def __len__(self) -> int:
        return len(self.created)


def _created(rng: np.random.Generator, tl: Timeline, n: int) -> np.ndarray:
    """Creation times: 85 % of weekday tickets in office hours, the rest evenings, nights and weekends."""
    day = tl.sample_days(rng, n, (1, 1, 1, 1, 1, 0.55, 0.35))
    weekend = tl.weekday(day) >= 5
    u = rng.integers(0, 480, n)
    office = 540 + u + (u >= 180) * 60
    evening = (18 * 60 + rng.integers(0, 15 * 60, n)) % 1440
    weekend_minute = rng.integers(8 * 60, 22 * 60, n)
    minute = np.where(weekend, weekend_minute, np.where(rng.random(n) < 0.85, office, evening))
    created = tl.local_to_utc(day, minute).astype("datetime64[s]") + rng.integers(0, 60, n) * SEC
    limit = tl.as_of.astype("datetime64[s]") - 10 * 60 * SEC
    early = limit - rng.integers(10, 600, n) * 60 * SEC
    return np.where(created > limit, early, created)


def _follow_ups(rng: np.random.Generator, tl: Timeline, created: np.ndarray, weight: np.ndarray, n: int):  # noqa: ANN202
    """Origins, creation times and merge flags of ``n`` follow-up tickets (same customer and category)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), created[:0], np.zeros(0, dtype=bool)
    origin = rng.choice(len(created), size=n, p=weight / weight.sum())
    delta = (rng.uniform(0.05, 6.8, n) * 86400).astype(np.int64) * SEC
    boundary = (np.datetime64(tl.boundary, "s") - np.timedelta64(UTC_OFFSET_H, "h"))
    in_year1 = created[origin] < boundary
    limit = np.where(in_year1, boundary, tl.as_of.astype("datetime64[s]")) - 60 * SEC
    when = np.maximum(np.minimum(created[origin] + delta, limit), created[origin] + 60 * SEC)
    close_in_time = delta < np.timedelta64(2 * 86400, "s")
    merged = close_in_time & (rng.random(n) < MERGED_SHARE_OF_FOLLOW_UPS / max(close_in_time.mean(), 1e-9))
    return origin, when, merged


def generate(rng: np.random.Generator, org: Org, n: int, tl: Timeline) -> Tickets:
    """Draw ``n`` tickets (first contacts and follow-ups) with their timing and outcome, sorted by creation."""
    n_follow = int(round(FOLLOW_UP_SHARE * n)) if n >= 20 else 0
    n_base = n - n_follow
    created = _created(rng, tl, n_base)
    site = rng.choice(len(org.site_ids), size=n_base, p=org.site_weight)
    category = rng.choice(len(CATEGORIES), size=n_base, p=CATEGORY_SHARE)
    priority = rng.choice(len(PRIORITIES), size=n_base, p=PRIORITY_SHARE)
    troubled = np.isin(category, [1, 3, 5]) | org.site_weak[site]
    origin, when, merged = _follow_ups(rng, tl, created, 1 + 2.0 * troubled, n_follow)

    created = np.concatenate([created, when])
    site = np.concatenate([site, site[origin]])
    category = np.concatenate([category, category[origin]])
    priority = np.concatenate([priority, priority[origin]])
    origin_all = np.concatenate([np.full(n_base, -1), origin])
    merged_all = np.concatenate([np.zeros(n_base, dtype=bool), merged])
    team = pick_child(rng, org.team_site, site)
    team[n_base:] = team[origin]
    order = np.argsort(created, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    origin_sorted = origin_all[order]
    origin_sorted[origin_sorted >= 0] = rank[origin_sorted[origin_sorted >= 0]]
    t = Tickets(
        created=created[order], site=site[order], team=team[order], agent=np.zeros(n, dtype=np.int64),
        channel=rng.choice(len(CHANNELS), size=n, p=CHANNEL_SHARE), category=category[order],
        priority=priority[order], origin=origin_sorted, merged=merged_all[order],
        first_response=np.full(n, NAT), resolved=np.full(n, NAT), closed=np.full(n, NAT),
        status=np.zeros(n, dtype=np.int8), reopen=np.zeros(n, dtype=np.int8), reminders=np.zeros(n, dtype=np.int8),
        late=np.zeros(n, dtype=bool), csat=np.full(n, -1, dtype=np.int8), touchpoint=np.full(n, None, dtype=object),
        subject=np.full(n, None, dtype=object), customer=np.full(n, -1, dtype=np.int64),
    )
    t.agent = pick_child(rng, org.agent_team, t.team)
    _timing(rng, org, tl, t)
    _outcome(rng, t)
    return t


def calendars() -> dict[str, Calendar]:
    """The default calendars of :mod:`cxdash.service.policies` (the demo times its tickets on them)."""
    return {
        DEFAULT_CALENDAR: Calendar.from_json(DEFAULT_TIMEZONE, SERVICE_HOURS, CN_HOLIDAYS, CN_WORKDAYS),
        EXTENDED_CALENDAR: Calendar.from_json(DEFAULT_TIMEZONE, EXTENDED_HOURS, CN_HOLIDAYS, CN_WORKDAYS),
    }


def _factor(rng: np.random.Generator, late: np.ndarray) -> np.ndarray:
    """Elapsed share of the target: well inside it when on time, 1.1-4x when late."""
    return np.where(late, rng.uniform(1.1, 4.0, len(late)), rng.beta(2.0, 5.0, len(late)) * 0.95 + 0.01)


def _timing(rng: np.random.Generator, org: Org, tl: Timeline, t: Tickets) -> None:
    n = len(t)
    weak = org.site_weak[t.site]
    cat = np.array(CATEGORIES)[t.category]
    late_frt = rng.random(n) < 0.07 + 0.10 * weak + 0.05 * (np.array(CHANNELS)[t.channel] == "email")
    late_res = rng.random(n) < 0.09 + 0.10 * weak + 0.15 * (cat == "parts delay") + 0.05 * (cat == "complaint")
    t.reopen = np.where(rng.random(n) < 0.04 + 0.08 * (cat == "repair quality") + 0.05 * late_res + 0.04 * weak,
                        1 + (rng.random(n) < 0.2), 0).astype(np.int8)
    frt_target = np.array([DEFAULT_TARGETS[p][0] for p in PRIORITIES], dtype=float)[t.priority]
    res_target = np.array([DEFAULT_TARGETS[p][1] for p in PRIORITIES], dtype=float)[t.priority]
    frt_min = np.ceil(frt_target * _factor(rng, late_frt))
    res_min = res_target * _factor(rng, late_res) * np.where(t.reopen > 0, rng.uniform(1.2, 1.8, n), 1.0)
    res_min = np.maximum(np.ceil(res_min), frt_min + 5)
    cals = calendars()
    for p, prio in enumerate(PRIORITIES):
        sel = t.priority == p
        if not sel.any():
            continue
        cal = cals[DEFAULT_TARGETS[prio][2]]
        t.first_response[sel] = add_business_minutes(cal, t.created[sel], frt_min[sel]).to_numpy().astype("datetime64[s]")
        t.resolved[sel] = add_business_minutes(cal, t.created[sel], res_min[sel]).to_numpy().astype("datetime64[s]")
    t.late = (frt_min > frt_target) | (res_min > res_target)
    t.closed = t.resolved + (rng.uniform(1, 5, n) * 86400).astype(np.int64) * SEC
    t.closed[rng.random(n) < 0.12] = NAT  # solved but never formally closed

    now = tl.as_of.astype("datetime64[s]")
    stuck = (t.created >= now - np.timedelta64(45, "D")) & (rng.random(n) < 0.04)
    t.resolved[stuck] = NAT
    t.late |= stuck & (t.created < now - np.timedelta64(10, "D"))
    for col in (t.first_response, t.resolved, t.closed):
        col[col > now] = NAT
    t.closed[np.isnat(t.resolved)] = NAT
    waiting = rng.random(n) < 0.5
    t.status = np.where(~np.isnat(t.closed), 3, np.where(~np.isnat(t.resolved), 2,
                        np.where(np.isnat(t.first_response) | waiting, 0, 1))).astype(np.int8)
    t.reopen[np.isnat(t.resolved)] = 0
    _merge(rng, t)


def _merge(rng: np.random.Generator, t: Tickets) -> None:
    """Merged duplicates: closed within hours, no outcome of their own."""
    m = t.merged
    k = int(m.sum())
    t.first_response[m] = t.created[m] + rng.integers(2, 60, k) * 60 * SEC
    t.closed[m] = t.created[m] + rng.integers(60, 240, k) * 60 * SEC
    t.resolved[m] = t.closed[m]
    t.status[m] = 3
    t.reopen[m] = 0
    t.late[m] = False


def _outcome(rng: np.random.Generator, t: Tickets) -> None:
    n = len(t)
    open_ = np.isnat(t.resolved)
    t.reminders = np.minimum(rng.poisson(0.1 + 1.0 * t.late + 0.5 * open_), 5).astype(np.int8)
    t.reminders[t.merged] = 0
    rated = ~open_ & ~t.merged & (rng.random(n) < 0.45)
    c = np.rint(4.3 - 1.6 * t.late - 0.7 * (t.reopen > 0) - 0.15 * t.reminders + rng.normal(0, 0.7, n))
    t.csat = np.where(rated, np.clip(c, 1, 5), -1).astype(np.int8)
    cat = np.array(CATEGORIES)[t.category]
    for name, codes in CATEGORY_TOUCHPOINTS.items():
        sel = np.flatnonzero((cat == name) & (rng.random(n) < 0.45))
        t.touchpoint[sel] = np.array(codes, dtype=object)[rng.integers(0, len(codes), len(sel))]
    for name, texts in SUBJECTS.items():
        sel = np.flatnonzero(cat == name)
        t.subject[sel] = np.array(texts, dtype=object)[rng.integers(0, len(texts), len(sel))]


TICKET_COLUMNS = [
    "id", "source", "external_id", "customer_id", "region_id", "site_id", "team_id", "agent_id", "segment",
    "channel", "category", "priority", "subject", "created_at", "first_response_at", "resolved_at", "closed_at",
    "status", "reopen_count", "reminder_count", "merged_into", "touchpoint_id", "csat",
]


def ticket_rows(t: Tickets, ids: np.ndarray, lookups: dict[str, Any], lo: int, hi: int) -> Iterator[Sequence[Any]]:
    """Rows for ``ticket`` (see :data:`TICKET_COLUMNS`) of positions ``lo:hi``."""
    sl = slice(lo, hi)
    org: Org = lookups["org"]
    tp_id: dict[str, int] = lookups["touchpoint_id"]
    n = hi - lo
    origin = t.origin[sl]
    merged_into = np.full(n, None, dtype=object)
    sel = t.merged[sl]
    merged_into[sel] = [f"DEMO-T{i}" for i in ids[origin[sel]].tolist()]
    csat = t.csat[sl].astype(object)
    csat[t.csat[sl] < 0] = None
    cust = t.customer[sl]
    yield from zip(
        ids[sl].tolist(), ["demo"] * n, [f"DEMO-T{i}" for i in ids[sl].tolist()],
        lookups["customer_id"][cust].tolist(), org.site_region[t.site[sl]].tolist(), org.site_ids[t.site[sl]].tolist(),
        org.team_ids[t.team[sl]].tolist(), org.agent_ids[t.agent[sl]].tolist(), lookups["segment"][cust].tolist(),
        np.array(CHANNELS, dtype=object)[t.channel[sl]].tolist(), np.array(CATEGORIES, dtype=object)[t.category[sl]].tolist(),
        np.array(PRIORITIES, dtype=object)[t.priority[sl]].tolist(), t.subject[sl].tolist(),
        datetime_strings(t.created[sl]), datetime_strings(t.first_response[sl]), datetime_strings(t.resolved[sl]),
        datetime_strings(t.closed[sl]), np.array(STATUSES, dtype=object)[t.status[sl]].tolist(),
        t.reopen[sl].tolist(), t.reminders[sl].tolist(), merged_into.tolist(),
        [None if c is None else tp_id.get(c) for c in t.touchpoint[sl].tolist()], csat.tolist(), strict=True,
    )
