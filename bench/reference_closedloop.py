"""The usual way for the Improve pages: inspections (``inspections``) and action plans (``action_plans``).

Inspections: ``inspection``, ``checklist_item``, ``site``, ``team``, ``touchpoint``, ``stage``, ``survey_response``
and ``touchpoint_score`` read whole. Compared (docs/metrics.md, *Weak inspection items*):

- ``item<id>.n`` / ``.sites`` / ``.mean_score``: scores, sites and mean score of every active checklist item scored
  in the view (the weak-items table; weakness itself rests on the drivers' sampled importance and is not compared);
- ``heat.<site>.<touchpoint>.score`` / ``.items``: the heat map, the mean of each item's latest score per site and
  touchpoint;
- ``site<id>.mean_score`` / ``.n_scores`` / ``.gap`` / ``.n_gaps`` and ``corr.n_sites``, ``corr.pearson_r``,
  ``corr.pearson_p``: the site correlation's pairs (mean inspection score against the mean normalised gap over
  the touchpoints the active checklist covers) and Pearson's r. Spearman's rho is not compared: a site whose gap
  is exactly 0 gets about 1e-18 from cxdash's summed sums, which breaks a tie of ranks that pandas' exact mean
  keeps (rho moved by 1e-3 on a small demo); the pairs it ranks are compared instead.

Action plans: ``action_plan``, ``site``, ``survey_response`` and ``touchpoint_score`` read whole, today = the
day of ``now``. Compared: ``open``, ``overdue``, ``closed``, ``closed_measured``, ``closed_improved`` (the plan
counts) and per plan of the board ``plan<id>.before_n`` / ``.before_mean`` / ``.after_n`` / ``.after_mean`` /
``.delta`` / ``.p_value`` (Welch's test, scipy on the gaps themselves) / ``.verdict`` (:data:`VERDICTS`).
"""

from __future__ import annotations

import warnings
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from scipy import stats as sps
from sqlalchemy import Engine

from bench.reference_base import (
    FigureFn,
    Figures,
    Reader,
    ReferenceFn,
    filter_responses,
    gap_pairs,
    nan_none,
)
from cxdash.filters import Filters
from cxdash.metrics.improve.effect import BEFORE_DAYS
from cxdash.schema import (
    action_plan,
    checklist_item,
    inspection,
    site,
    survey_response,
    team,
    touchpoint,
    touchpoint_score,
)

VERDICTS = {"worse": -1.0, "no_change": 0.0, "improved": 1.0, "insufficient": 8.0, "pending": 9.0}


# --- inspections --------------------------------------------------------------------------------------------
def _site_mask(site_ids: pd.Series, f: Filters, sites: pd.DataFrame, teams: pd.DataFrame) -> pd.Series:
    """The organisation part of the filters on a site id column (teams and regions through their sites)."""
    mask = pd.Series(True, index=site_ids.index)
    if f.region_ids:
        mask &= site_ids.isin(sites.loc[sites["region_id"].isin(f.region_ids), "id"])
    if f.site_ids:
        mask &= site_ids.isin(f.site_ids)
    if f.team_ids:
        mask &= site_ids.isin(teams.loc[teams["id"].isin(f.team_ids), "site_id"])
    if f.scope_sites is not None or f.scope_teams is not None:
        mask &= site_ids.isin(f.scope_sites or ()) | site_ids.isin(
            teams.loc[teams["id"].isin(f.scope_teams or ()), "site_id"])
    return mask


def inspections_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """Item scores, heat map and site correlation, the usual way."""
    ins, items = read.table(inspection), read.table(checklist_item)
    sites, teams = read.table(site), read.table(team)
    day = pd.to_datetime(ins["inspected_on"])
    mask = _site_mask(ins["site_id"], filters, sites, teams)
    if filters.date_from is not None:
        mask &= day >= pd.Timestamp(filters.date_from)
    if filters.date_to is not None:
        mask &= day <= pd.Timestamp(filters.date_to)
    sel = ins[mask].assign(day=day[mask])
    active = items[items["active"].astype(bool)]
    out: Figures = {}
    per_item = sel[sel["item_id"].isin(active["id"])].groupby("item_id").agg(
        n=("score", "size"), sites=("site_id", "nunique"), mean_score=("score", "mean"))
    for item_id, row in per_item.iterrows():
        out.update({f"item{item_id}.n": float(row["n"]), f"item{item_id}.sites": float(row["sites"]),
                    f"item{item_id}.mean_score": float(row["mean_score"])})
    # Heat map: each (site, item)'s latest day in the view, the mean of that day's scores, then per touchpoint.
    last = sel.groupby(["site_id", "item_id"])["day"].transform("max")
    latest = sel[sel["day"] == last].groupby(["site_id", "item_id"], as_index=False)["score"].mean()
    latest = latest.merge(items[["id", "touchpoint_id"]].rename(columns={"id": "item_id"}), on="item_id")
    heat = latest.groupby(["site_id", "touchpoint_id"]).agg(score=("score", "mean"), items=("score", "size"))
    for (s, tp), row in heat.iterrows():
        out.update({f"heat.{s}.{tp}.score": float(row["score"]), f"heat.{s}.{tp}.items": float(row["items"])})
    out.update(_site_correlation(read, filters, sel, items, active))
    return out


def _site_correlation(read: Reader, filters: Filters, sel: pd.DataFrame, items: pd.DataFrame,
                      active: pd.DataFrame) -> Figures:
    scored = sel[sel["item_id"].isin(items["id"])].groupby("site_id").agg(
        mean_score=("score", "mean"), n_scores=("score", "size"))
    responses = filter_responses(read.table(survey_response), filters)
    pairs = gap_pairs(responses, read.table(touchpoint_score))
    pairs = pairs[pairs["touchpoint_id"].isin(set(active["touchpoint_id"])) & pairs["site_id"].notna()]
    gaps = pairs.groupby(pairs["site_id"].astype(int))["d"].agg(gap="mean", n_gaps="size")
    both = scored.join(gaps, how="inner").sort_index()
    out: Figures = {}
    for s, row in both.iterrows():
        out.update({f"site{s}.mean_score": float(row["mean_score"]), f"site{s}.n_scores": float(row["n_scores"]),
                    f"site{s}.gap": float(row["gap"]), f"site{s}.n_gaps": float(row["n_gaps"])})
    x, y = both["mean_score"].to_numpy(float), both["gap"].to_numpy(float)
    r = p = None
    if len(both) >= 3 and np.ptp(x) > 0 and np.ptp(y) > 0:
        test = sps.pearsonr(x, y)
        r, p = float(test.statistic), float(test.pvalue)
    out.update({"corr.n_sites": float(len(both)), "corr.pearson_r": r, "corr.pearson_p": p})
    return out


def inspections_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the inspections page's calls (:func:`weak_items`, :func:`heatmap`,
    :func:`site_correlation`)."""
    from cxdash.improve.inspection_results import heatmap
    from cxdash.metrics.improve.weak_items import site_correlation, weak_items

    out: Figures = {}
    for row in weak_items(engine, filters, "en").to_dict("records"):
        i = row["item_id"]
        out.update({f"item{i}.n": float(row["n"]), f"item{i}.sites": float(row["sites"]),
                    f"item{i}.mean_score": float(row["mean_score"])})
    for row in heatmap(engine, filters, "en").to_dict("records"):
        key = f"heat.{row['site_id']}.{row['touchpoint_id']}"
        out.update({f"{key}.score": float(row["score"]), f"{key}.items": float(row["items"])})
    corr = site_correlation(engine, filters)
    for row in corr.pairs.to_dict("records"):
        s = row["site_id"]
        out.update({f"site{s}.mean_score": float(row["mean_score"]), f"site{s}.n_scores": float(row["n_scores"]),
                    f"site{s}.gap": float(row["gap"]), f"site{s}.n_gaps": float(row["n_gaps"])})
    out.update({"corr.n_sites": float(corr.n_sites), "corr.pearson_r": nan_none(corr.pearson_r),
                "corr.pearson_p": nan_none(corr.pearson_p)})
    return out


# --- action plans -------------------------------------------------------------------------------------------
def _plans(read: Reader, f: Filters) -> pd.DataFrame:
    plans, sites = read.table(action_plan), read.table(site)
    mask = pd.Series(True, index=plans.index)
    if f.region_ids:
        mask &= plans["site_id"].isin(sites.loc[sites["region_id"].isin(f.region_ids), "id"])
    if f.site_ids:
        mask &= plans["site_id"].isin(f.site_ids)
    if f.team_ids:
        mask &= plans["team_id"].isin(f.team_ids)
    if f.scope_sites is not None or f.scope_teams is not None:
        mask &= plans["site_id"].isin(f.scope_sites or ()) | plans["team_id"].isin(f.scope_teams or ())
    out = plans[mask].copy()
    for col in ("start_date", "due_date", "closed_on"):
        out[col] = pd.to_datetime(out[col]).dt.date.where(out[col].notna(), None)
    return out


def _effect(plan: pd.Series, pairs: pd.DataFrame, today: date) -> Figures:
    """Before and after gaps of one plan's touchpoint in its scope, Welch's test and the verdict."""
    scope = pairs[pairs["touchpoint_id"] == plan["touchpoint_id"]]
    if pd.notna(plan["team_id"]):
        scope = scope[scope["team_id"] == plan["team_id"]]
    elif pd.notna(plan["site_id"]):
        scope = scope[scope["site_id"] == plan["site_id"]]

    def gaps(lo: date, hi: date) -> np.ndarray:
        return scope.loc[(scope["day"] >= pd.Timestamp(lo)) & (scope["day"] <= pd.Timestamp(hi)), "d"].to_numpy(float)

    start = plan["start_date"]
    before = gaps(start - timedelta(days=BEFORE_DAYS), start - timedelta(days=1))
    anchor = plan["closed_on"] if plan["status"] == "done" and plan["closed_on"] is not None \
        else plan["due_date"] if plan["due_date"] < today else None
    out: Figures = {"before_n": float(len(before)), "before_mean": float(before.mean()) if len(before) else None,
                    "after_n": 0.0, "after_mean": None, "delta": None, "p_value": None,
                    "verdict": VERDICTS["pending"]}
    if anchor is None or anchor >= today:
        return out
    after = gaps(anchor + timedelta(days=1), today)
    out.update(after_n=float(len(after)), after_mean=float(after.mean()) if len(after) else None,
               verdict=VERDICTS["insufficient"])
    if len(before) < 2 or len(after) < 2:
        return out
    with warnings.catch_warnings():  # near-constant gaps: scipy warns of cancellation, its p is still the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        test = sps.ttest_ind(after, before, equal_var=False)
    delta, p = float(after.mean() - before.mean()), float(test.pvalue)
    verdict = "no_change" if not p < 0.05 else "improved" if delta > 0 else "worse"
    out.update(delta=delta, p_value=p, verdict=VERDICTS[verdict])
    return out


def action_plans_reference(read: Reader, filters: Filters, now: datetime) -> Figures:
    """The plan counts and every plan's before/after effect, the usual way."""
    today = now.date()
    plans = _plans(read, filters)
    plans = plans[plans["touchpoint_id"].isin(read.table(touchpoint)["id"])]
    responses = read.table(survey_response)
    scores = read.table(touchpoint_score)
    # Only the plans' touchpoints matter: a dashboard would narrow the join first, as here.
    pairs = gap_pairs(responses, scores[scores["touchpoint_id"].isin(plans["touchpoint_id"])])
    pairs = pairs.assign(day=pd.to_datetime(pairs["visit_date"]))
    is_open = plans["status"] == "open"
    out: Figures = {"open": float(is_open.sum()),
                    "overdue": float((is_open & plans["due_date"].map(lambda d: d < today)).sum())}
    closed = plans[(plans["status"] == "done") & plans["closed_on"].map(
        lambda d: d is not None and (filters.date_to is None or d <= filters.date_to))]
    verdicts = []
    for _, plan in plans.iterrows():
        effect = _effect(plan, pairs, today)
        out.update({f"plan{plan['id']}.{k}": v for k, v in effect.items()})
        if plan["id"] in set(closed["id"]):
            verdicts.append(effect["verdict"])
    measured = [v for v in verdicts if v in (-1.0, 0.0, 1.0)]
    out.update({"closed": float(len(closed)), "closed_measured": float(len(measured)),
                "closed_improved": float(sum(v == 1.0 for v in measured))})
    return out


def action_plans_cxdash(engine: Engine, filters: Filters, now: datetime) -> Figures:
    """The same figures from the action-plan page's calls (:func:`plan_counts`, :func:`plan_board`)."""
    from cxdash.metrics.improve.plans import plan_board, plan_counts

    today = now.date()
    c = plan_counts(engine, filters, today)
    out: Figures = {"open": float(c.open), "overdue": float(c.overdue), "closed": float(c.closed),
                    "closed_measured": float(c.closed_measured), "closed_improved": float(c.closed_improved)}
    for row in plan_board(engine, filters, "en", today=today).to_dict("records"):
        p = f"plan{row['id']}"
        out.update({f"{p}.before_n": float(row["before_n"]), f"{p}.before_mean": nan_none(row["before_mean"]),
                    f"{p}.after_n": float(row["after_n"]), f"{p}.after_mean": nan_none(row["after_mean"]),
                    f"{p}.delta": nan_none(row["delta"]), f"{p}.p_value": nan_none(row["p_value"]),
                    f"{p}.verdict": VERDICTS[row["verdict"]]})
    return out


REFERENCES: dict[str, ReferenceFn] = {"inspections": inspections_reference, "action_plans": action_plans_reference}
CXDASH: dict[str, FigureFn] = {"inspections": inspections_cxdash, "action_plans": action_plans_cxdash}
