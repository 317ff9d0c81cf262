"""Demo closed loop: self-inspections over the last year and about 30 action plans with their history.

Plans are drawn *before* the responses are scored, because the plans that worked shape the data: after such
a plan's due date its touchpoint's gap in its site (or team) rises by ``structure.PLAN_EFFECT`` points, so
the plan-effect page finds it improved; closed plans without effect get no such rise ("no change"). Kinds:
8 worked, 5 without effect (both closed, due 4-11 months ago), 8 open in "do" or "check", 4 overdue,
3 new in "plan", 2 cancelled. Inspection scores follow the same true gaps (site and touchpoint, plus the
improvements), so inspection scores correlate with customers' gaps across sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from cxdash.bulk import bulk_insert, next_id, reset_sequences
from cxdash.demo import structure as st
from cxdash.demo.organisation import Org
from cxdash.demo.timeline import N_DAYS, Timeline
from cxdash.schema import checklist_item, inspection

ROOT_CAUSES = ("standard", "training", "incentive", "monitoring")
NO_EFFECT_SLIDE = 0.2
KINDS = {"worked": 8, "no_effect": 5, "open": 8, "overdue": 4, "new": 3, "cancelled": 2}
DEPARTMENTS = ("售后服务部 After-sales", "客户关系部 Customer relations", "服务质量部 Service quality")
ACTIONS = {
    "standard": ("制定「{zh}」服务标准并张贴上墙", "Write a service standard for '{en}' and post it at the desk"),
    "training": ("对全体服务顾问进行「{zh}」专项培训", "Train every advisor on '{en}'"),
    "incentive": ("将「{zh}」纳入月度绩效考核", "Add '{en}' to the monthly bonus scorecard"),
    "monitoring": ("每周神秘客检查「{zh}」并通报结果", "Weekly mystery-shopper checks of '{en}', results shared"),
}
NOTES = ("结账排队超过10分钟", "未按标准通知客户取车", "报价单未与客户确认", "Queue at the cashier", "No call to collect")


@dataclass
class PlanSpec:
    """One action plan to create, in positions and day indices (days past the end lie in the future)."""

    kind: str
    site: int
    team: int
    tp: int
    start_day: int
    due_day: int
    root_cause: str


def plan_specs(rng: np.random.Generator, org: Org, codes: list[str]) -> list[PlanSpec]:
    """Draw the demo's plans: sites and touchpoints (unique pairs), dates by kind, root causes spread evenly."""
    weak_sites = np.flatnonzero(org.site_weak)
    weak_tps = [codes.index(c) for c in st.WEAK_TOUCHPOINTS if c in codes] or [0]
    other_tps = [j for j in range(len(codes)) if j not in weak_tps]
    used: set[tuple[int, int]] = set()
    specs: list[PlanSpec] = []
    causes = list(rng.permutation(np.resize(ROOT_CAUSES, sum(KINDS.values()))))
    last = N_DAYS - 1
    for kind, count in KINDS.items():
        for k in range(count):
            on_weak = kind == "worked" and k < 6 or rng.random() < 0.4
            site = int(rng.choice(weak_sites if on_weak and len(weak_sites) else len(org.site_ids)))
            pool = weak_tps if kind in ("worked", "no_effect") or rng.random() < 0.6 else other_tps or weak_tps
            tp = int(rng.choice(pool))
            for _ in range(50):
                if (site, tp) not in used:
                    break
                site, tp = int(rng.integers(0, len(org.site_ids))), int(rng.choice(pool))
            used.add((site, tp))
            start, due = _dates(rng, kind, last)
            team = -1
            if kind in ("worked", "open") and k == 0:
                team = int(rng.choice(np.flatnonzero(org.team_site == site)))
            specs.append(PlanSpec(kind, site, team, tp, start, due, str(causes.pop())))
    return specs


def _dates(rng: np.random.Generator, kind: str, last: int) -> tuple[int, int]:
    if kind in ("worked", "no_effect", "cancelled"):
        due = last - int(rng.integers(120, 330))
        return due - int(rng.integers(60, 120)), due
    if kind == "overdue":
        due = last - int(rng.integers(3, 60))
        return due - int(rng.integers(60, 100)), due
    if kind == "new":
        start = last - int(rng.integers(0, 6))
        return start, start + int(rng.integers(60, 120))
    start = last - int(rng.integers(10, 90))
    return start, last + int(rng.integers(15, 120))


def improvements(specs: list[PlanSpec], org: Org, codes: list[str], site_offset: np.ndarray,
                 tl: Timeline) -> list[st.Improvement]:
    """Gap shifts from the plans' due dates on: a lasting rise where a plan worked; where a closed or cancelled
    plan did nothing, a shift that cancels the drift of trend and season between its before and after
    windows, so its measured effect is "no change" up to noise, as the story says."""
    worked = [st.Improvement(s.site, s.team, s.tp, s.due_day) for s in specs if s.kind == "worked"]
    baseline = st.baseline_gaps(codes)
    weak_tp = np.array([c in st.WEAK_TOUCHPOINTS for c in codes], dtype=float)
    out = list(worked)
    for s in specs:
        if s.kind not in ("no_effect", "cancelled"):
            continue
        before = np.arange(max(s.start_day - 90, 0), max(s.start_day, 1))
        after = np.arange(s.due_day + 1, N_DAYS)
        if len(after) == 0:
            continue
        mean = [float(true_gap(baseline, weak_tp, org, site_offset, np.full(len(d), s.site), np.full(len(d), s.tp),
                               d, tl, worked).mean()) for d in (before, after)]
        # A small slide back on top, so noise rarely makes a plan that did nothing look improved.
        out.append(st.Improvement(s.site, s.team, s.tp, s.due_day, effect=mean[0] - mean[1] - NO_EFFECT_SLIDE))
    return out


def true_gap(ctx_baseline: np.ndarray, weak_tp: np.ndarray, org: Org, site_offset: np.ndarray, site: np.ndarray,
             tp: np.ndarray, day: np.ndarray, tl: Timeline, imps: list[st.Improvement]) -> np.ndarray:
    """The model's mean gap (points) of a site and touchpoint on a day, without advisor effects and noise."""
    t = tl.progress(day)
    g = ctx_baseline[tp] * (1 - st.TREND_SHRINK * t * weak_tp[tp]) + st.TREND_ALL * (t - 0.5)
    g = g + st.seasonality(tl.day_of_year(day))
    g = g + site_offset[site] + org.site_weak[site] * (st.WEAK_SITE_ALL + st.WEAK_SITE_WEAK_TP * weak_tp[tp])
    for imp in imps:
        g = g + imp.effect * ((site == imp.site) & (tp == imp.tp) & (day > imp.from_day)) * (0.7 if imp.team >= 0 else 1)
    return g


def insert_inspections(conn: Connection, rng: np.random.Generator, org: Org, tl: Timeline, codes: list[str],
                       tp_ids: np.ndarray, site_offset: np.ndarray, imps: list[st.Improvement]) -> int:
    """One inspection visit per site and month over the last year, scoring every active checklist item."""
    found = conn.execute(select(checklist_item.c.id, checklist_item.c.touchpoint_id)
                         .where(checklist_item.c.active.is_(True)).order_by(checklist_item.c.id)).all()
    pos = {int(t): j for j, t in enumerate(tp_ids.tolist())}
    items = [(int(i), pos[int(t)]) for i, t in found if int(t) in pos]
    if not items:
        return 0
    item_id = np.array([i for i, _ in items])
    item_tp = np.array([j for _, j in items])
    n_sites = len(org.site_ids)
    visit_day = (N_DAYS - 1 - 30 * np.arange(12)[None, :] - rng.integers(0, 28, (n_sites, 12))).ravel()
    visit_site = np.repeat(np.arange(n_sites), 12)
    site = np.repeat(visit_site, len(items))
    day = np.repeat(visit_day, len(items))
    tp = np.tile(item_tp, len(visit_site))
    weak_tp = np.array([c in st.WEAK_TOUCHPOINTS for c in codes], dtype=float)
    gap = true_gap(st.baseline_gaps(codes), weak_tp, org, site_offset, site, tp, day, tl, imps)
    score = np.clip(np.round((8.4 + 1.5 * gap + rng.normal(0, 0.9, len(site))) * 2) / 2, 0, 10)
    inspectors = np.array(list(org.names.values()), dtype=object)[rng.integers(0, len(org.names), len(visit_site))]
    note = np.full(len(site), None, dtype=object)
    noted = np.flatnonzero((score < 6) & (rng.random(len(site)) < 0.4))
    note[noted] = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), len(noted))]
    first = next_id(conn, inspection)
    ids = np.arange(first, first + len(site))
    dates = (tl.start64 + day.astype("timedelta64[D]")).astype(str).tolist()
    rows = zip(ids.tolist(), [f"DEMO-I{i}" for i in ids.tolist()], np.tile(item_id, len(visit_site)).tolist(),
               org.site_ids[site].tolist(), dates, score.tolist(), np.repeat(inspectors, len(items)).tolist(),
               note.tolist(), strict=True)
    n = bulk_insert(conn, inspection, ["id", "external_id", "item_id", "site_id", "inspected_on", "score",
                                       "inspector", "note"], rows)
    reset_sequences(conn, [inspection])
    return n
